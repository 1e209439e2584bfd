/**
 * `refund` end to end: Stripe_Command__e as Event Relay delivers it → the outbound function
 * (jsforce over HTTP to the Salesforce stand-in, stripe-node over HTTP to the Stripe stand-in,
 * dynalite) → a Stripe refund, Stripe_Refund__c and Stripe_Sync_Log__c.
 *
 * Stripe facts relied on (https://docs.stripe.com/api/refunds/create): `amount` is in the
 * currency's smallest unit and "can refund only up to the remaining, unrefunded amount of the
 * charge", more is an `invalid_request_error`; `reason` is duplicate, fraudulent or
 * requested_by_customer; minor units per currency (https://docs.stripe.com/currencies): JPY has
 * none, KWD three.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createStripeClient } from '../../src/stripe/client.js';
import { issueRefund } from '../../src/stripe/refunds.js';
import { startOutboundHarness, SAMPLE_REP_ID, type OutboundHarness } from '../outbound/harness.js';
import { commandEvent, seedAccount } from './support.js';

let h: OutboundHarness;

beforeAll(async () => {
  h = await startOutboundHarness();
  h.salesforce.grantCustomPermission(SAMPLE_REP_ID, 'Stripe_Issue_Refunds', 'Stripe_Bridge_Finance');
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.reset();
  h.coldStart();
});

/** A paid PaymentIntent in Stripe and its Stripe_Payment__c, as the consumer wrote it. */
function seedPaid(amount: number, currency: string, payment: Record<string, unknown> = {}) {
  const accountId = seedAccount(h.salesforce);
  const opportunityId = h.salesforce.insert('Opportunity', { Name: 'Globex renewal', AccountId: accountId, StageName: 'Closed Won', CloseDate: '2026-10-30' });
  const { paymentIntent } = h.stripe.service.seedPayment({ amount, currency, metadata: { salesforce_opportunity_id: opportunityId } });
  const digits = currency === 'jpy' ? 0 : currency === 'kwd' ? 3 : 2;
  const paymentId = h.salesforce.insert('Stripe_Payment__c', {
    Name: paymentIntent.id,
    Stripe_Id__c: paymentIntent.id,
    Status__c: 'Succeeded',
    Amount__c: amount / 10 ** digits,
    Amount_Refunded__c: 0,
    Currency_Code__c: currency.toUpperCase(),
    Account__c: accountId,
    Opportunity__c: opportunityId,
    ...payment,
  });
  return { paymentId, paymentIntentId: paymentIntent.id as string, accountId, opportunityId };
}

const logOf = (event: { detail: { payload: { EventUuid: string } } }) => h.salesforce.records('Stripe_Sync_Log__c').find((l) => l.Event_Id__c === `sf:${event.detail.payload.EventUuid}`);
const refundsOf = (paymentIntentId: string) => h.stripe.service.refunds().filter((r) => r.payment_intent === paymentIntentId);
const refundPosts = () => h.stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/refunds');

