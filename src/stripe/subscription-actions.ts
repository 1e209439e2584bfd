/**
 * What an agent may do to a subscription, and Stripe's state rules checked first so a refusal
 * names the subscription's real state (Stripe's own refusal stays the last word when the state
 * changed in between):
 *
 * - cancel at the end of the period: POST /v1/subscriptions/:id `cancel_at_period_end=true`
 *   (https://docs.stripe.com/billing/subscriptions/cancel): the customer keeps what they paid for,
 *   nothing is credited or charged, and it can be undone until the period ends;
 * - cancel now: DELETE /v1/subscriptions/:id (https://docs.stripe.com/api/subscriptions/cancel),
 *   optionally `prorate` (credit the unused time) and `invoice_now` (a final invoice of pending
 *   usage and prorations). "After it's canceled, you can no longer update the subscription";
 * - pause collection: POST …/:id `pause_collection` {behavior, resumes_at}: the subscription
 *   stays active and its invoices are kept as drafts, marked uncollectible or voided
 *   (https://docs.stripe.com/billing/subscriptions/pause-payment);
 * - resume: a subscription whose collection is paused gets `pause_collection` cleared (''); one
 *   whose `status` is paused (a trial that ended without a payment method) is resumed with
 *   POST …/:id/resume (https://docs.stripe.com/api/subscriptions/resume), which "must be paid or
 *   marked uncollectible before the subscription will be unpaused" when it invoices.
 *
 * Every POST carries the command's idempotency key and its id in `metadata`
 * (`salesforce_command_id`), so a retried command that already took effect is recognised as done
 * even after Stripe forgot the key; a DELETE carries the id in `cancellation_details.comment`
 * (Stripe ignores idempotency keys on DELETE).
 */
import type Stripe from 'stripe';
import { COMMAND_METADATA_KEY } from './refunds.js';
import { stripeCall } from './service-port.js';

export const PAUSE_BEHAVIORS = ['keep_as_draft', 'mark_uncollectible', 'void'] as const;
export type PauseBehavior = (typeof PAUSE_BEHAVIORS)[number];

export type SubscriptionAction =
  | { readonly kind: 'cancel_at_period_end' }
  | { readonly kind: 'cancel_now'; readonly prorate: boolean; readonly invoiceNow: boolean }
  | { readonly kind: 'pause'; readonly behavior: PauseBehavior; readonly resumesAt: number | undefined }
  | { readonly kind: 'resume' };

/** The subscription as the command reports it. */
export interface SubscriptionState {
  readonly id: string;
  readonly status: string;
  readonly cancelAtPeriodEnd: boolean;
  /** Seconds since the epoch, when known. */
  readonly cancelAt: number | undefined;
  readonly pauseBehavior: string | undefined;
  readonly pauseResumesAt: number | undefined;
}

export type SubscriptionActionResult =
  | { readonly kind: 'done'; readonly subscription: SubscriptionState; readonly already: boolean }
  | { readonly kind: 'refused'; readonly status: string; readonly reason: string };

/** Statuses after which Stripe allows no change (the subscription has ended). */
const ENDED = new Set(['canceled', 'incomplete_expired']);

function stateOf(subscription: Stripe.Subscription): SubscriptionState {
  const pause = subscription.pause_collection;
  const itemEnd = subscription.items?.data?.[0]?.current_period_end;
  return {
    id: subscription.id,
    status: subscription.status,
    cancelAtPeriodEnd: subscription.cancel_at_period_end === true,
    cancelAt: subscription.cancel_at ?? (subscription.cancel_at_period_end === true ? itemEnd : undefined) ?? undefined,
    pauseBehavior: pause?.behavior ?? undefined,
    pauseResumesAt: pause?.resumes_at ?? undefined,
  };
}

