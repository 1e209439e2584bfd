/**
 * `cancel_subscription`, `pause_subscription`, `resume_subscription` end to end: the command as
 * Event Relay delivers it → the outbound function → the Stripe stand-in, and the events Stripe
 * sends back → the consumer → Stripe_Subscription__c (one Salesforce stand-in for both flows).
 *
 * Stripe facts relied on: cancel_at_period_end=true keeps the subscription until its period ends
 * and Stripe sends customer.subscription.updated (https://docs.stripe.com/billing/subscriptions/cancel);
 * DELETE /v1/subscriptions/:id cancels at once with `prorate` / `invoice_now`, sends
 * customer.subscription.deleted, and "after it's canceled, you can no longer update the
 * subscription" (https://docs.stripe.com/api/subscriptions/cancel); pause_collection
 * {behavior, resumes_at} keeps the subscription active (…/billing/subscriptions/pause-payment);
 * POST …/resume only for status paused (https://docs.stripe.com/api/subscriptions/resume).
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createStripeClient } from '../../src/stripe/client.js';
import { applySubscriptionAction } from '../../src/stripe/subscription-actions.js';
import { CLIENT_ID, CLIENT_SECRET, inboundRecord, startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';
import { startOutboundHarness, SAMPLE_REP_ID, type OutboundHarness } from '../outbound/harness.js';
import { commandEvent, seedAccount } from './support.js';

let consumer: ConsumerHarness;
let h: OutboundHarness;
const SUPPORT_AGENT = '005Ab00000000SPAAA';
const SALES_REP = '005Ab00000000SLAAA';

beforeAll(async () => {
  consumer = await startConsumerHarness();
  h = await startOutboundHarness({ dynamo: consumer.dynamo, salesforce: consumer.salesforce, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  h.salesforce.grantCustomPermission(SAMPLE_REP_ID, 'Stripe_Issue_Refunds', 'Stripe_Bridge_Finance');
  h.salesforce.grantCustomPermission(SAMPLE_REP_ID, 'Stripe_Manage_Billing', 'Stripe_Bridge_Finance');
  h.salesforce.grantCustomPermission(SUPPORT_AGENT, 'Stripe_Manage_Billing', 'Stripe_Bridge_Support');
});
afterAll(async () => {
  await h.close();
  await consumer.close();
});
beforeEach(() => {
  h.reset();
  h.coldStart();
});

/** A customer's active subscription in Stripe and its Stripe_Subscription__c. */
function seedSubscription(fields: Record<string, unknown> = {}): { subscriptionId: string; recordId: string } {
  const customer = h.stripe.seedCustomer({ email: 'ap@example.com' });
  const accountId = seedAccount(h.salesforce, { Stripe_Customer_Id__c: customer.id });
  const subscription = h.stripe.service.seedSubscription({ customer: customer.id as string, ...fields });
  const recordId = h.salesforce.insert('Stripe_Subscription__c', { Name: subscription.id, Stripe_Id__c: subscription.id, Status__c: 'Active', Account__c: accountId });
  return { subscriptionId: subscription.id as string, recordId };
}

const record = (id: string) => h.salesforce.records('Stripe_Subscription__c').find((r) => r.Id === id) ?? {};
const logOf = (event: { detail: { payload: { EventUuid: string } } }) => h.salesforce.records('Stripe_Sync_Log__c').find((l) => l.Event_Id__c === `sf:${event.detail.payload.EventUuid}`);
const changes = (subscriptionId: string) =>
  h.stripe.requests.filter((r) => (r.method === 'POST' || r.method === 'DELETE') && r.path.startsWith(`/v1/subscriptions/${subscriptionId}`) && r.status < 300 && !r.replayed);

/** Runs a command and feeds the consumer the events Stripe sent meanwhile, as its webhook would. */
async function run(event: ReturnType<typeof commandEvent>) {
  const before = h.stripe.lists.events().length;
  const result = await h.app.handle(event);
  const sent = h.stripe.lists.events().slice(before);
  const summary = sent.length === 0 ? undefined : await consumer.app.handle(sent.map((e) => inboundRecord(e)));
  expect(summary?.response.batchItemFailures ?? []).toEqual([]);
  return { result, sent: sent.map((e) => e.type) };
}

