/**
 * Stripe refunds → Stripe_Refund__c, one record per refund (re_…), from:
 * - `refund.created`, `refund.updated`, `refund.failed` and the older `charge.refund.updated`
 *   (the refund object itself: https://docs.stripe.com/api/refunds/object);
 * - `charge.refunded` when the charge embeds its refunds (`charge.refunds`, included in
 *   webhooks before API version 2022-11-15; since then a list to expand, absent from events):
 *   each refund listed becomes a record. Without the list the charge's own record
 *   (Stripe_Payment__c, charge.ts) carries the amount refunded, and the refund events bring the
 *   refunds themselves.
 * - the `refund` command's write-back (commands/refund.ts), at the time Stripe created it.
 *
 * A record links to its payment through the PaymentIntent (or charge) id, an external id of
 * Stripe_Payment__c, and to the Account and Opportunity named in metadata (the command puts
 * them there; refunds made in the Dashboard carry none and link through the payment only).
 */
import { RANK } from '../contracts/precedence.js';
import type { RefundStatus } from '../contracts/statuses.js';
import type { StripeRefund } from '../stripe/event-schemas.js';
import { customRecordLinks, idOf, linksFrom } from './links.js';
import type { MapResult, SalesforceMutation } from './mutation.js';
import { effect, money, stripeRecordFields, upsert, type EventFacts, type Fields } from './records.js';

export const REFUND_STATUS: Readonly<Record<string, RefundStatus>> = {
  pending: 'Pending',
  requires_action: 'Requires Action',
  succeeded: 'Succeeded',
  failed: 'Failed',
  canceled: 'Canceled',
};

/** Same-second tiebreak: a refund moves pending → succeeded → failed; failed and canceled are final (settled). */
export function refundRank(status: RefundStatus | undefined): number {
  return status === 'Pending' || status === 'Requires Action' || status === undefined ? RANK.OPEN : RANK.SETTLED;
}

/** The refund as Stripe_Refund__c fields; `extra` adds what only the command knows (requester, payment record). */
export function refundMutation(event: EventFacts, refund: StripeRefund, extra: Fields = {}): SalesforceMutation {
  const paymentId = idOf(refund.payment_intent) ?? idOf(refund.charge);
  const links = customRecordLinks(linksFrom(undefined, refund.metadata), { order: false });
  const { amount, Currency_Code__c } = money(refund.amount, refund.currency);
  const payment = paymentId === undefined || extra['Payment__c'] !== undefined ? {} : { Payment__r: { Stripe_Id__c: paymentId } };
  return upsert(
    'Stripe_Refund__c',
    { field: 'Stripe_Id__c', value: refund.id },
    {
      ...stripeRecordFields(event, refund.id),
      Status__c: refund.status === null || refund.status === undefined ? undefined : REFUND_STATUS[refund.status],
      Amount__c: amount,
      Currency_Code__c,
      Reason__c: refund.reason ?? undefined,
      Failure_Reason__c: refund.failure_reason ?? undefined,
      Stripe_Payment_Intent_Id__c: idOf(refund.payment_intent),
      Stripe_Charge_Id__c: idOf(refund.charge),
      ...payment,
      ...links.fields,
      ...extra,
    },
    // The payment may not be in Salesforce (yet); the refund is written without the link then.
    [...Object.keys(payment), ...links.optionalReferences],
  );
}

function rankOf(refund: StripeRefund): number {
  return refundRank(refund.status === null || refund.status === undefined ? undefined : REFUND_STATUS[refund.status]);
}

export function mapRefundEvent(event: EventFacts & { readonly data: { readonly object: StripeRefund } }): MapResult {
  const refund = event.data.object;
  return effect(event, rankOf(refund), [refundMutation(event, refund)], 'nothing to write');
}

/** The refunds a charge embeds (API versions before 2022-11-15), one record each. */
export function embeddedRefundMutations(event: EventFacts, refunds: readonly StripeRefund[] | undefined): SalesforceMutation[] {
  return (refunds ?? []).map((refund) => refundMutation(event, refund));
}
