/**
 * Queued roll-ups (ROLLUP_WRITES=queued), end to end: the consumer reads in its own Composite
 * request and sends the Account updates to the roll-up queue (captured here); the roll-up writer
 * writes many messages at once against the same Salesforce stand-in. The newest figures win
 * whatever the order and grouping of delivery; Salesforce down → retried; a deleted Account →
 * skipped.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadRollupWriterConfig } from '../../src/config.js';
import { createLogger } from '../../src/logging.js';
import { sampleEvent } from '../../src/local/sample-events.js';
import { createRollupWriterApp, type RollupWriterApp } from '../../src/rollups/rollup-writer-app.js';
import { queueRollupSink } from '../../src/rollups/rollup-queue.js';
import type { RollupRecord } from '../../src/rollups/rollup-writer.js';
import { CLIENT_ID, CLIENT_SECRET, inboundRecord, startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';
import { LogCapture } from '../support/log-capture.js';
import { upcomingRenewal } from '../support/renewal-events.js';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/test-rollups';

let h: ConsumerHarness;
let writer: RollupWriterApp;
let writerLogs: LogCapture;
/** What the consumer sent to the roll-up queue, in order. */
let queued: RollupRecord[] = [];
let seq = 0;
const id = (prefix: string) => `${prefix}_test_rollq${(seq += 1)}`;

beforeAll(async () => {
  h = await startConsumerHarness({ env: { ROLLUP_QUEUE_URL: QUEUE_URL, RENEWAL_OPPORTUNITIES: 'on' } });
  const sqs = {
    send: async (command: { input: { QueueUrl?: string; MessageBody?: string } }) => {
      expect(command.input.QueueUrl).toBe(QUEUE_URL);
      const messageId = `rollup-${(seq += 1)}`;
      queued.push({ messageId, body: command.input.MessageBody ?? '' });
      return { MessageId: messageId, $metadata: {} };
    },
  };
  h.coldStart({ rollupSink: queueRollupSink(sqs, QUEUE_URL) });
  writerLogs = new LogCapture();
  writer = createRollupWriterApp({
    config: loadRollupWriterConfig({ SALESFORCE_LOGIN_URL: h.salesforce.url, SALESFORCE_CLIENT_ID: CLIENT_ID, SALESFORCE_CLIENT_SECRET: CLIENT_SECRET, SALESFORCE_API_VERSION: '64.0' }),
    logger: createLogger({ service: 'rollup-writer', level: 'debug', destination: writerLogs }),
  });
  // Warm: the org's currencies are known, so the roll-up reads ride in each batch's own request.
  await h.app.handle([inboundRecord(sampleEvent('payment_intent.succeeded', { id: id('evt'), objectId: id('pi') }))]);
  await writer.handle(queued);
});
beforeEach(() => {
  queued = [];
});
afterAll(async () => h.close());

function newCustomer(): { customer: string; accountId: string } {
  const customer = id('cus');
  return { customer, accountId: h.salesforce.insert('Account', { Name: `Queued ${customer}`, Stripe_Customer_Id__c: customer }) };
}
const account = (accountId: string) => h.salesforce.records('Account').find((r) => r['Id'] === accountId) ?? {};
const paid = (customer: string, amount: number) => sampleEvent('payment_intent.succeeded', { customer, metadata: {}, id: id('evt'), objectId: id('pi'), amount });

/** One consumer batch; returns the roll-up message it queued. */
async function batch(customer: string, amounts: readonly number[]): Promise<RollupRecord> {
  const before = queued.length;
  const summary = await h.app.handle(amounts.map((a) => inboundRecord(paid(customer, a))));
  expect([...summary.outcomes.values()]).toEqual(amounts.map(() => 'applied'));
  // One Composite request: the writes with the roll-up reads; the Account update is queued.
  expect(summary.salesforceApiCalls).toBe(1);
  expect(queued.length).toBe(before + 1);
  return queued.at(-1) as RollupRecord;
}

