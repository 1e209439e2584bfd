/**
 * The catalogue sync end to end: Stripe_Command__e (`subscription` on an Opportunity,
 * `sync_product` on a Product2) → the outbound function (jsforce over HTTP to the Salesforce
 * stand-in, stripe-node over HTTP to the Stripe stand-in, dynalite) → Stripe products, prices and
 * meters, their ids written back on Product2 and PricebookEntry.
 *
 * Stripe facts relied on: prices are immutable, a new amount is a new price and the old one is
 * archived with `active=false` (https://docs.stripe.com/products-prices/manage-prices#edit-price,
 * https://docs.stripe.com/api/prices/update); subscription items and add_invoice_items take a
 * `price` id (https://docs.stripe.com/api/subscriptions/create); since 2025-03-31.basil a metered
 * price needs a `recurring[meter]` (https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-legacy-usage-based-billing),
 * created with display_name, event_name and default_aggregation[formula]
 * (https://docs.stripe.com/api/billing/meter/create); a metered item takes no quantity
 * (https://docs.stripe.com/billing/subscriptions/quantities).
 */
import { describe, expect, it } from 'vitest';
import { SAMPLE_REP_ID, useOutboundHarness } from '../outbound/harness.js';
import { commandEvent, seedAccount } from './support.js';

const h = useOutboundHarness();

const record = (sobject: string, id: string) => h().salesforce.records(sobject).find((r) => r.Id === id) ?? {};
const catalogCalls = () => h().stripe.requests.filter((r) => /^\/v1\/(products|prices|billing\/meters)/.test(r.path));
const price = (id: unknown) => h().stripe.prices().find((p) => p.id === id);

function product(name: string, fields: Record<string, unknown> = {}): string {
  return h().salesforce.insert('Product2', { Name: name, IsActive: true, ...fields });
}

function entry(productId: string, unitPrice: number, fields: Record<string, unknown> = {}): string {
  return h().salesforce.insert('PricebookEntry', { Product2Id: productId, UnitPrice: unitPrice, IsActive: true, ...fields });
}

interface Catalogue {
  readonly seats: string;
  readonly seatsEntry: string;
  readonly setup: string;
  readonly setupEntry: string;
}

/** Seats at 50.00 a month and a one-time onboarding at 200.00, each in the standard price book. */
function seedCatalogue(): Catalogue {
  const seats = product('Seats', { Stripe_Billing_Interval__c: 'month', Stripe_Interval_Count__c: 1 });
  const setup = product('Onboarding');
  return { seats, seatsEntry: entry(seats, 50), setup, setupEntry: entry(setup, 200) };
}

/** A Closed Won Opportunity selling the catalogue's lines (3 seats, 1 onboarding) at list price unless told. */
function seedDeal(catalogue: Catalogue, lines?: Array<{ productId: string; entryId: string; quantity: number; unitPrice: number }>): string {
  const accountId = seedAccount(h().salesforce);
  const opportunityId = h().salesforce.insert('Opportunity', { Name: 'Globex SaaS', AccountId: accountId, StageName: 'Closed Won', CloseDate: '2026-11-01', Amount: 350 });
  for (const line of lines ?? [
    { productId: catalogue.seats, entryId: catalogue.seatsEntry, quantity: 3, unitPrice: 50 },
    { productId: catalogue.setup, entryId: catalogue.setupEntry, quantity: 1, unitPrice: 200 },
  ]) {
    h().salesforce.insert('OpportunityLineItem', {
      OpportunityId: opportunityId,
      Product2Id: line.productId,
      PricebookEntryId: line.entryId,
      Name: 'line',
      Quantity: line.quantity,
      UnitPrice: line.unitPrice,
      TotalPrice: line.quantity * line.unitPrice,
    });
  }
  return opportunityId;
}

