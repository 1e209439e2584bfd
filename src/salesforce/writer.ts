/**
 * The batched Salesforce writer: every mutation of a batch in as few API calls as possible
 * (merged records, sObject Collections inside Composite requests), each result mapped back to the
 * items that asked for it. It knows Salesforce, not Stripe.
 *
 * Outcome of an item: ok when every record it contributed to was written or rejected as stale
 * (Salesforce's validation rule found a newer precedence key on the record: not a failure, the
 * record already shows something newer). Otherwise its error is the first permanent failure among
 * its records (retrying the item cannot help while one of its records is invalid), else the
 * first transient one.
 *
 * Isolation: when a record merged from several items fails permanently, each item's own version
 * of it is written alone (lowest precedence key first, so the newest valid one ends on the
 * record), and only the items whose own version fails are failed.
 */
import type { Connection } from 'jsforce/core';
import type { ReadAfterWrite, ReadAnswer, SalesforceMutation } from '../contracts/salesforce-mutation.js';
import type { BridgeError, PermanentError, TransientError } from '../errors.js';
import type { Logger } from '../logging.js';
import {
  isolate,
  MAX_COMPOSITE_SUBREQUESTS,
  mergeMutations,
  planComposites,
  recordBody,
  refusalCodes,
  type CollectionRequest,
  type MergedRecord,
} from './batch-plan.js';
import { classifySalesforceFailure, isStaleRejection, salesforceError, SalesforceTransientError } from './errors.js';
import { DATA_MODEL } from './data-model.js';
import { withSession, type SalesforceSession } from './session.js';

export interface WriteItem {
  readonly correlationId: string;
  readonly mutations: readonly SalesforceMutation[];
}

export interface WrittenRecord {
  readonly sobject: string;
  readonly keyField: string;
  readonly keyValue: string;
  readonly id: string | undefined;
  readonly created: boolean | undefined;
  /** Not written: the record already carries a newer precedence key. */
  readonly stale?: true;
}

export type ItemOutcome =
  | { readonly ok: true; readonly records: readonly WrittenRecord[] }
  | { readonly ok: false; readonly error: TransientError | PermanentError; readonly records: readonly WrittenRecord[] };

export interface WriteResult {
  readonly outcomes: ReadonlyMap<string, ItemOutcome>;
  /** HTTP requests sent under /services/data (each Composite counts once, a resend again). */
  readonly apiCalls: number;
  /** The answers to `reads` (by referenceId), as Salesforce gave them after every write; absent when they could not be read. */
  readonly reads?: ReadonlyMap<string, ReadAnswer>;
}


export interface WriteOptions {
  /**
   * Queries that must see this write: they ride at the end of the write's last Composite request
   * when the plan can make room without an extra call (a Composite holds 25 subrequests, at most 5
   * of them Collections or queries: small groups then travel record by record), else they go
   * alone after it, and again alone when records were re-sent after them.
   */
  readonly reads?: readonly ReadAfterWrite[];
}

/** Where the reads rode and what came back. */
interface Piggyback {
  readonly reads: readonly ReadAfterWrite[];
  /** The write's API call count so far. */
  readonly calls: () => number;
  answers?: Map<string, ReadAnswer>;
  /** The API call count right after the Composite that carried them. */
  atCall?: number;
  /** They were sent and the request failed: Salesforce is not answering, nothing is read again. */
  failed?: boolean;
}

export interface SalesforceWriterOptions {
  readonly apiVersion: string;
  readonly logger?: Logger;
  /** Per-request timeout; keep it below the Lambda timeout. */
  readonly requestTimeoutMs?: number;
}

/** How many times records are re-sent without a missing optional reference (one per reference). */
const MAX_OPTIONAL_REFERENCE_ROUNDS = 3;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

type Failure = TransientError | PermanentError;

