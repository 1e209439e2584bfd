/**
 * zod schemas for the Stripe events the consumer maps. Each object schema lists ONLY the fields a
 * mapper reads: `z.object` strips everything else, so unknown fields never fail an event and
 * personal data the bridge does not need (emails, addresses, names) never travels past this point.
 *
 * Every API version since 2022-08-01 is accepted: a field that moved between versions is listed
 * in both places, and only what the logic cannot do without is required (ids, amounts, currency,
 * statuses). `src/stripe/api-versions.ts` reads the moved fields wherever the event's version put
 * them. Enrichments the logic can do without (card details, an embedded charge list, invoice
 * payments) fall back to "absent" when their shape is unexpected (`z.catch`), so an unusual
 * rendering costs a detail, never the event.
 *
 * Enumerations Stripe may extend (statuses, reasons) are plain strings here: a new status must
 * not send events to the DLQ; the mappers' tables decide what they understand.
 */
import type Stripe from 'stripe';
// zod/mini: the same validation as full zod at a fraction of its cold-start cost (consumer budget).
import * as z from 'zod/mini';
import { InvalidPayloadError } from '../errors.js';

/**
 * The API version the `stripe` package is pinned to: what the bridge's own Stripe calls are
 * rendered at, and the version new webhook endpoints are created with. A literal (loading the
 * whole `stripe` package at runtime for one string would cost cold start), checked against the
 * package's own type at compile time and its value in a test.
 */
export const STRIPE_API_VERSION = '2026-10-28.endive' as const satisfies Stripe.LatestApiVersion;

/** The oldest webhook API version the schemas and mappers are written and tested for. */
export const OLDEST_SUPPORTED_API_VERSION = '2022-08-01';

const metadata = z.record(z.string(), z.string());
/** Metadata as Stripe renders it; absent or null reads as "none". */
const optionalMetadata = z.nullish(metadata);
const amount = z.int();
const timestamp = z.int();
/** An expandable reference: the id, or the expanded object (of which only the id is read). */
const expandableId = z.union([z.string(), z.object({ id: z.string() })]);

const cardDetails = z.object({
  brand: z.nullish(z.string()),
  last4: z.nullish(z.string()),
});
/** Only the card is read; anything else about the method is not the bridge's business. */
const paymentMethodDetails = z.catch(z.nullish(z.object({ card: z.nullish(cardDetails) })), () => undefined);

/**
 * A charge embedded in another object (a PaymentIntent's `charges` list before 2022-11-15, an
 * expanded `latest_charge`, a disputed charge the consumer fetched): every field but the id is an
 * enrichment.
 */
const embeddedChargeSchema = z.object({
  id: z.string(),
  object: z.optional(z.literal('charge')),
  amount_refunded: z.nullish(amount),
  created: z.nullish(timestamp),
  currency: z.nullish(z.string()),
  customer: z.nullish(expandableId),
  /** Before 2025-03-31 (basil) only: the invoice the charge paid. */
  invoice: z.nullish(expandableId),
  metadata: optionalMetadata,
  payment_intent: z.nullish(expandableId),
  payment_method_details: paymentMethodDetails,
  status: z.nullish(z.string()),
});

/**
 * A refund (https://docs.stripe.com/api/refunds/object), as its own events carry it and as a
 * charge embedded it before 2022-11-15. `status` is nullable in old renderings.
 */
export const refundSchema = z.object({
  id: z.string(),
  amount,
  charge: z.nullish(expandableId),
  created: timestamp,
  currency: z.string(),
  failure_reason: z.nullish(z.string()),
  metadata: optionalMetadata,
  payment_intent: z.nullish(expandableId),
  reason: z.nullish(z.string()),
  status: z.nullish(z.string()),
});

