/**
 * The Stripe objects the backfill loads and the drift report compares, and the event each one's
 * current state stands for: an object is mapped by wrapping it in a synthetic event of that type
 * and handing it to the same interpreter and mappers as a live event (one mapping path).
 *
 * Objects whose state no handled event describes (draft invoices, PaymentIntents still waiting
 * for a payment method) are skipped with a reason: the bridge would not have written them either.
 */
import { STRIPE_API_VERSION } from '../stripe/event-schemas.js';

export const OBJECT_KINDS = ['customers', 'products', 'subscriptions', 'invoices', 'payments', 'refunds', 'disputes'] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

export type StripeObject = Readonly<Record<string, unknown>> & { readonly id: string; readonly created?: number };

export interface KindSpec {
  readonly kind: ObjectKind;
  /** The list endpoint (`GET /v1/<resource>`), undefined when nothing of this kind is mapped. */
  readonly resource: 'customers' | 'subscriptions' | 'invoices' | 'payment_intents' | 'refunds' | 'disputes' | undefined;
  /** Extra list parameters: `expand[]` so the object carries what its mapper reads. */
  readonly listParams: Readonly<Record<string, unknown>>;
  /** The event type the object's current state stands for, or why it is not loaded. */
  readonly eventType: (object: StripeObject) => { readonly type: string } | { readonly skip: string };
  /** The object the event carries (a refund's event carries its charge). */
  readonly eventObject: (object: StripeObject) => StripeObject;
}

const same = (object: StripeObject): StripeObject => object;
const status = (object: StripeObject): string => String(object['status'] ?? '');

const INVOICE_EVENTS: Readonly<Record<string, string>> = {
  open: 'invoice.finalized',
  paid: 'invoice.paid',
  void: 'invoice.voided',
  uncollectible: 'invoice.marked_uncollectible',
};

const PAYMENT_EVENTS: Readonly<Record<string, string>> = {
  succeeded: 'payment_intent.succeeded',
  processing: 'payment_intent.processing',
  canceled: 'payment_intent.canceled',
};

/** A closed dispute has one of these statuses; any other is still open. */
const CLOSED_DISPUTE = new Set(['won', 'lost', 'warning_closed', 'prevented']);

export const KINDS: Readonly<Record<ObjectKind, KindSpec>> = {
  customers: {
    kind: 'customers',
    resource: 'customers',
    listParams: {},
    eventType: () => ({ type: 'customer.updated' }),
    eventObject: same,
  },
  products: {
    kind: 'products',
    resource: undefined,
    listParams: {},
    eventType: () => ({ skip: 'the bridge writes no Salesforce record for Stripe products' }),
    eventObject: same,
  },
  subscriptions: {
    kind: 'subscriptions',
    resource: 'subscriptions',
    // Stripe's list leaves canceled subscriptions out unless asked for all.
    listParams: { status: 'all' },
    eventType: (o) => ({ type: status(o) === 'canceled' ? 'customer.subscription.deleted' : 'customer.subscription.updated' }),
    eventObject: same,
  },
  invoices: {
    kind: 'invoices',
    resource: 'invoices',
    listParams: {},
    eventType: (o) => {
      const type = INVOICE_EVENTS[status(o)];
      return type === undefined ? { skip: `${status(o) || 'unknown'} invoice: no handled event describes it` } : { type };
    },
    eventObject: same,
  },
  payments: {
    kind: 'payments',
    resource: 'payment_intents',
    // The latest charge carries the card brand, last 4 and the refunded amount.
    listParams: { expand: ['data.latest_charge'] },
    eventType: (o) => {
      const type = PAYMENT_EVENTS[status(o)];
      return type === undefined ? { skip: `PaymentIntent ${status(o) || 'unknown'}: still waiting for a payment` } : { type };
    },
    eventObject: same,
  },
  refunds: {
    kind: 'refunds',
    resource: 'refunds',
    // charge.refunded carries the charge, with its total refunded amount.
    listParams: { expand: ['data.charge'] },
    eventType: (o) => (typeof o['charge'] === 'object' && o['charge'] !== null ? { type: 'charge.refunded' } : { skip: 'refund without its charge' }),
    eventObject: (o) => o['charge'] as StripeObject,
  },
  disputes: {
    kind: 'disputes',
    resource: 'disputes',
    // The charge's metadata names the Opportunity (the consumer expands it the same way).
    listParams: { expand: ['data.charge'] },
    eventType: (o) => ({ type: CLOSED_DISPUTE.has(status(o)) ? 'charge.dispute.closed' : 'charge.dispute.created' }),
    eventObject: same,
  },
};

export function parseObjectKinds(text: string): ObjectKind[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = names.filter((n) => !(OBJECT_KINDS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`Unknown object kind ${unknown.join(', ')} (expected ${OBJECT_KINDS.join(', ')})`);
  // Always in the canonical order: what a later kind writes (a refund) outranks an earlier one.
  return OBJECT_KINDS.filter((k) => names.includes(k));
}

/**
 * The synthetic event that stands for an object's current state, stamped `asOf` (seconds). A
 * backfill's ids are stable per object (a resumed run repeats them); a drift fix's carry its time,
 * so that the consumer's dedup does not take a later fix for a repeat of an earlier one.
 */
export function syntheticEvent(type: string, object: StripeObject, asOf: number, source: 'backfill' | 'reconcile' = 'backfill'): Record<string, unknown> {
  return {
    id: source === 'backfill' ? `evt_backfill_${object.id}` : `evt_reconcile_${asOf}_${object.id}`,
    object: 'event',
    type,
    created: asOf,
    livemode: object['livemode'] === true,
    // Objects read through the API come at the pinned version (stripe-node sends it).
    api_version: STRIPE_API_VERSION,
    data: { object },
    pending_webhooks: 0,
    request: { id: null, idempotency_key: null },
  };
}
