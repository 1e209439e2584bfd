/**
 * A Salesforce write as pure data: what the mappers produce and the Salesforce writer sends.
 * Depends on nothing, so neither side imports the other.
 */

/** A reference to another record by an external id, e.g. `{ Stripe_Customer_Id__c: 'cus_123' }`. */
export interface ExternalIdReference {
  readonly [externalIdField: string]: string;
}

export type SalesforceFieldValue = string | number | boolean | null | ExternalIdReference;

export type SObjectName =
  | 'Account'
  | 'Opportunity'
  | 'Order'
  | 'Quote'
  | 'Contract'
  | 'Case'
  | 'Task'
  | 'Stripe_Payment__c'
  | 'Stripe_Invoice__c'
  | 'Stripe_Subscription__c'
  | 'Stripe_Subscription_Change__c'
  | 'Stripe_Subscription_Item__c'
  | 'Stripe_Refund__c'
  | 'Stripe_Sync_Log__c';

export interface SalesforceMutation {
  readonly sobject: SObjectName;
  /**
   * How the record is found: an external id field (upsert, creates when missing) or `Id`
   * (update of an existing standard record such as an Opportunity).
   */
  readonly key: { readonly field: string; readonly value: string };
  /** Field API name → value. A relationship (`Account__r`, or `Account` on a standard object) holds an ExternalIdReference. */
  readonly fields: Readonly<Record<string, SalesforceFieldValue>>;
  /**
   * The write's precedence key (src/contracts/precedence.ts), or undefined for a write that
   * carries no state (a link, an Account's customer id). Salesforce keeps it on the record and
   * rejects a write whose key is lower than the record's ("never older over newer"); a Case
   * carries the key of the failure it reports and is not opened when the failing record already
   * shows a newer state. Within one request, mutations of the same record are merged in key
   * order, so the highest key's fields win.
   */
  readonly version?: number;
  /**
   * Relationship fields (e.g. `Account__r`, or `Account` for a standard lookup) and lookup id
   * fields (`Opportunity__c`) that may be dropped when the referenced record does not exist
   * in Salesforce (e.g. a customer with no Account yet); the rest of the record is still written.
   */
  readonly optionalReferences?: readonly string[];
  /**
   * For updates by `Id` of records the bridge never creates (an Opportunity named in metadata):
   * when that record does not exist (deleted, or an id from another org), skip this mutation with
   * a warning instead of failing the event, so the payment itself is still recorded.
   */
  readonly skipIfMissing?: boolean;
  /**
   * A refusal Salesforce gives by design for this mutation (the Account validation rule that keeps
   * a Stripe customer id once set; a lookup to an Account deleted since it was read): when the
   * record fails with this error code (or one of these) on this field, it is skipped with a
   * warning instead of failing the event. ENTITY_IS_DELETED (a lookup to a record in the Recycle
   * Bin) names no field, so it matches without one.
   */
  readonly skipIfRefused?: { readonly errorCode: string | readonly string[]; readonly field: string };
  /**
   * Insert only, never update (a record whose every field belongs to people once it exists, such
   * as a renewal Opportunity): the record is created with its key, a unique external id, set, and
   * when Salesforce refuses the insert because a record already holds that key (DUPLICATE_VALUE)
   * it exists already and is left as it is (not a failure, not `created`). Salesforce's unique
   * index decides, so it holds however long after the first write the mutation comes again.
   */
  readonly createOnly?: boolean;
}

/** A SOQL query the writer runs once a batch is written (the Account roll-ups read through it). */
export interface ReadAfterWrite {
  readonly referenceId: string;
  readonly soql: string;
}

/** Salesforce's answer to a ReadAfterWrite: the query subrequest's status and body. */
export interface ReadAnswer {
  readonly httpStatusCode: number;
  readonly body: unknown;
}