export const chargeSchema = z.object({
  id: z.string(),
  object: z.literal('charge'),
  amount,
  /** Less than `amount` after a partial capture (absent on very old renderings). */
  amount_captured: z.nullish(amount),
  amount_refunded: amount,
  /** False while an authorization waits for capture (`charge.succeeded` fires on authorization). */
  captured: z.nullish(z.boolean()),
  created: timestamp,
  currency: z.string(),
  customer: z.nullish(expandableId),
  /** Before 2025-03-31 (basil) only: the invoice the charge paid. */
  invoice: z.nullish(expandableId),
  metadata: optionalMetadata,
  payment_intent: z.nullish(expandableId),
  payment_method_details: paymentMethodDetails,
  refunded: z.boolean(),
  /** Before 2022-11-15 only: the charge's refunds (since then a list to expand, never in events). */
  refunds: z.catch(z.nullish(z.object({ data: z.array(refundSchema) })), () => undefined),
  status: z.nullish(z.string()),
});

export const paymentIntentSchema = z.object({
  id: z.string(),
  object: z.literal('payment_intent'),
  amount,
  /** What was actually captured: less than `amount` after a partial capture. */
  amount_received: z.nullish(amount),
  cancellation_reason: z.nullish(z.string()),
  created: timestamp,
  currency: z.string(),
  customer: z.nullish(expandableId),
  description: z.nullish(z.string()),
  /** Before 2025-03-31 (basil) only: the invoice this PaymentIntent pays. */
  invoice: z.nullish(expandableId),
  last_payment_error: z.nullish(
    z.object({
      code: z.nullish(z.string()),
      decline_code: z.nullish(z.string()),
      message: z.nullish(z.string()),
      type: z.nullish(z.string()),
    }),
  ),
  /**
   * An id in webhooks (2022-11-15 and later); an object only when someone expanded it. Card
   * details come from `charge.succeeded` instead (see src/mappers/charge.ts).
   */
  latest_charge: z.catch(z.nullish(z.union([z.string(), embeddedChargeSchema])), () => undefined),
  /** Before 2022-11-15 only: the PaymentIntent's charges, newest first, with card details. */
  charges: z.catch(z.nullish(z.object({ data: z.array(embeddedChargeSchema) })), () => undefined),
  metadata: optionalMetadata,
  status: z.string(),
});

export const disputeSchema = z.object({
  id: z.string(),
  object: z.literal('dispute'),
  amount,
  /** Expanded only when the consumer fetched it so; then its metadata links the payment. */
  charge: z.union([z.string(), embeddedChargeSchema]),
  currency: z.string(),
  metadata: optionalMetadata,
  payment_intent: z.nullish(expandableId),
  payment_method_details: z.catch(
    z.nullish(z.object({ card: z.nullish(z.object({ brand: z.nullish(z.string()) })) })),
    () => undefined,
  ),
  reason: z.nullish(z.string()),
  status: z.string(),
});

/** How an invoice names the payments that paid it, from 2025-03-31 (basil): includable only. */
const invoicePayments = z.catch(
  z.nullish(
    z.object({
      data: z.array(
        z.object({
          status: z.nullish(z.string()),
          payment: z.nullish(z.object({ payment_intent: z.nullish(expandableId), charge: z.nullish(expandableId) })),
        }),
      ),
    }),
  ),
  () => undefined,
);

/**
 * An invoice line as the usage of metered subscription items is read from it (src/mappers/
 * subscription-items.ts): its item (`subscription_item` before 2025-03-31.basil,
 * `parent.subscription_item_details.subscription_item` since:
 * https://docs.stripe.com/changelog/basil/2025-03-31/adds-new-parent-field-to-invoicing-objects),
 * quantity, period, and the usage type when the line names its price (before basil).
 */
const invoiceLineSchema = z.object({
  quantity: z.nullish(z.number()),
  subscription_item: z.nullish(z.string()),
  /** A proration line (before basil: `proration`; from basil on: under `parent`). */
  proration: z.nullish(z.boolean()),
  parent: z.nullish(
    z.object({ subscription_item_details: z.nullish(z.object({ subscription_item: z.nullish(z.string()), proration: z.nullish(z.boolean()) })) }),
  ),
  period: z.nullish(z.object({ start: z.nullish(timestamp), end: z.nullish(timestamp) })),
  price: z.nullish(
    z.object({
      recurring: z.nullish(z.object({ usage_type: z.nullish(z.string()), interval: z.nullish(z.string()), interval_count: z.nullish(z.number()) })),
    }),
  ),
  plan: z.nullish(z.object({ usage_type: z.nullish(z.string()) })),
});

