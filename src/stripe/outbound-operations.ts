/**
 * Runs a billing plan against the Stripe API with stripe-node, step by step, each POST with the
 * plan's idempotency key. Running the same plan again is safe: Stripe replays the stored answer
 * of every step that already succeeded, and continues where the earlier attempt stopped.
 * Beyond Stripe's 24-hour key window, `findOpportunityInvoices` finds what an earlier run left
 * (the planner's `resumeBilling` decides what to do with it).
 */
import Stripe from 'stripe';
import { errorReason, isPermanent, PermanentError } from '../errors.js';
import type { BillingPlan, FoundInvoice, StripeStep } from '../contracts/billing-plan.js';
import { LINE_ITEM_METADATA_KEY, METADATA_KEYS } from '../contracts/metadata.js';
import { idOf } from './api-versions.js';
import { classifyStripeError } from './client.js';
import { isInactiveCatalogRefusal } from './catalog-refusal.js';

export type BillPlan = Extract<BillingPlan, { kind: 'bill' }>;
type StepLine = Extract<StripeStep, { kind: 'create_invoice_item' }>['line'];

export interface BillingResult {
  readonly customerId: string | undefined;
  /** True when this run created the customer (or replayed its creation). */
  readonly customerCreated: boolean;
  readonly invoiceId: string | undefined;
  readonly invoiceUrl: string | undefined;
  readonly invoiceStatus: string | undefined;
  readonly paymentLinkId: string | undefined;
  readonly paymentLinkUrl: string | undefined;
  readonly checkoutSessionId?: string | undefined;
  readonly checkoutUrl?: string | undefined;
  /** Seconds since the epoch. */
  readonly checkoutExpiresAt?: number | undefined;
  readonly subscriptionId?: string | undefined;
  /** The invoice is open but Stripe would not email it (e.g. the customer has no email). */
  readonly sendFailure: string | undefined;
}

export interface ExecuteHooks {
  /** Called as soon as a customer exists, so its id reaches the Account before anything else can fail. */
  readonly onCustomerCreated?: (customerId: string) => Promise<void>;
  /**
   * Called with the invoice or payment link that bills the record the moment Stripe returns it
   * (or when the run continues one), before it is finalized, sent or handed to anyone: the
   * billing record holds it before a payment can exist.
   */
  readonly onBillingObject?: (stripeObjectId: string) => Promise<void>;
  /**
   * Called once when Stripe refuses a step because a catalogue price or product it names was
   * archived outside the bridge (catalog-refusal.ts): it reactivates them, and the step is sent
   * once more. Absent: the refusal fails the billing.
   */
  readonly onCatalogRefused?: () => Promise<void>;
}

/** What the run needs of the invoice: Stripe's answer, or the invoice an earlier run left. */
interface InvoiceState {
  readonly id: string;
  readonly hostedInvoiceUrl: string | undefined;
  readonly status: string | undefined;
}

interface Progress {
  customerId: string | undefined;
  customerCreated: boolean;
  invoice: InvoiceState | undefined;
  priceIds: Map<string, string>;
  paymentLink: Stripe.PaymentLink | undefined;
  couponId: string | undefined;
  checkoutSession: Stripe.Checkout.Session | undefined;
  subscriptionId: string | undefined;
  sendFailure: string | undefined;
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`Billing plan out of order: ${what} is missing`);
  return value;
}

function stateOf(invoice: Stripe.Invoice): InvoiceState {
  return { id: required(invoice.id, 'the invoice id'), hostedInvoiceUrl: invoice.hosted_invoice_url ?? undefined, status: invoice.status ?? undefined };
}

async function call<T>(action: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    throw classifyStripeError(err, action);
  }
}

