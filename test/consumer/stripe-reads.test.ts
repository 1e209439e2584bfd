/**
 * What the consumer reads from Stripe's API (stripe-node over HTTP against the Stripe stand-in):
 * events too large for SQS, which travel as a reference; the charge of a dispute, whose metadata
 * links the dispute to the Opportunity; the first invoice of a paid subscription-mode checkout,
 * with its payments, which name the PaymentIntent the session does not.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConsumerConfig } from '../../src/config.js';
import { createConsumerApp, type ConsumerApp } from '../../src/inbound/consumer-app.js';
import type { DeadLetterFailure } from '../../src/inbound/ports.js';
import { ATTR } from '../../src/ingress/inbound-message.js';
import { inboundRecord } from '../support/consumer-harness.js';
import type Stripe from 'stripe';
import { SAMPLE_CHARGE_ID, sampleEvent } from '../../src/local/sample-events.js';
import { atApiVersion } from '../support/stripe-api-versions.js';
import { billOpportunity } from '../support/billing.js';
import { createLogger } from '../../src/logging.js';
import { startDynalite, type LocalDynamo } from '../../src/local/standins/dynalite.js';
import { LogCapture } from '../support/log-capture.js';
import { startSalesforceStandIn, type SalesforceStandIn } from '../../src/local/standins/salesforce-standin.js';
import { startStripeStandIn, type StripeStandIn } from '../../src/local/standins/stripe-standin.js';

let dynamo: LocalDynamo;
let salesforce: SalesforceStandIn;
let stripe: StripeStandIn;
let app: ConsumerApp;
const deadLetters: DeadLetterFailure[] = [];

beforeAll(async () => {
  [dynamo, salesforce, stripe] = await Promise.all([
    startDynalite(),
    startSalesforceStandIn({ clientId: 'ref-client-fake', clientSecret: 'ref-secret-fake' }),
    startStripeStandIn(),
  ]);
  const config = loadConsumerConfig({
    DEDUP_TABLE_NAME: dynamo.tableName,
    SALESFORCE_LOGIN_URL: salesforce.url,
    SALESFORCE_CLIENT_ID: 'ref-client-fake',
    SALESFORCE_CLIENT_SECRET: 'ref-secret-fake',
    STRIPE_SECRET_KEY: 'sk_test_fake_reference',
    STRIPE_API_URL: stripe.url,
  });
  // No fetchEvent override: the real fetcher built from the config. stripe-node keeps its own
  // retries (2, as deployed); only its wait between them (0.5 s and more) is left out.
  app = createConsumerApp({
    config,
    stripeOptions: { initialNetworkRetryDelaySeconds: 0 },
    logger: createLogger({ service: 'consumer', destination: new LogCapture() }),
    dynamo: dynamo.client,
    deadLetter: async (_record, failure) => {
      deadLetters.push(failure);
    },
  });
});
afterAll(async () => {
  await Promise.all([dynamo.close(), salesforce.close(), stripe.close()]);
});
beforeEach(() => {
  deadLetters.length = 0;
});

/** Reads of these paths Stripe answered 5xx: the first try and stripe-node's two retries. */
const failedReads = (path: RegExp): number => stripe.requests.filter((r) => r.method === 'GET' && path.test(r.path) && r.status >= 500).length;

/** The message the ingress sends for an event over the size limit. */
function referenceRecord(event: Stripe.Event, messageId: string) {
  const record = inboundRecord(event, { messageId, asReference: true });
  expect(record.messageAttributes[ATTR.payload]?.stringValue).toBe('reference');
  return record;
}