export const invoiceSchema = z.object({
  id: z.string(),
  object: z.literal('invoice'),
  amount_due: amount,
  amount_paid: amount,
  amount_remaining: amount,
  /** What was billed after discounts and credit notes; 0 for a trial's invoice. */
  total: z.nullish(amount),
  currency: z.string(),
  customer: z.nullish(expandableId),
  due_date: z.nullish(timestamp),
  hosted_invoice_url: z.nullish(z.string()),
  metadata: optionalMetadata,
  number: z.nullish(z.string()),
  /** 2025-03-31 (basil) and later: what generated the invoice (a subscription, a quote…). */
  parent: z.nullish(
    z.object({
      subscription_details: z.nullish(
        z.object({
          metadata: optionalMetadata,
          subscription: z.nullish(expandableId),
        }),
      ),
    }),
  ),
  /** Before basil: the subscription at top level, with its metadata in `subscription_details`. */
  subscription: z.nullish(expandableId),
  subscription_details: z.nullish(z.object({ metadata: optionalMetadata })),
  /**
   * Before basil: the invoice's PaymentIntent and charge at top level. Expanded (as
   * `expand[]=payment_intent` returns it) it carries its last payment error: why the invoice's
   * payment failed, for the failure's Task.
   */
  payment_intent: z.nullish(
    z.union([
      z.string(),
      z.object({ id: z.string(), last_payment_error: z.nullish(z.object({ code: z.nullish(z.string()), decline_code: z.nullish(z.string()) })) }),
    ]),
  ),
  charge: z.nullish(expandableId),
  payments: invoicePayments,
  status: z.nullish(z.string()),
  status_transitions: z.nullish(z.object({ paid_at: z.nullish(timestamp) })),
  /** When Stripe retries a failed payment by itself (Smart Retries / the retry schedule); null when it will not. */
  next_payment_attempt: z.nullish(timestamp),
  attempt_count: z.nullish(z.int()),
  /** End of the period the invoice billed usage for (a subscription cycle's closed period). */
  period_end: z.nullish(timestamp),
  /** The lines a webhook carries (the first page); a line of an unexpected shape costs the usage, never the event. */
  lines: z.catch(z.nullish(z.object({ data: z.array(invoiceLineSchema) })), () => undefined),
});

/**
 * `invoice.upcoming`: the invoice a subscription will create at its renewal, sent as many days
 * before as the account's subscription settings say; a preview, so it has no id ("The received
 * Invoice object will not have an invoice ID", https://docs.stripe.com/api/events/types#event_types-invoice.upcoming).
 * `period_end` is the end of the period being closed, i.e. the renewal; `next_payment_attempt`
 * when it will be charged (automatic collection only).
 */
export const upcomingInvoiceSchema = z.object({
  id: z.nullish(z.string()),
  object: z.literal('invoice'),
  amount_due: amount,
  currency: z.string(),
  customer: z.nullish(expandableId),
  collection_method: z.nullish(z.string()),
  metadata: optionalMetadata,
  next_payment_attempt: z.nullish(timestamp),
  period_end: z.nullish(timestamp),
  parent: invoiceSchema.shape.parent,
  subscription: z.nullish(expandableId),
  subscription_details: z.nullish(z.object({ metadata: optionalMetadata })),
  /** The customer's name as the invoice will show it (a renewal Opportunity's name). */
  customer_name: z.nullish(z.string()),
  /** The renewal's lines: their billing period says whether the term is a year or longer. */
  lines: invoiceSchema.shape.lines,
});

/**
 * A coupon as a discount carries it: `coupon` (before 2025-09-30.clover) or `source.coupon`
 * (since), each an object only when the payload expands it. Only its terms are read.
 */
