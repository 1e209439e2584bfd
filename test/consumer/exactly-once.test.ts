/**
 * Invariants 1–4 through the real code paths: dynalite conditional writes, real mappers, jsforce
 * over HTTP against the Salesforce stand-in.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/local/sample-events.js';
import { inboundRecord, startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';

let h: ConsumerHarness;
let opportunityId: string;
let eventSeq = 0;
const nextId = (prefix: string) => `${prefix}_test_${Date.now().toString(36)}${(eventSeq += 1)}`;

beforeAll(async () => {
  // Counts the event's own claims: the onboarding claim of a first payment (onboarding.test.ts) is off here.
  h = await startConsumerHarness({ env: { ONBOARDING_TASKS: 'off' } });
});
afterAll(async () => h.close());
beforeEach(() => {
  h.deadLetters.length = 0;
  h.logs.clear();
  opportunityId = h.salesforce.insert('Opportunity', { Name: 'Acme renewal', StageName: 'Closed Won', Amount: 49.99 });
});

const payments = (id: string) => h.salesforce.records('Stripe_Payment__c').filter((r) => r['Stripe_Id__c'] === id);
const invoices = (id: string) => h.salesforce.records('Stripe_Invoice__c').filter((r) => r['Stripe_Id__c'] === id);
const casesFor = (eventId: string) => h.salesforce.records('Case').filter((r) => r['Stripe_Event_Id__c'] === eventId);
const opportunity = () => h.salesforce.records('Opportunity').find((r) => r['Id'] === opportunityId);

describe('exactly one effect per Stripe event', () => {
  it('applies the same event delivered twice in sequence once, without a second Salesforce call', async () => {
    const pi = nextId('pi');
    await h.bill(opportunityId, { stripeObjectId: nextId('plink'), paymentIntents: [pi] });
    const event = sampleEvent('payment_intent.succeeded', { id: nextId('evt'), objectId: pi, metadata: { salesforce_opportunity_id: opportunityId } });

    const first = await h.app.handle([inboundRecord(event)]);
    const callsAfterFirst = h.salesforce.apiCalls;
    const second = await h.app.handle([inboundRecord(event)]);

    expect([...first.outcomes.values()]).toEqual(['applied']);
    expect([...second.outcomes.values()]).toEqual(['duplicate']);
    expect(second.response.batchItemFailures).toEqual([]);
    expect(h.salesforce.apiCalls).toBe(callsAfterFirst);
    expect(payments(pi)).toHaveLength(1);
    expect(payments(pi)[0]).toMatchObject({ Status__c: 'Succeeded', Opportunity__c: opportunityId });
    expect(opportunity()).toMatchObject({ Stripe_Payment_Status__c: 'Paid' });
  });

  it('applies the same event delivered concurrently to two consumers once', async () => {
    const pi = nextId('pi');
    const event = sampleEvent('payment_intent.payment_failed', { id: nextId('evt'), objectId: pi, metadata: { salesforce_opportunity_id: opportunityId } });
    const other = h.coldStart();

    const [a, b] = await Promise.all([other.handle([inboundRecord(event)]), h.app.handle([inboundRecord(event)])]);
    const outcomes = [...a.outcomes.values(), ...b.outcomes.values()].sort();
    // One applies it; the other either sees it in progress (retried later) or already done.
    expect(outcomes[0]).toBe('applied');
    expect(['duplicate', 'retry']).toContain(outcomes[1]);

    // The retry (if any) then finds it completed.
    const redelivered = await h.app.handle([inboundRecord(event, { receiveCount: 2 })]);
    expect([...redelivered.outcomes.values()]).toEqual(['duplicate']);
    expect(payments(pi)).toHaveLength(1);
    expect(casesFor(event.id)).toHaveLength(1);
  });

  it('applies an event that appears twice in one batch once and acknowledges the copy, with one claim', async () => {
    const pi = nextId('pi');
    const event = sampleEvent('payment_intent.succeeded', { id: nextId('evt'), objectId: pi, metadata: {} });
    const requests = h.dynamo.requests;
    const summary = await h.app.handle([inboundRecord(event), inboundRecord(event)]);
    expect([...summary.outcomes.values()]).toEqual(['applied', 'duplicate']);
    expect(summary.response.batchItemFailures).toEqual([]);
    // One claim and one batched completion, plus the Case ledger's write and read of the
    // payment (src/dedup/case-ledger.ts, one each per batch): the copy costs nothing.
    expect(h.dynamo.requests - requests).toBe(4);
    expect(payments(pi)).toHaveLength(1);
  });

  it('survives a crash between the Salesforce write and the completed marker: redelivery leaves one effect', async () => {
    const invoiceId = nextId('in');
    const event = sampleEvent('invoice.payment_failed', {
      id: nextId('evt'),
      objectId: invoiceId,
      metadata: { salesforce_opportunity_id: opportunityId },
    });
    // The process dies inside `commit`, after Salesforce accepted the write: nothing after it
    // runs (no ack, no release), so the claim stays IN_PROGRESS until its lease runs out.
    let crashed!: () => void;
    const crash = new Promise<void>((resolve) => (crashed = resolve));
    const crashing = h.coldStart({
      wrapStore: (store) => ({
        claim: (id, type) => store.claim(id, type),
        release: (id, token) => store.release(id, token),
        commit: () => {
          crashed();
          return new Promise<void>(() => {});
        },
      }),
    });
    void crashing.handle([inboundRecord(event)]);
    await crash;
    expect(invoices(invoiceId)).toHaveLength(1);
    expect(casesFor(event.id)).toHaveLength(1);

    // Before the lease runs out a redelivery is held back (another attempt may be alive).
    h.coldStart();
    const early = await h.app.handle([inboundRecord(event, { receiveCount: 2 })]);
    expect([...early.outcomes.values()]).toEqual(['retry']);

    // SQS redelivers after the visibility timeout (longer than the lease).
    h.nowMs += 10 * 60_000;
    const redelivered = await h.app.handle([inboundRecord(event, { receiveCount: 3 })]);
    expect([...redelivered.outcomes.values()]).toEqual(['applied']);
    expect(invoices(invoiceId)).toHaveLength(1);
    expect(casesFor(event.id)).toHaveLength(1);
    const again = await h.app.handle([inboundRecord(event, { receiveCount: 1 })]);
    expect([...again.outcomes.values()]).toEqual(['duplicate']);
  });
});
