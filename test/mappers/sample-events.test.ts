import { describe, expect, it } from 'vitest';
import {
  SAMPLE_CREATED,
  SAMPLE_EVENT_TYPES,
  SAMPLE_OPPORTUNITY_ID,
  SAMPLE_PAYMENT_INTENT_ID,
  sampleEvent,
} from '../../src/local/sample-events.js';
import { HANDLED_EVENT_TYPES } from '../../src/stripe/event-types.js';

const objectOf = (type: string, options = {}): Record<string, any> =>
  JSON.parse(JSON.stringify(sampleEvent(type, { id: 'evt_test_sample01', ...options }))).data.object;

describe('sampleEvent', () => {
  it('has a sample for every handled event type', () => {
    expect([...SAMPLE_EVENT_TYPES].sort()).toEqual([...HANDLED_EVENT_TYPES].sort());
  });

  it.each(HANDLED_EVENT_TYPES)('%s: a webhook envelope on the pinned API version', (type) => {
    const event = sampleEvent(type, { id: 'evt_test_sample01' });
    expect(event).toMatchObject({
      id: 'evt_test_sample01',
      object: 'event',
      type,
      api_version: '2026-10-28.endive',
      created: SAMPLE_CREATED,
      livemode: false,
      request: { id: null, idempotency_key: null },
    });
    const json = JSON.stringify(event);
    // Only fake ids and the example.com address; no card number.
    expect(json).not.toMatch(/_live_|\bsk_|\bwhsec_/);
    for (const email of json.match(/[\w.+-]+@[\w.-]+/g) ?? []) expect(email).toBe('customer@example.com');
    expect(json).not.toMatch(/\d{13,19}/);
  });

  it('is deterministic given an id', () => {
    for (const type of HANDLED_EVENT_TYPES) {
      expect(sampleEvent(type, { id: 'evt_test_same0001', amount: 700 })).toEqual(sampleEvent(type, { id: 'evt_test_same0001', amount: 700 }));
    }
  });

  it('makes up a fresh event id only when none is given', () => {
    const a = sampleEvent('payment_intent.succeeded');
    const b = sampleEvent('payment_intent.succeeded');
    expect(a.id).toMatch(/^evt_test_[0-9a-f]{24}$/);
    expect(a.id).not.toBe(b.id);
  });

  it('rejects a type it cannot build, naming the known ones', () => {
    expect(() => sampleEvent('payout.paid')).toThrow(/payout\.paid.*payment_intent\.succeeded/);
  });

  it('a succeeded PaymentIntent has its latest charge and received amount', () => {
    const pi = objectOf('payment_intent.succeeded', { amount: 1234, currency: 'eur' });
    expect(pi).toMatchObject({ status: 'succeeded', amount: 1234, amount_received: 1234, currency: 'eur' });
    expect(pi.latest_charge).toMatch(/^ch_test_/);
    expect(pi.metadata).toEqual({ salesforce_opportunity_id: SAMPLE_OPPORTUNITY_ID, salesforce_account_id: expect.any(String) });
  });

  it('a failed PaymentIntent carries a card decline', () => {
    const pi = objectOf('payment_intent.payment_failed');
    expect(pi.status).toBe('requires_payment_method');
    expect(pi.last_payment_error).toMatchObject({ type: 'card_error', code: 'card_declined' });
  });

  it('a refunded charge carries amount_refunded, the refund and a visa 4242', () => {
    const charge = objectOf('charge.refunded', { amountRefunded: 1000 });
    expect(charge).toMatchObject({ amount: 4999, amount_refunded: 1000, refunded: false, payment_intent: SAMPLE_PAYMENT_INTENT_ID });
    expect(charge.refunds.data).toHaveLength(1);
    expect(charge.refunds.data[0]).toMatchObject({ object: 'refund', amount: 1000, status: 'succeeded' });
    expect(charge.payment_method_details.card).toMatchObject({ brand: 'visa', last4: '4242' });
    expect(objectOf('charge.refunded').refunded).toBe(true);
  });

  it('a paid invoice has its hosted URL and status transitions', () => {
    const invoice = objectOf('invoice.paid');
    expect(invoice).toMatchObject({ status: 'paid', amount_paid: 4999, amount_remaining: 0 });
    expect(invoice.hosted_invoice_url).toMatch(/^https:\/\/invoice\.stripe\.com\//);
    expect(invoice.status_transitions.paid_at).toBe(SAMPLE_CREATED);
    expect(invoice.status_transitions.finalized_at).toBeLessThan(SAMPLE_CREATED);
  });

  it('a subscription invoice names its subscription under parent.subscription_details', () => {
    const invoice = objectOf('invoice.paid', { subscription: 'sub_test_x' });
    expect(invoice.parent).toMatchObject({ type: 'subscription_details', subscription_details: { subscription: 'sub_test_x' } });
    expect(objectOf('invoice.paid').parent).toBeNull();
  });

  it('subscriptions keep their period on the items', () => {
    const subscription = objectOf('customer.subscription.created');
    expect(subscription).not.toHaveProperty('current_period_end');
    expect(subscription.items.data[0].current_period_end).toBe(SAMPLE_CREATED + 30 * 86_400);
    expect(objectOf('customer.subscription.deleted')).toMatchObject({ status: 'canceled', ended_at: SAMPLE_CREATED });
  });

  it('checkout sessions: paid on completion, unpaid on async failure, payment link on request', () => {
    expect(objectOf('checkout.session.completed')).toMatchObject({ status: 'complete', payment_status: 'paid' });
    expect(objectOf('checkout.session.async_payment_failed')).toMatchObject({ payment_status: 'unpaid' });
    expect(objectOf('checkout.session.expired', { paymentLink: 'plink_test_1' })).toMatchObject({
      status: 'expired',
      payment_link: 'plink_test_1',
      payment_intent: null,
    });
  });

  it('applies options: object id, customer, metadata, overrides', () => {
    const invoice = objectOf('invoice.finalized', {
      objectId: 'in_test_other',
      customer: 'cus_test_other',
      metadata: { k: 'v' },
      objectOverrides: { number: 'X-1' },
    });
    expect(invoice).toMatchObject({ id: 'in_test_other', customer: 'cus_test_other', metadata: { k: 'v' }, number: 'X-1' });
    expect(objectOf('customer.created', { customer: 'cus_test_other' }).id).toBe('cus_test_other');
  });
});
