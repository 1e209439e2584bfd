/**
 * MRR as Stripe defines it (Billing metric definitions,
 * https://docs.stripe.com/billing/subscriptions/analytics/glossary: "the sum of the
 * monthly-normalized value of all your active and past_due subscriptions … exclude subscriptions
 * in trial periods, any taxes …, and any metered (usage based) products"; coupons per
 * https://support.stripe.com/questions/billing-analytics: "a coupon with a forever duration …
 * will apply to your MRR … finite duration (i.e. once or repeating) … MRR is unaffected").
 * Amounts stay integer minor units; the currency only decides how they are written (0, 2, 3 decimals).
 */
import { describe, expect, it } from 'vitest';
import { monthlyRecurringRevenue, type MrrItem, type RecurringInterval } from '../../src/mappers/mrr.js';
import { toMajorUnits } from '../../src/money.js';

function item(unit: number, interval: RecurringInterval, options: { count?: number; quantity?: number; usage?: string; decimal?: string } = {}): MrrItem {
  return {
    quantity: options.quantity ?? 1,
    price: {
      unit_amount: unit,
      unit_amount_decimal: options.decimal ?? String(unit),
      recurring: { interval, interval_count: options.count ?? 1, usage_type: options.usage ?? 'licensed' },
    },
  };
}

const active = (...items: MrrItem[]) => ({ status: 'active', paused: false, items });

describe('normalisation: intervals × counts × quantities × currencies', () => {
  // [unit amount (minor units), interval, interval count, quantity, currency, MRR in major units]
  const table: readonly [number, RecurringInterval, number, number, string, number][] = [
    [120_000, 'year', 1, 1, 'usd', 100],
    [120_000, 'year', 2, 1, 'usd', 50],
    [100_000, 'year', 1, 3, 'usd', 250],
    [9_999, 'month', 1, 1, 'usd', 99.99],
    [9_999, 'month', 3, 1, 'usd', 33.33],
    [10_000, 'month', 3, 1, 'usd', 33.33], // 33.333… rounds half up at the last step only
    [1_000, 'week', 1, 1, 'usd', 43.33], // 10 × 52 ÷ 12 = 43.333…
    [1_000, 'week', 2, 5, 'usd', 108.33], // 10 × 5 × 52 ÷ 24 = 108.333…
    [100, 'day', 1, 1, 'usd', 30.42], // 1 × 365 ÷ 12 = 30.4166…
    [100, 'day', 7, 1, 'usd', 4.35], // 365 ÷ 84 = 4.345…
    // JPY: no minor unit
    [12_000, 'year', 1, 1, 'jpy', 1_000],
    [10_000, 'year', 1, 1, 'jpy', 833], // 833.33… → 833
    [500, 'week', 1, 2, 'jpy', 4_333], // 500 × 2 × 52 ÷ 12 = 4333.33…
    [1_000, 'month', 1, 7, 'jpy', 7_000],
    // KWD: three decimals
    [1_000, 'year', 1, 1, 'kwd', 0.083], // 1.000 KWD a year = 0.0833… a month
    [12_345, 'month', 1, 2, 'kwd', 24.69],
    [1_500, 'week', 1, 1, 'kwd', 6.5],
    [1_001, 'day', 1, 1, 'kwd', 30.447], // 1.001 × 365 ÷ 12 = 30.4470…
  ];
  it.each(table)('%i %s every %i × %i in %s → %d', (unit, interval, count, quantity, currency, major) => {
    const minor = monthlyRecurringRevenue(active(item(unit, interval, { count, quantity })));
    expect(Number.isSafeInteger(minor)).toBe(true);
    expect(toMajorUnits(minor, currency)).toBe(major);
  });

  it('sums items of different intervals exactly before rounding once', () => {
    // 1.00/3 months (33.33…) + 2.00/3 months (66.66…) = 100.00 exactly; rounding per item would give 99.99.
    expect(monthlyRecurringRevenue(active(item(10_000, 'month', { count: 3 }), item(20_000, 'month', { count: 3 })))).toBe(10_000);
    expect(monthlyRecurringRevenue(active(item(120_000, 'year'), item(1_000, 'week')))).toBe(10_000 + 4_333);
  });

  it('uses sub-minor-unit prices (unit_amount_decimal) exactly', () => {
    // 0.5 cents a day, quantity 1000: 0.005 × 1000 × 365 ÷ 12 = 152.083… USD.
    expect(monthlyRecurringRevenue(active(item(0, 'day', { decimal: '0.5', quantity: 1_000 })))).toBe(15_208);
  });

  it('falls back to the legacy plan shape without a decimal string', () => {
    expect(monthlyRecurringRevenue(active({ quantity: 2, price: { unit_amount: 1_500, recurring: { interval: 'month' } } }))).toBe(3_000);
  });
});

