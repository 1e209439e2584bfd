/**
 * A revenue record as the billing commands bill it, whatever its object: the record, its Account
 * and its product lines, plus what the record adds on top of its lines (a Quote's discount, tax
 * and shipping). Readers per object (opportunity.ts, quote.ts, order.ts, contract.ts) turn one
 * query result into this shape; the planner works on it alone.
 */
import * as z from 'zod/mini';
import { PermanentError } from '../errors.js';

export type BillableObject = 'Opportunity' | 'Quote' | 'Order' | 'Contract';

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

/** The line's Product2 as the catalogue sells it (docs/subscriptions.md). */
export interface BillableProduct {
  readonly id: string;
  readonly name: string | undefined;
  /** Stripe_Billing_Interval__c: blank is a one-time product. */
  readonly interval: string | undefined;
  readonly intervalCount: number | undefined;
  readonly usageType: string | undefined;
  readonly stripeProductId: string | undefined;
}

/** The line's price book entry: its list price is what the catalogue sync sells as a Stripe Price. */
export interface BillablePricebookEntry {
  readonly id: string;
  /** List price, major units. */
  readonly unitPrice: number | undefined;
  readonly stripePriceId: string | undefined;
}

/** The Stripe Price the catalogue sync holds for a line's entry (src/catalog), set before planning. */
export interface CatalogPrice {
  readonly priceId: string;
  readonly productId: string;
  /** The list price in minor units: the price is used only when the line sells at it. */
  readonly unitAmount: number;
  /** Undefined for a one-time price (no recurrence): the only kind an invoice item, a payment-mode Checkout or a payment link sells. */
  readonly usageType: 'licensed' | 'metered' | undefined;
}

export interface BillableLineItem {
  readonly id: string;
  /** The product name (OpportunityLineItem.Name, or Product2.Name on Quote and Order lines). */
  readonly name: string | undefined;
  readonly description: string | undefined;
  readonly quantity: number | undefined;
  readonly unitPrice: number | undefined;
  /**
   * The line's Discount, a percent (10 is 10 % off; OpportunityLineItem and QuoteLineItem, not
   * OrderItem, which has none). Salesforce's TotalPrice is Quantity × UnitPrice × (1 − Discount/100):
   * that, not UnitPrice × Quantity, is what the line is worth (billing-lines.ts).
   */
  readonly discount?: number | undefined;
  /** Undefined for a line without a product (or a product the integration user cannot see). */
  readonly product?: BillableProduct | undefined;
  readonly pricebookEntry?: BillablePricebookEntry | undefined;
  readonly catalogPrice?: CatalogPrice | undefined;
}

/** How the `subscription` command starts a record's subscription (Opportunity fields). */
export interface SubscriptionTerms {
  readonly collectionMethod: string | undefined;
  /** `YYYY-MM-DD`. */
  readonly startDate: string | undefined;
  readonly trialDays: number | undefined;
  readonly termMonths: number | undefined;
}

/** What a record bills beyond its lines, in major units of its currency, as Salesforce computed them. */
export interface BillableAdjustments {
  /** The lines' total after discounts (Quote.TotalPrice): lines minus this is the discount. */
  readonly totalAfterDiscount: number | undefined;
  readonly tax: number | undefined;
  readonly shipping: number | undefined;
  /** What the record says it comes to (Quote.GrandTotal): the bill must add up to it exactly. */
  readonly grandTotal: number | undefined;
}

export interface BillableRecord {
  readonly sobject: BillableObject;
  readonly id: string;
  readonly name: string | undefined;
  readonly accountId: string | undefined;
  /** Billed when there are no lines (Opportunity.Amount). */
  readonly amount: number | undefined;
  /** Only read in multi-currency orgs (the field does not exist otherwise). */
  readonly currencyIsoCode: string | undefined;
  /** Opportunity.Stripe_Payment_Mode__c; the other objects name the command's mode. */
  readonly paymentMode: string | undefined;
  readonly stripeInvoiceId: string | undefined;
  readonly stripePaymentLinkId?: string | undefined;
  readonly stripePaymentLinkUrl: string | undefined;
  /** The Checkout Session a previous `checkout` command issued (expired before a new one). */
  readonly stripeCheckoutSessionId?: string | undefined;
  /** Set by Stripe webhooks; a settled status is never overwritten by the write-back. */
  readonly stripePaymentStatus: string | undefined;
  /** Undefined when AccountId is blank or the Account is not visible to the integration user. */
  readonly account: BillableAccount | undefined;
  readonly lineItems: readonly BillableLineItem[];
  readonly adjustments?: BillableAdjustments | undefined;
  /** The Opportunity a Quote or Order belongs to. */
  readonly opportunityId?: string | undefined;
  /** Read on Opportunities only; other records take the command's options and defaults. */
  readonly subscriptionTerms?: SubscriptionTerms | undefined;
}