const couponTerms = z.object({
  percent_off: z.nullish(z.number()),
  amount_off: z.nullish(z.number()),
  duration: z.nullish(z.string()),
});
const discountSchema = z.object({
  coupon: z.nullish(z.union([z.string(), couponTerms])),
  source: z.nullish(z.object({ coupon: z.nullish(z.union([z.string(), couponTerms])) })),
});
/** Subscription and item `discounts`: ids in webhooks, objects when expanded. An enrichment. */
const discountList = z.catch(z.nullish(z.array(z.union([z.string(), discountSchema]))), () => undefined);

const recurringSchema = z.object({
  interval: z.string(),
  interval_count: z.nullish(z.int()),
  usage_type: z.nullish(z.string()),
});

/** What the bridge reads of a price (and of the legacy `plan`, its predecessor on items). */
const priceSchema = z.object({
  id: z.string(),
  currency: z.nullish(z.string()),
  nickname: z.nullish(z.string()),
  product: z.nullish(expandableId),
  unit_amount: z.nullish(amount),
  unit_amount_decimal: z.nullish(z.string()),
  recurring: z.nullish(recurringSchema),
});
const planSchema = z.object({
  id: z.string(),
  nickname: z.nullish(z.string()),
  product: z.nullish(expandableId),
  amount: z.nullish(amount),
  amount_decimal: z.nullish(z.string()),
  interval: z.string(),
  interval_count: z.nullish(z.int()),
  usage_type: z.nullish(z.string()),
});

const subscriptionItemSchema = z.object({
  id: z.nullish(z.string()),
  /** From 2025-03-31 (basil) on, each item has its own billing period. */
  current_period_start: z.nullish(timestamp),
  current_period_end: z.nullish(timestamp),
  quantity: z.nullish(z.number()),
  price: z.catch(z.nullish(priceSchema), () => undefined),
  plan: z.catch(z.nullish(planSchema), () => undefined),
  discounts: discountList,
});

export const subscriptionSchema = z.object({
  id: z.string(),
  object: z.literal('subscription'),
  cancel_at: z.nullish(timestamp),
  cancel_at_period_end: z.nullish(z.boolean()),
  canceled_at: z.nullish(timestamp),
  collection_method: z.nullish(z.string()),
  currency: z.nullish(z.string()),
  customer: expandableId,
  /** Before 2025-03-31 (basil): the billing period on the subscription. */
  current_period_start: z.nullish(timestamp),
  current_period_end: z.nullish(timestamp),
  days_until_due: z.nullish(z.int()),
  /** The single discount, before `discounts` replaced it (an object with its coupon). */
  discount: z.catch(z.nullish(discountSchema), () => undefined),
  discounts: discountList,
  ended_at: z.nullish(timestamp),
  /** `has_more` true: the payload lists only the first items (a subscription has up to 20). */
  items: z.nullish(z.object({ data: z.array(subscriptionItemSchema), has_more: z.nullish(z.boolean()) })),
  metadata: optionalMetadata,
  pause_collection: z.catch(z.nullish(z.object({ behavior: z.nullish(z.string()), resumes_at: z.nullish(timestamp) })), () => undefined),
  schedule: z.nullish(expandableId),
  start_date: z.nullish(timestamp),
  status: z.string(),
  trial_end: z.nullish(timestamp),
});

/** An invoice a checkout session names, as the consumer expands it (with `payments`). */
const expandedInvoiceSchema = z.object({
  id: z.string(),
  payment_intent: z.nullish(expandableId),
  payments: invoicePayments,
});

