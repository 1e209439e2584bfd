/**
 * A line's Discount (percent) is billed, end to end: Stripe_Command__e → the outbound function
 * (jsforce over HTTP to the Salesforce stand-in, stripe-node over HTTP to the Stripe stand-in,
 * dynalite) → what Stripe bills equals what Salesforce says the lines are worth.
 *
 * Salesforce (Object Reference, OpportunityLineItem, Discount and TotalPrice:
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunitylineitem.htm):
 * Discount is a percent (scale 2); "if you specify Discount without specifying TotalPrice, the
 * TotalPrice is adjusted to accommodate the new Discount value, and the UnitPrice is held
 * constant", i.e. TotalPrice = Quantity × UnitPrice × (1 − Discount/100), a currency rounded to
 * its scale; the Opportunity's Amount is the sum of its lines' TotalPrice. QuoteLineItem has the
 * same Discount; OrderItem has none.
 *
 * Stripe (https://docs.stripe.com/api/invoiceitems/create, checkout/sessions/create,
 * payment-link/create, subscriptions/create): amounts are integers in the currency's minor unit
 * (https://docs.stripe.com/currencies); an invoice line's amount is unit_amount × quantity.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { monthlyRecurringRevenue } from '../../src/mappers/mrr.js';
import { useOutboundHarness } from '../outbound/harness.js';
import { commandEvent, seedAccount } from './support.js';

const h = useOutboundHarness();

const record = (sobject: string, id: string) => h().salesforce.records(sobject).find((r) => r.Id === id) ?? {};
const postsFor = (recordId: string) => h().stripe.requests.filter((r) => r.method === 'POST' && !r.replayed && r.status < 300 && r.idempotencyKey?.includes(recordId));

function product(name: string, fields: Record<string, unknown> = {}): string {
  return h().salesforce.insert('Product2', { Name: name, IsActive: true, ...fields });
}

function entry(productId: string, unitPrice: number, currency?: string): string {
  return h().salesforce.insert('PricebookEntry', { Product2Id: productId, UnitPrice: unitPrice, IsActive: true, ...(currency === undefined ? {} : { CurrencyIsoCode: currency }) });
}

type Line = { productId: string; entryId: string; name: string; quantity: number; unitPrice: number; discount?: number; totalPrice: number };

/** A Closed Won deal; each line's TotalPrice as Salesforce computes it (given, checked in the test). */
function seedDeal(lines: readonly Line[], opportunity: Record<string, unknown> = {}): string {
  const accountId = seedAccount(h().salesforce);
  const amount = lines.reduce((sum, l) => sum + l.totalPrice, 0);
  const opportunityId = h().salesforce.insert('Opportunity', { Name: 'Globex rollout', AccountId: accountId, StageName: 'Closed Won', CloseDate: '2026-11-01', Amount: amount, ...opportunity });
  for (const line of lines) {
    h().salesforce.insert('OpportunityLineItem', {
      OpportunityId: opportunityId,
      Product2Id: line.productId,
      PricebookEntryId: line.entryId,
      Name: line.name,
      Quantity: line.quantity,
      UnitPrice: line.unitPrice,
      Discount: line.discount ?? null,
      TotalPrice: line.totalPrice,
      ...(opportunity.CurrencyIsoCode === undefined ? {} : { CurrencyIsoCode: opportunity.CurrencyIsoCode }),
    });
  }
  return opportunityId;
}

/** Widgets at list price 9.99 with 7.5 % off: 3 × 9.99 × 0.925 = 27.72225 → TotalPrice 27.72 (9.24075 a unit: no whole cent). */
function widgets(): Line {
  const productId = product('Widget');
  return { productId, entryId: entry(productId, 9.99), name: 'Widget', quantity: 3, unitPrice: 9.99, discount: 7.5, totalPrice: 27.72 };
}

/** Training sold below its list price 100.00 (at 80.00) and 10 % off on top: 2 × 80 × 0.9 = 144.00 (72.00 a unit). */
function training(): Line {
  const productId = product('Training day');
  return { productId, entryId: entry(productId, 100), name: 'Training day', quantity: 2, unitPrice: 80, discount: 10, totalPrice: 144 };
}

