/**
 * Closes the Cases the bridge opened for payment failures that were paid since, with a comment
 * that says so: one Composite request (two sObject Collections subrequests: the Cases' Status,
 * then the new CaseComments), whatever the number of Cases (up to 200 each).
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
  /** Throws (classified) when the request fails as a whole; record failures come back per Case. */
  close(closings: readonly CaseClosing[]): Promise<{ readonly results: ReadonlyMap<string, CaseClosed>; readonly apiCalls: number }>;
}

export interface CaseCloserOptions {
  readonly apiVersion: string;
  readonly closedStatus: string;
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

  async close(closings: readonly CaseClosing[]): Promise<{ results: ReadonlyMap<string, CaseClosed>; apiCalls: number }> {
    const results = new Map<string, CaseClosed>();
    let apiCalls = 0;
    for (let start = 0; start < closings.length; start += MAX_COLLECTION_RECORDS) {
      const chunk = closings.slice(start, start + MAX_COLLECTION_RECORDS);
      apiCalls += 1;
      for (const [caseId, result] of await this.closeChunk(chunk)) results.set(caseId, result);
    }
    return { results, apiCalls };
  }

  private async closeChunk(closings: readonly CaseClosing[]): Promise<Map<string, CaseClosed>> {
    const base = `/services/data/v${this.options.apiVersion}`;
    const commented = closings.filter((c) => c.comment !== undefined);
    const compositeRequest = [
      {
        method: 'PATCH',
        referenceId: 'close',
        url: `${base}/composite/sobjects`,
        body: { allOrNone: false, records: closings.map((c) => ({ attributes: { type: 'Case' }, Id: c.caseId, Status: this.options.closedStatus })) },
      },
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
    const commentOf = new Map(commented.map((c, i) => [c.caseId, comments[i]]));
    return new Map(
      closings.map((c, i) => [c.caseId, { closeError: closed[i], comment: c.comment === undefined ? 'none' : (commentOf.get(c.caseId) ?? 'added') }]),
    );
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
