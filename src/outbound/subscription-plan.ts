/**
 * The `subscription` mode of the planner (pure): a record's recurring lines become subscription
 * items and its one-time lines `add_invoice_items` on the first invoice
 * (https://docs.stripe.com/api/subscriptions/create), each at the Stripe Price the catalogue sync
 * holds for its price book entry when the line sells at the list price (src/catalog), else
 * priced inline (`price_data`) at the line's own sales price on the Stripe product of its
 * Product2. A line with a Discount recurs at its discounted amount: an inline recurring price
 * (billing-lines.ts decides the unit amount and quantity), so every period bills what Salesforce's
 * TotalPrice says, exactly, and MRR read from the subscription items is that amount. Metered lines (usage-based) have no quantity and are billed in arrears. Collection:
 *
 * - `send_invoice` (default): a subscription with `days_until_due`; its first invoice is finalized
 *   and emailed at once (Stripe would finalize it an hour later:
 *   https://docs.stripe.com/billing/invoices/subscription#sub-invoice-lifecycle);
 * - `charge_automatically`: a Checkout Session in subscription mode
 *   (https://docs.stripe.com/payments/checkout/build-subscriptions): the customer enters a card
 *   once, its URL is written back.
 *
 * Start date, trial and term come from the Opportunity (SubscriptionTerms): a past start date
 * backdates (`backdate_start_date`, invoice collection only), a future one defers the first charge
 * to that day (`trial_end`, as Stripe advises for future starts), trial days add a free trial, a
 * term in months ends it (`cancel_at`). Dates are computed from the request's time, never the
 * clock, so a retry sends the same parameters under the same keys.
 */
import type Stripe from 'stripe';
import type { BillingLine, StripeStep } from '../contracts/billing-plan.js';
import { LINE_ITEM_METADATA_KEY } from '../contracts/metadata.js';
import { COLLECTION_METHODS, type BillingInterval, type CollectionMethod } from '../contracts/statuses.js';
import { recurrenceOf, stripeProductIdOf, type Recurrence } from '../catalog/catalog.js';
import { CannotBillError } from './billing-lines.js';
import type { BillableLineItem, BillableRecord, SubscriptionTerms } from './billable.js';

/** Stripe: at most 20 items per subscription and 20 `add_invoice_items`. */
const MAX_ITEMS = 20;
/** Stripe: a trial lasts at most 730 days. */
const MAX_TRIAL_DAYS = 730;
const DAY = 86_400;

export interface SubscriptionPlanInput {
  readonly record: BillableRecord;
  readonly lines: readonly BillingLine[];
  readonly currency: string;
  readonly discount: number;
  readonly metadata: Readonly<Record<string, string>>;
  /** `Options__c.collectionMethod`, over the record's own field. */
  readonly collectionMethod: string | undefined;
  readonly daysUntilDue: number;
  /** Seconds since the epoch: when Salesforce asked. */
  readonly requestedAt: number;
  /** The Checkout Session's expiry (charge_automatically), relative to the request; validated only when used. */
  readonly checkoutExpiresAt: () => number;
  readonly requestId: string;
  /** `sfbridge:<id>:<step>`. */
  readonly key: (id: string, step: string) => string;
}

export interface SubscriptionPlan {
  readonly steps: readonly StripeStep[];
  /** What the first invoice asks for, minor units (the billing record's amount). */
  readonly firstInvoiceTotal: number;
  readonly notice: string | undefined;
}

interface PricedLine {
  readonly line: BillingLine;
  readonly productId: string;
  /** The catalogue's Stripe Price when the line sells at its entry's list price (src/catalog). */
  readonly priceId: string | undefined;
  readonly recurring: { readonly interval: BillingInterval; readonly interval_count: number } | undefined;
  /** Billed in arrears from the usage the customer's application reports: no quantity, nothing on the first invoice. */
  readonly metered: boolean;
}

function collectionOf(input: SubscriptionPlanInput): CollectionMethod {
  const value = input.collectionMethod ?? input.record.subscriptionTerms?.collectionMethod ?? 'send_invoice';
  if (!(COLLECTION_METHODS as readonly string[]).includes(value)) {
    throw new CannotBillError(`Collection method "${value}" is not one of ${COLLECTION_METHODS.join(', ')}`, { code: 'COLLECTION_METHOD_INVALID' });
  }
  return value as CollectionMethod;
}

export { stripeProductIdOf };

function recurrenceOfItem(item: BillableLineItem | undefined): Recurrence | undefined {
  const product = item?.product;
  if (product === undefined) return undefined;
  return recurrenceOf({ ...product, name: product.name ?? product.id });
}

/**
 * The Price a line is sold at: the catalogue's when the line's sales price is its entry's list
 * price, else inline `price_data` on the product. A metered line has no inline form (its price
 * needs the product's meter) and is billed only at the list price.
 */