describe('catalogue sync when a deal is billed', () => {
  it('Closed Won with one recurring and one one-time line → products and prices in Stripe, ids written back, one subscription with one item and one invoice item at those prices', async () => {
    const catalogue = seedCatalogue();
    const opportunityId = seedDeal(catalogue);

    const result = await h().app.handle(commandEvent('subscription', opportunityId));

    expect(result).toMatchObject({ outcome: 'subscription_created' });
    const seatsPriceId = record('PricebookEntry', catalogue.seatsEntry).Stripe_Price_Id__c;
    const setupPriceId = record('PricebookEntry', catalogue.setupEntry).Stripe_Price_Id__c;
    expect(price(seatsPriceId)).toMatchObject({
      active: true,
      product: `sfprod_${catalogue.seats}`,
      currency: 'usd',
      unit_amount: 5000,
      recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed' },
      metadata: { salesforce_product_id: catalogue.seats, salesforce_pricebook_entry_id: catalogue.seatsEntry },
    });
    expect(price(setupPriceId)).toMatchObject({ active: true, product: `sfprod_${catalogue.setup}`, unit_amount: 20000, type: 'one_time', recurring: null });
    expect(record('Product2', catalogue.seats).Stripe_Product_Id__c).toBe(`sfprod_${catalogue.seats}`);
    expect(record('Product2', catalogue.setup).Stripe_Product_Id__c).toBe(`sfprod_${catalogue.setup}`);

    const subscriptions = h().stripe.creations('/v1/subscriptions');
    expect(subscriptions).toHaveLength(1);
    expect(subscriptions[0]!.params).toMatchObject({ items: [{ price: seatsPriceId, quantity: '3' }], add_invoice_items: [{ price: setupPriceId, quantity: '1' }] });
    expect(subscriptions[0]!.params.items[0]).not.toHaveProperty('price_data');
    const invoice = h().stripe.invoices().find((i) => i.id === result.invoiceId);
    expect(invoice).toMatchObject({ total: 35_000, status: 'open' });
    // Every creation carries a key that depends only on what it creates.
    expect(h().stripe.creations('/v1/prices').map((r) => r.idempotencyKey).sort()).toEqual(
      [`sfbridge:${catalogue.seatsEntry}:price:5000usd:month*1:licensed`, `sfbridge:${catalogue.setupEntry}:price:20000usd:once`].sort(),
    );
  });

  it('a replay and a second deal with the same products make no Stripe catalogue call', async () => {
    const catalogue = seedCatalogue();
    const first = seedDeal(catalogue);
    const event = commandEvent('subscription', first);
    await h().app.handle(event);
    const calls = catalogCalls().length;
    const entries = { ...record('PricebookEntry', catalogue.seatsEntry) };

    expect(await h().app.handle(event)).toMatchObject({ outcome: 'duplicate' });
    expect(await h().app.handle(commandEvent('subscription', first))).toMatchObject({ outcome: 'duplicate' });
    const second = await h().app.handle(commandEvent('subscription', seedDeal(catalogue)));

    expect(second.outcome).toBe('subscription_created');
    expect(catalogCalls()).toHaveLength(calls);
    expect(record('PricebookEntry', catalogue.seatsEntry)).toEqual(entries);
    expect(h().stripe.creations('/v1/subscriptions').at(-1)!.params.items[0]).toMatchObject({ price: entries.Stripe_Price_Id__c });
  });

  it('a line sold below list price is priced inline on the synced product; the catalogue price stays as it is', async () => {
    const catalogue = seedCatalogue();
    const opportunityId = seedDeal(catalogue, [{ productId: catalogue.seats, entryId: catalogue.seatsEntry, quantity: 10, unitPrice: 45 }]);
    await h().app.handle(commandEvent('subscription', opportunityId));

    const item = h().stripe.creations('/v1/subscriptions').at(-1)!.params.items[0];
    expect(item).toMatchObject({ price_data: { product: `sfprod_${catalogue.seats}`, unit_amount: '4500', currency: 'usd' }, quantity: '10' });
    expect(price(record('PricebookEntry', catalogue.seatsEntry).Stripe_Price_Id__c)).toMatchObject({ unit_amount: 5000, active: true });
    // The product was created by the sync, not again by the plan.
    expect(h().stripe.creations('/v1/products').filter((r) => r.params.id === `sfprod_${catalogue.seats}`)).toHaveLength(1);
  });
});

