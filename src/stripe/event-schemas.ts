/**
 * zod schemas for the Stripe events the consumer maps (webhook endpoint API version
 * `2026-10-28.endive`). Each object schema lists ONLY the fields a mapper reads: `z.object`
 * strips everything else, so unknown fields never fail an event and personal data the bridge
 * does not need (emails, addresses, names) never travels past this point.
 *
 * Enumerations Stripe may extend (statuses, reasons) are plain strings here: a new status must
 * not send events to the DLQ; the mappers' tables decide what they understand.
 */
import type Stripe from 'stripe';
import * as z from 'zod';
import { InvalidPayloadError } from '../errors.js';

/**
 * The API version the `stripe` package is pinned to and webhook endpoints are created with.
 * A literal (loading the whole `stripe` package at runtime for one string would cost cold
 * start), checked against the package's own type at compile time and its value in a test.
 */
export const STRIPE_API_VERSION = '2026-10-28.endive' as const satisfies Stripe.LatestApiVersion;

const metadata = z.record(z.string(), z.string());
const amount = z.number().int();
const timestamp = z.number().int();
/** An expandable reference: the id, or the expanded object (of which only the id is read). */
const expandableId = z.union([z.string(), z.object({ id: z.string() })]);

const cardDetails = z.object({
  brand: z.string().nullish(),
  last4: z.string().nullish(),
});

export const chargeSchema = z.object({
  id: z.string(),
  object: z.literal('charge'),
  amount,
  amount_refunded: amount,
  created: timestamp,
  currency: z.string(),
  customer: expandableId.nullable(),
  metadata,
  payment_intent: expandableId.nullable(),
  payment_method_details: z.object({ card: cardDetails.nullish() }).nullable(),
  refunded: z.boolean(),
  failure_code: z.string().nullable(),
  failure_message: z.string().nullable(),
});

export const paymentIntentSchema = z.object({
  id: z.string(),
  object: z.literal('payment_intent'),
  amount,
  amount_received: amount,
  cancellation_reason: z.string().nullable(),
  created: timestamp,
  currency: z.string(),
  customer: expandableId.nullable(),
  description: z.string().nullable(),
  last_payment_error: z
    .object({
      code: z.string().nullish(),
      decline_code: z.string().nullish(),
      message: z.string().nullish(),
      type: z.string(),
    })
    .nullable(),
  /** Only an expanded charge carries card details; an id is ignored. */
  latest_charge: z.union([z.string(), chargeSchema]).nullable(),
  metadata,
  status: z.string(),
});

export const disputeSchema = z.object({
  id: z.string(),
  object: z.literal('dispute'),
  amount,
  /** Expanded only when the consumer fetched it so; then its metadata links the payment. */
  charge: z.union([z.string(), chargeSchema]),
  currency: z.string(),
  metadata,
  payment_intent: expandableId.nullable(),
  payment_method_details: z.object({ card: z.object({ brand: z.string().nullish() }).nullish() }).optional(),
  reason: z.string(),
  status: z.string(),
});

export const invoiceSchema = z.object({
  id: z.string(),
  object: z.literal('invoice'),
  amount_due: amount,
  amount_paid: amount,
  amount_remaining: amount,
  currency: z.string(),
  customer: expandableId.nullable(),
  due_date: timestamp.nullable(),
  hosted_invoice_url: z.string().nullish(),
  metadata: metadata.nullable(),
  number: z.string().nullable(),
  parent: z
    .object({
      subscription_details: z
        .object({
          metadata: metadata.nullable(),
          subscription: expandableId,
        })
        .nullish(),
    })
    .nullable(),
  status: z.string().nullable(),
  status_transitions: z.object({
    finalized_at: timestamp.nullable(),
    marked_uncollectible_at: timestamp.nullable(),
    paid_at: timestamp.nullable(),
    voided_at: timestamp.nullable(),
  }),
});

export const subscriptionSchema = z.object({
  id: z.string(),
  object: z.literal('subscription'),
  cancel_at_period_end: z.boolean(),
  canceled_at: timestamp.nullable(),
  customer: expandableId,
  /** Since API 2025-03-31 the billing period lives on each item, not on the subscription. */
  items: z.object({
    data: z.array(z.object({ id: z.string(), current_period_end: timestamp })),
  }),
  metadata,
  status: z.string(),
});

export const checkoutSessionSchema = z.object({
  id: z.string(),
  object: z.literal('checkout.session'),
  amount_total: amount.nullable(),
  currency: z.string().nullable(),
  customer: expandableId.nullable(),
  invoice: expandableId.nullable(),
  metadata: metadata.nullable(),
  mode: z.string(),
  payment_intent: expandableId.nullable(),
  payment_link: expandableId.nullable(),
  payment_status: z.string(),
  status: z.string().nullable(),
  subscription: expandableId.nullable(),
});

export const customerSchema = z.object({
  id: z.string(),
  object: z.literal('customer'),
  metadata,
});