function catalogPriceOf(item: BillableLineItem | undefined, line: BillingLine, metered: boolean): string | undefined {
  const price = item?.catalogPrice;
  // A line with a Discount is folded to its discounted amount (billing-lines.ts): never the list Price,
  // even when that amount happens to equal it (2 × 50.00 at 50 % off is one unit at 50.00).
  const discounted = item?.discount !== undefined && item.discount !== 0;
  const atListPrice = price !== undefined && !discounted && price.unitAmount === line.unitAmount;
  if (metered) {
    const name = item?.product?.name ?? line.description;
    if (discounted) {
      throw new CannotBillError(`Product "${name}" is metered and billed at its list price per unit of usage; it cannot carry a Discount (clear it, or bill the discount otherwise)`, {
        code: 'METERED_DISCOUNT_UNSUPPORTED',
      });
    }
    if (price === undefined) {
      throw new CannotBillError(`Product "${name}" is metered: it is billed through its price book entry's Stripe price, and this line has no price book entry`, { code: 'METERED_PRICE_MISSING' });
    }
    if (!atListPrice) {
      throw new CannotBillError(`Product "${name}" is metered and billed at its list price per unit; set the line's sales price to the list price`, { code: 'METERED_PRICE_MISMATCH' });
    }
  }
  return atListPrice ? price.priceId : undefined;
}

/** Each line with the Stripe product it is sold as, and the products to create first. */
function priceLines(input: SubscriptionPlanInput): { readonly priced: PricedLine[]; readonly products: StripeStep[] } {
  const items = new Map(input.record.lineItems.map((item) => [item.id, item]));
  const products = new Map<string, StripeStep>();
  const priced = input.lines.map((line): PricedLine => {
    if (line.unitAmount < 0) throw new CannotBillError(`A subscription cannot carry the negative line "${line.description}"`, { code: 'NEGATIVE_LINE' });
    const item = items.get(line.lineId);
    const product = item?.product;
    const recurrence = recurrenceOfItem(item);
    const metered = recurrence?.usage_type === 'metered';
    const priceId = catalogPriceOf(item, line, metered);
    let productId = item?.catalogPrice?.productId ?? product?.stripeProductId;
    if (productId === undefined) {
      // A line without a Product2 (tax, shipping, an Amount) is sold as a product of its record.
      const sourceId = product?.id ?? `${input.record.id}_${line.lineId}`;
      productId = stripeProductIdOf(sourceId);
      if (!products.has(productId)) {
        products.set(productId, {
          kind: 'ensure_product',
          idempotencyKey: input.key(sourceId, 'product'),
          params: { id: productId, name: (product?.name ?? line.description).slice(0, 250), metadata: { salesforce_product_id: product?.id ?? '' } },
        });
      }
    }
    const recurring = recurrence === undefined ? undefined : { interval: recurrence.interval, interval_count: recurrence.interval_count };
    return { line, productId, priceId, recurring, metered };
  });
  return { priced, products: [...products.values()] };
}

/** `2026-12-01` → seconds at 00:00 UTC that day. */
function dayStart(date: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (match === null) throw new CannotBillError(`Subscription start date ${date} is not a date`, { code: 'START_DATE_INVALID' });
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / 1000;
}

/** `months` calendar months later, the day clamped to the month's end (31 Jan + 1 month = 28/29 Feb). */
export function addMonths(seconds: number, months: number): number {
  const date = new Date(seconds * 1000);
  const target = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1, date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(date.getUTCDate(), lastDay));
  return target.getTime() / 1000;
}

function wholeNumber(value: number | undefined, what: string, max: number): number | undefined {
  if (value === undefined || value === 0) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new CannotBillError(`${what} must be a whole number from 0 to ${max}, got ${value}`, { code: 'SUBSCRIPTION_TERMS_INVALID' });
  }
  return value;
}

interface Timing {
  /** A past start: the subscription is backdated to it. */
  readonly backdate: number | undefined;
  /** Nothing recurring is charged before this (a future start, or the end of a trial). */
  readonly trialEnd: number | undefined;
  readonly cancelAt: number | undefined;
}

function timingOf(terms: SubscriptionTerms | undefined, requestedAt: number): Timing {
  const today = Math.floor(requestedAt / DAY) * DAY;
  const start = terms?.startDate === undefined ? undefined : dayStart(terms.startDate);
  const trialDays = wholeNumber(terms?.trialDays, 'Trial days', MAX_TRIAL_DAYS);
  const termMonths = wholeNumber(terms?.termMonths, 'Term months', 1200);
  const future = start !== undefined && start > today ? start : undefined;
  const backdate = start !== undefined && start < today ? start : undefined;
  const billingStarts = future ?? (backdate === undefined ? requestedAt : backdate);
  const trialEnd = trialDays === undefined ? future : (future ?? requestedAt) + trialDays * DAY;
  return { backdate, trialEnd, cancelAt: termMonths === undefined ? undefined : addMonths(billingStarts, termMonths) };
}