describe('invoice bills each line after its Discount', () => {
  it('a list-price line 7.5 % off is one unit at its TotalPrice (no whole-cent unit price), a line below list 10 % off keeps its quantity; never the list Price', async () => {
    const opportunityId = seedDeal([widgets(), training()]);

    const result = await h().app.handle(commandEvent('invoice', opportunityId));

    expect(result).toMatchObject({ outcome: 'invoiced' });
    const items = h().stripe.creations('/v1/invoiceitems').map((r) => r.params);
    expect(items).toHaveLength(2);
    // Priced inline on the synced product, never `pricing[price]` (the list Price).
    expect(items[0]).toMatchObject({ price_data: { unit_amount: '2772', product: expect.stringMatching(/^sfprod_/) }, quantity: '1', description: '3 × Widget at 9.99, 7.5 % off' });
    expect(items[1]).toMatchObject({ price_data: { unit_amount: '7200' }, quantity: '2', description: 'Training day at 80.00, 10 % off' });
    for (const item of items) expect(item).not.toHaveProperty('pricing');
    const invoice = h().stripe.invoices().find((i) => i.id === result.invoiceId);
    // The invoice total is the sum of the lines' TotalPrice: the Opportunity's Amount 171.72.
    expect(invoice).toMatchObject({ status: 'open', total: 2772 + 14_400, discounts: [] });
    expect(record('Opportunity', opportunityId)).toMatchObject({ Stripe_Amount_Billed__c: 171.72, Stripe_Sync_Error__c: null });
  });

  it('the fractional case names its quantity: 2.5 × 9.99 at 7.5 % off is 23.101875 → 23.10', async () => {
    const line = { ...widgets(), quantity: 2.5, totalPrice: 23.1 };
    const opportunityId = seedDeal([line]);
    const result = await h().app.handle(commandEvent('invoice', opportunityId));
    expect(h().stripe.creations('/v1/invoiceitems').at(-1)!.params).toMatchObject({ price_data: { unit_amount: '2310' }, quantity: '1', description: '2.5 × Widget at 9.99, 7.5 % off' });
    expect(h().stripe.invoices().find((i) => i.id === result.invoiceId)).toMatchObject({ total: 2310 });
  });

  it('a replayed command bills once', async () => {
    const opportunityId = seedDeal([widgets()]);
    const event = commandEvent('invoice', opportunityId);
    await h().app.handle(event);
    const posts = postsFor(opportunityId).length;
    expect(await h().app.handle(event)).toMatchObject({ outcome: 'duplicate' });
    expect(await h().app.handle(commandEvent('invoice', opportunityId))).toMatchObject({ outcome: 'duplicate' });
    expect(postsFor(opportunityId)).toHaveLength(posts);
    expect(h().stripe.invoices().filter((i) => i.metadata.salesforce_opportunity_id === opportunityId)).toHaveLength(1);
  });

  it('refuses a Discount over 100 %, creating nothing', async () => {
    const opportunityId = seedDeal([{ ...training(), discount: 120, totalPrice: 0 }]);
    expect(await h().app.handle(commandEvent('invoice', opportunityId))).toMatchObject({ outcome: 'rejected', code: 'DISCOUNT_INVALID' });
    expect(postsFor(opportunityId)).toHaveLength(0);
  });
});

describe('zero- and three-decimal currencies', () => {
  beforeEach(() => {
    h().salesforce.setOrganization({ multiCurrency: true });
    h().coldStart();
  });

  it('JPY: 3 × 999 at 7.5 % off is 2772.225 → 2772 yen, billed as one unit', async () => {
    const productId = product('Widget');
    const line = { productId, entryId: entry(productId, 999, 'JPY'), name: 'Widget', quantity: 3, unitPrice: 999, discount: 7.5, totalPrice: 2772 };
    const opportunityId = seedDeal([line], { CurrencyIsoCode: 'JPY' });
    const result = await h().app.handle(commandEvent('invoice', opportunityId));
    expect(h().stripe.creations('/v1/invoiceitems').at(-1)!.params).toMatchObject({ currency: 'jpy', price_data: { unit_amount: '2772' }, quantity: '1', description: '3 × Widget at 999, 7.5 % off' });
    expect(h().stripe.invoices().find((i) => i.id === result.invoiceId)).toMatchObject({ currency: 'jpy', total: 2772 });
  });

  it('KWD: 3 × 9.999 at 12.5 % off is 26.247375 → 26.247 dinars (fils), checkout at that total', async () => {
    const productId = product('Service');
    const line = { productId, entryId: entry(productId, 9.999, 'KWD'), name: 'Service', quantity: 3, unitPrice: 9.999, discount: 12.5, totalPrice: 26.247 };
    const opportunityId = seedDeal([line], { CurrencyIsoCode: 'KWD' });
    const result = await h().app.handle(commandEvent('checkout', opportunityId));
    expect(result).toMatchObject({ outcome: 'checkout_created' });
    const session = h().stripe.checkoutSessions().find((s) => s.id === result.checkoutSessionId);
    expect(session).toMatchObject({ currency: 'kwd', amount_total: 26_247 });
  });
});

