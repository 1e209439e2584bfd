/** customer.subscription.* → Stripe_Subscription__c (keyed by the subscription id). */
import type { SubscriptionStatus } from '../contracts/statuses.js';
import { subscriptionPeriodEnd } from '../stripe/api-versions.js';
import type { StripeEventOf } from '../stripe/event-schemas.js';
import { customRecordLinks, linksFrom } from './links.js';
import type { MapResult } from './mutation.js';
import { RANK } from './ranks.js';
import { effect, stripeRecordFields, upsert } from './records.js';
import { isoDateTime, isoDateTimeOrNull } from './time.js';

export type SubscriptionEventType =
  | 'customer.subscription.created'
  | 'customer.subscription.updated'
  | 'customer.subscription.deleted';

const RANKS: Readonly<Record<SubscriptionEventType, number>> = {
  'customer.subscription.created': RANK.OPEN,
  'customer.subscription.updated': RANK.OPEN,
  // A deleted subscription is final: no late update brings it back.
  'customer.subscription.deleted': RANK.SETTLED,
};

const STATUSES: Readonly<Record<string, SubscriptionStatus>> = {
  incomplete: 'Incomplete',
  incomplete_expired: 'Incomplete Expired',
  trialing: 'Trialing',
  active: 'Active',
  past_due: 'Past Due',
  canceled: 'Canceled',
  unpaid: 'Unpaid',
  paused: 'Paused',
};

export function mapSubscriptionEvent(event: StripeEventOf<SubscriptionEventType>): MapResult {
  const subscription = event.data.object;
  const links = linksFrom(subscription.customer, subscription.metadata);
  const recordLinks = customRecordLinks(links, { order: false });
  // Before API 2025-03-31 the period is the subscription's; since then each item has its own.
  const periodEnd = subscriptionPeriodEnd(subscription);
  const record = upsert(
    'Stripe_Subscription__c',
    { field: 'Stripe_Id__c', value: subscription.id },
    {
      ...stripeRecordFields(event, subscription.id),
      Status__c: STATUSES[subscription.status],
      Current_Period_End__c: periodEnd === undefined ? undefined : isoDateTime(periodEnd),
      Cancel_At_Period_End__c: subscription.cancel_at_period_end ?? undefined,
      Canceled_At__c: isoDateTimeOrNull(subscription.canceled_at),
      Stripe_Customer_Id__c: links.customerId,
      ...recordLinks.fields,
    },
    recordLinks.optionalReferences,
  );
  return effect(event, RANKS[event.type], [record], 'nothing to write', links);
}
