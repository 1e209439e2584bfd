/**
 * What the service commands (refund, portal_link, invoice and subscription actions) need beyond
 * the billing ports: generic Salesforce record access and Stripe calls. Adapters in
 * src/salesforce/record-port.ts and src/stripe/service-port.ts; circuit breakers wrap both in
 * commands/app.ts.
 */
import type Stripe from 'stripe';

export type SalesforceRow = Readonly<Record<string, unknown>>;

export interface ServiceRecords {
  /** The rows of one SOQL query (first page: the service commands read a handful). */
  query(soql: string): Promise<SalesforceRow[]>;
  /**
   * Upserts one record on an external id. `stale` when Salesforce refused it because the record
   * already shows a newer state (the precedence rule, contracts/precedence).
   */
  upsert(sobject: string, externalIdField: string, record: Readonly<Record<string, unknown>>): Promise<'applied' | 'stale'>;
  update(sobject: string, record: Readonly<Record<string, unknown>> & { readonly Id: string }): Promise<void>;
  /**
   * The key prefix of an object's record ids (its describe's `keyPrefix`): fixed for standard
   * objects, chosen per org for custom ones. Read once per cold start.
   */
  keyPrefix(sobject: string): Promise<string | undefined>;
}

export interface StripeCalls {
  /** Runs Stripe operations with the current key (re-read once after a rejected key). */
  call<T>(operation: (stripe: Stripe) => Promise<T>): Promise<T>;
}

export interface ServicePorts {
  readonly records: ServiceRecords;
  readonly stripe: StripeCalls;
}