describe('what counts', () => {
  it.each([
    ['active', 5_000],
    ['past_due', 5_000],
    ['trialing', 0],
    ['unpaid', 0],
    ['canceled', 0],
    ['incomplete', 0],
    ['incomplete_expired', 0],
    ['paused', 0],
  ])('status %s → %i', (status, expected) => {
    expect(monthlyRecurringRevenue({ status, paused: false, items: [item(5_000, 'month')] })).toBe(expected);
  });

  it('paused collection counts 0', () => {
    expect(monthlyRecurringRevenue({ status: 'active', paused: true, items: [item(5_000, 'month')] })).toBe(0);
  });

  it('metered items, one-time prices and tiered prices without a unit amount are excluded', () => {
    const metered = item(5, 'month', { usage: 'metered' });
    const oneTime: MrrItem = { quantity: 1, price: { unit_amount: 9_900, recurring: null } };
    const tiered: MrrItem = { quantity: 10, price: { unit_amount: null, unit_amount_decimal: null, recurring: { interval: 'month' } } };
    expect(monthlyRecurringRevenue(active(item(2_000, 'month'), metered, oneTime, tiered))).toBe(2_000);
  });

  it('an unknown interval or a broken count is excluded rather than guessed', () => {
    expect(monthlyRecurringRevenue(active({ quantity: 1, price: { unit_amount: 100, recurring: { interval: 'fortnight' } } }))).toBe(0);
    expect(monthlyRecurringRevenue(active(item(100, 'month', { count: 0 })))).toBe(0);
  });
});

describe('discounts', () => {
  it('a forever percent coupon reduces MRR, a once or repeating one does not', () => {
    const items = [item(10_000, 'month')];
    expect(monthlyRecurringRevenue({ ...active(...items), coupons: [{ percent_off: 50, duration: 'forever' }] })).toBe(5_000);
    expect(monthlyRecurringRevenue({ ...active(...items), coupons: [{ percent_off: 12.5, duration: 'forever' }] })).toBe(8_750);
    expect(monthlyRecurringRevenue({ ...active(...items), coupons: [{ percent_off: 50, duration: 'once' }] })).toBe(10_000);
    expect(monthlyRecurringRevenue({ ...active(...items), coupons: [{ percent_off: 50, duration: 'repeating' }] })).toBe(10_000);
  });

  it('an amount_off coupon comes off each invoice: normalised by the billing period, never below zero', () => {
    // 1,200.00 a year less 120.00 a year forever = 1,080.00 a year = 90.00 a month.
    expect(monthlyRecurringRevenue({ ...active(item(120_000, 'year')), coupons: [{ amount_off: 12_000, duration: 'forever' }] })).toBe(9_000);
    expect(monthlyRecurringRevenue({ ...active(item(1_000, 'month')), coupons: [{ amount_off: 5_000, duration: 'forever' }] })).toBe(0);
  });

  it('an item coupon reduces that item only', () => {
    const discounted: MrrItem = { ...item(10_000, 'month'), coupons: [{ percent_off: 25, duration: 'forever' }] };
    expect(monthlyRecurringRevenue(active(discounted, item(1_000, 'month')))).toBe(7_500 + 1_000);
  });
});
