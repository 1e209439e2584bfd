/**
 * Isolation: when events merged into one Salesforce record are rejected permanently, each event
 * is written alone and only the ones that cause the rejection are dead-lettered; the record ends
 * on the newest event Salesforce accepts. Through the real path: mappers, writer, jsforce over
 * HTTP, an org validation rule in the stand-in (FIELD_CUSTOM_VALIDATION_EXCEPTION, as an admin's
 * rule answers), dynalite.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/local/sample-events.js';
import { inboundRecord, startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';

let h: ConsumerHarness;
let seq = 0;
const id = (prefix: string) => `${prefix}_test_iso${(seq += 1)}`;
const T = 1_767_225_600;

beforeAll(async () => {
  // Counts the calls of the events' own writes: Account roll-ups are tested in test/rollups.
  h = await startConsumerHarness({ env: { ACCOUNT_ROLLUPS: 'off' } });
});
afterAll(async () => h.close());
beforeEach(() => {
  h.deadLetters.length = 0;
  h.salesforce.clearFailures();
  // An admin's rule: payments above 10,000 need a manual review.
  h.salesforce.addValidationRule('Stripe_Payment__c', { message: 'Payments above 10,000 need a review', field: 'Amount__c', rejects: (r) => Number(r['Amount__c']) > 10_000 });
});

const payment = (pi: string) => h.salesforce.records('Stripe_Payment__c').find((r) => r['Stripe_Id__c'] === pi);

describe('isolation of a rejected merged record', () => {
  it('dead-letters only the event Salesforce rejects; the others of the same record are applied', async () => {
    const pi = id('pi');
    const processing = sampleEvent('payment_intent.processing', { id: id('evt'), created: T, objectId: pi, metadata: {} });
    const failed = sampleEvent('payment_intent.payment_failed', { id: id('evt'), created: T + 10, objectId: pi, metadata: {} });
    const tooLarge = sampleEvent('payment_intent.succeeded', { id: id('evt'), created: T + 20, objectId: pi, metadata: {}, amount: 5_000_000 });
    const records = [processing, tooLarge, failed].map((e) => inboundRecord(e));

    const summary = await h.app.handle(records);

    expect(Object.fromEntries(records.map((r, i) => [[processing, tooLarge, failed][i]?.type, summary.outcomes.get(r.messageId)]))).toEqual({
      'payment_intent.processing': 'applied',
      'payment_intent.succeeded': 'dead_lettered',
      'payment_intent.payment_failed': 'applied',
    });
    expect(h.deadLetters.map((d) => d.record.messageId)).toEqual([records[1]?.messageId]);
    expect(h.deadLetters[0]?.failure).toMatchObject({ code: 'SALESFORCE_FIELD_CUSTOM_VALIDATION_EXCEPTION', reason: expect.stringContaining('need a review') });
    // The newest event Salesforce accepted.
    expect(payment(pi)).toMatchObject({ Status__c: 'Failed', Amount__c: 49.99 });
    expect(summary.response.batchItemFailures).toEqual([]);
  });

  it('writes events that merge cleanly in one call, without an isolation round', async () => {
    const pi = id('pi');
    const a = sampleEvent('payment_intent.processing', { id: id('evt'), created: T, objectId: pi, metadata: {} });
    const b = sampleEvent('payment_intent.succeeded', { id: id('evt'), created: T + 5, objectId: pi, metadata: {} });
    const calls = h.salesforce.apiCalls;
    const summary = await h.app.handle([inboundRecord(a), inboundRecord(b)]);
    expect([...summary.outcomes.values()]).toEqual(['applied', 'applied']);
    expect(h.salesforce.apiCalls - calls).toBe(1);
    expect(payment(pi)).toMatchObject({ Status__c: 'Succeeded' });
  });

  it('advances nothing on a rejected write: an older event still applies later, and the replay of the rejected one applies', async () => {
    // Issue 10, finding 1: a guard advanced before a write that then failed made older valid
    // events stale and the re-send a duplicate.
    const pi = id('pi');
    const tooLarge = sampleEvent('payment_intent.succeeded', { id: id('evt'), created: T + 20, objectId: pi, metadata: {}, amount: 5_000_000 });
    const older = sampleEvent('payment_intent.processing', { id: id('evt'), created: T, objectId: pi, metadata: {} });

    expect([...(await h.app.handle([inboundRecord(tooLarge)])).outcomes.values()]).toEqual(['dead_lettered']);
    expect([...(await h.app.handle([inboundRecord(older)])).outcomes.values()]).toEqual(['applied']);
    expect(payment(pi)).toMatchObject({ Status__c: 'Processing' });

    // The admin raises the limit; the operator replays the dead-lettered event.
    h.salesforce.clearFailures();
    expect([...(await h.app.handle([inboundRecord(tooLarge, { receiveCount: 1 })])).outcomes.values()]).toEqual(['applied']);
    expect(payment(pi)).toMatchObject({ Status__c: 'Succeeded', Amount__c: 50_000 });
  });
});
