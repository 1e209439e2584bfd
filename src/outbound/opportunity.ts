/**
 * The Opportunity as the outbound flow bills it: the record, its Account and its line items,
 * read in one SOQL query. Values are validated here so the planner works on plain, typed data.
 */
import * as z from 'zod';
import { PermanentError } from '../errors.js';

export interface BillingAddress {
  readonly street: string | undefined;
  readonly city: string | undefined;
  readonly state: string | undefined;
  readonly postalCode: string | undefined;
  readonly country: string | undefined;
}

export interface BillableAccount {
  readonly id: string;
  readonly name: string | undefined;
  readonly stripeCustomerId: string | undefined;
  readonly billingEmail: string | undefined;
  readonly billingAddress: BillingAddress;
}

export interface BillableLineItem {
  readonly id: string;
  /** The product name Salesforce gives the line (read-only `Name`). */
  readonly name: string | undefined;
  readonly description: string | undefined;
  readonly quantity: number | undefined;
  readonly unitPrice: number | undefined;
}

export interface BillableOpportunity {
  readonly id: string;
  readonly name: string | undefined;
  readonly accountId: string | undefined;
  readonly amount: number | undefined;
  /** Only read in multi-currency orgs (the field does not exist otherwise). */
  readonly currencyIsoCode: string | undefined;
  readonly paymentMode: string | undefined;
  readonly stripeInvoiceId: string | undefined;
  readonly stripePaymentLinkId: string | undefined;
  readonly stripePaymentLinkUrl: string | undefined;
  /** Set by Stripe webhooks; a settled status is never overwritten by the write-back. */
  readonly stripePaymentStatus: string | undefined;
  /** Undefined when AccountId is blank or the Account is not visible to the integration user. */
  readonly account: BillableAccount | undefined;
  readonly lineItems: readonly BillableLineItem[];
}

const ACCOUNT_FIELDS = [
  'Name',
  'Stripe_Customer_Id__c',
  'Stripe_Billing_Email__c',
  'BillingStreet',
  'BillingCity',
  'BillingState',
  'BillingPostalCode',
  'BillingCountry',
] as const;

const LINE_FIELDS = ['Id', 'Name', 'Description', 'Quantity', 'UnitPrice'] as const;

/** One query, one API call: the Opportunity, parent Account fields and the line items subquery. */
export function opportunityQuery(opportunityId: string, options: { readonly multiCurrency: boolean }): string {
  if (!/^[a-zA-Z0-9]{15,18}$/.test(opportunityId)) {
    // The id was validated with the event; this guards the string we splice into SOQL.
    throw new PermanentError('Not a record id', { code: 'OPPORTUNITY_ID_INVALID' });
  }
  const fields = [
    'Id',
    'Name',
    'AccountId',
    'Amount',
    ...(options.multiCurrency ? ['CurrencyIsoCode'] : []),
    'Stripe_Payment_Mode__c',
    'Stripe_Invoice_Id__c',
    'Stripe_Payment_Link_Id__c',
    'Stripe_Payment_Link_Url__c',
    'Stripe_Payment_Status__c',
    ...ACCOUNT_FIELDS.map((f) => `Account.${f}`),
    `(SELECT ${LINE_FIELDS.join(', ')} FROM OpportunityLineItems)`,
  ];
  return `SELECT ${fields.join(', ')} FROM Opportunity WHERE Id = '${opportunityId}'`;
}

const text = z
  .string()
  .nullish()
  .transform((v) => (v === null || v === undefined || v.trim() === '' ? undefined : v));
/** Salesforce sends currency and double fields as JSON numbers; accept numeric strings too. */
const decimal = z
  .union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/).transform(Number)])
  .nullish()
  .transform((v) => v ?? undefined);

const accountSchema = z.object({
  Name: text,
  Stripe_Customer_Id__c: text,
  Stripe_Billing_Email__c: text,
  BillingStreet: text,
  BillingCity: text,
  BillingState: text,
  BillingPostalCode: text,
  BillingCountry: text,
});

const lineSchema = z.object({
  Id: z.string(),
  Name: text,
  Description: text,
  Quantity: decimal,
  UnitPrice: decimal,
});

const opportunitySchema = z.object({
  Id: z.string(),
  Name: text,
  AccountId: text,
  Amount: decimal,
  CurrencyIsoCode: text,
  Stripe_Payment_Mode__c: text,
  Stripe_Invoice_Id__c: text,
  Stripe_Payment_Link_Id__c: text,
  Stripe_Payment_Link_Url__c: text,
  Stripe_Payment_Status__c: text,
  Account: accountSchema.nullish(),
  OpportunityLineItems: z.object({ done: z.boolean().optional(), records: z.array(lineSchema) }).nullish(),
});

/** A query record → BillableOpportunity; a shape we cannot read is a permanent failure. */
export function toBillableOpportunity(record: unknown): BillableOpportunity {
  const parsed = opportunitySchema.safeParse(record);
  if (!parsed.success) {
    const paths = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new PermanentError(`Unexpected Opportunity query result (fields: ${paths})`, { code: 'OPPORTUNITY_SHAPE' });
  }
  const o = parsed.data;
  if (o.OpportunityLineItems?.done === false) {
    // Stripe takes at most 250 invoice items anyway; a paged subquery is far beyond that.
    throw new PermanentError('The Opportunity has more products than one query returns', { code: 'TOO_MANY_LINES' });
  }
  const account =
    o.AccountId === undefined || o.Account === null || o.Account === undefined
      ? undefined
      : {
          id: o.AccountId,
          name: o.Account.Name,
          stripeCustomerId: o.Account.Stripe_Customer_Id__c,
          billingEmail: o.Account.Stripe_Billing_Email__c,
          billingAddress: {
            street: o.Account.BillingStreet,
            city: o.Account.BillingCity,
            state: o.Account.BillingState,
            postalCode: o.Account.BillingPostalCode,
            country: o.Account.BillingCountry,
          },
        };
  return {
    id: o.Id,
    name: o.Name,
    accountId: o.AccountId,
    amount: o.Amount,
    currencyIsoCode: o.CurrencyIsoCode,
    paymentMode: o.Stripe_Payment_Mode__c,
    stripeInvoiceId: o.Stripe_Invoice_Id__c,
    stripePaymentLinkId: o.Stripe_Payment_Link_Id__c,
    stripePaymentLinkUrl: o.Stripe_Payment_Link_Url__c,
    stripePaymentStatus: o.Stripe_Payment_Status__c,
    account,
    lineItems: (o.OpportunityLineItems?.records ?? []).map((l) => ({
      id: l.Id,
      name: l.Name,
      description: l.Description,
      quantity: l.Quantity,
      unitPrice: l.UnitPrice,
    })),
  };
}
