import { describe, expect, it } from 'vitest';
import {
  SAMPLE_ACCOUNT_ID,
  SAMPLE_CHARGE_ID,
  SAMPLE_CHECKOUT_SESSION_ID,
  SAMPLE_CUSTOMER_ID,
  SAMPLE_INVOICE_ID,
  SAMPLE_OPPORTUNITY_ID,
  SAMPLE_ORDER_ID,
  SAMPLE_PAYMENT_INTENT_ID,
  SAMPLE_SUBSCRIPTION_ID,
  sampleEvent,
} from '../../src/local/sample-events.js';
import { RANK } from '../../src/mappers/ranks.js';
import { HANDLED_EVENT_TYPES } from '../../src/stripe/event-types.js';
import { failureVersion, mapJson, mapped, mapSample, only, sobjects, versionFor } from './helpers.js';

const OPP = { field: 'Id', value: SAMPLE_OPPORTUNITY_ID };
const CREATED_ISO = '2026-11-01T00:00:00.000Z';

describe('mapStripeEvent: coverage', () => {
  it.each(HANDLED_EVENT_TYPES)('maps the sample %s to at least one mutation or a renewal reminder', (type) => {
    const effect = mapped(mapSample(type));
    expect(effect.eventId).toBe('evt_test_fixed0001');
    expect(effect.eventType).toBe(type);
    expect(effect.created).toBe(1_793_491_200);
    // Renewal reminders become Tasks in the consumer, which looks up the Account owner first.
    if (type === 'invoice.upcoming' || type === 'customer.subscription.trial_will_end') expect(effect.reminder?.key).toMatch(/^(renewal|trial):sub_/);
    else expect(effect.mutations.length).toBeGreaterThan(0);
  });

  it('skips event types it does not handle', () => {
    const json = JSON.parse(JSON.stringify(sampleEvent('customer.updated')));
    json.type = 'price.updated';
    expect(mapJson(json)).toEqual({ outcome: 'skipped', reason: 'unhandled event type price.updated' });
  });
});

