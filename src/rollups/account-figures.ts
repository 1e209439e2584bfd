/**
 * The Account at a glance, computed (pure) from what Salesforce holds about the Account's Stripe
 * records: aggregate rows grouped by status and currency, the latest payment, the org's
 * conversion rates. Recomputed whole every time, so a replayed or missed event cannot skew it.
 *
 * Money: Salesforce returns major units; each currency's sum is taken to integer minor units
 * (src/money.ts), converted once to the Account's currency with Salesforce's own rates
 * (CurrencyType.ConversionRate: units of that currency per unit of the corporate currency), and
 * turned back into major units at the very end. A currency the org has no rate for (any currency
 * but the corporate one in a single-currency org) is left out of the totals and listed in
 * Stripe_Unconverted_Amounts__c instead of being added at a wrong value.
 */
import type { PaymentHealth } from '../contracts/statuses.js';
import { minorUnitDigits, toMajorUnits } from '../money.js';

export interface PaymentGroup {
  readonly accountId: string;
  readonly currency: string | null;
  readonly status: string | null;
  readonly amount: number | null;
  readonly refunded: number | null;
  readonly count: number;
  readonly lastPaidAt: string | null;
  readonly lastEventAt: string | null;
  readonly modstamp: string | null;
}

export interface InvoiceGroup {
  readonly accountId: string;
  readonly currency: string | null;
  readonly status: string | null;
  readonly remaining: number | null;
  readonly count: number;
  /** The earliest due date (YYYY-MM-DD) among the group's invoices. */
  readonly oldestDue: string | null;
  readonly modstamp: string | null;
}

export interface SubscriptionGroup {
  readonly accountId: string;
  readonly status: string | null;
  readonly count: number;
  /** Σ MRR__c in `currency`, when subscriptions carry an MRR. */
  readonly mrr: number | null;
  readonly currency: string | null;
  readonly modstamp: string | null;
}

export interface AccountFacts {
  readonly id: string;
  readonly customerId: string | null;
  /** Multi-currency orgs: the Account's CurrencyIsoCode. */
  readonly currency: string | null;
  readonly lastPayment: { readonly amount: number | null; readonly currency: string | null; readonly paidAt: string | null } | undefined;
}

export interface CurrencyContext {
  /** Upper-case ISO code of the corporate currency. */
  readonly corporate: string;
  /** Upper-case ISO code → units per unit of the corporate currency (the corporate currency is 1). */
  readonly rates: ReadonlyMap<string, number>;
}

export interface AccountRollupInput {
  readonly account: AccountFacts;
  readonly payments: readonly PaymentGroup[];
  readonly invoices: readonly InvoiceGroup[];
  readonly subscriptions: readonly SubscriptionGroup[];
  /** MRR is summed only once subscriptions carry one (MRR__c). */
  readonly mrrKnown: boolean;
}

export interface AccountFigures {
  readonly lifetimePaid: number;
  readonly openBalance: number;
  readonly openInvoices: number;
  readonly lastPaymentAt: string | null;
  readonly lastPaymentAmount: number | null;
  readonly health: PaymentHealth;
  readonly healthReason: string;
  readonly activeSubscriptions: number;
  readonly mrr: number | null;
  /** The currency every amount above is in (upper-case ISO code). */
  readonly currency: string;
  readonly unconverted: string | null;
  /** The newest SystemModstamp among the records counted, in ms (0 without records). */
  readonly version: number;
}

/** Money that stayed with its payment: refunds are subtracted, a lost or open dispute took it back. */
export const COUNTED_PAYMENT_STATUSES: ReadonlySet<string> = new Set(['Succeeded', 'Partially Refunded', 'Refunded', 'Dispute Won']);
/** Still owed: open invoices and written-off ones (still payable). */
export const UNPAID_INVOICE_STATUSES: ReadonlySet<string> = new Set(['Open', 'Uncollectible']);
/** Subscriptions that bill: trials and past-due ones included. */
export const ACTIVE_SUBSCRIPTION_STATUSES: ReadonlySet<string> = new Set(['Active', 'Trialing', 'Past Due']);

