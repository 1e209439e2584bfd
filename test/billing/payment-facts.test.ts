/**
 * What an event says about money and its origin, read from Stripe-shaped payloads at the pinned
 * API version (src/local/sample-events.ts, typed with the `stripe` package) and as endpoints on
 * older versions receive them (test/support/stripe-api-versions.ts: before 2025-03-31 a
 * PaymentIntent and a charge name their `invoice`).
 */
import { describe, expect, it } from 'vitest';
import { formatMoney, paymentFacts } from '../../src/billing/payment-facts.js';
import { sampleEvent } from '../../src/local/sample-events.js';
import { atApiVersion } from '../support/stripe-api-versions.js';

describe('paymentFacts', () => {
  it('reads an invoice: its id and the amount paid, plus customer credit it used, or its total when paid out of band', () => {
    const paid = sampleEvent('invoice.paid', { objectId: 'in_test_facts1', amount: 120_000 });
    expect(paymentFacts(paid)).toMatchObject({ kind: 'invoice', objectId: 'in_test_facts1', invoiceId: 'in_test_facts1', received: { amount: 120_000, currency: 'usd' } });
    // 300.00 of customer credit (balance -50000 → -20000) paid part of it.
    const withCredit = sampleEvent('invoice.paid', { amount: 120_000, objectOverrides: { amount_paid: 90_000, starting_balance: -50_000, ending_balance: -20_000 } });
    expect(paymentFacts(withCredit).received).toEqual({ amount: 120_000, currency: 'usd' });
    const outOfBand = sampleEvent('invoice.paid', { amount: 120_000, objectOverrides: { amount_paid: 0, paid_out_of_band: true } });
    expect(paymentFacts(outOfBand).received).toEqual({ amount: 120_000, currency: 'usd' });
  });

  it('reads a Checkout Session: its payment link and PaymentIntent, and the total only once paid', () => {
    const completed = sampleEvent('checkout.session.completed', { paymentLink: 'plink_test_facts', paymentIntent: 'pi_test_facts' });
    expect(paymentFacts(completed)).toMatchObject({ kind: 'checkout.session', paymentLinkId: 'plink_test_facts', paymentIntentId: 'pi_test_facts', received: { amount: 4999, currency: 'usd' } });
    expect(paymentFacts(sampleEvent('checkout.session.expired', { paymentLink: 'plink_test_facts' })).received).toBeUndefined();
  });

  it.each(['2023-10-16', '2026-10-28.endive'])('%s: reads a PaymentIntent (amount received; the invoice it paid where the version names it)', (version) => {
    const event = atApiVersion(sampleEvent('payment_intent.succeeded', { objectId: 'pi_test_facts2', amount: 1 }), version, { invoice: 'in_test_paid_by' });
    const facts = paymentFacts(event);
    expect(facts).toMatchObject({ kind: 'payment_intent', paymentIntentId: 'pi_test_facts2', received: { amount: 1, currency: 'usd' } });
    expect(facts.invoiceId).toBe(version.startsWith('2023') ? 'in_test_paid_by' : undefined);
  });

  it('reads a charge (captured minus refunded) and a dispute through its expanded charge', () => {
    const refunded = sampleEvent('charge.refunded', { paymentIntent: 'pi_test_facts3', amount: 4999, amountRefunded: 999 });
    expect(paymentFacts(refunded)).toMatchObject({ kind: 'charge', paymentIntentId: 'pi_test_facts3', received: { amount: 4000, currency: 'usd' } });
    const dispute = sampleEvent('charge.dispute.created', { paymentIntent: 'pi_test_facts4' });
    expect(paymentFacts(dispute)).toMatchObject({ kind: 'dispute', paymentIntentId: 'pi_test_facts4' });
    const charge = refunded.data.object;
    const expanded = { ...dispute, data: { object: { ...dispute.data.object, payment_intent: null, charge } } };
    expect(paymentFacts(expanded)).toMatchObject({ paymentIntentId: 'pi_test_facts3', received: { amount: 4000 } });
  });

  it('reads nothing from what it does not know, and formats money in the currency\'s own decimals', () => {
    expect(paymentFacts({ type: 'x', data: { object: { object: 'thing', id: 'th_1' } } })).toEqual({
      kind: 'thing',
      objectId: 'th_1',
      invoiceId: undefined,
      paymentLinkId: undefined,
      paymentIntentId: undefined,
      received: undefined,
    });
    expect(paymentFacts(null).kind).toBe('unknown');
    expect([formatMoney({ amount: 1, currency: 'usd' }), formatMoney({ amount: 1500, currency: 'jpy' }), formatMoney({ amount: 12345, currency: 'kwd' })]).toEqual([
      '0.01 USD',
      '1500 JPY',
      '12.345 KWD',
    ]);
  });
});
