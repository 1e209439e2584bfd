/**
 * The backfill's writer for large batches: the same interface, merging and ordering as the
 * Composite writer (writer.ts, batch-plan.ts), with each large group of records (one object, one
 * key field, at least `threshold` records) written by one Bulk API 2.0 ingest job instead of
 * Collections of 200 (bulk-ingest.ts). Smaller groups still go through the Composite writer.
 *
 * Order: groups are written one after another in the order batch-plan puts them (referenced
 * objects first), each job finished before the next starts; a group holds each record once
 * (merged), so the parallel internal batches of a job never race on one record.
 *
 * Never older over newer: every row carries its precedence key, and Salesforce runs the package's
 * validation rules on Bulk API saves as on any other; a row refused by the precedence rule comes
 * back in failedResults with that rule's error and counts as stale (the record shows newer state),
 * not as a failure. Every other refused or unprocessed row is written again through the Composite
 * writer, once: its error handling (a missing optional reference dropped, a deleted record skipped,
 * an expected refusal skipped, merged items isolated, transient vs permanent) is the one the live
 * path has, and a row lock taken by a parallel batch is retried there.
 */
import type { ReadAfterWrite, SalesforceMutation } from '../contracts/salesforce-mutation.js';
import { errorCode, type PermanentError, type TransientError } from '../errors.js';
import type { Logger } from '../logging.js';
import { mergeKeyOf, mergeMutations, planCollections, recordBody, type MergedRecord } from './batch-plan.js';
import { bulkCsv, parseBulkError, type BulkRow } from './bulk-csv.js';
import { runIngestJob, type IngestJobResult } from './bulk-ingest.js';
import { DATA_MODEL } from './data-model.js';
import { classifySalesforceFailure, isStaleRejection } from './errors.js';
import type { SalesforceSession } from './session.js';
import type { ItemOutcome, WriteItem, WriteResult, WrittenRecord } from './writer.js';

/** Salesforce suggests Bulk API 2.0 above about 2,000 records (Bulk API and Bulk API 2.0 Limits and Allocations). */
export const DEFAULT_BULK_THRESHOLD = 2_000;

export interface BulkWriterOptions {
  readonly logger?: Logger;
  /** A group of at least this many records goes through Bulk API 2.0 (1: every group). */
  readonly threshold: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly pollTimeoutMs?: number;
}

type Failure = TransientError | PermanentError;

/** What became of a record written by a job. */
type JobOutcome =
  | { readonly kind: 'written'; readonly id: string | undefined; readonly created: boolean | undefined }
  | { readonly kind: 'stale'; readonly id: string | undefined }
  | { readonly kind: 'failed'; readonly error: Failure };

interface Stage {
  readonly sobject: string;
  readonly keyField: string;
  readonly records: MergedRecord[];
}

/** batch-plan's order, regrouped per object and key field (a job takes one object). */
function stagesOf(records: readonly MergedRecord[]): Stage[] {
  const stages = new Map<string, Stage>();
  for (const request of planCollections(records)) {
    for (const record of request.records) {
      const key = `${record.sobject}\u0000${record.keyField}`;
      const stage = stages.get(key) ?? { sobject: record.sobject, keyField: record.keyField, records: [] };
      stage.records.push(record);
      stages.set(key, stage);
    }
  }
  return [...stages.values()];
}

/** The lookup field behind a relationship name (`Account__r` → `Account__c`). */
function lookupOf(sobject: string): (relationship: string) => string | undefined {
  return (relationship) => Object.entries(DATA_MODEL[sobject] ?? {}).find(([, f]) => f.relationshipName === relationship)?.[0];
}

export class BulkWriter {
  constructor(
    private readonly session: SalesforceSession,
    private readonly composite: { write(items: readonly WriteItem[], options?: { readonly reads?: readonly ReadAfterWrite[] }): Promise<WriteResult> },
    private readonly options: BulkWriterOptions,
  ) {}

  async write(items: readonly WriteItem[], options: { readonly reads?: readonly ReadAfterWrite[] } = {}): Promise<WriteResult> {
    // Reads after the write ride in a Composite request: nothing to gain from a job here.
    if ((options.reads ?? []).length > 0) return this.composite.write(items, options);
    let apiCalls = 0;
    const countCall = (): void => {
      apiCalls += 1;
    };
    const byJob = new Map<string, { record: MergedRecord; outcome: JobOutcome }>();
    const compositeOutcomes: Array<ReadonlyMap<string, ItemOutcome>> = [];
    const log = { jobs: 0, bulkRecords: 0, staleRecords: 0, resent: 0, failedJobs: 0 };

    const viaComposite = async (records: readonly MergedRecord[]): Promise<void> => {
      if (records.length === 0) return;
      const keys = new Set(records.map((r) => r.mergeKey));
      const own = (m: SalesforceMutation): boolean => keys.has(mergeKeyOf(m.sobject, m.key.field, m.key.value));
      const subItems = items.map((i) => ({ correlationId: i.correlationId, mutations: i.mutations.filter(own) })).filter((i) => i.mutations.length > 0);
      const result = await this.composite.write(subItems);
      apiCalls += result.apiCalls;
      compositeOutcomes.push(result.outcomes);
    };

    // Consecutive small groups travel together, so a batch with no large group costs exactly
    // what the Composite writer alone would.
    let small: MergedRecord[] = [];
    for (const stage of stagesOf(mergeMutations(items))) {
      if (stage.records.length < this.options.threshold) {
        small.push(...stage.records);
        continue;
      }
      await viaComposite(small);
      small = [];
      log.jobs += 1;
      log.bulkRecords += stage.records.length;
      const outcomes = await this.job(stage, countCall);
      const resend: MergedRecord[] = [];
      for (const record of stage.records) {
        const outcome = outcomes.get(record.keyValue);
        if (outcome === undefined) {
          resend.push(record);
          continue;
        }
        if (outcome.kind === 'stale') log.staleRecords += 1;
        byJob.set(record.mergeKey, { record, outcome });
      }
      if (outcomes.size === 0) log.failedJobs += 1;
      log.resent += resend.length;
      await viaComposite(resend);
    }
    await viaComposite(small);

    const outcomes = this.outcomes(items, byJob, compositeOutcomes);
    this.options.logger?.info({ records: byJob.size + log.resent, ...log, apiCalls }, 'salesforce bulk write finished');
    return { outcomes, apiCalls };
  }

