/**
 * Failed-payment recovery: beside the Case, a Task for the Account's owner that says what failed
 * (the amount in its currency), why in plain words (src/mappers/decline-reasons.ts), what to do,
 * when Stripe retries by itself, and where the customer pays (the hosted invoice URL: a link for
 * the customer, written to Salesforce only, never to log lines). One Task per invoice or
 * PaymentIntent (`payment-failed:<id>`): a later failure of the same invoice updates it with the
 * newest attempt; the bridge completes it when the money arrives (src/inbound/case-follow-up.ts).
 */
import { declineReason } from './decline-reasons.js';
import type { SalesforceLinks } from './links.js';
import type { MinorAmount, SalesforceMutation } from './mutation.js';
import { formatMoney } from './records.js';
import { bridgeTask } from './task.js';
import { isoDate } from './time.js';

export interface FailedPayment {
  /** The invoice (in_…) or PaymentIntent (pi_…) that was not paid. */
  readonly objectId: string;
  /** How a rep names it: `Invoice INV-0042`, `Payment pi_123`. */
  readonly label: string;
  readonly amount: MinorAmount;
  readonly code?: string | null | undefined;
  readonly declineCode?: string | null | undefined;
  /** Seconds since the epoch; null: Stripe will not retry by itself. Undefined: not an invoice. */
  readonly nextPaymentAttempt?: number | null | undefined;
  readonly hostedInvoiceUrl?: string | null | undefined;
  /** `event.created`, seconds. */
  readonly failedAt: number;
  readonly links: SalesforceLinks;
}

export const FAILED_PAYMENT_TASK_PREFIX = 'payment-failed:';

export function failedPaymentTask(failure: FailedPayment): SalesforceMutation {
  const amount = formatMoney(failure.amount.minor, failure.amount.currency);
  const why = declineReason(failure.code, failure.declineCode);
  const retry =
    failure.nextPaymentAttempt === undefined
      ? undefined
      : failure.nextPaymentAttempt === null
        ? 'Next automatic retry: none, Stripe does not retry it by itself.'
        : `Next automatic retry: ${isoDate(failure.nextPaymentAttempt)} (Stripe retries by itself; act before then).`;
  const lines = [
    `${failure.label} of ${amount} was not paid.`,
    `Why: ${why.reason}.`,
    `What to do: ${why.nextStep}.`,
    retry,
    failure.hostedInvoiceUrl ? `Invoice link for the customer: ${failure.hostedInvoiceUrl}` : undefined,
    failure.links.customerId === undefined ? undefined : `Stripe customer: ${failure.links.customerId}`,
    `Stripe ${failure.objectId.startsWith('in_') ? 'invoice' : 'payment'}: ${failure.objectId}`,
    'The Stripe bridge completes this Task when the money arrives.',
  ].filter((line): line is string => line !== undefined);
  return bridgeTask({
    key: `${FAILED_PAYMENT_TASK_PREFIX}${failure.objectId}`,
    subject: `Failed payment: ${amount} (${why.reason})`,
    description: lines.join('\n'),
    // Before the next retry when there is one (the customer can still fix it in time), else now.
    dueDate: isoDate(typeof failure.nextPaymentAttempt === 'number' ? failure.nextPaymentAttempt : failure.failedAt),
    priority: 'High',
    stripeObjectId: failure.objectId,
    customerId: failure.links.customerId,
    whatId: failure.links.accountId ?? failure.links.opportunityId,
  });
}