describe('cancel_subscription', () => {
  it('cancels at the end of the period by default; the record shows it from customer.subscription.updated', async () => {
    const { subscriptionId, recordId } = seedSubscription();
    const event = commandEvent('cancel_subscription', recordId, { requestedBy: SUPPORT_AGENT });

    const { result, sent } = await run(event);

    expect(result).toMatchObject({ outcome: 'succeeded', command: 'cancel_subscription', sobject: 'Stripe_Subscription__c', stripeObjectId: subscriptionId });
    expect(sent).toEqual(['customer.subscription.updated']);
    const [post, ...others] = changes(subscriptionId);
    expect(others).toHaveLength(0);
    expect(post).toMatchObject({ method: 'POST', idempotencyKey: `sfbridge:sf:${event.detail.payload.EventUuid}:cancel_subscription`, params: { cancel_at_period_end: 'true' } });
    const periodEnd = h.stripe.lists.get('subscriptions', subscriptionId)?.items.data[0].current_period_end as number;
    expect(record(recordId)).toMatchObject({ Status__c: 'Active', Cancel_At_Period_End__c: true, Cancel_At__c: new Date(periodEnd * 1000).toISOString() });
    expect(logOf(event)).toMatchObject({ Status__c: 'Succeeded', Command__c: 'cancel_subscription', Stripe_Object_Id__c: subscriptionId, Requested_By__c: SUPPORT_AGENT });
    expect(logOf(event)?.Message__c).toContain(`end of its period (${new Date(periodEnd * 1000).toISOString().slice(0, 10)})`);
  });

  it('cancels now with a credit for the unused time only for a user who may give money back; the record shows Canceled from customer.subscription.deleted', async () => {
    const { subscriptionId, recordId } = seedSubscription();
    const options = JSON.stringify({ at: 'now', prorate: true });

    const refused = await run(commandEvent('cancel_subscription', recordId, { requestedBy: SUPPORT_AGENT, options }));
    expect(refused.result).toMatchObject({ outcome: 'rejected', code: 'PERMISSION_MISSING' });
    expect(refused.result.reason).toContain('Stripe_Issue_Refunds');
    expect(changes(subscriptionId)).toHaveLength(0);

    const event = commandEvent('cancel_subscription', recordId, { options });
    const { result, sent } = await run(event);

    expect(result.outcome).toBe('succeeded');
    expect(sent).toEqual(['customer.subscription.deleted']);
    expect(changes(subscriptionId)).toEqual([expect.objectContaining({ method: 'DELETE', params: expect.objectContaining({ prorate: 'true', invoice_now: 'false' }) })]);
    expect(record(recordId)).toMatchObject({ Status__c: 'Canceled', Canceled_At__c: new Date(h.nowMs).toISOString() });
    expect(logOf(event)?.Message__c).toContain('canceled now, the unused time credited to the customer');
  });

  it('refuses a subscription that has already ended before asking Stripe to change it, with the reason in the Sync Log', async () => {
    const { subscriptionId, recordId } = seedSubscription({ status: 'canceled', canceled_at: Math.floor(h.nowMs / 1000) - 86_400 });
    const event = commandEvent('cancel_subscription', recordId, { options: '{"at":"now"}' });

    const { result } = await run(event);

    expect(result).toMatchObject({ outcome: 'rejected', code: 'SUBSCRIPTION_STATE' });
    expect(changes(subscriptionId)).toHaveLength(0);
    expect(logOf(event)).toMatchObject({ Status__c: 'Failed' });
    expect(logOf(event)?.Message__c).toContain(`Subscription ${subscriptionId} was not changed: it has already ended (canceled)`);
  });

  it('refuses a user without Stripe_Manage_Billing, naming the permission, before Stripe is called', async () => {
    const { subscriptionId, recordId } = seedSubscription();
    const event = commandEvent('cancel_subscription', recordId, { requestedBy: SALES_REP });

    const { result } = await run(event);

    expect(result).toMatchObject({ outcome: 'rejected', code: 'PERMISSION_MISSING' });
    expect(logOf(event)?.Message__c).toContain('Stripe_Manage_Billing');
    expect(h.stripe.requests.filter((r) => r.path.startsWith(`/v1/subscriptions/${subscriptionId}`))).toHaveLength(0);
  });

  it('changes Stripe once for the same command delivered twice, and for a retry after Stripe forgot the key', async () => {
    const { subscriptionId, recordId } = seedSubscription();
    const event = commandEvent('cancel_subscription', recordId);

    const first = await run(event);
    const second = await run(event);

    expect(first.result.outcome).toBe('succeeded');
    expect(second.result.outcome).toBe('duplicate');
    expect(changes(subscriptionId)).toHaveLength(1);

    // A retry whose command record was lost (a crash before the commit) finds its own effect in the metadata.
    h.stripe.expireIdempotencyKeys();
    const stripe = createStripeClient('sk_test_fake_retry', { apiUrl: h.stripe.url });
    const again = await applySubscriptionAction(stripe as Stripe, subscriptionId, { kind: 'cancel_at_period_end' }, `sf:${event.detail.payload.EventUuid}`, 'sfbridge:other-key');
    expect(again).toMatchObject({ kind: 'done', already: true });
    expect(changes(subscriptionId)).toHaveLength(1);
  });
});

