/**
 * The `subscription` command end to end: Stripe_Command__e → the outbound function (jsforce over
 * HTTP to the Salesforce stand-in, stripe-node over HTTP to the Stripe stand-in, dynalite) →
 * products, a subscription (or a subscription-mode Checkout Session) and the write-back.
 *
 * Stripe facts relied on (API reference): subscriptions take `items[].price_data` {currency,
 * product, unit_amount, recurring{interval, interval_count}} and one-time `add_invoice_items`
 * (https://docs.stripe.com/api/subscriptions/create); a product may be created with an id of the
 * caller's choosing (https://docs.stripe.com/api/products/create); a send_invoice subscription's
 * first invoice stays a draft for an hour (https://docs.stripe.com/billing/invoices/subscription);
 * Checkout in subscription mode needs a recurring line and takes `subscription_data`
 * (https://docs.stripe.com/api/checkout/sessions/create).
 */
import { describe, expect, it } from 'vitest';
import { useOutboundHarness } from '../outbound/harness.js';
import { commandEvent, seedAccount } from './support.js';

const h = useOutboundHarness();

const record = (sobject: string, id: string) => h().salesforce.records(sobject).find((r) => r.Id === id) ?? {};
const postsFor = (recordId: string) => h().stripe.requests.filter((r) => r.method === 'POST' && !r.replayed && r.status < 300 && r.idempotencyKey?.includes(recordId));

function product(name: string, fields: Record<string, unknown> = {}): string {
  return h().salesforce.insert('Product2', { Name: name, ...fields });
}

/** An Opportunity with a recurring line (3 seats × 50.00 a month) and a one-time setup fee (200.00). */
function seedDeal(opportunity: Record<string, unknown> = {}, lines?: Array<{ productId: string; name: string; quantity: number; unitPrice: number }>) {
  const accountId = seedAccount(h().salesforce);
  const opportunityId = h().salesforce.insert('Opportunity', { Name: 'Globex SaaS', AccountId: accountId, StageName: 'Closed Won', CloseDate: '2026-11-01', Amount: 350, ...opportunity });
  const seats = product('Seats', { Stripe_Billing_Interval__c: 'month', Stripe_Interval_Count__c: 1 });
  const setup = product('Onboarding');
  for (const line of lines ?? [
    { productId: seats, name: 'Seats', quantity: 3, unitPrice: 50 },
    { productId: setup, name: 'Onboarding', quantity: 1, unitPrice: 200 },
  ]) {
    h().salesforce.insert('OpportunityLineItem', { OpportunityId: opportunityId, Product2Id: line.productId, Name: line.name, Quantity: line.quantity, UnitPrice: line.unitPrice, TotalPrice: line.quantity * line.unitPrice });
  }
  return { accountId, opportunityId, seats, setup };
}

