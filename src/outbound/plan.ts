/**
 * The pure core of the billing commands: a revenue record (Opportunity, Quote, Order, Contract,
 * with its Account and line items), the requested mode and the settings → the Stripe requests to
 * make, each with its params and a deterministic idempotency key; or why the record cannot be
 * billed. Whether it is billed already is the billing record's to say (src/billing,
 * outbound/billing-claim.ts).
 *
 * Keys depend only on record ids and the step, so a retried or duplicated payment request sends
 * byte-for-byte the same requests and Stripe replays its first answers instead of creating twins.
 */
import type Stripe from 'stripe';
import type { BillingLine, BillingPlan, FoundInvoice, StripeStep } from '../contracts/billing-plan.js';
import { LINE_ITEM_METADATA_KEY, METADATA_KEYS } from '../contracts/metadata.js';
import { isSettled } from '../contracts/precedence.js';
import { PAYMENT_MODES, type PaymentMode } from '../contracts/statuses.js';
import { isBridgeError } from '../errors.js';
import { CannotBillError, recordBill, totalOf } from './billing-lines.js';
import type { BillableAccount, BillableObject, BillableRecord } from './billable.js';
import { planSubscription } from './subscription-plan.js';

export interface PlanSettings {
  readonly daysUntilDue: number;
  /** Records carry CurrencyIsoCode: each Opportunity is billed in its own currency. */
  readonly multiCurrency: boolean;
  /** Lower-case ISO code: the currency of every record of a single-currency org. */
  readonly corporateCurrency: string;
}

export interface PlanRequest {
  /** `Mode__c` of the platform event; blank falls back to the Opportunity, then `invoice`. */
  readonly mode: string | undefined;
  readonly daysUntilDue: number | undefined;
  /** The request's identity: a Checkout Session is issued per request (re-issued on request). */
  readonly requestId?: string | undefined;
  /** Seconds since the epoch when Salesforce asked: a Checkout Session expires relative to it. */
  readonly requestedAt?: number | undefined;
  /** Hours a Checkout Session stays open (Stripe: 0.5 to 24). */
  readonly checkoutHours?: number | undefined;
  /**
   * Stripe: `success_url` is where the payer goes after paying (without it, Checkout shows its own
   * confirmation); `cancel_url` adds a back button. Both optional for a hosted Checkout page.
   */
  readonly checkoutPages?: { readonly successUrl?: string | undefined; readonly cancelUrl?: string | undefined } | undefined;
  /** Seconds since the epoch now: a request too old to give its session 30 minutes is refused. */
  readonly nowSeconds?: number | undefined;
  /** `subscription` mode: `Options__c.collectionMethod` (else the record's field, else send_invoice). */
  readonly collectionMethod?: string | undefined;
}

/** Stripe allows at most 250 invoice items per invoice, 20 line items per payment link, 100 per Checkout Session. */
const MAX_LINES: Readonly<Record<PaymentMode, number>> = { invoice: 250, payment_link: 20, checkout: 100, subscription: 40 };

/** Stripe: a Checkout Session's `expires_at` is 30 minutes to 24 hours after its creation. */
export const CHECKOUT_MIN_SECONDS = 30 * 60;
export const CHECKOUT_MAX_SECONDS = 24 * 3600;
/** A 30-minute link is issued for 32 minutes after the request: it survives 2 minutes in the queue. */
export const CHECKOUT_QUEUE_MARGIN = 120;
/** Seconds between the bridge's check and Stripe's creation of the session (network, clocks). */
export const CHECKOUT_CLOCK_MARGIN = 10;

/** The metadata key that names each billed object on what Stripe creates for it. */
const RECORD_METADATA_KEY: Readonly<Record<BillableObject, string>> = {
  Opportunity: METADATA_KEYS.opportunity,
  Quote: METADATA_KEYS.quote,
  Order: METADATA_KEYS.order,
  Contract: METADATA_KEYS.contract,
};
const MAX_DAYS_UNTIL_DUE = 999;

// The plan's types live in contracts (the Stripe adapter executes them); re-exported for callers.
export type { BillingPlan, FoundInvoice, FoundInvoiceItem, ResumedInvoice, StripeStep } from '../contracts/billing-plan.js';
export { LINE_ITEM_METADATA_KEY } from '../contracts/metadata.js';