/** Which object schema validates `data.object` of each handled event type. */
const OBJECT_SCHEMAS = {
  'checkout.session.completed': checkoutSessionSchema,
  'checkout.session.async_payment_succeeded': checkoutSessionSchema,
  'checkout.session.async_payment_failed': checkoutSessionSchema,
  'checkout.session.expired': checkoutSessionSchema,
  'payment_intent.succeeded': paymentIntentSchema,
  'payment_intent.payment_failed': paymentIntentSchema,
  'payment_intent.processing': paymentIntentSchema,
  'payment_intent.canceled': paymentIntentSchema,
  'charge.refunded': chargeSchema,
  'charge.dispute.created': disputeSchema,
  'charge.dispute.closed': disputeSchema,
  'invoice.finalized': invoiceSchema,
  'invoice.paid': invoiceSchema,
  'invoice.payment_failed': invoiceSchema,
  'invoice.voided': invoiceSchema,
  'invoice.marked_uncollectible': invoiceSchema,
  'customer.subscription.created': subscriptionSchema,
  'customer.subscription.updated': subscriptionSchema,
  'customer.subscription.deleted': subscriptionSchema,
  'customer.created': customerSchema,
  'customer.updated': customerSchema,
} as const;

export type MappedEventType = keyof typeof OBJECT_SCHEMAS;
export const MAPPED_EVENT_TYPES = Object.keys(OBJECT_SCHEMAS) as readonly MappedEventType[];

export type StripeCharge = z.infer<typeof chargeSchema>;
export type StripePaymentIntent = z.infer<typeof paymentIntentSchema>;
export type StripeDispute = z.infer<typeof disputeSchema>;
export type StripeInvoice = z.infer<typeof invoiceSchema>;
export type StripeSubscription = z.infer<typeof subscriptionSchema>;
export type StripeCheckoutSession = z.infer<typeof checkoutSessionSchema>;
export type StripeCustomer = z.infer<typeof customerSchema>;

const envelopeSchema = z.object({
  id: z.string().startsWith('evt_'),
  object: z.literal('event'),
  type: z.string().min(1),
  created: timestamp,
  livemode: z.boolean(),
  api_version: z.string().nullable(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

interface EnvelopeFields {
  readonly id: string;
  readonly created: number;
  readonly livemode: boolean;
  readonly api_version: string | null;
}

/** A validated event of a type the bridge maps, narrowed by `type`. */
export type StripeEventOf<T extends MappedEventType> = EnvelopeFields & {
  readonly handled: true;
  readonly type: T;
  readonly data: { readonly object: z.infer<(typeof OBJECT_SCHEMAS)[T]> };
};

export type HandledStripeEvent = { [T in MappedEventType]: StripeEventOf<T> }[MappedEventType];

/** A well-formed event of a type the bridge does not map: its object is not validated. */
export type UnhandledStripeEvent = EnvelopeFields & {
  readonly handled: false;
  readonly type: string;
  readonly data: { readonly object: Readonly<Record<string, unknown>> };
};

export type ParsedStripeEvent = HandledStripeEvent | UnhandledStripeEvent;

function isMappedEventType(type: string): type is MappedEventType {
  return Object.hasOwn(OBJECT_SCHEMAS, type);
}

/** `data.object.amount (invalid_type: expected number)`: paths and expectations, never values. */
function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[]): string {
  return issues
    .slice(0, 10)
    .map((issue) => {
      const path = [...prefix, ...issue.path].map(String).join('.') || '(root)';
      const expected = issue.code === 'invalid_type' ? `: expected ${issue.expected}` : '';
      return `${path} (${issue.code}${expected})`;
    })
    .join('; ');
}

function invalid(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[],
  cause: z.ZodError,
  event?: { id: string; type: string },
): InvalidPayloadError {
  const subject = event === undefined ? 'Stripe event' : `Stripe event ${event.id} (${event.type})`;
  return new InvalidPayloadError(`${subject} does not match the schema at ${describeIssues(issues, prefix)}`, {
    code: 'EVENT_SCHEMA_INVALID',
    cause,
    details: event === undefined ? {} : { eventId: event.id, eventType: event.type },
  });
}

/**
 * Validates a Stripe event (already JSON-parsed). Handled types come back with their object
 * validated and narrowed; other types come back as `handled: false` for the caller to skip.
 * Throws InvalidPayloadError (`EVENT_SCHEMA_INVALID`) naming every offending path.
 */
export function parseStripeEvent(json: unknown): ParsedStripeEvent {
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) throw invalid(envelope.error.issues, [], envelope.error);
  const { id, type, created, livemode, api_version: apiVersion } = envelope.data;
  const base: EnvelopeFields = { id, created, livemode, api_version: apiVersion };
  if (!isMappedEventType(type)) {
    return { ...base, handled: false, type, data: { object: envelope.data.data.object } };
  }
  const object = OBJECT_SCHEMAS[type].safeParse(envelope.data.data.object);
  if (!object.success) throw invalid(object.error.issues, ['data', 'object'], object.error, { id, type });
  // The table ties each type to its schema; TypeScript cannot follow that through the lookup.
  return { ...base, handled: true, type, data: { object: object.data } } as HandledStripeEvent;
}

/**
 * True when the event was rendered with another API version than the one the schemas were
 * written for (the webhook endpoint was created or upgraded separately). Such events still
 * parse when the fields we read are unchanged; the caller logs the mismatch. Events without a
 * version (`null`) have nothing to compare.
 */
export function hasForeignApiVersion(event: { readonly api_version: string | null }): boolean {
  return event.api_version !== null && event.api_version !== STRIPE_API_VERSION;
}