const DAY_MS = 86_400_000;
/** Payment health windows (docs/salesforce-setup.md#payment-health). */
export const HEALTH_RULES = { delinquentDaysPastDue: 30, failedPaymentDays: 30, lostDisputeDays: 90 } as const;

/** Per currency, integer minor units. */
class MinorTotals {
  private readonly byCurrency = new Map<string, number>();

  add(currency: string | null, major: number | null): void {
    if (currency === null || major === null || !Number.isFinite(major)) return;
    const code = currency.toUpperCase();
    // SUM() of doubles carries float noise (0.1 + 0.2): rounding to the currency's digits removes it.
    const minor = Math.round(major * 10 ** minorUnitDigits(code));
    this.byCurrency.set(code, (this.byCurrency.get(code) ?? 0) + minor);
  }

  entries(): [string, number][] {
    return [...this.byCurrency].filter(([, minor]) => minor !== 0);
  }
}

/** minor units of `from` → minor units of `to`, or undefined without a rate for both. */
export function convertMinor(minor: number, from: string, to: string, context: CurrencyContext): number | undefined {
  if (from === to) return minor;
  const fromRate = context.rates.get(from);
  const toRate = context.rates.get(to);
  if (fromRate === undefined || toRate === undefined || fromRate <= 0) return undefined;
  return Math.round(toMajorUnits(minor, from) * (toRate / fromRate) * 10 ** minorUnitDigits(to));
}

interface Converted {
  readonly major: number;
  readonly unconverted: string[];
}

function convertTotals(totals: MinorTotals, target: string, context: CurrencyContext, label: string): Converted {
  let sum = 0;
  const unconverted: string[] = [];
  for (const [currency, minor] of totals.entries()) {
    const converted = convertMinor(minor, currency, target, context);
    if (converted === undefined) unconverted.push(`${currency} ${toMajorUnits(minor, currency).toFixed(minorUnitDigits(currency))} ${label}`);
    else sum += converted;
  }
  return { major: toMajorUnits(sum, target), unconverted };
}

function latest(values: readonly (string | null)[]): string | null {
  return values.reduce<string | null>((best, v) => (v !== null && (best === null || Date.parse(v) > Date.parse(best)) ? v : best), null);
}

