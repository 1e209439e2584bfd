/** The roll-up arithmetic (pure): statuses, refunds, partial payments, 0/2/3-decimal currencies, health. */
import { describe, expect, it } from 'vitest';
import {
  accountFigures,
  convertMinor,
  paymentHealth,
  type AccountRollupInput,
  type CurrencyContext,
  type InvoiceGroup,
  type PaymentGroup,
} from '../../src/rollups/account-figures.js';
import { stripeDashboardPage } from '../../src/stripe/dashboard.js';

const NOW = Date.parse('2026-03-01T00:00:00Z');
const USD_ONLY: CurrencyContext = { corporate: 'USD', rates: new Map([['USD', 1]]) };
const MULTI: CurrencyContext = { corporate: 'USD', rates: new Map([['USD', 1], ['EUR', 0.8], ['JPY', 150], ['KWD', 0.3]]) };

const payment = (p: Partial<PaymentGroup>): PaymentGroup => ({
  accountId: '001A',
  currency: 'USD',
  status: 'Succeeded',
  amount: 0,
  refunded: 0,
  count: 1,
  lastPaidAt: null,
  lastEventAt: null,
  modstamp: null,
  ...p,
});
const invoice = (i: Partial<InvoiceGroup>): InvoiceGroup => ({
  accountId: '001A',
  currency: 'USD',
  status: 'Open',
  remaining: 0,
  count: 1,
  oldestDue: null,
  modstamp: null,
  ...i,
});
const input = (i: Partial<AccountRollupInput>): AccountRollupInput => ({
  account: { id: '001A', customerId: 'cus_1', currency: null, lastPayment: undefined },
  payments: [],
  invoices: [],
  subscriptions: [],
  mrrKnown: false,
  ...i,
});

describe('lifetime paid and open balance', () => {
  it('counts money that stayed: refunds subtracted, failed, canceled, disputed and lost payments left out', () => {
    const f = accountFigures(
      input({
        payments: [
          payment({ status: 'Succeeded', amount: 100.1, count: 2 }),
          payment({ status: 'Partially Refunded', amount: 50, refunded: 20.05 }),
          payment({ status: 'Refunded', amount: 30, refunded: 30 }),
          payment({ status: 'Dispute Won', amount: 10 }),
          payment({ status: 'Failed', amount: 999 }),
          payment({ status: 'Canceled', amount: 999 }),
          payment({ status: 'Disputed', amount: 999 }),
          payment({ status: 'Dispute Lost', amount: 999 }),
        ],
      }),
      USD_ONLY,
      NOW,
    );
    expect(f.lifetimePaid).toBe(140.05);
  });

  it('sums float-noisy SUM() results exactly in minor units (0.1 + 0.2)', () => {
    const f = accountFigures(input({ payments: [payment({ amount: 0.1 + 0.2 }), payment({ status: 'Refunded', amount: 0.3, refunded: 0.1 })] }), USD_ONLY, NOW);
    expect(f.lifetimePaid).toBe(0.5);
  });

  it('owes what open and uncollectible invoices still ask for (partial payments leave the remainder), not paid, void or draft ones', () => {
    const f = accountFigures(
      input({
        invoices: [
          invoice({ status: 'Open', remaining: 70.5, count: 2 }),
          invoice({ status: 'Uncollectible', remaining: 10 }),
          invoice({ status: 'Paid', remaining: 0, count: 5 }),
          invoice({ status: 'Void', remaining: 40 }),
          invoice({ status: 'Draft', remaining: 40 }),
        ],
      }),
      USD_ONLY,
      NOW,
    );
    expect(f).toMatchObject({ openBalance: 80.5, openInvoices: 3 });
  });

  it.each([
    ['JPY', 1234, 1234],
    ['USD', 12.34, 12.34],
    ['KWD', 1.234, 1.234],
  ])('keeps %s amounts to their decimals in a single-currency org of that currency', (currency, amount, expected) => {
    const f = accountFigures(input({ payments: [payment({ currency, amount })] }), { corporate: currency, rates: new Map([[currency, 1]]) }, NOW);
    expect(f).toMatchObject({ lifetimePaid: expected, currency, unconverted: null });
  });

  it("converts each currency's total once with the org's rates, rounded to the target's decimals", () => {
    const f = accountFigures(
      input({
        account: { id: '001A', customerId: 'cus_1', currency: 'EUR', lastPayment: { amount: 1500, currency: 'JPY', paidAt: '2026-02-01T00:00:00.000+0000' } },
        payments: [payment({ currency: 'USD', amount: 100 }), payment({ currency: 'JPY', amount: 1500 }), payment({ currency: 'KWD', amount: 0.333 })],
      }),
      MULTI,
      NOW,
    );
    // 100 USD → 80.00 EUR; 1500 JPY → 8.00 EUR; 0.333 KWD → 0.888 → 0.89 EUR.
    expect(f).toMatchObject({ lifetimePaid: 88.89, currency: 'EUR', lastPaymentAmount: 8, lastPaymentAt: '2026-02-01T00:00:00.000+0000' });
    expect(convertMinor(100, 'USD', 'JPY', MULTI)).toBe(150);
    expect(convertMinor(1000, 'USD', 'KWD', MULTI)).toBe(3000);
  });

  it('lists amounts in currencies without a rate instead of adding them at a wrong value', () => {
    const f = accountFigures(
      input({ payments: [payment({ currency: 'USD', amount: 5 }), payment({ currency: 'GBP', amount: 7.5 })], invoices: [invoice({ currency: 'GBP', remaining: 2 })] }),
      USD_ONLY,
      NOW,
    );
    expect(f).toMatchObject({ lifetimePaid: 5, openBalance: 0, unconverted: 'GBP 7.50 paid, GBP 2.00 open' });
  });

  it('counts billing subscriptions, and sums MRR only once subscriptions carry one', () => {
    const subscriptions = [
      { accountId: '001A', status: 'Active', count: 2, mrr: 200, currency: 'USD', modstamp: null },
      { accountId: '001A', status: 'Trialing', count: 1, mrr: 0, currency: 'USD', modstamp: null },
      { accountId: '001A', status: 'Canceled', count: 4, mrr: 50, currency: 'USD', modstamp: null },
    ];
    expect(accountFigures(input({ subscriptions }), USD_ONLY, NOW)).toMatchObject({ activeSubscriptions: 3, mrr: null });
    expect(accountFigures(input({ subscriptions, mrrKnown: true }), USD_ONLY, NOW)).toMatchObject({ activeSubscriptions: 3, mrr: 200 });
  });

  it('carries the newest SystemModstamp it counted as its version', () => {
    const f = accountFigures(
      input({ payments: [payment({ modstamp: '2026-01-01T00:00:01.000+0000' })], invoices: [invoice({ modstamp: '2026-01-02T00:00:00.000+0000' })] }),
      USD_ONLY,
      NOW,
    );
    expect(f.version).toBe(Date.parse('2026-01-02T00:00:00Z'));
    expect(accountFigures(input({}), USD_ONLY, NOW).version).toBe(0);
  });
});

