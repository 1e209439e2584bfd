/**
 * Stripe event → Salesforce mutations: the pure core of the consumer. One small mapper per
 * Stripe object; this module only dispatches. No I/O, no clock.
 */
import type { HandledStripeEvent, MappedEventType, ParsedStripeEvent, StripeEventOf } from '../stripe/event-schemas.js';
import { mapChargeRefunded, mapChargeSucceeded } from './charge.js';
import { mapCheckoutSessionEvent } from './checkout-session.js';
import { mapCustomerEvent } from './customer.js';
import { mapDisputeEvent } from './dispute.js';
import { mapInvoiceEvent } from './invoice.js';
import type { MapResult } from './mutation.js';
import { mapPaymentIntentEvent } from './payment-intent.js';
import { mapRefundEvent } from './refund.js';
import { mapTrialWillEnd, mapUpcomingInvoice } from './renewal.js';
import { mapSubscriptionEvent } from './subscription.js';

type Mappers = { readonly [T in MappedEventType]: (event: StripeEventOf<T>) => MapResult };

const MAPPERS: Mappers = {
  'checkout.session.completed': mapCheckoutSessionEvent,
  'checkout.session.async_payment_succeeded': mapCheckoutSessionEvent,
  'checkout.session.async_payment_failed': mapCheckoutSessionEvent,
  'checkout.session.expired': mapCheckoutSessionEvent,
  'payment_intent.succeeded': mapPaymentIntentEvent,
  'payment_intent.payment_failed': mapPaymentIntentEvent,
  'payment_intent.processing': mapPaymentIntentEvent,
  'payment_intent.canceled': mapPaymentIntentEvent,
  'charge.succeeded': mapChargeSucceeded,
  'charge.refunded': mapChargeRefunded,
  'refund.created': mapRefundEvent,
  'refund.updated': mapRefundEvent,
  'refund.failed': mapRefundEvent,
  'charge.refund.updated': mapRefundEvent,
  'charge.dispute.created': mapDisputeEvent,
  'charge.dispute.closed': mapDisputeEvent,
  'invoice.finalized': mapInvoiceEvent,
  'invoice.paid': mapInvoiceEvent,
  'invoice.payment_failed': mapInvoiceEvent,
  'invoice.voided': mapInvoiceEvent,
  'invoice.marked_uncollectible': mapInvoiceEvent,
  'customer.subscription.created': mapSubscriptionEvent,
  'customer.subscription.updated': mapSubscriptionEvent,
  'customer.subscription.deleted': mapSubscriptionEvent,
  'customer.subscription.trial_will_end': mapTrialWillEnd,
  'invoice.upcoming': mapUpcomingInvoice,
  'customer.created': mapCustomerEvent,
  'customer.updated': mapCustomerEvent,
};

export function mapStripeEvent(event: ParsedStripeEvent): MapResult {
  if (!event.handled) return { outcome: 'skipped', reason: `unhandled event type ${event.type}` };
  // Each entry of MAPPERS takes exactly its own event type; the correlation is lost on lookup.
  const mapper = MAPPERS[event.type] as (event: HandledStripeEvent) => MapResult;
  return mapper(event);
}
