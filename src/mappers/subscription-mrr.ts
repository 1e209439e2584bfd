/** A Stripe subscription's MRR (src/mappers/mrr.ts) read from its payload at any API version. */
import { discountCoupons, subscriptionItemPrice } from '../stripe/api-versions.js';
import type { StripeSubscription } from '../stripe/event-schemas.js';
import { monthlyRecurringRevenue } from './mrr.js';

/**
 * MRR in integer minor units of the subscription's currency; undefined when the payload cannot
 * say it: no currency, no items, or a list cut short (`items.has_more`), whose partial sum would
 * be wrong.
 */
export function subscriptionMrr(subscription: StripeSubscription): number | undefined {
  const items = subscription.items;
  if (items === null || items === undefined || items.has_more === true) return undefined;
  if (subscription.currency === null || subscription.currency === undefined) return undefined;
  return monthlyRecurringRevenue({
    status: subscription.status,
    paused: subscription.pause_collection !== null && subscription.pause_collection !== undefined,
    coupons: discountCoupons(subscription.discounts, subscription.discount),
    items: items.data.map((item) => ({ quantity: item.quantity, price: subscriptionItemPrice(item), coupons: discountCoupons(item.discounts) })),
  });
}