const done = (subscription: Stripe.Subscription, already: boolean): SubscriptionActionResult => ({ kind: 'done', subscription: stateOf(subscription), already });
const refused = (status: string, reason: string): SubscriptionActionResult => ({ kind: 'refused', status, reason });

/** The comment a cancellation from Salesforce carries: it names the command (no personal data). */
export function cancellationComment(commandId: string): string {
  return `Canceled from Salesforce (${commandId})`;
}

/** Stripe's state rules for each action, on the subscription as it is now; undefined: allowed. */
export function refusalOf(action: SubscriptionAction, current: Stripe.Subscription): string | undefined {
  const status = current.status;
  if (ENDED.has(status)) return `it has already ended (${status}): a canceled subscription cannot be changed; create a new one instead`;
  switch (action.kind) {
    case 'cancel_at_period_end':
      return status === 'paused' ? 'it is paused (its trial ended without a payment method): resume it first, or cancel it now' : undefined;
    case 'cancel_now':
      return undefined;
    case 'pause':
      if (status === 'paused') return 'it is already paused by Stripe (its trial ended without a payment method)';
      if (status === 'incomplete') return 'its first payment has not been made yet (incomplete): there is nothing to pause';
      return undefined;
    case 'resume':
      return status !== 'paused' && (current.pause_collection === null || current.pause_collection === undefined) ? `it is not paused (${status})` : undefined;
  }
}

/** Did an earlier attempt of this command already change the subscription? */
function doneByThisCommand(action: SubscriptionAction, current: Stripe.Subscription, commandId: string): boolean {
  if (action.kind === 'cancel_now') return current.status === 'canceled' && current.cancellation_details?.comment === cancellationComment(commandId);
  return current.metadata?.[COMMAND_METADATA_KEY] === commandId;
}

export async function applySubscriptionAction(stripe: Stripe, subscriptionId: string, action: SubscriptionAction, commandId: string, idempotencyKey: string): Promise<SubscriptionActionResult> {
  const current = await stripeCall('subscriptions.retrieve', () => stripe.subscriptions.retrieve(subscriptionId));
  if (doneByThisCommand(action, current, commandId)) return done(current, true);
  const refusal = refusalOf(action, current);
  if (refusal !== undefined) return refused(current.status, refusal);

  const options = { idempotencyKey };
  const metadata = { [COMMAND_METADATA_KEY]: commandId };
  switch (action.kind) {
    case 'cancel_at_period_end': {
      if (current.cancel_at_period_end === true) return done(current, true);
      const updated = await stripeCall('subscriptions.update', () => stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true, metadata }, options));
      return done(updated, false);
    }
    case 'cancel_now': {
      const canceled = await stripeCall('subscriptions.cancel', () =>
        stripe.subscriptions.cancel(subscriptionId, { prorate: action.prorate, invoice_now: action.invoiceNow, cancellation_details: { comment: cancellationComment(commandId) } }, options),
      );
      return done(canceled, false);
    }
    case 'pause': {
      const pause = current.pause_collection;
      if (pause?.behavior === action.behavior && (pause.resumes_at ?? undefined) === action.resumesAt) return done(current, true);
      const updated = await stripeCall('subscriptions.update', () =>
        stripe.subscriptions.update(
          subscriptionId,
          { pause_collection: { behavior: action.behavior, ...(action.resumesAt === undefined ? {} : { resumes_at: action.resumesAt }) }, metadata },
          options,
        ),
      );
      return done(updated, false);
    }
    case 'resume': {
      // A subscription Stripe paused is resumed (Stripe's default anchor: a new period starts
      // now, no prorations); one whose collection is paused gets it cleared.
      const resumed =
        current.status === 'paused'
          ? await stripeCall('subscriptions.resume', () => stripe.subscriptions.resume(subscriptionId, {}, options))
          : await stripeCall('subscriptions.update', () => stripe.subscriptions.update(subscriptionId, { pause_collection: '', metadata }, options));
      return done(resumed, false);
    }
  }
}
