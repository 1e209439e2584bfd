/**
 * charge.dispute.created / closed → Stripe_Payment__c (keyed by the disputed PaymentIntent),
 * Opportunity/Order when a link is known. A dispute carries its own (usually empty) metadata;
 * the payment's links come from the charge only when the consumer expanded it.
 */
import type { OpportunityPaymentStatus, PaymentStatus } from '../contracts/statuses.js';
import type { StripeEventOf } from '../stripe/event-schemas.js';
import { customRecordLinks, idOf, linksFrom } from './links.js';
import type { MapResult } from './mutation.js';
import { RANK } from './ranks.js';
import { effect, revenueRecords, stripeRecordFields, upsert } from './records.js';

interface Outcome {
  readonly payment: PaymentStatus;
  readonly opportunity: OpportunityPaymentStatus;
}

const CREATED: Outcome = { payment: 'Disputed', opportunity: 'Disputed' };

/** A closed dispute by its final status; inquiries closed or prevented leave the money with us. */
const CLOSED: Readonly<Record<string, Outcome>> = {
  won: { payment: 'Dispute Won', opportunity: 'Paid' },
  lost: { payment: 'Dispute Lost', opportunity: 'Refunded' },
  warning_closed: { payment: 'Succeeded', opportunity: 'Paid' },
  prevented: { payment: 'Succeeded', opportunity: 'Paid' },
};

export function mapDisputeEvent(event: StripeEventOf<'charge.dispute.created' | 'charge.dispute.closed'>): MapResult {
  const dispute = event.data.object;
  const closed = event.type === 'charge.dispute.closed';
  const outcome = closed ? CLOSED[dispute.status] : CREATED;
  // A charge the consumer expanded (as `expand[]=charge` would) names the payment's links.
  if (outcome === undefined) return { outcome: 'skipped', reason: `dispute closed with unknown status ${dispute.status}` };

  const charge = typeof dispute.charge === 'object' ? dispute.charge : undefined;
  const paymentId = idOf(dispute.payment_intent) ?? idOf(charge?.payment_intent) ?? idOf(dispute.charge);
  if (paymentId === undefined) return { outcome: 'skipped', reason: 'dispute names no payment' };
  const links = linksFrom(charge?.customer, dispute.metadata, charge?.metadata);
  const recordLinks = customRecordLinks(links, { order: true });
  const brand = dispute.payment_method_details?.card?.brand;

  const payment = upsert(
    'Stripe_Payment__c',
    { field: 'Stripe_Id__c', value: paymentId },
    {
      ...stripeRecordFields(event, paymentId),
      Status__c: outcome.payment,
      Card_Brand__c: brand ? brand.slice(0, 40) : undefined,
      Stripe_Customer_Id__c: links.customerId,
      Stripe_Invoice_Id__c: idOf(charge?.invoice),
      ...recordLinks.fields,
    },
    recordLinks.optionalReferences,
  );
  return effect(
    event,
    closed ? RANK.DISPUTE_CLOSED : RANK.DISPUTED,
    [payment, ...revenueRecords(links, outcome.opportunity)],
    'nothing to write',
    links,
  );
}
