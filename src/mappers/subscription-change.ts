/**
 * customer.subscription.* → Stripe_Subscription_Change__c: one record per event that moved the
 * subscription's MRR (new business, expansion, contraction, churn, reactivation), keyed by the
 * event id, so a redelivery or a replay upserts the same record and an MRR movement report that
 * sums MRR_Delta__c never counts an event twice.
 *
 * Each record is derived from its own event alone: MRR after from `data.object`, MRR before from
 * the same object with `data.previous_attributes` laid over it (Stripe renders there the values
 * the changed top-level fields had, a changed `items` list whole:
 * https://docs.stripe.com/api/events/object#event_object-data-previous_attributes). So an event
 * that arrives late, after a newer one (whose Stripe_Subscription__c write then skips it as
 * stale), still records the movement it stands for, correctly, and the deltas of all events add up
 * to the subscription's MRR whatever order they came in.
 *
 * - `created`: MRR before is 0 (an active subscription is new business; a trial or an incomplete
 *   one earns nothing yet, so it writes no record until it becomes active);
 * - `updated`: only when `previous_attributes` names a field MRR depends on;
 * - `deleted`: MRR after is 0; before is what the subscription earned as it ended, which the
 *   payload says only by its shape: a trial still running or paused collection earned nothing;
 *   otherwise it was active or past due (see docs/subscriptions.md for the `unpaid` limit).
 *
 * Events the bridge made up itself (backfill, reconcile) describe a state, not a movement: no
 * record.
 */
import type { SubscriptionChangeType } from '../contracts/statuses.js';
import { isSyntheticEventId } from '../contracts/synthetic-events.js';
import { subscriptionSchema, type PreviousAttributes, type StripeSubscription } from '../stripe/event-schemas.js';
import { customRecordLinks, type SalesforceLinks } from './links.js';
import type { SalesforceMutation } from './mutation.js';
import { formatMoney, money, upsert, type EventFacts } from './records.js';
import { subscriptionMrr } from './subscription-mrr.js';
import { isoDate, isoDateTime } from './time.js';

/** The subscription fields MRR is computed from (src/mappers/subscription-mrr.ts). */
const MRR_FIELDS = ['items', 'status', 'pause_collection', 'discount', 'discounts', 'currency'] as const;

/** Statuses that earn nothing because the subscription has not started paying yet. */
const NOT_STARTED = new Set(['trialing', 'incomplete']);

export interface MrrMovement {
  readonly type: SubscriptionChangeType;
  /** Integer minor units of `currency`. */
  readonly before: number;
  readonly after: number;
  readonly currency: string;
}

/** How one event moved the subscription's MRR; undefined when it did not (or cannot be told). */
export function mrrMovement(
  event: { readonly id: string; readonly type: string; readonly previous?: PreviousAttributes | undefined },
  subscription: StripeSubscription,
): MrrMovement | undefined {
  if (isSyntheticEventId(event.id)) return undefined;
  const currency = subscription.currency ?? undefined;
  const after = subscriptionMrr(subscription);
  if (currency === undefined || after === undefined) return undefined;
  const earlier = previousState(event, subscription);
  if (earlier === undefined) return undefined;
  const before = earlier.state === 'new' ? 0 : subscriptionMrr(earlier.state);
  if (before === undefined || before === after) return undefined;
  return { type: changeType(before, after, earlier.state === 'new' ? undefined : earlier.state), before, after, currency };
}

/** The subscription as it was just before the event; `new` for one that did not exist. */
function previousState(
  event: { readonly type: string; readonly previous?: PreviousAttributes | undefined },
  subscription: StripeSubscription,
): { readonly state: StripeSubscription | 'new' } | undefined {
  if (event.type === 'customer.subscription.created') return { state: 'new' };
  if (event.type === 'customer.subscription.deleted') return { state: endedFrom(subscription, event.previous) };
  const previous = event.previous;
  if (previous === undefined || !MRR_FIELDS.some((field) => Object.hasOwn(previous, field))) return undefined;
  return { state: laidOver(subscription, previous) ?? subscription };
}