describe('subscription, send_invoice', () => {
  it('one recurring and one one-time line → one subscription with one item and one invoice item, its first invoice sent, written back', async () => {
    const { opportunityId, seats, setup } = seedDeal();
    const event = commandEvent('subscription', opportunityId);

    const result = await h().app.handle(event);

    expect(result).toMatchObject({ outcome: 'subscription_created', mode: 'subscription' });
    const created = h().stripe.creations('/v1/subscriptions');
    expect(created).toHaveLength(1);
    const params = created[0]!.params;
    expect(params).toMatchObject({
      collection_method: 'send_invoice',
      days_until_due: '30',
      items: [{ price_data: { currency: 'usd', product: `sfprod_${seats}`, unit_amount: '5000', recurring: { interval: 'month', interval_count: '1' } }, quantity: '3' }],
      add_invoice_items: [{ price_data: { currency: 'usd', product: `sfprod_${setup}`, unit_amount: '20000' }, quantity: '1' }],
      metadata: { salesforce_opportunity_id: opportunityId },
    });
    expect(h().stripe.creations('/v1/products').map((r) => r.params.id).sort()).toEqual([`sfprod_${seats}`, `sfprod_${setup}`].sort());

    const invoice = h().stripe.invoices().find((i) => i.id === result.invoiceId);
    expect(invoice).toMatchObject({ status: 'open', total: 35_000, billing_reason: 'subscription_create' });
    expect(invoice?.sent_at).toBeDefined();
    expect(record('Opportunity', opportunityId)).toMatchObject({
      Stripe_Subscription_Id__c: result.subscriptionId,
      Stripe_Invoice_Id__c: result.invoiceId,
      Stripe_Invoice_Url__c: invoice?.hosted_invoice_url,
      Stripe_Payment_Status__c: 'Awaiting Payment',
      Stripe_Amount_Billed__c: 350,
      Stripe_Sync_Error__c: null,
    });
    const billing = await h().billings.get('Opportunity', opportunityId);
    expect(billing).toMatchObject({ mode: 'subscription', state: 'billed', stripeObjectId: result.invoiceId, amount: 35_000, currency: 'usd' });
    const log = h().salesforce.records('Stripe_Sync_Log__c').find((l) => l.Event_Id__c === `sf:${event.detail.payload.EventUuid}`);
    expect(log).toMatchObject({ Status__c: 'Succeeded', Stripe_Object_Id__c: result.subscriptionId });
  });

  it('a replay of every step changes nothing: the same event, a new request, then another billing mode', async () => {
    const { opportunityId } = seedDeal();
    const event = commandEvent('subscription', opportunityId);
    const first = await h().app.handle(event);
    const posts = postsFor(opportunityId).length;
    const before = { ...record('Opportunity', opportunityId) };

    expect(await h().app.handle(event)).toMatchObject({ outcome: 'duplicate' });
    expect(await h().app.handle(commandEvent('subscription', opportunityId))).toMatchObject({ outcome: 'duplicate', code: 'ALREADY_BILLED' });
    expect(await h().app.handle(commandEvent('invoice', opportunityId))).toMatchObject({ outcome: 'duplicate', code: 'ALREADY_BILLED' });

    expect(postsFor(opportunityId)).toHaveLength(posts);
    expect(h().stripe.creations('/v1/subscriptions').filter((r) => r.params.metadata?.salesforce_opportunity_id === opportunityId)).toHaveLength(1);
    const after = record('Opportunity', opportunityId);
    expect(after).toMatchObject({ Stripe_Subscription_Id__c: first.subscriptionId, Stripe_Invoice_Id__c: before.Stripe_Invoice_Id__c });
  });

  it('two requests at once create one subscription', async () => {
    const { opportunityId } = seedDeal();
    const results = await Promise.allSettled([h().app.handle(commandEvent('subscription', opportunityId)), h().app.handle(commandEvent('subscription', opportunityId))]);
    const outcomes = results.map((r) => (r.status === 'fulfilled' ? r.value.outcome : 'retry'));
    expect(outcomes).toContain('subscription_created');
    expect(h().stripe.creations('/v1/subscriptions').filter((r) => r.params.metadata?.salesforce_opportunity_id === opportunityId)).toHaveLength(1);
  });

  it('honours start date, trial and term from the Opportunity: a future start defers the first charge, the term ends it', async () => {
    // The harness clock: 2026-11-01T00:00:00Z; the command was requested then.
    const { opportunityId } = seedDeal({ Stripe_Subscription_Start_Date__c: '2026-12-01', Stripe_Trial_Days__c: 14, Stripe_Term_Months__c: 12 });
    const result = await h().app.handle(commandEvent('subscription', opportunityId));
    expect(result.outcome).toBe('subscription_created');
    const params = h().stripe.creations('/v1/subscriptions').at(-1)!.params;
    const start = Date.UTC(2026, 11, 1) / 1000;
    expect(params).toMatchObject({ trial_end: String(start + 14 * 86_400), cancel_at: String(Date.UTC(2027, 11, 1) / 1000) });
    expect(params).not.toHaveProperty('backdate_start_date');
    // Nothing recurring is due before the start: the first invoice asks for the setup fee only.
    expect(await h().billings.get('Opportunity', opportunityId)).toMatchObject({ amount: 20_000 });
  });

  it('a past start date backdates the subscription', async () => {
    const { opportunityId } = seedDeal({ Stripe_Subscription_Start_Date__c: '2026-10-01' });
    await h().app.handle(commandEvent('subscription', opportunityId));
    expect(h().stripe.creations('/v1/subscriptions').at(-1)!.params).toMatchObject({ backdate_start_date: String(Date.UTC(2026, 9, 1) / 1000) });
  });

  it('a product sold before is not created again (its id is the Product2 id)', async () => {
    const first = seedDeal();
    await h().app.handle(commandEvent('subscription', first.opportunityId));
    // Days later: Stripe forgot the product's idempotency key; the id it chose refuses a twin.
    h().stripe.expireIdempotencyKeys();
    const accountId = seedAccount(h().salesforce);
    const opportunityId = h().salesforce.insert('Opportunity', { Name: 'Second deal', AccountId: accountId, StageName: 'Closed Won', CloseDate: '2026-11-01' });
    h().salesforce.insert('OpportunityLineItem', { OpportunityId: opportunityId, Product2Id: first.seats, Name: 'Seats', Quantity: 1, UnitPrice: 50, TotalPrice: 50 });

    const result = await h().app.handle(commandEvent('subscription', opportunityId));

    expect(result.outcome).toBe('subscription_created');
    const attempts = h().stripe.requests.filter((r) => r.path === '/v1/products' && r.params.id === `sfprod_${first.seats}`);
    expect(attempts.map((r) => r.status)).toEqual([200, 400]);
    expect(h().stripe.lists.get('products', `sfprod_${first.seats}`)).toBeDefined();
  });
});

