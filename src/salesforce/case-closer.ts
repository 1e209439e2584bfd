/**
 * Closes the Cases the bridge opened for payment failures that were paid since, with a comment
 * that says so, and completes their recovery Tasks: one Composite request (up to three sObject
 * Collections subrequests: the Cases' Status, the Tasks' Status, then the new CaseComments),
 * whatever the number of Cases and Tasks (up to 200 each).
 *
 * Salesforce: a Case is closed when its Status is a value whose CaseStatus.IsClosed is true
 * ("Multiple case status values can represent a closed Case", Object Reference, CaseStatus); the
 * default org's is `Closed`, an org with its own closed value sets SALESFORCE_CASE_CLOSED_STATUS.
 * A CaseComment (ParentId, CommentBody, IsPublished) follows its Case: creating one needs edit
 * access to the Case, its fields have no field-level security of their own (Object Reference,
 * CaseComment). IsPublished false keeps the comment internal (not shown in a customer portal).
 */
import type { Connection } from 'jsforce/core';
import type { TransientError, PermanentError } from '../errors.js';
import { salesforceError, SalesforceTransientError } from './errors.js';
import { MAX_COLLECTION_RECORDS } from './batch-plan.js';
import { withSession, type SalesforceSession } from './session.js';

export interface CaseClosing {
  readonly caseId: string;
  /** The comment to add, or undefined when another attempt adds it (or added it already). */
  readonly comment: string | undefined;
}

type Failure = TransientError | PermanentError;

export interface CaseClosed {
  /** Undefined: the Case is closed (or was already). */
  readonly closeError: Failure | undefined;
  /** `added`, `none` (no comment asked for), or the failure. */
  readonly comment: 'added' | 'none' | Failure;
}

export interface CaseCloserPort {
  /**
   * Closes the Cases and completes the recovery Tasks (by Id) in the same request. Throws
   * (classified) when the request fails as a whole; record failures come back per Case and Task
   * (a Task: undefined when completed).
   */
  close(
    closings: readonly CaseClosing[],
    taskIds?: readonly string[],
  ): Promise<{ readonly results: ReadonlyMap<string, CaseClosed>; readonly tasks: ReadonlyMap<string, Failure | undefined>; readonly apiCalls: number }>;
}

export interface CaseCloserOptions {
  readonly apiVersion: string;
  readonly closedStatus: string;
  /** The Task Status that completes a Task: a TaskStatus whose IsClosed is true (`Completed`). */
  readonly completedTaskStatus?: string;
  readonly requestTimeoutMs?: number;
}

interface SaveResultWire {
  readonly success?: boolean;
  readonly errors?: ReadonlyArray<{ readonly statusCode?: string; readonly message?: string; readonly fields?: readonly string[] }>;
}

interface Subresponse {
  readonly body: unknown;
  readonly httpStatusCode: number;
  readonly referenceId: string;
}

export class CaseCloser implements CaseCloserPort {
  constructor(
    private readonly session: SalesforceSession,
    private readonly options: CaseCloserOptions,
  ) {}

  async close(
    closings: readonly CaseClosing[],
    taskIds: readonly string[] = [],
  ): Promise<{ results: ReadonlyMap<string, CaseClosed>; tasks: ReadonlyMap<string, Failure | undefined>; apiCalls: number }> {
    const results = new Map<string, CaseClosed>();
    const tasks = new Map<string, Failure | undefined>();
    let apiCalls = 0;
    const chunks = Math.max(Math.ceil(closings.length / MAX_COLLECTION_RECORDS), Math.ceil(taskIds.length / MAX_COLLECTION_RECORDS));
    for (let chunk = 0; chunk < chunks; chunk += 1) {
      const range = [chunk * MAX_COLLECTION_RECORDS, (chunk + 1) * MAX_COLLECTION_RECORDS] as const;
      apiCalls += 1;
      const answer = await this.closeChunk(closings.slice(...range), taskIds.slice(...range));
      for (const [caseId, result] of answer.cases) results.set(caseId, result);
      for (const [taskId, failure] of answer.tasks) tasks.set(taskId, failure);
    }
    return { results, tasks, apiCalls };
  }

