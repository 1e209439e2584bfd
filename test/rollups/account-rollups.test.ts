/**
 * The Account at a glance, end to end: Stripe events through the consumer into the Salesforce
 * stand-in, which answers the roll-up's aggregate queries as Salesforce documents them, and the
 * Account's figures read back. Recomputed, not incremented: a replay changes nothing.
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/local/sample-events.js';
import { inboundRecord, startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';

let h: ConsumerHarness;
let seq = 0;
const id = (prefix: string) => `${prefix}_test_rollup${(seq += 1)}`;
const DAY = 86_400;

beforeAll(async () => {
  h = await startConsumerHarness();
});
afterAll(async () => h.close());

/** A fresh Account linked to a fresh Stripe customer. */
function newCustomer(fields: Record<string, unknown> = {}): { customer: string; accountId: string } {
  const customer = id('cus');
  const accountId = h.salesforce.insert('Account', { Name: `Rollup ${customer}`, Stripe_Customer_Id__c: customer, ...fields });
  return { customer, accountId };
}

const account = (accountId: string) => h.salesforce.records('Account').find((r) => r['Id'] === accountId) ?? {};
const FIGURES = [
  'Stripe_Lifetime_Paid__c',
  'Stripe_Open_Balance__c',
  'Stripe_Open_Invoices__c',
  'Stripe_Last_Payment_At__c',
  'Stripe_Last_Payment_Amount__c',
  'Stripe_Payment_Health__c',
  'Stripe_Payment_Health_Reason__c',
  'Stripe_Active_Subscriptions__c',
  'Stripe_Unconverted_Amounts__c',
  'Stripe_Rollup_Version__c',
] as const;
const figures = (accountId: string) => Object.fromEntries(FIGURES.map((f) => [f, account(accountId)[f]]));

/** A realistic story of one customer, 40 days up to the harness's clock. */
function story(customer: string): Stripe.Event[] {
  const now = Math.floor(h.nowMs / 1000);
  const start = now - 40 * DAY;
  const common = { customer, metadata: {} };
  const pi = [id('pi'), id('pi'), id('pi'), id('pi')];
  return [
    sampleEvent('payment_intent.succeeded', { ...common, id: id('evt'), created: start, objectId: pi[0], amount: 10_000 }),
    sampleEvent('payment_intent.succeeded', { ...common, id: id('evt'), created: start + DAY, objectId: pi[1], amount: 5_000 }),
    sampleEvent('charge.refunded', { ...common, id: id('evt'), created: start + 2 * DAY, paymentIntent: pi[1], amount: 5_000, amountRefunded: 2_000 }),
    // Finalized 40 days ago (the sample finalizes a day before its event), due 30 days after: 10 days past due now.
    sampleEvent('invoice.finalized', { ...common, id: id('evt'), created: start + DAY, objectId: id('in'), amount: 3_000 }),
    sampleEvent('payment_intent.payment_failed', { ...common, id: id('evt'), created: start + 3 * DAY, objectId: pi[2], amount: 700 }),
    // A currency this single-currency (USD) org cannot convert.
    sampleEvent('payment_intent.succeeded', { ...common, id: id('evt'), created: start + 4 * DAY, objectId: pi[3], amount: 1_000, currency: 'jpy' }),
  ];
}

