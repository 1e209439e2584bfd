/**
 * What the consumer trusts (invariant 8), through the real code path: jsforce over HTTP against
 * the Salesforce stand-in, dynalite, the consumer core.
 *
 * - A deployment runs in the mode of its Stripe key ("API keys": `sk_test_`/`rk_test_` test keys,
 *   `sk_live_`/`rk_live_` live keys, https://docs.stripe.com/keys); events of the other mode and
 *   Connect events ("The connected account that originates the event", `account` on the Event
 *   object, https://docs.stripe.com/api/events/object) are skipped, logged and counted.
 * - An Account's Stripe customer is set once (the package's validation rule, modeled by the stand-in).
 * - Card details arrive with charge.succeeded, in any order relative to payment_intent.succeeded.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConsumerConfig } from '../../src/config.js';
import { createConsumerApp, type ConsumerApp } from '../../src/inbound/consumer-app.js';
import { ConfigError } from '../../src/errors.js';
import { createLogger } from '../../src/logging.js';
import type { SecretFetcher } from '../../src/secrets.js';
import { sampleEvent } from '../../src/local/sample-events.js';
import { STRIPE_API_VERSION } from '../../src/stripe/event-schemas.js';
import { CLIENT_ID, CLIENT_SECRET, inboundRecord, startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';
import { LogCapture } from '../support/log-capture.js';
import { atApiVersion } from '../support/stripe-api-versions.js';
import type Stripe from 'stripe';

let h: ConsumerHarness;
let seq = 0;
const id = (prefix: string) => `${prefix}_test_trust${(seq += 1)}`;
const T = 1_767_225_600;

beforeAll(async () => {
  h = await startConsumerHarness();
});
afterAll(async () => h.close());
beforeEach(() => h.logs.clear());

const payment = (pi: string) => h.salesforce.records('Stripe_Payment__c').find((r) => r['Stripe_Id__c'] === pi);

/** A consumer of the same services whose Stripe key is `key` (no Stripe calls are made). */
function appWithKey(key: Record<string, string>, logs: LogCapture, secretFetcher?: SecretFetcher): ConsumerApp {
  const config = loadConsumerConfig({
    DEDUP_TABLE_NAME: h.dynamo.tableName,
    SALESFORCE_LOGIN_URL: h.salesforce.url,
    SALESFORCE_CLIENT_ID: CLIENT_ID,
    SALESFORCE_CLIENT_SECRET: CLIENT_SECRET,
    STRIPE_API_URL: 'http://127.0.0.1:9',
    ...key,
  });
  return createConsumerApp({
    config,
    logger: createLogger({ service: 'consumer', destination: logs }),
    dynamo: h.dynamo.client,
    deadLetter: async () => {
      throw new Error('nothing is dead-lettered here');
    },
    stripeObjectReads: {},
    ...(secretFetcher ? { secretFetcher } : {}),
  });
}