export const ACCOUNT_FIELDS = [
  'Name',
  'Stripe_Customer_Id__c',
  'Stripe_Billing_Email__c',
  'BillingStreet',
  'BillingCity',
  'BillingState',
  'BillingPostalCode',
  'BillingCountry',
] as const;


export const text = z.pipe(
  z.nullish(z.string()),
  z.transform((v) => (v === null || v === undefined || v.trim() === '' ? undefined : v)),
);
/** Salesforce sends currency and double fields as JSON numbers; accept numeric strings too. */
export const decimal = z.pipe(
  z.nullish(z.union([z.number(), z.pipe(z.string().check(z.regex(/^-?\d+(\.\d+)?$/)), z.transform(Number))])),
  z.transform((v) => v ?? undefined),
);

/** The write-back fields a reader needs to know what a Quote, Order or Contract already shows. */
export const shownBillingShape = {
  Stripe_Invoice_Id__c: text,
  Stripe_Payment_Link_Id__c: text,
  Stripe_Payment_Link_Url__c: text,
  Stripe_Payment_Status__c: text,
  Stripe_Checkout_Session_Id__c: text,
};
export const SHOWN_BILLING_FIELDS = Object.keys(shownBillingShape);

type ShownBillingValues = { readonly [K in keyof typeof shownBillingShape]: string | undefined };

export function shownBillingOf(r: ShownBillingValues): Pick<BillableRecord, 'stripeInvoiceId' | 'stripePaymentLinkId' | 'stripePaymentLinkUrl' | 'stripePaymentStatus' | 'stripeCheckoutSessionId'> {
  return {
    stripeInvoiceId: r.Stripe_Invoice_Id__c,
    stripePaymentLinkId: r.Stripe_Payment_Link_Id__c,
    stripePaymentLinkUrl: r.Stripe_Payment_Link_Url__c,
    stripePaymentStatus: r.Stripe_Payment_Status__c,
    stripeCheckoutSessionId: r.Stripe_Checkout_Session_Id__c,
  };
}

export const accountSchema = z.object({
  Name: text,
  Stripe_Customer_Id__c: text,
  Stripe_Billing_Email__c: text,
  BillingStreet: text,
  BillingCity: text,
  BillingState: text,
  BillingPostalCode: text,
  BillingCountry: text,
});

/** The catalogue fields of a line's Product2 (relationship `Product2` on every line object). */
export const product2Schema = z.nullish(
  z.object({
    Name: text,
    Stripe_Billing_Interval__c: text,
    Stripe_Interval_Count__c: decimal,
    Stripe_Usage_Type__c: text,
    Stripe_Product_Id__c: text,
  }),
);
export const PRODUCT2_FIELDS = [
  'Product2Id',
  'Product2.Name',
  'Product2.Stripe_Billing_Interval__c',
  'Product2.Stripe_Interval_Count__c',
  'Product2.Stripe_Usage_Type__c',
  'Product2.Stripe_Product_Id__c',
  'PricebookEntryId',
  'PricebookEntry.UnitPrice',
  'PricebookEntry.Stripe_Price_Id__c',
] as const;

/** The line's PricebookEntry fields (relationship `PricebookEntry` on every line object). */
export const pricebookEntrySchema = z.nullish(z.object({ UnitPrice: decimal, Stripe_Price_Id__c: text }));

export function toBillablePricebookEntry(entryId: string | undefined, entry: z.infer<typeof pricebookEntrySchema>): BillablePricebookEntry | undefined {
  if (entryId === undefined || entry === null || entry === undefined) return undefined;
  return { id: entryId, unitPrice: entry.UnitPrice, stripePriceId: entry.Stripe_Price_Id__c };
}

