/**
 * What support asks of a subscription in the Stripe stand-in, as the API reference documents it:
 *
 * - POST /v1/subscriptions/:id (https://docs.stripe.com/api/subscriptions/update):
 *   `cancel_at_period_end` (the subscription runs to the end of its period, then is canceled),
 *   `pause_collection` {behavior: keep_as_draft | mark_uncollectible | void, resumes_at} or ''
 *   to clear it (the status stays `active`: "the subscription remains active and invoices
 *   continue to generate, but Stripe doesn't collect payment",
 *   https://docs.stripe.com/billing/subscriptions/pause-payment), `cancellation_details`,
 *   `metadata`. A canceled subscription can no longer be updated ("After it's canceled, you can
 *   no longer update the subscription or its metadata", …/subscriptions/cancel), save its
 *   `cancellation_details` and metadata. Stripe sends `customer.subscription.updated`.
 * - DELETE /v1/subscriptions/:id (https://docs.stripe.com/api/subscriptions/cancel): cancels at
 *   once (`status` canceled, `canceled_at`, `ended_at`), `invoice_now`, `prorate`,
 *   `cancellation_details`; Stripe sends `customer.subscription.deleted`. A subscription already
 *   canceled is refused.
 * - POST /v1/subscriptions/:id/resume (https://docs.stripe.com/api/subscriptions/resume): only
 *   for `status` paused (a trial that ended without a payment method, or a paused
 *   subscription); `billing_cycle_anchor` now (default) or unchanged; the subscription becomes
 *   active, and Stripe sends `customer.subscription.resumed` and `customer.subscription.updated`.
 *
 * Proration amounts and the final invoice of `invoice_now` are not modelled: the request is
 * recorded (`requests`), the subscription shows the result.
 */
import type Stripe from 'stripe';
import type { ObjectLists } from './stripe-standin-lists.js';

type Json = Record<string, any>;

export interface SubscriptionActionDeps {
  readonly lists: ObjectLists;
  readonly now: () => number;
  readonly invalid: (message: string, param?: string, code?: string) => never;
  readonly invalidParameter: (message: string, param: string, code?: string) => never;
  readonly notFound: (kind: string, id: string) => never;
  readonly eventOf: (type: string, object: Json) => Stripe.Event;
  readonly integer: (value: unknown, param: string) => number;
}

const PAUSE_BEHAVIORS = ['keep_as_draft', 'mark_uncollectible', 'void'];
const ANCHORS = ['now', 'unchanged'];
const DAY = 86_400;

const flag = (value: unknown): boolean | undefined => (value === undefined ? undefined : value === true || value === 'true');