async function runStep(stripe: Stripe, step: StripeStep, progress: Progress, hooks: ExecuteHooks): Promise<void> {
  const options = { idempotencyKey: step.idempotencyKey };
  switch (step.kind) {
    case 'create_customer': {
      const customer = await call('customers.create', () => stripe.customers.create(step.params, options));
      progress.customerId = customer.id;
      progress.customerCreated = true;
      await hooks.onCustomerCreated?.(customer.id);
      return;
    }
    case 'create_invoice': {
      const customer = required(progress.customerId, 'the customer');
      const discounts = progress.couponId === undefined ? {} : { discounts: [{ coupon: progress.couponId }] };
      progress.invoice = stateOf(await call('invoices.create', () => stripe.invoices.create({ ...step.params, ...discounts, customer }, options)));
      await hooks.onBillingObject?.(progress.invoice.id);
      return;
    }
    case 'create_invoice_item': {
      const invoice = required(progress.invoice, 'the invoice');
      const customer = required(progress.customerId, 'the customer');
      await call('invoiceItems.create', () =>
        stripe.invoiceItems.create(
          {
            customer,
            invoice: invoice.id,
            currency: step.currency,
            description: step.line.description,
            quantity: step.line.quantity,
            ...invoiceItemPrice(step.line, step.currency),
            metadata: { ...step.metadata },
          },
          options,
        ),
      );
      return;
    }
    case 'finalize_invoice': {
      const invoice = required(progress.invoice, 'the invoice');
      // auto_advance stays off: the send step emails it once; Stripe must not email it a second time.
      progress.invoice = stateOf(
        await call('invoices.finalizeInvoice', () => stripe.invoices.finalizeInvoice(invoice.id, { auto_advance: false }, options)),
      );
      return;
    }
    case 'send_invoice': {
      const invoice = required(progress.invoice, 'the invoice');
      try {
        progress.invoice = stateOf(await call('invoices.sendInvoice', () => stripe.invoices.sendInvoice(invoice.id, {}, options)));
      } catch (err) {
        // The invoice is open and payable through its URL; the rep can share it. Transient: retry.
        if (!isPermanent(err)) throw err;
        progress.sendFailure = errorReason(err, 300);
      }
      return;
    }
    case 'create_price': {
      const price = await call('prices.create', () => stripe.prices.create(step.params, options));
      progress.priceIds.set(step.lineId, price.id);
      return;
    }
    case 'create_payment_link': {
      const lineItems = step.lines.map((l) => ({ price: l.priceId ?? required(progress.priceIds.get(l.lineId), `the price of ${l.lineId}`), quantity: l.quantity }));
      progress.paymentLink = await call('paymentLinks.create', () => stripe.paymentLinks.create({ ...step.params, line_items: lineItems }, options));
      await hooks.onBillingObject?.(progress.paymentLink.id);
      return;
    }
    case 'create_coupon': {
      progress.couponId = (await call('coupons.create', () => stripe.coupons.create(step.params, options))).id;
      return;
    }
    case 'expire_checkout_session': {
      try {
        await call('checkout.sessions.expire', () => stripe.checkout.sessions.expire(step.sessionId, {}, options));
      } catch (err) {
        // Already expired or completed (Stripe refuses to expire a session that is not open), or
        // gone: either way it can no longer be paid twice. A completed one means the record is
        // paid; its webhook settles the status and the next request is refused as billed.
        if (!isPermanent(err)) throw err;
      }
      return;
    }
    case 'create_checkout_session': {
      const customer = required(progress.customerId, 'the customer');
      const discounts = progress.couponId === undefined ? {} : { discounts: [{ coupon: progress.couponId }] };
      progress.checkoutSession = await call('checkout.sessions.create', () => stripe.checkout.sessions.create({ ...step.params, ...discounts, customer }, options));
      // The session is the bill: its payment is believed only once the billing record names it.
      await hooks.onBillingObject?.(progress.checkoutSession.id);
      return;
    }
    case 'ensure_product': {
      try {
        await call('products.create', () => stripe.products.create(step.params, options));
      } catch (err) {
        // The id is ours and fixed: "already exists" means an earlier billing created it.
        if (!isPermanent(err) || !alreadyExists(err)) throw err;
      }
      return;
    }
    case 'create_subscription': {
      const customer = required(progress.customerId, 'the customer');
      const discounts = progress.couponId === undefined ? {} : { discounts: [{ coupon: progress.couponId }] };
      const subscription = await call('subscriptions.create', () =>
        stripe.subscriptions.create({ ...step.params, ...discounts, customer, expand: ['latest_invoice'] }, options),
      );
      progress.subscriptionId = subscription.id;
      const first = subscription.latest_invoice;
      if (first === null || typeof first === 'string') {
        throw new PermanentError(`Stripe created subscription ${subscription.id} without a first invoice`, { code: 'SUBSCRIPTION_INVOICE_MISSING' });
      }
      progress.invoice = stateOf(first);
      // The first invoice is the bill of the record (its payment settles it: src/billing/trust.ts).
      await hooks.onBillingObject?.(progress.invoice.id);
      await sendFirstInvoice(stripe, step, progress);
      return;
    }
    default: {
      const unknown: never = step;
      throw new Error(`Unknown billing step ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * What an invoice item bills per unit. The catalogue's Price as `pricing[price]` (since
 * 2025-03-31.basil invoice items take `pricing` instead of `price`:
 * https://docs.stripe.com/changelog/basil/2025-03-31/invoice-pricing-configurations); another
 * amount on a synced product as `price_data` (which names a `product`, no `product_data`:
 * https://docs.stripe.com/api/invoiceitems/create); a line without a product as an ad-hoc
 * `unit_amount_decimal` (no Product needed; an integer in minor units is exact, and may be negative).
 */
function invoiceItemPrice(line: StepLine, currency: string): Pick<Stripe.InvoiceItemCreateParams, 'pricing' | 'price_data' | 'unit_amount_decimal'> {
  if (line.catalog === undefined) return { unit_amount_decimal: Stripe.Decimal.from(line.unitAmount) };
  if (line.catalog.priceId !== undefined) return { pricing: { price: line.catalog.priceId } };
  return { price_data: { currency, product: line.catalog.productId, unit_amount: line.unitAmount } };
}

function alreadyExists(err: unknown): boolean {
  const cause = (err as { cause?: { code?: unknown } }).cause;
  return cause?.code === 'resource_already_exists';
}

/**
 * A send_invoice subscription's first invoice waits an hour as a draft before Stripe finalizes it
 * (https://docs.stripe.com/billing/invoices/subscription#sub-invoice-lifecycle): the bridge
 * finalizes and emails it now, so the rep gets its URL with the write-back. Only a draft is
 * finalized and only an open invoice sent (a trial's first invoice is paid at once).
 */
async function sendFirstInvoice(stripe: Stripe, step: Extract<StripeStep, { kind: 'create_subscription' }>, progress: Progress): Promise<void> {
  const invoice = required(progress.invoice, 'the first invoice');
  const { finalizeKey, sendKey } = step;
  if (finalizeKey !== undefined && invoice.status === 'draft') {
    progress.invoice = stateOf(
      await call('invoices.finalizeInvoice', () => stripe.invoices.finalizeInvoice(invoice.id, { auto_advance: true }, { idempotencyKey: finalizeKey })),
    );
  }
  if (sendKey !== undefined && progress.invoice?.status === 'open') {
    const open = progress.invoice;
    try {
      await call('invoices.sendInvoice', () => stripe.invoices.sendInvoice(open.id, {}, { idempotencyKey: sendKey }));
    } catch (err) {
      if (!isPermanent(err)) throw err;
      progress.sendFailure = errorReason(err, 300);
    }
  }
}

/** Throws TransientError (retry) or PermanentError (tell the rep) classified by Stripe's error type. */
export async function executeBillingPlan(stripe: Stripe, plan: BillPlan, hooks: ExecuteHooks = {}): Promise<BillingResult> {
  const progress: Progress = {
    customerId: plan.existingCustomerId,
    customerCreated: false,
    invoice:
      plan.resumedInvoice === undefined
        ? undefined
        : { id: plan.resumedInvoice.id, hostedInvoiceUrl: plan.resumedInvoice.hostedInvoiceUrl, status: plan.resumedInvoice.status },
    priceIds: new Map(),
    paymentLink:
      plan.resumedPaymentLink === undefined
        ? undefined
        : await call('paymentLinks.retrieve', () => stripe.paymentLinks.retrieve(plan.resumedPaymentLink as string)),
    couponId: undefined,
    checkoutSession: undefined,
    subscriptionId: undefined,
    sendFailure: undefined,
  };
  // A continued invoice reaches the billing record before it is finalized or sent.
  if (progress.invoice !== undefined) await hooks.onBillingObject?.(progress.invoice.id);
  let recovered = false;
  for (const step of plan.steps) {
    try {
      await runStep(stripe, step, progress, hooks);
    } catch (err) {
      if (recovered || hooks.onCatalogRefused === undefined || !isInactiveCatalogRefusal(err)) throw err;
      recovered = true;
      await hooks.onCatalogRefused();
      // The refused step created nothing; Stripe may have saved its refusal under the step's key
      // ("saves the status code and body … after endpoint execution begins",
      // https://docs.stripe.com/api/idempotent_requests), so it goes again under a key of its own.
      await runStep(stripe, { ...step, idempotencyKey: `${step.idempotencyKey}:reactivated` }, progress, hooks);
    }
  }
  return {
    customerId: progress.customerId,
    customerCreated: progress.customerCreated,
    invoiceId: progress.invoice?.id,
    invoiceUrl: progress.invoice?.hostedInvoiceUrl,
    invoiceStatus: progress.invoice?.status,
    paymentLinkId: progress.paymentLink?.id,
    paymentLinkUrl: progress.paymentLink?.url,
    checkoutSessionId: progress.checkoutSession?.id,
    checkoutUrl: progress.checkoutSession?.url ?? undefined,
    checkoutExpiresAt: progress.checkoutSession?.expires_at,
    subscriptionId: progress.subscriptionId ?? idOf(progress.checkoutSession?.subscription),
    sendFailure: progress.sendFailure,
  };
}

const PAGE = 100;
const INVOICE_STATUSES: ReadonlySet<string> = new Set<FoundInvoice['status']>(['draft', 'open', 'paid', 'uncollectible', 'void']);

function isKnownStatus(status: string | null): status is FoundInvoice['status'] {
  return status !== null && INVOICE_STATUSES.has(status);
}

/**
 * Every invoice of `customerId` that carries `opportunityId` in its metadata, newest first, with
 * the items of drafts. A list on the customer, not the Search API: Search is eventually
 * consistent (an invoice created a minute ago may be missing) and not offered everywhere. The
 * list costs one GET per 100 invoices of the customer, plus one per draft found.
 */
export async function findOpportunityInvoices(stripe: Stripe, customerId: string, opportunityId: string): Promise<FoundInvoice[]> {
  const invoices: Stripe.Invoice[] = [];
  await call('invoices.list', () =>
    stripe.invoices.list({ customer: customerId, limit: PAGE }).autoPagingEach((invoice) => {
      if (invoice.metadata?.[METADATA_KEYS.opportunity] === opportunityId) invoices.push(invoice);
    }),
  );
  const found: FoundInvoice[] = [];
  for (const invoice of invoices) {
    const status = invoice.status;
    // A status this code does not know (a newer API) is not one it may act on.
    if (!isKnownStatus(status) || invoice.id === undefined) continue;
    found.push({
      id: invoice.id,
      status,
      currency: invoice.currency,
      hostedInvoiceUrl: invoice.hosted_invoice_url ?? undefined,
      finalizedAt: invoice.status_transitions.finalized_at ?? undefined,
      items: status === 'draft' ? await draftItems(stripe, invoice.id) : [],
    });
  }
  return found;
}

async function draftItems(stripe: Stripe, invoiceId: string): Promise<FoundInvoice['items']> {
  const items: Array<FoundInvoice['items'][number]> = [];
  await call('invoiceItems.list', () =>
    stripe.invoiceItems.list({ invoice: invoiceId, limit: PAGE }).autoPagingEach((item) => {
      items.push({ lineId: item.metadata?.[LINE_ITEM_METADATA_KEY], quantity: item.quantity, amount: item.amount });
    }),
  );
  return items;
}

/** Where a recorded invoice, payment link or Checkout Session stands: can it still be paid, was it paid? */
export type BillingObjectState =
  | {
      readonly kind: 'invoice';
      readonly id: string;
      /** `deleted` for a draft that was deleted. */
      readonly status: FoundInvoice['status'] | 'deleted' | 'unknown';
      readonly amount: number | undefined;
      readonly currency: string | undefined;
    }
  | {
      readonly kind: 'payment_link';
      readonly id: string;
      readonly active: boolean;
      /** Checkout Sessions completed through the link. */
      readonly completedSessions: number;
    }
  | {
      /** A Checkout Session the `checkout` command issued: `open`, `complete` or `expired`. */
      readonly kind: 'checkout';
      readonly id: string;
      readonly status: string;
    };

/**
 * Reads a recorded invoice or payment link. A link's completed sessions come from its
 * `restrictions.completed_sessions.count` when it has the restriction (links the bridge creates),
 * otherwise from the Checkout Sessions listed for it (`GET /v1/checkout/sessions?payment_link=`).
 */
export async function inspectBillingObject(stripe: Stripe, id: string): Promise<BillingObjectState> {
  if (id.startsWith('cs_')) {
    const session = await call('checkout.sessions.retrieve', () => stripe.checkout.sessions.retrieve(id));
    return { kind: 'checkout', id, status: session.status ?? 'unknown' };
  }
  if (id.startsWith('plink_')) {
    const link = await call('paymentLinks.retrieve', () => stripe.paymentLinks.retrieve(id));
    const counted = link.restrictions?.completed_sessions.count;
    const completedSessions =
      counted ?? (await call('checkout.sessions.list', () => stripe.checkout.sessions.list({ payment_link: id, status: 'complete', limit: 1 }))).data.length;
    return { kind: 'payment_link', id, active: link.active, completedSessions };
  }
  try {
    const invoice = await call('invoices.retrieve', () => stripe.invoices.retrieve(id));
    const status = invoice.status;
    return { kind: 'invoice', id, status: isKnownStatus(status) ? status : 'unknown', amount: invoice.total, currency: invoice.currency };
  } catch (err) {
    // A deleted draft is gone: nothing of it can be paid.
    if (err instanceof PermanentError && err.details['stripeCode'] === 'resource_missing') {
      return { kind: 'invoice', id, status: 'deleted', amount: undefined, currency: undefined };
    }
    throw err;
  }
}

/** A payment link of the Opportunity found in Stripe, with what it charges. */
export interface FoundPaymentLink {
  readonly id: string;
  readonly url: string;
  readonly currency: string;
  /** Minor units: the sum of its line items. */
  readonly total: number;
}

/** Pages of active payment links looked through (newest first) for one left by an interrupted run. */
export const PAYMENT_LINK_LOOKUP_PAGES = 5;

/**
 * The active payment links carrying this Opportunity's id, newest first. Stripe cannot filter
 * links by metadata, so this pages through the account's active links (`active=true`, newest
 * first) for at most PAYMENT_LINK_LOOKUP_PAGES pages: it is only asked when a pending billing is
 * continued, to find the link a run created but could not record.
 */
export async function findOpportunityPaymentLinks(stripe: Stripe, opportunityId: string): Promise<FoundPaymentLink[]> {
  const links: Stripe.PaymentLink[] = [];
  let seen = 0;
  await call('paymentLinks.list', () =>
    stripe.paymentLinks.list({ active: true, limit: PAGE }).autoPagingEach((link) => {
      seen += 1;
      if (link.metadata[METADATA_KEYS.opportunity] === opportunityId) links.push(link);
      return seen < PAYMENT_LINK_LOOKUP_PAGES * PAGE;
    }),
  );
  const found: FoundPaymentLink[] = [];
  for (const link of links) {
    let total = 0;
    await call('paymentLinks.listLineItems', () =>
      stripe.paymentLinks.listLineItems(link.id, { limit: PAGE }).autoPagingEach((item) => {
        total += item.amount_total;
      }),
    );
    found.push({ id: link.id, url: link.url, currency: link.currency, total });
  }
  return found;
}

/** Deactivates a payment link that another one supersedes: nobody can pay it any more. */
export async function deactivatePaymentLink(stripe: Stripe, id: string, idempotencyKey: string): Promise<void> {
  await call('paymentLinks.update', () => stripe.paymentLinks.update(id, { active: false }, { idempotencyKey }));
}
