/**
 * How a Stripe object points at Salesforce records: metadata the bridge (or an integrator)
 * set on it, or else its customer, which an Account carries as `Stripe_Customer_Id__c`.
 */
import { METADATA_KEYS } from '../contracts/metadata.js';
import type { SalesforceFieldValue } from '../contracts/salesforce-mutation.js';

export { METADATA_KEYS };

/** Record ids are 15 (case-sensitive) or 18 (case-insensitive) alphanumerics. */
const SALESFORCE_ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

export interface SalesforceLinks {
  readonly opportunityId?: string;
  readonly accountId?: string;
  readonly orderId?: string;
  /** The Stripe customer, for linking through `Stripe_Customer_Id__c` when no Account id is known. */
  readonly customerId?: string;
}

type Metadata = Readonly<Record<string, string>> | null | undefined;
type Expandable = string | { readonly id: string } | null | undefined;

export function idOf(value: Expandable): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value : value.id;
}

export function salesforceId(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed !== undefined && SALESFORCE_ID.test(trimmed) ? trimmed : undefined;
}

/** The first valid id for each link across the metadata sources, most specific source first. */
export function linksFrom(customer: Expandable, ...sources: readonly Metadata[]): SalesforceLinks {
  const pick = (key: string): string | undefined => {
    for (const metadata of sources) {
      const id = salesforceId(metadata?.[key]);
      if (id !== undefined) return id;
    }
    return undefined;
  };
  return compact({
    opportunityId: pick(METADATA_KEYS.opportunity),
    accountId: pick(METADATA_KEYS.account),
    orderId: pick(METADATA_KEYS.order),
    customerId: idOf(customer),
  });
}

export interface LinkFields {
  readonly fields: Readonly<Record<string, SalesforceFieldValue>>;
  readonly optionalReferences: readonly string[];
}

/**
 * Lookups on a custom record (`Account__c`, `Opportunity__c`, `Order__c`). Without an Account id
 * the customer links through `Account__r`, which the writer drops when no Account has it.
 */
export function customRecordLinks(links: SalesforceLinks, options: { readonly order: boolean }): LinkFields {
  return accountLinks(links, 'Account__c', 'Account__r', {
    Opportunity__c: links.opportunityId,
    Order__c: options.order ? links.orderId : undefined,
  });
}

/** The same links on a Case: the standard `AccountId` / `Account` relationship. */
export function caseLinks(links: SalesforceLinks): LinkFields {
  return accountLinks(links, 'AccountId', 'Account', { Opportunity__c: links.opportunityId });
}

function accountLinks(
  links: SalesforceLinks,
  idField: string,
  relationship: string,
  others: Readonly<Record<string, string | undefined>>,
): LinkFields {
  // Every link is optional: a lookup to a record that is gone (or an id from another org) is
  // dropped by the writer so that the Stripe record itself is still written.
  const fields: Record<string, SalesforceFieldValue> = {};
  for (const [name, value] of Object.entries(others)) if (value !== undefined) fields[name] = value;
  if (links.accountId !== undefined) {
    fields[idField] = links.accountId;
  } else if (links.customerId !== undefined) {
    fields[relationship] = { Stripe_Customer_Id__c: links.customerId };
  }
  return { fields, optionalReferences: Object.keys(fields) };
}

/** Drops `undefined` entries (absent facts); `null` stays, meaning "clear the field". */
export function compact<T extends Record<string, unknown>>(record: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
