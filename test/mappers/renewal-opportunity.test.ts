/**
 * The renewal Opportunity of an annual term, from invoice.upcoming. Payloads: the upcoming invoice
 * as Stripe's reference fixture renders an invoice (openapi fixtures3.json `invoice`: amount_due,
 * currency, customer, customer_name, period_end, since 2025-03-31.basil the subscription under
 * `parent.subscription_details`) without an id ("The received Invoice object will not have an
 * invoice ID", https://docs.stripe.com/api/events/types#event_types-invoice.upcoming), and its
 * lines as fixtures3.json `line_item` renders one: `period` {start, end} ("For subscription line
 * items, this is the subscription period", API reference, Invoice Line Item), basil's
 * `parent.subscription_item_details` {proration, subscription, subscription_item}, and before basil
 * the line's `price` with `recurring` {interval, interval_count} and `proration`.
 */
import { describe, expect, it } from 'vitest';
import type { RenewalReminder } from '../../src/mappers/mutation.js';
import { renewalOpportunity } from '../../src/mappers/renewal-opportunity.js';
import { stripeDashboardPage } from '../../src/stripe/dashboard.js';
import { mapJson, mapped, UPCOMING_CREATED, UPCOMING_SUBSCRIPTION, upcomingInvoiceEvent } from './helpers.js';

const CREATED = UPCOMING_CREATED;
const DAY = 86_400;
const RENEWAL = CREATED + 7 * DAY; // 2025-12-09T08:00:00Z
const SUB = UPCOMING_SUBSCRIPTION;
const ACCOUNT = '001000000000001AAA';
const OWNER = '005000000000001AAA';
const SETTINGS = { stage: 'Prospecting' };
const USD_ORG = { multiCurrency: false, corporateCurrency: 'usd' };
const MULTI = { multiCurrency: true, corporateCurrency: 'usd' };

/** A basil subscription line covering `[start, end)`. */
function basilLine(end: number, proration = false): Record<string, unknown> {
  return {
    object: 'line_item',
    amount: 120_000,
    currency: 'usd',
    period: { start: RENEWAL, end },
    quantity: 1,
    parent: { type: 'subscription_item_details', subscription_item_details: { proration, subscription: SUB, subscription_item: 'si_test_renewal' } },
    pricing: { type: 'price_details', price_details: { price: 'price_test_annual', product: 'prod_test_annual' } },
  };
}

/** A pre-basil line naming its price. */
function legacyLine(interval: string, count: number): Record<string, unknown> {
  return {
    object: 'line_item',
    amount: 120_000,
    currency: 'usd',
    period: { start: RENEWAL, end: RENEWAL + 30 * DAY },
    proration: false,
    price: { id: 'price_test_legacy', object: 'price', recurring: { interval, interval_count: count, usage_type: 'licensed' } },
    subscription_item: 'si_test_legacy',
    type: 'subscription',
  };
}

function reminderOf(lines: readonly Record<string, unknown>[], invoice: Record<string, unknown> = {}, apiVersion = '2025-03-31.basil'): RenewalReminder {
  const json = upcomingInvoiceEvent(
    {
      currency: 'usd',
      customer_name: 'Acme Corp',
      parent: { type: 'subscription_details', subscription_details: { metadata: {}, subscription: SUB } },
      lines: { object: 'list', data: lines, has_more: false, url: '/v1/invoices/upcoming/lines' },
      ...invoice,
    },
    apiVersion,
  );
  const reminder = mapped(mapJson(json)).reminder;
  if (reminder === undefined) throw new Error('no reminder');
  return reminder;
}

describe('which renewals get an Opportunity: a term of a year or longer', () => {
  const year = 365 * DAY;
  it.each([
    ['basil, yearly (365 days)', [basilLine(RENEWAL + year)], true],
    ['basil, yearly over a leap day (366 days)', [basilLine(RENEWAL + year + DAY)], true],
    ['basil, two years', [basilLine(RENEWAL + 2 * year)], true],
    ['basil, monthly', [basilLine(RENEWAL + 31 * DAY)], false],
    ['basil, 52 weeks (364 days)', [basilLine(RENEWAL + 364 * DAY)], false],
    ['basil, a yearly proration line only', [basilLine(RENEWAL + year, true)], false],
    ['basil, monthly next to an annual add-on', [basilLine(RENEWAL + 30 * DAY), basilLine(RENEWAL + year)], true],
    ['before basil, interval year', [legacyLine('year', 1)], true],
    ['before basil, interval month × 12', [legacyLine('month', 12)], true],
    ['before basil, interval month × 24', [legacyLine('month', 24)], true],
    ['before basil, interval month × 6', [legacyLine('month', 6)], false],
    ['before basil, interval month', [legacyLine('month', 1)], false],
    ['no lines', [], false],
  ] as const)('%s → %s', (_label, lines, annual) => {
    const version = lines.some((l) => 'price' in l) ? '2024-06-20' : '2025-03-31.basil';
    const reminder = reminderOf(lines, version === '2024-06-20' ? { subscription: SUB, parent: undefined } : {}, version);
    expect(reminder.renewal?.annualTerm).toBe(annual);
    const opportunity = renewalOpportunity(reminder, { accountId: ACCOUNT, ownerId: OWNER }, SETTINGS, USD_ORG);
    expect(opportunity === undefined).toBe(!annual);
  });
});