describe('checkout and payment_link bill each line after its Discount', () => {
  it('checkout: price_data on the synced product at the discounted amount; the total is the lines’ TotalPrice', async () => {
    const opportunityId = seedDeal([widgets(), training()]);
    const result = await h().app.handle(commandEvent('checkout', opportunityId));
    expect(result).toMatchObject({ outcome: 'checkout_created' });
    const params = h().stripe.creations('/v1/checkout/sessions').at(-1)!.params;
    expect(params.line_items[0]).toMatchObject({ price_data: { unit_amount: '2772', product: expect.stringMatching(/^sfprod_/) }, quantity: '1' });
    expect(params.line_items[1]).toMatchObject({ price_data: { unit_amount: '7200' }, quantity: '2' });
    for (const item of params.line_items) expect(item).not.toHaveProperty('price');
    expect(h().stripe.checkoutSessions().find((s) => s.id === result.checkoutSessionId)).toMatchObject({ amount_total: 17_172 });
  });

  it('payment_link: a price of its own per discounted line, none at the list Price', async () => {
    const line = widgets();
    const opportunityId = seedDeal([line]);
    const result = await h().app.handle(commandEvent('payment_link', opportunityId));
    expect(result).toMatchObject({ outcome: 'payment_link_created' });
    const listPriceId = record('PricebookEntry', line.entryId).Stripe_Price_Id__c;
    const link = h().stripe.paymentLinks().find((l) => l.id === result.paymentLinkId);
    expect(link?.line_items).toHaveLength(1);
    expect(link?.line_items[0]).toMatchObject({ quantity: 1, amount: 2772 });
    expect(link?.line_items[0].price).not.toBe(listPriceId);
  });
});

describe('subscription: every period bills the discounted amount', () => {
  it('a recurring line 10 % off recurs at the discounted unit amount (an inline recurring price), MRR included', async () => {
    const seats = product('Seats', { Stripe_Billing_Interval__c: 'month', Stripe_Interval_Count__c: 1 });
    // 3 seats at list 50.00, 10 % off: 135.00 a month (45.00 a seat).
    const opportunityId = seedDeal([{ productId: seats, entryId: entry(seats, 50), name: 'Seats', quantity: 3, unitPrice: 50, discount: 10, totalPrice: 135 }]);

    const result = await h().app.handle(commandEvent('subscription', opportunityId));

    expect(result).toMatchObject({ outcome: 'subscription_created' });
    const params = h().stripe.creations('/v1/subscriptions').at(-1)!.params;
    expect(params.items).toEqual([
      expect.objectContaining({ price_data: { currency: 'usd', product: `sfprod_${seats}`, unit_amount: '4500', recurring: { interval: 'month', interval_count: '1' } }, quantity: '3' }),
    ]);
    // No coupon: the recurring price is the discounted one, so each period bills 135.00, not a first-invoice-only discount.
    expect(params).not.toHaveProperty('discounts');
    expect(h().stripe.invoices().find((i) => i.id === result.invoiceId)).toMatchObject({ total: 13_500 });
    // MRR as the consumer computes it from such an item (src/mappers/mrr.ts): the discounted amount.
    const item = params.items[0];
    expect(
      monthlyRecurringRevenue({
        status: 'active',
        paused: false,
        items: [{ quantity: Number(item.quantity), price: { unit_amount: Number(item.price_data.unit_amount), recurring: { interval: 'month', interval_count: 1 } } }],
      }),
    ).toBe(13_500);
  });

  it('a recurring line without a whole-cent discounted unit recurs as one unit at its TotalPrice', async () => {
    const seats = product('Seats', { Stripe_Billing_Interval__c: 'month', Stripe_Interval_Count__c: 1 });
    const opportunityId = seedDeal([{ productId: seats, entryId: entry(seats, 9.99), name: 'Seats', quantity: 3, unitPrice: 9.99, discount: 7.5, totalPrice: 27.72 }]);
    const result = await h().app.handle(commandEvent('subscription', opportunityId));
    expect(h().stripe.creations('/v1/subscriptions').at(-1)!.params.items[0]).toMatchObject({ price_data: { unit_amount: '2772' }, quantity: '1' });
    expect(h().stripe.invoices().find((i) => i.id === result.invoiceId)).toMatchObject({ total: 2772 });
  });

  it('a metered line cannot carry a Discount: refused for the rep, nothing reaches Stripe', async () => {
    const api = product('API calls', { Stripe_Billing_Interval__c: 'month', Stripe_Interval_Count__c: 1, Stripe_Usage_Type__c: 'metered' });
    const opportunityId = seedDeal([{ productId: api, entryId: entry(api, 0.05), name: 'API calls', quantity: 1, unitPrice: 0.05, discount: 20, totalPrice: 0.04 }]);
    expect(await h().app.handle(commandEvent('subscription', opportunityId))).toMatchObject({ outcome: 'rejected', code: 'METERED_DISCOUNT_UNSUPPORTED' });
    expect(h().stripe.creations('/v1/subscriptions').filter((r) => r.params.metadata?.salesforce_opportunity_id === opportunityId)).toHaveLength(0);
  });
});
