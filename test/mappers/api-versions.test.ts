/**
 * Every mapping at the oldest supported API version (2022-08-01), at common versions before
 * 2025-03-31.basil (2023-10-16, 2024-06-20), at basil and at the pinned version. Payloads are the
 * project's typed samples rendered at each version by test/support/stripe-api-versions.ts, which
 * follows Stripe's changelog; documented examples and captured payloads are quoted where a test
 * relies on them.
 */
import { describe, expect, it } from 'vitest';
import {
  SAMPLE_ACCOUNT_ID,
  SAMPLE_CHARGE_ID,
  SAMPLE_CUSTOMER_ID,
  SAMPLE_INVOICE_ID,
  SAMPLE_OPPORTUNITY_ID,
  SAMPLE_ORDER_ID,
  SAMPLE_PAYMENT_INTENT_ID,
  SAMPLE_SUBSCRIPTION_ID,
  sampleEvent,
  type SampleEventOptions,
} from '../../src/local/sample-events.js';
import { RANK } from '../../src/mappers/ranks.js';
import { apiVersionSupport, STRIPE_API_VERSION } from '../../src/stripe/event-schemas.js';
import type Stripe from 'stripe';
import { atApiVersion, chargeJsonAt, OLD_VERSIONS, type Json, type RenderOptions } from '../support/stripe-api-versions.js';
import { mapJson, mapped, only, sobjects } from './helpers.js';

const BASIL = '2025-03-31.basil';
const ALL_VERSIONS = [...OLD_VERSIONS, BASIL, STRIPE_API_VERSION] as const;
const OPPORTUNITY_LINK = { salesforce_opportunity_id: SAMPLE_OPPORTUNITY_ID, salesforce_account_id: SAMPLE_ACCOUNT_ID };

function eventAt(type: string, version: string, options: SampleEventOptions = {}, render: RenderOptions = {}): Json {
  return atApiVersion(sampleEvent(type, { id: 'evt_test_versions01', ...options }), version, render);
}

function chargeAt(version: string, options: SampleEventOptions = {}, render: RenderOptions = {}): Json {
  return chargeJsonAt(sampleEvent('charge.succeeded', options).data.object as Stripe.Charge, version, render);
}

describe('the version renderer (the tests below rely on it)', () => {
  it('puts moved fields where each version had them', () => {
    const invoice = eventAt('invoice.paid', '2023-10-16', { subscription: SAMPLE_SUBSCRIPTION_ID }, { paymentIntent: SAMPLE_PAYMENT_INTENT_ID });
    expect(invoice['data'].object).toMatchObject({ subscription: SAMPLE_SUBSCRIPTION_ID, payment_intent: SAMPLE_PAYMENT_INTENT_ID, paid: true });
    expect(invoice['data'].object).not.toHaveProperty('parent');
    const subscription = eventAt('customer.subscription.created', '2023-10-16');
    expect(typeof subscription['data'].object.current_period_end).toBe('number');
    expect(subscription['data'].object.items.data[0]).not.toHaveProperty('current_period_end');
    const pi = eventAt('payment_intent.succeeded', '2022-08-01', {}, { charges: [chargeAt('2022-08-01')] });
    expect(pi['data'].object.charges.data).toHaveLength(1);
    expect(pi['data'].object).not.toHaveProperty('latest_charge');
    expect(eventAt('invoice.paid', STRIPE_API_VERSION, { subscription: SAMPLE_SUBSCRIPTION_ID })['data'].object.parent.subscription_details.subscription).toBe(
      SAMPLE_SUBSCRIPTION_ID,
    );
  });
});

describe('API version support', () => {
  it.each([
    [STRIPE_API_VERSION, 'pinned'],
    ['2022-08-01', 'supported'],
    ['2023-10-16', 'supported'],
    ['2025-03-31.basil', 'supported'],
    ['2020-08-27', 'older'],
    ['2099-01-01.zinnia', 'newer'],
    ['not-a-version', 'unknown'],
  ] as const)('%s is %s', (version, support) => {
    expect(apiVersionSupport(version)).toBe(support);
  });
});