  private async closeChunk(closings: readonly CaseClosing[], taskIds: readonly string[]): Promise<{ cases: Map<string, CaseClosed>; tasks: Map<string, Failure | undefined> }> {
    const base = `/services/data/v${this.options.apiVersion}`;
    const commented = closings.filter((c) => c.comment !== undefined);
    const compositeRequest = [
      ...(closings.length === 0
        ? []
        : [
            {
              method: 'PATCH',
              referenceId: 'close',
              url: `${base}/composite/sobjects`,
              body: { allOrNone: false, records: closings.map((c) => ({ attributes: { type: 'Case' }, Id: c.caseId, Status: this.options.closedStatus })) },
            },
          ]),
      ...(taskIds.length === 0
        ? []
        : [
            {
              method: 'PATCH',
              referenceId: 'complete',
              url: `${base}/composite/sobjects`,
              body: { allOrNone: false, records: taskIds.map((Id) => ({ attributes: { type: 'Task' }, Id, Status: this.options.completedTaskStatus ?? 'Completed' })) },
            },
          ]),
      ...(commented.length === 0
        ? []
        : [
            {
              method: 'POST',
              referenceId: 'comment',
              url: `${base}/composite/sobjects`,
              body: {
                allOrNone: false,
                records: commented.map((c) => ({ attributes: { type: 'CaseComment' }, ParentId: c.caseId, CommentBody: c.comment, IsPublished: false })),
              },
            },
          ]),
    ];
    // A request that fails as a whole throws, classified (withSession), so the circuit breaker sees it.
    const response = await withSession(this.session, (connection: Connection) =>
      connection.requestPost<unknown>(`${base}/composite`, { allOrNone: false, compositeRequest }, { timeout: this.options.requestTimeoutMs ?? 30_000 }),
    );
    const list = (response as { compositeResponse?: unknown } | null)?.compositeResponse;
    if (!Array.isArray(list)) throw new SalesforceTransientError('Salesforce Composite answer has no compositeResponse', { errorCode: 'UNEXPECTED_RESPONSE' });
    const byReference = new Map((list as Subresponse[]).map((sub) => [sub.referenceId, sub]));
    const closed = saveResults(byReference.get('close'), closings.length);
    const comments = saveResults(byReference.get('comment'), commented.length);
    const completed = saveResults(byReference.get('complete'), taskIds.length);
    const commentOf = new Map(commented.map((c, i) => [c.caseId, comments[i]]));
    return {
      cases: new Map(closings.map((c, i) => [c.caseId, { closeError: closed[i], comment: c.comment === undefined ? 'none' : (commentOf.get(c.caseId) ?? 'added') }])),
      tasks: new Map(taskIds.map((id, i) => [id, completed[i]])),
    };
  }
}

/** Per record: undefined when saved, else its failure (a failed subrequest fails all its records). */
function saveResults(sub: Subresponse | undefined, count: number): Array<Failure | undefined> {
  if (count === 0) return [];
  if (sub === undefined) {
    return Array.from({ length: count }, () => new SalesforceTransientError('Salesforce returned no result for a Composite subrequest', { errorCode: 'UNEXPECTED_RESPONSE' }));
  }
  if (sub.httpStatusCode < 200 || sub.httpStatusCode >= 300) {
    const first = (Array.isArray(sub.body) ? sub.body[0] : undefined) as { errorCode?: unknown; message?: unknown } | undefined;
    const failure = salesforceError(
      typeof first?.errorCode === 'string' ? first.errorCode : `ERROR_HTTP_${sub.httpStatusCode}`,
      typeof first?.message === 'string' ? first.message : 'subrequest failed',
      { status: sub.httpStatusCode },
    );
    return Array.from({ length: count }, () => failure);
  }
  const results = Array.isArray(sub.body) ? (sub.body as SaveResultWire[]) : [];
  return Array.from({ length: count }, (_, i) => {
    const result = results[i];
    if (result?.success === true) return undefined;
    const error = result?.errors?.[0];
    return result === undefined
      ? new SalesforceTransientError('Salesforce returned no result for a record', { errorCode: 'UNEXPECTED_RESPONSE' })
      : salesforceError(error?.statusCode ?? 'UNKNOWN_RECORD_ERROR', error?.message ?? 'record failed without an error', { status: sub.httpStatusCode, fields: error?.fields });
  });
}