describe('sync_product on a Product2', () => {
  const manager = '005Ab0000000CATAAA';
  const syncEvent = (productId: string, requestedBy = manager) => commandEvent('sync_product', productId, { requestedBy });
  const grant = () => h().salesforce.grantCustomPermission(manager, 'Stripe_Manage_Billing', 'Stripe_Bridge_Support');

  it('creates the product and a price per active entry in its currency, writes the ids back and logs what changed', async () => {
    grant();
    const { seats, seatsEntry } = seedCatalogue();
    const inactive = entry(seats, 99, { IsActive: false });
    const event = syncEvent(seats);

    const result = await h().app.handle(event);

    expect(result).toMatchObject({ outcome: 'succeeded', stripeObjectId: `sfprod_${seats}` });
    expect(price(record('PricebookEntry', seatsEntry).Stripe_Price_Id__c)).toMatchObject({ unit_amount: 5000, active: true });
    expect(record('PricebookEntry', inactive).Stripe_Price_Id__c ?? null).toBeNull();
    expect(h().stripe.creations('/v1/prices').filter((r) => r.params.product === `sfprod_${seats}`)).toHaveLength(1);
    const log = h().salesforce.records('Stripe_Sync_Log__c').find((l) => l.Event_Id__c === `sf:${event.detail.payload.EventUuid}`);
    expect(log).toMatchObject({ Status__c: 'Succeeded', Stripe_Object_Id__c: `sfprod_${seats}` });
    expect(String(log?.Message__c)).toContain('50.00 USD created');
  });

  it('a changed list price → a new price, the old one archived; back to the old price → the old price reactivated, nothing created', async () => {
    grant();
    const { seats, seatsEntry } = seedCatalogue();
    await h().app.handle(syncEvent(seats));
    const original = record('PricebookEntry', seatsEntry).Stripe_Price_Id__c;

    h().salesforce.insert('PricebookEntry', { Id: seatsEntry, Product2Id: seats, UnitPrice: 60, IsActive: true, Stripe_Price_Id__c: original });
    expect(await h().app.handle(syncEvent(seats))).toMatchObject({ outcome: 'succeeded' });
    const replacement = record('PricebookEntry', seatsEntry).Stripe_Price_Id__c;
    expect(replacement).not.toBe(original);
    expect(price(replacement)).toMatchObject({ unit_amount: 6000, active: true, product: `sfprod_${seats}` });
    expect(price(original)).toMatchObject({ unit_amount: 5000, active: false });

    h().salesforce.insert('PricebookEntry', { Id: seatsEntry, Product2Id: seats, UnitPrice: 50, IsActive: true, Stripe_Price_Id__c: replacement });
    const created = h().stripe.creations('/v1/prices').length;
    await h().app.handle(syncEvent(seats));
    expect(record('PricebookEntry', seatsEntry).Stripe_Price_Id__c).toBe(original);
    expect(price(original)).toMatchObject({ active: true });
    expect(price(replacement)).toMatchObject({ active: false });
    expect(h().stripe.creations('/v1/prices')).toHaveLength(created);
  });

  it('a product in sync costs no price or meter call; its name and active flag are kept in line', async () => {
    grant();
    const { seats } = seedCatalogue();
    await h().app.handle(syncEvent(seats));
    const before = catalogCalls().filter((r) => r.path.startsWith('/v1/prices') || r.path.startsWith('/v1/billing')).length;
    h().salesforce.insert('Product2', { Id: seats, Name: 'Seats (2027)', IsActive: true, Stripe_Billing_Interval__c: 'month', Stripe_Product_Id__c: `sfprod_${seats}` });

    await h().app.handle(syncEvent(seats));

    expect(catalogCalls().filter((r) => r.path.startsWith('/v1/prices') || r.path.startsWith('/v1/billing'))).toHaveLength(before);
    expect(h().stripe.creations(`/v1/products/sfprod_${seats}`).at(-1)?.params).toMatchObject({ name: 'Seats (2027)', active: 'true' });
  });

  it('an inactive Product2 archives its Stripe product', async () => {
    grant();
    const { seats } = seedCatalogue();
    await h().app.handle(syncEvent(seats));
    h().salesforce.insert('Product2', { Id: seats, Name: 'Seats', IsActive: false, Stripe_Billing_Interval__c: 'month', Stripe_Product_Id__c: `sfprod_${seats}` });

    const result = await h().app.handle(syncEvent(seats));

    expect(result).toMatchObject({ outcome: 'succeeded' });
    expect(result.message).toContain('archived');
    expect(h().stripe.creations(`/v1/products/sfprod_${seats}`).at(-1)?.params).toMatchObject({ active: 'false' });
  });

  it('refuses a requester without Stripe_Manage_Billing before anything reaches Stripe', async () => {
    const { seats } = seedCatalogue();
    const before = h().stripe.requests.length;
    const result = await h().app.handle(syncEvent(seats, SAMPLE_REP_ID));
    expect(result).toMatchObject({ outcome: 'rejected', code: 'PERMISSION_MISSING' });
    expect(result.reason).toContain('Stripe_Manage_Billing');
    expect(h().stripe.requests).toHaveLength(before);
  });

  it('refuses a product Stripe cannot sell (an unknown interval) with its reason', async () => {
    grant();
    const weird = product('Weird', { Stripe_Billing_Interval__c: 'month', Stripe_Interval_Count__c: 0 });
    entry(weird, 10);
    expect(await h().app.handle(syncEvent(weird))).toMatchObject({ outcome: 'rejected', code: 'INTERVAL_INVALID' });
  });
});