interface RecordState {
  readonly record: MergedRecord;
  readonly dropped: Set<string>;
  id?: string | undefined;
  created?: boolean | undefined;
  error?: Failure | undefined;
  /** Salesforce's own message for the error, kept to recognise a missing foreign key; never logged. */
  salesforceMessage?: string | undefined;
  /** Not written: an update by Id of a record that does not exist (see skipIfMissing), or an insert-only record that exists already (createOnly). */
  skipped?: boolean;
  /** Not written: Salesforce holds a newer precedence key for the record. */
  stale?: boolean;
  /** After isolation: each contributor's own version of this record, written alone. */
  isolated?: ReadonlyMap<string, RecordState>;
}

interface CompositeSubresponse {
  readonly body: unknown;
  readonly httpStatusCode: number;
  readonly referenceId: string;
}

interface SaveResultWire {
  readonly id?: string | null;
  readonly success?: boolean;
  readonly created?: boolean;
  readonly errors?: ReadonlyArray<{ readonly statusCode?: string; readonly message?: string; readonly fields?: readonly string[] }>;
}

interface ErrorWire {
  readonly errorCode?: unknown;
  readonly message?: unknown;
  readonly fields?: unknown;
}

/** One Composite subrequest: a write (PATCH, referenced as r<index>) unless it says otherwise. */
interface Subrequest {
  readonly method?: 'GET' | 'PATCH' | 'POST';
  readonly referenceId?: string;
  readonly url: string;
  readonly body?: unknown;
}

/** How a group of records travels: Collections of distinct records, or one subrequest each. */
type Transport = 'collections' | 'single';

function asTaxonomy(err: BridgeError): Failure {
  return err as Failure;
}

function stringList(value: unknown): readonly string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}

export class SalesforceWriter {
  private readonly timeoutMs: number;