describe('renewalOpportunity', () => {
  it('a yearly renewal: inserted (create-only) with its period key, closing on the renewal day, worth the upcoming invoice, in the configured stage, for the Account owner', () => {
    const reminder = reminderOf([basilLine(RENEWAL + 365 * DAY)]);
    expect(renewalOpportunity(reminder, { accountId: ACCOUNT, ownerId: OWNER }, { stage: 'Renewal' }, USD_ORG)).toEqual({
      sobject: 'Opportunity',
      key: { field: 'Stripe_Renewal_Key__c', value: `renewal:${SUB}:${RENEWAL}` },
      fields: {
        Name: 'Acme Corp renewal 2025-12-09',
        AccountId: ACCOUNT,
        CloseDate: '2025-12-09',
        StageName: 'Renewal',
        Amount: 1200,
        Description: `Renewal of Stripe subscription ${SUB} on 2025-12-09 (UTC); upcoming invoice 1,200.00 USD. https://dashboard.stripe.com/test/subscriptions/${SUB}`,
        OwnerId: OWNER,
      },
      createOnly: true,
      skipIfRefused: { errorCode: ['INVALID_CROSS_REFERENCE_KEY', 'ENTITY_IS_DELETED'], field: 'AccountId' },
    });
  });

  it('same key as the period Task: one Opportunity per renewal, whatever the event', () => {
    const reminder = reminderOf([basilLine(RENEWAL + 365 * DAY)]);
    expect(renewalOpportunity(reminder, { accountId: ACCOUNT, ownerId: OWNER }, SETTINGS, USD_ORG)?.key.value).toBe(reminder.key);
  });

  it('multi-currency org: the amount in the invoice currency (zero-decimal JPY in yen), with CurrencyIsoCode', () => {
    const reminder = reminderOf([basilLine(RENEWAL + 365 * DAY)], { amount_due: 1_200_000, currency: 'jpy' });
    expect(renewalOpportunity(reminder, { accountId: ACCOUNT, ownerId: OWNER }, SETTINGS, MULTI)?.fields).toMatchObject({ Amount: 1_200_000, CurrencyIsoCode: 'JPY' });
  });

  it('single-currency org billed in another currency: no Amount (never a wrong one), the amount in the Description', () => {
    const reminder = reminderOf([basilLine(RENEWAL + 365 * DAY)], { currency: 'eur' });
    const fields = renewalOpportunity(reminder, { accountId: ACCOUNT, ownerId: OWNER }, SETTINGS, USD_ORG)?.fields ?? {};
    expect(fields).not.toHaveProperty('Amount');
    expect(fields).not.toHaveProperty('CurrencyIsoCode');
    expect(fields['Description']).toContain('1,200.00 EUR (not in the org currency: no Amount)');
  });

  it('owner from the roll-up: no OwnerId, the customer instead; no customer name: named after the subscription', () => {
    const reminder = reminderOf([basilLine(RENEWAL + 365 * DAY)], { customer_name: null });
    const fields = renewalOpportunity(reminder, { accountId: ACCOUNT, ownerFromRollupOf: 'cus_QXg1o8vcGmoR32' }, SETTINGS, USD_ORG)?.fields ?? {};
    expect(fields).toMatchObject({ Name: `${SUB} renewal 2025-12-09`, Stripe_Customer_Id__c: 'cus_QXg1o8vcGmoR32' });
    expect(fields).not.toHaveProperty('OwnerId');
  });

  it('no Opportunity for a trial end', () => {
    const trial: RenewalReminder = { ...reminderOf([basilLine(RENEWAL + 365 * DAY)]), kind: 'trial_end' };
    expect(renewalOpportunity(trial, { accountId: ACCOUNT, ownerId: OWNER }, SETTINGS, USD_ORG)).toBeUndefined();
  });

  it('links live subscriptions to the live Dashboard', () => {
    expect(stripeDashboardPage('subscriptions', 'sub_123', true)).toBe('https://dashboard.stripe.com/subscriptions/sub_123');
  });
});
