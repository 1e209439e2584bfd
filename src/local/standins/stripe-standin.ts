/**
 * A local Stripe API for tests and the local stack: stripe-node talks to it over HTTP
 * (`createStripeClient('sk_test_fake_…', { apiUrl: standIn.url })`), so the real client code path
 * runs: form-encoded bodies, Idempotency-Key headers, Stripe's error envelope.
 *
 * Covered: customers, invoices (create, finalize, send, void, delete a draft, retrieve, list by
 * customer), invoice items (create, list by invoice or customer), prices with product_data,
 * payment links (create with `restrictions[completed_sessions][limit]`, retrieve, update `active`),
 * Checkout Sessions a payer completes through a link (`completeCheckout`; listed by payment_link,
 * payment_intent, status), and GET /v1/events/:id and /v1/charges/:id for objects a test registers. An
 * invoice's `payments` list is includable only, as in Stripe's API ("When retrieving an invoice,
 * there is an includable payments property", List all payments for an invoice,
 * docs.stripe.com/api/invoice-payment/list): GET /v1/invoices/:id shows it with `expand[]=payments`. Lists page like Stripe's
 * (`limit`, `starting_after`, newest first, `{ object: 'list', data, has_more, url }`).
 *
 * The event log and the object lists the reconciler, backfill and drift report read (see
 * stripe-standin-lists.ts): GET /v1/events with `created` ranges, `type`/`types[]` (at most 20)
 * and `starting_after`/`ending_before` cursors, 30 days back; GET lists of customers, products,
 * invoices, subscriptions, payment_intents, charges, refunds and disputes with `created` ranges and
 * `expand[]=data.…`. Restricted keys (`rk_test_…`) carry per-resource read/write permissions and
 * are refused with Stripe's 403 otherwise.
 * Idempotency as Stripe does it: the same key with the same params replays the stored answer
 * (`Idempotent-Replayed: true`); the same key with other params is a 400 `idempotency_error`;
 * `expireIdempotencyKeys()` plays Stripe's 24-hour expiry.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Stripe from 'stripe';
import { STRIPE_API_VERSION } from '../../stripe/event-schemas.js';
import { invoicePage, paymentLinkPage } from './hosted-pages.js';
import { createObjectLists, requiredPermission, type ObjectLists, type Permission } from './stripe-standin-lists.js';
import { createSubscriptionResources } from './stripe-standin-subscriptions.js';
import { createCatalogResources } from './stripe-standin-catalog.js';
import { createServiceEndpoints, type StripeServiceStandIn } from './stripe-standin-service.js';

type Json = Record<string, any>;

export interface RecordedStripeRequest {
  readonly method: string;
  readonly path: string;
  readonly idempotencyKey: string | undefined;
  readonly params: Json;
  readonly status: number;
  readonly replayed: boolean;
  /** Carried out although answered with an error (an injected `afterExecuting` failure). */
  readonly lostAnswer?: boolean;
}

export interface StripeStandInOptions {
  /** Seconds since the epoch for `created` and friends (default: the wall clock). */
  readonly now?: () => number;
  /** Lower-case currency codes accepted (default: a realistic subset incl. zero- and three-decimal ones). */
  readonly currencies?: readonly string[];
}

export interface StripeStandIn {
  readonly url: string;
  readonly requests: RecordedStripeRequest[];
  /** Requests that created something (POST, not replayed, 2xx). */
  readonly creations: (path?: string) => RecordedStripeRequest[];
  customers(): Json[];
  invoices(): Json[];
  invoiceItems(): Json[];
  prices(): Json[];
  paymentLinks(): Json[];
  /** Adds an object as if created earlier (e.g. an existing customer). */
  seedCustomer(fields: Json): Json;
  /** Adds an invoice as if created earlier; `payments` (a list) is shown only when expanded. */
  seedInvoice(fields: Json): Json;
  /**
   * Answers the next `count` requests (those whose path matches `path`, when given) with this status
   * and error. Like a rate limit, the failure is not stored for idempotency. With `afterExecuting`
   * the request is carried out first (and its answer stored for its key): only the answer is lost.
   */
  failNextRequests(
    count: number,
    status: number,
    error?: { type?: string; code?: string; message?: string; path?: RegExp; idempotencyKey?: RegExp; afterExecuting?: boolean },
  ): void;
  /** Forgets every failure injected with failNextRequests that has not happened yet (an outage ends). */
  clearFailures(): void;
  /** Forgets every stored idempotency key, as Stripe does 24 hours after a key's first use. */
  expireIdempotencyKeys(): void;
  /** Makes GET /v1/events/:id answer with this event and adds it to the event log (GET /v1/events). */
  registerEvent(event: Stripe.Event): void;
  /** Objects the list endpoints serve (seeded by tests) and the event log. */
  readonly lists: ObjectLists;
  /**
   * A restricted key (`rk_test_…`) with these permissions, e.g. `{ event: 'read' }`: a request
   * needing another one is refused with 403 as Stripe does (write implies read).
   */
  restrictedKey(permissions: Readonly<Record<string, Permission>>): string;
  /** Makes GET /v1/charges/:id answer with this charge (the consumer expands disputed charges). */
  registerCharge(charge: Stripe.Charge): void;
  /** Marks an open invoice paid and returns the `invoice.paid` event Stripe would send (registered). */
  payInvoice(invoiceId: string): Stripe.Event;
  /**
   * A payer completes Checkout through a payment link: a complete, paid Checkout Session and its
   * succeeded PaymentIntent (metadata copied from the link, as Stripe does), and the events
   * Stripe would send. Refused like Stripe refuses it: an inactive link, or one whose
   * `restrictions.completed_sessions.limit` is met.
   */
  completeCheckout(paymentLinkId: string): { readonly session: Json; readonly paymentIntent: Json; readonly sessionCompleted: Stripe.Event; readonly paymentIntentSucceeded: Stripe.Event };
  checkoutSessions(): Json[];
  /**
   * A payer pays an open Checkout Session the bridge created (`checkout` command): the session
   * becomes complete and paid, its PaymentIntent succeeded with `payment_intent_data.metadata`
   * (Stripe copies it: https://docs.stripe.com/api/checkout/sessions/create), and the events
   * Stripe would send, registered. Refused like Stripe: only an open session can be paid.
   */
  payCheckoutSession(sessionId: string): { readonly session: Json; readonly sessionCompleted: Stripe.Event; readonly paymentIntentSucceeded: Stripe.Event };
  /** Adds a Checkout Session as if a payer had completed it earlier (e.g. through a payment link). */
  seedCheckoutSession(fields: Json): Json;
  coupons(): Json[];
  /** Refunds, paid PaymentIntents and the other service objects (stripe-standin-service.ts). */
  readonly service: StripeServiceStandIn;
  close(): Promise<void>;
}

