/** Invariants 3 and 4: nothing lost; transient failures retried, permanent ones dead-lettered fast. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/errors.js';
import { sampleEvent } from '../../src/local/sample-events.js';
import { ATTR } from '../../src/ingress/inbound-message.js';
import { inboundRecord, startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';

let h: ConsumerHarness;
let seq = 0;
const id = (prefix: string) => `${prefix}_test_fail${(seq += 1)}`;

beforeAll(async () => {
  h = await startConsumerHarness();
});
afterAll(async () => h.close());
beforeEach(() => {
  h.deadLetters.length = 0;
  h.logs.clear();
  h.coldStart();
});

/** A payment with no Salesforce links in its metadata: only the Stripe_Payment__c record. */
const succeeded = (pi: string, eventId = id('evt')) => sampleEvent('payment_intent.succeeded', { id: eventId, objectId: pi, metadata: {} });

const payment = (pi: string) => h.salesforce.records('Stripe_Payment__c').find((r) => r['Stripe_Id__c'] === pi);

describe('failure handling', () => {
  it('fails exactly the bad messages: permanent → DLQ with reason, transient → retried', async () => {
    const [good, bad, locked] = [id('pi'), id('pi'), id('pi')];
    h.salesforce.failRecord('Stripe_Payment__c', bad, 'FIELD_CUSTOM_VALIDATION_EXCEPTION', 'Amount must be positive');
    h.salesforce.failRecord('Stripe_Payment__c', locked, 'UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access to this record', 1);
    const records = [good, bad, locked].map((pi) => inboundRecord(succeeded(pi)));

    const summary = await h.app.handle(records);

    expect(summary.response.batchItemFailures).toEqual([{ itemIdentifier: records[2]!.messageId }]);
    expect(h.deadLetters.map((d) => d.record.messageId)).toEqual([records[1]!.messageId]);
    expect(h.deadLetters[0]!.failure).toMatchObject({ code: 'SALESFORCE_FIELD_CUSTOM_VALIDATION_EXCEPTION' });
    expect(h.deadLetters[0]!.failure.reason).toContain('Amount must be positive');
    expect(payment(good)).toBeDefined();
    expect(payment(bad)).toBeUndefined();

    // The transient one succeeds on its next receive; the claim was given back, so no wait.
    const retried = await h.app.handle([{ ...records[2]!, receiveCount: 2 }]);
    expect([...retried.outcomes.values()]).toEqual(['applied']);
    expect(payment(locked)).toBeDefined();

    // The dead-lettered one can be replayed once the admin fixed the cause.
    h.salesforce.clearFailures();
    const replayed = await h.app.handle([{ ...h.deadLetters[0]!.record, receiveCount: 1 }]);
    expect([...replayed.outcomes.values()]).toEqual(['applied']);
    expect(payment(bad)).toBeDefined();
  });

  it('retries a transient failure on its 5th receive, and dead-letters it with the reason once past the retry horizon', async () => {
    const pi = id('pi');
    h.salesforce.failRecord('Stripe_Payment__c', pi, 'UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access to this record');
    const young = await h.app.handle([inboundRecord(succeeded(pi), { receiveCount: 5, sentAt: h.nowMs - 3600_000 })]);
    expect(young.response.batchItemFailures).toHaveLength(1);
    expect(h.deadLetters).toHaveLength(0);

    const old = await h.app.handle([inboundRecord(succeeded(pi), { receiveCount: 6, sentAt: h.nowMs - 48 * 3600_000 })]);
    expect(old.response.batchItemFailures).toEqual([]);
    expect(h.deadLetters).toHaveLength(1);
    expect(h.deadLetters[0]!.failure).toMatchObject({ code: 'SALESFORCE_UNABLE_TO_LOCK_ROW', receiveCount: 6 });
    expect(h.logs.withOutcome('dead_lettered')[0]).toMatchObject({ deadLetterCause: 'horizon' });
    h.salesforce.clearFailures();
  });

  it('retries the whole batch on REQUEST_LIMIT_EXCEEDED and applies it on the next receive', async () => {
    const pis = [id('pi'), id('pi')];
    const records = pis.map((pi) => inboundRecord(succeeded(pi)));
    h.salesforce.failNextRequests(1, 403, 'REQUEST_LIMIT_EXCEEDED');
    const first = await h.app.handle(records);
    expect(first.response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(records.map((r) => r.messageId).sort());
    expect(h.deadLetters).toHaveLength(0);
    const second = await h.app.handle(records.map((r) => ({ ...r, receiveCount: 2 })));
    expect([...second.outcomes.values()]).toEqual(['applied', 'applied']);
  });

  it('re-authenticates once when the session expires mid-stream', async () => {
    await h.app.handle([inboundRecord(succeeded(id('pi')))]);
    const loginsBefore = h.salesforce.logins;
    h.salesforce.expireSessions();
    const pi = id('pi');
    const summary = await h.app.handle([inboundRecord(succeeded(pi))]);
    expect([...summary.outcomes.values()]).toEqual(['applied']);
    expect(h.salesforce.logins - loginsBefore).toBe(1);
    expect(payment(pi)).toBeDefined();
  });

  it('dead-letters a body that is not a Stripe event without calling Salesforce', async () => {
    const calls = h.salesforce.apiCalls;
    const summary = await h.app.handle([
      { messageId: 'm-junk', body: '{"hello":"world"}', receiveCount: 1, messageAttributes: {} },
      { messageId: 'm-notjson', body: 'not json', receiveCount: 1, messageAttributes: {} },
    ]);
    expect(summary.response.batchItemFailures).toEqual([]);
    expect(h.deadLetters.map((d) => d.failure.code).sort()).toEqual(['EVENT_NOT_JSON', 'EVENT_SCHEMA_INVALID']);
    expect(h.salesforce.apiCalls).toBe(calls);
  });

  it('retries when DynamoDB throttles, without writing to Salesforce', async () => {
    const app = h.coldStart({
      wrapStore: (store) => ({
        claim: async () => {
          throw new TransientError('DynamoDB claim failed: ThrottlingException', { code: 'DYNAMODB_THROTTLED' });
        },
        commit: (completions) => store.commit(completions),
        release: (eventId, token) => store.release(eventId, token),
      }),
    });
    const calls = h.salesforce.apiCalls;
    const record = inboundRecord(succeeded(id('pi')));
    const summary = await app.handle([record]);
    expect(summary.response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(h.salesforce.apiCalls).toBe(calls);
    // Released: a healthy consumer applies it at once.
    h.coldStart();
    expect([...(await h.app.handle([{ ...record, receiveCount: 2 }])).outcomes.values()]).toEqual(['applied']);
  });

  it('logs one line per event with id, type, outcome and duration, and no personal data', async () => {
    const event = succeeded(id('pi'));
    await h.app.handle([inboundRecord(event)]);
    const lines = h.logs.lines.filter((l) => l['eventId'] === event.id);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ eventType: 'payment_intent.succeeded', outcome: 'applied' });
    expect(typeof lines[0]!['durationMs']).toBe('number');
    expect(h.logs.raw.join('\n')).not.toMatch(/@example\.com|4242424242424242/);
  });

  it('keeps the event attributes on dead-lettered messages', async () => {
    const pi = id('pi');
    h.salesforce.failRecord('Stripe_Payment__c', pi, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', 'bad value for restricted picklist field');
    const event = succeeded(pi);
    await h.app.handle([inboundRecord(event)]);
    expect(h.deadLetters[0]!.record.messageAttributes[ATTR.eventId]?.stringValue).toBe(event.id);
    h.salesforce.clearFailures();
  });

  it('still records a payment whose metadata names an Opportunity that no longer exists', async () => {
    const pi = id('pi');
    const gone = '006Ab00000Gone0001';
    const event = sampleEvent('payment_intent.succeeded', {
      id: id('evt'),
      objectId: pi,
      metadata: { salesforce_opportunity_id: gone, salesforce_order_id: '801Ab00000Gone0001' },
    });
    const summary = await h.app.handle([inboundRecord(event)]);
    expect([...summary.outcomes.values()]).toEqual(['applied']);
    expect(h.deadLetters).toHaveLength(0);
    expect(payment(pi)).toBeDefined();
    expect(payment(pi)!['Opportunity__c']).toBeUndefined();
    expect(h.logs.raw.join('\n')).toContain('does not exist; skipped');
  });
});