describe('invoice.* at every version', () => {
  it.each(ALL_VERSIONS)('%s: a subscription invoice links its subscription and the Opportunity in the subscription metadata', (version) => {
    const json = eventAt(
      'invoice.paid',
      version,
      { subscription: SAMPLE_SUBSCRIPTION_ID, metadata: OPPORTUNITY_LINK },
      { paymentIntent: SAMPLE_PAYMENT_INTENT_ID, charge: SAMPLE_CHARGE_ID },
    );
    // The invoice's own metadata is empty; only the subscription's names the Opportunity.
    json['data'].object.metadata = {};
    const effect = mapped(mapJson(json));
    expect(effect.rank).toBe(RANK.SETTLED);
    expect(only(effect, 'Stripe_Invoice__c').fields).toMatchObject({
      Status__c: 'Paid',
      Stripe_Subscription_Id__c: SAMPLE_SUBSCRIPTION_ID,
      Opportunity__c: SAMPLE_OPPORTUNITY_ID,
      Amount_Paid__c: 49.99,
    });
    expect(only(effect, 'Opportunity').fields).toMatchObject({ Stripe_Payment_Status__c: 'Paid', Stripe_Invoice_Id__c: SAMPLE_INVOICE_ID });
  });

  it('2022-08-01 without subscription_details: the subscription id still, links through the invoice and the customer', () => {
    const json = eventAt('invoice.payment_failed', '2022-08-01', { subscription: SAMPLE_SUBSCRIPTION_ID, metadata: {} }, { withoutSubscriptionDetails: true });
    const effect = mapped(mapJson(json));
    expect(only(effect, 'Stripe_Invoice__c').fields).toMatchObject({
      Stripe_Subscription_Id__c: SAMPLE_SUBSCRIPTION_ID,
      Account__r: { Stripe_Customer_Id__c: SAMPLE_CUSTOMER_ID },
    });
    expect(only(effect, 'Case').fields.Description).toContain(SAMPLE_SUBSCRIPTION_ID);
  });

  it.each(ALL_VERSIONS)('%s: invoice.finalized of an invoice already paid (credit balance, nothing due) is Paid', (version) => {
    const json = eventAt('invoice.finalized', version);
    Object.assign(json['data'].object, { status: 'paid', amount_due: 0, amount_paid: 0, amount_remaining: 0 });
    json['data'].object.status_transitions.paid_at = json['data'].object.status_transitions.finalized_at;
    const effect = mapped(mapJson(json));
    expect(effect.rank).toBe(RANK.SETTLED);
    expect(only(effect, 'Opportunity').fields.Stripe_Payment_Status__c).toBe('Paid');
    expect(only(effect, 'Stripe_Invoice__c').fields.Status__c).toBe('Paid');
  });

  it('invoice.finalized of an open invoice is still Awaiting Payment', () => {
    expect(only(mapped(mapJson(eventAt('invoice.finalized', STRIPE_API_VERSION))), 'Opportunity').fields.Stripe_Payment_Status__c).toBe(
      'Awaiting Payment',
    );
  });

  it.each(['2023-10-16', STRIPE_API_VERSION])('%s: a trial invoice that billed nothing leaves the Opportunity alone', (version) => {
    const json = eventAt('invoice.paid', version, { amount: 0, subscription: SAMPLE_SUBSCRIPTION_ID });
    const effect = mapped(mapJson(json));
    expect(sobjects(effect)).toEqual(['Stripe_Invoice__c']);
    expect(only(effect, 'Stripe_Invoice__c').fields).toMatchObject({ Status__c: 'Paid', Amount_Due__c: 0 });
  });
});