describe('payment health', () => {
  const day = (n: number) => new Date(NOW - n * 86_400_000).toISOString();
  const date = (n: number) => day(n).slice(0, 10);

  it.each([
    ['Good', 'nothing unpaid or failed', input({ payments: [payment({ amount: 5, lastPaidAt: day(3) })] })],
    ['Good', 'unpaid invoices are not yet due', input({ invoices: [invoice({ remaining: 5, oldestDue: date(-3) })] })],
    ['At Risk', 'an invoice is 5 days past due', input({ invoices: [invoice({ remaining: 5, oldestDue: date(5) })] })],
    ['Delinquent', 'an invoice is 31 days past due', input({ invoices: [invoice({ remaining: 5, oldestDue: date(31) })] })],
    ['Delinquent', '1 uncollectible invoice', input({ invoices: [invoice({ status: 'Uncollectible', remaining: 5 })] })],
    ['At Risk', '1 open dispute', input({ payments: [payment({ status: 'Disputed' })] })],
    ['Delinquent', 'a dispute lost in the last 90 days', input({ payments: [payment({ status: 'Dispute Lost', lastEventAt: day(60) })] })],
    ['Good', 'nothing unpaid or failed', input({ payments: [payment({ status: 'Dispute Lost', lastEventAt: day(120) })] })],
    ['At Risk', 'a payment failed in the last 30 days and none succeeded since', input({ payments: [payment({ status: 'Failed', lastEventAt: day(2) }), payment({ lastPaidAt: day(10) })] })],
    ['Good', 'nothing unpaid or failed', input({ payments: [payment({ status: 'Failed', lastEventAt: day(10) }), payment({ lastPaidAt: day(2) })] })],
    ['At Risk', '2 past-due subscriptions', input({ subscriptions: [{ accountId: '001A', status: 'Past Due', count: 2, mrr: null, currency: null, modstamp: null }] })],
    ['Delinquent', '1 unpaid subscription', input({ subscriptions: [{ accountId: '001A', status: 'Unpaid', count: 1, mrr: null, currency: null, modstamp: null }] })],
  ] as const)('%s: %s', (health, reason, facts) => {
    expect(paymentHealth(facts, NOW)).toEqual({ health, reason });
  });
});

describe('Stripe Dashboard link', () => {
  it('points at test data under /test and live data at the root', () => {
    expect(stripeDashboardPage('customers', 'cus_123', false)).toBe('https://dashboard.stripe.com/test/customers/cus_123');
    expect(stripeDashboardPage('customers', 'cus_123', true)).toBe('https://dashboard.stripe.com/customers/cus_123');
  });
});