const DEFAULT_CURRENCIES = ['usd', 'eur', 'gbp', 'cad', 'aud', 'chf', 'jpy', 'krw', 'kwd', 'bhd', 'jod', 'omr', 'tnd', 'sek', 'nok', 'dkk'];

class StripeFailure extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly code?: string,
    readonly param?: string,
    /** Refused while checking the parameters, before the endpoint ran (no idempotent result is saved). */
    readonly validation = false,
  ) {
    super(message);
  }
}

/**
 * A parameter Stripe refuses before running the endpoint: "If incoming parameters failed
 * validation […] no idempotent result is saved because no API endpoint began execution"
 * (https://docs.stripe.com/api/idempotent_requests).
 */
const invalidParameter = (message: string, param: string, code?: string): never => {
  throw new StripeFailure(400, 'invalid_request_error', message, code, param, true);
};

const invalid = (message: string, param?: string, code?: string): never => {
  throw new StripeFailure(400, 'invalid_request_error', message, code, param);
};

/** `a[b][0][c]=v` → { a: { b: [ { c: 'v' } ] } }, as Stripe reads form bodies. */
export function parseStripeForm(body: string): Json {
  const out: Json = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const segments = rawKey.replace(/\]/g, '').split('[');
    let target: any = out;
    segments.forEach((segment, i) => {
      const last = i === segments.length - 1;
      if (last) {
        target[segment] = value;
        return;
      }
      const nextIsIndex = /^\d+$/.test(segments[i + 1] as string);
      target[segment] ??= nextIsIndex ? [] : {};
      target = target[segment];
    });
  }
  return out;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Json)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const id = (prefix: string): string => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;

function integer(value: unknown, param: string): number {
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) invalidParameter(`Invalid integer: ${String(value)}`, param, 'parameter_invalid_integer');
  return Number(value);
}