describe('subscription, charge_automatically', () => {
  it('issues a Checkout Session in subscription mode and writes its URL back', async () => {
    const { opportunityId, seats } = seedDeal({ Stripe_Trial_Days__c: 7 });
    const result = await h().app.handle(commandEvent('subscription', opportunityId, { options: '{"collectionMethod": "charge_automatically"}' }));

    expect(result).toMatchObject({ outcome: 'subscription_created', mode: 'subscription' });
    const session = h().stripe.checkoutSessions().find((s) => s.id === result.checkoutSessionId);
    expect(session).toMatchObject({ mode: 'subscription', status: 'open', subscription_data: { metadata: { salesforce_opportunity_id: opportunityId } } });
    expect(session?.line_items[0]).toMatchObject({ quantity: 3, price: { product: `sfprod_${seats}`, recurring: { interval: 'month' } } });
    expect(h().stripe.creations('/v1/subscriptions').filter((r) => r.params.metadata?.salesforce_opportunity_id === opportunityId)).toHaveLength(0);
    expect(record('Opportunity', opportunityId)).toMatchObject({ Stripe_Checkout_Session_Id__c: session?.id, Stripe_Checkout_Url__c: session?.url, Stripe_Payment_Status__c: 'Awaiting Payment' });
  });

  it('refuses a past start date (Checkout cannot backdate), creating nothing', async () => {
    const { opportunityId } = seedDeal({ Stripe_Collection_Method__c: 'charge_automatically', Stripe_Subscription_Start_Date__c: '2026-10-01' });
    const result = await h().app.handle(commandEvent('subscription', opportunityId));
    expect(result).toMatchObject({ outcome: 'rejected', code: 'START_DATE_UNSUPPORTED' });
    expect(postsFor(opportunityId)).toHaveLength(0);
    expect(String(record('Opportunity', opportunityId).Stripe_Sync_Error__c)).toContain('START_DATE_UNSUPPORTED');
  });
});

describe('refusals', () => {
  it('an Opportunity without recurring products is refused for the rep; nothing reaches Stripe', async () => {
    const accountId = seedAccount(h().salesforce);
    const opportunityId = h().salesforce.insert('Opportunity', { Name: 'One-off', AccountId: accountId, StageName: 'Closed Won', CloseDate: '2026-11-01' });
    h().salesforce.insert('OpportunityLineItem', { OpportunityId: opportunityId, Product2Id: product('Consulting'), Name: 'Consulting', Quantity: 1, UnitPrice: 900, TotalPrice: 900 });
    const result = await h().app.handle(commandEvent('subscription', opportunityId));
    expect(result).toMatchObject({ outcome: 'rejected', code: 'NO_RECURRING_LINES' });
    expect(postsFor(opportunityId)).toHaveLength(0);
    expect(await h().billings.get('Opportunity', opportunityId)).toBeUndefined();
  });

  it('a metered line without a price book entry is refused: a metered price needs the catalogue (its meter)', async () => {
    const meter = product('API calls', { Stripe_Billing_Interval__c: 'month', Stripe_Usage_Type__c: 'metered' });
    const { opportunityId } = seedDeal({}, [{ productId: meter, name: 'API calls', quantity: 1, unitPrice: 0.5 }]);
    expect(await h().app.handle(commandEvent('subscription', opportunityId))).toMatchObject({ outcome: 'rejected', code: 'METERED_PRICE_MISSING' });
  });
});