function priceData(priced: PricedLine, currency: string) {
  return { currency, product: priced.productId, unit_amount: priced.line.unitAmount };
}

/** A metered item takes no quantity: Stripe bills the usage reported to its meter. */
function quantityOf(priced: PricedLine): { quantity?: number } {
  return priced.metered ? {} : { quantity: priced.line.quantity };
}

export function planSubscription(input: SubscriptionPlanInput): SubscriptionPlan {
  const collection = collectionOf(input);
  const { priced, products } = priceLines(input);
  const recurring = priced.filter((p) => p.recurring !== undefined);
  const oneTime = priced.filter((p) => p.recurring === undefined);
  if (recurring.length === 0) {
    throw new CannotBillError(`The ${input.record.sobject} has no recurring products (Product2 Stripe Billing Interval); bill it with invoice or checkout`, { code: 'NO_RECURRING_LINES' });
  }
  if (recurring.length > MAX_ITEMS || oneTime.length > MAX_ITEMS) {
    throw new CannotBillError(`Stripe takes at most ${MAX_ITEMS} recurring and ${MAX_ITEMS} one-time lines per subscription`, { code: 'TOO_MANY_LINES' });
  }
  const timing = timingOf(input.record.subscriptionTerms, input.requestedAt);
  const sum = (lines: readonly PricedLine[]) => lines.reduce((total, p) => total + p.line.unitAmount * p.line.quantity, 0);
  // Metered lines are billed in arrears, at the end of their first period.
  const licensed = recurring.filter((p) => !p.metered);
  const firstInvoiceTotal = Math.max(0, sum(oneTime) + (timing.trialEnd === undefined ? sum(licensed) : 0) - input.discount);
  const metadata = { ...input.metadata };
  const lineMetadata = (p: PricedLine) => ({ ...metadata, [LINE_ITEM_METADATA_KEY]: p.line.lineId });

  if (collection === 'charge_automatically') {
    if (timing.backdate !== undefined) {
      throw new CannotBillError('A Checkout subscription starts when the customer subscribes: clear the past start date, or use collection send_invoice to backdate', {
        code: 'START_DATE_UNSUPPORTED',
      });
    }
    const subscriptionData: Stripe.Checkout.SessionCreateParams.SubscriptionData = { metadata, ...(timing.trialEnd === undefined ? {} : { trial_end: timing.trialEnd }) };
    return {
      firstInvoiceTotal,
      notice:
        timing.cancelAt === undefined
          ? undefined
          : `Checkout cannot set the term: the subscription renews until canceled. Set its end (${new Date(timing.cancelAt * 1000).toISOString().slice(0, 10)}) in Stripe once the customer subscribed.`,
      steps: [
        ...products,
        {
          kind: 'create_checkout_session',
          idempotencyKey: input.key(input.record.id, `subscription_checkout:${input.requestId}`),
          params: {
            mode: 'subscription',
            line_items: priced.map((p) =>
              p.priceId !== undefined
                ? { price: p.priceId, ...quantityOf(p) }
                : { quantity: p.line.quantity, price_data: { ...priceData(p, input.currency), ...(p.recurring === undefined ? {} : { recurring: p.recurring }) } },
            ),
            subscription_data: subscriptionData,
            expires_at: input.checkoutExpiresAt(),
            metadata,
          },
        },
      ],
    };
  }

  const deferred = timing.trialEnd !== undefined;
  return {
    firstInvoiceTotal,
    notice: undefined,
    steps: [
      ...products,
      {
        kind: 'create_subscription',
        idempotencyKey: input.key(input.record.id, 'subscription'),
        params: {
          collection_method: 'send_invoice',
          days_until_due: input.daysUntilDue,
          items: recurring.map((p) => ({
            ...(p.priceId !== undefined ? { price: p.priceId } : { price_data: { ...priceData(p, input.currency), recurring: p.recurring as NonNullable<PricedLine['recurring']> } }),
            ...quantityOf(p),
            metadata: lineMetadata(p),
          })),
          ...(oneTime.length === 0
            ? {}
            : { add_invoice_items: oneTime.map((p) => ({ ...(p.priceId !== undefined ? { price: p.priceId } : { price_data: priceData(p, input.currency) }), quantity: p.line.quantity })) }),
          ...(timing.backdate === undefined ? {} : { backdate_start_date: timing.backdate }),
          ...(timing.trialEnd === undefined ? {} : { trial_end: timing.trialEnd }),
          ...(timing.cancelAt === undefined ? {} : { cancel_at: timing.cancelAt }),
          metadata,
        },
        // A first invoice with nothing to pay (a trial without one-time lines) is paid at once: nothing to send.
        finalizeKey: deferred && oneTime.length === 0 ? undefined : input.key(input.record.id, 'subscription_finalize'),
        sendKey: deferred && oneTime.length === 0 ? undefined : input.key(input.record.id, 'subscription_send'),
      },
    ],
  };
}