describe('pause_subscription and resume_subscription', () => {
  it('pauses collection (invoices kept as drafts by default) until a date, then resumes it; the record follows the events', async () => {
    const { subscriptionId, recordId } = seedSubscription();
    const pause = commandEvent('pause_subscription', recordId, { requestedBy: SUPPORT_AGENT, options: '{"resumesAt":"2026-12-15"}' });

    const paused = await run(pause);

    expect(paused.result.outcome).toBe('succeeded');
    expect(paused.sent).toEqual(['customer.subscription.updated']);
    const resumesAt = Date.parse('2026-12-15T00:00:00Z') / 1000;
    expect(changes(subscriptionId).at(-1)?.params).toMatchObject({ pause_collection: { behavior: 'keep_as_draft', resumes_at: String(resumesAt) } });
    expect(record(recordId)).toMatchObject({ Status__c: 'Active', Pause_Behavior__c: 'keep_as_draft', Pause_Resumes_At__c: '2026-12-15T00:00:00.000Z' });
    expect(logOf(pause)?.Message__c).toContain('paused until 2026-12-15: its invoices are kept as drafts');

    h.nowMs += 60_000;
    const resume = commandEvent('resume_subscription', recordId, { requestedBy: SUPPORT_AGENT });
    const resumed = await run(resume);

    expect(resumed.result.outcome).toBe('succeeded');
    expect(changes(subscriptionId).at(-1)?.params).toMatchObject({ pause_collection: '' });
    expect(record(recordId)).toMatchObject({ Status__c: 'Active', Pause_Behavior__c: null, Pause_Resumes_At__c: null });
  });

  it('asks Stripe_Issue_Refunds for a pause that voids invoices, and refuses a resume of what is not paused', async () => {
    const { subscriptionId, recordId } = seedSubscription();

    const voiding = await run(commandEvent('pause_subscription', recordId, { requestedBy: SUPPORT_AGENT, options: '{"behavior":"void"}' }));
    expect(voiding.result).toMatchObject({ outcome: 'rejected', code: 'PERMISSION_MISSING' });

    const resume = commandEvent('resume_subscription', recordId, { requestedBy: SUPPORT_AGENT });
    const { result } = await run(resume);
    expect(result).toMatchObject({ outcome: 'rejected', code: 'SUBSCRIPTION_STATE' });
    expect(logOf(resume)?.Message__c).toContain('it is not paused (active)');
    expect(changes(subscriptionId)).toHaveLength(0);
  });

  it('resumes a subscription Stripe paused (a trial ended without a payment method) through POST /resume', async () => {
    const { subscriptionId, recordId } = seedSubscription();
    await consumer.app.handle(h.stripe.service.pauseSubscription(subscriptionId).map((e) => inboundRecord(e)));
    expect(record(recordId).Status__c).toBe('Paused');

    h.nowMs += 60_000;
    const { result, sent } = await run(commandEvent('resume_subscription', recordId, { requestedBy: SUPPORT_AGENT }));

    expect(result.outcome).toBe('succeeded');
    expect(sent).toEqual(['customer.subscription.resumed', 'customer.subscription.updated']);
    expect(changes(subscriptionId).map((r) => `${r.method} ${r.path}`)).toEqual([`POST /v1/subscriptions/${subscriptionId}/resume`]);
    expect(record(recordId).Status__c).toBe('Active');
  });

  it('refuses a resumesAt in the past before Stripe is called', async () => {
    const { subscriptionId, recordId } = seedSubscription();
    const { result } = await run(commandEvent('pause_subscription', recordId, { options: '{"resumesAt":"2020-01-01"}' }));
    expect(result).toMatchObject({ outcome: 'rejected', code: 'OPTIONS_INVALID' });
    expect(h.stripe.requests.filter((r) => r.path.startsWith(`/v1/subscriptions/${subscriptionId}`))).toHaveLength(0);
  });
});
