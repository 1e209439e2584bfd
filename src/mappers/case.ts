/**
 * The Case a still-unpaid payment failure opens, one per failure event (upsert on the event
 * id, so a redelivery updates the same Case). It looks up the payment or invoice record whose
 * failure it reports and carries the failure's precedence key: Salesforce opens no Case when that
 * record already shows a newer state (paid in the same batch or earlier, or a newer attempt), and
 * the consumer closes an open one when the record is later paid (docs/consistency.md).
 *
 * Subject and Description hold amounts, Stripe ids, the failure code and Stripe's message and
 * the hosted invoice URL; never emails, names, descriptions or card data.
 */
import { caseLinks, compact, type SalesforceLinks } from './links.js';
import type { SalesforceMutation } from './mutation.js';
import { formatMoney, truncate } from './records.js';
import { isoDateTime } from './time.js';

export interface PaymentFailureCase {
  readonly eventId: string;
  /** What failed, as the Subject says it: `payment`, `invoice payment`, `checkout payment`. */
  readonly what: string;
  readonly amount: { readonly minor: number; readonly currency: string } | undefined;
  /** The Stripe object the Case is about (PaymentIntent, Invoice or Checkout Session id). */
  readonly objectId: string;
  /** Labelled Stripe ids for the Description, in order; undefined entries are left out. */
  readonly ids: Readonly<Record<string, string | undefined>>;
  readonly failureCode?: string | null | undefined;
  readonly declineCode?: string | null | undefined;
  readonly failureMessage?: string | null | undefined;
  readonly hostedInvoiceUrl?: string | null | undefined;
  readonly links: SalesforceLinks;
  /** The payment or invoice record whose failure this reports. */
  readonly reportsOn: { readonly sobject: 'Stripe_Payment__c' | 'Stripe_Invoice__c'; readonly stripeId: string };
}

/** The Case's lookup to the record it reports on (a relationship by the record's Stripe id). */
const REPORTS_ON_RELATIONSHIP = { Stripe_Payment__c: 'Stripe_Payment__r', Stripe_Invoice__c: 'Stripe_Invoice__r' } as const;

export function paymentFailureCase(input: PaymentFailureCase): SalesforceMutation {
  const amount = input.amount === undefined ? '' : `: ${formatMoney(input.amount.minor, input.amount.currency)}`;
  const code =
    input.failureCode && input.declineCode ? `${input.failureCode} (${input.declineCode})` : input.failureCode || input.declineCode;
  const lines = Object.entries(
    compact({
      'Stripe event': input.eventId,
      ...input.ids,
      'Failure code': code ?? undefined,
      'Failure message': truncate(input.failureMessage, 1000),
      'Hosted invoice URL': input.hostedInvoiceUrl ?? undefined,
    }),
  ).map(([label, value]) => `${label}: ${value}`);
  const { fields: linkFields, optionalReferences } = caseLinks(input.links);
  const reportsOn = REPORTS_ON_RELATIONSHIP[input.reportsOn.sobject];
  return {
    sobject: 'Case',
    key: { field: 'Stripe_Event_Id__c', value: input.eventId },
    fields: {
      Subject: `Stripe ${input.what} failed${amount}`,
      Description: lines.join('\n'),
      Stripe_Object_Id__c: input.objectId,
      ...linkFields,
      [reportsOn]: { Stripe_Id__c: input.reportsOn.stripeId },
    },
    // The record is written in the same request; should it be missing, the Case is still opened.
    optionalReferences: [...optionalReferences, reportsOn],
  };
}

export interface CasePayment {
  /** What was paid: `invoice INV-0042`, `payment pi_123`, `checkout payment cs_123`. */
  readonly what: string;
  readonly amount: { readonly minor: number; readonly currency: string } | undefined;
  /** Seconds since the epoch. */
  readonly paidAt: number;
  readonly eventId: string;
}

/**
 * The comment on a failure Case closed because its money arrived, as a rep reads it: what was
 * paid, how much, when, and the Stripe event that said so. Ids and amounts only (no emails,
 * names or card data); internal (the closer sets IsPublished false).
 */
export function paidCaseComment(payment: CasePayment): string {
  const amount = payment.amount === undefined ? '' : ` (${formatMoney(payment.amount.minor, payment.amount.currency)})`;
  const iso = isoDateTime(payment.paidAt);
  const when = `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
  return [
    `Paid in Stripe: ${payment.what}${amount} on ${when}.`,
    'The money this Case was opened for has arrived, so the Stripe bridge closed the Case. Nothing is left to collect for this failure.',
    `Stripe event: ${payment.eventId}`,
  ].join('\n');
}