export function createSubscriptionActions(deps: SubscriptionActionDeps) {
  const { lists } = deps;
  const subscriptionOf = (subscriptionId: string): Json => lists.get('subscriptions', subscriptionId) ?? deps.notFound('subscription', subscriptionId);

  const detailsOf = (params: Json, current: Json | null | undefined): Json | undefined => {
    const details = params.cancellation_details;
    if (details === undefined) return undefined;
    return { comment: details.comment ?? current?.comment ?? null, feedback: details.feedback ?? current?.feedback ?? null, reason: current?.reason ?? 'cancellation_requested' };
  };

  const update = (subscriptionId: string, params: Json): Json => {
    const subscription = subscriptionOf(subscriptionId);
    const changes: Json = {};
    const asked = Object.keys(params).filter((k) => k !== 'expand');
    if (subscription.status === 'canceled' && asked.some((k) => k !== 'metadata' && k !== 'cancellation_details')) {
      deps.invalid('A canceled subscription can only update its cancellation_details and metadata.', asked[0]);
    }
    const cancelAtPeriodEnd = flag(params.cancel_at_period_end);
    if (cancelAtPeriodEnd !== undefined) {
      changes.cancel_at_period_end = cancelAtPeriodEnd;
      // Stripe shows the end of the period as the cancellation time, and the request as canceled_at.
      const periodEnd = (subscription.items?.data?.[0]?.current_period_end as number | undefined) ?? subscription.current_period_end ?? null;
      changes.cancel_at = cancelAtPeriodEnd ? periodEnd : null;
      changes.canceled_at = cancelAtPeriodEnd ? deps.now() : null;
    }
    if (params.pause_collection !== undefined) {
      if (params.pause_collection === '') {
        changes.pause_collection = null;
      } else {
        const behavior = params.pause_collection.behavior;
        if (!PAUSE_BEHAVIORS.includes(behavior)) {
          deps.invalidParameter(`Invalid pause_collection[behavior]: must be one of ${PAUSE_BEHAVIORS.join(', ')}`, 'pause_collection[behavior]');
        }
        const resumesAt = params.pause_collection.resumes_at === undefined ? null : deps.integer(params.pause_collection.resumes_at, 'pause_collection[resumes_at]');
        if (resumesAt !== null && resumesAt <= deps.now()) deps.invalidParameter('pause_collection[resumes_at] must be in the future.', 'pause_collection[resumes_at]');
        changes.pause_collection = { behavior, resumes_at: resumesAt };
      }
    }
    const details = detailsOf(params, subscription.cancellation_details);
    if (details !== undefined) changes.cancellation_details = details;
    if (params.metadata !== undefined && typeof params.metadata === 'object') changes.metadata = { ...subscription.metadata, ...params.metadata };
    const updated = lists.update('subscriptions', subscriptionId, changes);
    deps.eventOf('customer.subscription.updated', updated);
    return updated;
  };

  const cancel = (subscriptionId: string, params: Json): Json => {
    const subscription = subscriptionOf(subscriptionId);
    if (subscription.status === 'canceled' || subscription.status === 'incomplete_expired') {
      deps.invalid(`This subscription (${subscriptionId}) is already canceled.`, undefined, 'resource_missing');
    }
    const at = deps.now();
    const details = detailsOf(params, subscription.cancellation_details) ?? { comment: null, feedback: null, reason: 'cancellation_requested' };
    const canceled = lists.update('subscriptions', subscriptionId, {
      status: 'canceled',
      canceled_at: at,
      ended_at: at,
      cancel_at: null,
      cancel_at_period_end: false,
      pause_collection: null,
      cancellation_details: details,
    });
    deps.eventOf('customer.subscription.deleted', canceled);
    return canceled;
  };

  const resume = (subscriptionId: string, params: Json): Json => {
    const subscription = subscriptionOf(subscriptionId);
    if (subscription.status !== 'paused') deps.invalid(`Only a paused subscription can be resumed; ${subscriptionId} is ${subscription.status}.`, undefined, 'subscription_not_paused');
    const anchor = params.billing_cycle_anchor ?? 'now';
    if (!ANCHORS.includes(anchor)) deps.invalidParameter('Invalid billing_cycle_anchor: must be one of now, unchanged', 'billing_cycle_anchor');
    const at = deps.now();
    const items = (subscription.items?.data ?? []) as Json[];
    // `now` starts a new period from the resumption (the period's length is the old one's).
    const periods = items.map((item) => {
      const length = Math.max(DAY, (item.current_period_end as number) - (item.current_period_start as number));
      return anchor === 'now' ? { ...item, current_period_start: at, current_period_end: at + length } : item;
    });
    const resumed = lists.update('subscriptions', subscriptionId, {
      status: 'active',
      ...(anchor === 'now' ? { billing_cycle_anchor: at } : {}),
      items: { ...subscription.items, data: periods },
    });
    deps.eventOf('customer.subscription.resumed', resumed);
    deps.eventOf('customer.subscription.updated', resumed);
    return resumed;
  };

  return {
    post(objectId: string | undefined, action: string | undefined, params: Json): Json | undefined {
      if (objectId === undefined) return undefined;
      if (action === undefined) return update(objectId, params);
      if (action === 'resume') return resume(objectId, params);
      return undefined;
    },
    delete(objectId: string | undefined, action: string | undefined, params: Json): Json | undefined {
      return objectId !== undefined && action === undefined ? cancel(objectId, params) : undefined;
    },
  };
}
