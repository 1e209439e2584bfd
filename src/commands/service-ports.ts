/**
 * What the service commands (refund, portal_link, invoice and subscription actions) need beyond
 * the billing ports: generic Salesforce record access and Stripe calls. Adapters in
 * src/salesforce/record-port.ts and src/stripe/service-port.ts; circuit breakers wrap both in
 * commands/app.ts.
 */
import type Stripe from 'stripe';

export type { SalesforceRow, ServiceRecords } from '../salesforce/record-port.js';
import type { ServiceRecords } from '../salesforce/record-port.js';

export interface StripeCalls {
  /** Runs Stripe operations with the current key (re-read once after a rejected key). */
  call<T>(operation: (stripe: Stripe) => Promise<T>): Promise<T>;
}

export interface ServicePorts {
  readonly records: ServiceRecords;
  readonly stripe: StripeCalls;
}
