/**
 * Completes an event with what Stripe sends only as an id, before it is validated and mapped, by
 * reading the object from Stripe at the pinned API version (as `expand[]` would on a retrieve):
 *
 * - a dispute names only its charge; the charge carries the Salesforce links (Stripe copies the
 *   PaymentIntent's metadata onto it), so the pure mapper can mark the Opportunity Disputed;
 * - a paid subscription-mode checkout session names its first invoice, not the PaymentIntent that
 *   paid it: the invoice read with `expand[]=payments` names it (at every event API version: the
 *   read is at the pinned version), so the session's payment record can be written.
 *
 * - a failed invoice payment says why it failed only on its PaymentIntent: before basil the
 *   invoice names it (`payment_intent`), from basil on its `payments` do; the PaymentIntent read
 *   puts `last_payment_error` (code, decline code) in the account manager's Task.
 *
 * One Stripe read per such event (two for a failed basil invoice); none for any other. Best effort: an object Stripe does not give
 * us (unknown, or the key may not read it) leaves the event as it is, with a warning; an outage
 * retries the event.
 */
import { errorCode, isPermanent } from '../errors.js';
import type { Logger } from '../logging.js';
import type { ConsumerPorts } from './ports.js';

export interface StripeObjectReads {
  /** A charge, as JSON; undefined when Stripe does not know it. */
  readonly retrieveCharge?: (chargeId: string) => Promise<unknown>;
  /** An invoice with its `payments` included, as JSON; undefined when Stripe does not know it. */
  readonly retrieveInvoiceWithPayments?: (invoiceId: string) => Promise<unknown>;
  /** A PaymentIntent, as JSON; undefined when Stripe does not know it. */
  readonly retrievePaymentIntent?: (paymentIntentId: string) => Promise<unknown>;
  /** The PaymentIntent an invoice's payments name (basil on), as JSON; undefined when none. */
  readonly retrievePaymentIntentOfInvoice?: (invoiceId: string) => Promise<unknown>;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface Expansion {
  /** The field of `data.object` that is replaced by the object read. */
  readonly field: string;
  /** The field of `data.object` that holds the id to read by; `field` when absent. */
  readonly idField?: string;
  readonly read: (id: string) => Promise<unknown>;
  readonly what: string;
}

const PAID_SESSION_EVENTS = new Set(['checkout.session.completed', 'checkout.session.async_payment_succeeded']);

function expansionFor(type: string, object: Json, reads: StripeObjectReads): Expansion | undefined {
  if (type.startsWith('charge.dispute.') && reads.retrieveCharge !== undefined) {
    return { field: 'charge', read: reads.retrieveCharge, what: 'the disputed charge; Opportunity not updated' };
  }
  const paymentIntent = object['payment_intent'];
  if (
    PAID_SESSION_EVENTS.has(type) &&
    reads.retrieveInvoiceWithPayments !== undefined &&
    object['mode'] === 'subscription' &&
    object['payment_status'] === 'paid' &&
    (paymentIntent === null || paymentIntent === undefined)
  ) {
    return { field: 'invoice', read: reads.retrieveInvoiceWithPayments, what: "the session's invoice; no payment record written" };
  }
  if (type === 'invoice.payment_failed') return failedInvoiceExpansion(object, reads);
  return undefined;
}

const NO_DECLINE_REASON = "the failed invoice's PaymentIntent; the Task gives no decline reason";

function failedInvoiceExpansion(object: Json, reads: StripeObjectReads): Expansion | undefined {
  const paymentIntent = object['payment_intent'];
  if (typeof paymentIntent === 'string') {
    return reads.retrievePaymentIntent === undefined ? undefined : { field: 'payment_intent', read: reads.retrievePaymentIntent, what: NO_DECLINE_REASON };
  }
  // Already expanded, or (before basil) an invoice no payment was attempted for: nothing to read.
  // From basil on the field is gone and the invoice's payments name the PaymentIntent.
  if (paymentIntent !== undefined) return undefined;
  return reads.retrievePaymentIntentOfInvoice === undefined
    ? undefined
    : { field: 'payment_intent', idField: 'id', read: reads.retrievePaymentIntentOfInvoice, what: NO_DECLINE_REASON };
}

export function createEventExpander(reads: StripeObjectReads, logger: Logger): ConsumerPorts['expand'] {
  return async (json) => {
    if (!isRecord(json) || typeof json['type'] !== 'string') return json;
    const data = json['data'];
    const object = isRecord(data) ? data['object'] : undefined;
    if (!isRecord(data) || !isRecord(object)) return json;
    const expansion = expansionFor(json['type'], object, reads);
    const id = expansion === undefined ? undefined : object[expansion.idField ?? expansion.field];
    if (expansion === undefined || typeof id !== 'string') return json;
    let expanded: unknown;
    try {
      expanded = await expansion.read(id);
    } catch (err) {
      if (!isPermanent(err)) throw err;
      logger.warn({ eventId: json['id'], errorCode: errorCode(err) }, `could not read ${expansion.what}`);
      return json;
    }
    if (!isRecord(expanded)) {
      logger.warn({ eventId: json['id'], errorCode: 'resource_missing' }, `Stripe does not know ${expansion.what}`);
      return json;
    }
    return { ...json, data: { ...data, object: { ...object, [expansion.field]: expanded } } };
  };
}
