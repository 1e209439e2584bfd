/**
 * Bulk API 2.0 ingest jobs for the Salesforce stand-in, as the Bulk API 2.0 and Bulk API Developer
 * Guide documents them (https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/):
 *
 * - Create a Job: POST /jobs/ingest {object, operation, externalIdFieldName (upsert), contentType
 *   CSV, lineEnding LF|CRLF, columnDelimiter COMMA} → the job info, state `Open`, `contentUrl`;
 * - Upload Job Data: PUT /jobs/ingest/<id>/batches, text/csv → 201 Created, no body;
 * - Upload Complete: PATCH /jobs/ingest/<id> {state: UploadComplete | Aborted} → the job info;
 * - Get Job Info: GET /jobs/ingest/<id> → `state` (UploadComplete, InProgress, JobComplete, Failed,
 *   Aborted: "Job States"), numberRecordsProcessed, numberRecordsFailed, errorMessage;
 * - Get Job Successful / Failed / Unprocessed Record Results: GET …/successfulResults
 *   (`sf__Id`, `sf__Created`, the row as uploaded), …/failedResults (`sf__Id`, `sf__Error`, the
 *   row), …/unprocessedrecords (the row), CSV, in no guaranteed order; DELETE /jobs/ingest/<id>.
 *
 * Rows ("Prepare CSV Files", "Valid CSV Record Rows", "Relationship Fields in a Header Row"): the
 * header names fields by API name, or `RelationshipName.IndexedFieldName` for a lookup by external
 * id; an empty value leaves the field as it is, `#N/A` sets it to null. Each row is saved as the
 * REST API saves a record (the host's upsert/update/insert: field-level security, the package's
 * and the org's validation rules, the precedence rule), so a refused row comes back in
 * failedResults with `sf__Error` as Salesforce renders it: `STATUS_CODE:message:fields --`
 * (e.g. `REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --`, as jsforce's bulk2
 * integration test against a real org expects it). A header column the user cannot see fails the
 * whole job, every row unprocessed: `InvalidBatch : Field name not found : <column>`.
 *
 * Processing happens when the upload completes, one row after another (the stand-in has no
 * parallel internal batches); `pollsInProgress` Get Job Info calls answer InProgress before
 * JobComplete, so clients poll as they must against a real org.
 */
import type { FieldSpec, ObjectSpec } from '../../salesforce/data-model.js';

export interface BulkSaveError {
  readonly statusCode: string;
  readonly message: string;
  readonly fields: readonly string[];
}

export interface BulkSaveResult {
  readonly id?: string;
  readonly success: boolean;
  readonly errors: readonly BulkSaveError[];
  readonly created?: boolean;
}

/** What the stand-in lends the ingest jobs: the user's view of objects and its record saves. */
export interface BulkIngestHost {
  /** The object as the integration user sees it (hidden fields left out); undefined when hidden. */
  objectSpec(sobject: string): ObjectSpec | undefined;
  upsert(sobject: string, spec: ObjectSpec, keyField: string, record: Record<string, unknown>): BulkSaveResult;
  update(record: Record<string, unknown>): BulkSaveResult;
  create(record: Record<string, unknown>): BulkSaveResult;
  newJobId(): string;
  userId(): string;
}

export interface BulkReply {
  readonly status: number;
  readonly body?: unknown;
  /** A CSV answer (results), sent as text/csv. */
  readonly csv?: string;
}

type JobState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';
type Operation = 'insert' | 'update' | 'upsert';

interface Job {
  readonly id: string;
  readonly object: string;
  readonly operation: Operation;
  readonly externalIdFieldName: string | undefined;
  readonly lineEnding: 'LF' | 'CRLF';
  readonly apiVersion: number;
  readonly createdDate: string;
  state: JobState;
  data: string;
  header: string[];
  successful: string[][];
  failed: string[][];
  unprocessed: string[][];
  errorMessage: string | undefined;
  pollsLeft: number;
}

const OPERATIONS: readonly string[] = ['insert', 'update', 'upsert'];
const NULL_VALUE = '#N/A';

const apiError = (status: number, errorCode: string, message: string): BulkReply => ({ status, body: [{ errorCode, message }] });

function canonical(spec: ObjectSpec, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(spec).find((f) => f.toLowerCase() === lower);
}

function lookupOf(spec: ObjectSpec, relationshipName: string): [string, FieldSpec] | undefined {
  return Object.entries(spec).find(([, f]) => f.type === 'reference' && f.relationshipName?.toLowerCase() === relationshipName.toLowerCase());
}

/** RFC 4180 as the guide's "Valid CSV Record Rows" states it: commas, double quotes doubled inside quoted values. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let value = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        value += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else value += c;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(value);
      value = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      row.push(value);
      rows.push(row);
      row = [];
      value = '';
    } else value += c;
  }
  if (value !== '' || row.length > 0) {
    row.push(value);
    rows.push(row);
  }
  return rows;
}

/** Every value quoted, as Salesforce writes its result files. */
function csvLine(values: readonly string[]): string {
  return values.map((v) => `"${v.replace(/"/g, '""')}"`).join(',');
}