describe("the deployment's mode follows its Stripe key", () => {
  const succeeded = (livemode: boolean, extra: Partial<Stripe.Event> = {}) => {
    const pi = id('pi');
    return { pi, event: { ...sampleEvent('payment_intent.succeeded', { id: id('evt'), objectId: pi, livemode, metadata: {} }), ...extra } as Stripe.Event };
  };

  it.each([
    ['a test key (sk_test_)', { STRIPE_SECRET_KEY: 'sk_test_fake_mode_check' }, true],
    ['a restricted test key (rk_test_)', { STRIPE_SECRET_KEY: 'rk_test_fake_mode_check' }, true],
    ['a live key (sk_live_)', { STRIPE_SECRET_KEY: 'sk_live_fake_mode_check' }, false],
  ] as const)('with %s, events of the other mode are skipped, logged and counted; its own are applied', async (_label, key, testMode) => {
    const logs = new LogCapture();
    const app = appWithKey(key, logs);
    const other = succeeded(testMode);
    const own = succeeded(!testMode);
    const summary = await app.handle([inboundRecord(other.event, { messageId: 'm-other' }), inboundRecord(own.event, { messageId: 'm-own' })]);

    expect(summary.outcomes.get('m-other')).toBe('skipped');
    expect(summary.outcomes.get('m-own')).toBe('applied');
    expect(payment(other.pi)).toBeUndefined();
    expect(payment(own.pi)).toMatchObject({ Status__c: 'Succeeded', Livemode__c: !testMode });
    const skipped = logs.lines.find((l) => l['eventId'] === other.event.id);
    expect(skipped).toMatchObject({ outcome: 'skipped' });
    expect(String(skipped?.['note'])).toContain(`${testMode ? 'live' : 'test'}-mode event in a ${testMode ? 'test' : 'live'}-mode deployment`);
  });

  it('skips Connect events (event.account) even when their object would not pass the schema', async () => {
    const logs = new LogCapture();
    const app = appWithKey({ STRIPE_SECRET_KEY: 'sk_test_fake_mode_check' }, logs);
    const connect = succeeded(false, { account: 'acct_test_connected1' } as Partial<Stripe.Event>);
    const json = JSON.parse(JSON.stringify(connect.event));
    delete json.data.object.amount;
    const record = inboundRecord(json as Stripe.Event, { messageId: 'm-connect' });
    const summary = await app.handle([record]);
    expect(summary.outcomes.get('m-connect')).toBe('skipped');
    expect(payment(connect.pi)).toBeUndefined();
    expect(String(logs.lines.find((l) => l['eventId'] === connect.event.id)?.['note'])).toContain('Connect event');
  });

  it('without a Stripe key, applies both modes and says so once per cold start', async () => {
    // The harness's consumer has no STRIPE_SECRET_KEY.
    const live = succeeded(true);
    const test = succeeded(false);
    h.coldStart();
    await h.app.handle([inboundRecord(live.event)]);
    await h.app.handle([inboundRecord(test.event)]);
    expect(payment(live.pi)).toMatchObject({ Livemode__c: true });
    expect(payment(test.pi)).toMatchObject({ Livemode__c: false });
    expect(h.logs.lines.filter((l) => String(l['message']).startsWith('no Stripe API key configured'))).toHaveLength(1);
  });

  it('waits (retries) while the key in Secrets Manager cannot be read, then applies only its own mode', async () => {
    const logs = new LogCapture();
    const secret: { value?: string } = {};
    const fetcher: SecretFetcher = {
      fetch: async (arn) => {
        // As secretsManagerFetcher answers a secret the stack created empty.
        if (secret.value === undefined) throw new ConfigError(`Secret ${arn} has no value yet`, [arn]);
        return secret.value;
      },
    };
    const app = appWithKey({ STRIPE_SECRET_KEY_ARN: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:stripe-fake' }, logs, fetcher);
    const test = succeeded(false);
    const live = succeeded(true);
    const records = () => [inboundRecord(test.event, { messageId: 'm-test' }), inboundRecord(live.event, { messageId: 'm-live' })];
    const first = await app.handle(records());
    expect(first.response.batchItemFailures).toEqual([{ itemIdentifier: 'm-test' }, { itemIdentifier: 'm-live' }]);
    expect(payment(test.pi)).toBeUndefined();

    secret.value = 'rk_test_fake_filled_in';
    const second = await app.handle(records());
    expect(second.outcomes.get('m-test')).toBe('applied');
    expect(second.outcomes.get('m-live')).toBe('skipped');
  });
});

describe("an Account's Stripe customer is set once", () => {
  const account = (accountId: string) => h.salesforce.records('Account').find((a) => a['Id'] === accountId);
  const customerEvent = (customer: string, accountId: string, created = T) =>
    sampleEvent('customer.updated', { id: id('evt'), objectId: customer, created, metadata: { salesforce_account_id: accountId } });

  it('links an Account that has no customer yet', async () => {
    const accountId = h.salesforce.insert('Account', { Name: 'New customer' });
    const summary = await h.app.handle([inboundRecord(customerEvent('cus_test_first1', accountId), { messageId: 'm-link' })]);
    expect(summary.outcomes.get('m-link')).toBe('applied');
    expect(account(accountId)).toMatchObject({ Stripe_Customer_Id__c: 'cus_test_first1' });
  });

  it('never moves a linked Account to another customer, in any order, and dead-letters nothing', async () => {
    const accountId = h.salesforce.insert('Account', { Name: 'Linked', Stripe_Customer_Id__c: 'cus_test_owner1' });
    // The other customer's event is newer: ordering alone would let it through.
    const hijack = customerEvent('cus_test_other1', accountId, T + 3600);
    const summary = await h.app.handle([inboundRecord(hijack, { messageId: 'm-hijack' })]);
    expect(summary.outcomes.get('m-hijack')).toBe('applied');
    expect(h.deadLetters).toHaveLength(0);
    expect(account(accountId)).toMatchObject({ Stripe_Customer_Id__c: 'cus_test_owner1' });
    expect(h.logs.lines.some((l) => l['message'] === 'salesforce: record refused by a rule the bridge expects; skipped' && l['recordId'] === accountId)).toBe(true);
  });

  it('two customers naming the same blank Account in one batch: exactly one of them links it', async () => {
    const accountId = h.salesforce.insert('Account', { Name: 'Contested' });
    await h.app.handle([inboundRecord(customerEvent('cus_test_a1', accountId, T)), inboundRecord(customerEvent('cus_test_b1', accountId, T + 1))]);
    expect(['cus_test_a1', 'cus_test_b1']).toContain(account(accountId)?.['Stripe_Customer_Id__c']);
    await h.app.handle([inboundRecord(customerEvent('cus_test_c1', accountId, T + 2))]);
    expect(['cus_test_a1', 'cus_test_b1']).toContain(account(accountId)?.['Stripe_Customer_Id__c']);
    expect(h.deadLetters).toHaveLength(0);
  });
});

describe('card details from charge.succeeded', () => {
  const pair = (created: number) => {
    const pi = id('pi');
    const ch = id('ch');
    const succeeded = sampleEvent('payment_intent.succeeded', { id: id('evt'), created, objectId: pi, metadata: {} });
    const charge = sampleEvent('charge.succeeded', { id: id('evt'), created, objectId: ch, paymentIntent: pi, metadata: {}, amountRefunded: 0 });
    return { pi, succeeded, charge };
  };

  it.each([
    ['in one batch', (p: ReturnType<typeof pair>) => [[p.succeeded, p.charge]]],
    ['charge first', (p: ReturnType<typeof pair>) => [[p.charge], [p.succeeded]]],
    ['charge last', (p: ReturnType<typeof pair>) => [[p.succeeded], [p.charge]]],
  ] as const)('%s: the payment shows Succeeded with brand and last 4', async (_label, batches) => {
    const p = pair(T);
    for (const batch of batches(p)) {
      const summary = await h.app.handle(batch.map((event) => inboundRecord(event)));
      expect([...summary.outcomes.values()].every((o) => o === 'applied')).toBe(true);
    }
    expect(payment(p.pi)).toMatchObject({ Status__c: 'Succeeded', Amount__c: 49.99, Card_Brand__c: 'visa', Card_Last4__c: '4242' });
  });

  it('a charge.succeeded older than a refund still brings the card, and does not undo the refund', async () => {
    const p = pair(T);
    const refunded = sampleEvent('charge.refunded', { id: id('evt'), created: T + 60, paymentIntent: p.pi, metadata: {} });
    await h.app.handle([inboundRecord(refunded)]);
    await h.app.handle([inboundRecord(p.charge)]);
    await h.app.handle([inboundRecord(p.succeeded)]);
    expect(payment(p.pi)).toMatchObject({ Status__c: 'Refunded', Card_Last4__c: '4242' });
  });
});

describe('API versions', () => {
  it('processes a 2022-08-01 and a pinned invoice event alike, and logs each version once per cold start', async () => {
    h.coldStart();
    const subscription = id('sub');
    const old = atApiVersion(sampleEvent('invoice.paid', { id: id('evt'), objectId: id('in'), subscription }), '2022-08-01');
    const older = atApiVersion(sampleEvent('invoice.paid', { id: id('evt'), objectId: id('in'), subscription }), '2022-08-01');
    const pinned = sampleEvent('invoice.paid', { id: id('evt'), objectId: id('in'), subscription });
    const summary = await h.app.handle([old, older, pinned].map((event, i) => inboundRecord(event as Stripe.Event, { messageId: `m-v${i}` })));
    expect([...summary.outcomes.values()]).toEqual(['applied', 'applied', 'applied']);
    const invoices = h.salesforce.records('Stripe_Invoice__c').filter((r) => r['Stripe_Subscription_Id__c'] === subscription);
    expect(invoices).toHaveLength(3);
    const versionLines = h.logs.lines.filter((l) => typeof l['eventApiVersion'] === 'string');
    expect(versionLines.map((l) => l['eventApiVersion']).sort()).toEqual(['2022-08-01', STRIPE_API_VERSION].sort());
    expect(versionLines.every((l) => l['level'] === 'info')).toBe(true);
  });

  it('warns, once, about a version older than supported, and still processes the event', async () => {
    h.coldStart();
    const event = { ...sampleEvent('customer.subscription.updated', { id: id('evt'), objectId: id('sub') }), api_version: '2020-08-27' } as Stripe.Event;
    const json = atApiVersion(event, '2020-08-27');
    const summary = await h.app.handle([inboundRecord(json as Stripe.Event, { messageId: 'm-2020' })]);
    expect(summary.outcomes.get('m-2020')).toBe('applied');
    expect(h.logs.lines.filter((l) => l['eventApiVersion'] === '2020-08-27' && l['level'] === 'warn')).toHaveLength(1);
  });
});
