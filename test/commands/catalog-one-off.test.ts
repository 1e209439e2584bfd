/**
 * The one-off billing commands (`invoice`, `checkout`, `payment_link`) sell the catalogue too,
 * end to end: Stripe_Command__e → the outbound function (jsforce over HTTP to the Salesforce
 * stand-in, stripe-node over HTTP to the Stripe stand-in, dynalite) → the lines' products synced
 * (src/catalog), the bill in Stripe, the ids written back.
 *
 * Stripe facts relied on, at the pinned API version (stripe-node's, 2026-10-28.endive):
 * - invoice items take a Price as `pricing[price]` since 2025-03-31.basil, no longer `price`
 *   (https://docs.stripe.com/changelog/basil/2025-03-31/invoice-pricing-configurations), or an
 *   inline `price_data` {currency, product, unit_amount} that names a product
 *   (https://docs.stripe.com/api/invoiceitems/create);
 * - Checkout line_items take `price` or `price_data` with `product` or `product_data`, and
 *   `metadata` (https://docs.stripe.com/api/checkout/sessions/create);
 * - payment link line_items take a `price` id and a quantity (https://docs.stripe.com/api/payment-link/create);
 * - a price's amount cannot change (https://docs.stripe.com/products-prices/manage-prices#edit-price).
 */
import { describe, expect, it } from 'vitest';
import { useOutboundHarness } from '../outbound/harness.js';
import { commandEvent, seedAccount } from './support.js';

const h = useOutboundHarness();

const record = (sobject: string, id: string) => h().salesforce.records(sobject).find((r) => r.Id === id) ?? {};
const catalogCalls = () => h().stripe.requests.filter((r) => /^\/v1\/(products|prices|billing\/meters)/.test(r.path) && r.method === 'POST' && !r.replayed);
const price = (id: unknown) => h().stripe.prices().find((p) => p.id === id);

function product(name: string, fields: Record<string, unknown> = {}): string {
  return h().salesforce.insert('Product2', { Name: name, IsActive: true, ...fields });
}

function entry(productId: string, unitPrice: number): string {
  return h().salesforce.insert('PricebookEntry', { Product2Id: productId, UnitPrice: unitPrice, IsActive: true });
}

interface Catalogue {
  readonly kit: string;
  readonly kitEntry: string;
  readonly training: string;
  readonly trainingEntry: string;
  readonly seats: string;
  readonly seatsEntry: string;
}

/** Two one-time products (hardware kit 200.00, training 100.00) and a monthly one (seats 50.00). */
function seedCatalogue(): Catalogue {
  const kit = product('Hardware kit');
  const training = product('Training day');
  const seats = product('Seats', { Stripe_Billing_Interval__c: 'month', Stripe_Interval_Count__c: 1 });
  return { kit, kitEntry: entry(kit, 200), training, trainingEntry: entry(training, 100), seats, seatsEntry: entry(seats, 50) };
}

type Line = { productId?: string; entryId?: string; name: string; quantity: number; unitPrice: number };

/**
 * A Closed Won deal: the kit at list price, training sold at a discount (2 × 80.00 instead of
 * 100.00), and a line without a product (12.50).
 */
function seedDeal(catalogue: Catalogue, lines?: readonly Line[]): string {
  const accountId = seedAccount(h().salesforce);
  const opportunityId = h().salesforce.insert('Opportunity', { Name: 'Globex rollout', AccountId: accountId, StageName: 'Closed Won', CloseDate: '2026-11-01', Amount: 372.5 });
  for (const line of lines ?? [
    { productId: catalogue.kit, entryId: catalogue.kitEntry, name: 'Hardware kit', quantity: 1, unitPrice: 200 },
    { productId: catalogue.training, entryId: catalogue.trainingEntry, name: 'Training day', quantity: 2, unitPrice: 80 },
    { name: 'Travel', quantity: 1, unitPrice: 12.5 },
  ]) {
    h().salesforce.insert('OpportunityLineItem', {
      OpportunityId: opportunityId,
      ...(line.productId === undefined ? {} : { Product2Id: line.productId, PricebookEntryId: line.entryId }),
      Name: line.name,
      Quantity: line.quantity,
      UnitPrice: line.unitPrice,
      TotalPrice: line.quantity * line.unitPrice,
    });
  }
  return opportunityId;
}