describe('refund on a Stripe payment', () => {
  it('refunds in full, writes Stripe_Refund__c linked to the payment, Account, Opportunity and requester, and logs it', async () => {
    const { paymentId, paymentIntentId, accountId, opportunityId } = seedPaid(4999, 'usd');
    const event = commandEvent('refund', paymentId, { reason: 'requested_by_customer' });

    const result = await h.app.handle(event);

    expect(result).toMatchObject({ outcome: 'succeeded', command: 'refund', sobject: 'Stripe_Payment__c' });
    const [refund, ...others] = refundsOf(paymentIntentId);
    expect(others).toHaveLength(0);
    expect(refund).toMatchObject({ amount: 4999, currency: 'usd', reason: 'requested_by_customer', status: 'succeeded' });
    expect(refund?.metadata).toMatchObject({ salesforce_command_id: `sf:${event.detail.payload.EventUuid}`, salesforce_payment_id: paymentId, salesforce_account_id: accountId });
    const record = h.salesforce.records('Stripe_Refund__c').find((r) => r.Stripe_Id__c === refund?.id);
    expect(record).toMatchObject({
      Status__c: 'Succeeded',
      Amount__c: 49.99,
      Currency_Code__c: 'USD',
      Reason__c: 'requested_by_customer',
      Payment__c: paymentId,
      Account__c: accountId,
      Opportunity__c: opportunityId,
      Requested_By__c: SAMPLE_REP_ID,
      Stripe_Payment_Intent_Id__c: paymentIntentId,
    });
    expect(logOf(event)).toMatchObject({ Status__c: 'Succeeded', Command__c: 'refund', Stripe_Object_Id__c: refund?.id, Requested_By__c: SAMPLE_REP_ID });
    expect(logOf(event)?.Message__c).toContain('49.99 USD');
  });

  it.each([
    { currency: 'usd', paid: 10_000, asked: 25.5, minor: 2550, shown: 25.5 },
    { currency: 'jpy', paid: 5000, asked: 1500, minor: 1500, shown: 1500 },
    { currency: 'kwd', paid: 10_500, asked: 1.234, minor: 1234, shown: 1.234 },
  ])('refunds part of a $currency payment exactly in minor units ($asked → $minor)', async ({ currency, paid, asked, minor, shown }) => {
    const { paymentId, paymentIntentId } = seedPaid(paid, currency);
    const result = await h.app.handle(commandEvent('refund', paymentId, { amount: asked, reason: 'duplicate' }));

    expect(result.outcome).toBe('succeeded');
    expect(refundsOf(paymentIntentId).map((r) => r.amount)).toEqual([minor]);
    expect(refundPosts().at(-1)?.params).toMatchObject({ payment_intent: paymentIntentId, amount: String(minor), reason: 'duplicate' });
    expect(h.salesforce.records('Stripe_Refund__c').find((r) => r.Stripe_Payment_Intent_Id__c === paymentIntentId)).toMatchObject({ Amount__c: shown, Currency_Code__c: currency.toUpperCase() });
  });

  it('refuses more than paid minus refunded before Stripe is called, and says how much is left', async () => {
    const { paymentId } = seedPaid(10_000, 'usd', { Status__c: 'Partially Refunded', Amount_Refunded__c: 60 });
    const posts = refundPosts().length;
    const event = commandEvent('refund', paymentId, { amount: 50 });

    const result = await h.app.handle(event);

    expect(result).toMatchObject({ outcome: 'rejected', code: 'REFUND_EXCEEDS_REFUNDABLE' });
    expect(refundPosts()).toHaveLength(posts);
    expect(logOf(event)).toMatchObject({ Status__c: 'Failed' });
    expect(logOf(event)?.Message__c).toContain('40.00 USD');
  });

  it('counts refunds issued since the payment record was last updated: a second refund over the rest is refused before Stripe', async () => {
    const { paymentId, paymentIntentId } = seedPaid(10_000, 'usd');
    expect((await h.app.handle(commandEvent('refund', paymentId, { amount: 70 }))).outcome).toBe('succeeded');
    // The payment record still shows nothing refunded (its charge.refunded event is in flight).
    const result = await h.app.handle(commandEvent('refund', paymentId, { amount: 40 }));

    expect(result).toMatchObject({ outcome: 'rejected', code: 'REFUND_EXCEEDS_REFUNDABLE' });
    expect(refundsOf(paymentIntentId).map((r) => r.amount)).toEqual([7000]);
  });

  it('refuses an amount with more decimals than the currency has (1.5 JPY, 1.2345 KWD) before Stripe is called', async () => {
    const posts = refundPosts().length;
    const yen = await h.app.handle(commandEvent('refund', seedPaid(5000, 'jpy').paymentId, { amount: 1.5 }));
    const dinar = await h.app.handle(commandEvent('refund', seedPaid(10_500, 'kwd').paymentId, { amount: 1.2345 }));

    expect(yen).toMatchObject({ outcome: 'rejected', code: 'REFUND_AMOUNT_INVALID' });
    expect(dinar).toMatchObject({ outcome: 'rejected', code: 'REFUND_AMOUNT_INVALID' });
    expect(refundPosts()).toHaveLength(posts);
  });

  it('refuses an unknown reason and a payment that did not succeed', async () => {
    const reason = await h.app.handle(commandEvent('refund', seedPaid(1000, 'usd').paymentId, { reason: 'changed_mind' }));
    const failed = await h.app.handle(commandEvent('refund', seedPaid(1000, 'usd', { Status__c: 'Failed' }).paymentId));

    expect(reason).toMatchObject({ outcome: 'rejected', code: 'REFUND_REASON_INVALID' });
    expect(failed).toMatchObject({ outcome: 'rejected', code: 'PAYMENT_NOT_REFUNDABLE' });
  });

  it("passes Stripe's own refusal to the requester when Stripe knows of refunds Salesforce does not (made in the Dashboard)", async () => {
    const { paymentId, paymentIntentId } = seedPaid(10_000, 'usd');
    const stripe = createStripeClient('sk_test_fake_dashboard', { apiUrl: h.stripe.url, maxNetworkRetries: 0 });
    await stripe.refunds.create({ payment_intent: paymentIntentId, amount: 9000 });
    const event = commandEvent('refund', paymentId, { amount: 50 });

    const result = await h.app.handle(event);

    expect(result).toMatchObject({ outcome: 'rejected', code: 'STRIPE_REFUSED' });
    expect(result.reason).toContain('greater than unrefunded amount');
    expect(result.reason).toContain('amount_too_large');
    expect(logOf(event)?.Message__c).toContain('Stripe refused the refund');
    expect(refundsOf(paymentIntentId)).toHaveLength(1);
  });

  it('refunds once for the same command delivered twice, also at the same time', async () => {
    const { paymentId, paymentIntentId } = seedPaid(3000, 'usd');
    const event = commandEvent('refund', paymentId, { amount: 10 });
    const again = { ...event, id: 'another-eventbridge-id' };

    const results = await Promise.allSettled([h.app.handle(event), h.app.handle(again)]);
    const later = await h.app.handle(event);

    // One ran; the other was a duplicate or told to retry while the first held the claim.
    expect(results.filter((r) => r.status === 'fulfilled' && r.value.outcome === 'succeeded')).toHaveLength(1);
    expect(later.outcome).toBe('duplicate');
    expect(refundsOf(paymentIntentId).map((r) => r.amount)).toEqual([1000]);
    expect(h.salesforce.records('Stripe_Refund__c').filter((r) => r.Stripe_Payment_Intent_Id__c === paymentIntentId)).toHaveLength(1);
  });

  it('finds the refund a command issued earlier after Stripe forgot its idempotency key (a replay days later)', async () => {
    const { paymentIntentId } = seedPaid(3000, 'usd');
    const stripe = createStripeClient('sk_test_fake_replay', { apiUrl: h.stripe.url, maxNetworkRetries: 0 });
    const request = { paymentId: paymentIntentId, amount: 500, reason: undefined, commandId: 'sf:replayed-command', metadata: {}, idempotencyKey: 'sfbridge:sf:replayed-command:refund' };

    const first = await issueRefund(stripe, request);
    h.stripe.expireIdempotencyKeys();
    const second = await issueRefund(stripe, request);

    expect(second).toMatchObject({ id: first.id, existing: true });
    expect(refundsOf(paymentIntentId)).toHaveLength(1);
  });

  it('refuses a requester without Stripe_Issue_Refunds, naming the permission, before Stripe is called', async () => {
    const { paymentId } = seedPaid(3000, 'usd');
    const stranger = '005Ab00000000RFAAA';
    h.salesforce.grantCustomPermission(stranger, 'Stripe_Request_Payment');
    const posts = refundPosts().length;
    const event = commandEvent('refund', paymentId, { requestedBy: stranger });

    const result = await h.app.handle(event);

    expect(result).toMatchObject({ outcome: 'rejected', code: 'PERMISSION_MISSING' });
    expect(refundPosts()).toHaveLength(posts);
    expect(logOf(event)?.Message__c).toContain('Stripe_Issue_Refunds');
    expect(logOf(event)?.Message__c).toContain('Stripe Bridge Finance');
  });

  it('refuses a record that is not a Stripe payment, naming the object it works on', async () => {
    const opportunityId = h.salesforce.insert('Opportunity', { Name: 'Not a payment', StageName: 'Closed Won', CloseDate: '2026-10-30' });
    const result = await h.app.handle(commandEvent('refund', opportunityId));

    expect(result).toMatchObject({ outcome: 'rejected', code: 'RECORD_TYPE_UNSUPPORTED' });
    expect(result.reason).toContain('refund works on Stripe_Payment__c');
  });
});
