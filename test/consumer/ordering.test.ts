/** Invariant 2: never older over newer, whatever order Stripe and SQS deliver in. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/local/sample-events.js';
import { inboundRecord, startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';

let h: ConsumerHarness;
let opportunityId: string;
let seq = 0;
const id = (prefix: string) => `${prefix}_test_order${(seq += 1)}`;
const T = 1_767_225_600;

beforeAll(async () => {
  // Counts the calls of the events' own writes: Account roll-ups are tested in test/rollups.
  h = await startConsumerHarness({ env: { ACCOUNT_ROLLUPS: 'off' } });
});
afterAll(async () => h.close());
beforeEach(() => {
  opportunityId = h.salesforce.insert('Opportunity', { Name: 'Ordering deal', StageName: 'Closed Won', Amount: 49.99 });
});

const record = (sobject: string, stripeId: string) => h.salesforce.records(sobject).find((r) => r['Stripe_Id__c'] === stripeId);
const opportunity = () => h.salesforce.records('Opportunity').find((r) => r['Id'] === opportunityId);

describe('out-of-order delivery', () => {
  it('leaves a payment Refunded when payment_intent.succeeded arrives after charge.refunded', async () => {
    const pi = id('pi');
    await h.bill(opportunityId, { stripeObjectId: id('plink'), paymentIntents: [pi] });
    const metadata = { salesforce_opportunity_id: opportunityId };
    const succeeded = sampleEvent('payment_intent.succeeded', { id: id('evt'), created: T, objectId: pi, metadata });
    const refunded = sampleEvent('charge.refunded', { id: id('evt'), created: T + 3600, paymentIntent: pi, metadata });

    await h.app.handle([inboundRecord(refunded)]);
    const late = await h.app.handle([inboundRecord(succeeded)]);

    expect([...late.outcomes.values()]).toEqual(['stale']);
    expect(record('Stripe_Payment__c', pi)).toMatchObject({ Status__c: 'Refunded' });
    expect(opportunity()).toMatchObject({ Stripe_Payment_Status__c: 'Refunded' });
  });

  it('leaves an invoice Paid and opens no Case when invoice.payment_failed arrives after invoice.paid', async () => {
    const invoice = id('in');
    await h.bill(opportunityId, { stripeObjectId: invoice });
    const metadata = { salesforce_opportunity_id: opportunityId };
    const failed = sampleEvent('invoice.payment_failed', { id: id('evt'), created: T, objectId: invoice, metadata });
    const paid = sampleEvent('invoice.paid', { id: id('evt'), created: T + 60, objectId: invoice, metadata });

    await h.app.handle([inboundRecord(paid)]);
    await h.app.handle([inboundRecord(failed)]);

    expect(record('Stripe_Invoice__c', invoice)).toMatchObject({ Status__c: 'Paid' });
    expect(h.salesforce.records('Case').filter((c) => c['Stripe_Event_Id__c'] === failed.id)).toHaveLength(0);
    expect(opportunity()).toMatchObject({ Stripe_Payment_Status__c: 'Paid' });
  });

  it('orders events inside one batch too (newest state wins, one Salesforce call)', async () => {
    const invoice = id('in');
    await h.bill(opportunityId, { stripeObjectId: invoice });
    const metadata = { salesforce_opportunity_id: opportunityId };
    const finalized = sampleEvent('invoice.finalized', { id: id('evt'), created: T, objectId: invoice, metadata });
    const failed = sampleEvent('invoice.payment_failed', { id: id('evt'), created: T + 10, objectId: invoice, metadata });
    const paid = sampleEvent('invoice.paid', { id: id('evt'), created: T + 20, objectId: invoice, metadata });

    const calls = h.salesforce.apiCalls;
    const summary = await h.app.handle([inboundRecord(paid), inboundRecord(finalized), inboundRecord(failed)]);

    expect(summary.response.batchItemFailures).toEqual([]);
    expect(h.salesforce.apiCalls - calls).toBe(1);
    expect(record('Stripe_Invoice__c', invoice)).toMatchObject({ Status__c: 'Paid' });
    expect(opportunity()).toMatchObject({ Stripe_Payment_Status__c: 'Paid' });
  });

  it('does not let an abandoned checkout undo a paid Opportunity', async () => {
    const metadata = { salesforce_opportunity_id: opportunityId };
    const invoice = id('in');
    await h.bill(opportunityId, { stripeObjectId: invoice });
    const paid = sampleEvent('invoice.paid', { id: id('evt'), created: T, objectId: invoice, metadata });
    const expired = sampleEvent('checkout.session.expired', { id: id('evt'), created: T + 86_400, objectId: id('cs'), metadata });

    await h.app.handle([inboundRecord(paid)]);
    await h.app.handle([inboundRecord(expired)]);

    expect(opportunity()).toMatchObject({ Stripe_Payment_Status__c: 'Paid' });
  });
});