describe('customer.subscription.* at every version', () => {
  it.each(ALL_VERSIONS)('%s: the current period end, from the subscription or from its items', (version) => {
    const effect = mapped(mapJson(eventAt('customer.subscription.created', version)));
    expect(only(effect, 'Stripe_Subscription__c').fields).toMatchObject({
      Status__c: 'Active',
      Current_Period_End__c: '2026-12-01T00:00:00.000Z',
      Cancel_At_Period_End__c: false,
    });
  });

  it('2022-08-01 as a captured webhook shows it: the period at top level, items without one', () => {
    // Captured customer.subscription.* webhook at "api_version": "2022-08-01": "current_period_end":
    // 1731817014 on the subscription, its item without a period
    // (https://str3.advancedsystemrepair.com/cb-2024-08-17.log).
    const json = eventAt('customer.subscription.updated', '2022-08-01');
    json['data'].object.current_period_end = 1_731_817_014;
    const record = only(mapped(mapJson(json)), 'Stripe_Subscription__c');
    expect(record.fields.Current_Period_End__c).toBe(new Date(1_731_817_014_000).toISOString());
  });

  it('items with different periods: the subscription runs until the last one ends', () => {
    const json = eventAt('customer.subscription.updated', STRIPE_API_VERSION);
    const item = json['data'].object.items.data[0];
    json['data'].object.items.data.push({ ...item, id: 'si_test_second', current_period_end: item.current_period_end + 86_400 });
    const record = only(mapped(mapJson(json)), 'Stripe_Subscription__c');
    expect(record.fields.Current_Period_End__c).toBe(new Date((item.current_period_end + 86_400) * 1000).toISOString());
  });
});

describe('payment_intent.* at every version', () => {
  it('2022-08-01: card brand and last 4 from the embedded charges list', () => {
    const charge = chargeAt('2022-08-01', { amountRefunded: 0 });
    const json = eventAt('payment_intent.succeeded', '2022-08-01', {}, { charges: [charge] });
    const record = only(mapped(mapJson(json)), 'Stripe_Payment__c');
    expect(record.fields).toMatchObject({ Status__c: 'Succeeded', Card_Brand__c: 'visa', Card_Last4__c: '4242', Amount_Refunded__c: 0 });
  });

  it.each(['2023-10-16', '2024-06-20', BASIL, STRIPE_API_VERSION])('%s: latest_charge is an id, so no card details here (charge.succeeded brings them)', (version) => {
    const record = only(mapped(mapJson(eventAt('payment_intent.succeeded', version))), 'Stripe_Payment__c');
    expect(record.fields).toMatchObject({ Status__c: 'Succeeded', Amount__c: 49.99 });
    expect(record.fields).not.toHaveProperty('Card_Brand__c');
  });

  it.each(ALL_VERSIONS)('%s: a partial capture records the amount received, not the amount authorized', (version) => {
    const json = eventAt('payment_intent.succeeded', version, { amount: 10_000 });
    json['data'].object.amount_received = 6_000;
    expect(only(mapped(mapJson(json)), 'Stripe_Payment__c').fields.Amount__c).toBe(60);
  });

  it.each(OLD_VERSIONS)('%s: a PaymentIntent that names its invoice is linked to it, and its failure opens no Case', (version) => {
    const succeeded = only(mapped(mapJson(eventAt('payment_intent.succeeded', version, {}, { invoice: SAMPLE_INVOICE_ID }))), 'Stripe_Payment__c');
    expect(succeeded.fields.Stripe_Invoice_Id__c).toBe(SAMPLE_INVOICE_ID);
    const failed = mapped(mapJson(eventAt('payment_intent.payment_failed', version, {}, { invoice: SAMPLE_INVOICE_ID })));
    expect(sobjects(failed)).not.toContain('Case');
  });

  it('pinned: an invoice payment as a captured clover webhook shows it ("Subscription creation", latest_charge py_…) opens no Case', () => {
    // Captured payment_intent.succeeded at "api_version": "2026-01-28.clover": "description":
    // "Subscription creation", "latest_charge": "py_3TWIvx0qWkNaM1fM0WWKHuKt"
    // (https://maxj.phd/git/max/makenotwork/tree/main/server/tests/fixtures/webhooks/payment_intent.succeeded.json).
    const json = eventAt('payment_intent.payment_failed', STRIPE_API_VERSION);
    Object.assign(json['data'].object, { description: 'Subscription creation', latest_charge: 'py_test_fake0001' });
    const effect = mapped(mapJson(json));
    expect(sobjects(effect)).not.toContain('Case');
    expect(only(effect, 'Stripe_Payment__c').fields).not.toHaveProperty('Stripe_Invoice_Id__c');
  });
});

