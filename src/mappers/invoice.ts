/** invoice.* → Stripe_Invoice__c (keyed by the invoice id), Opportunity/Order, Case. */
import type { InvoiceStatus, OpportunityPaymentStatus } from '../contracts/statuses.js';
import { invoicePaymentIntentId, invoiceSubscription } from '../stripe/api-versions.js';
import type { StripeEventOf, StripeInvoice } from '../stripe/event-schemas.js';
import { paymentFailureCase } from './case.js';
import { failedPaymentTask } from './recovery-task.js';
import { customRecordLinks, linksFrom, type SalesforceLinks } from './links.js';
import type { MapResult, OwedMoney, SalesforceMutation } from './mutation.js';
import { RANK } from './ranks.js';
import { effect, money, revenueRecords, stripeRecordFields, upsert } from './records.js';
import { subscriptionItemUsage } from './subscription-items.js';
import { isoDate, isoDateTime } from './time.js';

export type InvoiceEventType =
  | 'invoice.finalized'
  | 'invoice.paid'
  | 'invoice.payment_failed'
  | 'invoice.voided'
  | 'invoice.marked_uncollectible';

interface Outcome {
  readonly opportunity: OpportunityPaymentStatus;
  readonly rank: number;
}

const PAID: Outcome = { opportunity: 'Paid', rank: RANK.SETTLED };

const OUTCOMES: Readonly<Record<InvoiceEventType, Outcome>> = {
  'invoice.finalized': { opportunity: 'Awaiting Payment', rank: RANK.OPEN },
  'invoice.paid': PAID,
  'invoice.payment_failed': { opportunity: 'Payment Failed', rank: RANK.FAILED },
  'invoice.voided': { opportunity: 'Canceled', rank: RANK.SETTLED },
  // Written off, yet still owed and payable: a failure, not a settlement.
  'invoice.marked_uncollectible': { opportunity: 'Payment Failed', rank: RANK.FAILED },
};

const STATUSES: Readonly<Record<string, InvoiceStatus>> = {
  draft: 'Draft',
  open: 'Open',
  paid: 'Paid',
  uncollectible: 'Uncollectible',
  void: 'Void',
};

/**
 * An invoice finalized already paid (paid in full from the customer's credit balance, so nothing
 * was due) is Paid, not Awaiting Payment: the event reports the invoice as it is.
 */
function outcomeOf(type: InvoiceEventType, invoice: StripeInvoice): Outcome {
  if (type === 'invoice.finalized' && invoice.status === 'paid') return PAID;
  return OUTCOMES[type];
}

/**
 * An invoice that billed nothing (a trial's first invoice, a 100 % discount) says nothing about
 * what the Opportunity's customer owes or paid: it leaves the Opportunity and Order alone.
 */
function billsNothing(invoice: StripeInvoice): boolean {
  return invoice.total === 0;
}