  /**
   * One job for a stage; its answer per key value. A row missing from the answer (refused for
   * another reason than precedence, never processed, or a job Salesforce refused to create) is
   * left out: the caller re-sends it. A job that could not run because Salesforce is unavailable
   * fails every row with that (transient) error.
   */
  private async job(stage: Stage, countCall: () => void): Promise<Map<string, JobOutcome>> {
    const rows: BulkRow[] = stage.records.map((record) => {
      const { attributes: _attributes, ...fields } = recordBody(record, new Set());
      return { key: record.keyValue, fields: fields as BulkRow['fields'] };
    });
    const { csv } = bulkCsv(rows, lookupOf(stage.sobject));
    const outcomes = new Map<string, JobOutcome>();
    let result: IngestJobResult;
    try {
      result = await runIngestJob(
        {
          object: stage.sobject,
          operation: stage.keyField === 'Id' ? 'update' : 'upsert',
          ...(stage.keyField === 'Id' ? {} : { externalIdFieldName: stage.keyField }),
          csv,
        },
        { session: this.session, countCall, sleep: this.options.sleep, now: this.options.now, ...(this.options.pollTimeoutMs === undefined ? {} : { pollTimeoutMs: this.options.pollTimeoutMs }) },
      );
    } catch (err) {
      const error = classifySalesforceFailure(err) as Failure;
      this.options.logger?.warn({ sobject: stage.sobject, records: stage.records.length, errorCode: errorCode(error) }, 'salesforce: Bulk API 2.0 job could not run');
      // Salesforce refused the job itself (INVALIDJOB: an object or option Bulk API does not take):
      // the records go through Composite. Unavailable: they fail as transient, retried later.
      if (error.kind === 'permanent' || (error as { errorCode?: string }).errorCode === 'INVALIDJOB') return outcomes;
      for (const record of stage.records) outcomes.set(record.keyValue, { kind: 'failed', error });
      return outcomes;
    }
    if (result.state !== 'JobComplete') {
      this.options.logger?.warn({ sobject: stage.sobject, jobId: result.jobId, state: result.state, unprocessed: result.unprocessed.length }, 'salesforce: Bulk API 2.0 job did not complete');
    }
    for (const row of result.successful) {
      const key = row[stage.keyField];
      if (key === undefined) continue;
      outcomes.set(key, { kind: 'written', id: row['sf__Id'] || undefined, created: stage.keyField === 'Id' ? undefined : row['sf__Created'] === 'true' });
    }
    for (const row of result.failed) {
      const key = row[stage.keyField];
      if (key === undefined) continue;
      const error = parseBulkError(row['sf__Error'] ?? '');
      if (isStaleRejection(error.errorCode, error.message, error.fields)) outcomes.set(key, { kind: 'stale', id: row['sf__Id'] || undefined });
    }
    return outcomes;
  }

  private outcomes(
    items: readonly WriteItem[],
    byJob: ReadonlyMap<string, { record: MergedRecord; outcome: JobOutcome }>,
    compositeOutcomes: ReadonlyArray<ReadonlyMap<string, ItemOutcome>>,
  ): Map<string, ItemOutcome> {
    const result = new Map<string, ItemOutcome>();
    for (const item of items) {
      const records: WrittenRecord[] = [];
      const errors: Failure[] = [];
      const seen = new Set<string>();
      for (const mutation of item.mutations) {
        const key = mergeKeyOf(mutation.sobject, mutation.key.field, mutation.key.value);
        const written = byJob.get(key);
        if (written === undefined || seen.has(key)) continue;
        seen.add(key);
        const { record, outcome } = written;
        const base = { sobject: record.sobject, keyField: record.keyField, keyValue: record.keyValue };
        if (outcome.kind === 'failed') {
          errors.push(outcome.error);
          records.push({ ...base, id: undefined, created: undefined });
        } else if (outcome.kind === 'stale') records.push({ ...base, id: outcome.id, created: undefined, stale: true });
        else records.push({ ...base, id: outcome.id, created: outcome.created });
      }
      for (const outcomes of compositeOutcomes) {
        const outcome = outcomes.get(item.correlationId);
        if (outcome === undefined) continue;
        records.push(...outcome.records);
        if (!outcome.ok) errors.push(outcome.error);
      }
      const error = errors.find((e) => e.kind === 'permanent') ?? errors[0];
      result.set(item.correlationId, error === undefined ? { ok: true, records } : { ok: false, error, records });
    }
    return result;
  }
}