describe('charge.succeeded at every version', () => {
  it.each(ALL_VERSIONS)('%s: card brand and last 4 for the PaymentIntent, as facts without a precedence key', (version) => {
    const effect = mapped(mapJson(eventAt('charge.succeeded', version, { amountRefunded: 0 })));
    expect(effect.rank).toBe(RANK.OPEN);
    const record = only(effect, 'Stripe_Payment__c');
    expect(record.key).toEqual({ field: 'Stripe_Id__c', value: SAMPLE_PAYMENT_INTENT_ID });
    expect(record.version).toBeUndefined();
    expect(record.fields).toMatchObject({ Card_Brand__c: 'visa', Card_Last4__c: '4242', Stripe_Customer_Id__c: SAMPLE_CUSTOMER_ID });
    // An authorization awaiting capture also fires charge.succeeded: status and amount stay with the PaymentIntent.
    for (const state of ['Status__c', 'Amount__c', 'Paid_At__c', 'Last_Stripe_Event_At__c']) expect(record.fields).not.toHaveProperty(state);
    expect(sobjects(effect)).toEqual(['Stripe_Payment__c']);
  });

  it('2024-06-20: a charge that names its invoice links the payment record to it', () => {
    // Captured charge.succeeded at "api_version": "2024-06-20" carries "invoice": "in_1NvKgBIGBnsLynRrmRFHAcoV"
    // (https://git.lipovcan.cz/Upstream/bitwarden-server/raw/commit/a952d106374d838b1b526b3289a8d152240c1904/test/Billing.Test/Resources/Events/charge.succeeded.json).
    const record = only(mapped(mapJson(eventAt('charge.succeeded', '2024-06-20', {}, { invoice: SAMPLE_INVOICE_ID }))), 'Stripe_Payment__c');
    expect(record.fields.Stripe_Invoice_Id__c).toBe(SAMPLE_INVOICE_ID);
  });

  it("a charge made without a PaymentIntent (Stripe's charge fixture) is keyed by the charge", () => {
    // Stripe's OpenAPI charge fixture: "payment_intent": null, "captured": false, "amount_captured": 0.
    const json = eventAt('charge.succeeded', STRIPE_API_VERSION, { paymentIntent: null });
    Object.assign(json['data'].object, { captured: false, amount_captured: 0 });
    expect(only(mapped(mapJson(json)), 'Stripe_Payment__c').key.value).toBe(SAMPLE_CHARGE_ID);
  });
});

describe('charge.refunded at every version', () => {
  it.each(ALL_VERSIONS)('%s: refunded, with the charge links', (version) => {
    const effect = mapped(mapJson(eventAt('charge.refunded', version, { amountRefunded: 1000 })));
    expect(only(effect, 'Stripe_Payment__c').fields).toMatchObject({ Status__c: 'Partially Refunded', Amount_Refunded__c: 10 });
    expect(only(effect, 'Opportunity').fields.Stripe_Payment_Status__c).toBe('Partially Refunded');
  });

  it('after a partial capture, refunding everything captured is a full refund of what was paid', () => {
    const json = eventAt('charge.refunded', STRIPE_API_VERSION, { amount: 10_000, amountRefunded: 6_000 });
    Object.assign(json['data'].object, { amount_captured: 6_000, refunded: false });
    const effect = mapped(mapJson(json));
    expect(only(effect, 'Stripe_Payment__c').fields).toMatchObject({ Status__c: 'Refunded', Amount__c: 60 });
  });
});

