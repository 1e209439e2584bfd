/** charge.refunded → Stripe_Payment__c (keyed by the charge's PaymentIntent), Opportunity/Order. */
import type { StripeEventOf } from '../stripe/event-schemas.js';
import { cardFields } from './card.js';
import { customRecordLinks, idOf, linksFrom } from './links.js';
import type { MapResult } from './mutation.js';
import { RANK } from './ranks.js';
import { effect, money, opportunityAndOrder, stripeRecordFields, upsert } from './records.js';

export function mapChargeRefunded(event: StripeEventOf<'charge.refunded'>): MapResult {
  const charge = event.data.object;
  const full = charge.refunded || charge.amount_refunded >= charge.amount;
  // A charge made without a PaymentIntent (legacy Charges API) is its own payment record.
  const paymentId = idOf(charge.payment_intent) ?? charge.id;
  const links = linksFrom(charge.customer, charge.metadata);
  const recordLinks = customRecordLinks(links, { order: true });
  const { amount, Currency_Code__c } = money(charge.amount, charge.currency);

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
      ...recordLinks.fields,
      ...cardFields(charge.payment_method_details),
    },
    recordLinks.optionalReferences,
  );
  return effect(
    event,
    full ? RANK.REFUNDED : RANK.PARTIALLY_REFUNDED,
    [payment, ...opportunityAndOrder(links, full ? 'Refunded' : 'Partially Refunded')],
    'nothing to write',
  );
}
