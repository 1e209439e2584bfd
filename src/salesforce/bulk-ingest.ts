/**
 * One Bulk API 2.0 ingest job, start to end, through jsforce's bulk2 API ("Process for Creating
 * Bulk API 2.0 Requests", Bulk API 2.0 and Bulk API Developer Guide): create the job → upload the
 * CSV → UploadComplete → poll Get Job Info until JobComplete, Failed or Aborted → successful,
 * failed and unprocessed records. Every step is one HTTP request under /services/data and counted
 * as one API call; each runs through `withSession`, so an expired session is renewed between
 * steps and the job, known by its id, carries on.
 *
 * jsforce parses the result files with csv-parse. The Lambda bundles alias the csv modules away
 * (src/salesforce/jsforce-bundle/csv.ts): only the backfill (a CLI on the operator's machine)
 * imports this module, never a Lambda entry point.
 */
import type { Connection } from 'jsforce/core';
import { BulkV2 } from 'jsforce/lib/api/bulk2.js';
import type { IngestJobV2, JobInfoV2 } from 'jsforce/lib/api/bulk2.js';
import { SalesforceTransientError } from './errors.js';
import { withSession, type SalesforceSession } from './session.js';

export interface IngestJobRequest {
  readonly object: string;
  readonly operation: 'upsert' | 'update';
  /** For upsert: the external id field the rows are matched on. */
  readonly externalIdFieldName?: string;
  readonly csv: string;
}

export interface IngestJobDeps {
  readonly session: SalesforceSession;
  /** Counts one API call (one HTTP request under /services/data). */
  readonly countCall: () => void;
  readonly sleep: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** Give up waiting after this long (the job may still finish; its records are then retried). */
  readonly pollTimeoutMs?: number;
}

export type ResultRow = Readonly<Record<string, string>>;

export interface IngestJobResult {
  readonly jobId: string;
  readonly state: 'JobComplete' | 'Failed' | 'Aborted';
  readonly errorMessage: string | undefined;
  /** `sf__Id`, `sf__Created` and the row as uploaded. */
  readonly successful: readonly ResultRow[];
  /** `sf__Id`, `sf__Error` and the row as uploaded. */
  readonly failed: readonly ResultRow[];
  /** Rows a failed or aborted job never processed. */
  readonly unprocessed: readonly ResultRow[];
}

/** First poll after 1 s, doubling to 30 s: a job of 10,000 rows takes seconds to minutes. */
const FIRST_POLL_MS = 1_000;
const MAX_POLL_MS = 30_000;
const DEFAULT_POLL_TIMEOUT_MS = 30 * 60_000;

type Step<T> = (bulk: BulkV2<never>, connection: Connection) => Promise<T>;

function rows(value: unknown): ResultRow[] {
  // jsforce answers an empty result file with '' or [] depending on the body.
  return Array.isArray(value) ? (value as ResultRow[]) : [];
}

export async function runIngestJob(request: IngestJobRequest, deps: IngestJobDeps): Promise<IngestJobResult> {
  const step = <T>(operation: Step<T>): Promise<T> =>
    withSession(deps.session, (connection) => {
      deps.countCall();
      return operation(new BulkV2(connection as never), connection);
    });
  const created = await step((bulk) =>
    bulk
      .createJob({
        object: request.object,
        operation: request.operation,
        ...(request.externalIdFieldName === undefined ? {} : { externalIdFieldName: request.externalIdFieldName }),
        contentType: 'CSV',
        lineEnding: 'LF',
        columnDelimiter: 'COMMA',
      })
      .open(),
  );
  const jobId = created.id;
  if (typeof jobId !== 'string' || jobId === '') {
    throw new SalesforceTransientError('Salesforce created a Bulk API 2.0 job without an id', { errorCode: 'UNEXPECTED_RESPONSE' });
  }
  const job = (bulk: BulkV2<never>): IngestJobV2<never> => bulk.job('ingest', { id: jobId });
  await step((bulk) => job(bulk).uploadData(request.csv));
  await step((bulk) => job(bulk).close());

  const deadline = deps.now() + (deps.pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS);
  let wait = FIRST_POLL_MS;
  let info: JobInfoV2;
  for (;;) {
    await deps.sleep(wait);
    info = await step((bulk) => job(bulk).check());
    if (info.state === 'JobComplete' || info.state === 'Failed' || info.state === 'Aborted') break;
    if (deps.now() >= deadline) {
      throw new SalesforceTransientError(`Bulk API 2.0 job ${jobId} still ${info.state} after ${Math.round((deps.pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS) / 1000)} s`, {
        errorCode: 'BULK_JOB_TIMEOUT',
      });
    }
    wait = Math.min(wait * 2, MAX_POLL_MS);
  }
  const state = info.state;
  const successful = rows(await step((bulk) => job(bulk).getSuccessfulResults()));
  // Both lists are empty when every record was processed and none failed: two calls saved.
  const failed = info.numberRecordsFailed > 0 ? rows(await step((bulk) => job(bulk).getFailedResults())) : [];
  const unprocessed = state !== 'JobComplete' ? rows(await step((bulk) => job(bulk).getUnprocessedRecords())) : [];
  return { jobId, state, errorMessage: info.errorMessage, successful, failed, unprocessed };
}
