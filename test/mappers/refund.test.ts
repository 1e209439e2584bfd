/**
 * Refund events → Stripe_Refund__c. Shapes from Stripe's API reference (the Refund object,
 * https://docs.stripe.com/api/refunds/object: `status` pending, requires_action, succeeded,
 * failed or canceled, `failure_reason` on failed ones) and the 2022-11-15 upgrade note ("Charge
 * no longer auto-expands refunds by default": before it, a charge in a webhook listed its refunds
 * under `charge.refunds`; since then the list is absent from events).
 */
import { describe, expect, it } from 'vitest';
import { SAMPLE_ACCOUNT_ID, SAMPLE_CHARGE_ID, SAMPLE_OPPORTUNITY_ID, SAMPLE_PAYMENT_INTENT_ID } from '../../src/local/sample-events.js';
import { sampleEvent } from '../../src/local/sample-events.js';
import { mapJson, mapped, mapSample, only, sobjects, versionFor } from './helpers.js';

/**
 * Stripe's own example refund, verbatim from its OpenAPI fixtures (stripe/openapi fixtures3.json,
 * `resources.refund`): a refund of a charge made without a PaymentIntent, no metadata, no reason.
 */
const STRIPE_FIXTURE_REFUND = {
  amount: 100, balance_transaction: null, charge: 'ch_1PgafuB7WZ01zgkWXYmPNZs8', created: 1234567890, currency: 'usd',
  destination_details: { card: { type: 'reversal' }, type: 'card' }, id: 're_1Pgc72B7WZ01zgkWqPvrRrPE', metadata: {}, object: 'refund',
  payment_intent: null, reason: null, receipt_number: null, source_transfer_reversal: null, status: 'succeeded', transfer_reversal: null,
  customer: null, customer_account: null, payment_method: null,
};

describe('refund events', () => {
  it("Stripe's fixture refund (charge only, no PaymentIntent, no metadata, no reason) is written and linked through its charge", () => {
    const event = JSON.parse(JSON.stringify(sampleEvent('refund.updated', { id: 'evt_test_fixture01' })));
    event.data.object = STRIPE_FIXTURE_REFUND;
    const refund = only(mapped(mapJson(event)), 'Stripe_Refund__c');
    expect(refund.key).toEqual({ field: 'Stripe_Id__c', value: 're_1Pgc72B7WZ01zgkWqPvrRrPE' });
    expect(refund.fields).toMatchObject({
      Status__c: 'Succeeded',
      Amount__c: 1,
      Currency_Code__c: 'USD',
      Stripe_Charge_Id__c: 'ch_1PgafuB7WZ01zgkWXYmPNZs8',
      Payment__r: { Stripe_Id__c: 'ch_1PgafuB7WZ01zgkWXYmPNZs8' },
    });
  });

  it('refund.updated writes the refund, linked to its payment through the PaymentIntent and to the records in metadata', () => {
    const effect = mapped(mapSample('refund.updated', { amount: 1234, currency: 'kwd' }));
    const refund = only(effect, 'Stripe_Refund__c');

    expect(refund.key).toEqual({ field: 'Stripe_Id__c', value: 're_test_sample0001' });
    expect(refund.fields).toMatchObject({
      Status__c: 'Succeeded',
      Amount__c: 1.234,
      Currency_Code__c: 'KWD',
      Reason__c: 'requested_by_customer',
      Payment__r: { Stripe_Id__c: SAMPLE_PAYMENT_INTENT_ID },
      Account__c: SAMPLE_ACCOUNT_ID,
      Opportunity__c: SAMPLE_OPPORTUNITY_ID,
      Stripe_Charge_Id__c: SAMPLE_CHARGE_ID,
    });
    // The payment may not be in Salesforce: the refund is written without the link then.
    expect(refund.optionalReferences).toContain('Payment__r');
    expect(refund.version).toBe(versionFor(effect, 'Stripe_Refund__c', 'Succeeded'));
  });

  it('refund.failed carries the failure reason and settles the record: a later "pending" never undoes it', () => {
    const failed = mapped(mapSample('refund.failed', { created: 1_793_500_000 }));
    const pending = mapped(mapSample('refund.created', { created: 1_793_600_000 }));

    expect(only(failed, 'Stripe_Refund__c').fields).toMatchObject({ Status__c: 'Failed', Failure_Reason__c: 'expired_or_canceled_card' });
    expect(only(pending, 'Stripe_Refund__c').fields).toMatchObject({ Status__c: 'Pending' });
    expect(only(failed, 'Stripe_Refund__c').version).toBeGreaterThan(only(pending, 'Stripe_Refund__c').version ?? Number.POSITIVE_INFINITY);
  });

  it('charge.refund.updated (the older name) maps like refund.updated', () => {
    expect(only(mapped(mapSample('charge.refund.updated')), 'Stripe_Refund__c').fields).toMatchObject({ Status__c: 'Succeeded' });
  });

  it('links a refund of a charge made without a PaymentIntent through the charge id', () => {
    const refund = only(mapped(mapSample('refund.updated', { paymentIntent: null })), 'Stripe_Refund__c');
    expect(refund.fields['Payment__r']).toEqual({ Stripe_Id__c: SAMPLE_CHARGE_ID });
  });

  it('accepts a refund without a status (old renderings) and writes no status then', () => {
    const refund = only(mapped(mapSample('refund.updated', { objectOverrides: { status: null } })), 'Stripe_Refund__c');
    expect(refund.fields['Status__c']).toBeUndefined();
    expect(refund.version).toBeUndefined();
  });
});

describe('charge.refunded, old and new shapes', () => {
  it('before 2022-11-15 the charge lists its refunds: each becomes a Stripe_Refund__c beside the payment', () => {
    const effect = mapped(mapSample('charge.refunded', { amount: 5000, amountRefunded: 2000, currency: 'jpy' }));

    expect(sobjects(effect)).toContain('Stripe_Refund__c');
    expect(only(effect, 'Stripe_Payment__c').fields).toMatchObject({ Status__c: 'Partially Refunded', Amount_Refunded__c: 2000 });
    expect(only(effect, 'Stripe_Refund__c').fields).toMatchObject({ Status__c: 'Succeeded', Amount__c: 2000, Currency_Code__c: 'JPY' });
  });

  it('since then the list is absent: the payment records the amount refunded, the refund events bring the refunds', () => {
    const withoutList = mapped(mapSample('charge.refunded', { objectOverrides: { refunds: undefined } }));
    const emptyList = mapped(mapSample('charge.refunded', { objectOverrides: { refunds: { object: 'list', data: [], has_more: false, url: '/v1/charges/ch_x/refunds' } } }));

    for (const effect of [withoutList, emptyList]) {
      expect(sobjects(effect)).not.toContain('Stripe_Refund__c');
      expect(only(effect, 'Stripe_Payment__c').fields).toMatchObject({ Status__c: 'Refunded' });
    }
  });

  it('an unreadable refunds list costs the refund records, never the event', () => {
    const effect = mapped(mapSample('charge.refunded', { objectOverrides: { refunds: { data: 'not a list' } } }));
    expect(sobjects(effect)).not.toContain('Stripe_Refund__c');
    expect(only(effect, 'Stripe_Payment__c').fields).toMatchObject({ Status__c: 'Refunded' });
  });
});