describe('charge.dispute.* at every version', () => {
  it.each(ALL_VERSIONS)('%s: with the charge the consumer read, the Opportunity the charge names shows Disputed', (version) => {
    const json = eventAt('charge.dispute.created', version, { metadata: {} });
    json['data'].object.charge = chargeAt(STRIPE_API_VERSION, { metadata: OPPORTUNITY_LINK, amountRefunded: 0 });
    const effect = mapped(mapJson(json));
    expect(only(effect, 'Opportunity').fields).toEqual({ Stripe_Payment_Status__c: 'Disputed' });
    expect(only(effect, 'Stripe_Payment__c').fields).toMatchObject({ Status__c: 'Disputed', Opportunity__c: SAMPLE_OPPORTUNITY_ID });
  });

  it("Stripe's dispute fixture (an inquiry on a charge without PaymentIntent) is recorded on the charge", () => {
    // Stripe's OpenAPI dispute fixture: "payment_intent": null, "status": "warning_needs_response".
    const json = eventAt('charge.dispute.created', STRIPE_API_VERSION, { paymentIntent: null });
    json['data'].object.status = 'warning_needs_response';
    expect(only(mapped(mapJson(json)), 'Stripe_Payment__c').key.value).toBe(SAMPLE_CHARGE_ID);
  });
});

describe('checkout.session.* at every version', () => {
  it.each(ALL_VERSIONS)('%s: a paid payment-mode session marks its payment and the Opportunity', (version) => {
    const effect = mapped(mapJson(eventAt('checkout.session.completed', version)));
    expect(only(effect, 'Stripe_Payment__c').fields.Status__c).toBe('Succeeded');
    expect(only(effect, 'Opportunity').fields.Stripe_Payment_Status__c).toBe('Paid');
  });

  it.each(['2023-10-16', STRIPE_API_VERSION])('%s: a free trial (no_payment_required) is not Paid, but its subscription and invoice are linked', (version) => {
    const json = eventAt('checkout.session.completed', version, { amount: 0, paymentIntent: null });
    Object.assign(json['data'].object, {
      mode: 'subscription',
      payment_status: 'no_payment_required',
      subscription: SAMPLE_SUBSCRIPTION_ID,
      invoice: SAMPLE_INVOICE_ID,
    });
    const effect = mapped(mapJson(json));
    expect(effect.rank).toBe(RANK.OPEN);
    expect(only(effect, 'Opportunity').fields).toEqual({ Stripe_Invoice_Id__c: SAMPLE_INVOICE_ID });
    expect(sobjects(effect)).not.toContain('Stripe_Payment__c');
    expect(only(effect, 'Stripe_Subscription__c').fields).toEqual({ Opportunity__c: SAMPLE_OPPORTUNITY_ID });
  });

  it('a zero-amount payment-mode session (100 % discount) is not Paid either', () => {
    const json = eventAt('checkout.session.completed', STRIPE_API_VERSION, { amount: 0 });
    json['data'].object.payment_status = 'no_payment_required';
    json['data'].object.payment_intent = null;
    expect(mapJson(json)).toMatchObject({ outcome: 'skipped' });
  });

  function subscriptionSession(version: string, invoice: unknown): Json {
    const json = eventAt('checkout.session.completed', version, { paymentIntent: null, metadata: OPPORTUNITY_LINK });
    Object.assign(json['data'].object, { mode: 'subscription', subscription: SAMPLE_SUBSCRIPTION_ID, invoice });
    return json;
  }

  it('pinned: with the invoice read with its payments, the session writes the payment record', () => {
    // The Invoice Payment object (https://docs.stripe.com/api/invoice-payment/object):
    // "payment": { "type": "payment_intent", "payment_intent": "pi_103Q0w2eZvKYlo2C364X582Z" }, "status": "paid".
    const invoice = {
      id: SAMPLE_INVOICE_ID,
      object: 'invoice',
      payments: {
        object: 'list',
        data: [
          { id: 'inpay_test_1', object: 'invoice_payment', status: 'canceled', payment: { type: 'payment_intent', payment_intent: 'pi_test_abandoned' } },
          { id: 'inpay_test_2', object: 'invoice_payment', status: 'paid', payment: { type: 'payment_intent', payment_intent: SAMPLE_PAYMENT_INTENT_ID } },
        ],
      },
    };
    const effect = mapped(mapJson(subscriptionSession(STRIPE_API_VERSION, invoice)));
    expect(only(effect, 'Stripe_Payment__c').key.value).toBe(SAMPLE_PAYMENT_INTENT_ID);
    expect(only(effect, 'Stripe_Payment__c').fields).toMatchObject({
      Status__c: 'Succeeded',
      Stripe_Invoice_Id__c: SAMPLE_INVOICE_ID,
      Opportunity__c: SAMPLE_OPPORTUNITY_ID,
    });
    expect(only(effect, 'Opportunity').fields).toEqual({ Stripe_Payment_Status__c: 'Paid', Stripe_Invoice_Id__c: SAMPLE_INVOICE_ID });
    expect(only(effect, 'Stripe_Subscription__c').fields).toEqual({ Opportunity__c: SAMPLE_OPPORTUNITY_ID });
  });

  it('2023-10-16: an invoice expanded in the old shape names its payment_intent', () => {
    const effect = mapped(mapJson(subscriptionSession('2023-10-16', { id: SAMPLE_INVOICE_ID, object: 'invoice', payment_intent: SAMPLE_PAYMENT_INTENT_ID })));
    expect(only(effect, 'Stripe_Payment__c').key.value).toBe(SAMPLE_PAYMENT_INTENT_ID);
  });

  it.each(ALL_VERSIONS)('%s: without the invoice read (an id, as webhooks send it), the links are still written', (version) => {
    const effect = mapped(mapJson(subscriptionSession(version, SAMPLE_INVOICE_ID)));
    expect(sobjects(effect)).toEqual(['Opportunity', 'Stripe_Invoice__c', 'Stripe_Subscription__c']);
  });
});