export const checkoutSessionSchema = z.object({
  id: z.string(),
  object: z.literal('checkout.session'),
  amount_total: z.nullish(amount),
  currency: z.nullish(z.string()),
  customer: z.nullish(expandableId),
  /** The first invoice of a subscription-mode session (or of invoice creation); an id in webhooks. */
  invoice: z.nullish(z.union([z.string(), expandedInvoiceSchema])),
  metadata: optionalMetadata,
  mode: z.string(),
  /** Payment mode only; since 2022-08-01 created when the customer pays, not with the session. */
  payment_intent: z.nullish(expandableId),
  payment_link: z.nullish(expandableId),
  /** `paid`, `unpaid` (an asynchronous method), or `no_payment_required` (a trial, a 100 % discount). */
  payment_status: z.string(),
  status: z.nullish(z.string()),
  subscription: z.nullish(expandableId),
});

export const customerSchema = z.object({
  id: z.string(),
  object: z.literal('customer'),
  metadata: optionalMetadata,
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
  'charge.succeeded': chargeSchema,
  'charge.refunded': chargeSchema,
  'refund.created': refundSchema,
  'refund.updated': refundSchema,
  'refund.failed': refundSchema,
  // The name refund.updated had for card refunds before it existed; still sent to old endpoints.
  'charge.refund.updated': refundSchema,
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
  // Renewal reminders (src/mappers/renewal.ts): a Task for the Account owner once per period.
  'customer.subscription.trial_will_end': subscriptionSchema,
  'invoice.upcoming': upcomingInvoiceSchema,
  'customer.created': customerSchema,
  'customer.updated': customerSchema,
} as const;

export type MappedEventType = keyof typeof OBJECT_SCHEMAS;
export const MAPPED_EVENT_TYPES = Object.keys(OBJECT_SCHEMAS) as readonly MappedEventType[];

export type StripeCharge = z.infer<typeof chargeSchema>;
export type StripeRefund = z.infer<typeof refundSchema>;
export type StripeEmbeddedCharge = z.infer<typeof embeddedChargeSchema>;
export type StripePaymentIntent = z.infer<typeof paymentIntentSchema>;
export type StripeDispute = z.infer<typeof disputeSchema>;
export type StripeInvoice = z.infer<typeof invoiceSchema>;
export type StripeSubscription = z.infer<typeof subscriptionSchema>;
export type StripeUpcomingInvoice = z.infer<typeof upcomingInvoiceSchema>;
export type StripeCouponTerms = z.infer<typeof couponTerms>;
export type StripeSubscriptionItem = z.infer<typeof subscriptionItemSchema>;
export type StripeCheckoutSession = z.infer<typeof checkoutSessionSchema>;
export type StripeCustomer = z.infer<typeof customerSchema>;

const envelopeSchema = z.object({
  id: z.string().check(z.startsWith('evt_')),
  object: z.literal('event'),
  type: z.string().check(z.minLength(1)),
  created: timestamp,
  livemode: z.boolean(),
  api_version: z.nullish(z.string()),
  /** Connect: the connected account an event comes from; absent on the platform's own events. */
  account: z.nullish(z.string()),
  data: z.object({
    object: z.record(z.string(), z.unknown()),
    /**
     * `*.updated` events: the values the changed top-level fields had before (nested hashes as
     * their differences since 2015-01-26, changed sub-arrays whole since 2017-05-25:
     * https://docs.stripe.com/changelog/2017-05-25/events-previous-attributes-render-complete-sub-array).
     * Validated by the mapper that reads it, leniently: a shape it does not know costs the detail.
     */
    previous_attributes: z.nullish(z.record(z.string(), z.unknown())),
  }),
});

export interface EnvelopeFields {
  readonly id: string;
  readonly created: number;
  readonly livemode: boolean;
  readonly api_version: string | null;
  /** Set on events of a Connect platform's connected accounts (`event.account`). */
  readonly account?: string;
}

/** A validated event of a type the bridge maps, narrowed by `type`. */
export type StripeEventOf<T extends MappedEventType> = EnvelopeFields & {
  readonly handled: true;
  readonly type: T;
  readonly data: { readonly object: z.infer<(typeof OBJECT_SCHEMAS)[T]>; readonly previous_attributes?: PreviousAttributes };
};

/** `data.previous_attributes` as the envelope carries it (not validated further). */
export type PreviousAttributes = Readonly<Record<string, unknown>>;

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
  cause: z.core.$ZodError,
  event?: { id: string; type: string },
): InvalidPayloadError {
  const subject = event === undefined ? 'Stripe event' : `Stripe event ${event.id} (${event.type})`;
  return new InvalidPayloadError(`${subject} does not match the schema at ${describeIssues(issues, prefix)}`, {
    code: 'EVENT_SCHEMA_INVALID',
    cause,
    details: event === undefined ? {} : { eventId: event.id, eventType: event.type },
  });
}

