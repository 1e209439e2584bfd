/**
 * Refunds through stripe-node (https://docs.stripe.com/api/refunds/create): one refund per
 * command. The idempotency key makes a retry within Stripe's 24 hours return the same refund;
 * the command id in the refund's metadata finds it after that (a DLQ replay days later), so a
 * command never refunds twice.
 */
import type Stripe from 'stripe';
import { stripeCall } from './service-port.js';

export const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];

/** Metadata key naming the command that asked for a refund (`sf:<EventUuid>`). */
export const COMMAND_METADATA_KEY = 'salesforce_command_id';

export interface RefundRequest {
  /** The PaymentIntent (pi_…) or, for payments made without one, the charge (ch_… / py_…). */
  readonly paymentId: string;
  /** Minor units; undefined refunds what is left. */
  readonly amount: number | undefined;
  readonly reason: RefundReason | undefined;
  readonly commandId: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly idempotencyKey: string;
}

export interface IssuedRefund {
  readonly id: string;
  readonly status: string;
  readonly amount: number;
  readonly currency: string;
  readonly reason: string | null;
  readonly chargeId: string | undefined;
  readonly paymentIntentId: string | undefined;
  readonly failureReason: string | undefined;
  /** Seconds since the epoch. */
  readonly created: number;
  /** Found by its command id: an earlier attempt of this command created it. */
  readonly existing: boolean;
}

const idOf = (value: string | { id: string } | null | undefined): string | undefined => (typeof value === 'string' ? value : (value?.id ?? undefined));

function issued(refund: Stripe.Refund, existing: boolean): IssuedRefund {
  return {
    id: refund.id,
    status: refund.status ?? 'pending',
    amount: refund.amount,
    currency: refund.currency,
    reason: refund.reason,
    chargeId: idOf(refund.charge),
    paymentIntentId: idOf(refund.payment_intent),
    failureReason: refund.failure_reason ?? undefined,
    created: refund.created,
    existing,
  };
}

const target = (paymentId: string): { payment_intent: string } | { charge: string } =>
  paymentId.startsWith('pi_') ? { payment_intent: paymentId } : { charge: paymentId };

/** Issues the refund, or finds the one this command issued before. A refusal throws (classified). */
export async function issueRefund(stripe: Stripe, request: RefundRequest): Promise<IssuedRefund> {
  // Newest first; a payment has few refunds, and a command's own is among the latest.
  const earlier = await stripeCall('refunds.list', () => stripe.refunds.list({ ...target(request.paymentId), limit: 100 }));
  const mine = earlier.data.find((r) => r.metadata?.[COMMAND_METADATA_KEY] === request.commandId);
  if (mine !== undefined) return issued(mine, true);
  const refund = await stripeCall('refunds.create', () =>
    stripe.refunds.create(
      {
        ...target(request.paymentId),
        ...(request.amount === undefined ? {} : { amount: request.amount }),
        ...(request.reason === undefined ? {} : { reason: request.reason }),
        metadata: { ...request.metadata, [COMMAND_METADATA_KEY]: request.commandId },
      },
      { idempotencyKey: request.idempotencyKey },
    ),
  );
  return issued(refund, false);
}
