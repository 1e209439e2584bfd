/**
 * The revenue records a command can be about, recognised by the key prefix of their id: the
 * first three characters of a Salesforce id name its object, the same in every org for standard
 * objects ("What are Salesforce ID's composed of?", Salesforce Help; Object Reference key
 * prefixes: Opportunity 006, Quote 0Q0, Order 801, Contract 800).
 */
export const REVENUE_OBJECTS = ['Opportunity', 'Quote', 'Order', 'Contract'] as const;
export type RevenueObject = (typeof REVENUE_OBJECTS)[number];

export const KEY_PREFIX: Readonly<Record<RevenueObject, string>> = {
  Opportunity: '006',
  Quote: '0Q0',
  Order: '801',
  Contract: '800',
};

/** 15 case-sensitive or 18 case-insensitive alphanumerics. */
export const RECORD_ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

/** The revenue object a record id names, or undefined for any other id (or not an id at all). */
export function revenueObjectOf(recordId: string): RevenueObject | undefined {
  if (!RECORD_ID.test(recordId)) return undefined;
  return REVENUE_OBJECTS.find((sobject) => recordId.startsWith(KEY_PREFIX[sobject]));
}
