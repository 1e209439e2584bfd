/**
 * The Opportunity as the outbound flow bills it: the record, its Account and its line items,
 * read in one SOQL query. Values are validated here so the planner works on plain, typed data.
 */
import * as z from 'zod/mini';
import { PermanentError } from '../errors.js';
import {
  ACCOUNT_FIELDS,
  accountSchema,
  decimal,
  QUOTE_LINE_FIELDS,
  quoteLineSchema,
  text,
  toBillableAccount,
  toProductLine,
  type BillableLineItem,
  type BillableRecord,
} from './billable.js';

export type { BillableAccount, BillableLineItem, BillingAddress } from './billable.js';

export interface BillableOpportunity extends BillableRecord {
  readonly sobject: 'Opportunity';
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
  readonly lineItems: readonly BillableLineItem[];
}

/**
 * Discount is the line's percent off: Salesforce's TotalPrice is Quantity × UnitPrice × (1 −
 * Discount/100) (Object Reference, OpportunityLineItem), and that is what the line bills.
 */
/** A Quote's line fields (a product line with its Discount) and the line's own Name. */
const LINE_FIELDS = [...QUOTE_LINE_FIELDS, 'Name'] as const;

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
    'Stripe_Checkout_Session_Id__c',
    'Stripe_Collection_Method__c',
    'Stripe_Subscription_Start_Date__c',
    'Stripe_Trial_Days__c',
    'Stripe_Term_Months__c',
    ...ACCOUNT_FIELDS.map((f) => `Account.${f}`),
    `(SELECT ${LINE_FIELDS.join(', ')} FROM OpportunityLineItems)`,
  ];
  return `SELECT ${fields.join(', ')} FROM Opportunity WHERE Id = '${opportunityId}'`;
}

const lineSchema = z.object({ ...quoteLineSchema.shape, Name: text });

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
  Stripe_Checkout_Session_Id__c: text,
  Stripe_Collection_Method__c: text,
  Stripe_Subscription_Start_Date__c: text,
  Stripe_Trial_Days__c: decimal,
  Stripe_Term_Months__c: decimal,
  Account: z.nullish(accountSchema),
  OpportunityLineItems: z.nullish(z.object({ done: z.optional(z.boolean()), records: z.array(lineSchema) })),
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
  return {
    sobject: 'Opportunity',
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
    stripeCheckoutSessionId: o.Stripe_Checkout_Session_Id__c,
    account: toBillableAccount(o.AccountId, o.Account),
    subscriptionTerms: {
      collectionMethod: o.Stripe_Collection_Method__c,
      startDate: o.Stripe_Subscription_Start_Date__c,
      trialDays: o.Stripe_Trial_Days__c,
      termMonths: o.Stripe_Term_Months__c,
    },
    // An OpportunityLineItem has a Name of its own; Quote and Order lines show their product's.
    lineItems: (o.OpportunityLineItems?.records ?? []).map((l) => ({ ...toProductLine(l), name: l.Name })),
  };
}