  constructor(
    private readonly session: SalesforceSession,
    private readonly options: SalesforceWriterOptions,
  ) {
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  async write(items: readonly WriteItem[], options: WriteOptions = {}): Promise<WriteResult> {
    const records = mergeMutations(items);
    const states = records.map((record): RecordState => ({ record, dropped: new Set<string>() }));
    let apiCalls = 0;
    const countCall = (): number => (apiCalls += 1);
    const piggyback: Piggyback = { reads: options.reads ?? [], calls: () => apiCalls };

    await this.settle(states, 'collections', countCall, piggyback);
    await this.isolateFailures(states, countCall);
    const reads = await this.finishReads(piggyback, apiCalls, countCall);

    const outcomes = this.outcomes(items, states);
    const failed = states.filter((s) => s.error !== undefined);
    this.options.logger?.info(
      {
        records: states.length,
        failedRecords: failed.length,
        staleRecords: states.filter((s) => s.stale === true).length,
        isolatedRecords: states.filter((s) => s.isolated !== undefined).length,
        failureCodes: [...new Set(failed.map((s) => s.error?.code))],
        apiCalls,
      },
      'salesforce write finished',
    );
    return { outcomes, apiCalls, ...(reads === undefined ? {} : { reads }) };
  }

  /**
   * The reads' answers once every record is written: those that rode along when nothing was sent
   * after them, else the reads alone in one more Composite request.
   */
  private async finishReads(piggyback: Piggyback, apiCalls: number, countCall: () => number): Promise<Map<string, ReadAnswer> | undefined> {
    if (piggyback.reads.length === 0 || piggyback.failed === true) return undefined;
    if (piggyback.answers !== undefined && piggyback.atCall === apiCalls) return piggyback.answers;
    try {
      const subresponses = await this.postComposite(piggyback.reads.map((read) => this.readSubrequest(read)), countCall);
      return this.readAnswers(piggyback.reads, subresponses);
    } catch (err) {
      this.options.logger?.warn({ errorCode: classifySalesforceFailure(err).code }, 'salesforce: reads after the write failed');
      return undefined;
    }
  }

  private readSubrequest(read: ReadAfterWrite): Subrequest {
    return { method: 'GET', referenceId: read.referenceId, url: `${this.base()}/query?q=${encodeURIComponent(read.soql)}` };
  }

  private readAnswers(reads: readonly ReadAfterWrite[], subresponses: ReadonlyMap<string, CompositeSubresponse>): Map<string, ReadAnswer> {
    const answers = new Map<string, ReadAnswer>();
    for (const read of reads) {
      const sub = subresponses.get(read.referenceId);
      if (sub !== undefined) answers.set(read.referenceId, { httpStatusCode: sub.httpStatusCode, body: sub.body });
    }
    return answers;
  }

  /** Sends the records, then re-sends those that failed only for a missing optional reference. */
  private async settle(states: readonly RecordState[], transport: Transport, countCall: () => number, piggyback?: Piggyback): Promise<void> {
    await this.send(states, transport, countCall, piggyback);
    this.skipMissingRecords(states);
    for (let round = 0; round < MAX_OPTIONAL_REFERENCE_ROUNDS; round++) {
      const retry = states.filter((state) => this.dropMissingOptionalReference(state));
      if (retry.length === 0) break;
      // A record that failed only because a record of this batch it references failed too (a
      // subscription item whose subscription lacked its Account) follows it, reference kept.
      const resent = new Set(retry.map((s) => `${s.record.sobject}\u0000${s.record.keyValue}`));
      retry.push(...states.filter((state) => !retry.includes(state) && this.waitsOn(state, resent)));
      this.options.logger?.info(
        { records: retry.length, relationships: [...new Set(retry.flatMap((s) => [...s.dropped]))] },
        'salesforce: re-sending records without a missing optional reference',
      );
      for (const state of retry) {
        state.error = undefined;
        state.salesforceMessage = undefined;
      }
      await this.send(retry, transport, countCall);
      this.skipMissingRecords(states);
    }
  }

  /**
   * A record merged from several items that Salesforce rejected permanently: each item's own
   * version is written alone, lowest precedence key first, so only the items that cause the
   * rejection fail and the record ends on the newest version Salesforce accepts.
   */
  private async isolateFailures(states: readonly RecordState[], countCall: () => number): Promise<void> {
    const suspects = states.filter((s) => s.error?.kind === 'permanent' && s.record.contributions.length > 1);
    if (suspects.length === 0) return;
    const alone: RecordState[] = [];
    for (const state of suspects) {
      const isolated = new Map<string, RecordState>();
      for (const contribution of state.record.contributions) {
        const single: RecordState = { record: isolate(state.record, contribution), dropped: new Set(state.dropped) };
        isolated.set(contribution.correlationId, single);
        alone.push(single);
      }
      state.isolated = isolated;
    }
    this.options.logger?.info(
      { records: suspects.length, writes: alone.length, failureCodes: [...new Set(suspects.map((s) => s.error?.code))] },
      'salesforce: writing the items of a rejected merged record one by one',
    );
    await this.settle(alone, 'single', countCall);
  }

  private async send(states: readonly RecordState[], transport: Transport, countCall: () => number, piggyback?: Piggyback): Promise<void> {
    if (transport === 'single') {
      for (let start = 0; start < states.length; start += MAX_COMPOSITE_SUBREQUESTS) {
        await this.sendSingles(states.slice(start, start + MAX_COMPOSITE_SUBREQUESTS), countCall);
      }
      return;
    }
    const byKey = new Map(states.map((s) => [s.record.mergeKey, s]));
    const stateOf = (record: MergedRecord): RecordState => byKey.get(record.mergeKey) as RecordState;
    const plan = planComposites(
      states.map((s) => s.record),
      piggyback?.reads.length ?? 0,
    );
    let abort: Failure | undefined;
    for (const [index, writes] of plan.composites.entries()) {
      const affected = writes.flatMap((w) => (w.kind === 'single' ? [stateOf(w.record)] : w.request.records.map(stateOf)));
      // The reads ride in the last Composite when the plan made room for them.
      const reads = piggyback !== undefined && plan.readsRide && index === plan.composites.length - 1 ? piggyback.reads : [];
      if (abort !== undefined) {
        for (const state of affected) state.error = abort;
        if (piggyback !== undefined) piggyback.failed = true;
        continue;
      }
      try {
        const subrequests: Subrequest[] = [
          ...writes.map((w, i) => ({
            ...(w.kind === 'single' ? this.singleSubrequest(stateOf(w.record)) : this.collectionSubrequest(w.request, byKey)),
            referenceId: `r${i}`,
          })),
          ...reads.map((read) => this.readSubrequest(read)),
        ];
        const subresponses = await this.postComposite(subrequests, countCall);
        if (reads.length > 0 && piggyback !== undefined) {
          piggyback.answers = this.readAnswers(reads, subresponses);
          piggyback.atCall = piggyback.calls();
        }
        writes.forEach((w, i) => {
          const sub = subresponses.get(`r${i}`);
          if (w.kind === 'single') this.applySingleResult(stateOf(w.record), sub);
          else this.applyCollectionResult(w.request.records.map(stateOf), sub);
        });
      } catch (err) {
        const failure = asTaxonomy(classifySalesforceFailure(err));
        for (const state of affected) state.error = failure;
        if (reads.length > 0 && piggyback !== undefined) piggyback.failed = true;
        // Throttling, outages and a dead session hit the next Composite just the same: stop here.
        if (failure.kind === 'transient') abort = failure;
      }
    }
  }

  private base(): string {
    return `/services/data/v${this.options.apiVersion}`;
  }

  private collectionSubrequest(request: CollectionRequest, byKey: ReadonlyMap<string, RecordState>): Subrequest {
    const base = this.base();
    return {
      // sObject Collections: upsert is PATCH …/{object}/{key field}, update PATCH and create POST on the collection.
      ...(request.kind === 'create' ? { method: 'POST' as const } : {}),
      url: request.kind === 'upsert' ? `${base}/composite/sobjects/${request.sobject}/${request.keyField}` : `${base}/composite/sobjects`,
      body: {
        allOrNone: false,
        records: request.records.map((record) => recordBody(record, (byKey.get(record.mergeKey) as RecordState).dropped)),
      },
    };
  }

  /**
   * Records that share a key (isolated versions of one record) cannot travel in one Collections
   * request, so each goes as its own sObject Rows subrequest, in order, ≤ 25 per Composite.
   */
  private async sendSingles(states: readonly RecordState[], countCall: () => number): Promise<void> {
    const subrequests = states.map((state) => this.singleSubrequest(state));
    try {
      const subresponses = await this.postComposite(subrequests, countCall);
      states.forEach((state, index) => this.applySingleResult(state, subresponses.get(`r${index}`)));
    } catch (err) {
      const failure = asTaxonomy(classifySalesforceFailure(err));
      for (const state of states) state.error = failure;
    }
  }

  /** One record as an sObject Rows subrequest: upsert by external id, update by Id, or insert (createOnly, key in the body). */
  private singleSubrequest(state: RecordState): Subrequest {
    const base = this.base();
    const { record } = state;
    if (record.createOnly) {
      const { attributes: _attributes, ...body } = recordBody(record, state.dropped);
      return { method: 'POST', url: `${base}/sobjects/${record.sobject}`, body };
    }
    const { attributes: _attributes, [record.keyField]: _key, ...fields } = recordBody(record, state.dropped);
    const url =
      record.keyField === 'Id'
        ? `${base}/sobjects/${record.sobject}/${encodeURIComponent(record.keyValue)}`
        : `${base}/sobjects/${record.sobject}/${record.keyField}/${encodeURIComponent(record.keyValue)}`;
    return { url, body: fields };
  }

  private async postComposite(subrequests: readonly Subrequest[], countCall: () => number): Promise<Map<string, CompositeSubresponse>> {
    const body = {
      allOrNone: false,
      compositeRequest: subrequests.map((sub, index) => ({
        method: sub.method ?? 'PATCH',
        referenceId: sub.referenceId ?? `r${index}`,
        url: sub.url,
        ...(sub.body === undefined ? {} : { body: sub.body }),
      })),
    };
    const response = await withSession(this.session, async (connection: Connection) => {
      countCall();
      return connection.requestPost<unknown>(`${this.base()}/composite`, body, { timeout: this.timeoutMs });
    });
    const list = (response as { compositeResponse?: unknown } | null)?.compositeResponse;
    if (!Array.isArray(list)) {
      throw new SalesforceTransientError('Salesforce Composite answer has no compositeResponse', { errorCode: 'UNEXPECTED_RESPONSE' });
    }
    const byReference = new Map<string, CompositeSubresponse>();
    for (const entry of list as CompositeSubresponse[]) byReference.set(entry.referenceId, entry);
    return byReference;
  }

  /** A record error: stale when our precedence rule rejected it, a failure otherwise. */
  private recordError(state: RecordState, status: number, errorCode: string, message: string, fields: readonly string[] | undefined): void {
    if (isStaleRejection(errorCode, message, fields)) {
      state.stale = true;
      state.error = undefined;
      return;
    }
    state.error = salesforceError(errorCode, message, { status, fields });
    state.salesforceMessage = message;
  }

  /** A Composite subrequest that failed as a whole (unknown field, malformed body, limits). */
  private subrequestError(sub: CompositeSubresponse): { errorCode: string; message: string; fields: readonly string[] | undefined } {
    const first = (Array.isArray(sub.body) ? sub.body[0] : undefined) as ErrorWire | undefined;
    return {
      errorCode: typeof first?.errorCode === 'string' ? first.errorCode : `ERROR_HTTP_${sub.httpStatusCode}`,
      message: typeof first?.message === 'string' ? first.message : 'subrequest failed',
      fields: stringList(first?.fields),
    };
  }

  private applyCollectionResult(states: readonly RecordState[], sub: CompositeSubresponse | undefined): void {
    if (sub === undefined) {
      const missing = new SalesforceTransientError('Salesforce returned no result for a Composite subrequest', { errorCode: 'UNEXPECTED_RESPONSE' });
      for (const state of states) state.error = missing;
      return;
    }
    if (sub.httpStatusCode < 200 || sub.httpStatusCode >= 300) {
      const { errorCode, message } = this.subrequestError(sub);
      const failure = salesforceError(errorCode, message, { status: sub.httpStatusCode });
      for (const state of states) {
        state.error = failure;
        state.salesforceMessage = message;
      }
      return;
    }
    const results = Array.isArray(sub.body) ? (sub.body as SaveResultWire[]) : [];
    states.forEach((state, index) => {
      const result = results[index];
      if (result === undefined) {
        state.error = new SalesforceTransientError('Salesforce returned no result for a record', { errorCode: 'UNEXPECTED_RESPONSE' });
        return;
      }
      if (result.success === true) {
        state.id = result.id ?? undefined;
        // A create's save result has no `created`: every success is a new record.
        state.created = state.record.createOnly ? true : state.record.keyField === 'Id' ? undefined : result.created;
        state.error = undefined;
        return;
      }
      const first = result.errors?.[0];
      state.id = result.id ?? undefined;
      this.recordError(state, sub.httpStatusCode, first?.statusCode ?? 'UNKNOWN_RECORD_ERROR', first?.message ?? 'record failed without an error', first?.fields);
    });
  }

  /** sObject Rows: 200/201 with a save result (upsert), 204 without a body (update), or errors. */
  private applySingleResult(state: RecordState, sub: CompositeSubresponse | undefined): void {
    if (sub === undefined) {
      state.error = new SalesforceTransientError('Salesforce returned no result for a Composite subrequest', { errorCode: 'UNEXPECTED_RESPONSE' });
      return;
    }
    if (sub.httpStatusCode >= 200 && sub.httpStatusCode < 300) {
      const result = (sub.body ?? {}) as SaveResultWire;
      state.id = result.id ?? (state.record.keyField === 'Id' ? state.record.keyValue : undefined);
      state.created = state.record.createOnly ? true : state.record.keyField === 'Id' ? undefined : (result.created ?? sub.httpStatusCode === 201);
      state.error = undefined;
      return;
    }
    const { errorCode, message, fields } = this.subrequestError(sub);
    this.recordError(state, sub.httpStatusCode, errorCode, message, fields);
  }

  /**
   * An update by Id of a record that does not exist (deleted, or an id from another org) whose
   * mutations all allowed it: the record is skipped, with a warning, instead of failing the items.
   */
  private skipMissingRecords(states: readonly RecordState[]): void {
    this.skipRefusedRecords(states);
    this.keepExistingRecords(states);
    for (const state of states) {
      if (!state.record.skipIfMissing || state.record.keyField !== 'Id' || state.error === undefined) continue;
      const code = (state.error as { errorCode?: string }).errorCode;
      const fields = (state.error as { fields?: readonly string[] }).fields ?? [];
      const missing =
        code === 'ENTITY_IS_DELETED' ||
        code === 'INVALID_CROSS_REFERENCE_KEY' ||
        (code === 'MALFORMED_ID' && (fields.length === 0 || fields.includes('Id')));
      if (!missing) continue;
      this.options.logger?.warn(
        { sobject: state.record.sobject, recordId: state.record.keyValue, errorCode: code },
        'salesforce: record named in Stripe metadata does not exist; skipped',
      );
      state.error = undefined;
      state.skipped = true;
    }
  }

  /**
   * A record whose mutations all declared this refusal as expected (e.g. the Account validation
   * rule that keeps a Stripe customer id once set): skipped with a warning, not a failure.
   */
  private skipRefusedRecords(states: readonly RecordState[]): void {
    for (const state of states) {
      const expected = state.record.skipIfRefused;
      if (expected === undefined || state.error === undefined) continue;
      const code = (state.error as { errorCode?: string }).errorCode;
      const fields = (state.error as { fields?: readonly string[] }).fields ?? [];
      // ENTITY_IS_DELETED (a lookup to a record in the Recycle Bin) names no field ("entity is deleted: []").
      const onField = fields.includes(expected.field) || (code === 'ENTITY_IS_DELETED' && fields.length === 0);
      if (code === undefined || !refusalCodes(expected).includes(code) || !onField) continue;
      this.options.logger?.warn(
        { sobject: state.record.sobject, recordId: state.record.keyValue, errorCode: code, field: expected.field },
        'salesforce: record refused by a rule the bridge expects; skipped',
      );
      state.error = undefined;
      state.skipped = true;
    }
  }

  /**
   * An insert-only record (createOnly) that Salesforce refused because a record already holds its
   * unique key: DUPLICATE_VALUE, "duplicate value found: <field> duplicates value on record with
   * id: <id>", with no `fields`. That record is the one the bridge created earlier and now belongs
   * to people: it is left as it is, and the item goes on. The field may read `<unknown>` (and the
   * id too) when the caller cannot see the holding record (a rep made it private); the key is the
   * only unique field such a record carries, so that is the key as well.
   */
  private keepExistingRecords(states: readonly RecordState[]): void {
    for (const state of states) {
      if (!state.record.createOnly || state.error === undefined || state.salesforceMessage === undefined) continue;
      const code = (state.error as { errorCode?: string }).errorCode;
      const fields = (state.error as { fields?: readonly string[] }).fields ?? [];
      const holder = /duplicate value found: (\S+) duplicates value on record with id: (\S*)/.exec(state.salesforceMessage);
      const field = holder?.[1];
      const keyNamed = fields.includes(state.record.keyField) || field === state.record.keyField || field === '<unknown>';
      if (code !== 'DUPLICATE_VALUE' || !keyNamed) continue;
      const id = holder?.[2];
      this.options.logger?.info({ sobject: state.record.sobject, key: state.record.keyField }, 'salesforce: insert-only record exists already; left as it is');
      state.error = undefined;
      state.salesforceMessage = undefined;
      state.skipped = true;
      state.created = false;
      state.id = id !== undefined && /^[a-zA-Z0-9]{15,18}$/.test(id) ? id : undefined;
    }
  }

  /**
   * A record that failed only because an optional relationship points at a record that does not
   * exist (Salesforce: INVALID_FIELD "Foreign key external ID: <value> not found for field
   * <field> in entity <object>", with no `fields`) is re-sent without that relationship.
   * Salesforce names the missing key only in the message, so the match is on the exact value and
   * field the record sent, never on a loose pattern.
   */
  /** The record failed for a missing external-id reference to one of `resent` (`<sobject>\0<key>`). */
  private waitsOn(state: RecordState, resent: ReadonlySet<string>): boolean {
    if (state.error?.kind !== 'permanent' || state.salesforceMessage === undefined) return false;
    if ((state.error as { errorCode?: string }).errorCode !== 'INVALID_FIELD') return false;
    const spec = DATA_MODEL[state.record.sobject] ?? {};
    for (const [name, value] of Object.entries(state.record.fields)) {
      if (typeof value !== 'object' || value === null) continue;
      const target = Object.values(spec).find((f) => f.relationshipName === name)?.referenceTo;
      for (const [field, key] of Object.entries(value)) {
        if (target !== undefined && resent.has(`${target}\u0000${key}`) && state.salesforceMessage.includes(`Foreign key external ID: ${key} not found for field ${field} `)) return true;
      }
    }
    return false;
  }

  private dropMissingOptionalReference(state: RecordState): boolean {
    if (state.error?.kind !== 'permanent' || state.salesforceMessage === undefined) return false;
    const code = (state.error as { errorCode?: string }).errorCode;
    const errorFields = (state.error as { fields?: readonly string[] }).fields ?? [];
    // A lookup by Id (Opportunity__c) to a record that does not exist names the field.
    if (code === 'INVALID_CROSS_REFERENCE_KEY' || code === 'MALFORMED_ID') {
      const lookup = [...state.record.optionalReferences].find(
        (field) => !state.dropped.has(field) && typeof state.record.fields[field] === 'string' && errorFields.includes(field),
      );
      if (lookup === undefined) return false;
      state.dropped.add(lookup);
      return true;
    }
    if (code !== 'INVALID_FIELD') return false;
    for (const relationship of state.record.optionalReferences) {
      if (state.dropped.has(relationship)) continue;
      const reference = state.record.fields[relationship];
      if (typeof reference !== 'object' || reference === null) continue;
      for (const [field, value] of Object.entries(reference)) {
        if (state.salesforceMessage.includes(`Foreign key external ID: ${value} not found for field ${field} `)) {
          state.dropped.add(relationship);
          return true;
        }
      }
    }
    return false;
  }

  private outcomes(items: readonly WriteItem[], states: readonly RecordState[]): Map<string, ItemOutcome> {
    const perItem = new Map<string, RecordState[]>();
    for (const item of items) perItem.set(item.correlationId, perItem.get(item.correlationId) ?? []);
    for (const state of states) {
      for (const correlationId of state.record.contributors) perItem.get(correlationId)?.push(state.isolated?.get(correlationId) ?? state);
    }
    const outcomes = new Map<string, ItemOutcome>();
    for (const [correlationId, itemStates] of perItem) {
      const records: WrittenRecord[] = itemStates.map((s) => ({
        sobject: s.record.sobject,
        keyField: s.record.keyField,
        keyValue: s.record.keyValue,
        id: s.error === undefined ? s.id : undefined,
        created: s.error === undefined && s.stale !== true ? s.created : undefined,
        ...(s.stale === true ? { stale: true as const } : {}),
      }));
      const errors = itemStates.flatMap((s) => (s.error === undefined ? [] : [s.error]));
      const error = errors.find((e) => e.kind === 'permanent') ?? errors[0];
      outcomes.set(correlationId, error === undefined ? { ok: true, records } : { ok: false, error, records });
    }
    return outcomes;
  }
}
