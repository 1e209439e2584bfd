/**
 * billingLines applies a line's Discount as Salesforce computes TotalPrice (Object Reference,
 * OpportunityLineItem: TotalPrice = Quantity × UnitPrice × (1 − Discount/100), Discount a percent
 * of scale 2; https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunitylineitem.htm),
 * rounded once to the currency's minor unit (https://docs.stripe.com/currencies), half away from
 * zero. Stripe bills unit_amount × quantity: either is an exact whole minor unit, or the line is one
 * unit at its total.
 */
import { describe, expect, it } from 'vitest';
import { billingLines, recordBill, totalOf } from '../../src/outbound/billing-lines.js';
import type { BillableLineItem, BillableRecord } from '../../src/outbound/billable.js';

function record(lineItems: readonly BillableLineItem[], adjustments?: BillableRecord['adjustments']): BillableRecord {
  return {
    sobject: 'Opportunity',
    id: '006Ab00000Disc01AAA',
    name: 'Deal',
    accountId: undefined,
    amount: undefined,
    currencyIsoCode: undefined,
    paymentMode: undefined,
    stripeInvoiceId: undefined,
    stripePaymentLinkUrl: undefined,
    stripePaymentStatus: undefined,
    account: undefined,
    lineItems,
    adjustments,
  };
}

const line = (quantity: number, unitPrice: number, discount: number | undefined, extra: Partial<BillableLineItem> = {}): BillableLineItem => ({
  id: '00kAb00000Line01AA',
  name: 'Widget',
  description: undefined,
  quantity,
  unitPrice,
  discount,
  ...extra,
});

const billed = (item: BillableLineItem, currency = 'usd') => billingLines(record([item]), currency)[0]!;

describe('billingLines: a line with a Discount', () => {
  it.each([
    // [quantity, unit price, discount %, currency, Stripe quantity, Stripe unit amount, TotalPrice in minor units]
    [3, 9.99, 7.5, 'usd', 1, 2772, 2772], // 27.72225 → 27.72; 9.24075 a unit is no whole cent
    [10, 50, 10, 'usd', 10, 4500, 45_000], // 45.00 a unit: the quantity stays
    [1, 0.05, 50, 'usd', 1, 3, 3], // 0.025 → 0.03: half away from zero
    [1, 0.05, 30, 'usd', 1, 4, 4], // 0.035 → 0.04
    [3, 999, 7.5, 'jpy', 1, 2772, 2772], // 2772.225 yen → 2772
    [4, 1000, 12.5, 'jpy', 4, 875, 3500], // 875 yen a unit, whole
    [3, 9.999, 12.5, 'kwd', 1, 26_247, 26_247], // 26.247375 dinars → 26.247
    [2, 10, 0.01, 'usd', 1, 2000, 2000], // 19.998 → 20.00: a Discount of scale 2
    [2, 10, 100, 'usd', 2, 0, 0], // free
    [1.5, 9.99, 7.5, 'usd', 1, 1386, 1386], // 13.861125 → 13.86
  ])('%s × %s at %s %% off in %s → quantity %s at %s (TotalPrice %s)', (quantity, unitPrice, discount, currency, stripeQuantity, unitAmount, total) => {
    const result = billed(line(quantity, unitPrice, discount), currency);
    expect(result).toMatchObject({ quantity: stripeQuantity, unitAmount });
    expect(result.quantity * result.unitAmount).toBe(total);
  });

  it('a credit line (negative price) with a Discount loses the same share', () => {
    expect(billed(line(1, -10, 25))).toMatchObject({ quantity: 1, unitAmount: -750 });
  });

  it('never sells at the catalogue Price, even when the discounted amount equals the list price', () => {
    const catalogPrice = { priceId: 'price_list', productId: 'sfprod_01tAb00000Prod01AAA', unitAmount: 5000, usageType: undefined };
    // 2 × 50.00 at 50 % off: 50.00 a unit, the list price.
    expect(billed(line(2, 50, 50, { catalogPrice }))).toMatchObject({ quantity: 2, unitAmount: 2500, catalog: { productId: catalogPrice.productId, priceId: undefined } });
    expect(billed(line(1, 100, 50, { catalogPrice }))).toMatchObject({ quantity: 1, unitAmount: 5000, catalog: { priceId: undefined } });
    // Without a Discount the list-price line still sells the catalogue Price.
    expect(billed(line(1, 50, 0, { catalogPrice }))).toMatchObject({ catalog: { priceId: 'price_list' } });
  });

  it('says what the folded line is: quantity, product, unit price and discount, then the line description', () => {
    expect(billed(line(3, 9.99, 7.5, { description: 'Blue' })).description).toBe('3 × Widget at 9.99, 7.5 % off — Blue');
    expect(billed(line(10, 50, 10)).description).toBe('Widget at 50.00, 10 % off');
  });

  it.each([-5, 100.5])('refuses a Discount of %s %%', (discount) => {
    expect(() => billed(line(1, 10, discount))).toThrow(expect.objectContaining({ code: 'DISCOUNT_INVALID' }));
  });

  it('a Quote whose lines carry their Discounts needs no coupon: the lines already make its TotalPrice', () => {
    const bill = recordBill(record([line(3, 9.99, 7.5), { ...line(1, 50, undefined), id: '00kAb00000Line02AA' }], { totalAfterDiscount: 77.72, tax: undefined, shipping: undefined, grandTotal: 77.72 }), 'usd');
    expect(bill.discount).toBe(0);
    expect(totalOf(bill.lines)).toBe(7772);
  });
});