function csvText(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map(csvLine).join('\n') + '\n';
}

export function createBulkIngest(host: BulkIngestHost, options: { pollsInProgress: () => number }) {
  const jobs = new Map<string, Job>();

  const info = (job: Job, version: string): Record<string, unknown> => ({
    id: job.id,
    operation: job.operation,
    object: job.object,
    createdById: host.userId(),
    createdDate: job.createdDate,
    systemModstamp: job.createdDate,
    state: job.state,
    ...(job.externalIdFieldName === undefined ? {} : { externalIdFieldName: job.externalIdFieldName }),
    concurrencyMode: 'Parallel',
    contentType: 'CSV',
    apiVersion: job.apiVersion,
    jobType: 'V2Ingest',
    contentUrl: `services/data/v${version}/jobs/ingest/${job.id}/batches`,
    lineEnding: job.lineEnding,
    columnDelimiter: 'COMMA',
    numberRecordsProcessed: job.successful.length + job.failed.length,
    numberRecordsFailed: job.failed.length,
    retries: 0,
    totalProcessingTime: 0,
    apiActiveProcessingTime: 0,
    apexProcessingTime: 0,
    ...(job.errorMessage === undefined ? {} : { errorMessage: job.errorMessage }),
  });

  const create = (body: unknown, version: string): BulkReply => {
    const params = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const object = typeof params.object === 'string' ? params.object : '';
    const operation = typeof params.operation === 'string' ? params.operation : '';
    if (!OPERATIONS.includes(operation)) return apiError(400, 'INVALIDJOB', `InvalidJob : Invalid job operation: ${operation || '(none)'}`);
    const spec = host.objectSpec(object);
    if (spec === undefined) return apiError(400, 'INVALIDJOB', `InvalidJob : Entity '${object}' is not supported by the Bulk API.`);
    if ((params.contentType ?? 'CSV') !== 'CSV') return apiError(400, 'INVALIDJOB', 'InvalidJob : contentType must be CSV');
    if ((params.columnDelimiter ?? 'COMMA') !== 'COMMA') return apiError(400, 'INVALIDJOB', 'InvalidJob : this stand-in takes COMMA-delimited data only');
    const lineEnding = params.lineEnding ?? 'LF';
    if (lineEnding !== 'LF' && lineEnding !== 'CRLF') return apiError(400, 'INVALIDJOB', `InvalidJob : Invalid lineEnding: ${String(lineEnding)}`);
    let externalIdFieldName: string | undefined;
    if (operation === 'upsert') {
      const raw = typeof params.externalIdFieldName === 'string' ? params.externalIdFieldName : '';
      externalIdFieldName = canonical(spec, raw);
      if (externalIdFieldName === undefined || (externalIdFieldName !== 'Id' && spec[externalIdFieldName]?.externalId !== true)) {
        return apiError(400, 'INVALIDJOB', `InvalidJob : Field name provided, ${raw || '(none)'} is not an External ID or indexed field for ${object}`);
      }
    }
    const job: Job = {
      id: host.newJobId(),
      object,
      operation: operation as Operation,
      externalIdFieldName,
      lineEnding,
      apiVersion: Number(version),
      createdDate: new Date().toISOString().replace('Z', '+0000'),
      state: 'Open',
      data: '',
      header: [],
      successful: [],
      failed: [],
      unprocessed: [],
      errorMessage: undefined,
      pollsLeft: 0,
    };
    jobs.set(job.id, job);
    return { status: 200, body: info(job, version) };
  };

  /** A row as the REST API would receive the record; undefined values leave fields untouched. */
  const recordOf = (spec: ObjectSpec, header: readonly string[], row: readonly string[]): Record<string, unknown> => {
    const record: Record<string, unknown> = {};
    header.forEach((column, i) => {
      const cell = row[i] ?? '';
      if (cell === '') return;
      const [head, tail] = column.split('.');
      if (tail !== undefined) {
        const [lookup] = lookupOf(spec, head as string) ?? [];
        if (lookup === undefined) return;
        if (cell === NULL_VALUE) record[lookup] = null;
        else record[(spec[lookup] as FieldSpec).relationshipName as string] = { [tail]: cell };
        return;
      }
      const name = canonical(spec, column) as string;
      const type = spec[name]?.type;
      if (cell === NULL_VALUE) record[name] = null;
      else if (type === 'boolean') record[name] = cell.toLowerCase() === 'true' ? true : cell.toLowerCase() === 'false' ? false : cell;
      else if ((type === 'double' || type === 'currency' || type === 'integer') && cell.trim() !== '' && !Number.isNaN(Number(cell))) record[name] = Number(cell);
      else record[name] = cell;
    });
    return record;
  };

  /** A header column the user cannot see, or none at all: the job fails ("Field name not found"). */
  const unknownColumn = (spec: ObjectSpec, header: readonly string[]): string | undefined =>
    header.find((column) => {
      const [head, tail] = column.split('.');
      if (tail === undefined) return canonical(spec, column) === undefined;
      const lookup = lookupOf(spec, head as string);
      const target = lookup === undefined ? undefined : host.objectSpec(lookup[1].referenceTo as string);
      return target === undefined || canonical(target, tail) === undefined;
    });

  const process = (job: Job): void => {
    const lines = parseCsv(job.data).filter((r) => !(r.length === 1 && r[0] === ''));
    const [header = [], ...rows] = lines;
    job.header = header;
    job.pollsLeft = options.pollsInProgress();
    const spec = host.objectSpec(job.object) as ObjectSpec;
    const missing = unknownColumn(spec, header);
    const keyColumn = job.operation === 'upsert' ? job.externalIdFieldName : job.operation === 'update' ? 'Id' : undefined;
    const keyMissing = keyColumn !== undefined && !header.some((h) => h.toLowerCase() === keyColumn.toLowerCase());
    if (header.length === 0 || missing !== undefined || keyMissing) {
      job.state = 'Failed';
      job.errorMessage = missing !== undefined ? `InvalidBatch : Field name not found : ${missing}` : `InvalidBatch : Field name not found : ${keyColumn ?? '(header)'}`;
      job.unprocessed = rows;
      return;
    }
    for (const row of rows) {
      const record = recordOf(spec, header, row);
      const result =
        job.operation === 'upsert'
          ? host.upsert(job.object, spec, job.externalIdFieldName as string, record)
          : job.operation === 'update'
            ? host.update({ ...record, attributes: { type: job.object } })
            : host.create({ ...record, attributes: { type: job.object } });
      if (result.success) {
        job.successful.push([result.id ?? '', String(result.created === true), ...row]);
        continue;
      }
      const error = result.errors[0] ?? { statusCode: 'UNKNOWN_EXCEPTION', message: 'failed', fields: [] };
      job.failed.push([result.id ?? '', `${error.statusCode}:${error.message}:${error.fields.join(',')} --`, ...row]);
    }
    job.state = 'JobComplete';
  };

  /** Routes /jobs/ingest…; undefined for any other path. */
  return function route(method: string, parts: readonly string[], text: string, version: string): BulkReply | undefined {
    if (parts[0] !== 'jobs' || parts[1] !== 'ingest') return undefined;
    const [, , jobId, resource] = parts;
    if (jobId === undefined) {
      if (method !== 'POST') return apiError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed. Allowed are POST,GET`);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return apiError(400, 'JSON_PARSER_ERROR', 'Unexpected character in request body');
      }
      return create(body, version);
    }
    const job = jobs.get(jobId);
    if (job === undefined) return apiError(404, 'NOT_FOUND', 'The requested resource does not exist');
    if (resource === 'batches' && method === 'PUT') {
      if (job.state !== 'Open') return apiError(409, 'INVALIDJOBSTATE', `Job is not open for data upload: ${job.state}`);
      job.data += job.data === '' ? text : text.replace(/^[^\r\n]*\r?\n/, '');
      return { status: 201 };
    }
    if (resource === undefined && method === 'PATCH') {
      let state: unknown;
      try {
        state = (JSON.parse(text) as { state?: unknown }).state;
      } catch {
        return apiError(400, 'JSON_PARSER_ERROR', 'Unexpected character in request body');
      }
      if (state === 'Aborted' && (job.state === 'Open' || job.state === 'UploadComplete' || job.state === 'InProgress')) {
        job.state = 'Aborted';
        return { status: 200, body: info(job, version) };
      }
      if (state !== 'UploadComplete' || job.state !== 'Open') return apiError(400, 'INVALIDJOBSTATE', `Invalid state transition from ${job.state} to ${String(state)}`);
      process(job);
      // Answered as documented: the job is queued; Get Job Info tells how it ended.
      return { status: 200, body: { ...info(job, version), state: 'UploadComplete' } };
    }
    if (resource === undefined && method === 'GET') {
      if (job.pollsLeft > 0 && (job.state === 'JobComplete' || job.state === 'Failed')) {
        job.pollsLeft -= 1;
        return { status: 200, body: { ...info(job, version), state: 'InProgress', numberRecordsProcessed: 0, numberRecordsFailed: 0 } };
      }
      return { status: 200, body: info(job, version) };
    }
    if (resource === undefined && method === 'DELETE') {
      jobs.delete(job.id);
      return { status: 204 };
    }
    if (method === 'GET' && resource === 'successfulResults') return { status: 200, csv: csvText(['sf__Id', 'sf__Created', ...job.header], job.successful) };
    if (method === 'GET' && resource === 'failedResults') return { status: 200, csv: csvText(['sf__Id', 'sf__Error', ...job.header], job.failed) };
    if (method === 'GET' && resource === 'unprocessedrecords') return { status: 200, csv: csvText(job.header, job.unprocessed) };
    return apiError(404, 'NOT_FOUND', 'The requested resource does not exist');
  };
}