describe('events that travelled as a reference', () => {
  it('fetches the event from Stripe and applies it', async () => {
    const event = sampleEvent('payment_intent.succeeded', { id: 'evt_test_reference_ok', objectId: 'pi_test_reference_ok', metadata: {} });
    stripe.registerEvent(event);
    const summary = await app.handle([referenceRecord(event, 'm-ref-1')]);
    expect([...summary.outcomes.values()]).toEqual(['applied']);
    expect(stripe.requests.some((r) => r.method === 'GET' && r.path === '/v1/events/evt_test_reference_ok')).toBe(true);
    expect(salesforce.records('Stripe_Payment__c').find((r) => r['Stripe_Id__c'] === 'pi_test_reference_ok')).toMatchObject({ Status__c: 'Succeeded' });
  });

  it('dead-letters a reference to an event Stripe does not know, with the reason', async () => {
    const event = sampleEvent('invoice.paid', { id: 'evt_test_reference_missing' });
    const record = referenceRecord(event, 'm-ref-2');
    const summary = await app.handle([record]);
    expect(summary.outcomes.get('m-ref-2')).toBe('dead_lettered');
    expect(deadLetters[0]).toMatchObject({ code: 'STRIPE_INVALID_REQUEST' });
  });

  it('retries when Stripe is unavailable', async () => {
    const event = sampleEvent('payment_intent.succeeded', { id: 'evt_test_reference_retry', objectId: 'pi_test_reference_retry', metadata: {} });
    stripe.registerEvent(event);
    // stripe-node retries 5xx itself (maxNetworkRetries 2): fail more often than that.
    stripe.failNextRequests(3, 500, { type: 'api_error', path: /\/v1\/events\// });
    const first = await app.handle([referenceRecord(event, 'm-ref-3')]);
    expect(first.response.batchItemFailures).toEqual([{ itemIdentifier: 'm-ref-3' }]);
    expect(failedReads(/\/v1\/events\/evt_test_reference_retry$/)).toBe(3);
    expect(deadLetters).toHaveLength(0);
    const second = await app.handle([{ ...referenceRecord(event, 'm-ref-3'), receiveCount: 2 }]);
    expect([...second.outcomes.values()]).toEqual(['applied']);
  });
});

describe('disputes', () => {
  const disputed = (id: string, pi: string) =>
    sampleEvent('charge.dispute.created', { id, paymentIntent: pi, metadata: {} });

  it('expands the disputed charge so the Opportunity it names shows Disputed', async () => {
    const opportunityId = salesforce.insert('Opportunity', { Name: 'Disputed deal', StageName: 'Closed Won', Amount: 49.99 });
    const pi = 'pi_test_disputed_1';
    // Its bill: a payment link, paid through Checkout by this PaymentIntent (the consumer asks Stripe).
    await billOpportunity(dynamo, opportunityId, { stripeObjectId: 'plink_test_disputed_1' });
    stripe.seedCheckoutSession({ payment_link: 'plink_test_disputed_1', payment_intent: pi });
    const charge = sampleEvent('charge.refunded', {
      objectId: SAMPLE_CHARGE_ID,
      paymentIntent: pi,
      metadata: { salesforce_opportunity_id: opportunityId },
    }).data.object as Stripe.Charge;
    stripe.registerCharge(charge);
    const summary = await app.handle([inboundRecord(disputed('evt_test_dispute_1', pi), { messageId: 'm-dsp-1' })]);
    expect([...summary.outcomes.values()]).toEqual(['applied']);
    expect(stripe.requests.some((r) => r.method === 'GET' && r.path === `/v1/charges/${SAMPLE_CHARGE_ID}`)).toBe(true);
    expect(salesforce.records('Opportunity').find((o) => o['Id'] === opportunityId)).toMatchObject({ Stripe_Payment_Status__c: 'Disputed' });
    expect(salesforce.records('Stripe_Payment__c').find((r) => r['Stripe_Id__c'] === pi)).toMatchObject({ Status__c: 'Disputed' });
  });

  it('still records the dispute when Stripe does not return the charge', async () => {
    stripe.failNextRequests(1, 404, { type: 'invalid_request_error', code: 'resource_missing', path: /\/v1\/charges\// });
    const pi = 'pi_test_disputed_2';
    const summary = await app.handle([inboundRecord(disputed('evt_test_dispute_2', pi), { messageId: 'm-dsp-2' })]);
    expect([...summary.outcomes.values()]).toEqual(['applied']);
    expect(deadLetters).toHaveLength(0);
    expect(salesforce.records('Stripe_Payment__c').find((r) => r['Stripe_Id__c'] === pi)).toMatchObject({ Status__c: 'Disputed' });
  });

  it('retries the dispute while Stripe is unavailable', async () => {
    stripe.failNextRequests(3, 500, { type: 'api_error', path: /\/v1\/charges\// });
    const summary = await app.handle([inboundRecord(disputed('evt_test_dispute_3', 'pi_test_disputed_3'), { messageId: 'm-dsp-3' })]);
    expect(summary.response.batchItemFailures).toEqual([{ itemIdentifier: 'm-dsp-3' }]);
    expect(failedReads(/\/v1\/charges\//)).toBe(3);
  });
});

describe('disputes at an older API version', () => {
  it('2023-10-16: the charge read at the pinned version names the Opportunity', async () => {
    const opportunityId = salesforce.insert('Opportunity', { Name: 'Old disputed deal', StageName: 'Closed Won', Amount: 49.99 });
    const pi = 'pi_test_disputed_old';
    const chargeId = 'ch_test_disputed_old';
    await billOpportunity(dynamo, opportunityId, { stripeObjectId: 'plink_test_disputed_old' });
    stripe.seedCheckoutSession({ payment_link: 'plink_test_disputed_old', payment_intent: pi });
    const charge = sampleEvent('charge.succeeded', { objectId: chargeId, paymentIntent: pi, metadata: { salesforce_opportunity_id: opportunityId } })
      .data.object as Stripe.Charge;
    stripe.registerCharge(charge);
    const event = atApiVersion(sampleEvent('charge.dispute.created', { id: 'evt_test_dispute_old', paymentIntent: pi, metadata: {} }), '2023-10-16');
    event['data'].object.charge = chargeId;
    const summary = await app.handle([inboundRecord(event as Stripe.Event, { messageId: 'm-dsp-old' })]);
    expect([...summary.outcomes.values()]).toEqual(['applied']);
    expect(salesforce.records('Opportunity').find((o) => o['Id'] === opportunityId)).toMatchObject({ Stripe_Payment_Status__c: 'Disputed' });
  });
});

describe('subscription-mode checkout', () => {
  const session = (eventId: string, opportunityId: string, invoiceId: string, version: string) => {
    const event = atApiVersion(
      sampleEvent('checkout.session.completed', { id: eventId, paymentIntent: null, metadata: { salesforce_opportunity_id: opportunityId } }),
      version,
    );
    Object.assign(event['data'].object, { mode: 'subscription', subscription: `sub_${eventId}`, invoice: invoiceId });
    return event as Stripe.Event;
  };

  it.each(['2023-10-16', '2026-10-28.endive'])(
    '%s: reads the first invoice with its payments and writes the payment record for the Opportunity',
    async (version) => {
      const opportunityId = salesforce.insert('Opportunity', { Name: `Subscription deal ${version}`, StageName: 'Closed Won', Amount: 49.99 });
      const pi = `pi_test_subscription_${version.slice(0, 4)}`;
      // An Invoice Payment as documented (https://docs.stripe.com/api/invoice-payment/object).
      const invoice = stripe.seedInvoice({
        status: 'paid',
        payments: { object: 'list', data: [{ id: 'inpay_test_1', object: 'invoice_payment', status: 'paid', payment: { type: 'payment_intent', payment_intent: pi } }], has_more: false },
      });
      // Its bill is the subscription's first invoice.
      await billOpportunity(dynamo, opportunityId, { stripeObjectId: invoice.id as string });
      const before = stripe.requests.length;
      const summary = await app.handle([inboundRecord(session(`evt_test_sub_${version.slice(0, 4)}`, opportunityId, invoice.id, version), { messageId: `m-sub-${version}` })]);
      expect([...summary.outcomes.values()]).toEqual(['applied']);
      const reads = stripe.requests.slice(before);
      expect(reads).toHaveLength(1);
      expect(reads[0]).toMatchObject({ method: 'GET', path: `/v1/invoices/${invoice.id}` });
      expect(Object.values(reads[0]!.params)).toContain('payments');
      expect(salesforce.records('Stripe_Payment__c').find((r) => r['Stripe_Id__c'] === pi)).toMatchObject({
        Status__c: 'Succeeded',
        Opportunity__c: opportunityId,
        Stripe_Invoice_Id__c: invoice.id,
      });
      expect(salesforce.records('Opportunity').find((o) => o['Id'] === opportunityId)).toMatchObject({
        Stripe_Payment_Status__c: 'Paid',
        Stripe_Invoice_Id__c: invoice.id,
      });
      expect(salesforce.records('Stripe_Invoice__c').find((r) => r['Stripe_Id__c'] === invoice.id)).toMatchObject({ Opportunity__c: opportunityId });
    },
  );

  it('an invoice Stripe does not know: the Opportunity is still Paid and linked, without a payment record', async () => {
    const opportunityId = salesforce.insert('Opportunity', { Name: 'Subscription deal, invoice gone', StageName: 'Closed Won', Amount: 49.99 });
    await billOpportunity(dynamo, opportunityId, { stripeObjectId: 'in_test_unknown' });
    const summary = await app.handle([inboundRecord(session('evt_test_sub_gone', opportunityId, 'in_test_unknown', '2026-10-28.endive'), { messageId: 'm-sub-gone' })]);
    expect([...summary.outcomes.values()]).toEqual(['applied']);
    expect(deadLetters).toHaveLength(0);
    expect(salesforce.records('Opportunity').find((o) => o['Id'] === opportunityId)).toMatchObject({ Stripe_Payment_Status__c: 'Paid' });
  });

  it('retries the session while Stripe is unavailable', async () => {
    const invoice = stripe.seedInvoice({ status: 'paid' });
    stripe.failNextRequests(3, 500, { type: 'api_error', path: /\/v1\/invoices\// });
    const summary = await app.handle([inboundRecord(session('evt_test_sub_retry', '006Ab00000Retry001', invoice.id, '2026-10-28.endive'), { messageId: 'm-sub-retry' })]);
    expect(summary.response.batchItemFailures).toEqual([{ itemIdentifier: 'm-sub-retry' }]);
    expect(failedReads(new RegExp(`/v1/invoices/${invoice.id}$`))).toBe(3);
  });
});

describe('failed invoice payments', () => {
  // A PaymentIntent whose last attempt the issuer declined, shaped as documented
  // (https://docs.stripe.com/api/payment_intents/object: last_payment_error.code and decline_code;
  // https://docs.stripe.com/declines/codes: card_declined with decline_code insufficient_funds).
  const declinedIntent = (id: string) => ({
    id,
    object: 'payment_intent',
    status: 'requires_payment_method',
    amount: 125_000,
    currency: 'usd',
    last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  });

  it.each(['2023-10-16', '2026-10-28.endive'])(
    '%s: reads the invoice\'s PaymentIntent so the account manager\'s Task says why the card was declined',
    async (version) => {
      const tag = version.slice(0, 4);
      const customerId = `cus_test_declined_${tag}`;
      const accountId = salesforce.insert('Account', { Name: `Declined ${tag}`, Stripe_Customer_Id__c: customerId });
      const pi = `pi_test_declined_${tag}`;
      stripe.lists.seed('payment_intents', declinedIntent(pi));
      // From basil on the invoice names its PaymentIntent only in `payments` (an Invoice Payment:
      // https://docs.stripe.com/api/invoice-payment/object), which events leave out.
      const invoice = stripe.seedInvoice({
        status: 'open',
        customer: customerId,
        payments: { object: 'list', data: [{ id: `inpay_test_declined_${tag}`, object: 'invoice_payment', status: 'open', payment: { type: 'payment_intent', payment_intent: pi } }], has_more: false },
      });
      const event = atApiVersion(
        sampleEvent('invoice.payment_failed', { id: `evt_test_declined_${tag}`, objectId: invoice.id as string, customer: customerId, metadata: {}, amount: 125_000 }),
        version,
      );
      const object = event['data'].object as Record<string, unknown>;
      // Before basil the event names the PaymentIntent itself (https://docs.stripe.com/upgrades#2025-03-31.basil).
      if (version.startsWith('2023')) object['payment_intent'] = pi;
      else delete object['payment_intent'];
      const before = stripe.requests.length;

      const summary = await app.handle([inboundRecord(event as Stripe.Event, { messageId: `m-declined-${tag}` })]);

      expect([...summary.outcomes.values()]).toEqual(['applied']);
      const reads = stripe.requests.slice(before).map((r) => `${r.method} ${r.path}`);
      expect(reads).toEqual(
        version.startsWith('2023') ? [`GET /v1/payment_intents/${pi}`] : [`GET /v1/invoices/${invoice.id}`, `GET /v1/payment_intents/${pi}`],
      );
      const task = salesforce.records('Task').find((t) => t['Stripe_Object_Id__c'] === invoice.id);
      expect(task).toMatchObject({ WhatId: accountId });
      expect(String(task?.['Subject'])).toContain('Insufficient funds');
    },
  );

  it('a PaymentIntent Stripe does not know: the Task is still written, without a reason', async () => {
    const customerId = 'cus_test_declined_gone';
    salesforce.insert('Account', { Name: 'Declined, intent gone', Stripe_Customer_Id__c: customerId });
    const event = atApiVersion(
      sampleEvent('invoice.payment_failed', { id: 'evt_test_declined_gone', objectId: 'in_test_declined_gone', customer: customerId, metadata: {}, amount: 5_000 }),
      '2023-10-16',
    );
    (event['data'].object as Record<string, unknown>)['payment_intent'] = 'pi_test_declined_gone';
    const summary = await app.handle([inboundRecord(event as Stripe.Event, { messageId: 'm-declined-gone' })]);
    expect([...summary.outcomes.values()]).toEqual(['applied']);
    expect(deadLetters).toHaveLength(0);
    const task = salesforce.records('Task').find((t) => t['Stripe_Object_Id__c'] === 'in_test_declined_gone');
    expect(String(task?.['Subject'])).toContain('Stripe gave no reason');
  });
});
