/**
 * A Quote as the billing commands bill it, read in one query: the Quote, its Account (Quote.AccountId,
 * set from the Opportunity) and its QuoteLineItems. Each line is billed at what Salesforce says it is worth, its Discount
 * applied (QuoteLineItem.TotalPrice = Quantity × UnitPrice × (1 − Discount/100)); what Salesforce
 * computed on top (TotalPrice, the lines after discounts; Tax; ShippingHandling; GrandTotal) is
 * carried as adjustments, and the bill must add up to it. Object Reference, Quote and
 * QuoteLineItem: https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_quote.htm
 */
import * as z from 'zod/mini';
import {
  ACCOUNT_FIELDS,
  accountSchema,
  checkedId,
  completeLines,
  decimal,
  parseRecord,
  QUOTE_LINE_FIELDS,
  quoteLinesSchema,
  SHOWN_BILLING_FIELDS,
  shownBillingOf,
  shownBillingShape,
  text,
  toBillableAccount,
  toProductLine,
  type BillableRecord,
} from './billable.js';

export function quoteQuery(quoteId: string, options: { readonly multiCurrency: boolean }): string {
  const fields = [
    'Id',
    'Name',
    'OpportunityId',
    'AccountId',
    ...(options.multiCurrency ? ['CurrencyIsoCode'] : []),
    'TotalPrice',
    'Tax',
    'ShippingHandling',
    'GrandTotal',
    ...SHOWN_BILLING_FIELDS,
    ...ACCOUNT_FIELDS.map((f) => `Account.${f}`),
    `(SELECT ${QUOTE_LINE_FIELDS.join(', ')} FROM QuoteLineItems)`,
  ];
  return `SELECT ${fields.join(', ')} FROM Quote WHERE Id = '${checkedId(quoteId)}'`;
}

const quoteSchema = z.object({
  Id: z.string(),
  Name: text,
  OpportunityId: text,
  AccountId: text,
  CurrencyIsoCode: text,
  TotalPrice: decimal,
  Tax: decimal,
  ShippingHandling: decimal,
  GrandTotal: decimal,
  ...shownBillingShape,
  Account: z.nullish(accountSchema),
  QuoteLineItems: quoteLinesSchema,
});

export function toBillableQuote(record: unknown): BillableRecord {
  const q = parseRecord(quoteSchema, record, 'Quote');
  return {
    sobject: 'Quote',
    id: q.Id,
    name: q.Name,
    accountId: q.AccountId,
    amount: undefined,
    currencyIsoCode: q.CurrencyIsoCode,
    paymentMode: undefined,
    ...shownBillingOf(q),
    account: toBillableAccount(q.AccountId, q.Account),
    lineItems: completeLines(q.QuoteLineItems, 'Quote').map(toProductLine),
    adjustments: { totalAfterDiscount: q.TotalPrice, tax: q.Tax, shipping: q.ShippingHandling, grandTotal: q.GrandTotal },
    opportunityId: q.OpportunityId,
  };
}