describe('metadata ids by key prefix', () => {
  it('an Account id in salesforce_opportunity_id is ignored with a reason; the payment is still written', () => {
    const effect = mapped(
      mapJson(eventAt('payment_intent.succeeded', STRIPE_API_VERSION, { metadata: { salesforce_opportunity_id: SAMPLE_ACCOUNT_ID, salesforce_order_id: SAMPLE_OPPORTUNITY_ID } })),
    );
    expect(sobjects(effect)).toEqual(['Stripe_Payment__c']);
    expect(only(effect, 'Stripe_Payment__c').fields).not.toHaveProperty('Opportunity__c');
    expect(effect.warnings).toEqual([
      'salesforce_opportunity_id names a record with key prefix 001, not an Opportunity (006); ignored',
      'salesforce_order_id names a record with key prefix 006, not an Order (801); ignored',
    ]);
    // Metadata is free text: a reason never repeats the value.
    expect(JSON.stringify(effect.warnings)).not.toContain(SAMPLE_ACCOUNT_ID);
  });

  it('a less specific source can still supply the link when the first one is wrong', () => {
    const json = eventAt('invoice.paid', STRIPE_API_VERSION, { subscription: SAMPLE_SUBSCRIPTION_ID, metadata: OPPORTUNITY_LINK });
    json['data'].object.metadata = { salesforce_opportunity_id: SAMPLE_ORDER_ID };
    const effect = mapped(mapJson(json));
    expect(only(effect, 'Opportunity').key.value).toBe(SAMPLE_OPPORTUNITY_ID);
    expect(effect.warnings).toHaveLength(1);
  });

  it('a customer naming a record that is not an Account is skipped with the reason', () => {
    const result = mapJson(eventAt('customer.updated', STRIPE_API_VERSION, { metadata: { salesforce_account_id: SAMPLE_OPPORTUNITY_ID } }));
    expect(result).toEqual({
      outcome: 'skipped',
      reason: 'salesforce_account_id names a record with key prefix 006, not an Account (001); ignored',
    });
  });

  it('a customer links its Account only where Salesforce lets it: the refusal of the set-once rule is expected', () => {
    const account = only(mapped(mapJson(eventAt('customer.created', STRIPE_API_VERSION))), 'Account');
    expect(account.skipIfRefused).toEqual({ errorCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', field: 'Stripe_Customer_Id__c' });
  });

  it('accepts 15- and 18-character ids with the right prefix', () => {
    for (const id of [SAMPLE_OPPORTUNITY_ID, SAMPLE_OPPORTUNITY_ID.slice(0, 15)]) {
      const effect = mapped(mapJson(eventAt('payment_intent.succeeded', STRIPE_API_VERSION, { metadata: { salesforce_opportunity_id: id } })));
      expect(only(effect, 'Opportunity').key.value).toBe(id);
      expect(effect.warnings).toBeUndefined();
    }
  });
});