describe('payment_intent.*', () => {
  const cases = [
    ['payment_intent.succeeded', 'Succeeded', 'Paid', RANK.SETTLED],
    ['payment_intent.payment_failed', 'Failed', 'Payment Failed', RANK.FAILED],
    ['payment_intent.processing', 'Processing', 'Awaiting Payment', RANK.OPEN],
    ['payment_intent.canceled', 'Canceled', 'Canceled', RANK.OPEN],
  ] as const;

  it.each(cases)('%s → payment %s, Opportunity %s, rank %i', (type, payment, opportunity, rank) => {
    const effect = mapped(mapSample(type));
    expect(effect.rank).toBe(rank);
    const record = only(effect, 'Stripe_Payment__c');
    expect(record.key).toEqual({ field: 'Stripe_Id__c', value: SAMPLE_PAYMENT_INTENT_ID });
    expect(record.version).toBe(versionFor(effect, 'Stripe_Payment__c', payment));
    expect(record.fields).toMatchObject({
      Name: SAMPLE_PAYMENT_INTENT_ID,
      Status__c: payment,
      Amount__c: 49.99,
      Currency_Code__c: 'USD',
      Account__c: SAMPLE_ACCOUNT_ID,
      Opportunity__c: SAMPLE_OPPORTUNITY_ID,
      Stripe_Customer_Id__c: SAMPLE_CUSTOMER_ID,
      Livemode__c: false,
      Last_Stripe_Event_At__c: CREATED_ISO,
    });
    const opp = only(effect, 'Opportunity');
    expect(opp.key).toEqual(OPP);
    expect(opp.version).toBe(versionFor(effect, 'Opportunity', opportunity));
    expect(opp.fields).toEqual({ Stripe_Payment_Status__c: opportunity });
  });

  it.each([
    [4999, 'usd', 49.99, 'USD'],
    [5000, 'jpy', 5000, 'JPY'],
    [12345, 'kwd', 12.345, 'KWD'],
  ])('writes %i %s as %d %s', (amount, currency, major, code) => {
    const record = only(mapped(mapSample('payment_intent.succeeded', { amount, currency })), 'Stripe_Payment__c');
    expect(record.fields.Amount__c).toBe(major);
    expect(record.fields.Currency_Code__c).toBe(code);
  });

  it('succeeded sets Paid_At and clears an earlier failure message', () => {
    const record = only(mapped(mapSample('payment_intent.succeeded')), 'Stripe_Payment__c');
    expect(record.fields.Paid_At__c).toBe(CREATED_ISO);
    expect(record.fields.Failure_Message__c).toBeNull();
  });

  it('reads brand, last 4 and refunds from an expanded latest charge, nothing else of the card', () => {
    const charge = JSON.parse(JSON.stringify(sampleEvent('charge.refunded', { amountRefunded: 1000 }))).data.object;
    const record = only(
      mapped(mapSample('payment_intent.succeeded', { objectOverrides: { latest_charge: charge } })),
      'Stripe_Payment__c',
    );
    expect(record.fields).toMatchObject({ Card_Brand__c: 'visa', Card_Last4__c: '4242', Amount_Refunded__c: 10 });
    expect(record.fields.Paid_At__c).toBe('2026-10-31T23:00:00.000Z');
    const json = JSON.stringify(record);
    for (const leaked of ['2034', 'fingerprint', 'fakeFingerprint01', 'exp_', 'pm_test']) expect(json).not.toContain(leaked);
  });

  it('payment_failed records the failure message and opens one Case keyed by the event id', () => {
    const effect = mapped(mapSample('payment_intent.payment_failed', { id: 'evt_test_pifail01' }));
    expect(only(effect, 'Stripe_Payment__c').fields.Failure_Message__c).toBe('Your card has insufficient funds.');
    const failure = only(effect, 'Case');
    expect(failure.key).toEqual({ field: 'Stripe_Event_Id__c', value: 'evt_test_pifail01' });
    expect(failure.version).toBe(failureVersion(effect));
    expect(failure.fields['Stripe_Payment__r']).toEqual({ Stripe_Id__c: SAMPLE_PAYMENT_INTENT_ID });
    expect(failure.version).toBe(only(effect, 'Stripe_Payment__c').version);
    expect(failure.fields).toMatchObject({
      Subject: 'Stripe payment failed: 49.99 USD',
      Stripe_Object_Id__c: SAMPLE_PAYMENT_INTENT_ID,
      AccountId: SAMPLE_ACCOUNT_ID,
      Opportunity__c: SAMPLE_OPPORTUNITY_ID,
    });
    const description = String(failure.fields.Description);
    for (const part of [SAMPLE_PAYMENT_INTENT_ID, 'card_declined', 'insufficient_funds', 'Your card has insufficient funds.']) {
      expect(description).toContain(part);
    }
  });

  it('payment_failed of an invoice payment opens no Case (invoice.payment_failed reports it)', () => {
    for (const description of ['Subscription creation', 'Subscription cycle', 'Payment for Invoice']) {
      const effect = mapped(mapSample('payment_intent.payment_failed', { objectOverrides: { description } }));
      expect(sobjects(effect)).not.toContain('Case');
      expect(only(effect, 'Stripe_Payment__c').fields.Status__c).toBe('Failed');
    }
  });

  it.each(['payment_link', 'invoice'])('payment_failed of a PaymentIntent marked salesforce_payment_mode=%s opens no Case', (mode) => {
    const effect = mapped(
      mapSample('payment_intent.payment_failed', {
        metadata: { salesforce_opportunity_id: SAMPLE_OPPORTUNITY_ID, salesforce_payment_mode: mode },
      }),
    );
    expect(sobjects(effect)).toEqual(['Opportunity', 'Stripe_Payment__c']);
  });

  it('payment_failed without a Salesforce link on the PaymentIntent opens no Case (checkout reports its own)', () => {
    const effect = mapped(mapSample('payment_intent.payment_failed', { metadata: {} }));
    expect(sobjects(effect)).toEqual(['Stripe_Payment__c']);
    const record = only(effect, 'Stripe_Payment__c');
    expect(record.fields.Account__r).toEqual({ Stripe_Customer_Id__c: SAMPLE_CUSTOMER_ID });
    expect(record.optionalReferences).toEqual(['Account__r']);
    expect(record.fields).not.toHaveProperty('Account__c');
  });

  it('a guest payment without links carries no account reference at all', () => {
    const record = only(mapped(mapSample('payment_intent.succeeded', { metadata: {}, customer: null })), 'Stripe_Payment__c');
    expect(record.fields).not.toHaveProperty('Account__r');
    expect(record.fields).not.toHaveProperty('Stripe_Customer_Id__c');
    expect(record.optionalReferences).toBeUndefined();
  });
});

