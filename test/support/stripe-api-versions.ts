/**
 * Renders a sample event (built at the pinned API version by src/local/sample-events.ts, typed
 * with the `stripe` package) as a webhook endpoint on an older API version receives it: the
 * fields Stripe's changelog says moved are put back where that version had them. Shapes checked
 * against Stripe's own OpenAPI fixtures and captured payloads of the versions named below.
 *
 * - before 2022-11-15: PaymentIntent `charges` list (full charges, newest first)
 *   https://docs.stripe.com/changelog/2022-11-15/removes-charges-attribute-paymentintent
 * - before 2025-03-31.basil: Invoice `subscription`, `subscription_details`, `payment_intent`,
 *   `charge`, `paid` at top level, no `parent`; Charge and PaymentIntent `invoice`; Subscription
 *   `current_period_start`/`current_period_end` on the subscription, not on its items
 *   https://docs.stripe.com/changelog/basil/2025-03-31/adds-new-parent-field-to-invoicing-objects
 *   https://docs.stripe.com/changelog/basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices
 *   https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-current-period-start-and-end
 */
import type Stripe from 'stripe';

/** A webhook payload as JSON: older shapes are not in the `stripe` package's current types. */
export type Json = Record<string, any>;

/** Versions the tests render at: the oldest supported, two common pre-basil ones, basil, pinned. */
export const OLD_VERSIONS = ['2022-08-01', '2023-10-16', '2024-06-20'] as const;

export interface RenderOptions {
  /** The invoice a PaymentIntent or charge paid (before basil they name it). */
  readonly invoice?: string | null;
  /** The PaymentIntent and charge that paid an invoice (before basil it names them). */
  readonly paymentIntent?: string | null;
  readonly charge?: string | null;
  /** Charges embedded in a PaymentIntent's `charges` list (before 2022-11-15), newest first. */
  readonly charges?: readonly Json[];
  /** Leave out `subscription_details` (added to Invoice in 2023; renderings of old events lack it). */
  readonly withoutSubscriptionDetails?: boolean;
}

const before = (version: string, date: string): boolean => version.slice(0, 10) < date;

function invoiceAt(invoice: Json, version: string, options: RenderOptions): Json {
  if (!before(version, '2025-03-31')) return invoice;
  const { parent, payments: _payments, amount_overpaid: _overpaid, ...rest } = invoice;
  const details = parent?.subscription_details ?? null;
  return {
    ...rest,
    subscription: details?.subscription ?? null,
    ...(options.withoutSubscriptionDetails === true ? {} : { subscription_details: details === null ? null : { metadata: details.metadata } }),
    quote: null,
    discount: null,
    paid: invoice['status'] === 'paid',
    paid_out_of_band: false,
    payment_intent: options.paymentIntent ?? null,
    charge: options.charge ?? null,
    total_tax_amounts: [],
  };
}

function subscriptionAt(subscription: Json, version: string): Json {
  if (!before(version, '2025-03-31')) return subscription;
  const items: Json[] = subscription['items'].data;
  const first = items[0] ?? {};
  return {
    ...subscription,
    current_period_start: first['current_period_start'],
    current_period_end: first['current_period_end'],
    discount: null,
    items: {
      ...subscription['items'],
      data: items.map(({ current_period_start: _start, current_period_end: _end, ...item }) => item),
    },
  };
}

function paymentIntentAt(pi: Json, version: string, options: RenderOptions): Json {
  let out = pi;
  if (before(version, '2025-03-31')) out = { ...out, invoice: options.invoice ?? null };
  if (before(version, '2022-11-15')) {
    const { latest_charge: _latest, ...rest } = out;
    const data = options.charges ?? [];
    out = {
      ...rest,
      charges: { object: 'list', data, has_more: false, total_count: data.length, url: `/v1/charges?payment_intent=${String(pi['id'])}` },
    };
  }
  return out;
}

function chargeAt(charge: Json, version: string, options: RenderOptions): Json {
  return before(version, '2025-03-31') ? { ...charge, invoice: options.invoice ?? null } : charge;
}

/** The JSON a webhook endpoint on `version` receives for `event`. */
export function atApiVersion(event: Stripe.Event, version: string, options: RenderOptions = {}): Json {
  const json = JSON.parse(JSON.stringify(event)) as Json;
  const object: Json = json['data'].object;
  const rendered = (() => {
    switch (object['object']) {
      case 'invoice':
        return invoiceAt(object, version, options);
      case 'subscription':
        return subscriptionAt(object, version);
      case 'payment_intent':
        return paymentIntentAt(object, version, options);
      case 'charge':
        return chargeAt(object, version, options);
      default:
        return object;
    }
  })();
  return { ...json, api_version: version, data: { ...json['data'], object: rendered } };
}

/** A charge object as JSON (for embedding), rendered at `version`. */
export function chargeJsonAt(charge: Stripe.Charge, version: string, options: RenderOptions = {}): Json {
  return chargeAt(JSON.parse(JSON.stringify(charge)) as Json, version, options);
}
