/**
 * Turns the mutations of a batch into as few Salesforce requests as the API allows: merge every
 * record once, group by object and key into sObject Collections (≤ 200 records), order them so
 * referenced objects are written first, and pack ≤ 5 collections into one Composite request.
 * Pure: no I/O, no knowledge of Stripe.
 */
import type { SalesforceFieldValue, SalesforceMutation, SObjectName } from '../contracts/salesforce-mutation.js';
import { DATA_MODEL } from './data-model.js';

/** sObject Collections take at most 200 records per request. */
export const MAX_COLLECTION_RECORDS = 200;
/** A Composite request may hold at most 5 sObject Collections or query subrequests (25 in all). */
export const MAX_COLLECTIONS_PER_COMPOSITE = 5;

export interface MergedRecord {
  readonly mergeKey: string;
  readonly sobject: SObjectName;
  readonly keyField: string;
  readonly keyValue: string;
  readonly fields: Readonly<Record<string, SalesforceFieldValue>>;
  /** Relationship fields every contributing mutation allowed to drop. */
  readonly optionalReferences: ReadonlySet<string>;
  /** Correlation ids of the items whose mutations were merged into this record, in order. */
  readonly contributors: readonly string[];
  /** Every contributing mutation allowed a missing record to be skipped (updates by Id). */
  readonly skipIfMissing: boolean;
  /** The refusal every contributing mutation declared as expected (see SalesforceMutation). */
  readonly skipIfRefused?: { readonly errorCode: string; readonly field: string };
}

export interface MergeInput {
  readonly correlationId: string;
  readonly mutations: readonly SalesforceMutation[];
}

export function mergeKeyOf(sobject: string, keyField: string, keyValue: string): string {
  return `${sobject}\u0000${keyField}\u0000${keyValue}`;
}

/**
 * Salesforce rejects two records with the same key in one Collections request, so every record is
 * written once with the fields of all its mutations; later mutations win (callers order them by
 * event time). A relationship stays optional only if every mutation that set it said so.
 */
export function mergeMutations(items: readonly MergeInput[]): MergedRecord[] {
  const merged = new Map<
    string,
    {
      sobject: SObjectName;
      keyField: string;
      keyValue: string;
      fields: Record<string, SalesforceFieldValue>;
      optional: Set<string>;
      required: Set<string>;
      contributors: string[];
      skipIfMissing: boolean;
      skipIfRefused: SalesforceMutation['skipIfRefused'] | null;
    }
  >();
  for (const item of items) {
    for (const mutation of item.mutations) {
      const key = mergeKeyOf(mutation.sobject, mutation.key.field, mutation.key.value);
      let record = merged.get(key);
      if (record === undefined) {
        record = {
          sobject: mutation.sobject,
          keyField: mutation.key.field,
          keyValue: mutation.key.value,
          fields: {},
          optional: new Set(),
          required: new Set(),
          contributors: [],
          skipIfMissing: true,
          skipIfRefused: mutation.skipIfRefused ?? null,
        };
        merged.set(key, record);
      }
      Object.assign(record.fields, mutation.fields);
      record.skipIfMissing &&= mutation.skipIfMissing === true;
      if (!sameRefusal(record.skipIfRefused, mutation.skipIfRefused)) record.skipIfRefused = null;
      const optional = new Set(mutation.optionalReferences ?? []);
      for (const field of Object.keys(mutation.fields)) {
        if (optional.has(field)) record.optional.add(field);
        else record.required.add(field);
      }
      if (!record.contributors.includes(item.correlationId)) record.contributors.push(item.correlationId);
    }
  }
  return [...merged].map(([mergeKey, r]) => ({
    mergeKey,
    sobject: r.sobject,
    keyField: r.keyField,
    keyValue: r.keyValue,
    fields: r.fields,
    optionalReferences: new Set([...r.optional].filter((f) => !r.required.has(f))),
    contributors: r.contributors,
    skipIfMissing: r.skipIfMissing,
    ...(r.skipIfRefused ? { skipIfRefused: r.skipIfRefused } : {}),
  }));
}

function sameRefusal(a: SalesforceMutation['skipIfRefused'] | null, b: SalesforceMutation['skipIfRefused']): boolean {
  return a != null && b !== undefined && a.errorCode === b.errorCode && a.field === b.field;
}

export type CollectionRequest =
  | { readonly kind: 'upsert'; readonly sobject: string; readonly keyField: string; readonly records: readonly MergedRecord[] }
  | { readonly kind: 'update'; readonly records: readonly MergedRecord[] };

const depthCache = new Map<string, number>();

/** How many levels of lookups an object sits below: Account 0, Opportunity 1, Order 2, … */
function referenceDepth(sobject: string, visiting: ReadonlySet<string> = new Set()): number {
  const cached = depthCache.get(sobject);
  if (cached !== undefined) return cached;
  const spec = DATA_MODEL[sobject];
  let depth = 0;
  for (const field of Object.values(spec ?? {})) {
    const target = field.referenceTo;
    if (target === undefined || target === sobject || visiting.has(target)) continue;
    depth = Math.max(depth, 1 + referenceDepth(target, new Set([...visiting, sobject])));
  }
  depthCache.set(sobject, depth);
  return depth;
}

/**
 * External-id keys become Collections upserts per (object, key field); `Id` keys become
 * Collections updates (mixed objects allowed). Requests are ordered so that a record is written
 * after the records it may reference through an external id in the same batch.
 */
export function planCollections(records: readonly MergedRecord[]): CollectionRequest[] {
  const groups = new Map<string, { depth: number; first: number; request: (chunk: MergedRecord[]) => CollectionRequest; records: MergedRecord[] }>();
  records.forEach((record, index) => {
    const isUpdate = record.keyField === 'Id';
    const groupKey = isUpdate ? 'update' : `upsert\u0000${record.sobject}\u0000${record.keyField}`;
    let group = groups.get(groupKey);
    if (group === undefined) {
      group = {
        depth: 0,
        first: index,
        request: isUpdate
          ? (chunk) => ({ kind: 'update', records: chunk })
          : (chunk) => ({ kind: 'upsert', sobject: record.sobject, keyField: record.keyField, records: chunk }),
        records: [],
      };
      groups.set(groupKey, group);
    }
    group.depth = Math.max(group.depth, referenceDepth(record.sobject));
    group.records.push(record);
  });
  const ordered = [...groups.values()].sort((a, b) => a.depth - b.depth || a.first - b.first);
  const requests: CollectionRequest[] = [];
  for (const group of ordered) {
    for (let start = 0; start < group.records.length; start += MAX_COLLECTION_RECORDS) {
      requests.push(group.request(group.records.slice(start, start + MAX_COLLECTION_RECORDS)));
    }
  }
  return requests;
}

/** Consecutive requests, ≤ 5 per Composite call, keeping the order. */
export function packComposites(requests: readonly CollectionRequest[]): CollectionRequest[][] {
  const composites: CollectionRequest[][] = [];
  for (let start = 0; start < requests.length; start += MAX_COLLECTIONS_PER_COMPOSITE) {
    composites.push(requests.slice(start, start + MAX_COLLECTIONS_PER_COMPOSITE));
  }
  return composites;
}

/** A Collections record body; `dropped` relationships are left out (optional-reference retry). */
export function recordBody(record: MergedRecord, dropped: ReadonlySet<string>): Record<string, unknown> {
  const body: Record<string, unknown> = { attributes: { type: record.sobject } };
  for (const [field, value] of Object.entries(record.fields)) {
    if (!dropped.has(field)) body[field] = value;
  }
  body[record.keyField] = record.keyValue;
  return body;
}
