/**
 * The reads behind the Account roll-ups, and how their answers become Account updates. Pure:
 * SOQL text in, Salesforce's JSON answers in, mutations out.
 *
 * One Composite request carries every read (≤ 5 queries, Salesforce's limit of Collections or
 * query subrequests per Composite), for every Account a batch touched at once:
 * - the Accounts by Stripe customer id, with their latest paid payment (a child subquery);
 * - payments, invoices and subscriptions aggregated per Account, status and currency
 *   (SUM/COUNT/MAX/MIN with GROUP BY; the amounts are Number fields next to a Currency_Code__c,
 *   so SOQL converts nothing: conversion happens in account-figures.ts with the org's rates);
 * - multi-currency orgs: the active CurrencyType rates. (convertCurrency() cannot help here: it
 *   converts currency fields to the querying user's currency and cannot be applied to an
 *   aggregate's result; with GROUP BY, aggregates of currency fields come back in the corporate
 *   currency — SOQL and SOSL Reference, convertCurrency().)
 */
import type { ReadAfterWrite, ReadAnswer, SalesforceMutation } from '../contracts/salesforce-mutation.js';
import { PermanentError } from '../errors.js';
import { DATA_MODEL, ROLLUP_VERSION_FIELD } from '../salesforce/data-model.js';
import type { OrgCurrencies } from '../salesforce/org-profile.js';
import { stripeDashboardPage } from '../stripe/dashboard.js';
import {
  accountFigures,
  type AccountFacts,
  type CurrencyContext,
  type InvoiceGroup,
  type PaymentGroup,
  type SubscriptionGroup,
} from './account-figures.js';

/** Does Stripe_Subscription__c carry an MRR (and its currency)? Then MRR rolls up too. */
export const SUBSCRIPTION_MRR = 'MRR__c' in (DATA_MODEL['Stripe_Subscription__c'] ?? {}) && 'Currency_Code__c' in (DATA_MODEL['Stripe_Subscription__c'] ?? {});

const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The Accounts of these Stripe customers, as a semi-join. */
function accountsOf(customerIds: readonly string[]): string {
  return `Account__c IN (SELECT Id FROM Account WHERE Stripe_Customer_Id__c IN (${customerIds.map(quote).join(', ')}))`;
}

export function rollupReads(customerIds: readonly string[], org: OrgCurrencies): ReadAfterWrite[] {
  const ids = customerIds.map(quote).join(', ');
  const reads: ReadAfterWrite[] = [
    {
      referenceId: 'rollupAccounts',
      soql:
        // OwnerId: who a failed-payment Task of the batch goes to (src/inbound/task-owners.ts).
        `SELECT Id, OwnerId, Stripe_Customer_Id__c${org.multiCurrency ? ', CurrencyIsoCode' : ''}, ` +
        '(SELECT Amount__c, Currency_Code__c, Paid_At__c FROM Stripe_Payments__r WHERE Paid_At__c != null ORDER BY Paid_At__c DESC LIMIT 1) ' +
        `FROM Account WHERE Stripe_Customer_Id__c IN (${ids})`,
    },
    {
      referenceId: 'rollupPayments',
      soql:
        'SELECT Account__c, Currency_Code__c, Status__c, SUM(Amount__c) amount, SUM(Amount_Refunded__c) refunded, COUNT(Id) n, ' +
        'MAX(Paid_At__c) lastPaidAt, MAX(Last_Stripe_Event_At__c) lastEventAt, MAX(SystemModstamp) modstamp ' +
        `FROM Stripe_Payment__c WHERE ${accountsOf(customerIds)} GROUP BY Account__c, Currency_Code__c, Status__c`,
    },
    {
      referenceId: 'rollupInvoices',
      soql:
        'SELECT Account__c, Currency_Code__c, Status__c, SUM(Amount_Remaining__c) remaining, COUNT(Id) n, MIN(Due_Date__c) oldestDue, MAX(SystemModstamp) modstamp ' +
        `FROM Stripe_Invoice__c WHERE ${accountsOf(customerIds)} GROUP BY Account__c, Currency_Code__c, Status__c`,
    },
    {
      referenceId: 'rollupSubscriptions',
      soql: SUBSCRIPTION_MRR
        ? 'SELECT Account__c, Currency_Code__c, Status__c, COUNT(Id) n, SUM(MRR__c) mrr, MAX(SystemModstamp) modstamp ' +
          `FROM Stripe_Subscription__c WHERE ${accountsOf(customerIds)} GROUP BY Account__c, Currency_Code__c, Status__c`
        : 'SELECT Account__c, Status__c, COUNT(Id) n, MAX(SystemModstamp) modstamp ' +
          `FROM Stripe_Subscription__c WHERE ${accountsOf(customerIds)} GROUP BY Account__c, Status__c`,
    },
  ];
  if (org.multiCurrency) {
    reads.push({ referenceId: 'rollupRates', soql: 'SELECT IsoCode, ConversionRate FROM CurrencyType WHERE IsActive = true' });
  }
  return reads;
}

