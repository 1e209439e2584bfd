/**
 * Stripe's refusal of a purchase because a catalogue object it names was archived (in the
 * Dashboard, outside the bridge): a price with `active: false` ("Whether the price can be used for
 * new purchases", Price object) is refused with "The price specified is inactive. This field only
 * accepts active prices." (invalid_request_error on the line's `price` parameter: invoice items'
 * `pricing[price]`, subscription `items[n][price]`, Checkout and payment link `line_items[n][price]`;
 * e.g. github.com/invertase/stripe-firebase-extensions/issues/560), and an active price of an
 * archived product ("Whether the product is currently available for purchase", Product object)
 * with "The product prod_… is marked as inactive, and thus no new subscriptions can be created…"
 * (github.com/stripe/stripe-go/issues/1031; stripe-node#2131: "the Price [may] have active: true
 * but the underlying Product … active: false"). Stripe gives these no error code: the parameter
 * and the wording decide.
 */
import Stripe from 'stripe';
import { isPermanent } from '../errors.js';

export function isInactiveCatalogRefusal(err: unknown): boolean {
  if (!isPermanent(err)) return false;
  const cause = (err as { cause?: unknown }).cause;
  if (!(cause instanceof Stripe.errors.StripeInvalidRequestError)) return false;
  const param = cause.param ?? '';
  const onPrice = param === 'price' || param.endsWith('[price]');
  return onPrice && /\b(is inactive|marked as inactive|not active)\b/i.test(cause.message);
}
