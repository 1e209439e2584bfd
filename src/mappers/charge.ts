/**
 * charge.succeeded and charge.refunded → Stripe_Payment__c (keyed by the charge's PaymentIntent),
 * Opportunity/Order for refunds.
 *
 * Card brand and last 4 come from `charge.succeeded`. Since API 2022-11-15 a PaymentIntent names
 * its charge only by id (`latest_charge`), so `payment_intent.succeeded` carries no card details.
 * Reading them from Stripe for every payment would cost one Stripe API call per event and tie the
 * Salesforce update to Stripe's availability; `charge.succeeded` brings the same charge in its own
 * webhook at no API cost (one more event per payment, merged into the same Salesforce write when
 * both land in one batch).
 */
import type { StripeCharge, StripeEventOf } from '../stripe/event-schemas.js';
import { cardFields } from './card.js';
import { customRecordLinks, idOf, linksFrom } from './links.js';
import type { MapResult } from './mutation.js';
import { RANK } from './ranks.js';
import { effect, factsUpsert, money, revenueRecords, stripeRecordFields, upsert } from './records.js';
import { embeddedRefundMutations } from './refund.js';

/** A charge made without a PaymentIntent (legacy Charges API) is its own payment record. */
function paymentIdOf(charge: StripeCharge): string {
  return idOf(charge.payment_intent) ?? charge.id;
}

/**
 * The card and the invoice of a successful charge: facts, not state. `charge.succeeded` also fires
 * for an authorization awaiting capture, so it never sets the payment's status or amount; the
 * PaymentIntent's events do.
 */
export function mapChargeSucceeded(event: StripeEventOf<'charge.succeeded'>): MapResult {
  const charge = event.data.object;
  const paymentId = paymentIdOf(charge);
  const card = cardFields(charge.payment_method_details);
  const invoiceId = idOf(charge.invoice);
  if (Object.keys(card).length === 0 && invoiceId === undefined) {
    return { outcome: 'skipped', reason: 'charge carries no card details and no invoice' };
  }
  const facts = factsUpsert('Stripe_Payment__c', { field: 'Stripe_Id__c', value: paymentId }, 'charge', {
    ...card,
    Stripe_Invoice_Id__c: invoiceId,
    Stripe_Customer_Id__c: idOf(charge.customer),
    Livemode__c: event.livemode,
  });
  return effect(event, RANK.OPEN, [facts], 'nothing to write');
}

export function mapChargeRefunded(event: StripeEventOf<'charge.refunded'>): MapResult {
  const charge = event.data.object;
  // After a partial capture only the captured amount was paid, and can be refunded.
  const paid = typeof charge.amount_captured === 'number' && charge.amount_captured > 0 ? charge.amount_captured : charge.amount;
  const full = charge.refunded || charge.amount_refunded >= paid;
  const paymentId = paymentIdOf(charge);
  const links = linksFrom(charge.customer, charge.metadata);
  const recordLinks = customRecordLinks(links, { order: true });
  const { amount, Currency_Code__c } = money(paid, charge.currency);

  const payment = upsert(
    'Stripe_Payment__c',
    { field: 'Stripe_Id__c', value: paymentId },
    {
      ...stripeRecordFields(event, paymentId),
      Status__c: full ? 'Refunded' : 'Partially Refunded',
      Amount__c: amount,
      Amount_Refunded__c: money(charge.amount_refunded, charge.currency).amount,
      Currency_Code__c,
      Stripe_Customer_Id__c: links.customerId,
      Stripe_Invoice_Id__c: idOf(charge.invoice),
      ...recordLinks.fields,
      ...cardFields(charge.payment_method_details),
    },
    recordLinks.optionalReferences,
  );
  return effect(
    event,
    full ? RANK.REFUNDED : RANK.PARTIALLY_REFUNDED,
    // Before 2022-11-15 the charge lists its refunds: each one's record comes with it.
    [payment, ...revenueRecords(links, full ? 'Refunded' : 'Partially Refunded'), ...embeddedRefundMutations(event, charge.refunds?.data)],
    'nothing to write',
    links,
  );
}