/** A read Salesforce refused or answered in a shape we cannot use: the roll-up is skipped. */
const readError = (message: string, code: string): PermanentError => new PermanentError(`Account roll-up: ${message}`, { code });

type Row = Readonly<Record<string, unknown>>;

function rowsOf(answers: ReadonlyMap<string, ReadAnswer>, referenceId: string): Row[] {
  const answer = answers.get(referenceId);
  if (answer === undefined) throw readError(`no answer to ${referenceId}`, 'ROLLUP_READ_MISSING');
  if (answer.httpStatusCode < 200 || answer.httpStatusCode >= 300) {
    const first = (Array.isArray(answer.body) ? answer.body[0] : undefined) as { errorCode?: unknown } | undefined;
    const code = typeof first?.errorCode === 'string' ? first.errorCode : `ERROR_HTTP_${answer.httpStatusCode}`;
    throw readError(`${referenceId} was refused (${code})`, code);
  }
  const body = answer.body as { records?: unknown; done?: unknown } | null;
  if (!Array.isArray(body?.records)) throw readError(`${referenceId} has no records`, 'ROLLUP_READ_SHAPE');
  // More rows than one answer holds (2,000): some Account would be summed from part of its records.
  if (body.done === false) throw readError(`${referenceId} did not fit in one answer`, 'ROLLUP_READ_TOO_LARGE');
  return body.records.filter((r): r is Row => typeof r === 'object' && r !== null);
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);
const id15 = (v: unknown): string => (typeof v === 'string' ? v.slice(0, 15) : '');

function lastPaymentOf(row: Row): AccountFacts['lastPayment'] {
  const child = row['Stripe_Payments__r'] as { records?: unknown } | null | undefined;
  const first = Array.isArray(child?.records) ? (child.records[0] as Row | undefined) : undefined;
  if (first === undefined) return undefined;
  return { amount: num(first['Amount__c']), currency: str(first['Currency_Code__c']), paidAt: str(first['Paid_At__c']) };
}

function groupBy<T extends { accountId: string }>(rows: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows) out.set(row.accountId, [...(out.get(row.accountId) ?? []), row]);
  return out;
}

export interface RollupContext {
  readonly org: OrgCurrencies;
  /** The deployment's Stripe mode (from its key); undefined: the Dashboard link is not written. */
  readonly mode: 'test' | 'live' | undefined;
  readonly now: number;
}

