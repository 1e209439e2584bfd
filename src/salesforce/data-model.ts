/**
 * The Salesforce data model the bridge reads and writes: the contract admins build reports on.
 * The SFDX package in salesforce/ must define every custom field listed here with a compatible
 * type (a test checks it), and the Salesforce stand-in in src/local/standins accepts exactly these.
 * Add fields freely; never rename the ones in ARCHITECTURE.md.
 *
 * It is also the catalogue of what the integration user may touch: `integration` on each field
 * (and INTEGRATION_OBJECTS in integration-access.ts for objects) generates the permission set
 * Stripe_Bridge_Integration. After adding or changing a field: give it `integration`, run
 * `npm run sf:permissions`, commit the regenerated salesforce/…/permissionsets/*.xml.
 */
import {
  INVOICE_STATUSES,
  OPPORTUNITY_PAYMENT_STATUSES,
  PAYMENT_MODES,
  PAYMENT_STATUSES,
  SUBSCRIPTION_STATUSES,
} from '../contracts/statuses.js';

export type FieldType =
  | 'id'
  | 'string'
  | 'textarea'
  | 'picklist'
  | 'email'
  | 'url'
  | 'double'
  | 'currency'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'reference';

export interface FieldSpec {
  readonly type: FieldType;
  /** Unique external id usable as an upsert key. */
  readonly externalId?: boolean;
  /** For references: the target object and the relationship name used in upserts/SOQL. */
  readonly referenceTo?: string;
  readonly relationshipName?: string;
  /** Restricted picklist values. */
  readonly values?: readonly string[];
  /** Standard fields Salesforce sets itself (Id, Name of line items, TotalPrice…). */
  readonly readOnly?: boolean;
  readonly length?: number;
  /**
   * What the bridge's integration user does with the field: `read` (SOQL) or `edit` (writes,
   * which includes reading). Absent: the bridge never touches it, and the integration user
   * (Minimum Access – API Only Integrations profile) cannot see it.
   */
  readonly integration?: FieldAccess;
  /**
   * How Salesforce secures the field when it is not by its own field-level security:
   * `object` — no FLS exists (Id, name fields, universally required fields such as
   * Opportunity.StageName, CurrencyIsoCode): object access decides, and a permission set must
   * not list it (deploying FLS on a required field fails); `{ compound }` — a component of a
   * compound field, secured as that field (Account.BillingCity → BillingAddress).
   */
  readonly fls?: 'object' | { readonly compound: string };
}

export type FieldAccess = 'read' | 'edit';

export type ObjectSpec = Readonly<Record<string, FieldSpec>>;

export {
  INVOICE_STATUSES,
  OPPORTUNITY_PAYMENT_STATUSES,
  PAYMENT_MODES,
  PAYMENT_STATUSES,
  SUBSCRIPTION_STATUSES,
  type InvoiceStatus,
  type OpportunityPaymentStatus,
  type PaymentMode,
  type PaymentStatus,
  type SubscriptionStatus,
} from '../contracts/statuses.js';

const id: FieldSpec = { type: 'id', readOnly: true, fls: 'object', integration: 'read' };
const stripeId: FieldSpec = { type: 'string', externalId: true, length: 255 };
const text: FieldSpec = { type: 'string', length: 255 };
const account: FieldSpec = { type: 'reference', referenceTo: 'Account', relationshipName: 'Account__r' };
const opportunity: FieldSpec = { type: 'reference', referenceTo: 'Opportunity', relationshipName: 'Opportunity__r' };
const order: FieldSpec = { type: 'reference', referenceTo: 'Order', relationshipName: 'Order__r' };
const currencyCode: FieldSpec = { type: 'string', length: 3 };
const amount: FieldSpec = { type: 'double' };
const when: FieldSpec = { type: 'datetime' };
/** The Name field of a custom object: required, so secured by object access only. */
const recordName: FieldSpec = { type: 'string', length: 80, fls: 'object' };
/** CurrencyIsoCode exists in multi-currency orgs only and has no field-level security. */
const currencyIsoCode: FieldSpec = { type: 'picklist', fls: 'object' };
/** A component of the Account's compound billing address. */
const billingAddress: FieldSpec = { ...text, fls: { compound: 'BillingAddress' }, integration: 'read' };

const read = (spec: FieldSpec): FieldSpec => ({ ...spec, integration: 'read' });
const edit = (spec: FieldSpec): FieldSpec => ({ ...spec, integration: 'edit' });
/** An object the bridge owns: the integration user writes every field (Id stays read-only). */
const ownedByBridge = (fields: ObjectSpec): ObjectSpec =>
  Object.fromEntries(Object.entries(fields).map(([name, spec]) => [name, spec.integration === undefined ? edit(spec) : spec]));