describe('queued Account roll-ups', () => {
  it('costs the consumer batch one call; the writer writes the figures of many batches in one more', async () => {
    const a = newCustomer();
    const b = newCustomer();
    await batch(a.customer, [1_000, 2_000]);
    await batch(b.customer, [500]);
    expect(account(a.accountId)['Stripe_Lifetime_Paid__c']).toBeUndefined();
    const summary = await writer.handle(queued);
    expect(summary.salesforceApiCalls).toBe(1);
    expect(summary.response.batchItemFailures).toEqual([]);
    expect([...summary.outcomes.values()]).toEqual(['written', 'written']);
    expect(account(a.accountId)['Stripe_Lifetime_Paid__c']).toBe(30);
    expect(account(b.accountId)['Stripe_Lifetime_Paid__c']).toBe(5);
    expect(account(a.accountId)['Stripe_Payment_Health__c']).toBe('Good');
  });

  // Two batches of one Account, the second sees both: delivered in either order, together or apart.
  const orders = [
    { name: 'newer first, one worker batch', groups: (o: RollupRecord, n: RollupRecord) => [[n, o]], outcomes: { older: 'superseded', newer: 'written' } },
    { name: 'older first, one worker batch', groups: (o: RollupRecord, n: RollupRecord) => [[o, n]], outcomes: { older: 'superseded', newer: 'written' } },
    { name: 'older in a later worker batch', groups: (o: RollupRecord, n: RollupRecord) => [[n], [o]], outcomes: { older: 'stale', newer: 'written' } },
    { name: 'newer in a later worker batch', groups: (o: RollupRecord, n: RollupRecord) => [[o], [n]], outcomes: { older: 'written', newer: 'written' } },
  ] as const;
  for (const order of orders) {
    it(`ends on the newest figures: ${order.name}`, async () => {
      const { customer, accountId } = newCustomer();
      // Its first payment's onboarding Task (owner set by the roll-up) is written before.
      await writer.handle([await batch(customer, [500])]);
      const older = await batch(customer, [1_000]);
      const newer = await batch(customer, [2_000]);
      const outcomes = new Map<string, string>();
      for (const group of order.groups(older, newer)) {
        const summary = await writer.handle(group);
        expect(summary.response.batchItemFailures).toEqual([]);
        for (const [messageId, outcome] of summary.outcomes) outcomes.set(messageId, outcome);
      }
      expect(account(accountId)['Stripe_Lifetime_Paid__c']).toBe(35);
      expect(outcomes.get(older.messageId)).toBe(order.outcomes.older);
      expect(outcomes.get(newer.messageId)).toBe(order.outcomes.newer);
    });
  }

  it('ends on the newest figures with concurrent consumer batches and concurrent writers, in every order', async () => {
    h.salesforce.jitter = { seed: 11, maxMs: 15 };
    try {
      for (const reverse of [false, true]) {
        const { customer, accountId } = newCustomer();
        queued = [];
        const batches = [1, 2, 3, 4].map((n) => [n * 100, n * 100]);
        await Promise.all(batches.map((amounts) => h.app.handle(amounts.map((a) => inboundRecord(paid(customer, a))))));
        expect(queued.length).toBe(4);
        const messages = reverse ? [...queued].reverse() : [...queued];
        // Two writers at once (maxConcurrency 2), each with a worker batch of two messages.
        const summaries = await Promise.all([writer.handle(messages.slice(0, 2)), writer.handle(messages.slice(2))]);
        expect(summaries.flatMap((s) => s.response.batchItemFailures)).toEqual([]);
        // 2 × (1 + 2 + 3 + 4) USD: the last read saw every payment, and its roll-up won.
        expect(account(accountId)['Stripe_Lifetime_Paid__c']).toBe(20);
        const newest = Math.max(...h.salesforce.records('Stripe_Payment__c').filter((p) => p['Account__c'] === accountId).map((p) => Date.parse(String(p['SystemModstamp']))));
        expect(account(accountId)['Stripe_Rollup_Version__c']).toBe(newest);
      }
    } finally {
      h.salesforce.jitter = undefined;
    }
  });

  it('reports every message for retry while Salesforce is down, and the retry writes them', async () => {
    const { customer, accountId } = newCustomer();
    const message = await batch(customer, [4_200]);
    h.salesforce.failNextRequests(1, 503, 'SERVER_UNAVAILABLE');
    const down = await writer.handle([message]);
    expect(down.response.batchItemFailures).toEqual([{ itemIdentifier: message.messageId }]);
    expect(account(accountId)['Stripe_Lifetime_Paid__c']).toBeUndefined();
    const again = await writer.handle([message]);
    expect(again.response.batchItemFailures).toEqual([]);
    expect(account(accountId)['Stripe_Lifetime_Paid__c']).toBe(42);
  });

  it('skips an Account deleted since the read and writes the others of the same message', async () => {
    const gone = newCustomer();
    const kept = newCustomer();
    const summary = await h.app.handle([inboundRecord(paid(gone.customer, 100)), inboundRecord(paid(kept.customer, 300))]);
    expect(summary.salesforceApiCalls).toBe(1);
    // Salesforce's answer to an update of a deleted record.
    h.salesforce.failRecord('Account', gone.accountId, 'ENTITY_IS_DELETED', 'entity is deleted', 1);
    const written = await writer.handle(queued);
    expect(written.response.batchItemFailures).toEqual([]);
    expect(account(kept.accountId)['Stripe_Lifetime_Paid__c']).toBe(3);
    expect(account(gone.accountId)['Stripe_Lifetime_Paid__c']).toBeUndefined();
  });

  it('assigns a renewal Opportunity the batch created to the Account owner, with the figures of the same message', async () => {
    const owner = '005000000000077AAA';
    h.salesforce.insert('User', { Id: owner, Name: 'Queued Renewal Owner' });
    const customer = id('cus');
    const accountId = h.salesforce.insert('Account', { Name: `Queued ${customer}`, Stripe_Customer_Id__c: customer, OwnerId: owner });
    // A payment first: its roll-up read teaches this environment the Account, so the renewal names
    // it from memory and its owner comes with the roll-up (task-owners.ts).
    await writer.handle([await batch(customer, [700])]);
    // An annual renewal announced 7 days ahead (invoice.upcoming: the line's `period` is the
    // subscription period, API reference, Invoice Line Item; basil's parent.subscription_item_details).
    const renewal = 1_767_225_600 + 7 * 86_400;
    const subscription = id('sub');
    const upcoming = upcomingRenewal({ id: id('evt'), created: 1_767_225_600, customer, subscription, subscriptionItem: 'si_test_rollq', renewal });
    const summary = await h.app.handle([inboundRecord(upcoming)]);
    expect([...summary.outcomes.values()]).toEqual(['applied']);
    const opportunity = () => h.salesforce.records('Opportunity').find((o) => o['Stripe_Renewal_Key__c'] === `renewal:${subscription}:${renewal}`) ?? {};
    expect(opportunity()['AccountId']).toBe(accountId);
    const written = await writer.handle(queued);
    expect(written.response.batchItemFailures).toEqual([]);
    expect([...written.outcomes.values()].every((o) => o === 'written')).toBe(true);
    expect(opportunity()['OwnerId']).toBe(owner);
  });

  it('acknowledges a message Salesforce refuses for good, and retries an unreadable one without ROLLUP_DLQ_URL', async () => {
    const { customer, accountId } = newCustomer();
    const message = await batch(customer, [100]);
    h.salesforce.failRecord('Account', accountId, 'INVALID_FIELD_FOR_INSERT_UPDATE', 'refused', 1);
    const unreadable = { messageId: 'not-a-rollup', body: '{"kind":"account-rollups","computedAt":1,"mutations":[{"sobject":"Opportunity","key":{"field":"Id","value":"006000000000001AAA"},"fields":{}}]}' };
    const summary = await writer.handle([message, unreadable]);
    expect(summary.outcomes.get(message.messageId)).toBe('refused');
    expect(summary.response.batchItemFailures).toEqual([{ itemIdentifier: 'not-a-rollup' }]);
    expect(writerLogs.lines.some((l) => l['message'] === 'roll-up message unreadable; no roll-up DLQ configured (ROLLUP_DLQ_URL); retried' && l['errorCode'] === 'ROLLUP_MESSAGE_INVALID')).toBe(true);
  });
});