describe('invoice sells the catalogue', () => {
  it('a line at list price bills the synced Price (pricing[price]); a discounted line bills its own price on the synced product; a line without a product is ad hoc', async () => {
    const catalogue = seedCatalogue();
    const opportunityId = seedDeal(catalogue);

    const result = await h().app.handle(commandEvent('invoice', opportunityId));

    expect(result).toMatchObject({ outcome: 'invoiced' });
    const kitPriceId = record('PricebookEntry', catalogue.kitEntry).Stripe_Price_Id__c;
    const trainingPriceId = record('PricebookEntry', catalogue.trainingEntry).Stripe_Price_Id__c;
    // Only the products the deal needs were synced, each entry at its list price, one-time.
    expect(price(kitPriceId)).toMatchObject({ active: true, product: `sfprod_${catalogue.kit}`, unit_amount: 20_000, type: 'one_time' });
    expect(price(trainingPriceId)).toMatchObject({ active: true, product: `sfprod_${catalogue.training}`, unit_amount: 10_000, type: 'one_time' });
    expect(record('Product2', catalogue.seats).Stripe_Product_Id__c).toBeUndefined();
    expect(record('PricebookEntry', catalogue.seatsEntry).Stripe_Price_Id__c).toBeUndefined();
    expect(h().stripe.creations('/v1/products').map((r) => r.params.id).sort()).toEqual([`sfprod_${catalogue.kit}`, `sfprod_${catalogue.training}`].sort());

    const items = h().stripe.creations('/v1/invoiceitems').map((r) => r.params);
    expect(items).toHaveLength(3);
    expect(items[0]).toMatchObject({ pricing: { price: kitPriceId }, quantity: '1' });
    expect(items[0]).not.toHaveProperty('price_data');
    expect(items[0]).not.toHaveProperty('unit_amount_decimal');
    // The rep's discount is billed, never the list price; the line still groups under its product.
    expect(items[1]).toMatchObject({ price_data: { currency: 'usd', product: `sfprod_${catalogue.training}`, unit_amount: '8000' }, quantity: '2' });
    expect(items[1]).not.toHaveProperty('pricing');
    expect(items[2]).toMatchObject({ unit_amount_decimal: '1250', quantity: '1' });
    expect(items[2]).not.toHaveProperty('price_data');

    const invoice = h().stripe.invoices().find((i) => i.id === result.invoiceId);
    expect(invoice).toMatchObject({ status: 'open', total: 20_000 + 16_000 + 1_250 });
    expect(invoice?.lines.data.map((l: { amount: number; pricing: { price_details: { product: string } | null } }) => [l.amount, l.pricing.price_details?.product ?? null])).toEqual([
      [20_000, `sfprod_${catalogue.kit}`],
      [16_000, `sfprod_${catalogue.training}`],
      [1_250, null],
    ]);
    expect(record('Opportunity', opportunityId)).toMatchObject({ Stripe_Invoice_Id__c: result.invoiceId, Stripe_Amount_Billed__c: 372.5, Stripe_Sync_Error__c: null });
  });

  it('a recurring product billed once is billed at the line price on its product, not at its recurring Price', async () => {
    const catalogue = seedCatalogue();
    const opportunityId = seedDeal(catalogue, [{ productId: catalogue.seats, entryId: catalogue.seatsEntry, name: 'Seats', quantity: 3, unitPrice: 50 }]);

    const result = await h().app.handle(commandEvent('invoice', opportunityId));

    expect(result.outcome).toBe('invoiced');
    expect(price(record('PricebookEntry', catalogue.seatsEntry).Stripe_Price_Id__c)).toMatchObject({ type: 'recurring', unit_amount: 5000 });
    expect(h().stripe.creations('/v1/invoiceitems').at(-1)!.params).toMatchObject({ price_data: { product: `sfprod_${catalogue.seats}`, unit_amount: '5000' }, quantity: '3' });
    expect(h().stripe.invoices().find((i) => i.id === result.invoiceId)).toMatchObject({ total: 15_000 });
  });

  it('a credit product (a negative list price, which no Stripe price can carry) is billed ad hoc as before the catalogue; the other lines still sell the catalogue', async () => {
    const catalogue = seedCatalogue();
    const credit = product('Loyalty credit');
    const creditEntry = entry(credit, -25);
    const opportunityId = seedDeal(catalogue, [
      { productId: catalogue.kit, entryId: catalogue.kitEntry, name: 'Hardware kit', quantity: 1, unitPrice: 200 },
      { productId: credit, entryId: creditEntry, name: 'Loyalty credit', quantity: 1, unitPrice: -25 },
    ]);

    const result = await h().app.handle(commandEvent('invoice', opportunityId));

    expect(result).toMatchObject({ outcome: 'invoiced' });
    expect(record('PricebookEntry', creditEntry).Stripe_Price_Id__c).toBeUndefined();
    const items = h().stripe.creations('/v1/invoiceitems').slice(-2).map((r) => r.params);
    expect(items[0]).toMatchObject({ pricing: { price: record('PricebookEntry', catalogue.kitEntry).Stripe_Price_Id__c } });
    expect(items[1]).toMatchObject({ unit_amount_decimal: '-2500', quantity: '1' });
    expect(h().stripe.invoices().find((i) => i.id === result.invoiceId)).toMatchObject({ total: 20_000 - 2_500 });
  });

  it('a fractional quantity is one exact total on the product, never the list Price', async () => {
    const catalogue = seedCatalogue();
    const opportunityId = seedDeal(catalogue, [{ productId: catalogue.training, entryId: catalogue.trainingEntry, name: 'Training day', quantity: 1.5, unitPrice: 100 }]);

    const result = await h().app.handle(commandEvent('invoice', opportunityId));

    expect(h().stripe.creations('/v1/invoiceitems').at(-1)!.params).toMatchObject({ price_data: { product: `sfprod_${catalogue.training}`, unit_amount: '15000' }, quantity: '1' });
    expect(h().stripe.invoices().find((i) => i.id === result.invoiceId)).toMatchObject({ total: 15_000 });
  });

  it('a replay, a second request and a second deal with the same products make no Stripe catalogue call; one invoice per deal', async () => {
    const catalogue = seedCatalogue();
    const first = seedDeal(catalogue);
    const event = commandEvent('invoice', first);
    const billed = await h().app.handle(event);
    const calls = catalogCalls().length;
    const entries = { ...record('PricebookEntry', catalogue.kitEntry) };

    expect(await h().app.handle(event)).toMatchObject({ outcome: 'duplicate' });
    expect(await h().app.handle(commandEvent('invoice', first))).toMatchObject({ outcome: 'duplicate', code: 'ALREADY_BILLED' });
    expect(await h().app.handle(commandEvent('checkout', first))).toMatchObject({ outcome: 'duplicate', code: 'ALREADY_BILLED' });
    const second = await h().app.handle(commandEvent('invoice', seedDeal(catalogue)));

    expect(second.outcome).toBe('invoiced');
    expect(catalogCalls()).toHaveLength(calls);
    expect(record('PricebookEntry', catalogue.kitEntry)).toEqual(entries);
    expect(h().stripe.creations('/v1/invoices').filter((r) => r.params.metadata?.salesforce_opportunity_id === first)).toHaveLength(1);
    expect(record('Opportunity', first).Stripe_Invoice_Id__c).toBe(billed.invoiceId);
  });

  it('two requests at once bill one invoice and create each catalogue price once', async () => {
    const catalogue = seedCatalogue();
    const opportunityId = seedDeal(catalogue);

    const results = await Promise.allSettled([h().app.handle(commandEvent('invoice', opportunityId)), h().app.handle(commandEvent('invoice', opportunityId))]);

    const outcomes = results.map((r) => (r.status === 'fulfilled' ? r.value.outcome : 'retry'));
    expect(outcomes).toContain('invoiced');
    expect(h().stripe.creations('/v1/invoices').filter((r) => r.params.metadata?.salesforce_opportunity_id === opportunityId)).toHaveLength(1);
    for (const entryId of [catalogue.kitEntry, catalogue.trainingEntry]) {
      expect(h().stripe.prices().filter((p) => p.metadata?.salesforce_pricebook_entry_id === entryId)).toHaveLength(1);
    }
  });
});