/** One update per Account read back: its figures, carrying the roll-up's as-of stamp. */
export function rollupMutations(answers: ReadonlyMap<string, ReadAnswer>, context: RollupContext): SalesforceMutation[] {
  const accounts = rowsOf(answers, 'rollupAccounts');
  const payments = groupBy(
    rowsOf(answers, 'rollupPayments').map(
      (r): PaymentGroup => ({
        accountId: id15(r['Account__c']),
        currency: str(r['Currency_Code__c']),
        status: str(r['Status__c']),
        amount: num(r['amount']),
        refunded: num(r['refunded']),
        count: num(r['n']) ?? 0,
        lastPaidAt: str(r['lastPaidAt']),
        lastEventAt: str(r['lastEventAt']),
        modstamp: str(r['modstamp']),
      }),
    ),
  );
  const invoices = groupBy(
    rowsOf(answers, 'rollupInvoices').map(
      (r): InvoiceGroup => ({
        accountId: id15(r['Account__c']),
        currency: str(r['Currency_Code__c']),
        status: str(r['Status__c']),
        remaining: num(r['remaining']),
        count: num(r['n']) ?? 0,
        oldestDue: str(r['oldestDue']),
        modstamp: str(r['modstamp']),
      }),
    ),
  );
  const subscriptions = groupBy(
    rowsOf(answers, 'rollupSubscriptions').map(
      (r): SubscriptionGroup => ({
        accountId: id15(r['Account__c']),
        status: str(r['Status__c']),
        count: num(r['n']) ?? 0,
        mrr: num(r['mrr']),
        currency: str(r['Currency_Code__c']),
        modstamp: str(r['modstamp']),
      }),
    ),
  );
  const corporate = context.org.corporateCurrency.toUpperCase();
  const rates = new Map<string, number>([[corporate, 1]]);
  if (context.org.multiCurrency) {
    for (const r of rowsOf(answers, 'rollupRates')) {
      const code = str(r['IsoCode']);
      const rate = num(r['ConversionRate']);
      if (code !== null && rate !== null && rate > 0) rates.set(code.toUpperCase(), rate);
    }
  }
  const currencies: CurrencyContext = { corporate, rates };

  return accounts.flatMap((row): SalesforceMutation[] => {
    const id = str(row['Id']);
    if (id === null) return [];
    const key = id15(id);
    const account: AccountFacts = {
      id,
      customerId: str(row['Stripe_Customer_Id__c']),
      currency: context.org.multiCurrency ? str(row['CurrencyIsoCode']) : null,
      lastPayment: lastPaymentOf(row),
    };
    const figures = accountFigures(
      { account, payments: payments.get(key) ?? [], invoices: invoices.get(key) ?? [], subscriptions: subscriptions.get(key) ?? [], mrrKnown: SUBSCRIPTION_MRR },
      currencies,
      context.now,
    );
    return [
      {
        sobject: 'Account',
        key: { field: 'Id', value: id },
        fields: {
          Stripe_Lifetime_Paid__c: figures.lifetimePaid,
          Stripe_Open_Balance__c: figures.openBalance,
          Stripe_Open_Invoices__c: figures.openInvoices,
          Stripe_Last_Payment_At__c: figures.lastPaymentAt,
          Stripe_Last_Payment_Amount__c: figures.lastPaymentAmount,
          Stripe_Payment_Health__c: figures.health,
          Stripe_Payment_Health_Reason__c: figures.healthReason,
          Stripe_Active_Subscriptions__c: figures.activeSubscriptions,
          ...(SUBSCRIPTION_MRR ? { Stripe_MRR__c: figures.mrr } : {}),
          ...(context.mode !== undefined && account.customerId !== null ? { Stripe_Customer_Url__c: stripeDashboardPage('customers', account.customerId, context.mode === 'live') } : {}),
          Stripe_Unconverted_Amounts__c: figures.unconverted,
          Stripe_Rollup_At__c: new Date(context.now).toISOString(),
          [ROLLUP_VERSION_FIELD]: figures.version,
        },
        // An Account deleted since the read is skipped, not a failure.
        skipIfMissing: true,
      },
    ];
  });
}

/** The Stripe customers whose Accounts a batch's writes touch (links by customer id). */
export function touchedCustomers(mutations: readonly SalesforceMutation[]): string[] {
  const customers = new Set<string>();
  for (const m of mutations) {
    const own = m.fields['Stripe_Customer_Id__c'];
    if (typeof own === 'string' && own !== '') customers.add(own);
    for (const relationship of ['Account__r', 'Account']) {
      const ref = m.fields[relationship];
      const customer = typeof ref === 'object' && ref !== null ? ref['Stripe_Customer_Id__c'] : undefined;
      if (typeof customer === 'string' && customer !== '') customers.add(customer);
    }
  }
  return [...customers].sort();
}
