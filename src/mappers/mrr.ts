/**
 * Monthly recurring revenue of one subscription, in integer minor units of its currency. Pure.
 *
 * The definition is Stripe's own (Billing metric definitions,
 * https://docs.stripe.com/billing/subscriptions/analytics/glossary, and "How do you calculate
 * MRR?", https://support.stripe.com/questions/billing-analytics): the monthly-normalised value of
 * subscriptions that are `active` or `past_due`; trials, `unpaid`, canceled and incomplete
 * subscriptions count 0; taxes are not revenue; metered (usage-based) items are excluded; a
 * coupon with duration `forever` reduces MRR, a `once` or `repeating` one does not.
 * Our additions: a subscription whose collection is paused (`pause_collection`) counts 0 (no
 * revenue is collected while it is paused), and tiered prices (no unit amount) count 0.
 *
 * Normalisation: yearly ÷ 12, monthly × 1, weekly × 52 ÷ 12, daily × 365 ÷ 12, each divided by
 * the interval count and multiplied by the quantity. The arithmetic is exact (bigint fractions,
 * sub-cent `unit_amount_decimal` included) and rounded once, half up, to a whole minor unit.
 */

export type RecurringInterval = 'day' | 'week' | 'month' | 'year';

export interface CouponTerms {
  readonly percent_off?: number | null | undefined;
  readonly amount_off?: number | null | undefined;
  readonly duration?: string | null | undefined;
}

export interface MrrPrice {
  readonly unit_amount?: number | null | undefined;
  /** Up to 12 decimal places of a minor unit (`"1234.5"`); preferred when present. */
  readonly unit_amount_decimal?: string | null | undefined;
  readonly recurring?: {
    readonly interval: string;
    readonly interval_count?: number | null | undefined;
    readonly usage_type?: string | null | undefined;
  } | null | undefined;
}

export interface MrrItem {
  readonly quantity?: number | null | undefined;
  readonly price: MrrPrice | undefined;
  /** The item's own discounts whose coupon the payload carries. */
  readonly coupons?: readonly CouponTerms[];
}

export interface MrrSubscription {
  readonly status: string;
  readonly paused: boolean;
  readonly items: readonly MrrItem[];
  /** The subscription's discounts whose coupon the payload carries. */
  readonly coupons?: readonly CouponTerms[];
}

/** Months per interval × 12: a fraction with denominator 12 keeps weekly and daily exact. */
const TWELFTHS: Readonly<Record<RecurringInterval, bigint>> = { day: 365n, week: 52n, month: 12n, year: 1n };

/** Statuses Stripe counts in MRR. */
const EARNING = new Set(['active', 'past_due']);

export function isRecurringInterval(value: string): value is RecurringInterval {
  return Object.hasOwn(TWELFTHS, value);
}

/** A non-negative exact fraction. */
interface Fraction {
  readonly n: bigint;
  readonly d: bigint;
}

const ZERO: Fraction = { n: 0n, d: 1n };

function gcd(a: bigint, b: bigint): bigint {
  let [x, y] = [a < 0n ? -a : a, b];
  while (y !== 0n) [x, y] = [y, x % y];
  return x === 0n ? 1n : x;
}

function reduce(n: bigint, d: bigint): Fraction {
  const g = gcd(n, d);
  return { n: n / g, d: d / g };
}

const add = (a: Fraction, b: Fraction): Fraction => reduce(a.n * b.d + b.n * a.d, a.d * b.d);
const times = (a: Fraction, b: Fraction): Fraction => reduce(a.n * b.n, a.d * b.d);
const minus = (a: Fraction, b: Fraction): Fraction => (a.n * b.d <= b.n * a.d ? ZERO : reduce(a.n * b.d - b.n * a.d, a.d * b.d));

/** `"1234.5"` → 12345/10; undefined when it is not a plain non-negative decimal. */
function decimal(text: string): Fraction | undefined {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (match === null) return undefined;
  const [, whole = '0', fraction = ''] = match;
  return reduce(BigInt(whole + fraction), 10n ** BigInt(fraction.length));
}

function numberFraction(value: number): Fraction | undefined {
  // toString gives the shortest decimal that round-trips (12.5 → "12.5"); no float arithmetic.
  return Number.isFinite(value) && value >= 0 ? decimal(value.toString()) : undefined;
}

function unitAmount(price: MrrPrice): Fraction | undefined {
  const exact = price.unit_amount_decimal === null || price.unit_amount_decimal === undefined ? undefined : decimal(price.unit_amount_decimal);
  if (exact !== undefined) return exact;
  return typeof price.unit_amount === 'number' ? numberFraction(price.unit_amount) : undefined;
}

/** Twelfths of a month per billing period: the factor that turns one period's amount into a month's. */
function monthlyFactor(recurring: NonNullable<MrrPrice['recurring']>): Fraction | undefined {
  if (!isRecurringInterval(recurring.interval)) return undefined;
  const count = recurring.interval_count ?? 1;
  if (!Number.isSafeInteger(count) || count < 1) return undefined;
  return reduce(TWELFTHS[recurring.interval], 12n * BigInt(count));
}

/** Forever coupons only; `amount_off` is per invoice, so it is normalised like the price it reduces. */
function applyCoupons(amount: Fraction, coupons: readonly CouponTerms[] | undefined, factor: Fraction): Fraction {
  let result = amount;
  for (const coupon of coupons ?? []) {
    if (coupon.duration !== 'forever') continue;
    const percent = typeof coupon.percent_off === 'number' ? numberFraction(coupon.percent_off) : undefined;
    if (percent !== undefined) result = times(result, minus({ n: 1n, d: 1n }, times(percent, { n: 1n, d: 100n })));
    const off = typeof coupon.amount_off === 'number' ? numberFraction(coupon.amount_off) : undefined;
    if (off !== undefined) result = minus(result, times(off, factor));
  }
  return result;
}

/** One licensed item's monthly amount (before subscription-level coupons), with its period factor. */
function itemMonthly(item: MrrItem): { readonly amount: Fraction; readonly factor: Fraction } | undefined {
  const price = item.price;
  const recurring = price?.recurring;
  if (price === undefined || recurring === null || recurring === undefined) return undefined;
  if (recurring.usage_type === 'metered') return undefined;
  const factor = monthlyFactor(recurring);
  const unit = unitAmount(price);
  if (factor === undefined || unit === undefined) return undefined;
  const quantity = numberFraction(item.quantity ?? 1) ?? ZERO;
  return { amount: applyCoupons(times(times(unit, quantity), factor), item.coupons, factor), factor };
}

/** Half up to a whole minor unit. */
function round(value: Fraction): number {
  return Number((2n * value.n + value.d) / (2n * value.d));
}

/** The subscription's MRR in integer minor units of its currency. */
export function monthlyRecurringRevenue(subscription: MrrSubscription): number {
  if (!EARNING.has(subscription.status) || subscription.paused) return 0;
  let total = ZERO;
  let factor: Fraction | undefined;
  for (const item of subscription.items) {
    const monthly = itemMonthly(item);
    if (monthly === undefined) continue;
    total = add(total, monthly.amount);
    // A subscription-level amount_off comes off each invoice; invoices follow the first item's period.
    factor ??= monthly.factor;
  }
  return round(applyCoupons(total, subscription.coupons, factor ?? { n: 1n, d: 1n }));
}
