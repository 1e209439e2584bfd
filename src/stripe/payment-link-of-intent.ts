/**
 * The payment link a PaymentIntent was paid through: its Checkout Session names it
 * (`GET /v1/checkout/sessions?payment_intent=…`, https://docs.stripe.com/api/checkout/sessions/list).
 * Null when no Checkout Session created the PaymentIntent, or the session came from no link.
 */
import type Stripe from 'stripe';

export async function paymentLinkOfIntent(stripe: Stripe, paymentIntentId: string): Promise<string | null> {
  const sessions = await stripe.checkout.sessions.list({ payment_intent: paymentIntentId, limit: 1 });
  const link = sessions.data[0]?.payment_link;
  return link === null || link === undefined ? null : typeof link === 'string' ? link : link.id;
}
