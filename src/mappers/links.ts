/**
 * How a Stripe object points at Salesforce records: metadata the bridge (or an integrator)
 * set on it, or else its customer, which an Account carries as `Stripe_Customer_Id__c`.
 * Metadata is free text anyone with access to the Stripe account can edit: an id is used only
 * when it has the shape and key prefix of the record type its key names.
 */
import { METADATA_KEYS } from '../contracts/metadata.js';
import type { SalesforceFieldValue } from '../contracts/salesforce-mutation.js';
import { idOf } from '../stripe/api-versions.js';

export { METADATA_KEYS };

export { idOf };

/** Record ids are 15 (case-sensitive) or 18 (case-insensitive) alphanumerics. */
const SALESFORCE_ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

/**
 * The key prefix of each record type a metadata key may name: the first three characters of a
 * Salesforce id identify its object (standard objects have fixed prefixes in every org).
 */
export const RECORD_TYPES = {
  opportunity: { key: METADATA_KEYS.opportunity, sobject: 'Opportunity', prefix: '006' },
  account: { key: METADATA_KEYS.account, sobject: 'Account', prefix: '001' },
  order: { key: METADATA_KEYS.order, sobject: 'Order', prefix: '801' },
  quote: { key: METADATA_KEYS.quote, sobject: 'Quote', prefix: '0Q0' },
  contract: { key: METADATA_KEYS.contract, sobject: 'Contract', prefix: '800' },
} as const;

export type LinkedRecordType = keyof typeof RECORD_TYPES;

export interface SalesforceLinks {
  readonly opportunityId?: string;
  readonly accountId?: string;
  readonly orderId?: string;
  /** The Quote or Contract a billing command billed (its objects name it; issue 11). */
  readonly quoteId?: string;
  readonly contractId?: string;
  /** The Stripe customer, for linking through `Stripe_Customer_Id__c` when no Account id is known. */
  readonly customerId?: string;
  /**
   * Metadata values that were not used, with the reason (never the value: metadata is free text).
   * The Stripe record is still written; the consumer logs these.
   */
  readonly ignored?: readonly string[];
}

type Metadata = Readonly<Record<string, string>> | null | undefined;
type Expandable = string | { readonly id: string } | null | undefined;

export type IdCheck = { readonly id: string } | { readonly id?: undefined; readonly reason?: string };

/**
 * Checks a metadata value before it is used as a record id: 15 or 18 alphanumerics with the key
 * prefix of the expected object. Blank means "not set" (no reason); anything else that fails is
 * ignored with a reason that names the key and, for a well-formed id, the prefix it has.
 */
export function checkSalesforceId(value: string | undefined, type: LinkedRecordType): IdCheck {
  const trimmed = value?.trim();
  if (trimmed === undefined || trimmed === '') return {};
  const expected = RECORD_TYPES[type];
  if (!SALESFORCE_ID.test(trimmed)) return { reason: `${expected.key} is not a Salesforce record id; ignored` };
  if (trimmed.slice(0, 3) !== expected.prefix) {
    return {
      reason: `${expected.key} names a record with key prefix ${trimmed.slice(0, 3)}, not an ${expected.sobject} (${expected.prefix}); ignored`,
    };
  }
  return { id: trimmed };
}

/** A valid id of the expected object, or undefined. */
export function salesforceId(value: string | undefined, type: LinkedRecordType): string | undefined {
  return checkSalesforceId(value, type).id;
}

/**
 * The first valid id for each link across the metadata sources, most specific source first. An
 * invalid value (wrong shape, or an id of another object) is passed over with a reason, so a less
 * specific source can still supply the link.
 */
export function linksFrom(customer: Expandable, ...sources: readonly Metadata[]): SalesforceLinks {
  const ignored: string[] = [];
  const pick = (type: LinkedRecordType): string | undefined => {
    for (const metadata of sources) {
      const check = checkSalesforceId(metadata?.[RECORD_TYPES[type].key], type);
      if (check.id !== undefined) return check.id;
      if (check.reason !== undefined && !ignored.includes(check.reason)) ignored.push(check.reason);
    }
    return undefined;
  };
  return compact({
    opportunityId: pick('opportunity'),
    accountId: pick('account'),
    orderId: pick('order'),
    quoteId: pick('quote'),
    contractId: pick('contract'),
    customerId: idOf(customer),
    ignored: ignored.length > 0 ? ignored : undefined,
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
