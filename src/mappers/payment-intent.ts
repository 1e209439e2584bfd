/** payment_intent.* → Stripe_Payment__c (keyed by the PaymentIntent id), Opportunity/Order, Case. */
import type { OpportunityPaymentStatus, PaymentStatus } from '../contracts/statuses.js';
import { paymentIntentCharge } from '../stripe/api-versions.js';
import type { StripeEventOf, StripePaymentIntent } from '../stripe/event-schemas.js';
import { paymentFailureCase } from './case.js';
import { failedPaymentTask } from './recovery-task.js';
import { cardFields } from './card.js';
import { customRecordLinks, idOf, linksFrom, METADATA_KEYS } from './links.js';
import type { MapResult, OwedMoney, SalesforceMutation } from './mutation.js';
import { RANK } from './ranks.js';
import { effect, money, revenueRecords, stripeRecordFields, truncate, upsert, type Fields } from './records.js';
import { isoDateTime } from './time.js';

export type PaymentIntentEventType =
  | 'payment_intent.succeeded'
  | 'payment_intent.payment_failed'
  | 'payment_intent.processing'
  | 'payment_intent.canceled';

interface Outcome {
  readonly payment: PaymentStatus;
  readonly opportunity: OpportunityPaymentStatus;
  readonly rank: number;
}

const OUTCOMES: Readonly<Record<PaymentIntentEventType, Outcome>> = {
  'payment_intent.succeeded': { payment: 'Succeeded', opportunity: 'Paid', rank: RANK.SETTLED },
  'payment_intent.payment_failed': { payment: 'Failed', opportunity: 'Payment Failed', rank: RANK.FAILED },
  'payment_intent.processing': { payment: 'Processing', opportunity: 'Awaiting Payment', rank: RANK.OPEN },
  'payment_intent.canceled': { payment: 'Canceled', opportunity: 'Canceled', rank: RANK.OPEN },
};

/**
 * Before API 2025-03-31 a PaymentIntent names its invoice (`invoice`); since then it no longer
 * does, but Stripe describes the ones it creates for invoices this way, and cancels them with
 * these reasons. Their failures are reported (and Cased) by `invoice.payment_failed` instead.
 */
const INVOICE_DESCRIPTION = /^(?:Subscription (?:creation|update|cycle)|Payment for Invoice)\b/;
const INVOICE_CANCELLATION = new Set(['failed_invoice', 'void_invoice']);

export function isInvoicePayment(pi: StripePaymentIntent): boolean {
  return (
    idOf(pi.invoice) !== undefined ||
    INVOICE_DESCRIPTION.test(pi.description ?? '') ||
    (typeof pi.cancellation_reason === 'string' && INVOICE_CANCELLATION.has(pi.cancellation_reason))
  );
}

/** Paid through an invoice or a payment link (Checkout): those events report its failures. */
function reportedElsewhere(pi: StripePaymentIntent): boolean {
  return isInvoicePayment(pi) || pi.metadata?.[METADATA_KEYS.paymentMode] !== undefined;
}

/**
 * What the payment record shows as its amount: what was received once it succeeded (less than
 * requested after a partial capture), what is requested before.
 */
function recordedAmount(type: PaymentIntentEventType, pi: StripePaymentIntent): number {
  if (type === 'payment_intent.succeeded' && typeof pi.amount_received === 'number') return pi.amount_received;
  return pi.amount;
}

export function mapPaymentIntentEvent(event: StripeEventOf<PaymentIntentEventType>): MapResult {
  const pi = event.data.object;
  const outcome = OUTCOMES[event.type];
  const links = linksFrom(pi.customer, pi.metadata);
  // Card details ride along only where the payload embeds the charge (before 2022-11-15, or an
  // expanded latest_charge); otherwise `charge.succeeded` writes them.
  const charge = paymentIntentCharge(pi);
  const { amount, Currency_Code__c } = money(recordedAmount(event.type, pi), pi.currency);
  const recordLinks = customRecordLinks(links, { order: true });

  const fields: Fields = {
    ...stripeRecordFields(event, pi.id),
    Status__c: outcome.payment,
    Amount__c: amount,
    Currency_Code__c,
    Stripe_Customer_Id__c: links.customerId,
    Stripe_Invoice_Id__c: idOf(pi.invoice),
    ...recordLinks.fields,
    ...cardFields(charge?.payment_method_details),
  };
  if (typeof charge?.amount_refunded === 'number') {
    fields.Amount_Refunded__c = money(charge.amount_refunded, charge.currency ?? pi.currency).amount;
  }
  if (event.type === 'payment_intent.succeeded') {
    fields.Paid_At__c = isoDateTime(charge?.created ?? event.created);
    fields.Failure_Message__c = null;
  }
  if (event.type === 'payment_intent.payment_failed') {
    fields.Failure_Message__c =
      truncate(pi.last_payment_error?.message) ?? truncate(pi.last_payment_error?.code) ?? null;
  }

  const key = { field: 'Stripe_Id__c', value: pi.id };
  const mutations: SalesforceMutation[] = [
    upsert('Stripe_Payment__c', key, fields, recordLinks.optionalReferences),
    ...revenueRecords(links, outcome.opportunity),
  ];
  let owed: OwedMoney | undefined =
    event.type === 'payment_intent.succeeded'
      ? {
          kind: 'paid',
          stripeIds: [pi.id],
          what: `payment ${pi.id}`,
          amount: { minor: recordedAmount(event.type, pi), currency: pi.currency },
          paidAt: charge?.created ?? event.created,
        }
      : undefined;
  if (opensCase(event.type, pi, links.opportunityId ?? links.accountId ?? links.orderId)) {
    owed = { kind: 'failed', stripeId: pi.id };
    mutations.push(
      paymentFailureCase({
        eventId: event.id,
        what: 'payment',
        amount: { minor: pi.amount, currency: pi.currency },
        objectId: pi.id,
        ids: { PaymentIntent: pi.id, Customer: links.customerId, Charge: idOf(pi.latest_charge) },
        failureCode: pi.last_payment_error?.code,
        declineCode: pi.last_payment_error?.decline_code,
        failureMessage: pi.last_payment_error?.message,
        links,
        reportsOn: { sobject: 'Stripe_Payment__c', stripeId: pi.id },
      }),
      failedPaymentTask({
        objectId: pi.id,
        label: `Payment ${pi.id}`,
        amount: { minor: pi.amount, currency: pi.currency },
        code: pi.last_payment_error?.code,
        declineCode: pi.last_payment_error?.decline_code,
        // A PaymentIntent outside an invoice is not retried by Stripe.
        nextPaymentAttempt: null,
        failedAt: event.created,
        links,
      }),
    );
  }
  return effect(event, outcome.rank, mutations, 'nothing to write', links, owed);
}

/**
 * A failed PaymentIntent opens a Case only when nobody else reports it and someone in
 * Salesforce owns it: linked on the PaymentIntent itself, not an invoice's payment
 * (invoice.payment_failed reports those) and not marked as paid through a payment link
 * (checkout.session.async_payment_failed does; a declined card on an open checkout page is the
 * customer's to retry, not a Case).
 */
function opensCase(type: PaymentIntentEventType, pi: StripePaymentIntent, salesforceLink: string | undefined): boolean {
  return (
    type === 'payment_intent.payment_failed' &&
    pi.status !== 'succeeded' &&
    salesforceLink !== undefined &&
    !reportedElsewhere(pi)
  );
}