export const DATA_MODEL: Readonly<Record<string, ObjectSpec>> = {
  Account: {
    Id: id,
    Name: read({ ...text, fls: 'object' }),
    Stripe_Customer_Id__c: edit(stripeId),
    Stripe_Billing_Email__c: read({ type: 'email' }),
    BillingStreet: { ...billingAddress, type: 'textarea' },
    BillingCity: billingAddress,
    BillingState: billingAddress,
    BillingPostalCode: billingAddress,
    BillingCountry: billingAddress,
  },
  Opportunity: {
    Id: id,
    Name: read({ ...text, fls: 'object' }),
    AccountId: read({ type: 'reference', referenceTo: 'Account', relationshipName: 'Account' }),
    Amount: read({ type: 'currency' }),
    CurrencyIsoCode: read(currencyIsoCode),
    StageName: { type: 'picklist', fls: 'object' },
    CloseDate: { type: 'date', fls: 'object' },
    Stripe_Payment_Status__c: edit({ type: 'picklist', values: OPPORTUNITY_PAYMENT_STATUSES }),
    Stripe_Payment_Mode__c: read({ type: 'picklist', values: PAYMENT_MODES }),
    Stripe_Invoice_Id__c: edit(text),
    Stripe_Invoice_Url__c: edit({ type: 'url' }),
    Stripe_Payment_Link_Id__c: edit(text),
    Stripe_Payment_Link_Url__c: edit({ type: 'url' }),
    Stripe_Sync_Error__c: edit({ type: 'textarea', length: 32768 }),
    Stripe_Last_Synced_At__c: edit(when),
  },
  OpportunityLineItem: {
    Id: id,
    OpportunityId: { type: 'reference', referenceTo: 'Opportunity', relationshipName: 'Opportunity', fls: 'object' },
    // The product's name; Salesforce sets it and does not put it under field-level security.
    Name: read({ type: 'string', readOnly: true, fls: 'object' }),
    Description: read(text),
    Quantity: read({ type: 'double', fls: 'object' }),
    UnitPrice: read({ type: 'currency', fls: 'object' }),
    TotalPrice: { type: 'currency', readOnly: true },
    CurrencyIsoCode: read(currencyIsoCode),
  },
  Order: {
    Id: id,
    AccountId: { type: 'reference', referenceTo: 'Account', relationshipName: 'Account', fls: 'object' },
    OpportunityId: { type: 'reference', referenceTo: 'Opportunity', relationshipName: 'Opportunity' },
    Stripe_Payment_Status__c: edit({ type: 'picklist', values: OPPORTUNITY_PAYMENT_STATUSES }),
    Stripe_Invoice_Id__c: edit(text),
  },
  Case: {
    Id: id,
    Subject: edit(text),
    Description: edit({ type: 'textarea', length: 32000 }),
    // Status is required (its default applies); Origin and Priority are left to the org.
    Status: { type: 'picklist', fls: 'object' },
    Origin: { type: 'picklist' },
    Priority: { type: 'picklist' },
    AccountId: edit({ type: 'reference', referenceTo: 'Account', relationshipName: 'Account' }),
    Opportunity__c: edit(opportunity),
    Stripe_Event_Id__c: edit(stripeId),
    Stripe_Object_Id__c: edit(text),
  },
  Stripe_Payment__c: ownedByBridge({
    Id: id,
    Name: recordName,
    Stripe_Id__c: stripeId,
    Status__c: { type: 'picklist', values: PAYMENT_STATUSES },
    Amount__c: amount,
    Amount_Refunded__c: amount,
    Currency_Code__c: currencyCode,
    Card_Brand__c: { type: 'string', length: 40 },
    Card_Last4__c: { type: 'string', length: 4 },
    Failure_Message__c: text,
    Paid_At__c: when,
    Account__c: account,
    Opportunity__c: opportunity,
    Order__c: order,
    Stripe_Invoice_Id__c: text,
    Stripe_Customer_Id__c: text,
    Stripe_Checkout_Session_Id__c: text,
    Livemode__c: { type: 'boolean' },
    Last_Stripe_Event_At__c: when,
  }),
  Stripe_Invoice__c: ownedByBridge({
    Id: id,
    Name: recordName,
    Stripe_Id__c: stripeId,
    Status__c: { type: 'picklist', values: INVOICE_STATUSES },
    Number__c: text,
    Amount_Due__c: amount,
    Amount_Paid__c: amount,
    Amount_Remaining__c: amount,
    Currency_Code__c: currencyCode,
    Due_Date__c: { type: 'date' },
    Paid_At__c: when,
    Hosted_Invoice_Url__c: { type: 'url' },
    Account__c: account,
    Opportunity__c: opportunity,
    Order__c: order,
    Stripe_Customer_Id__c: text,
    Stripe_Subscription_Id__c: text,
    Livemode__c: { type: 'boolean' },
    Last_Stripe_Event_At__c: when,
  }),
  Stripe_Subscription__c: ownedByBridge({
    Id: id,
    Name: recordName,
    Stripe_Id__c: stripeId,
    Status__c: { type: 'picklist', values: SUBSCRIPTION_STATUSES },
    Current_Period_End__c: when,
    Cancel_At_Period_End__c: { type: 'boolean' },
    Canceled_At__c: when,
    Account__c: account,
    Opportunity__c: opportunity,
    Stripe_Customer_Id__c: text,
    Livemode__c: { type: 'boolean' },
    Last_Stripe_Event_At__c: when,
  }),
};