describe('checkout and payment_link sell the catalogue', () => {
  it('checkout: the list-price line is the synced Price, the discounted one price_data on its product, the line id in each line item', async () => {
    const catalogue = seedCatalogue();
    const opportunityId = seedDeal(catalogue);

    const result = await h().app.handle(commandEvent('checkout', opportunityId));

    expect(result).toMatchObject({ outcome: 'checkout_created' });
    const kitPriceId = record('PricebookEntry', catalogue.kitEntry).Stripe_Price_Id__c;
    const params = h().stripe.creations('/v1/checkout/sessions').at(-1)!.params;
    expect(params.line_items[0]).toMatchObject({ price: kitPriceId, quantity: '1', metadata: { salesforce_line_item_id: expect.any(String) } });
    expect(params.line_items[1]).toMatchObject({ price_data: { currency: 'usd', product: `sfprod_${catalogue.training}`, unit_amount: '8000' }, quantity: '2' });
    expect(params.line_items[1].price_data).not.toHaveProperty('product_data');
    expect(params.line_items[2]).toMatchObject({ price_data: { unit_amount: '1250', product_data: { name: 'Travel' } } });
    const session = h().stripe.checkoutSessions().find((s) => s.id === result.checkoutSessionId);
    expect(session).toMatchObject({ amount_total: 37_250 });
    expect(record('Opportunity', opportunityId)).toMatchObject({ Stripe_Checkout_Session_Id__c: result.checkoutSessionId, Stripe_Amount_Billed__c: 372.5 });
  });

  it('payment_link: no price of its own for the list-price line, one on the synced product for the discounted line', async () => {
    const catalogue = seedCatalogue();
    const opportunityId = seedDeal(catalogue, [
      { productId: catalogue.kit, entryId: catalogue.kitEntry, name: 'Hardware kit', quantity: 1, unitPrice: 200 },
      { productId: catalogue.training, entryId: catalogue.trainingEntry, name: 'Training day', quantity: 2, unitPrice: 80 },
    ]);

    const result = await h().app.handle(commandEvent('payment_link', opportunityId));

    expect(result).toMatchObject({ outcome: 'payment_link_created' });
    const kitPriceId = record('PricebookEntry', catalogue.kitEntry).Stripe_Price_Id__c;
    const linePrices = h().stripe.creations('/v1/prices').filter((r) => r.idempotencyKey?.startsWith(`sfbridge:${opportunityId}:`));
    expect(linePrices).toHaveLength(1);
    expect(linePrices[0]!.params).toMatchObject({ product: `sfprod_${catalogue.training}`, unit_amount: '8000', currency: 'usd' });
    expect(linePrices[0]!.params).not.toHaveProperty('product_data');
    const link = h().stripe.paymentLinks().find((l) => l.id === result.paymentLinkId);
    expect(link?.line_items).toMatchObject([
      { price: kitPriceId, quantity: 1, amount: 20_000 },
      { quantity: 2, amount: 8_000 },
    ]);
  });
});