export function idempotencyKey(recordId: string, step: string): string {
  return `sfbridge:${recordId}:${step}`;
}

type BillPlanOf = Extract<BillingPlan, { kind: 'bill' }>;

/**
 * The keys of a billing that follows `generation` released ones (billing record `previous`): a
 * re-bill must create new objects, not have Stripe replay the voided invoice or the deactivated
 * link for 24 hours. The first billing keeps the plain keys. The customer key is the Account's.
 */
export function forBillingGeneration(plan: BillPlanOf, generation: number): BillPlanOf {
  if (generation === 0) return plan;
  const prefix = idempotencyKey(plan.opportunityId, '');
  return {
    ...plan,
    steps: plan.steps.map((step) =>
      step.idempotencyKey.startsWith(prefix) ? { ...step, idempotencyKey: `${prefix}b${generation}:${step.idempotencyKey.slice(prefix.length)}` } : step,
    ),
  };
}

export function isPaymentMode(value: string): value is PaymentMode {
  return (PAYMENT_MODES as readonly string[]).includes(value);
}

function resolveMode(request: PlanRequest, opportunity: BillableRecord): string {
  return request.mode ?? opportunity.paymentMode ?? 'invoice';
}

/**
 * An Opportunity is billed in its own currency: `CurrencyIsoCode` in a multi-currency org, the
 * corporate currency otherwise. Whether Stripe supports it is Stripe's to say (its refusal
 * reaches the rep as a sync error).
 */
export function resolveCurrency(opportunity: BillableRecord, settings: Pick<PlanSettings, 'multiCurrency' | 'corporateCurrency'>): string {
  const code = (settings.multiCurrency ? (opportunity.currencyIsoCode ?? settings.corporateCurrency) : settings.corporateCurrency).toLowerCase();
  if (!/^[a-z]{3}$/.test(code)) {
    throw new CannotBillError(`Currency ${code.toUpperCase()} is not an ISO 4217 code Stripe can charge`, { code: 'CURRENCY_UNSUPPORTED' });
  }
  return code;
}

function resolveDaysUntilDue(request: PlanRequest, settings: PlanSettings): number {
  const days = request.daysUntilDue ?? settings.daysUntilDue;
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS_UNTIL_DUE) {
    throw new CannotBillError(`Days until due must be a whole number from 1 to ${MAX_DAYS_UNTIL_DUE}, got ${Number.isNaN(days) ? 'a value that is not a number' : days}`, {
      code: 'DAYS_UNTIL_DUE_INVALID',
    });
  }
  return days;
}

/** Only what Stripe accepts: a two-letter country code, the first street line apart from the rest. */
function addressOf(account: BillableAccount): Stripe.AddressParam | undefined {
  const { street, city, state, postalCode, country } = account.billingAddress;
  const [line1, ...rest] = (street ?? '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const address: Stripe.AddressParam = {
    ...(line1 === undefined ? {} : { line1 }),
    ...(rest.length === 0 ? {} : { line2: rest.join(', ') }),
    ...(city === undefined ? {} : { city }),
    ...(state === undefined ? {} : { state }),
    ...(postalCode === undefined ? {} : { postal_code: postalCode }),
    ...(country !== undefined && /^[A-Za-z]{2}$/.test(country.trim()) ? { country: country.trim().toUpperCase() } : {}),
  };
  return Object.keys(address).length === 0 ? undefined : address;
}

function customerStep(account: BillableAccount): StripeStep {
  const address = addressOf(account);
  return {
    kind: 'create_customer',
    // Keyed by the Account: two Opportunities of one Account billed at once share one customer.
    idempotencyKey: idempotencyKey(account.id, 'customer'),
    params: {
      ...(account.name === undefined ? {} : { name: account.name }),
      ...(account.billingEmail === undefined ? {} : { email: account.billingEmail }),
      ...(address === undefined ? {} : { address }),
      // The customer belongs to the Account and outlives this Opportunity: no Opportunity link here.
      metadata: { [METADATA_KEYS.account]: account.id },
    },
  };
}

