/** customer.subscription.* → Stripe_Subscription__c (keyed by the subscription id). */
import type { SubscriptionStatus } from '../contracts/statuses.js';
import { idOf, subscriptionItemPrice, subscriptionPeriod, type ItemPrice } from '../stripe/api-versions.js';
import type { StripeEventOf, StripeSubscription } from '../stripe/event-schemas.js';
import { customRecordLinks, linksFrom } from './links.js';
import { subscriptionChangeRecord } from './subscription-change.js';
import { subscriptionItemRecords } from './subscription-items.js';
import { subscriptionMrr } from './subscription-mrr.js';
import type { MapResult } from './mutation.js';
import { RANK } from './ranks.js';
import { effect, formatMoney, money, stripeRecordFields, truncate, upsert, type Fields } from './records.js';
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

/** A timestamp field the payload rendered: null clears it in Salesforce, absent leaves it alone. */
function when(seconds: number | null | undefined): string | null | undefined {
  return seconds === undefined ? undefined : isoDateTimeOrNull(seconds);
}

/** `Pro seats: 20.00 USD / month`, `API calls: metered / month`, `3 × 10.00 EUR / 3 months`. */
function itemLabel(price: ItemPrice, quantity: number | null | undefined, currency: string | undefined): string {
  const name = price.nickname ?? price.productId ?? price.id;
  const recurring = price.recurring;
  const count = recurring?.interval_count ?? 1;
  const every = recurring === undefined ? 'one-time' : count === 1 ? recurring.interval : `${count} ${recurring.interval}s`;
  if (recurring?.usage_type === 'metered') return `${name}: metered / ${every}`;
  const unit = typeof price.unit_amount === 'number' && currency !== undefined ? formatMoney(price.unit_amount, currency) : 'tiered';
  return `${name}: ${quantity !== null && quantity !== undefined && quantity !== 1 ? `${quantity} × ` : ''}${unit} / ${every}`;
}

/** Plan, price, product, quantity and MRR: what the subscription sells, read from its items. */
function planFields(subscription: StripeSubscription): Fields {
  const items = subscription.items?.data ?? [];
  const currency = subscription.currency ?? undefined;
  const priced = items.map((item) => ({ item, price: subscriptionItemPrice(item) }));
  const first = priced[0]?.price;
  const licensed = priced.filter(({ price }) => price?.recurring?.usage_type !== 'metered');
  // A payload listing only its first items (`has_more`) cannot say the whole plan: left as it was.
  const complete = subscription.items !== null && subscription.items !== undefined && subscription.items.has_more !== true;
  const mrr = subscriptionMrr(subscription);
  return {
    Plan__c: complete ? truncate(priced.flatMap(({ item, price }) => (price === undefined ? [] : [itemLabel(price, item.quantity, currency)])).join('; ')) : undefined,
    Stripe_Price_Id__c: first?.id,
    Stripe_Product_Id__c: first?.productId,
    Quantity__c: complete ? licensed.reduce((sum, { item }) => sum + (item.quantity ?? 1), 0) : undefined,
    Currency_Code__c: currency?.toUpperCase(),
    MRR__c: mrr === undefined || currency === undefined ? undefined : money(mrr, currency).amount,
  };
}

export function mapSubscriptionEvent(event: StripeEventOf<SubscriptionEventType>): MapResult {
  const subscription = event.data.object;
  const links = linksFrom(subscription.customer, subscription.metadata);
  const recordLinks = customRecordLinks(links, { order: false });
  // Before API 2025-03-31 the period is the subscription's; since then each item has its own.
  const period = subscriptionPeriod(subscription);
  const pause = subscription.pause_collection;
  const record = upsert(
    'Stripe_Subscription__c',
    { field: 'Stripe_Id__c', value: subscription.id },
    {
      ...stripeRecordFields(event, subscription.id),
      Status__c: STATUSES[subscription.status],
      Current_Period_Start__c: period.start === undefined ? undefined : isoDateTime(period.start),
      Current_Period_End__c: period.end === undefined ? undefined : isoDateTime(period.end),
      Cancel_At_Period_End__c: subscription.cancel_at_period_end ?? undefined,
      Cancel_At__c: when(subscription.cancel_at),
      Canceled_At__c: isoDateTimeOrNull(subscription.canceled_at),
      Ended_At__c: when(subscription.ended_at),
      Start_Date__c: when(subscription.start_date),
      Trial_End__c: when(subscription.trial_end),
      Collection_Method__c: subscription.collection_method ?? undefined,
      Pause_Behavior__c: pause === undefined ? undefined : (pause?.behavior ?? null),
      Pause_Resumes_At__c: pause === undefined ? undefined : when(pause?.resumes_at ?? null),
      Stripe_Schedule_Id__c: subscription.schedule === undefined ? undefined : (idOf(subscription.schedule) ?? null),
      ...planFields(subscription),
      Stripe_Customer_Id__c: links.customerId,
      ...recordLinks.fields,
    },
    recordLinks.optionalReferences,
  );
  // The MRR movement this event stands for, derived from the event alone (subscription-change.ts).
  const change = subscriptionChangeRecord({ ...event, previous: event.data.previous_attributes }, subscription, links);
  // Its items, written after it in the same request (subscription-items.ts).
  const items = subscriptionItemRecords({ ...event, previous: event.data.previous_attributes }, subscription);
  return effect(event, RANKS[event.type], [record, ...items, ...(change === undefined ? [] : [change])], 'nothing to write', links);
}