describe('Account roll-ups through the consumer', () => {
  it('leaves the Account with its payment story in figures, and the same events replayed leave them unchanged', async () => {
    const { customer, accountId } = newCustomer();
    const events = story(customer);
    const first = await h.app.handle(events.map((e) => inboundRecord(e)));
    expect([...first.outcomes.values()].every((o) => o === 'applied')).toBe(true);

    expect(figures(accountId)).toMatchObject({
      // 100.00 + 50.00 − 20.00 refunded; the JPY payment is not converted in a USD-only org.
      Stripe_Lifetime_Paid__c: 130,
      Stripe_Open_Balance__c: 30,
      Stripe_Open_Invoices__c: 1,
      Stripe_Payment_Health__c: 'At Risk',
      Stripe_Payment_Health_Reason__c: 'an invoice is 10 days past due',
      Stripe_Active_Subscriptions__c: 0,
      Stripe_Unconverted_Amounts__c: 'JPY 1000 paid, JPY 1000 last payment',
    });
    expect(account(accountId)['Stripe_Last_Payment_At__c']).toBe(new Date((Math.floor(h.nowMs / 1000) - 36 * DAY) * 1000).toISOString());
    const before = figures(accountId);

    // Stripe redelivers everything (new SQS messages): duplicates, nothing moves.
    const replay = await h.app.handle(events.map((e) => inboundRecord(e)));
    expect([...replay.outcomes.values()].every((o) => o === 'duplicate')).toBe(true);
    expect(figures(accountId)).toEqual(before);

    // A new execution environment and a later event of another Account: this Account unchanged.
    h.coldStart();
    const other = newCustomer();
    await h.app.handle([inboundRecord(sampleEvent('payment_intent.succeeded', { customer: other.customer, metadata: {}, id: id('evt'), objectId: id('pi') }))]);
    expect(figures(accountId)).toEqual(before);
    expect(account(other.accountId)).toMatchObject({ Stripe_Lifetime_Paid__c: 49.99, Stripe_Payment_Health__c: 'Good' });
  });

  it('recomputes from Salesforce, so an event the bridge missed is counted once the next one arrives', async () => {
    const { customer, accountId } = newCustomer();
    // A payment written by someone else (a backfill, an admin): no event carried it.
    h.salesforce.insert('Stripe_Payment__c', {
      Stripe_Id__c: id('pi'),
      Account__c: accountId,
      Status__c: 'Succeeded',
      Amount__c: 12.5,
      Currency_Code__c: 'USD',
      Paid_At__c: '2025-12-01T00:00:00.000Z',
      SystemModstamp: '2025-12-01T00:00:00.000Z',
    });
    await h.app.handle([inboundRecord(sampleEvent('payment_intent.succeeded', { customer, metadata: {}, id: id('evt'), objectId: id('pi'), amount: 2_000 }))]);
    expect(account(accountId)).toMatchObject({ Stripe_Lifetime_Paid__c: 32.5, Stripe_Payment_Health__c: 'Good' });
  });

  it('costs one Salesforce call for the events and one for every Account they touched, warm', async () => {
    const a = newCustomer();
    const b = newCustomer();
    await h.app.handle([inboundRecord(sampleEvent('payment_intent.succeeded', { customer: a.customer, metadata: {}, id: id('evt'), objectId: id('pi') }))]);
    const calls = h.salesforce.apiCalls;
    const batch = Array.from({ length: 10 }, (_, i) =>
      sampleEvent('payment_intent.succeeded', { customer: i % 2 === 0 ? a.customer : b.customer, metadata: {}, id: id('evt'), objectId: id('pi'), amount: 1_000 }),
    );
    const summary = await h.app.handle(batch.map((e) => inboundRecord(e)));
    expect(h.salesforce.apiCalls - calls).toBe(2);
    expect(summary.salesforceApiCalls).toBe(2);
    expect(account(a.accountId)['Stripe_Lifetime_Paid__c']).toBe(99.99);
    expect(account(b.accountId)['Stripe_Lifetime_Paid__c']).toBe(50);
    expect(h.logs.lines.filter((l) => l['rollup'] === 'accounts').at(-1), JSON.stringify(h.logs.lines.filter((l) => l['rollup'] !== undefined).at(-1))).toMatchObject({ accounts: 2, written: 2, staleAccounts: 0 });
  });

  it('keeps the newest roll-up when concurrent batches touch the same Account', async () => {
    const { customer, accountId } = newCustomer();
    h.salesforce.jitter = { seed: 7, maxMs: 15 };
    try {
      const batches = Array.from({ length: 4 }, (_, b) =>
        Array.from({ length: 3 }, () => sampleEvent('payment_intent.succeeded', { customer, metadata: {}, id: id('evt'), objectId: id('pi'), amount: 100 * (b + 1) })),
      );
      await Promise.all(batches.map((events) => h.app.handle(events.map((e) => inboundRecord(e)))));
    } finally {
      h.salesforce.jitter = undefined;
    }
    // 3 × (1 + 2 + 3 + 4) USD, whatever order the roll-ups landed in.
    expect(account(accountId)['Stripe_Lifetime_Paid__c']).toBe(30);
    const newest = Math.max(...h.salesforce.records('Stripe_Payment__c').filter((p) => p['Account__c'] === accountId).map((p) => Date.parse(String(p['SystemModstamp']))));
    expect(account(accountId)['Stripe_Rollup_Version__c']).toBe(newest);
  });

  it('writes no figures while Salesforce refuses the batch, and the retry writes them', async () => {
    const { customer, accountId } = newCustomer();
    const record = inboundRecord(sampleEvent('payment_intent.succeeded', { customer, metadata: {}, id: id('evt'), objectId: id('pi') }));
    h.salesforce.failNextRequests(1, 503, 'SERVER_UNAVAILABLE');
    const calls = h.salesforce.apiCalls;
    const failed = await h.app.handle([record]);
    expect([...failed.outcomes.values()]).toEqual(['retry']);
    expect(h.salesforce.apiCalls - calls).toBe(1);
    expect(account(accountId)['Stripe_Lifetime_Paid__c']).toBeUndefined();
    const retried = await h.app.handle([{ ...record, receiveCount: 2 }]);
    expect([...retried.outcomes.values()]).toEqual(['applied']);
    expect(account(accountId)['Stripe_Lifetime_Paid__c']).toBe(49.99);
  });
});

describe('Account roll-ups in a multi-currency org', () => {
  it("converts every currency into the Account's with the org's rates; a currency without a rate is listed, not added", async () => {
    h.salesforce.setOrganization({ multiCurrency: true, conversionRates: { USD: 1, EUR: 0.9, JPY: 150 } });
    h.coldStart();
    try {
      const { customer, accountId } = newCustomer({ CurrencyIsoCode: 'EUR' });
      const common = { customer, metadata: {} };
      await h.app.handle(
        [
          sampleEvent('payment_intent.succeeded', { ...common, id: id('evt'), objectId: id('pi'), amount: 10_000, currency: 'usd', created: 1_766_000_000 }),
          sampleEvent('payment_intent.succeeded', { ...common, id: id('evt'), objectId: id('pi'), amount: 1_000, currency: 'jpy', created: 1_766_000_100 }),
          sampleEvent('payment_intent.succeeded', { ...common, id: id('evt'), objectId: id('pi'), amount: 5_000, currency: 'eur', created: 1_766_000_200 }),
          sampleEvent('payment_intent.succeeded', { ...common, id: id('evt'), objectId: id('pi'), amount: 1_500, currency: 'kwd', created: 1_766_000_050 }),
        ].map((e) => inboundRecord(e)),
      );
      expect(account(accountId)).toMatchObject({
        // 100 USD → 90.00 EUR, 1000 JPY → 6.00 EUR, 50.00 EUR; KWD has no rate in this org.
        Stripe_Lifetime_Paid__c: 146,
        // The latest payment, 50.00 EUR, in EUR.
        Stripe_Last_Payment_Amount__c: 50,
        Stripe_Unconverted_Amounts__c: 'KWD 1.500 paid',
      });
    } finally {
      h.salesforce.setOrganization({ multiCurrency: false, conversionRates: { USD: 1 } });
      h.coldStart();
    }
  });
});