export async function startStripeStandIn(options: StripeStandInOptions = {}): Promise<StripeStandIn> {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const currencies = new Set(options.currencies ?? DEFAULT_CURRENCIES);
  const customers = new Map<string, Json>();
  const invoices = new Map<string, Json>();
  const invoiceItems = new Map<string, Json>();
  const prices = new Map<string, Json>();
  const paymentLinks = new Map<string, Json>();
  const events = new Map<string, Stripe.Event>();
  const charges = new Map<string, Stripe.Charge>();
  const checkoutSessions = new Map<string, Json>();
  const coupons = new Map<string, Json>();
  const restrictedKeys = new Map<string, Readonly<Record<string, Permission>>>();
  const idempotency = new Map<string, { method: string; path: string; fingerprint: string; status: number; body: Json }>();
  const injected: Array<{
    status: number;
    type: string;
    code: string | undefined;
    message: string;
    path: RegExp | undefined;
    idempotencyKey: RegExp | undefined;
    afterExecuting: boolean;
  }> = [];
  const requests: RecordedStripeRequest[] = [];
  let invoiceCounter = 0;
  /** Bound once the object lists exist (the subscription resources keep products and subscriptions there). */
  let subscriptionResources: () => ReturnType<typeof createSubscriptionResources> = () => {
    throw new Error('stand-in not started');
  };
  let url = '';

  const metadataOf = (params: Json): Record<string, string> => (params.metadata && typeof params.metadata === 'object' ? { ...params.metadata } : {});

  const currencyOf = (params: Json, param = 'currency'): string => {
    const currency = params[param];
    if (typeof currency !== 'string' || currency === '') invalidParameter('Missing required param: currency.', param, 'parameter_missing');
    const code = (currency as string).toLowerCase();
    if (!currencies.has(code)) invalidParameter(`Invalid currency: ${code}. Stripe currently supports these currencies: ${[...currencies].join(', ')}`, param);
    return code;
  };

  const requireFound = <T>(map: Map<string, T>, key: string, kind: string): T => {
    const found = map.get(key);
    if (found === undefined) throw new StripeFailure(404, 'invalid_request_error', `No such ${kind}: '${key}'`, 'resource_missing', 'id');
    return found as T;
  };

  /** The amount a coupon takes off a subtotal: `amount_off` (capped at the subtotal) or `percent_off`. */
  const discountOf = (couponIds: readonly string[], subtotal: number): number =>
    couponIds.reduce((sum, couponId) => {
      const coupon = coupons.get(couponId);
      if (coupon === undefined) return sum;
      const off = coupon.amount_off !== null ? (coupon.amount_off as number) : Math.round((subtotal * (coupon.percent_off as number)) / 100);
      return Math.min(subtotal, sum + off);
    }, 0);

  /** `discounts[n][coupon]` as Stripe takes it on invoices and Checkout Sessions; an unknown coupon is refused. */
  const discountsOf = (params: Json): string[] =>
    (Array.isArray(params.discounts) ? (params.discounts as Json[]) : []).map((d, i) => {
      const coupon = d?.coupon;
      if (typeof coupon !== 'string' || !coupons.has(coupon)) {
        throw new StripeFailure(400, 'invalid_request_error', `No such coupon: '${String(coupon)}'`, 'resource_missing', `discounts[${i}][coupon]`);
      }
      return coupon;
    });

  const refreshTotals = (invoice: Json): void => {
    const subtotal = (invoice.lines.data as Json[]).reduce((sum, line) => sum + (line.amount as number), 0);
    const total = subtotal - discountOf((invoice.discounts as string[] | undefined) ?? [], subtotal);
    invoice.subtotal = subtotal;
    invoice.total = total;
    invoice.amount_due = total;
    invoice.amount_remaining = total - (invoice.amount_paid as number);
  };

  /**
   * POST /v1/coupons: `amount_off` needs `currency`; exactly one of `amount_off` / `percent_off`
   * (API reference, "Create a coupon": https://docs.stripe.com/api/coupons/create).
   */
  const createCoupon = (params: Json): Json => {
    const hasAmount = params.amount_off !== undefined;
    if (hasAmount === (params.percent_off !== undefined)) invalid('You must pass exactly one of amount_off or percent_off.', 'amount_off');
    const coupon: Json = {
      id: randomBytes(6).toString('base64url'),
      object: 'coupon',
      amount_off: hasAmount ? integer(params.amount_off, 'amount_off') : null,
      percent_off: hasAmount ? null : Number(params.percent_off),
      currency: hasAmount ? currencyOf(params) : null,
      duration: params.duration ?? 'once',
      name: params.name ?? null,
      metadata: metadataOf(params),
      created: now(),
      livemode: false,
      valid: true,
    };
    coupons.set(coupon.id, coupon);
    return coupon;
  };

  /**
   * POST /v1/checkout/sessions (payment or subscription mode; `line_items[]` with a `price` id or
   * a `price_data` naming its `product` or creating one with `product_data`). In payment mode
   * every price must be one-time ("You specified `payment` mode but passed a recurring price",
   * https://docs.stripe.com/payments/checkout/how-checkout-works). `expires_at` must be
   * 30 minutes to 24 hours from creation (API reference, "Create a Checkout Session",
   * expires_at: https://docs.stripe.com/api/checkout/sessions/create). Hosted Checkout URLs are
   * long (a fragment follows the session id), longer than a 255-character URL field.
   */
  const createCheckoutSession = (params: Json): Json => {
    if (params.mode !== 'payment' && params.mode !== 'subscription') invalid('The stand-in creates payment- and subscription-mode Checkout Sessions only.', 'mode');
    const lineItems = Array.isArray(params.line_items) ? (params.line_items as Json[]) : [];
    if (lineItems.length === 0) invalid('Missing required param: line_items.', 'line_items', 'parameter_missing');
    const subscriptionMode = params.mode === 'subscription' ? subscriptionResources().subscriptionSession(params, lineItems) : undefined;
    let currency: string | undefined = subscriptionMode?.currency;
    // The session's line items as Stripe lists them (GET /v1/checkout/sessions/:id/line_items): the price and what it comes to.
    const lineOf = (price: Json, quantity: number, item: Json) => {
      const amount = (price.unit_amount as number) * quantity;
      const description = price.product_name ?? lists.get('products', String(price.product))?.name ?? null;
      return { object: 'item', description, quantity, currency: price.currency as string, amount_subtotal: amount, amount_total: amount, metadata: metadataOf(item), price };
    };
    const sessionLines =
      subscriptionMode?.lines.map((line) => lineOf(line.price, line.quantity, line.item)) ??
      lineItems.map((item, i) => {
        const price = catalog().linePrice(item, `line_items[${i}]`, currency, true);
        if (price.recurring !== null) invalid('You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.', `line_items[${i}]`);
        currency ??= price.currency as string;
        return lineOf(price, integer(item.quantity ?? 1, `line_items[${i}][quantity]`), item);
      });
    const subtotal = subscriptionMode?.amount ?? sessionLines.reduce((sum, line) => sum + line.amount_subtotal, 0);
    const created = now();
    const expiresAt = params.expires_at === undefined ? created + 24 * 3600 : integer(params.expires_at, 'expires_at');
    if (expiresAt < created + 30 * 60 || expiresAt > created + 24 * 3600) {
      invalid('The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.', 'expires_at');
    }
    if (params.customer !== undefined) requireFound(customers, params.customer as string, 'customer');
    // success_url and cancel_url are optional for a hosted page; when given, absolute URLs
    // (SessionCreateParams, stripe-node: "The URL to which Stripe should send customers when
    // payment or setup is complete"; cancel_url: "If set, Checkout displays a back button").
    for (const name of ['success_url', 'cancel_url'] as const) {
      if (params[name] !== undefined && !/^https?:\/\/\S+$/.test(String(params[name]))) invalid('Not a valid URL', name, 'url_invalid');
    }
    const discounts = discountsOf(params);
    const sessionId = id('cs_test');
    const session: Json = {
      id: sessionId,
      object: 'checkout.session',
      mode: params.mode,
      created,
      expires_at: expiresAt,
      success_url: params.success_url ?? null,
      cancel_url: params.cancel_url ?? null,
      livemode: false,
      status: 'open',
      payment_status: 'unpaid',
      payment_link: null,
      payment_intent: null,
      amount_subtotal: subtotal,
      amount_total: subtotal - discountOf(discounts, subtotal),
      currency,
      customer: params.customer ?? null,
      discounts: discounts.map((coupon) => ({ coupon })),
      invoice: null,
      subscription: null,
      metadata: metadataOf(params),
      payment_intent_data: params.payment_intent_data === undefined ? null : { metadata: metadataOf(params.payment_intent_data) },
      subscription_data: subscriptionMode?.subscriptionData ?? null,
      line_items: sessionLines,
      url: `${url}/c/pay/${sessionId}#${randomBytes(180).toString('base64url')}`,
    };
    checkoutSessions.set(sessionId, session);
    return session;
  };

  /** POST /v1/checkout/sessions/:id/expire: only an open session can be expired. */
  const expireCheckoutSession = (session: Json): Json => {
    if (session.status !== 'open') invalid('Only Checkout Sessions with a status in [open] can be expired.', 'session');
    session.status = 'expired';
    return session;
  };

  const createCustomer = (params: Json): Json => {
    const customer: Json = {
      id: id('cus'),
      object: 'customer',
      created: now(),
      livemode: false,
      name: params.name ?? null,
      email: params.email ?? null,
      address: params.address ?? null,
      metadata: metadataOf(params),
      invoice_prefix: randomBytes(4).toString('hex').toUpperCase(),
    };
    customers.set(customer.id, customer);
    return customer;
  };

  const createInvoice = (params: Json): Json => {
    if (typeof params.customer !== 'string') invalid('Missing required param: customer.', 'customer', 'parameter_missing');
    const customer = requireFound(customers, params.customer, 'customer');
    const collection = params.collection_method ?? 'charge_automatically';
    const days = params.days_until_due === undefined ? null : integer(params.days_until_due, 'days_until_due');
    if (collection === 'send_invoice' && days === null && params.due_date === undefined) {
      invalid('Invoices with collection_method=send_invoice need days_until_due or due_date.', 'days_until_due');
    }
    const invoice: Json = {
      id: id('in'),
      object: 'invoice',
      created: now(),
      livemode: false,
      customer: customer.id,
      customer_email: customer.email,
      currency: params.currency === undefined ? 'usd' : currencyOf(params),
      collection_method: collection,
      days_until_due: days,
      due_date: null,
      auto_advance: params.auto_advance === 'true',
      status: 'draft',
      number: null,
      hosted_invoice_url: null,
      invoice_pdf: null,
      amount_due: 0,
      amount_paid: 0,
      amount_remaining: 0,
      subtotal: 0,
      total: 0,
      metadata: metadataOf(params),
      discounts: discountsOf(params),
      parent: null,
      lines: { object: 'list', data: [], has_more: false, url: '' },
      status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    };
    invoice.lines.url = `/v1/invoices/${invoice.id}/lines`;
    invoices.set(invoice.id, invoice);
    return invoice;
  };

  const createInvoiceItem = (params: Json): Json => {
    if (typeof params.customer !== 'string') invalid('Missing required param: customer.', 'customer', 'parameter_missing');
    requireFound(customers, params.customer, 'customer');
    const invoice = typeof params.invoice === 'string' ? requireFound(invoices, params.invoice, 'invoice') : undefined;
    if (invoice !== undefined && invoice.status !== 'draft') invalid(`You can only add invoice items to draft invoices; ${invoice.id} is ${invoice.status}.`, 'invoice');
    if (invoice !== undefined && invoice.customer !== params.customer) invalid('The invoice belongs to another customer.', 'invoice');
    const currency = currencyOf(params);
    if (invoice !== undefined && invoice.currency !== currency) invalid(`The invoice is in ${invoice.currency}, not ${currency}.`, 'currency');
    const quantity = params.quantity === undefined ? 1 : integer(params.quantity, 'quantity');
    // Since 2025-03-31.basil an item's price is `pricing[price]`, no longer `price`
    // (https://docs.stripe.com/changelog/basil/2025-03-31/invoice-pricing-configurations).
    if (params.price !== undefined) invalid('Received unknown parameter: price', 'price', 'parameter_unknown');
    let amount: number;
    let unit: string | null = null;
    let price: Json | undefined;
    if (params.pricing?.price !== undefined || params.price_data !== undefined) {
      // One-time prices only: a recurring price is billed by a subscription, not an invoice item.
      price = catalog().linePrice(params.pricing?.price === undefined ? { price_data: params.price_data } : { price: params.pricing.price }, params.pricing?.price === undefined ? '' : 'pricing', currency, false);
      if (price.recurring !== null) invalid('The price specified is set to `type=recurring` but this field only accepts prices with `type=one_time`.', params.pricing?.price === undefined ? 'price_data' : 'pricing[price]');
      unit = String(price.unit_amount);
      amount = (price.unit_amount as number) * quantity;
    } else if (params.unit_amount_decimal !== undefined) {
      unit = String(params.unit_amount_decimal);
      if (!/^-?\d+(\.\d+)?$/.test(unit)) invalid(`Invalid decimal: ${unit}`, 'unit_amount_decimal', 'parameter_invalid_string');
      amount = Math.round(Number(unit) * quantity);
    } else if (params.amount !== undefined) {
      amount = integer(params.amount, 'amount');
    } else {
      return invalid('Provide amount, unit_amount_decimal, price_data or pricing.', 'amount', 'parameter_missing');
    }
    const pricing = { type: 'price_details', price_details: price === undefined ? null : { price: price.id, product: price.product }, unit_amount_decimal: unit };
    const item: Json = {
      id: id('ii'),
      object: 'invoiceitem',
      amount,
      currency,
      customer: params.customer,
      date: now(),
      description: params.description ?? null,
      invoice: invoice?.id ?? null,
      livemode: false,
      metadata: metadataOf(params),
      quantity,
      quantity_decimal: String(quantity),
      pricing,
    };
    invoiceItems.set(item.id, item);
    if (invoice !== undefined) {
      invoice.lines.data.push({
        id: id('il'),
        object: 'line_item',
        amount,
        currency,
        description: item.description,
        invoice: invoice.id,
        quantity,
        metadata: item.metadata,
        pricing,
        parent: { type: 'invoice_item_details', invoice_item_details: { invoice_item: item.id } },
      });
      refreshTotals(invoice);
    }
    return item;
  };

  const finalizeInvoice = (invoice: Json, params: Json): Json => {
    if (invoice.status !== 'draft') invalid(`This invoice is already finalized, you can't re-finalize a non-draft invoice.`, undefined, 'invoice_not_editable');
    const at = now();
    invoiceCounter += 1;
    const customer = customers.get(invoice.customer);
    invoice.status = (invoice.amount_due as number) === 0 ? 'paid' : 'open';
    invoice.number = `${customer?.invoice_prefix ?? 'STANDIN'}-${String(invoiceCounter).padStart(4, '0')}`;
    invoice.hosted_invoice_url = `${url}/i/${invoice.id}`;
    invoice.invoice_pdf = `${url}/i/${invoice.id}/pdf`;
    invoice.status_transitions.finalized_at = at;
    if (invoice.days_until_due !== null) invoice.due_date = at + (invoice.days_until_due as number) * 86_400;
    if (params.auto_advance !== undefined) invoice.auto_advance = params.auto_advance === 'true';
    return invoice;
  };

  const sendInvoice = (invoice: Json): Json => {
    if (invoice.status === 'draft') invalid('You can only manually send an invoice if it is finalized.', undefined, 'invoice_not_editable');
    if (invoice.collection_method !== 'send_invoice') invalid('You can only send invoices with collection_method=send_invoice.');
    const customer = customers.get(invoice.customer);
    if (customer?.email === null || customer?.email === undefined) invalid('The customer has no email address to send the invoice to.', 'customer');
    invoice.sent_at = now();
    return invoice;
  };

  const voidInvoice = (invoice: Json): Json => {
    if (invoice.status !== 'open' && invoice.status !== 'uncollectible') invalid(`You can only void open or uncollectible invoices; ${invoice.id} is ${invoice.status}.`, undefined, 'invoice_not_editable');
    invoice.status = 'void';
    invoice.amount_remaining = 0;
    invoice.status_transitions.voided_at = now();
    // "Occurs whenever an invoice is voided" (https://docs.stripe.com/api/events/types#event_types-invoice.voided).
    eventOf('invoice.voided', invoice);
    return invoice;
  };

  /** Only drafts can be deleted; their items go back to pending, as in Stripe. */
  const deleteDraft = (invoice: Json): Json => {
    if (invoice.status !== 'draft') invalid('You can only delete draft invoices.', undefined, 'invoice_not_editable');
    invoices.delete(invoice.id);
    for (const item of invoiceItems.values()) if (item.invoice === invoice.id) item.invoice = null;
    return { id: invoice.id, object: 'invoice', deleted: true };
  };

  /** Stripe's list envelope: newest first, `limit` (default 10, at most 100) after `starting_after`. */
  const page = (listUrl: string, objects: Json[], query: URLSearchParams): Json => {
    const limit = query.get('limit') === null ? 10 : integer(query.get('limit'), 'limit');
    if (limit < 1 || limit > 100) invalid('This value must be between 1 and 100.', 'limit');
    const newestFirst = [...objects].reverse();
    const after = query.get('starting_after');
    const start = after === null ? 0 : newestFirst.findIndex((o) => o.id === after) + 1;
    if (after !== null && start === 0) invalid(`No such object: '${after}'`, 'starting_after', 'resource_missing');
    const data = newestFirst.slice(start, start + limit);
    return { object: 'list', data, has_more: start + limit < newestFirst.length, url: listUrl };
  };

  // Bound once the object lists exist (products live there).
  let catalog: () => ReturnType<typeof createCatalogResources> = () => {
    throw new Error('stand-in not started');
  };
  const createPrice = (params: Json): Json => catalog().createPrice(params);

  const createPaymentLink = (params: Json): Json => {
    const lines = params.line_items;
    if (!Array.isArray(lines) || lines.length === 0) invalid('Missing required param: line_items.', 'line_items', 'parameter_missing');
    const resolved = (lines as Json[]).map((line, i) => {
      // Payment links take price ids only; an archived price or product is refused as everywhere (linePrice).
      const price = catalog().linePrice({ price: requireFound(prices, String(line.price), 'price').id }, `line_items[${i}]`, undefined, false);
      return { price: price.id, quantity: integer(line.quantity, `line_items[${i}][quantity]`), currency: price.currency as string, amount: price.unit_amount as number };
    });
    if (new Set(resolved.map((l) => l.currency)).size > 1) invalid('All prices on a payment link must share one currency.', 'line_items');
    const link: Json = {
      id: id('plink'),
      object: 'payment_link',
      active: true,
      currency: resolved[0]?.currency,
      livemode: false,
      metadata: metadataOf(params),
      payment_intent_data: params.payment_intent_data === undefined ? null : { metadata: metadataOf(params.payment_intent_data) },
      url: `${url}/pay/${randomBytes(9).toString('base64url')}`,
      line_items: resolved,
      inactive_message: params.inactive_message ?? null,
      // https://docs.stripe.com/api/payment-link/create: restrictions.completed_sessions.limit, "the
      // maximum number of checkout sessions that can be completed"; `count` is Stripe's tally.
      restrictions:
        params.restrictions?.completed_sessions?.limit === undefined
          ? null
          : { completed_sessions: { limit: integer(params.restrictions.completed_sessions.limit, 'restrictions[completed_sessions][limit]'), count: 0 } },
    };
    paymentLinks.set(link.id, link);
    return link;
  };

  /** POST /v1/payment_links/:id: `active` (deactivate / reactivate), metadata, the inactive message. */
  const updatePaymentLink = (link: Json, params: Json): Json => {
    if (params.active !== undefined) link.active = params.active === 'true';
    if (params.metadata !== undefined) link.metadata = { ...link.metadata, ...metadataOf(params) };
    if (params.inactive_message !== undefined) link.inactive_message = params.inactive_message === '' ? null : params.inactive_message;
    return link;
  };

  const eventOf = (type: string, object: Json): Stripe.Event => {
    const event = {
      id: id('evt'),
      object: 'event',
      api_version: STRIPE_API_VERSION,
      created: now(),
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
      data: { object: structuredClone(object) },
    } as unknown as Stripe.Event;
    events.set(event.id, event);
    lists.logEvent(event);
    return structuredClone(event);
  };
  const lists = createObjectLists({
    customers,
    invoices,
    charges,
    events,
    url: () => url,
    invalid,
    notFound: (kind, key) => {
      throw new StripeFailure(404, 'invalid_request_error', `No such ${kind}: '${key}'`, 'resource_missing', 'id');
    },
    now,
  });
  const service = createServiceEndpoints({ lists, now, id, invalid, invalidParameter, notFound: (kind, key) => {
      throw new StripeFailure(404, 'invalid_request_error', `No such ${kind}: '${key}'`, 'resource_missing', 'id');
    }, eventOf, integer, currencies, url: () => url });

  const subscriptions = createSubscriptionResources({
    customers,
    invoices,
    // Subscription lines name their product: `price_data` takes no `product_data`.
    linePrice: (item, param, currency) => catalog().linePrice(item, param, currency, false),
    products: { get: (productId) => lists.get('products', productId), seed: (product) => lists.seed('products', product) },
    subscriptions: { get: (subscriptionId) => lists.get('subscriptions', subscriptionId), seed: (subscription) => lists.seed('subscriptions', subscription) },
    now,
    id,
    integer,
    invalid,
    alreadyExists: (message, param) => {
      throw new StripeFailure(400, 'invalid_request_error', message, 'resource_already_exists', param);
    },
    notFound: (kind, key) => {
      throw new StripeFailure(404, 'invalid_request_error', `No such ${kind}: '${key}'`, 'resource_missing', 'id');
    },
    currencyOf,
    metadataOf,
    discountsOf,
    createInvoice,
    refreshTotals,
    finalizeInvoice,
  });
  subscriptionResources = () => subscriptions;
  const catalogResources = createCatalogResources({
    prices,
    products: { get: (productId) => lists.get('products', productId), update: (productId, fields) => lists.update('products', productId, fields) },
    now,
    id,
    integer,
    invalid,
    notFound: (kind, key) => {
      throw new StripeFailure(404, 'invalid_request_error', `No such ${kind}: '${key}'`, 'resource_missing', 'id');
    },
    currencyOf,
    metadataOf,
    page,
  });
  catalog = () => catalogResources;

  const route = (method: string, path: string, query: URLSearchParams, params: Json): { status: number; body: Json } => {
    const parts = path.split('/').filter((p) => p !== '');
    if (parts[0] !== 'v1') throw new StripeFailure(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${path}).`);
    const [, resource, objectId, action] = parts;
    const ok = (body: Json) => ({ status: 200, body });
    // The service endpoints first: setup-mode Checkout Sessions share their path with payment mode.
    const served =
      method === 'POST'
        ? service.post(resource, objectId, action, params)
        : method === 'GET'
          ? service.get(resource, objectId, action, query)
          : // stripe-node sends a DELETE's parameters in the query string, form-encoded.
            method === 'DELETE'
            ? service.delete(resource, objectId, action, parseStripeForm(query.toString()))
            : undefined;
    if (served !== undefined) return ok(served);
    const metered = catalogResources.meterRoute(method, parts, query, params);
    if (metered !== undefined) return ok(metered);
    if (method === 'POST') {
      if (resource === 'customers' && objectId === undefined) return ok(createCustomer(params));
      if (resource === 'products' && objectId === undefined) return ok(subscriptions.createProduct(params));
      if (resource === 'products' && objectId !== undefined && action === undefined) return ok(catalogResources.updateProduct(objectId, params));
      if (resource === 'prices' && objectId !== undefined && action === undefined) return ok(catalogResources.updatePrice(objectId, params));
      if (resource === 'subscriptions' && objectId === undefined) return ok(subscriptions.createSubscription(params));
      if (resource === 'invoices' && objectId === undefined) return ok(createInvoice(params));
      if (resource === 'invoices' && action === 'finalize') return ok(finalizeInvoice(requireFound(invoices, objectId as string, 'invoice'), params));
      if (resource === 'invoices' && action === 'send') return ok(sendInvoice(requireFound(invoices, objectId as string, 'invoice')));
      if (resource === 'invoices' && action === 'void') return ok(voidInvoice(requireFound(invoices, objectId as string, 'invoice')));
      if (resource === 'invoiceitems' && objectId === undefined) return ok(createInvoiceItem(params));
      if (resource === 'prices' && objectId === undefined) return ok(createPrice(params));
      if (resource === 'payment_links' && objectId === undefined) return ok(createPaymentLink(params));
      if (resource === 'coupons' && objectId === undefined) return ok(createCoupon(params));
      if (resource === 'checkout' && objectId === 'sessions' && action === undefined) return ok(createCheckoutSession(params));
      if (resource === 'checkout' && objectId === 'sessions' && action !== undefined && parts[4] === 'expire') {
        return ok(expireCheckoutSession(requireFound(checkoutSessions, action, 'checkout session')));
      }
      if (resource === 'payment_links' && objectId !== undefined && action === undefined) return ok(updatePaymentLink(requireFound(paymentLinks, objectId, 'payment link'), params));
    }
    if (method === 'GET') {
      if (resource === 'products' && objectId !== undefined && action === undefined) return ok(subscriptions.retrieveProduct(objectId));
      if (resource === 'prices' && objectId !== undefined && action === undefined) return ok(catalogResources.retrievePrice(objectId));
      if (resource === 'subscriptions' && objectId !== undefined && action === undefined) return ok(subscriptions.retrieveSubscription(objectId));
      const listed = lists.route(resource as string, objectId, action, parseStripeForm(query.toString()), now());
      if (listed !== undefined) return ok(listed);
      if (resource === 'customers' && objectId !== undefined) return ok(requireFound(customers, objectId, 'customer'));
      if (resource === 'invoices' && objectId !== undefined && action === undefined) {
        const { payments, ...invoice } = requireFound(invoices, objectId, 'invoice');
        const expand = [...query.entries()].filter(([name]) => name === 'expand' || name.startsWith('expand[')).map(([, value]) => value);
        return ok(expand.includes('payments') ? { ...invoice, payments: payments ?? { object: 'list', data: [], has_more: false, url: `/v1/invoice_payments?invoice=${objectId}` } } : invoice);
      }
      if (resource === 'invoiceitems' && objectId === undefined) {
        const invoice = query.get('invoice');
        const customer = query.get('customer');
        return ok(page('/v1/invoiceitems', [...invoiceItems.values()].filter((i) => (invoice === null || i.invoice === invoice) && (customer === null || i.customer === customer)), query));
      }
      if (resource === 'payment_links' && objectId !== undefined && action === undefined) return ok(requireFound(paymentLinks, objectId, 'payment link'));
      if (resource === 'payment_links' && objectId === undefined) {
        const active = query.get('active');
        return ok(page('/v1/payment_links', [...paymentLinks.values()].filter((l) => active === null || String(l.active) === active), query));
      }
      if (resource === 'payment_links' && objectId !== undefined && action === 'line_items') {
        // GET /v1/payment_links/:id/line_items: Checkout line items (amount_total = unit × quantity).
        const link = requireFound(paymentLinks, objectId, 'payment link');
        const items = (link.line_items as Array<{ price: string; quantity: number; currency: string; amount: number }>).map((l, i) => ({
          id: `li_${link.id}_${i}`,
          object: 'item',
          amount_subtotal: l.amount * l.quantity,
          amount_total: l.amount * l.quantity,
          currency: l.currency,
          quantity: l.quantity,
          price: prices.get(l.price) ?? { id: l.price },
        }));
        return ok(page(`/v1/payment_links/${link.id}/line_items`, [...items].reverse(), query));
      }
      if (resource === 'checkout' && objectId === 'sessions' && action === undefined) {
        // GET /v1/checkout/sessions filters on payment_link, payment_intent and status.
        const filters = ['payment_link', 'payment_intent', 'status'].map((name) => [name, query.get(name)] as const);
        return ok(page('/v1/checkout/sessions', [...checkoutSessions.values()].filter((cs) => filters.every(([name, value]) => value === null || cs[name] === value)), query));
      }
      if (resource === 'checkout' && objectId === 'sessions' && action !== undefined && parts[4] === undefined) {
        // GET /v1/checkout/sessions/:id (https://docs.stripe.com/api/checkout/sessions/retrieve).
        return ok(requireFound(checkoutSessions, action, 'checkout session'));
      }
      if (resource === 'charges' && objectId !== undefined) {
        const charge = charges.get(objectId);
        if (charge === undefined) throw new StripeFailure(404, 'invalid_request_error', `No such charge: '${objectId}'`, 'resource_missing', 'id');
        return ok(charge as unknown as Json);
      }
      if (resource === 'events' && objectId !== undefined) {
        const event = events.get(objectId);
        if (event === undefined) throw new StripeFailure(404, 'invalid_request_error', `No such event: '${objectId}'`, 'resource_missing', 'id');
        return ok(event as unknown as Json);
      }
    }
    if (method === 'DELETE' && resource === 'invoices' && objectId !== undefined && action === undefined) {
      return ok(deleteDraft(requireFound(invoices, objectId, 'invoice')));
    }
    throw new StripeFailure(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${path}).`);
  };

  const send = (res: ServerResponse, status: number, body: Json, headers: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    res
      .writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        'request-id': id('req'),
        'stripe-version': STRIPE_API_VERSION,
        ...headers,
      })
      .end(text);
  };

  const errorBody = (failure: { type: string; message: string; code?: string | undefined; param?: string | undefined }): Json => ({
    error: { type: failure.type, message: failure.message, ...(failure.code ? { code: failure.code } : {}), ...(failure.param ? { param: failure.param } : {}) },
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const method = (req.method ?? 'GET').toUpperCase();
    const target = new URL(req.url ?? '/', url);
    const path = target.pathname;
    const keyHeader = req.headers['idempotency-key'];
    const idempotencyKey = typeof keyHeader === 'string' && keyHeader !== '' ? keyHeader : undefined;
    const params = method === 'POST' ? parseStripeForm(raw) : Object.fromEntries(target.searchParams);
    const record = (status: number, replayed = false, lostAnswer = false): void => {
      requests.push({ method, path, idempotencyKey, params, status, replayed, ...(lostAnswer ? { lostAnswer } : {}) });
    };

    // The hosted pages the API hands out (hosted_invoice_url, a payment link's url) need no key.
    if (method === 'GET' && /^\/(i|pay)\//.test(path)) {
      const [, kind, key] = path.split('/');
      const invoice = kind === 'i' ? invoices.get(key ?? '') : undefined;
      const link = kind === 'pay' ? [...paymentLinks.values()].find((l) => l.url === `${url}${path}`) : undefined;
      const html = invoice !== undefined ? invoicePage(invoice) : link !== undefined ? paymentLinkPage(link) : undefined;
      res.writeHead(html === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' }).end(html ?? '<!doctype html><p>No such page.</p>');
      return;
    }
    const auth = req.headers.authorization ?? '';
    const restricted = /^Bearer (rk_test_\S+)$/.exec(auth)?.[1];
    if (!/^Bearer sk_test_\S+$/.test(auth) && (restricted === undefined || !restrictedKeys.has(restricted))) {
      record(401);
      send(res, 401, errorBody({ type: 'invalid_request_error', message: 'Invalid API Key provided.' }));
      return;
    }
    if (restricted !== undefined) {
      // Restricted keys: GET needs read, POST/DELETE write; write implies read (docs.stripe.com/keys).
      const needed = requiredPermission(method, path);
      const granted = restrictedKeys.get(restricted) ?? {};
      const level = needed === undefined ? undefined : granted[needed.resource];
      if (needed !== undefined && level !== 'write' && !(needed.access === 'read' && level === 'read')) {
        record(403);
        send(
          res,
          403,
          errorBody({
            type: 'invalid_request_error',
            message: `The provided key '${restricted.slice(0, 8)}***' does not have the required permissions for this endpoint on account 'acct_standin'. Having the 'rak_${needed.resource}_${needed.access}' permission would allow this request to continue.`,
          }),
        );
        return;
      }
    }
    const failureAt = injected.findIndex(
      (f) => (f.path === undefined || f.path.test(path)) && (f.idempotencyKey === undefined || (idempotencyKey !== undefined && f.idempotencyKey.test(idempotencyKey))),
    );
    const failure = failureAt < 0 ? undefined : injected.splice(failureAt, 1)[0];
    if (failure !== undefined && !failure.afterExecuting) {
      record(failure.status);
      send(res, failure.status, errorBody(failure));
      return;
    }
    if (failure !== undefined) {
      // Stripe acted (and stored the answer for the key), but the caller never hears it: a
      // connection cut or a process that died right after the request.
      const acted = run(method, path, target.searchParams, params);
      if (idempotencyKey !== undefined && method === 'POST' && !acted.validation) {
        idempotency.set(idempotencyKey, { method, path, fingerprint: canonical(params), status: acted.status, body: structuredClone(acted.body) });
      }
      record(failure.status, false, acted.status < 300);
      send(res, failure.status, errorBody(failure));
      return;
    }
    if (idempotencyKey !== undefined && method === 'POST') {
      if (idempotencyKey.length > 255) {
        record(400);
        send(res, 400, errorBody({ type: 'invalid_request_error', message: 'Idempotency keys must be at most 255 characters.' }));
        return;
      }
      const stored = idempotency.get(idempotencyKey);
      const fingerprint = canonical(params);
      if (stored !== undefined) {
        if (stored.method !== method || stored.path !== path || stored.fingerprint !== fingerprint) {
          record(400);
          send(
            res,
            400,
            errorBody({
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
            }),
          );
          return;
        }
        record(stored.status, true);
        send(res, stored.status, stored.body, { 'idempotent-replayed': 'true', 'original-request': id('req') });
        return;
      }
      const { status, body, validation } = run(method, path, target.searchParams, params);
      // Stripe stores the result once the endpoint started executing, errors included.
      if (!validation) idempotency.set(idempotencyKey, { method, path, fingerprint, status, body: structuredClone(body) });
      record(status);
      send(res, status, body);
      return;
    }
    const { status, body } = run(method, path, target.searchParams, params);
    record(status);
    send(res, status, body);
  };

  const run = (method: string, path: string, query: URLSearchParams, params: Json): { status: number; body: Json; validation: boolean } => {
    try {
      const { status, body } = route(method, path, query, params);
      return { status, body: structuredClone(body), validation: false };
    } catch (err) {
      if (err instanceof StripeFailure) return { status: err.status, body: errorBody(err), validation: err.validation };
      throw err;
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, errorBody({ type: 'api_error', message: err instanceof Error ? err.message : String(err) }));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const list = (map: Map<string, Json>) => () => [...map.values()].map((v) => structuredClone(v));
  return {
    get url() {
      return url;
    },
    requests,
    creations: (path) => requests.filter((r) => r.method === 'POST' && !r.replayed && r.status < 300 && (path === undefined || r.path === path)),
    customers: list(customers),
    invoices: list(invoices),
    invoiceItems: list(invoiceItems),
    prices: list(prices),
    paymentLinks: list(paymentLinks),
    seedCustomer(fields) {
      const customer = createCustomer({});
      Object.assign(customer, fields);
      customers.delete(customer.id);
      customers.set(customer.id as string, customer);
      return structuredClone(customer);
    },
    seedInvoice(fields) {
      const invoice: Json = { id: id('in'), object: 'invoice', created: now(), livemode: false, status: 'draft', metadata: {}, parent: null, ...fields };
      invoices.set(invoice.id as string, invoice);
      return structuredClone(invoice);
    },
    failNextRequests(count, status, error = {}) {
      const type = error.type ?? (status === 429 ? 'rate_limit_error' : status >= 500 ? 'api_error' : 'invalid_request_error');
      for (let i = 0; i < count; i++) {
        injected.push({
          status,
          type,
          code: error.code ?? (status === 429 ? 'rate_limit' : undefined),
          message: error.message ?? `Injected HTTP ${status}`,
          path: error.path,
          idempotencyKey: error.idempotencyKey,
          afterExecuting: error.afterExecuting === true,
        });
      }
    },
    clearFailures() {
      injected.length = 0;
    },
    expireIdempotencyKeys() {
      idempotency.clear();
    },
    registerEvent(event) {
      events.set(event.id, structuredClone(event));
      lists.logEvent(event);
    },
    lists,
    restrictedKey(permissions) {
      const key = `rk_test_${randomBytes(12).toString('hex')}`;
      restrictedKeys.set(key, { ...permissions });
      return key;
    },
    registerCharge(charge) {
      charges.set(charge.id, structuredClone(charge));
    },
    checkoutSessions: list(checkoutSessions),
    seedCheckoutSession(fields) {
      const session: Json = { id: id('cs_test'), object: 'checkout.session', created: now(), livemode: false, status: 'complete', payment_status: 'paid', payment_link: null, payment_intent: null, metadata: {}, ...fields };
      checkoutSessions.set(session.id as string, session);
      return structuredClone(session);
    },
    coupons: list(coupons),
    service: service.standIn,
    completeCheckout(paymentLinkId) {
      const link = requireFound(paymentLinks, paymentLinkId, 'payment link');
      if (link.active !== true) throw new Error(`Payment link ${paymentLinkId} is not active`);
      const restriction = link.restrictions?.completed_sessions;
      if (restriction !== undefined && restriction.count >= restriction.limit) {
        throw new Error(`Payment link ${paymentLinkId} has met its completed_sessions restriction (${restriction.limit})`);
      }
      const amount = (link.line_items as Array<{ amount: number; quantity: number }>).reduce((sum, l) => sum + l.amount * l.quantity, 0);
      const at = now();
      const paymentIntent: Json = {
        id: id('pi'),
        object: 'payment_intent',
        amount,
        amount_received: amount,
        currency: link.currency,
        created: at,
        livemode: false,
        status: 'succeeded',
        customer: null,
        latest_charge: null,
        metadata: { ...(link.payment_intent_data?.metadata ?? {}) },
      };
      const session: Json = {
        id: id('cs_test'),
        object: 'checkout.session',
        mode: 'payment',
        created: at,
        livemode: false,
        status: 'complete',
        payment_status: 'paid',
        payment_link: link.id,
        payment_intent: paymentIntent.id,
        amount_subtotal: amount,
        amount_total: amount,
        currency: link.currency,
        customer: null,
        invoice: null,
        subscription: null,
        metadata: { ...link.metadata },
      };
      checkoutSessions.set(session.id, session);
      if (restriction !== undefined) restriction.count += 1;
      return {
        session: structuredClone(session),
        paymentIntent: structuredClone(paymentIntent),
        sessionCompleted: eventOf('checkout.session.completed', session),
        paymentIntentSucceeded: eventOf('payment_intent.succeeded', paymentIntent),
      };
    },
    payCheckoutSession(sessionId) {
      const session = requireFound(checkoutSessions, sessionId, 'checkout session');
      if (session.status !== 'open') throw new Error(`Checkout Session ${sessionId} is ${String(session.status)}, not open`);
      const paymentIntent: Json = {
        id: id('pi'),
        object: 'payment_intent',
        amount: session.amount_total,
        amount_received: session.amount_total,
        currency: session.currency,
        created: now(),
        livemode: false,
        status: 'succeeded',
        customer: session.customer,
        latest_charge: null,
        metadata: { ...(session.payment_intent_data?.metadata ?? {}) },
      };
      session.status = 'complete';
      session.payment_status = 'paid';
      session.payment_intent = paymentIntent.id;
      return {
        session: structuredClone(session),
        sessionCompleted: eventOf('checkout.session.completed', session),
        paymentIntentSucceeded: eventOf('payment_intent.succeeded', paymentIntent),
      };
    },
    payInvoice(invoiceId) {
      const invoice = requireFound(invoices, invoiceId, 'invoice');
      if (invoice.status !== 'open') throw new Error(`Invoice ${invoiceId} is ${invoice.status}, not open`);
      const at = now();
      invoice.status = 'paid';
      invoice.amount_paid = invoice.amount_due;
      invoice.amount_remaining = 0;
      invoice.status_transitions.paid_at = at;
      const event = {
        id: id('evt'),
        object: 'event',
        api_version: STRIPE_API_VERSION,
        created: at,
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        type: 'invoice.paid',
        data: { object: structuredClone(invoice) },
      } as unknown as Stripe.Event;
      events.set(event.id, event);
      lists.logEvent(event);
      return structuredClone(event);
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      });
    },
  };
}
