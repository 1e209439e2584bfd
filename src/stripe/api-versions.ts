/**
 * Where the fields the bridge reads live at each Stripe API version. A webhook payload is rendered
 * at its endpoint's API version, frozen when the endpoint was created, so one account can send
 * 2022-era and current shapes side by side; each function reads a moved field wherever the
 * event's version put it. Sources (Stripe API changelog):
 * - 2022-11-15, "Removes the charges attribute from the PaymentIntent object"
 *   https://docs.stripe.com/changelog/2022-11-15/removes-charges-attribute-paymentintent
 * - 2025-03-31.basil, "Invoicing resources now specify how they were generated" (`parent`)
 *   https://docs.stripe.com/changelog/basil/2025-03-31/adds-new-parent-field-to-invoicing-objects
 * - 2025-03-31.basil, "Adds support for multiple (partial) payments on invoices" (`payments`;
 *   `payment_intent`, `charge`, `paid` removed from Invoice, `invoice` from PaymentIntent and Charge)
 *   https://docs.stripe.com/changelog/basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices
 * - 2025-03-31.basil, "Adds subscription item-level billing periods and removes subscription-level periods"
 *   https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-current-period-start-and-end
 */
import type { StripeEmbeddedCharge, StripeInvoice, StripePaymentIntent, StripeCouponTerms, StripeSubscription, StripeSubscriptionItem } from './event-schemas.js';

type Expandable = string | { readonly id: string } | null | undefined;
type Metadata = Readonly<Record<string, string>> | null | undefined;

/** The id of an expandable reference (an id, or the expanded object). */
export function idOf(value: Expandable): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value : value.id;
}

export interface InvoiceSubscription {
  readonly id: string | undefined;
  /** The subscription's metadata as Stripe copied it onto the invoice. */
  readonly metadata: Metadata;
}

/** basil and later: `parent.subscription_details`; before: `subscription` + `subscription_details`. */
export function invoiceSubscription(invoice: Pick<StripeInvoice, 'parent' | 'subscription' | 'subscription_details'>): InvoiceSubscription {
  const details = invoice.parent?.subscription_details;
  return {
    id: idOf(details?.subscription) ?? idOf(invoice.subscription),
    metadata: details?.metadata ?? invoice.subscription_details?.metadata,
  };
}

type InvoicePayments = Pick<StripeInvoice, 'payment_intent' | 'payments'>;

/**
 * The PaymentIntent that paid an invoice. Before basil: `payment_intent`. From basil on: the
 * `payments` list, which webhooks leave out (it is includable: the consumer fetches the invoice
 * with `expand[]=payments` where it needs it); the paid payment first, else the first listed.
 */
export function invoicePaymentIntentId(invoice: InvoicePayments): string | undefined {
  const legacy = idOf(invoice.payment_intent);
  if (legacy !== undefined) return legacy;
  const payments = invoice.payments?.data ?? [];
  const paid = payments.find((p) => p.status === 'paid' && idOf(p.payment?.payment_intent) !== undefined);
  return idOf((paid ?? payments.find((p) => idOf(p.payment?.payment_intent) !== undefined))?.payment?.payment_intent);
}

export interface SubscriptionPeriod {
  readonly start: number | undefined;
  readonly end: number | undefined;
}

/**
 * Before basil: `current_period_start`/`_end` on the subscription; from basil on: each item's.
 * Items can run on different periods: the subscription runs until the last one ends, and its
 * current period is that item's.
 */
export function subscriptionPeriod(subscription: StripeSubscription): SubscriptionPeriod {
  let latest: { readonly start: number | undefined; readonly end: number } | undefined;
  for (const item of subscription.items?.data ?? []) {
    const end = item.current_period_end;
    if (typeof end === 'number' && (latest === undefined || end > latest.end)) latest = { start: item.current_period_start ?? undefined, end };
  }
  if (latest !== undefined) return latest;
  return { start: subscription.current_period_start ?? undefined, end: subscription.current_period_end ?? undefined };
}

export interface ItemPrice {
  readonly id: string;
  readonly nickname: string | undefined;
  readonly productId: string | undefined;
  readonly unit_amount: number | null | undefined;
  readonly unit_amount_decimal: string | null | undefined;
  readonly recurring: { readonly interval: string; readonly interval_count?: number | null | undefined; readonly usage_type?: string | null | undefined } | undefined;
}

/**
 * An item's price: `price` (2020-08-27 and later), else the legacy `plan` it replaced, whose
 * amount and interval sit at top level (https://docs.stripe.com/api/plans/object).
 */
export function subscriptionItemPrice(item: StripeSubscriptionItem): ItemPrice | undefined {
  const { price, plan } = item;
  if (price !== null && price !== undefined) {
    return {
      id: price.id,
      nickname: price.nickname ?? undefined,
      productId: idOf(price.product),
      unit_amount: price.unit_amount,
      unit_amount_decimal: price.unit_amount_decimal,
      recurring: price.recurring ?? undefined,
    };
  }
  if (plan === null || plan === undefined) return undefined;
  return {
    id: plan.id,
    nickname: plan.nickname ?? undefined,
    productId: idOf(plan.product),
    unit_amount: plan.amount,
    unit_amount_decimal: plan.amount_decimal,
    recurring: { interval: plan.interval, interval_count: plan.interval_count, usage_type: plan.usage_type },
  };
}

type Discounts = StripeSubscription['discounts'];
type Discount = Exclude<NonNullable<Discounts>[number], string>;

/**
 * The coupons whose terms a payload carries: the legacy `discount` (coupon auto-expanded, before
 * 2025-03-31.basil removed it from Subscription), and `discounts` entries that were expanded,
 * with their coupon under `coupon` (before 2025-09-30.clover) or `source.coupon` (since):
 * https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-singular-coupon-promotion-code,
 * https://docs.stripe.com/changelog/clover/2025-09-30/add-discount-source-property.
 * Discount ids alone (what webhooks carry since basil) name no terms and are left out.
 */
export function discountCoupons(discounts: Discounts, legacy?: Discount | null): StripeCouponTerms[] {
  const all: (string | Discount)[] = [...(legacy === null || legacy === undefined ? [] : [legacy]), ...(discounts ?? [])];
  const terms: StripeCouponTerms[] = [];
  for (const discount of all) {
    if (typeof discount === 'string') continue;
    const coupon = discount.source?.coupon ?? discount.coupon;
    if (coupon !== null && coupon !== undefined && typeof coupon !== 'string') terms.push(coupon);
  }
  return terms;
}

/**
 * The PaymentIntent's latest charge when the payload carries it: an expanded `latest_charge`, or
 * (before 2022-11-15) the `charges` list, newest first. Webhooks at later versions name the
 * charge by id only; `charge.succeeded` carries its card details instead.
 */
export function paymentIntentCharge(pi: StripePaymentIntent): StripeEmbeddedCharge | undefined {
  if (typeof pi.latest_charge === 'object' && pi.latest_charge !== null) return pi.latest_charge;
  const charges = pi.charges?.data ?? [];
  const latestId = idOf(pi.latest_charge);
  return (
    charges.find((c) => latestId !== undefined && c.id === latestId) ??
    charges.find((c) => c.status === 'succeeded') ??
    charges[0]
  );
}
