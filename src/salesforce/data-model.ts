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
  BILLING_INTERVALS,
  COLLECTION_METHODS,
  INVOICE_STATUSES,
  OPPORTUNITY_PAYMENT_STATUSES,
  PAYMENT_HEALTH,
  PAYMENT_MODES,
  PAYMENT_STATUSES,
  REFUND_STATUSES,
  SUBSCRIPTION_CHANGE_TYPES,
  SUBSCRIPTION_ITEM_STATUSES,
  SUBSCRIPTION_STATUSES,
  SYNC_LOG_STATUSES,
  USAGE_TYPES,
} from '../contracts/statuses.js';

export type FieldType =
  | 'id'
  | 'string'
  | 'textarea'
  | 'picklist'
  | 'email'
  | 'url'
  | 'double'
  | 'integer'
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
  /**
   * A lookup that forbids deleting its target (deleteConstraint Restrict) instead of clearing
   * itself. Salesforce then locks the target while a record pointing at it is saved, which
   * serializes that save with the target's own saves (see the Case's lookups below).
   */
  readonly restrictDelete?: boolean;
}

export type FieldAccess = 'read' | 'edit';

/**
 * The precedence key (src/contracts/precedence.ts) a versioned record keeps, Number(18,0): the
 * writer sets it with every write of the record's state, and a validation rule rejects a write
 * whose key is lower than the record's.
 */
export const VERSION_FIELD = 'Stripe_Event_Order__c';

export interface ValidationRuleSpec {
  readonly fullName: string;
  /** Where Salesforce reports the error: the record error's `fields` names it. */
  readonly errorDisplayField: string;
  readonly errorMessage: string;
}

/** On every versioned object: an older event's write is rejected, atomically under the row lock. */
export const OLDER_EVENT_RULE: ValidationRuleSpec = {
  fullName: 'Stripe_Reject_Older_Event',
  errorDisplayField: VERSION_FIELD,
  errorMessage: 'Stripe bridge: a newer Stripe event already updated this record, so this older one is not applied.',
};

/** On Case: no Case for a failure whose payment or invoice already shows a newer state. */
export const SUPERSEDED_FAILURE_RULE: ValidationRuleSpec = {
  fullName: 'Stripe_Reject_Superseded_Failure',
  errorDisplayField: VERSION_FIELD,
  errorMessage: 'Stripe bridge: the payment or invoice of this failure already shows a newer state, so no Case is opened.',
};

/** Account.Stripe_Rollup_Version__c: the newest Stripe record change (ms) a roll-up has seen. */
export const ROLLUP_VERSION_FIELD = 'Stripe_Rollup_Version__c';

/** On Account: a roll-up computed from an older view of the Account's Stripe records is refused. */
export const OLDER_ROLLUP_RULE: ValidationRuleSpec = {
  fullName: 'Stripe_Reject_Older_Rollup',
  errorDisplayField: ROLLUP_VERSION_FIELD,
  errorMessage: 'Stripe bridge: a roll-up from newer Stripe records already updated this Account, so this older one is not applied.',
};

/** The Case Status the bridge sets when the money a Case was opened for arrived. */
export const CLOSED_CASE_STATUS = 'Closed';

export type ObjectSpec = Readonly<Record<string, FieldSpec>>;