/** A well-formed envelope whose object has not been looked at yet. */
export type StripeEnvelope = EnvelopeFields & {
  readonly type: string;
  readonly data: { readonly object: Readonly<Record<string, unknown>>; readonly previous_attributes?: PreviousAttributes };
};

/**
 * Validates only the envelope of a Stripe event (already JSON-parsed): enough to decide whether
 * the event is this deployment's at all (its mode, its account) before its object is judged.
 * Throws InvalidPayloadError (`EVENT_SCHEMA_INVALID`) naming every offending path.
 */
export function parseStripeEnvelope(json: unknown): StripeEnvelope {
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) throw invalid(envelope.error.issues, [], envelope.error);
  const { id, type, created, livemode, api_version: apiVersion, account, data } = envelope.data;
  return {
    id,
    type,
    created,
    livemode,
    api_version: apiVersion ?? null,
    ...(account !== undefined && account !== null && account !== '' ? { account } : {}),
    data: { object: data.object, ...(data.previous_attributes ? { previous_attributes: data.previous_attributes } : {}) },
  };
}

/**
 * Validates a Stripe event (already JSON-parsed, or an envelope from parseStripeEnvelope).
 * Handled types come back with their object validated and narrowed; other types come back as
 * `handled: false` for the caller to skip. Throws InvalidPayloadError (`EVENT_SCHEMA_INVALID`)
 * naming every offending path.
 */
export function parseStripeEvent(json: unknown): ParsedStripeEvent {
  return parseStripeObject(parseStripeEnvelope(json));
}

export function parseStripeObject(envelope: StripeEnvelope): ParsedStripeEvent {
  const { type, data, ...base } = envelope;
  if (!isMappedEventType(type)) return { ...base, handled: false, type, data };
  const object = OBJECT_SCHEMAS[type].safeParse(data.object);
  if (!object.success) throw invalid(object.error.issues, ['data', 'object'], object.error, { id: base.id, type });
  // The table ties each type to its schema; TypeScript cannot follow that through the lookup.
  const previous = data.previous_attributes;
  return { ...base, handled: true, type, data: { object: object.data, ...(previous ? { previous_attributes: previous } : {}) } } as HandledStripeEvent;
}

/**
 * True when the event was rendered with another API version than the pinned one (the webhook
 * endpoint was created or upgraded separately). Events without a version (`null`) have nothing
 * to compare.
 */
export function hasForeignApiVersion(event: { readonly api_version: string | null }): boolean {
  return event.api_version !== null && event.api_version !== STRIPE_API_VERSION;
}

/**
 * How the bridge stands to an event's API version: `pinned`; `supported` (2022-08-01 up to the
 * pinned release, both shapes read); `older` than 2022-08-01 (processed, but fields may sit where
 * the mappers do not look); `newer` than the pinned release (processed; a later release may have
 * moved a field); `unknown` (no version, or not a dated version).
 */
export type ApiVersionSupport = 'pinned' | 'supported' | 'older' | 'newer' | 'unknown';

export function apiVersionSupport(version: string | null): ApiVersionSupport {
  if (version === null) return 'unknown';
  if (version === STRIPE_API_VERSION) return 'pinned';
  const date = /^(\d{4}-\d{2}-\d{2})(?:\.[a-z]+)?$/.exec(version)?.[1];
  if (date === undefined) return 'unknown';
  if (date < OLDEST_SUPPORTED_API_VERSION) return 'older';
  return date > STRIPE_API_VERSION.slice(0, 10) ? 'newer' : 'supported';
}