function couponStep(recordId: string, discount: number, currency: string, label: string, metadata: Record<string, string>): StripeStep[] {
  if (discount === 0) return [];
  return [
    {
      kind: 'create_coupon',
      // The amount is in the key: a record whose discount changed gets a coupon of its own.
      idempotencyKey: idempotencyKey(recordId, `coupon:${discount}${currency}`),
      params: { amount_off: discount, currency, duration: 'once', name: `Discount — ${label}`.slice(0, 40), metadata },
    },
  ];
}

function invoiceSteps(opportunityId: string, currency: string, daysUntilDue: number, lines: readonly BillingLine[], metadata: Record<string, string>): StripeStep[] {
  return [
    {
      kind: 'create_invoice',
      idempotencyKey: idempotencyKey(opportunityId, 'invoice'),
      params: {
        currency,
        collection_method: 'send_invoice',
        days_until_due: daysUntilDue,
        // Only our own items, and no automatic finalization of a draft a crash left half-filled.
        pending_invoice_items_behavior: 'exclude',
        auto_advance: false,
        metadata,
      },
    },
    ...lines.map(
      (line): StripeStep => ({
        kind: 'create_invoice_item',
        idempotencyKey: idempotencyKey(opportunityId, `item:${line.lineId}`),
        line,
        currency,
        metadata: { ...metadata, [LINE_ITEM_METADATA_KEY]: line.lineId },
      }),
    ),
    { kind: 'finalize_invoice', idempotencyKey: idempotencyKey(opportunityId, 'finalize') },
    { kind: 'send_invoice', idempotencyKey: idempotencyKey(opportunityId, 'send') },
  ];
}

function paymentLinkSteps(opportunityId: string, currency: string, lines: readonly BillingLine[], metadata: Record<string, string>): StripeStep[] {
  const negative = lines.find((l) => l.unitAmount < 0);
  if (negative !== undefined) {
    throw new CannotBillError(`A payment link cannot carry the negative line "${negative.description}"; bill this Opportunity by invoice`, {
      code: 'NEGATIVE_LINE',
    });
  }
  return [
    // A line at its catalogue Price needs no price of its own; another is priced on its synced product, or on a product of its own.
    ...lines.flatMap((line): StripeStep[] =>
      line.catalog?.priceId !== undefined
        ? []
        : [
            {
              kind: 'create_price',
              idempotencyKey: idempotencyKey(opportunityId, `price:${line.lineId}`),
              lineId: line.lineId,
              params: {
                currency,
                unit_amount: line.unitAmount,
                ...(line.catalog === undefined ? { product_data: { name: line.description, metadata } } : { product: line.catalog.productId }),
                metadata: { ...metadata, [LINE_ITEM_METADATA_KEY]: line.lineId },
              },
            },
          ],
    ),
    {
      kind: 'create_payment_link',
      idempotencyKey: idempotencyKey(opportunityId, 'payment_link'),
      lines: lines.map((l) => ({ lineId: l.lineId, quantity: l.quantity, ...(l.catalog?.priceId === undefined ? {} : { priceId: l.catalog.priceId }) })),
      // Checkout Sessions copy the link's metadata; PaymentIntents need their own copy. The mode
      // marks them as ours: a declined card the payer retries on the page opens no Case.
      // Single use: once one Checkout Session completed, Stripe accepts no other through this
      // link (restrictions.completed_sessions.limit), so one link can never be paid twice.
      params: {
        metadata,
        payment_intent_data: { metadata: { ...metadata, [METADATA_KEYS.paymentMode]: 'payment_link' } },
        restrictions: { completed_sessions: { limit: 1 } },
      },
    },
  ];
}

/**
 * A payment-mode Checkout line (https://docs.stripe.com/api/checkout/sessions/create, line_items:
 * `price` or `price_data` with `product` or `product_data`): the catalogue's one-time Price, else
 * the line's own amount on its synced product, else on a product created inline. The line's id
 * rides in the line item's metadata (or its inline product's, as before the catalogue).
 */
