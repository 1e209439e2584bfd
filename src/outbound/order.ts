/**
 * An Order as the billing commands bill it, read in one query: the Order, its Account and its
 * OrderItems (Object Reference, Order and OrderItem:
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_order.htm).
 */
import * as z from 'zod/mini';
import {
  ACCOUNT_FIELDS,
  accountSchema,
  checkedId,
  completeLines,
  parseRecord,
  PRODUCT_LINE_FIELDS,
  productLinesSchema,
  SHOWN_BILLING_FIELDS,
  shownBillingOf,
  shownBillingShape,
  text,
  toBillableAccount,
  toProductLine,
  type BillableRecord,
} from './billable.js';

export function orderQuery(orderId: string, options: { readonly multiCurrency: boolean }): string {
  const fields = [
    'Id',
    'Name',
    'OrderNumber',
    'AccountId',
    'OpportunityId',
    ...(options.multiCurrency ? ['CurrencyIsoCode'] : []),
    ...SHOWN_BILLING_FIELDS,
    ...ACCOUNT_FIELDS.map((f) => `Account.${f}`),
    `(SELECT ${PRODUCT_LINE_FIELDS.join(', ')} FROM OrderItems)`,
  ];
  return `SELECT ${fields.join(', ')} FROM Order WHERE Id = '${checkedId(orderId)}'`;
}

const orderSchema = z.object({
  Id: z.string(),
  Name: text,
  OrderNumber: text,
  AccountId: text,
  OpportunityId: text,
  CurrencyIsoCode: text,
  ...shownBillingShape,
  Account: z.nullish(accountSchema),
  OrderItems: productLinesSchema,
});

export function toBillableOrder(record: unknown): BillableRecord {
  const o = parseRecord(orderSchema, record, 'Order');
  return {
    sobject: 'Order',
    id: o.Id,
    name: o.Name ?? (o.OrderNumber === undefined ? undefined : `Order ${o.OrderNumber}`),
    accountId: o.AccountId,
    amount: undefined,
    currencyIsoCode: o.CurrencyIsoCode,
    paymentMode: undefined,
    ...shownBillingOf(o),
    account: toBillableAccount(o.AccountId, o.Account),
    lineItems: completeLines(o.OrderItems, 'Order').map(toProductLine),
    opportunityId: o.OpportunityId,
  };
}