export function toBillableProduct(productId: string | undefined, product: z.infer<typeof product2Schema>): BillableProduct | undefined {
  if (productId === undefined || product === null || product === undefined) return undefined;
  return {
    id: productId,
    name: product.Name,
    interval: product.Stripe_Billing_Interval__c,
    intervalCount: product.Stripe_Interval_Count__c,
    usageType: product.Stripe_Usage_Type__c,
    stripeProductId: product.Stripe_Product_Id__c,
  };
}

/** A Quote or Order line: the product name through Product2. */
export const productLineSchema = z.object({
  Id: z.string(),
  Product2Id: text,
  Product2: product2Schema,
  PricebookEntryId: text,
  PricebookEntry: pricebookEntrySchema,
  Description: text,
  Quantity: decimal,
  UnitPrice: decimal,
});

/** A child relationship of product lines as SOQL returns it (`done` false when Salesforce paged it). */
export const productLinesSchema = z.nullish(z.object({ done: z.optional(z.boolean()), records: z.array(productLineSchema) }));

export const PRODUCT_LINE_FIELDS = ['Id', ...PRODUCT2_FIELDS, 'Description', 'Quantity', 'UnitPrice'] as const;

/**
 * A QuoteLineItem: a product line with a Discount (percent). OrderItem has no Discount field
 * (Object Reference, OrderItem), so Order and Contract lines read PRODUCT_LINE_FIELDS only.
 */
export const quoteLineSchema = z.object({ ...productLineSchema.shape, Discount: decimal });
export const quoteLinesSchema = z.nullish(z.object({ done: z.optional(z.boolean()), records: z.array(quoteLineSchema) }));
export const QUOTE_LINE_FIELDS = [...PRODUCT_LINE_FIELDS, 'Discount'] as const;

export function toProductLine(line: z.infer<typeof productLineSchema> & { readonly Discount?: number | undefined }): BillableLineItem {
  return {
    id: line.Id,
    name: line.Product2?.Name,
    description: line.Description,
    quantity: line.Quantity,
    unitPrice: line.UnitPrice,
    discount: line.Discount,
    product: toBillableProduct(line.Product2Id, line.Product2),
    pricebookEntry: toBillablePricebookEntry(line.PricebookEntryId, line.PricebookEntry),
  };
}

export function toBillableAccount(accountId: string | undefined, account: z.infer<typeof accountSchema> | null | undefined): BillableAccount | undefined {
  if (accountId === undefined || account === null || account === undefined) return undefined;
  return {
    id: accountId,
    name: account.Name,
    stripeCustomerId: account.Stripe_Customer_Id__c,
    billingEmail: account.Stripe_Billing_Email__c,
    billingAddress: {
      street: account.BillingStreet,
      city: account.BillingCity,
      state: account.BillingState,
      postalCode: account.BillingPostalCode,
      country: account.BillingCountry,
    },
  };
}

/** Guards the id spliced into SOQL (it was validated with the command already). */
export function checkedId(recordId: string): string {
  if (!/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/.test(recordId)) throw new PermanentError('Not a record id', { code: 'RECORD_ID_INVALID' });
  return recordId;
}

/** A query record in a shape we cannot read is a permanent failure that names the fields. */
export function parseRecord<T extends z.ZodMiniType>(schema: T, record: unknown, sobject: BillableObject): z.infer<T> {
  const parsed = schema.safeParse(record);
  if (!parsed.success) {
    const paths = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new PermanentError(`Unexpected ${sobject} query result (fields: ${paths})`, { code: `${sobject.toUpperCase()}_SHAPE` });
  }
  return parsed.data;
}

/** Stripe takes at most 250 invoice items anyway; a paged subquery is far beyond that. */
export function completeLines<L>(lines: { readonly done?: boolean | undefined; readonly records: readonly L[] } | null | undefined, sobject: BillableObject): readonly L[] {
  if (lines?.done === false) throw new PermanentError(`The ${sobject} has more lines than one query returns`, { code: 'TOO_MANY_LINES' });
  return lines?.records ?? [];
}