describe('links', () => {
  it('names Order by Id and links it on the record', () => {
    const effect = mapped(
      mapSample('payment_intent.succeeded', {
        metadata: {
          salesforce_opportunity_id: SAMPLE_OPPORTUNITY_ID,
          salesforce_account_id: SAMPLE_ACCOUNT_ID,
          salesforce_order_id: SAMPLE_ORDER_ID,
        },
      }),
    );
    expect(only(effect, 'Stripe_Payment__c').fields.Order__c).toBe(SAMPLE_ORDER_ID);
    const order = only(effect, 'Order');
    expect(order.key).toEqual({ field: 'Id', value: SAMPLE_ORDER_ID });
    expect(order.version).toBe(only(effect, 'Opportunity').version);
    expect(order.fields).toEqual({ Stripe_Payment_Status__c: 'Paid' });
  });

  it.each(['006Ab00000Sample', '006Ab00000Sample01X', '006Ab-0000Sample01', 'null', '', ' '])(
    'ignores a malformed Salesforce id %j',
    (bad) => {
      const effect = mapped(
        mapSample('payment_intent.succeeded', {
          metadata: { salesforce_opportunity_id: bad, salesforce_account_id: bad, salesforce_order_id: bad },
        }),
      );
      expect(sobjects(effect)).toEqual(['Stripe_Payment__c']);
      const fields = only(effect, 'Stripe_Payment__c').fields;
      expect(fields).not.toHaveProperty('Opportunity__c');
      expect(fields).not.toHaveProperty('Account__c');
      expect(fields.Account__r).toEqual({ Stripe_Customer_Id__c: SAMPLE_CUSTOMER_ID });
    },
  );

  it('accepts 15-character ids', () => {
    const effect = mapped(mapSample('payment_intent.succeeded', { metadata: { salesforce_opportunity_id: '006Ab00000Sampl' } }));
    expect(only(effect, 'Opportunity').key.value).toBe('006Ab00000Sampl');
  });
});

describe('charge.refunded', () => {
  it('a full refund → Refunded, rank REFUNDED, amounts in major units, card brand and last 4', () => {
    const effect = mapped(mapSample('charge.refunded'));
    expect(effect.rank).toBe(RANK.REFUNDED);
    const record = only(effect, 'Stripe_Payment__c');
    expect(record.key.value).toBe(SAMPLE_PAYMENT_INTENT_ID);
    expect(record.fields).toMatchObject({
      Status__c: 'Refunded',
      Amount__c: 49.99,
      Amount_Refunded__c: 49.99,
      Card_Brand__c: 'visa',
      Card_Last4__c: '4242',
    });
    expect(only(effect, 'Opportunity').fields).toEqual({ Stripe_Payment_Status__c: 'Refunded' });
  });

  it('a partial refund → Partially Refunded, rank PARTIALLY_REFUNDED', () => {
    const effect = mapped(mapSample('charge.refunded', { amountRefunded: 1999 }));
    expect(effect.rank).toBe(RANK.PARTIALLY_REFUNDED);
    expect(only(effect, 'Stripe_Payment__c').fields).toMatchObject({
      Status__c: 'Partially Refunded',
      Amount_Refunded__c: 19.99,
    });
    expect(only(effect, 'Opportunity').fields).toEqual({ Stripe_Payment_Status__c: 'Partially Refunded' });
  });

  it('a charge without a PaymentIntent is keyed by the charge id', () => {
    const record = only(mapped(mapSample('charge.refunded', { paymentIntent: null })), 'Stripe_Payment__c');
    expect(record.key.value).toBe(SAMPLE_CHARGE_ID);
    expect(record.version).toBeGreaterThan(0);
  });
});

