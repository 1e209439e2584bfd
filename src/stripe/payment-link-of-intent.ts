/**
 * Where a PaymentIntent was paid: its Checkout Session names the payment link it came from
 * (`GET /v1/checkout/sessions?payment_intent=…`, https://docs.stripe.com/api/checkout/sessions/list).
 * A session opened from no link is itself the origin (the `checkout` command's bill), so its id
 * is answered then. Null when no Checkout Session created the PaymentIntent.
 */
import type Stripe from 'stripe';

export async function paymentLinkOfIntent(stripe: Stripe, paymentIntentId: string): Promise<string | null> {
  const session = (await stripe.checkout.sessions.list({ payment_intent: paymentIntentId, limit: 1 })).data[0];
  if (session === undefined) return null;
  const link = session.payment_link;
  return link === null || link === undefined ? session.id : typeof link === 'string' ? link : link.id;
}