function checkoutLineItem(line: BillingLine, currency: string, metadata: Record<string, string>): Stripe.Checkout.SessionCreateParams.LineItem {
  const lineMetadata = { ...metadata, [LINE_ITEM_METADATA_KEY]: line.lineId };
  if (line.catalog === undefined) {
    return { quantity: line.quantity, price_data: { currency, unit_amount: line.unitAmount, product_data: { name: line.description, metadata: lineMetadata } } };
  }
  const { priceId, productId } = line.catalog;
  return {
    quantity: line.quantity,
    ...(priceId === undefined ? { price_data: { currency, unit_amount: line.unitAmount, product: productId } } : { price: priceId }),
    metadata: lineMetadata,
  };
}

/** When a Checkout Session issued for this request expires: relative to the request, not the clock. */
function checkoutExpiry(request: PlanRequest): number {
  const requestedAt = request.requestedAt ?? request.nowSeconds ?? 0;
  const hours = request.checkoutHours ?? 24;
  const lifetime = Math.round(hours * 3600);
  if (!Number.isFinite(hours) || lifetime < CHECKOUT_MIN_SECONDS || lifetime > CHECKOUT_MAX_SECONDS) {
    throw new CannotBillError(`A Checkout link stays open 0.5 to 24 hours; ${String(hours)} was asked for`, { code: 'CHECKOUT_EXPIRY_INVALID' });
  }
  // Relative to the request, not the clock: a retry sends the same parameters under the same key.
  // Stripe counts from the session's creation, which comes after the request: the shortest link
  // is given a margin for its time in the queue (the longest can only be shorter than 24 hours).
  const expiresAt = requestedAt + Math.max(lifetime, CHECKOUT_MIN_SECONDS + CHECKOUT_QUEUE_MARGIN);
  if (request.nowSeconds !== undefined && expiresAt - request.nowSeconds < CHECKOUT_MIN_SECONDS + CHECKOUT_CLOCK_MARGIN) {
    throw new CannotBillError('The request is too old to issue a Checkout link that stays open 30 minutes; request it again', { code: 'CHECKOUT_REQUEST_EXPIRED' });
  }
  return expiresAt;
}

function checkoutSteps(
  record: BillableRecord,
  request: PlanRequest,
  currency: string,
  lines: readonly BillingLine[],
  metadata: Record<string, string>,
): StripeStep[] {
  const expiresAt = checkoutExpiry(request);
  const requestId = request.requestId ?? 'checkout';
  return [
    ...(record.stripeCheckoutSessionId === undefined
      ? []
      : [{ kind: 'expire_checkout_session', idempotencyKey: idempotencyKey(record.id, `expire:${record.stripeCheckoutSessionId}`), sessionId: record.stripeCheckoutSessionId } as const]),
    {
      kind: 'create_checkout_session',
      // Per request: asking again issues a new link (the previous one is expired above).
      idempotencyKey: idempotencyKey(record.id, `checkout:${requestId}`),
      params: {
        mode: 'payment',
        line_items: lines.map((line) => checkoutLineItem(line, currency, metadata)),
        expires_at: expiresAt,
        ...(request.checkoutPages?.successUrl === undefined ? {} : { success_url: request.checkoutPages.successUrl }),
        ...(request.checkoutPages?.cancelUrl === undefined ? {} : { cancel_url: request.checkoutPages.cancelUrl }),
        metadata,
        payment_intent_data: { metadata: { ...metadata, [METADATA_KEYS.paymentMode]: 'checkout' } },
      },
    },
  ];
}

/** What the record itself shows of a billing: its Stripe ids, or a status saying the money arrived. */
export interface ShownBilling {
  /** The invoice or payment link id the Opportunity shows (an invoice first). */
  readonly stripeObjectId: string | undefined;
  /** Set when the status says the money arrived (contracts/precedence), e.g. through a Checkout of the customer's own. */
  readonly settledStatus: string | undefined;
}

/**
 * The billing a record shows in its own fields. Before billing records existed these were
 * the only memory of a bill; an Opportunity billed then is adopted from them (billing-claim.ts).
 */
export function shownBilling(opportunity: BillableRecord): ShownBilling | undefined {
  const stripeObjectId = opportunity.stripeInvoiceId ?? opportunity.stripePaymentLinkId;
  const settledStatus = isSettled('Opportunity', opportunity.stripePaymentStatus) ? opportunity.stripePaymentStatus : undefined;
  if (stripeObjectId === undefined && settledStatus === undefined && opportunity.stripePaymentLinkUrl === undefined) return undefined;
  return { stripeObjectId, settledStatus };
}

