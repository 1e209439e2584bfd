/**
 * What a `refund` command may refund, decided before Stripe is called (pure): the payment must
 * have succeeded, the amount must be exact in the payment's currency (no third decimal for USD,
 * none at all for JPY) and at most what is left, the paid amount minus every refund not failed
 * or canceled (those Salesforce already shows on the payment, and those issued since that the
 * payment's record may not show yet).
 */
import { errorCode, errorReason } from '../errors.js';
import { formatMoney } from '../mappers/records.js';
import { toMinorUnits } from '../money.js';
import { REFUND_REASONS, type RefundReason } from '../stripe/refunds.js';

export interface RefundablePayment {
  readonly stripeId: string | undefined;
  readonly status: string | undefined;
  /** Major units, as Stripe_Payment__c holds them. */
  readonly amount: number | undefined;
  readonly amountRefunded: number | undefined;
  readonly currency: string | undefined;
}

/** A Stripe_Refund__c of the payment: its amount in major units and its status. */
export interface KnownRefund {
  readonly amount: number | undefined;
  readonly currency: string | undefined;
  readonly status: string | undefined;
}

export type RefundPlan =
  | { readonly kind: 'refund'; readonly paymentId: string; readonly amount: number | undefined; readonly minorAmount: number; readonly currency: string; readonly reason: RefundReason | undefined }
  | { readonly kind: 'refuse'; readonly code: string; readonly reason: string };

/** Statuses of Stripe_Payment__c whose money can be given back (a disputed charge is the bank's to settle). */
const REFUNDABLE_STATUSES = new Set(['Succeeded', 'Partially Refunded']);
/**
 * PaymentIntents, and charges made without one (legacy Charges API, `py_` for some methods). Only
 * the prefix decides: Stripe documents ids as opaque strings, so the rest is not checked.
 */
const PAYMENT_ID = /^(pi|ch|py)_\w+$/;

const refuse = (code: string, reason: string): RefundPlan => ({ kind: 'refuse', code, reason });

export function planRefund(payment: RefundablePayment, known: readonly KnownRefund[], asked: { readonly amount: number | undefined; readonly reason: string | undefined }): RefundPlan {
  const reason = asked.reason?.trim().toLowerCase().replace(/[\s-]+/g, '_');
  if (reason !== undefined && reason !== '' && !(REFUND_REASONS as readonly string[]).includes(reason)) {
    return refuse('REFUND_REASON_INVALID', `Reason__c must be one of ${REFUND_REASONS.join(', ')} (or blank)`);
  }
  if (payment.stripeId === undefined || !PAYMENT_ID.test(payment.stripeId)) {
    return refuse('PAYMENT_NOT_REFUNDABLE', 'This payment has no Stripe PaymentIntent or charge id to refund');
  }
  if (payment.status === undefined || !REFUNDABLE_STATUSES.has(payment.status)) {
    return refuse('PAYMENT_NOT_REFUNDABLE', `Only a succeeded payment can be refunded; this one is ${payment.status ?? 'without a status'}`);
  }
  if (payment.currency === undefined || payment.amount === undefined) return refuse('PAYMENT_NOT_REFUNDABLE', 'This payment has no amount or currency yet');
  const currency = payment.currency.toLowerCase();
  let paid: number;
  let refunded: number;
  try {
    paid = toMinorUnits(payment.amount, currency);
    const shown = toMinorUnits(payment.amountRefunded ?? 0, currency);
    // Refunds this payment's record may not count yet (issued moments ago, their events in flight).
    const issued = known
      .filter((r) => r.status !== 'Failed' && r.status !== 'Canceled' && r.amount !== undefined && r.currency?.toLowerCase() === currency)
      .reduce((sum, r) => sum + toMinorUnits(r.amount as number, currency), 0);
    refunded = Math.max(shown, issued);
  } catch (err) {
    return refuse(errorCode(err), errorReason(err));
  }
  const left = paid - refunded;
  if (left <= 0) return refuse('ALREADY_REFUNDED', `This payment of ${formatMoney(paid, currency)} has been refunded in full`);
  let minor = left;
  if (asked.amount !== undefined) {
    try {
      minor = toMinorUnits(asked.amount, currency);
    } catch (err) {
      return refuse('REFUND_AMOUNT_INVALID', `Amount__c: ${errorReason(err)}`);
    }
    if (minor <= 0) return refuse('REFUND_AMOUNT_INVALID', 'Amount__c must be more than zero (blank refunds what is left)');
    if (minor > left) {
      return refuse(
        'REFUND_EXCEEDS_REFUNDABLE',
        `A refund of ${formatMoney(minor, currency)} is more than what can still be refunded: ${formatMoney(left, currency)} (paid ${formatMoney(paid, currency)}, refunded ${formatMoney(refunded, currency)})`,
      );
    }
  }
  return {
    kind: 'refund',
    paymentId: payment.stripeId,
    // A full refund of what is left is sent without an amount: Stripe refunds exactly the rest.
    amount: asked.amount === undefined ? undefined : minor,
    minorAmount: minor,
    currency,
    reason: reason === undefined || reason === '' ? undefined : (reason as RefundReason),
  };
}