export function mapInvoiceEvent(event: StripeEventOf<InvoiceEventType>): MapResult {
  const invoice = event.data.object;
  const outcome = outcomeOf(event.type, invoice);
  const subscription = invoiceSubscription(invoice);
  // The invoice's own metadata first; a subscription's invoices inherit the subscription's.
  const links = linksFrom(invoice.customer, invoice.metadata, subscription.metadata);
  const mutations: SalesforceMutation[] = [
    invoiceRecord(event, invoice, links, subscription.id),
    ...(billsNothing(invoice)
      ? []
      : revenueRecords(links, outcome.opportunity, { id: invoice.id, url: invoice.hosted_invoice_url })),
    // A finalized or paid invoice shows what metered items used in the period it bills.
    ...(event.type === 'invoice.paid' || event.type === 'invoice.finalized'
      ? subscriptionItemUsage({ id: invoice.id, periodEnd: invoice.period_end ?? undefined, subscriptionId: subscription.id, lines: invoice.lines?.data ?? [] })
      : []),
  ];
  let owed: OwedMoney | undefined = outcome === PAID ? paidInvoice(event, invoice) : undefined;
  if (event.type === 'invoice.payment_failed' && invoice.status !== 'paid' && invoice.amount_remaining > 0) {
    owed = { kind: 'failed', stripeId: invoice.id };
    mutations.push(
      paymentFailureCase({
        eventId: event.id,
        what: 'invoice payment',
        amount: { minor: invoice.amount_remaining, currency: invoice.currency },
        objectId: invoice.id,
        ids: {
          Invoice: invoice.id,
          'Invoice number': invoice.number ?? undefined,
          Customer: links.customerId,
          Subscription: subscription.id,
        },
        hostedInvoiceUrl: invoice.hosted_invoice_url,
        links,
        reportsOn: { sobject: 'Stripe_Invoice__c', stripeId: invoice.id },
      }),
    );
    // Why it failed is on the invoice's PaymentIntent, when the event carries it expanded.
    const intent = typeof invoice.payment_intent === 'object' && invoice.payment_intent !== null ? invoice.payment_intent : undefined;
    mutations.push(
      failedPaymentTask({
        objectId: invoice.id,
        label: `Invoice ${invoice.number ?? invoice.id}`,
        amount: { minor: invoice.amount_remaining, currency: invoice.currency },
        code: intent?.last_payment_error?.code,
        declineCode: intent?.last_payment_error?.decline_code,
        nextPaymentAttempt: invoice.next_payment_attempt,
        hostedInvoiceUrl: invoice.hosted_invoice_url,
        failedAt: event.created,
        links,
      }),
    );
  }
  return effect(event, outcome.rank, mutations, 'nothing to write', links, owed);
}

/** A paid invoice settles itself and the PaymentIntent that paid it, when the event names one. */
function paidInvoice(event: StripeEventOf<InvoiceEventType>, invoice: StripeInvoice): OwedMoney {
  const paymentIntent = invoicePaymentIntentId(invoice);
  return {
    kind: 'paid',
    stripeIds: paymentIntent === undefined ? [invoice.id] : [invoice.id, paymentIntent],
    what: `invoice ${invoice.number ?? invoice.id}`,
    amount: { minor: invoice.amount_paid, currency: invoice.currency },
    paidAt: invoice.status_transitions?.paid_at ?? event.created,
  };
}

function invoiceRecord(
  event: StripeEventOf<InvoiceEventType>,
  invoice: StripeInvoice,
  links: SalesforceLinks,
  subscriptionId: string | undefined,
): SalesforceMutation {
  const recordLinks = customRecordLinks(links, { order: true });
  const amountOf = (minor: number) => money(minor, invoice.currency).amount;
  const paidAt = invoice.status_transitions?.paid_at;
  return upsert(
    'Stripe_Invoice__c',
    { field: 'Stripe_Id__c', value: invoice.id },
    {
      ...stripeRecordFields(event, invoice.number ?? invoice.id),
      Status__c: typeof invoice.status === 'string' ? STATUSES[invoice.status] : undefined,
      Number__c: invoice.number ?? undefined,
      Amount_Due__c: amountOf(invoice.amount_due),
      Amount_Paid__c: amountOf(invoice.amount_paid),
      Amount_Remaining__c: amountOf(invoice.amount_remaining),
      Currency_Code__c: invoice.currency.toUpperCase(),
      Due_Date__c: typeof invoice.due_date === 'number' ? isoDate(invoice.due_date) : null,
      Paid_At__c: typeof paidAt === 'number' ? isoDateTime(paidAt) : undefined,
      Hosted_Invoice_Url__c: invoice.hosted_invoice_url ?? undefined,
      Stripe_Customer_Id__c: links.customerId,
      Stripe_Subscription_Id__c: subscriptionId,
      ...recordLinks.fields,
    },
    recordLinks.optionalReferences,
  );
}