describe('charge.dispute.*', () => {
  it('created → Disputed on the payment, rank DISPUTED', () => {
    const effect = mapped(mapSample('charge.dispute.created'));
    expect(effect.rank).toBe(RANK.DISPUTED);
    const record = only(effect, 'Stripe_Payment__c');
    expect(record.key.value).toBe(SAMPLE_PAYMENT_INTENT_ID);
    expect(record.fields).toMatchObject({ Status__c: 'Disputed', Card_Brand__c: 'visa' });
    // The dispute's amount is not the payment's: it must not overwrite Amount__c.
    expect(record.fields).not.toHaveProperty('Amount__c');
  });

  it('with the charge expanded, links and updates the Opportunity', () => {
    const charge = JSON.parse(JSON.stringify(sampleEvent('charge.refunded', { amountRefunded: 0 }))).data.object;
    const effect = mapped(mapSample('charge.dispute.created', { objectOverrides: { charge } }));
    expect(only(effect, 'Opportunity').fields).toEqual({ Stripe_Payment_Status__c: 'Disputed' });
    expect(only(effect, 'Stripe_Payment__c').fields.Opportunity__c).toBe(SAMPLE_OPPORTUNITY_ID);
  });

  it.each([
    ['won', 'Dispute Won', 'Paid'],
    ['lost', 'Dispute Lost', 'Refunded'],
    ['warning_closed', 'Succeeded', 'Paid'],
  ])('closed %s → payment %s, Opportunity %s, rank DISPUTE_CLOSED', (status, payment, opportunity) => {
    const charge = JSON.parse(JSON.stringify(sampleEvent('charge.refunded', { amountRefunded: 0 }))).data.object;
    const effect = mapped(mapSample('charge.dispute.closed', { objectOverrides: { status, charge } }));
    expect(effect.rank).toBe(RANK.DISPUTE_CLOSED);
    expect(only(effect, 'Stripe_Payment__c').fields.Status__c).toBe(payment);
    expect(only(effect, 'Opportunity').fields).toEqual({ Stripe_Payment_Status__c: opportunity });
  });

  it('skips a closed dispute with a status it does not know', () => {
    const result = mapSample('charge.dispute.closed', { objectOverrides: { status: 'under_review' } });
    expect(result).toEqual({ outcome: 'skipped', reason: 'dispute closed with unknown status under_review' });
  });
});

