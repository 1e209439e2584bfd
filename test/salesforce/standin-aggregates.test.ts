/**
 * The stand-in answers the Account roll-up's queries as Salesforce documents them (SOQL and SOSL
 * Reference): "Aggregate Functions" (SUM, COUNT, MAX, MIN; a result without an alias is named
 * expr0, expr1, …), "GROUP BY" (one AggregateResult per group; a field selected outside an
 * aggregate must be grouped), child relationship subqueries with WHERE / ORDER BY / LIMIT,
 * semi-joins, and "convertCurrency()" ("If a query includes a GROUP BY or HAVING clause, any
 * currency data returned by using an aggregate function, such as SUM() or MAX(), is in the org's
 * default currency"). CurrencyType exists in multi-currency orgs only (Object Reference).
 */
import { Connection } from 'jsforce/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceStandIn, type SalesforceStandIn } from '../../src/local/standins/salesforce-standin.js';
import { API_VERSION, requestError } from './helpers.js';

let sf: SalesforceStandIn;
let conn: Connection;
let acme: string;

beforeAll(async () => {
  sf = await startSalesforceStandIn();
  conn = new Connection({ instanceUrl: sf.url, accessToken: sf.issueToken(), version: API_VERSION });
  acme = sf.insert('Account', { Name: 'Acme', Stripe_Customer_Id__c: 'cus_acme' });
  const other = sf.insert('Account', { Name: 'Other', Stripe_Customer_Id__c: 'cus_other' });
  const pay = (account: string, status: string, amount: number, currency: string, paidAt: string | null) =>
    sf.insert('Stripe_Payment__c', { Account__c: account, Status__c: status, Amount__c: amount, Currency_Code__c: currency, Paid_At__c: paidAt });
  pay(acme, 'Succeeded', 10, 'USD', '2026-01-01T00:00:00.000Z');
  pay(acme, 'Succeeded', 5.5, 'USD', '2026-01-03T00:00:00.000Z');
  pay(acme, 'Failed', 7, 'USD', null);
  pay(acme, 'Succeeded', 1000, 'JPY', '2026-01-02T00:00:00.000Z');
  pay(other, 'Succeeded', 99, 'USD', '2026-01-05T00:00:00.000Z');
});
afterAll(async () => sf.close());

describe('Salesforce stand-in: aggregate queries', () => {
  it('groups, sums, counts and names unaliased aggregates expr0, expr1', async () => {
    const result = await conn.query<Record<string, unknown>>(
      "SELECT Currency_Code__c, Status__c, SUM(Amount__c) total, COUNT(Id), MAX(Paid_At__c) FROM Stripe_Payment__c WHERE Account__c IN (SELECT Id FROM Account WHERE Stripe_Customer_Id__c IN ('cus_acme')) GROUP BY Currency_Code__c, Status__c",
    );
    const rows = result.records.map(({ attributes, ...rest }) => ({ type: (attributes as { type: string }).type, ...rest }));
    expect(rows).toEqual([
      { type: 'AggregateResult', Currency_Code__c: 'USD', Status__c: 'Succeeded', total: 15.5, expr0: 2, expr1: '2026-01-03T00:00:00.000Z' },
      { type: 'AggregateResult', Currency_Code__c: 'USD', Status__c: 'Failed', total: 7, expr0: 1, expr1: null },
      { type: 'AggregateResult', Currency_Code__c: 'JPY', Status__c: 'Succeeded', total: 1000, expr0: 1, expr1: '2026-01-02T00:00:00.000Z' },
    ]);
  });

  it('refuses a selected field that is not grouped', async () => {
    const error = await requestError(conn.query('SELECT Status__c, SUM(Amount__c) FROM Stripe_Payment__c GROUP BY Currency_Code__c'));
    expect(error.errorCode).toBe('MALFORMED_QUERY');
  });

  it('answers a child subquery with its own WHERE, ORDER BY and LIMIT', async () => {
    const result = await conn.query<Record<string, any>>(
      "SELECT Id, (SELECT Amount__c, Paid_At__c FROM Stripe_Payments__r WHERE Paid_At__c != null ORDER BY Paid_At__c DESC LIMIT 1) FROM Account WHERE Stripe_Customer_Id__c = 'cus_acme'",
    );
    expect(result.records[0]?.Stripe_Payments__r.records).toEqual([
      expect.objectContaining({ Amount__c: 5.5, Paid_At__c: '2026-01-03T00:00:00.000Z' }),
    ]);
  });

  it('has no CurrencyType in a single-currency org, and its rates in a multi-currency one', async () => {
    expect((await requestError(conn.query('SELECT IsoCode, ConversionRate FROM CurrencyType'))).errorCode).toBe('INVALID_TYPE');
    sf.setOrganization({ multiCurrency: true, conversionRates: { USD: 1, EUR: 0.9 } });
    try {
      const result = await conn.query<Record<string, unknown>>('SELECT IsoCode, ConversionRate FROM CurrencyType WHERE IsActive = true');
      expect(result.records.map((r) => [r['IsoCode'], r['ConversionRate']])).toEqual([
        ['USD', 1],
        ['EUR', 0.9],
      ]);
      // A currency field summed with GROUP BY comes back in the corporate currency.
      sf.insert('Opportunity', { Name: 'EUR deal', StageName: 'Closed Won', AccountId: acme, Amount: 90, CurrencyIsoCode: 'EUR' });
      sf.insert('Opportunity', { Name: 'USD deal', StageName: 'Closed Won', AccountId: acme, Amount: 50, CurrencyIsoCode: 'USD' });
      const sums = await conn.query<Record<string, unknown>>(`SELECT AccountId, SUM(Amount) total FROM Opportunity WHERE AccountId = '${acme}' GROUP BY AccountId`);
      expect(sums.records[0]?.['total']).toBeCloseTo(150, 9);
    } finally {
      sf.setOrganization({ multiCurrency: false, conversionRates: { USD: 1 } });
    }
  });
});