function earliest(values: readonly (string | null)[]): string | null {
  return values.reduce<string | null>((best, v) => (v !== null && (best === null || v < best) ? v : best), null);
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Payment health, first rule that holds:
 * - Delinquent: an uncollectible invoice, an unpaid invoice more than 30 days past due, an unpaid
 *   subscription, or a dispute lost in the last 90 days;
 * - At Risk: an unpaid invoice past due, a past-due subscription, an open dispute, or a failed
 *   payment in the last 30 days with no successful payment since;
 * - Good otherwise.
 */
export function paymentHealth(input: AccountRollupInput, now: number): { health: PaymentHealth; reason: string } {
  const count = (groups: readonly { status: string | null; count: number }[], status: string): number =>
    groups.filter((g) => g.status === status).reduce((n, g) => n + g.count, 0);
  const unpaid = input.invoices.filter((g) => g.status !== null && UNPAID_INVOICE_STATUSES.has(g.status));
  const oldestDue = earliest(unpaid.map((g) => g.oldestDue));
  const daysPastDue = oldestDue === null ? 0 : Math.floor((now - Date.parse(`${oldestDue}T00:00:00Z`)) / DAY_MS);
  const within = (at: string | null, days: number): boolean => at !== null && now - Date.parse(at) <= days * DAY_MS;
  const lastOf = (status: string, pick: (g: PaymentGroup) => string | null): string | null =>
    latest(input.payments.filter((g) => g.status === status).map(pick));

  const uncollectible = count(input.invoices, 'Uncollectible');
  if (uncollectible > 0) return { health: 'Delinquent', reason: `${plural(uncollectible, 'uncollectible invoice')}` };
  if (daysPastDue > HEALTH_RULES.delinquentDaysPastDue) return { health: 'Delinquent', reason: `an invoice is ${daysPastDue} days past due` };
  const unpaidSubscriptions = count(input.subscriptions, 'Unpaid');
  if (unpaidSubscriptions > 0) return { health: 'Delinquent', reason: `${plural(unpaidSubscriptions, 'unpaid subscription')}` };
  if (within(lastOf('Dispute Lost', (g) => g.lastEventAt), HEALTH_RULES.lostDisputeDays)) {
    return { health: 'Delinquent', reason: `a dispute lost in the last ${HEALTH_RULES.lostDisputeDays} days` };
  }

  if (daysPastDue > 0) return { health: 'At Risk', reason: `an invoice is ${plural(daysPastDue, 'day')} past due` };
  const pastDue = count(input.subscriptions, 'Past Due');
  if (pastDue > 0) return { health: 'At Risk', reason: `${plural(pastDue, 'past-due subscription')}` };
  const disputed = count(input.payments, 'Disputed');
  if (disputed > 0) return { health: 'At Risk', reason: `${plural(disputed, 'open dispute')}` };
  const lastFailure = lastOf('Failed', (g) => g.lastEventAt);
  const lastSuccess = latest(input.payments.filter((g) => g.status !== null && COUNTED_PAYMENT_STATUSES.has(g.status)).map((g) => g.lastPaidAt));
  if (within(lastFailure, HEALTH_RULES.failedPaymentDays) && (lastSuccess === null || Date.parse(lastSuccess) < Date.parse(lastFailure as string))) {
    return { health: 'At Risk', reason: `a payment failed in the last ${HEALTH_RULES.failedPaymentDays} days and none succeeded since` };
  }
  return { health: 'Good', reason: unpaid.length > 0 ? 'unpaid invoices are not yet due' : 'nothing unpaid or failed' };
}

export function accountFigures(input: AccountRollupInput, context: CurrencyContext, now: number): AccountFigures {
  const target = (input.account.currency ?? context.corporate).toUpperCase();

  const paid = new MinorTotals();
  for (const g of input.payments) {
    if (g.status === null || !COUNTED_PAYMENT_STATUSES.has(g.status)) continue;
    paid.add(g.currency, g.amount);
    paid.add(g.currency, g.refunded === null ? null : -g.refunded);
  }
  const open = new MinorTotals();
  let openInvoices = 0;
  for (const g of input.invoices) {
    if (g.status === null || !UNPAID_INVOICE_STATUSES.has(g.status)) continue;
    open.add(g.currency, g.remaining);
    openInvoices += g.count;
  }
  const mrrTotals = new MinorTotals();
  let activeSubscriptions = 0;
  for (const g of input.subscriptions) {
    if (g.status === null || !ACTIVE_SUBSCRIPTION_STATUSES.has(g.status)) continue;
    activeSubscriptions += g.count;
    mrrTotals.add(g.currency, g.mrr);
  }

  const lifetime = convertTotals(paid, target, context, 'paid');
  const balance = convertTotals(open, target, context, 'open');
  const mrr = input.mrrKnown ? convertTotals(mrrTotals, target, context, 'MRR') : undefined;

  const last = input.account.lastPayment;
  let lastPaymentAmount: number | null = null;
  const unconverted = [...lifetime.unconverted, ...balance.unconverted, ...(mrr?.unconverted ?? [])];
  if (last?.amount != null && last.currency != null) {
    const from = last.currency.toUpperCase();
    const minor = Math.round(last.amount * 10 ** minorUnitDigits(from));
    const converted = convertMinor(minor, from, target, context);
    if (converted === undefined) unconverted.push(`${from} ${last.amount.toFixed(minorUnitDigits(from))} last payment`);
    else lastPaymentAmount = toMajorUnits(converted, target);
  }

  const { health, reason } = paymentHealth(input, now);
  const stamps = [...input.payments, ...input.invoices, ...input.subscriptions].map((g) => g.modstamp);
  const newest = latest(stamps);
  return {
    lifetimePaid: lifetime.major,
    openBalance: balance.major,
    openInvoices,
    lastPaymentAt: last?.paidAt ?? null,
    lastPaymentAmount,
    health,
    healthReason: reason,
    activeSubscriptions,
    mrr: mrr === undefined ? null : mrr.major,
    currency: target,
    unconverted: unconverted.length === 0 ? null : unconverted.join(', ').slice(0, 255),
    version: newest === null ? 0 : Date.parse(newest),
  };
}