describe('invoice.*', () => {
  const cases = [
    ['invoice.finalized', 'Open', 'Awaiting Payment', RANK.OPEN],
    ['invoice.paid', 'Paid', 'Paid', RANK.SETTLED],
    ['invoice.payment_failed', 'Open', 'Payment Failed', RANK.FAILED],
    ['invoice.voided', 'Void', 'Canceled', RANK.SETTLED],
    ['invoice.marked_uncollectible', 'Uncollectible', 'Payment Failed', RANK.FAILED],
  ] as const;

  it.each(cases)('%s → invoice %s, Opportunity %s, rank %i', (type, status, opportunity, rank) => {
    const effect = mapped(mapSample(type));
    expect(effect.rank).toBe(rank);
    const record = only(effect, 'Stripe_Invoice__c');
    expect(record.key).toEqual({ field: 'Stripe_Id__c', value: SAMPLE_INVOICE_ID });
    expect(record.version).toBe(versionFor(effect, 'Stripe_Invoice__c', status));
    expect(record.fields).toMatchObject({
      Name: 'SAMPLE-0001',
      Number__c: 'SAMPLE-0001',
      Status__c: status,
      Amount_Due__c: 49.99,
      Currency_Code__c: 'USD',
      Due_Date__c: '2026-11-30',
      Account__c: SAMPLE_ACCOUNT_ID,
      Opportunity__c: SAMPLE_OPPORTUNITY_ID,
      Last_Stripe_Event_At__c: CREATED_ISO,
    });
    expect(String(record.fields.Hosted_Invoice_Url__c)).toMatch(/^https:\/\/invoice\.stripe\.com\//);
    const opp = only(effect, 'Opportunity');
    expect(opp.fields).toMatchObject({ Stripe_Payment_Status__c: opportunity, Stripe_Invoice_Id__c: SAMPLE_INVOICE_ID });
    expect(opp.fields.Stripe_Invoice_Url__c).toBe(record.fields.Hosted_Invoice_Url__c);
  });

  it('paid → amounts paid and remaining, Paid_At from status_transitions', () => {
    const record = only(mapped(mapSample('invoice.paid', { amount: 5000, currency: 'jpy' })), 'Stripe_Invoice__c');
    expect(record.fields).toMatchObject({
      Amount_Paid__c: 5000,
      Amount_Remaining__c: 0,
      Currency_Code__c: 'JPY',
      Paid_At__c: CREATED_ISO,
    });
  });

  it('the Order gets the status and the invoice id', () => {
    const effect = mapped(mapSample('invoice.paid', { metadata: { salesforce_order_id: SAMPLE_ORDER_ID } }));
    expect(only(effect, 'Order').fields).toEqual({ Stripe_Payment_Status__c: 'Paid', Stripe_Invoice_Id__c: SAMPLE_INVOICE_ID });
    expect(sobjects(effect)).not.toContain('Opportunity');
  });

  it('without a number the Name is the invoice id', () => {
    const record = only(mapped(mapSample('invoice.finalized', { objectOverrides: { number: null } })), 'Stripe_Invoice__c');
    expect(record.fields.Name).toBe(SAMPLE_INVOICE_ID);
    expect(record.fields).not.toHaveProperty('Number__c');
  });

  it('a subscription invoice links through the subscription and its metadata', () => {
    const record = only(
      mapped(mapSample('invoice.paid', { subscription: SAMPLE_SUBSCRIPTION_ID, metadata: {} })),
      'Stripe_Invoice__c',
    );
    expect(record.fields.Stripe_Subscription_Id__c).toBe(SAMPLE_SUBSCRIPTION_ID);
    // The sample's subscription_details.metadata are the (empty) metadata passed in.
    expect(record.fields.Account__r).toEqual({ Stripe_Customer_Id__c: SAMPLE_CUSTOMER_ID });
  });

  it('payment_failed of an unpaid invoice opens exactly one Case with the invoice guard', () => {
    const effect = mapped(mapSample('invoice.payment_failed', { id: 'evt_test_infail01', amount: 12345, currency: 'kwd' }));
    const failure = only(effect, 'Case');
    expect(failure.key).toEqual({ field: 'Stripe_Event_Id__c', value: 'evt_test_infail01' });
    expect(failure.version).toBe(failureVersion(effect));
    expect(failure.fields['Stripe_Invoice__r']).toEqual({ Stripe_Id__c: SAMPLE_INVOICE_ID });
    expect(failure.fields.Subject).toBe('Stripe invoice payment failed: 12.345 KWD');
    expect(String(failure.fields.Description)).toContain('Hosted invoice URL: https://invoice.stripe.com/');
    expect(String(failure.fields.Description)).toContain(SAMPLE_INVOICE_ID);
  });

  it('payment_failed of an invoice that is already paid opens no Case', () => {
    const effect = mapped(
      mapSample('invoice.payment_failed', { objectOverrides: { status: 'paid', amount_paid: 4999, amount_remaining: 0 } }),
    );
    expect(sobjects(effect)).not.toContain('Case');
  });

  it('payment_failed with nothing remaining opens no Case', () => {
    const effect = mapped(mapSample('invoice.payment_failed', { objectOverrides: { amount_remaining: 0 } }));
    expect(sobjects(effect)).not.toContain('Case');
  });

  it('a Case without an Account id links through the customer, optionally', () => {
    const failure = only(mapped(mapSample('invoice.payment_failed', { metadata: {} })), 'Case');
    expect(failure.fields.Account).toEqual({ Stripe_Customer_Id__c: SAMPLE_CUSTOMER_ID });
    expect(failure.optionalReferences).toEqual(['Account', 'Stripe_Invoice__r']);
    expect(failure.fields).not.toHaveProperty('AccountId');
  });
});

describe('customer.subscription.*', () => {
  it.each([
    ['customer.subscription.created', 'Active', RANK.OPEN, '2026-12-01T00:00:00.000Z'],
    ['customer.subscription.updated', 'Active', RANK.OPEN, '2026-11-21T00:00:00.000Z'],
    ['customer.subscription.deleted', 'Canceled', RANK.SETTLED, '2026-11-21T00:00:00.000Z'],
  ] as const)('%s → %s, rank %i, period end from the items', (type, status, rank, periodEnd) => {
    const effect = mapped(mapSample(type));
    expect(effect.rank).toBe(rank);
    const record = only(effect, 'Stripe_Subscription__c');
    expect(record.key).toEqual({ field: 'Stripe_Id__c', value: SAMPLE_SUBSCRIPTION_ID });
    expect(record.version).toBe(versionFor(effect, 'Stripe_Subscription__c', String(record.fields['Status__c'])));
    expect(record.fields).toMatchObject({
      Status__c: status,
      Current_Period_End__c: periodEnd,
      Account__c: SAMPLE_ACCOUNT_ID,
      Stripe_Customer_Id__c: SAMPLE_CUSTOMER_ID,
    });
  });

  it('cancel at period end and canceled at', () => {
    const updated = only(mapped(mapSample('customer.subscription.updated')), 'Stripe_Subscription__c');
    expect(updated.fields).toMatchObject({ Cancel_At_Period_End__c: true, Canceled_At__c: CREATED_ISO });
    const created = only(mapped(mapSample('customer.subscription.created')), 'Stripe_Subscription__c');
    expect(created.fields).toMatchObject({ Cancel_At_Period_End__c: false, Canceled_At__c: null });
  });

  it.each([
    ['past_due', 'Past Due'],
    ['incomplete_expired', 'Incomplete Expired'],
    ['trialing', 'Trialing'],
  ])('status %s → %s', (stripe, salesforce) => {
    const record = only(mapped(mapSample('customer.subscription.updated', { objectOverrides: { status: stripe } })), 'Stripe_Subscription__c');
    expect(record.fields.Status__c).toBe(salesforce);
  });

  it('an unknown status leaves the field alone rather than failing', () => {
    const record = only(mapped(mapSample('customer.subscription.updated', { objectOverrides: { status: 'hibernating' } })), 'Stripe_Subscription__c');
    expect(record.fields).not.toHaveProperty('Status__c');
  });
});

describe('checkout.session.*', () => {
  it('completed and paid → payment Succeeded, Opportunity Paid, rank SETTLED', () => {
    const effect = mapped(mapSample('checkout.session.completed'));
    expect(effect.rank).toBe(RANK.SETTLED);
    const record = only(effect, 'Stripe_Payment__c');
    expect(record.key.value).toBe(SAMPLE_PAYMENT_INTENT_ID);
    expect(record.fields).toMatchObject({
      Status__c: 'Succeeded',
      Amount__c: 49.99,
      Stripe_Checkout_Session_Id__c: SAMPLE_CHECKOUT_SESSION_ID,
      Paid_At__c: CREATED_ISO,
    });
    expect(only(effect, 'Opportunity').fields).toEqual({ Stripe_Payment_Status__c: 'Paid' });
  });

  it('completed but unpaid (asynchronous method) → Awaiting Payment, rank OPEN', () => {
    const effect = mapped(mapSample('checkout.session.completed', { objectOverrides: { payment_status: 'unpaid' } }));
    expect(effect.rank).toBe(RANK.OPEN);
    expect(only(effect, 'Stripe_Payment__c').fields.Status__c).toBe('Processing');
    expect(only(effect, 'Opportunity').fields).toEqual({ Stripe_Payment_Status__c: 'Awaiting Payment' });
  });

  it('async_payment_succeeded → Paid', () => {
    const effect = mapped(mapSample('checkout.session.async_payment_succeeded'));
    expect(effect.rank).toBe(RANK.SETTLED);
    expect(only(effect, 'Opportunity').fields).toEqual({ Stripe_Payment_Status__c: 'Paid' });
  });

  it('async_payment_failed → Payment Failed and one Case with the payment guard', () => {
    const effect = mapped(mapSample('checkout.session.async_payment_failed', { id: 'evt_test_csfail01' }));
    expect(effect.rank).toBe(RANK.FAILED);
    expect(only(effect, 'Opportunity').fields).toEqual({ Stripe_Payment_Status__c: 'Payment Failed' });
    const failure = only(effect, 'Case');
    expect(failure.key.value).toBe('evt_test_csfail01');
    expect(failure.version).toBe(failureVersion(effect));
    expect(failure.fields['Stripe_Payment__r']).toEqual({ Stripe_Id__c: SAMPLE_PAYMENT_INTENT_ID });
    expect(failure.fields.Subject).toBe('Stripe checkout payment failed: 49.99 USD');
    expect(failure.fields.Stripe_Object_Id__c).toBe(SAMPLE_CHECKOUT_SESSION_ID);
  });

  it('expired (not from a payment link) → Opportunity Canceled, no payment record', () => {
    const effect = mapped(mapSample('checkout.session.expired'));
    expect(effect.rank).toBe(RANK.OPEN);
    expect(sobjects(effect)).toEqual(['Opportunity']);
    expect(only(effect, 'Opportunity').fields).toEqual({ Stripe_Payment_Status__c: 'Canceled' });
  });

  it('expired from a payment link → nothing to write (the link stays payable)', () => {
    const result = mapSample('checkout.session.expired', { paymentLink: 'plink_test_sample0001' });
    expect(result.outcome).toBe('skipped');
  });

  it('a subscription-mode session hands the invoice id to the Opportunity and Order', () => {
    const effect = mapped(
      mapSample('checkout.session.completed', {
        paymentIntent: null,
        metadata: { salesforce_opportunity_id: SAMPLE_OPPORTUNITY_ID, salesforce_order_id: SAMPLE_ORDER_ID },
        objectOverrides: { mode: 'subscription', invoice: SAMPLE_INVOICE_ID, subscription: SAMPLE_SUBSCRIPTION_ID },
      }),
    );
    expect(sobjects(effect)).toEqual(['Opportunity', 'Order', 'Stripe_Invoice__c', 'Stripe_Subscription__c']);
    expect(only(effect, 'Opportunity').fields).toEqual({ Stripe_Payment_Status__c: 'Paid', Stripe_Invoice_Id__c: SAMPLE_INVOICE_ID });
    expect(only(effect, 'Order').fields).toEqual({ Stripe_Payment_Status__c: 'Paid', Stripe_Invoice_Id__c: SAMPLE_INVOICE_ID });
    // The subscription and its first invoice learn the Opportunity (and Order) the session sold.
    const subscription = only(effect, 'Stripe_Subscription__c');
    expect(subscription.key).toEqual({ field: 'Stripe_Id__c', value: SAMPLE_SUBSCRIPTION_ID });
    expect(subscription.fields).toEqual({ Opportunity__c: SAMPLE_OPPORTUNITY_ID });
    expect(subscription.version).toBeUndefined();
    const invoice = only(effect, 'Stripe_Invoice__c');
    expect(invoice.fields).toEqual({ Opportunity__c: SAMPLE_OPPORTUNITY_ID, Order__c: SAMPLE_ORDER_ID });
    expect(invoice.version).toBeUndefined();
    expect(invoice.optionalReferences).toEqual(['Opportunity__c', 'Order__c']);
  });

  it('a setup-mode session is skipped', () => {
    expect(mapSample('checkout.session.completed', { objectOverrides: { mode: 'setup' } }).outcome).toBe('skipped');
  });
});

describe('customer.*', () => {
  it.each(['customer.created', 'customer.updated'])('%s links the Account named in metadata', (type) => {
    const effect = mapped(mapSample(type));
    expect(effect.rank).toBe(RANK.OPEN);
    const account = only(effect, 'Account');
    expect(account.key).toEqual({ field: 'Id', value: SAMPLE_ACCOUNT_ID });
    expect(account.version).toBeUndefined();
    expect(account.fields).toEqual({ Stripe_Customer_Id__c: SAMPLE_CUSTOMER_ID });
  });

  it('a customer without a Salesforce link is skipped', () => {
    expect(mapSample('customer.updated', { metadata: {} })).toEqual({
      outcome: 'skipped',
      reason: 'customer names no Salesforce Account',
    });
  });
});