/** `previous_attributes` laid over the object, validated like the object; undefined when its shape is unknown. */
function laidOver(subscription: StripeSubscription, previous: PreviousAttributes): StripeSubscription | undefined {
  const items = previous['items'];
  // A changed list comes whole under `data`; the list's other keys (has_more, url) only when they changed.
  const previousItems = typeof items === 'object' && items !== null ? { ...subscription.items, ...items } : items;
  const merged = { ...subscription, ...previous, ...(Object.hasOwn(previous, 'items') ? { items: previousItems } : {}) };
  const parsed = subscriptionSchema.safeParse(merged);
  return parsed.success ? parsed.data : undefined;
}

/** What a deleted subscription earned as it ended: its items, unless it was not paying. */
function endedFrom(subscription: StripeSubscription, previous: PreviousAttributes | undefined): StripeSubscription {
  const laid = previous === undefined ? undefined : laidOver(subscription, previous);
  if (laid !== undefined && laid.status !== subscription.status) return laid;
  // An incomplete subscription that expired never paid.
  if (subscription.status !== 'canceled') return subscription;
  const end = subscription.ended_at ?? subscription.canceled_at;
  const trialRunning = typeof subscription.trial_end === 'number' && typeof end === 'number' && subscription.trial_end >= end;
  return { ...subscription, status: trialRunning ? 'trialing' : 'active' };
}

function changeType(before: number, after: number, previous: StripeSubscription | undefined): SubscriptionChangeType {
  if (before === 0) {
    // From nothing: a first paying period (a trial converted, a first payment) or a comeback.
    return previous === undefined || NOT_STARTED.has(previous.status) || isEarningStatus(previous) ? 'New Business' : 'Reactivation';
  }
  if (after === 0) return 'Churn';
  return after > before ? 'Expansion' : 'Contraction';
}

/** Active or past due with collection running: earning, even if at 0 (a free plan). */
function isEarningStatus(subscription: StripeSubscription): boolean {
  const paused = subscription.pause_collection !== null && subscription.pause_collection !== undefined;
  return (subscription.status === 'active' || subscription.status === 'past_due') && !paused;
}

/** The change record of the event, when it moved MRR. */
export function subscriptionChangeRecord(
  event: EventFacts & { readonly previous?: PreviousAttributes | undefined },
  subscription: StripeSubscription,
  links: SalesforceLinks,
): SalesforceMutation | undefined {
  const movement = mrrMovement(event, subscription);
  if (movement === undefined) return undefined;
  const { type, before, after, currency } = movement;
  const delta = after - before;
  const recordLinks = customRecordLinks(links, { order: false });
  return upsert(
    'Stripe_Subscription_Change__c',
    { field: 'Stripe_Event_Id__c', value: event.id },
    {
      // "Expansion +40.00 USD": what a list view shows first.
      Name: `${type} ${delta > 0 ? '+' : '-'}${formatMoney(Math.abs(delta), currency)}`,
      Stripe_Event_Type__c: event.type,
      Type__c: type,
      MRR_Before__c: money(before, currency).amount,
      MRR_After__c: money(after, currency).amount,
      MRR_Delta__c: money(delta, currency).amount,
      Currency_Code__c: currency.toUpperCase(),
      Effective_Date__c: isoDate(event.created),
      Changed_At__c: isoDateTime(event.created),
      Stripe_Subscription__r: { Stripe_Id__c: subscription.id },
      Stripe_Subscription_Id__c: subscription.id,
      Stripe_Customer_Id__c: links.customerId,
      Livemode__c: event.livemode,
      ...recordLinks.fields,
    },
    [...recordLinks.optionalReferences, 'Stripe_Subscription__r'],
  );
}