export function planBilling(opportunity: BillableRecord, request: PlanRequest, settings: PlanSettings): BillingPlan {
  const mode = resolveMode(request, opportunity);
  if (!isPaymentMode(mode)) {
    return { kind: 'cannot_bill', mode, code: 'MODE_UNSUPPORTED', reason: `Payment mode "${mode}" is not one of ${PAYMENT_MODES.join(', ')}` };
  }
  try {
    const account = opportunity.account;
    if (account === undefined) {
      throw new CannotBillError(`The ${opportunity.sobject} has no Account to bill`, { code: 'ACCOUNT_MISSING' });
    }
    const currency = resolveCurrency(opportunity, settings);
    const { lines, discount } = recordBill(opportunity, currency);
    if (lines.length > MAX_LINES[mode]) {
      throw new CannotBillError(`Stripe takes at most ${MAX_LINES[mode]} lines per ${mode.replace('_', ' ')}; this ${opportunity.sobject} has ${lines.length}`, {
        code: 'TOO_MANY_LINES',
      });
    }
    const total = totalOf(lines) - discount;
    if (total <= 0) {
      throw new CannotBillError(`The ${opportunity.sobject} totals zero or less: nothing to bill`, { code: 'NOTHING_TO_BILL' });
    }
    const metadata = { [RECORD_METADATA_KEY[opportunity.sobject]]: opportunity.id, [METADATA_KEYS.account]: account.id };
    const label = opportunity.name ?? `${opportunity.sobject} ${opportunity.id}`;
    const base = { kind: 'bill', mode, opportunityId: opportunity.id, sobject: opportunity.sobject, accountId: account.id, currency, total } as const;
    if (mode === 'payment_link' && discount > 0) {
      // Payment links take no coupons (only promotion codes the payer types in).
      throw new CannotBillError(`A payment link cannot apply the ${opportunity.sobject}'s discount; use checkout or invoice`, { code: 'DISCOUNT_UNSUPPORTED' });
    }
    if (mode === 'checkout') {
      const steps = [
        ...(account.stripeCustomerId === undefined ? [customerStep(account)] : []),
        ...couponStep(opportunity.id, discount, currency, label, metadata),
        ...checkoutSteps(opportunity, request, currency, lines, metadata),
      ];
      return { ...base, existingCustomerId: account.stripeCustomerId, steps };
    }
    if (mode === 'subscription') {
      const subscription = planSubscription({
        record: opportunity,
        lines,
        currency,
        discount,
        metadata,
        collectionMethod: request.collectionMethod,
        daysUntilDue: resolveDaysUntilDue(request, settings),
        requestedAt: request.requestedAt ?? request.nowSeconds ?? 0,
        checkoutExpiresAt: () => checkoutExpiry(request),
        requestId: request.requestId ?? 'subscription',
        key: idempotencyKey,
      });
      const steps = [
        ...(account.stripeCustomerId === undefined ? [customerStep(account)] : []),
        ...couponStep(opportunity.id, discount, currency, label, metadata),
        ...subscription.steps,
      ];
      return { ...base, total: subscription.firstInvoiceTotal, notice: subscription.notice, existingCustomerId: account.stripeCustomerId, steps };
    }
    if (mode === 'payment_link') {
      // A payment link cannot be bound to a customer: Checkout collects the payer's details.
      const steps = paymentLinkSteps(opportunity.id, currency, lines, metadata);
      return { ...base, existingCustomerId: undefined, steps };
    }
    const daysUntilDue = resolveDaysUntilDue(request, settings);
    const steps = [
      ...(account.stripeCustomerId === undefined ? [customerStep(account)] : []),
      ...couponStep(opportunity.id, discount, currency, label, metadata),
      ...invoiceSteps(opportunity.id, currency, daysUntilDue, lines, metadata),
    ];
    return { ...base, existingCustomerId: account.stripeCustomerId, steps };
  } catch (err) {
    if (err instanceof CannotBillError || (isBridgeError(err) && err.kind === 'permanent')) {
      return { kind: 'cannot_bill', mode, code: (err as CannotBillError).code, reason: (err as Error).message };
    }
    throw err;
  }
}

