/**
 * Turns the mutations of a batch into as few Salesforce requests as the API allows: merge every
 * record once, group by object and key into sObject Collections (≤ 200 records), order them so
 * referenced objects are written first, and pack them into Composite requests (≤ 25 subrequests,
 * ≤ 5 of them Collections or queries; small groups travel record by record when that saves a call).
 * Pure: no I/O, no knowledge of Stripe.
 */
import type { SalesforceFieldValue, SalesforceMutation, SObjectName } from '../contracts/salesforce-mutation.js';
import { DATA_MODEL, VERSION_FIELD } from './data-model.js';

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
  readonly skipIfRefused?: Refusal;
  /** Every contributing mutation is insert-only (see SalesforceMutation): the record is created, never updated. */
  readonly createOnly: boolean;
  /** The highest precedence key among the contributions; undefined when none carried one. */
  readonly version: number | undefined;
  /** Each contribution alone, lowest key first: what isolation re-sends one by one. */
  readonly contributions: readonly Contribution[];
}

/** One item's share of a merged record (its mutations of that record, merged alone). */
export interface Contribution {
  readonly correlationId: string;
  readonly fields: Readonly<Record<string, SalesforceFieldValue>>;
  readonly version: number | undefined;
  readonly optionalReferences: ReadonlySet<string>;
  readonly skipIfMissing: boolean;
  readonly skipIfRefused?: Refusal;
  readonly createOnly: boolean;
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
 * written once with the fields of all its mutations, overlaid in precedence order (unversioned
 * first, then the lowest key to the highest; equal keys in the items' order): the fields of the
 * highest key win, and the record carries that key, so Salesforce accepts or rejects the merged
 * write as it would the newest event alone. A relationship stays optional only if every mutation
 * that set it said so.
 */
export function mergeMutations(items: readonly MergeInput[]): MergedRecord[] {
  const groups = new Map<string, { first: SalesforceMutation; entries: Array<{ correlationId: string; mutation: SalesforceMutation; order: number }> }>();
  let order = 0;
  for (const item of items) {
    for (const mutation of item.mutations) {
      const key = mergeKeyOf(mutation.sobject, mutation.key.field, mutation.key.value);
      const group = groups.get(key) ?? { first: mutation, entries: [] };
      group.entries.push({ correlationId: item.correlationId, mutation, order: (order += 1) });
      groups.set(key, group);
    }
  }
  return [...groups].map(([mergeKey, { first, entries }]) => {
    const sorted = [...entries].sort((a, b) => (a.mutation.version ?? -1) - (b.mutation.version ?? -1) || a.order - b.order);
    const whole = accumulator();
    const byItem = new Map<string, Accumulator>();
    for (const { correlationId, mutation } of sorted) {
      add(whole, mutation);
      const own = byItem.get(correlationId) ?? accumulator();
      add(own, mutation);
      byItem.set(correlationId, own);
    }
    return {
      mergeKey,
      sobject: first.sobject,
      keyField: first.key.field,
      keyValue: first.key.value,
      ...result(whole),
      contributors: [...new Set(entries.map((e) => e.correlationId))],
      contributions: [...byItem].map(([correlationId, own]) => ({ correlationId, ...result(own) })),
    };
  });
}

type Refusal = NonNullable<SalesforceMutation['skipIfRefused']>;

/** What several mutations of one record add up to, overlaid in the order they are added. */
interface Accumulator {
  readonly fields: Record<string, SalesforceFieldValue>;
  readonly optional: Set<string>;
  readonly required: Set<string>;
  skipIfMissing: boolean;
  createOnly: boolean;
  /** undefined: nothing added yet; null: the mutations do not all declare the same refusal. */
  refusal: Refusal | null | undefined;
  version: number | undefined;
}

function accumulator(): Accumulator {
  return { fields: {}, optional: new Set(), required: new Set(), skipIfMissing: true, createOnly: true, refusal: undefined, version: undefined };
}

function add(acc: Accumulator, mutation: SalesforceMutation): void {
  Object.assign(acc.fields, mutation.fields);
  acc.skipIfMissing &&= mutation.skipIfMissing === true;
  // Insert-only when every mutation says so: one that may update the record makes it an upsert.
  acc.createOnly &&= mutation.createOnly === true && mutation.key.field !== 'Id';
  acc.refusal = acc.refusal === undefined ? (mutation.skipIfRefused ?? null) : sameRefusal(acc.refusal, mutation.skipIfRefused) ? acc.refusal : null;
  if (mutation.version !== undefined) acc.version = Math.max(acc.version ?? mutation.version, mutation.version);
  const optional = new Set(mutation.optionalReferences ?? []);
  for (const field of Object.keys(mutation.fields)) (optional.has(field) ? acc.optional : acc.required).add(field);
}

function result(acc: Accumulator): Omit<Contribution, 'correlationId'> {
  return {
    fields: acc.fields,
    // A relationship stays optional only if every mutation that set it said so.
    optionalReferences: new Set([...acc.optional].filter((f) => !acc.required.has(f))),
    skipIfMissing: acc.skipIfMissing,
    createOnly: acc.createOnly,
    version: acc.version,
    ...(acc.refusal ? { skipIfRefused: acc.refusal } : {}),
  };
}

/** One contribution as a record of its own, for writing it alone (isolation). */
export function isolate(record: MergedRecord, contribution: Contribution): MergedRecord {
  return {
    mergeKey: `${record.mergeKey}\u0000${contribution.correlationId}`,
    sobject: record.sobject,
    keyField: record.keyField,
    keyValue: record.keyValue,
    fields: contribution.fields,
    optionalReferences: contribution.optionalReferences,
    contributors: [contribution.correlationId],
    skipIfMissing: contribution.skipIfMissing,
    createOnly: contribution.createOnly,
    ...(contribution.skipIfRefused ? { skipIfRefused: contribution.skipIfRefused } : {}),
    version: contribution.version,
    contributions: [contribution],
  };
}

function sameRefusal(a: Refusal | null, b: SalesforceMutation['skipIfRefused']): boolean {
  if (a === null || b === undefined || a.field !== b.field) return false;
  const codes = (r: Refusal): string => [...refusalCodes(r)].sort().join(',');
  return codes(a) === codes(b);
}

/** The error codes a refusal names (one, or a list). */
export function refusalCodes(refusal: Refusal): readonly string[] {
  return typeof refusal.errorCode === 'string' ? [refusal.errorCode] : refusal.errorCode;
}

export type CollectionRequest =
  | { readonly kind: 'upsert'; readonly sobject: string; readonly keyField: string; readonly records: readonly MergedRecord[] }
  | { readonly kind: 'update'; readonly records: readonly MergedRecord[] }
  /** Inserts (createOnly records, objects mixed): sObject Collections create. */
  | { readonly kind: 'create'; readonly records: readonly MergedRecord[] };

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
 * Collections updates, and insert-only records Collections creates (mixed objects allowed). Requests are ordered so that a record is written
 * after the records it may reference through an external id in the same batch.
 */
export function planCollections(records: readonly MergedRecord[]): CollectionRequest[] {
  const groups = new Map<string, { depth: number; first: number; request: (chunk: MergedRecord[]) => CollectionRequest; records: MergedRecord[] }>();
  records.forEach((record, index) => {
    const isUpdate = record.keyField === 'Id';
    const groupKey = record.createOnly ? 'create' : isUpdate ? 'update' : `upsert\u0000${record.sobject}\u0000${record.keyField}`;
    let group = groups.get(groupKey);
    if (group === undefined) {
      group = {
        depth: 0,
        first: index,
        request: record.createOnly
          ? (chunk) => ({ kind: 'create', records: chunk })
          : isUpdate
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

/** A Composite request holds at most 25 subrequests in all. */
export const MAX_COMPOSITE_SUBREQUESTS = 25;

/**
 * One write subrequest of a Composite: a Collections request, or one record alone (sObject Rows
 * upsert by external id, or insert). A record alone does not count against the Composite's 5 Collections or
 * queries, only against its 25 subrequests.
 */
export type PlannedWrite = { readonly kind: 'collection'; readonly request: CollectionRequest } | { readonly kind: 'single'; readonly record: MergedRecord };

export interface CompositePlan {
  /** The write subrequests of each Composite call, in the order they must run. */
  readonly composites: readonly (readonly PlannedWrite[])[];
  /** The reads ride at the end of the last Composite (else they need a call of their own). */
  readonly readsRide: boolean;
}

/**
 * Composite's limits (REST API Developer Guide, "Send Multiple Requests Using Composite"): at most
 * 25 subrequests, of which at most 5 are sObject Collections or query operations. Which of these
 * consecutive requests travel as Collections and which record by record, so that they fit in one
 * Composite with `queries` query subrequests; undefined when they cannot. Records go alone only
 * when that is needed to fit, smallest upsert or create groups first; updates by Id always stay Collections
 * (an sObject Rows update answers a missing record differently, see the writer's skipIfMissing).
 */
function fitComposite(requests: readonly CollectionRequest[], queries: number): PlannedWrite[] | undefined {
  const collectionSlots = MAX_COLLECTIONS_PER_COMPOSITE - queries;
  if (collectionSlots < 0) return undefined;
  const excess = requests.length - collectionSlots;
  const alone = new Set<CollectionRequest>();
  if (excess > 0) {
    const candidates = requests.filter((r) => r.kind !== 'update').sort((a, b) => a.records.length - b.records.length);
    if (candidates.length < excess) return undefined;
    for (const request of candidates.slice(0, excess)) alone.add(request);
  }
  let subrequests = queries;
  for (const request of requests) subrequests += alone.has(request) ? request.records.length : 1;
  if (subrequests > MAX_COMPOSITE_SUBREQUESTS) return undefined;
  return requests.flatMap((request): PlannedWrite[] =>
    alone.has(request) ? request.records.map((record) => ({ kind: 'single', record })) : [{ kind: 'collection', request }],
  );
}

/**
 * Consecutive runs of requests, as few Composite calls as the limits allow, keeping the order
 * (a record is written after those it references). `lastQueries` reserves room for that many
 * queries in the last call. Greedy from the end: the fewest runs whose first run has that room.
 */
function packBackward(requests: readonly CollectionRequest[], lastQueries: number): PlannedWrite[][] {
  const runs: PlannedWrite[][] = [];
  let end = requests.length;
  let queries = lastQueries;
  while (end > 0) {
    let start = end;
    let fitted: PlannedWrite[] | undefined = [];
    for (let candidate = end - 1; candidate >= 0; candidate--) {
      const tried = fitComposite(requests.slice(candidate, end), queries);
      if (tried === undefined) break;
      start = candidate;
      fitted = tried;
    }
    if (start === end) {
      // Not even one request fits beside the queries: they take a call of their own.
      if (queries > 0 && runs.length === 0) {
        runs.push([]);
        queries = 0;
        continue;
      }
      // A request always fits an empty Composite (a Collection is one subrequest).
      fitted = fitComposite(requests.slice(end - 1, end), 0) ?? [];
      start = end - 1;
    }
    runs.unshift(fitted);
    end = start;
    queries = 0;
  }
  return runs;
}

/**
 * The Composite calls for these records, with `reads` query subrequests riding in the last one
 * when that costs no extra call. Without reads, or when they would need a call anyway, records go
 * alone only where that saves a call; the reads then follow in a call of their own.
 */
export function planComposites(records: readonly MergedRecord[], reads = 0): CompositePlan {
  const requests = planCollections(records);
  if (requests.length === 0) return { composites: [], readsRide: false };
  const plain = packBackward(requests, 0);
  if (reads === 0) return { composites: plain, readsRide: false };
  const withReads = packBackward(requests, reads);
  if (withReads.length > plain.length) return { composites: plain, readsRide: false };
  // An empty last run means the reads travel alone anyway.
  if (withReads.at(-1)?.length === 0) return { composites: plain, readsRide: false };
  return { composites: withReads, readsRide: true };
}

/**
 * A Collections record body with its precedence key; `dropped` relationships are left out
 * (optional-reference retry).
 */
export function recordBody(
  record: Pick<MergedRecord, 'sobject' | 'keyField' | 'keyValue' | 'fields' | 'version'>,
  dropped: ReadonlySet<string>,
): Record<string, unknown> {
  const body: Record<string, unknown> = { attributes: { type: record.sobject } };
  for (const [field, value] of Object.entries(record.fields)) {
    if (!dropped.has(field)) body[field] = value;
  }
  if (record.version !== undefined) body[VERSION_FIELD] = record.version;
  body[record.keyField] = record.keyValue;
  return body;
}
