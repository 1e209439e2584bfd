/** invoice.* → Stripe_Invoice__c (keyed by the invoice id), Opportunity/Order, Case. */
import type { InvoiceStatus, OpportunityPaymentStatus } from '../contracts/statuses.js';
import type { StripeEventOf, StripeInvoice } from '../stripe/event-schemas.js';
import { paymentFailureCase } from './case.js';
import { customRecordLinks, idOf, linksFrom, type SalesforceLinks } from './links.js';
import { guardOf, type MapResult, type SalesforceMutation } from './mutation.js';
import { RANK } from './ranks.js';
import { effect, money, opportunityAndOrder, stripeRecordFields, upsert } from './records.js';
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

const OUTCOMES: Readonly<Record<InvoiceEventType, Outcome>> = {
  'invoice.finalized': { opportunity: 'Awaiting Payment', rank: RANK.OPEN },
  'invoice.paid': { opportunity: 'Paid', rank: RANK.SETTLED },
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

export function mapInvoiceEvent(event: StripeEventOf<InvoiceEventType>): MapResult {
  const invoice = event.data.object;
  const outcome = OUTCOMES[event.type];
  const subscription = invoice.parent?.subscription_details;
  // The invoice's own metadata first; a subscription's invoices inherit the subscription's.
  const links = linksFrom(invoice.customer, invoice.metadata, subscription?.metadata);
  const mutations: SalesforceMutation[] = [
    invoiceRecord(event, invoice, links, idOf(subscription?.subscription)),
    ...opportunityAndOrder(links, outcome.opportunity, { id: invoice.id, url: invoice.hosted_invoice_url }),
  ];
  if (event.type === 'invoice.payment_failed' && invoice.status !== 'paid' && invoice.amount_remaining > 0) {
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
          Subscription: idOf(subscription?.subscription),
        },
        hostedInvoiceUrl: invoice.hosted_invoice_url,
        links,
        guard: guardOf('Stripe_Invoice__c', invoice.id),
      }),
    );
  }
  return effect(event, outcome.rank, mutations, 'nothing to write');
}

function invoiceRecord(
  event: StripeEventOf<InvoiceEventType>,
  invoice: StripeInvoice,
  links: SalesforceLinks,
  subscriptionId: string | undefined,
): SalesforceMutation {
  const recordLinks = customRecordLinks(links, { order: true });
  const amountOf = (minor: number) => money(minor, invoice.currency).amount;
  const paidAt = invoice.status_transitions.paid_at;
  return upsert(
    'Stripe_Invoice__c',
    { field: 'Stripe_Id__c', value: invoice.id },
    {
      ...stripeRecordFields(event, invoice.number ?? invoice.id),
      Status__c: invoice.status === null ? undefined : STATUSES[invoice.status],
      Number__c: invoice.number ?? undefined,
      Amount_Due__c: amountOf(invoice.amount_due),
      Amount_Paid__c: amountOf(invoice.amount_paid),
      Amount_Remaining__c: amountOf(invoice.amount_remaining),
      Currency_Code__c: invoice.currency.toUpperCase(),
      Due_Date__c: invoice.due_date === null ? null : isoDate(invoice.due_date),
      Paid_At__c: paidAt === null ? undefined : isoDateTime(paidAt),
      Hosted_Invoice_Url__c: invoice.hosted_invoice_url ?? undefined,
      Stripe_Customer_Id__c: links.customerId,
      Stripe_Subscription_Id__c: subscriptionId,
      ...recordLinks.fields,
    },
    recordLinks.optionalReferences,
  );
}