/**
 * Stripe keeps an idempotency key for 24 hours after its first use. The send step runs seconds
 * after finalizing, so within this margin of `finalized_at` its key is certainly still stored and
 * sending again replays the first answer instead of emailing the customer twice.
 */
export const SEND_KEY_REPLAYABLE_SECONDS = 23 * 3600;

const FINALIZED: ReadonlySet<FoundInvoice['status']> = new Set(['open', 'paid', 'uncollectible']);

type CannotBill = Extract<BillingPlan, { kind: 'cannot_bill' }>;

function draftMismatch(plan: BillPlanOf, draft: FoundInvoice): string | undefined {
  if (draft.currency !== plan.currency) return `it is in ${draft.currency.toUpperCase()}, the Opportunity in ${plan.currency.toUpperCase()}`;
  const planned = new Map(plan.steps.flatMap((s) => (s.kind === 'create_invoice_item' ? [[s.line.lineId, s.line] as const] : [])));
  const seen = new Set<string>();
  for (const item of draft.items) {
    if (item.lineId === undefined) return 'it has a line the bridge did not add';
    const line = planned.get(item.lineId);
    if (line === undefined) return `its line ${item.lineId} is no longer a product of the Opportunity`;
    if (seen.has(item.lineId)) return `its line ${item.lineId} is there twice`;
    if (item.quantity !== line.quantity || item.amount !== line.quantity * line.unitAmount) return `its line ${item.lineId} has another quantity or price`;
    seen.add(item.lineId);
  }
  return undefined;
}

/**
 * Continues what an earlier run left in Stripe once its idempotency keys may have expired
 * (a replay from the DLQ days later). `found` is every invoice of the Account's customer that
 * carries this Opportunity's id, newest first (Stripe's list order). Void invoices are ignored.
 *
 * - A finalized invoice (open, paid, uncollectible): nothing is created; its id and URL are
 *   written back. An open one is sent again only while the send key is certainly replayable, so
 *   the customer is never emailed twice; after that the rep is told to check it was emailed.
 * - A draft (the run stopped before finalizing; nobody has seen it): only the missing items are
 *   added, then it is finalized and sent, with the same keys as the first run.
 * - Nothing found: the plan as it was.
 */
export function resumeBilling(plan: BillPlanOf, found: readonly FoundInvoice[], nowSeconds: number): BillPlanOf | CannotBill {
  if (plan.mode !== 'invoice') return plan;
  const live = found.filter((i) => i.status !== 'void');
  const finalized = live.find((i) => FINALIZED.has(i.status));
  if (finalized !== undefined) {
    const resumedInvoice = { id: finalized.id, status: finalized.status, hostedInvoiceUrl: finalized.hostedInvoiceUrl };
    const replayable = finalized.finalizedAt !== undefined && nowSeconds - finalized.finalizedAt < SEND_KEY_REPLAYABLE_SECONDS;
    if (finalized.status === 'open' && replayable) {
      return { ...plan, resumedInvoice, steps: plan.steps.filter((s) => s.kind === 'send_invoice') };
    }
    const notice =
      finalized.status === 'open'
        ? `Invoice ${finalized.id} was found open in Stripe after an interrupted run; the bridge cannot tell whether Stripe emailed it. If the customer did not get it, share the invoice URL or send it from Stripe.`
        : undefined;
    return { ...plan, resumedInvoice, notice, steps: [] };
  }
  const draft = live.find((i) => i.status === 'draft');
  if (draft === undefined) return plan;
  const mismatch = draftMismatch(plan, draft);
  if (mismatch !== undefined) {
    return {
      kind: 'cannot_bill',
      mode: plan.mode,
      code: 'DRAFT_INVOICE_MISMATCH',
      reason: `Stripe holds the unsent draft invoice ${draft.id} from an interrupted run, but ${mismatch}. Delete that draft in Stripe`,
    };
  }
  const present = new Set(draft.items.map((i) => i.lineId));
  const steps = plan.steps.filter(
    (s) => s.kind !== 'create_customer' && s.kind !== 'create_invoice' && !(s.kind === 'create_invoice_item' && present.has(s.line.lineId)),
  );
  return { ...plan, resumedInvoice: { id: draft.id, status: draft.status, hostedInvoiceUrl: undefined }, steps };
}