describe('metered products', () => {
  it('a metered line → a meter for the product, a metered price on it, a subscription item without quantity; the first invoice asks only for the rest', async () => {
    const catalogue = seedCatalogue();
    const calls = product('API calls', { Stripe_Billing_Interval__c: 'month', Stripe_Usage_Type__c: 'metered' });
    const callsEntry = entry(calls, 0.05);
    const opportunityId = seedDeal(catalogue, [
      { productId: catalogue.seats, entryId: catalogue.seatsEntry, quantity: 3, unitPrice: 50 },
      { productId: calls, entryId: callsEntry, quantity: 1, unitPrice: 0.05 },
    ]);

    const result = await h().app.handle(commandEvent('subscription', opportunityId));

    expect(result.outcome).toBe('subscription_created');
    const meters = h().stripe.creations('/v1/billing/meters');
    expect(meters).toHaveLength(1);
    expect(meters[0]!.params).toMatchObject({ event_name: `sfprod_${calls}`, default_aggregation: { formula: 'sum' }, customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' } });
    const meteredPrice = price(record('PricebookEntry', callsEntry).Stripe_Price_Id__c);
    expect(meteredPrice).toMatchObject({ unit_amount: 5, recurring: { usage_type: 'metered', interval: 'month' } });
    expect(meteredPrice?.recurring.meter).toMatch(/^mtr_/);
    const items = h().stripe.creations('/v1/subscriptions').at(-1)!.params.items as Array<Record<string, unknown>>;
    expect(items).toEqual([expect.objectContaining({ quantity: '3' }), expect.objectContaining({ price: meteredPrice?.id })]);
    expect(items[1]).not.toHaveProperty('quantity');
    expect(await h().billings.get('Opportunity', opportunityId)).toMatchObject({ amount: 15_000 });

    // A second metered deal reuses the meter: it is found, not created again.
    await h().app.handle(commandEvent('subscription', seedDeal(catalogue, [{ productId: calls, entryId: callsEntry, quantity: 1, unitPrice: 0.05 }])));
    expect(h().stripe.creations('/v1/billing/meters')).toHaveLength(1);
  });

  it('a metered line sold off its list price is refused: usage is billed at the list price', async () => {
    const catalogue = seedCatalogue();
    const calls = product('API calls', { Stripe_Billing_Interval__c: 'month', Stripe_Usage_Type__c: 'metered' });
    const opportunityId = seedDeal(catalogue, [{ productId: calls, entryId: entry(calls, 0.05), quantity: 1, unitPrice: 0.04 }]);
    expect(await h().app.handle(commandEvent('subscription', opportunityId))).toMatchObject({ outcome: 'rejected', code: 'METERED_PRICE_MISMATCH' });
    expect(h().stripe.creations('/v1/subscriptions').filter((r) => r.params.metadata?.salesforce_opportunity_id === opportunityId)).toHaveLength(0);
  });
});

describe('a synced price or product archived outside the bridge (Stripe Dashboard)', () => {
  const stripeClient = async () => (await import('../../src/stripe/client.js')).createStripeClient('sk_test_fake_catalog', { apiUrl: h().stripe.url, maxNetworkRetries: 0 });

  it('the billing Stripe refuses for it is recovered: the price and product reactivated, the refused step sent again once, billed at the same prices', async () => {
    const catalogue = seedCatalogue();
    await h().app.handle(commandEvent('subscription', seedDeal(catalogue)));
    const seatsPriceId = String(record('PricebookEntry', catalogue.seatsEntry).Stripe_Price_Id__c);
    const setupPriceId = String(record('PricebookEntry', catalogue.setupEntry).Stripe_Price_Id__c);
    // Someone archives the seats price and the onboarding product in the Dashboard; the cache still says "in sync".
    const stripe = await stripeClient();
    await stripe.prices.update(seatsPriceId, { active: false });
    await stripe.products.update(`sfprod_${catalogue.setup}`, { active: false });
    const calls = catalogCalls().length;

    const second = await h().app.handle(commandEvent('subscription', seedDeal(catalogue)));

    expect(second).toMatchObject({ outcome: 'subscription_created' });
    expect(price(seatsPriceId)).toMatchObject({ active: true });
    expect(await stripe.products.retrieve(`sfprod_${catalogue.setup}`)).toMatchObject({ active: true });
    expect(h().stripe.creations('/v1/subscriptions').at(-1)!.params).toMatchObject({ items: [{ price: seatsPriceId }], add_invoice_items: [{ price: setupPriceId }] });
    // Only the reactivations: both products and both prices of the deal, no new price.
    expect(catalogCalls().slice(calls).filter((r) => r.method === 'POST').map((r) => `${r.method} ${r.path}`).sort()).toEqual(
      [`POST /v1/prices/${seatsPriceId}`, `POST /v1/prices/${setupPriceId}`, `POST /v1/products/sfprod_${catalogue.seats}`, `POST /v1/products/sfprod_${catalogue.setup}`].sort(),
    );
    expect(h().stripe.creations('/v1/prices').filter((r) => r.params.product === `sfprod_${catalogue.seats}`)).toHaveLength(1);
  });

  it('an invoice whose item Stripe refuses for an archived price: reactivated, the item added again under a new key, one invoice', async () => {
    const catalogue = seedCatalogue();
    const deal = (): string => seedDeal(catalogue, [{ productId: catalogue.setup, entryId: catalogue.setupEntry, quantity: 2, unitPrice: 200 }]);
    await h().app.handle(commandEvent('invoice', deal()));
    const setupPriceId = String(record('PricebookEntry', catalogue.setupEntry).Stripe_Price_Id__c);
    await (await stripeClient()).prices.update(setupPriceId, { active: false });
    const invoicesBefore = h().stripe.invoices().length;

    const second = await h().app.handle(commandEvent('invoice', deal()));

    expect(second).toMatchObject({ outcome: 'invoiced' });
    expect(h().stripe.invoices()).toHaveLength(invoicesBefore + 1);
    expect(h().stripe.invoices().find((i) => i.id === second.invoiceId)).toMatchObject({ total: 40_000, status: 'open' });
    expect(price(setupPriceId)).toMatchObject({ active: true });
  });
});

describe('the Stripe stand-in refuses what Stripe refuses', () => {
  it('a metered price without a meter, a new amount on an existing price, an archived price or product on a subscription', async () => {
    const stripe = (await import('../../src/stripe/client.js')).createStripeClient('sk_test_fake_catalog', { apiUrl: h().stripe.url, maxNetworkRetries: 0 });
    const productId = `sfprod_standin_${Date.now()}`;
    await stripe.products.create({ id: productId, name: 'Stand-in check' });
    await expect(stripe.prices.create({ product: productId, currency: 'usd', unit_amount: 5, recurring: { interval: 'month', usage_type: 'metered' } })).rejects.toMatchObject({ type: 'StripeInvalidRequestError' });
    const created = await stripe.prices.create({ product: productId, currency: 'usd', unit_amount: 500, recurring: { interval: 'month' } });
    await expect(stripe.prices.update(created.id, { unit_amount: 600 } as never)).rejects.toMatchObject({ code: 'parameter_unknown' });
    await stripe.prices.update(created.id, { active: false });
    const customer = await stripe.customers.create({ name: 'Check' });
    await expect(stripe.subscriptions.create({ customer: customer.id, items: [{ price: created.id }] })).rejects.toMatchObject({ type: 'StripeInvalidRequestError' });
    // An active price of an archived product is refused too (stripe-go#1031, stripe-node#2131).
    await stripe.prices.update(created.id, { active: true });
    await stripe.products.update(productId, { active: false });
    await expect(stripe.subscriptions.create({ customer: customer.id, items: [{ price: created.id }] })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      param: 'items[0][price]',
      message: expect.stringContaining('is marked as inactive'),
    });
  });
});