export {
  INVOICE_STATUSES,
  OPPORTUNITY_PAYMENT_STATUSES,
  PAYMENT_HEALTH,
  PAYMENT_MODES,
  PAYMENT_STATUSES,
  SUBSCRIPTION_STATUSES,
  type InvoiceStatus,
  type PaymentHealth,
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
const eventOrder: FieldSpec = { type: 'integer' };
/** Stripe's hosted Checkout URLs run past 255 characters (the URL field's maximum). */
const longUrl: FieldSpec = { type: 'textarea', length: 2048 };
/** The Name field of a custom object: required, so secured by object access only. */
const recordName: FieldSpec = { type: 'string', length: 80, fls: 'object' };
/** Set by Salesforce on every save; no field-level security. Roll-ups read its maximum. */
const systemModstamp: FieldSpec = { type: 'datetime', readOnly: true, fls: 'object', integration: 'read' };
/** CurrencyIsoCode exists in multi-currency orgs only and has no field-level security. */
const currencyIsoCode: FieldSpec = { type: 'picklist', fls: 'object', integration: 'read' };
/** A component of the Account's compound billing address. */
const billingAddress: FieldSpec = { ...text, fls: { compound: 'BillingAddress' }, integration: 'read' };
/** Required, name-like or system fields (Name, StageName, Status, OrderNumber…): no field-level security. */
const required = (spec: FieldSpec): FieldSpec => ({ ...spec, fls: 'object' });

const read = (spec: FieldSpec): FieldSpec => ({ ...spec, integration: 'read' });
const edit = (spec: FieldSpec): FieldSpec => ({ ...spec, integration: 'edit' });
/** An object the bridge owns: the integration user writes every field (Id stays read-only). */
const ownedByBridge = (fields: ObjectSpec): ObjectSpec =>
  Object.fromEntries(Object.entries(fields).map(([name, spec]) => [name, spec.integration === undefined ? edit(spec) : spec]));

/**
 * The Account at a glance (src/rollups): recomputed by the bridge from the Stripe records of the
 * Account after every batch that touched it, never incremented. Amounts in the Account's currency
 * (multi-currency orgs) or the corporate currency. Users read them; only the bridge writes them.
 */
export const ACCOUNT_ROLLUP_FIELDS: ObjectSpec = {
  Stripe_Lifetime_Paid__c: edit({ type: 'currency' }),
  Stripe_Open_Balance__c: edit({ type: 'currency' }),
  Stripe_Open_Invoices__c: edit({ type: 'integer' }),
  Stripe_Last_Payment_At__c: edit(when),
  Stripe_Last_Payment_Amount__c: edit({ type: 'currency' }),
  Stripe_Payment_Health__c: edit({ type: 'picklist', values: PAYMENT_HEALTH }),
  Stripe_Payment_Health_Reason__c: edit(text),
  Stripe_Active_Subscriptions__c: edit({ type: 'integer' }),
  Stripe_MRR__c: edit({ type: 'currency' }),
  Stripe_Customer_Url__c: edit({ type: 'url' }),
  /** Amounts the org has no conversion rate for, left out of the totals (e.g. "EUR 120.00 paid"). */
  Stripe_Unconverted_Amounts__c: edit(text),
  Stripe_Rollup_At__c: edit(when),
  /** The roll-up's as-of stamp; the package's rule Stripe_Reject_Older_Rollup refuses a lower one. */
  [ROLLUP_VERSION_FIELD]: edit({ type: 'integer' }),
};

/**
 * What a billing command writes back on the record it billed (Opportunity, Quote, Order,
 * Contract): the same API names on every revenue object, so Flows and reports read them alike.
 */
const BILLING_WRITE_BACK: ObjectSpec = {
  Stripe_Payment_Status__c: edit({ type: 'picklist', values: OPPORTUNITY_PAYMENT_STATUSES }),
  Stripe_Invoice_Id__c: edit(text),
  Stripe_Invoice_Url__c: edit({ type: 'url' }),
  Stripe_Payment_Link_Id__c: edit(text),
  Stripe_Payment_Link_Url__c: edit({ type: 'url' }),
  /** What the bridge billed and what Stripe received for that bill, in major units of the record's currency. */
  Stripe_Amount_Billed__c: edit(amount),
  Stripe_Amount_Paid__c: edit(amount),
  Stripe_Checkout_Session_Id__c: edit(text),
  Stripe_Checkout_Url__c: edit(longUrl),
  Stripe_Checkout_Expires_At__c: edit(when),
  Stripe_Sync_Error__c: edit({ type: 'textarea', length: 32768 }),
  Stripe_Last_Synced_At__c: edit(when),
  /** The subscription the `subscription` command created (sub_…). */
  Stripe_Subscription_Id__c: edit(text),
};

/** A whole number the rep enters (days, months, an interval count). */
const count: FieldSpec = { type: 'integer' };

/** A line's price book entry (required on every product line): its list price is what the catalogue sync sells. */
const pricebookEntry: FieldSpec = required({ type: 'reference', referenceTo: 'PricebookEntry', relationshipName: 'PricebookEntry', readOnly: true });

/**
 * A product line of a Quote or Order: the product's name comes through Product2. The parent
 * (master-detail), product, quantity and price are required, so they follow the object's access.
 */
const productLine = (parentField: string, parent: string): ObjectSpec => ({
  Id: id,
  [parentField]: required({ type: 'reference', referenceTo: parent, relationshipName: parent }),
  Product2Id: read(required({ type: 'reference', referenceTo: 'Product2', relationshipName: 'Product2' })),
  PricebookEntryId: read(pricebookEntry),
  Description: read(text),
  Quantity: read(required({ type: 'double' })),
  UnitPrice: read(required({ type: 'currency' })),
  TotalPrice: { type: 'currency', readOnly: true },
  CurrencyIsoCode: currencyIsoCode,
});

export const DATA_MODEL: Readonly<Record<string, ObjectSpec>> = {
  Account: {
    Id: id,
    Name: read(required(text)),
    // Who a failed-payment Task goes to (the roll-up read names it); required, so no FLS.
    OwnerId: read(required({ type: 'reference', referenceTo: 'User', relationshipName: 'Owner' })),
    Stripe_Customer_Id__c: edit(stripeId),
    Stripe_Billing_Email__c: read({ type: 'email' }),
    /** Self-service links a support agent sends (portal_link, update_payment_method): secrets, written only here. */
    Stripe_Portal_Url__c: edit(longUrl),
    Stripe_Portal_Url_Expires_At__c: edit(when),
    Stripe_Payment_Method_Url__c: edit(longUrl),
    Stripe_Payment_Method_Url_Expires_At__c: edit(when),
    BillingStreet: { ...billingAddress, type: 'textarea' },
    BillingCity: billingAddress,
    BillingState: billingAddress,
    BillingPostalCode: billingAddress,
    BillingCountry: billingAddress,
    CurrencyIsoCode: currencyIsoCode,
    ...ACCOUNT_ROLLUP_FIELDS,
  },
  Opportunity: {
    Id: id,
    // Written when the bridge creates a renewal Opportunity (RENEWAL_OPPORTUNITIES, src/mappers/renewal-opportunity.ts).
    Name: edit(required(text)),
    AccountId: edit({ type: 'reference', referenceTo: 'Account', relationshipName: 'Account' }),
    Amount: edit({ type: 'currency' }),
    CurrencyIsoCode: currencyIsoCode,
    StageName: required({ type: 'picklist' }),
    CloseDate: required({ type: 'date' }),
    OwnerId: edit(required({ type: 'reference', referenceTo: 'User', relationshipName: 'Owner' })),
    Description: edit({ type: 'textarea', length: 32000 }),
    /** A renewal Opportunity's period key (`renewal:<sub_…>:<period end>`, the key of its Task): one per renewal. */
    Stripe_Renewal_Key__c: edit(stripeId),
    /** The Stripe customer a renewal Opportunity renews (cus_…). */
    Stripe_Customer_Id__c: edit(text),
    Stripe_Payment_Mode__c: read({ type: 'picklist', values: PAYMENT_MODES }),
    // How the `subscription` command starts the subscription (docs/subscriptions.md).
    Stripe_Collection_Method__c: read({ type: 'picklist', values: COLLECTION_METHODS }),
    Stripe_Subscription_Start_Date__c: read({ type: 'date' }),
    Stripe_Trial_Days__c: read(count),
    Stripe_Term_Months__c: read(count),
    ...BILLING_WRITE_BACK,
    Stripe_Event_Order__c: edit(eventOrder),
  },
  OpportunityLineItem: {
    Id: id,
    OpportunityId: required({ type: 'reference', referenceTo: 'Opportunity', relationshipName: 'Opportunity' }),
    // The product's name; Salesforce sets it and does not put it under field-level security.
    Name: read(required({ type: 'string', readOnly: true })),
    Product2Id: read(required({ type: 'reference', referenceTo: 'Product2', relationshipName: 'Product2', readOnly: true })),
    PricebookEntryId: read(pricebookEntry),
    Description: read(text),
    Quantity: read(required({ type: 'double' })),
    UnitPrice: read(required({ type: 'currency' })),
    // A percent in Salesforce (scale 2): the line bills Quantity × UnitPrice × (1 − Discount/100),
    // what Salesforce computes as TotalPrice (billing-lines.ts). Standard and nillable, so under FLS.
    Discount: read({ type: 'double' }),
    TotalPrice: { type: 'currency', readOnly: true },
    CurrencyIsoCode: currencyIsoCode,
  },
  Order: {
    Id: id,
    AccountId: read(required({ type: 'reference', referenceTo: 'Account', relationshipName: 'Account' })),
    OpportunityId: read({ type: 'reference', referenceTo: 'Opportunity', relationshipName: 'Opportunity' }),
    Name: read(text),
    OrderNumber: read(required({ type: 'string', readOnly: true })),
    ContractId: read(required({ type: 'reference', referenceTo: 'Contract', relationshipName: 'Contract' })),
    Status: required({ type: 'picklist' }),
    StatusCode: read(required({ type: 'picklist', readOnly: true })),
    TotalAmount: { type: 'currency', readOnly: true },
    CurrencyIsoCode: currencyIsoCode,
    ...BILLING_WRITE_BACK,
    Stripe_Event_Order__c: edit(eventOrder),
  },
  Case: {
    Id: id,
    Subject: edit(text),
    Description: edit({ type: 'textarea', length: 32000 }),
    // Status is required: new Cases get the org's default; the bridge closes a Case once paid.
    Status: edit(required({ type: 'picklist' })),
    Origin: { type: 'picklist' },
    Priority: { type: 'picklist' },
    AccountId: edit({ type: 'reference', referenceTo: 'Account', relationshipName: 'Account' }),
    Opportunity__c: edit(opportunity),
    Stripe_Event_Id__c: edit(stripeId),
    Stripe_Object_Id__c: edit(text),
    // The failing record, through lookups that lock it while the Case is saved: a Case and a
    // newer write of that record are serialized, so the Case rule sees the newest state.
    Stripe_Payment__c: edit({ type: 'reference', referenceTo: 'Stripe_Payment__c', relationshipName: 'Stripe_Payment__r', restrictDelete: true }),
    Stripe_Invoice__c: edit({ type: 'reference', referenceTo: 'Stripe_Invoice__c', relationshipName: 'Stripe_Invoice__r', restrictDelete: true }),
    Stripe_Event_Order__c: edit(eventOrder),
    /**
     * A formula for the recovery-rate report: 1 once the failing payment or invoice shows the money
     * arrived, else 0. People read it; the package grants the integration user read too, as it does
     * every packaged field.
     */
    Stripe_Payment_Recovered__c: read({ type: 'integer', readOnly: true }),
    // Derived from Status; no field-level security.
    IsClosed: read(required({ type: 'boolean', readOnly: true })),
  },
  // A to-do for a person (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_task.htm):
  // the bridge's Tasks (a failed payment's recovery) are upserted on Stripe_Task_Key__c. Custom
  // fields of Tasks are Activity fields (objects/Activity/fields); Status, Priority and OwnerId
  // are required (new Tasks take the org's defaults and the creating user), Subject and WhatId
  // have no field-level security of their own.
  Task: {
    Id: id,
    Subject: edit(required(text)),
    Description: edit({ type: 'textarea', length: 32000 }),
    ActivityDate: edit({ type: 'date' }),
    Status: edit(required({ type: 'picklist' })),
    Priority: edit(required({ type: 'picklist' })),
    OwnerId: edit(required({ type: 'reference', referenceTo: 'User', relationshipName: 'Owner' })),
    WhatId: edit(required({ type: 'reference', referenceTo: 'Account', relationshipName: 'What' })),
    IsClosed: read(required({ type: 'boolean', readOnly: true })),
    Stripe_Task_Key__c: edit(stripeId),
    Stripe_Object_Id__c: edit(text),
    Stripe_Customer_Id__c: edit(text),
  },
  // A comment on a Case (https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_objects_casecomment.htm).
  // Its access follows the Case; its fields have no field-level security of their own.
  CaseComment: {
    Id: id,
    ParentId: edit(required({ type: 'reference', referenceTo: 'Case', relationshipName: 'Parent' })),
    CommentBody: edit(required({ type: 'textarea', length: 4000 })),
    IsPublished: edit(required({ type: 'boolean' })),
  },
  Stripe_Payment__c: ownedByBridge({
    Id: id,
    SystemModstamp: systemModstamp,
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
    Stripe_Event_Order__c: eventOrder,
  }),
  Stripe_Invoice__c: ownedByBridge({
    Id: id,
    SystemModstamp: systemModstamp,
    Name: recordName,
    Stripe_Id__c: stripeId,
    Status__c: { type: 'picklist', values: INVOICE_STATUSES },
    Number__c: text,
    Amount_Due__c: amount,
    Amount_Paid__c: amount,
    Amount_Remaining__c: amount,
    Currency_Code__c: currencyCode,
    Due_Date__c: { type: 'date' },
    /** A formula for the aging report (0 until due, then days past the due date): read only by nature. */
    Days_Overdue__c: read({ type: 'integer', readOnly: true }),
    Paid_At__c: when,
    Hosted_Invoice_Url__c: { type: 'url' },
    Account__c: account,
    Opportunity__c: opportunity,
    Order__c: order,
    Stripe_Customer_Id__c: text,
    Stripe_Subscription_Id__c: text,
    Livemode__c: { type: 'boolean' },
    Last_Stripe_Event_At__c: when,
    Stripe_Event_Order__c: eventOrder,
  }),
  Stripe_Subscription__c: ownedByBridge({
    Id: id,
    SystemModstamp: systemModstamp,
    Name: recordName,
    Stripe_Id__c: stripeId,
    Status__c: { type: 'picklist', values: SUBSCRIPTION_STATUSES },
    Current_Period_Start__c: when,
    Current_Period_End__c: when,
    Cancel_At_Period_End__c: { type: 'boolean' },
    Cancel_At__c: when,
    Canceled_At__c: when,
    Ended_At__c: when,
    Start_Date__c: when,
    Trial_End__c: when,
    // Stripe's own words (charge_automatically, send_invoice; keep_as_draft, mark_uncollectible,
    // void): text, so a value Stripe adds never fails a write.
    Collection_Method__c: { type: 'string', length: 40 },
    Pause_Behavior__c: { type: 'string', length: 40 },
    Pause_Resumes_At__c: when,
    Stripe_Schedule_Id__c: text,
    Plan__c: text,
    Stripe_Price_Id__c: text,
    Stripe_Product_Id__c: text,
    Quantity__c: amount,
    Currency_Code__c: currencyCode,
    /** Monthly recurring revenue in major units of Currency_Code__c (src/mappers/mrr.ts). */
    MRR__c: amount,
    Account__c: account,
    Opportunity__c: opportunity,
    Stripe_Customer_Id__c: text,
    Livemode__c: { type: 'boolean' },
    Last_Stripe_Event_At__c: when,
    Stripe_Event_Order__c: eventOrder,
  }),
  /**
   * One record per Stripe subscription item (si_…), written with its subscription from
   * customer.subscription.* events (src/mappers/subscription-items.ts): what it sells, its
   * current period, and for metered items the usage of the last closed period (invoice.paid /
   * invoice.finalized). Removed or Ended once it is gone from Stripe.
   */
  Stripe_Subscription_Item__c: ownedByBridge({
    Id: id,
    Name: recordName,
    Stripe_Id__c: stripeId,
    Status__c: { type: 'picklist', values: SUBSCRIPTION_ITEM_STATUSES },
    Subscription__c: { type: 'reference', referenceTo: 'Stripe_Subscription__c', relationshipName: 'Subscription__r' },
    Stripe_Subscription_Id__c: text,
    Stripe_Price_Id__c: text,
    Stripe_Product_Id__c: text,
    /** The Product2 a `sfprod_<Product2 Id>` product was synced from (src/catalog). */
    Product__c: { type: 'reference', referenceTo: 'Product2', relationshipName: 'Product__r' },
    Quantity__c: amount,
    Unit_Amount__c: amount,
    Currency_Code__c: currencyCode,
    // Stripe's words (month, metered): text, so a value Stripe adds never fails a write.
    Interval__c: { type: 'string', length: 40 },
    Interval_Count__c: eventOrder,
    Usage_Type__c: { type: 'string', length: 40 },
    Current_Period_Start__c: when,
    Current_Period_End__c: when,
    Usage_Quantity__c: amount,
    Usage_Period_Start__c: when,
    Usage_Period_End__c: when,
    Usage_Invoice_Id__c: text,
    Removed_At__c: when,
    Livemode__c: { type: 'boolean' },
    Last_Stripe_Event_At__c: when,
    Stripe_Event_Order__c: eventOrder,
  }),
  /**
   * One record per Stripe event that moved a subscription's MRR (issue 12): keyed by the event id,
   * so a redelivery or replay upserts the same record and an MRR movement report sums MRR_Delta__c.
   * Written once per event, never versioned: each record stands on its own event's
   * `previous_attributes` (docs/subscriptions.md).
   */
  Stripe_Subscription_Change__c: ownedByBridge({
    Id: id,
    Name: recordName,
    Stripe_Event_Id__c: stripeId,
    Stripe_Event_Type__c: text,
    Type__c: { type: 'picklist', values: SUBSCRIPTION_CHANGE_TYPES },
    /** Major units of Currency_Code__c; delta = after − before (negative for contraction and churn). */
    MRR_Before__c: amount,
    MRR_After__c: amount,
    MRR_Delta__c: amount,
    Currency_Code__c: currencyCode,
    Effective_Date__c: { type: 'date' },
    Changed_At__c: when,
    Stripe_Subscription__c: { type: 'reference', referenceTo: 'Stripe_Subscription__c', relationshipName: 'Stripe_Subscription__r' },
    Stripe_Subscription_Id__c: text,
    Account__c: account,
    Opportunity__c: opportunity,
    Stripe_Customer_Id__c: text,
    Livemode__c: { type: 'boolean' },
  }),
  /**
   * One record per Stripe refund (issue 13): created by the `refund` command's write-back or by
   * the first refund event, kept current by refund.* and charge.refunded events.
   */
  Stripe_Refund__c: ownedByBridge({
    Id: id,
    Name: recordName,
    Stripe_Id__c: stripeId,
    Status__c: { type: 'picklist', values: REFUND_STATUSES },
    Amount__c: amount,
    Currency_Code__c: currencyCode,
    /** duplicate, fraudulent, requested_by_customer (or Stripe's own, e.g. expired_uncaptured_charge). */
    Reason__c: { type: 'string', length: 40 },
    Failure_Reason__c: text,
    Stripe_Payment_Intent_Id__c: text,
    Stripe_Charge_Id__c: text,
    Payment__c: { type: 'reference', referenceTo: 'Stripe_Payment__c', relationshipName: 'Payment__r' },
    Account__c: account,
    Opportunity__c: opportunity,
    Requested_By__c: { type: 'reference', referenceTo: 'User', relationshipName: 'Requested_By__r' },
    /** The command that asked for it (`sf:<EventUuid>`), also Stripe metadata salesforce_command_id. */
    Command_Event_Id__c: text,
    Livemode__c: { type: 'boolean' },
    Last_Stripe_Event_At__c: when,
    Stripe_Event_Order__c: eventOrder,
  }),
  OrderItem: productLine('OrderId', 'Order'),
  Product2: {
    Id: id,
    Name: read(required(text)),
    // The catalogue Stripe sells from (docs/subscriptions.md): blank interval = one-time.
    Stripe_Billing_Interval__c: read({ type: 'picklist', values: BILLING_INTERVALS }),
    Stripe_Interval_Count__c: read(count),
    Stripe_Usage_Type__c: read({ type: 'picklist', values: USAGE_TYPES }),
    // Active products are synced to Stripe; an inactive one is archived there (sync_product).
    IsActive: read(required({ type: 'boolean' })),
    // Set by an admin to sell a Product2 as an existing Stripe product; else the catalogue sync
    // creates sfprod_<Id> and writes it here (src/catalog).
    Stripe_Product_Id__c: edit(text),
  },
  /** A price book (the standard one holds every product's list prices): not read by the bridge, seeded locally. */
  Pricebook2: {
    Id: id,
    Name: required(text),
    IsStandard: { type: 'boolean', readOnly: true },
    IsActive: { type: 'boolean' },
  },
  /**
   * A product's price in one price book and currency: the catalogue sync sells it as a Stripe
   * Price and writes that Price's id back (a changed list price gets a new Price; src/catalog).
   */
  PricebookEntry: {
    Id: id,
    // Which price book the entry is in: the bridge sells whichever entry a line names, so it reads none.
    Pricebook2Id: required({ type: 'reference', referenceTo: 'Pricebook2', relationshipName: 'Pricebook2', readOnly: true }),
    UseStandardPrice: { type: 'boolean' },
    Product2Id: read(required({ type: 'reference', referenceTo: 'Product2', relationshipName: 'Product2', readOnly: true })),
    UnitPrice: read(required({ type: 'currency' })),
    IsActive: read(required({ type: 'boolean' })),
    CurrencyIsoCode: currencyIsoCode,
    Stripe_Price_Id__c: edit(text),
  },
  Quote: {
    Id: id,
    Name: read(required(text)),
    OpportunityId: read(required({ type: 'reference', referenceTo: 'Opportunity', relationshipName: 'Opportunity' })),
    AccountId: read({ type: 'reference', referenceTo: 'Account', relationshipName: 'Account', readOnly: true }),
    ContactId: { type: 'reference', referenceTo: 'Contact', relationshipName: 'Contact' },
    Email: { type: 'email' },
    Status: required({ type: 'picklist' }),
    Subtotal: { type: 'currency', readOnly: true },
    TotalPrice: read({ type: 'currency', readOnly: true }),
    Discount: { type: 'double', readOnly: true },
    Tax: read({ type: 'currency' }),
    ShippingHandling: read({ type: 'currency' }),
    GrandTotal: read({ type: 'currency', readOnly: true }),
    CurrencyIsoCode: currencyIsoCode,
    ...BILLING_WRITE_BACK,
    Stripe_Event_Order__c: edit(eventOrder),
  },
  // Discount is a percent as on OpportunityLineItem, billed the same way; OrderItem has none.
  QuoteLineItem: { ...productLine('QuoteId', 'Quote'), Discount: read({ type: 'double' }) },
  Contract: {
    Id: id,
    ContractNumber: read(required({ type: 'string', readOnly: true })),
    AccountId: read(required({ type: 'reference', referenceTo: 'Account', relationshipName: 'Account' })),
    Status: required({ type: 'picklist' }),
    StatusCode: read(required({ type: 'picklist', readOnly: true })),
    CurrencyIsoCode: currencyIsoCode,
    ...BILLING_WRITE_BACK,
    Stripe_Event_Order__c: edit(eventOrder),
  },
  /**
   * One row per command (and per dead-lettered inbound event): who asked what, and what Stripe
   * answered. Upserted on Event_Id__c, so a retried command updates its one log.
   */
  Stripe_Sync_Log__c: ownedByBridge({
    Id: id,
    // An auto-number (SSL-000123): Salesforce sets it.
    Name: read(required({ type: 'string', readOnly: true })),
    Event_Id__c: stripeId,
    Event_Type__c: text,
    Command__c: text,
    Record_Id__c: { type: 'string', length: 18 },
    Stripe_Object_Id__c: text,
    Stripe_Url__c: longUrl,
    Status__c: { type: 'picklist', values: SYNC_LOG_STATUSES },
    Message__c: { type: 'textarea', length: 32768 },
    Requested_By__c: { type: 'reference', referenceTo: 'User', relationshipName: 'Requested_By__r' },
    Requested_At__c: when,
    Completed_At__c: when,
    // A formula for list views ("My Stripe requests"): read only by nature.
    Is_Mine__c: read({ type: 'boolean', readOnly: true }),
  }),
};
