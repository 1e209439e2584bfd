/**
 * An Order as the billing commands bill it, read in one query: the Order, its Account and its
 * OrderItems (Object Reference, Order and OrderItem:
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_order.htm).
 */
import * as z from 'zod';
import {
  ACCOUNT_FIELDS,
  accountSchema,
  checkedId,
  completeLines,
  parseRecord,
  PRODUCT_LINE_FIELDS,
  productLineSchema,
  SHOWN_BILLING_FIELDS,
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
    'Stripe_Checkout_Session_Id__c',
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
  Stripe_Invoice_Id__c: text,
  Stripe_Payment_Link_Id__c: text,
  Stripe_Payment_Link_Url__c: text,
  Stripe_Payment_Status__c: text,
  Stripe_Checkout_Session_Id__c: text,
  Account: accountSchema.nullish(),
  OrderItems: z.object({ done: z.boolean().optional(), records: z.array(productLineSchema) }).nullish(),
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
    stripeInvoiceId: o.Stripe_Invoice_Id__c,
    stripePaymentLinkId: o.Stripe_Payment_Link_Id__c,
    stripePaymentLinkUrl: o.Stripe_Payment_Link_Url__c,
    stripeCheckoutSessionId: o.Stripe_Checkout_Session_Id__c,
    stripePaymentStatus: o.Stripe_Payment_Status__c,
    account: toBillableAccount(o.AccountId, o.Account),
    lineItems: completeLines(o.OrderItems, 'Order').map(toProductLine),
    opportunityId: o.OpportunityId,
  };
}
