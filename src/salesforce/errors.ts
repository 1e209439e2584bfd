/**
 * Salesforce failures in the bridge's taxonomy, decided by Salesforce's error code (never by the
 * message text): retry what can succeed later, fail fast what never will.
 */
import { isBridgeError, PermanentError, redactMessage, TransientError, type BridgeError, type BridgeErrorOptions } from '../errors.js';
import { OLDER_EVENT_RULE, OLDER_ROLLUP_RULE, ROLLUP_VERSION_FIELD, SUPERSEDED_FAILURE_RULE, VERSION_FIELD } from './data-model.js';

/** Codes that can never succeed on retry: the record or the request itself is wrong. */
const PERMANENT_CODES: ReadonlySet<string> = new Set([
  'INVALID_FIELD',
  'INVALID_FIELD_FOR_INSERT_UPDATE',
  'FIELD_CUSTOM_VALIDATION_EXCEPTION',
  'FIELD_FILTER_VALIDATION_EXCEPTION',
  'FIELD_INTEGRITY_EXCEPTION',
  'REQUIRED_FIELD_MISSING',
  'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
  'DUPLICATE_VALUE',
  'DUPLICATE_EXTERNAL_ID',
  'DUPLICATES_DETECTED',
  'STRING_TOO_LONG',
  'NUMBER_OUTSIDE_VALID_RANGE',
  'MALFORMED_ID',
  'MALFORMED_QUERY',
  'INVALID_ID_FIELD',
  'INVALID_TYPE',
  'INVALID_TYPE_ON_FIELD_IN_RECORD',
  'INVALID_EMAIL_ADDRESS',
  'INVALID_CROSS_REFERENCE_KEY',
  'JSON_PARSER_ERROR',
  'ENTITY_IS_DELETED',
  'MISSING_ARGUMENT',
  'INSUFFICIENT_ACCESS_OR_READONLY',
  'INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY',
  'CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY',
  'EXCEEDED_ID_LIMIT',
  'INVALID_BATCH_REQUEST',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'API_DISABLED_FOR_ORG',
]);

/** Codes that name a passing condition. Unknown codes are treated the same way (bounded retries). */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_LOCK_ROW',
  'REQUEST_LIMIT_EXCEEDED',
  'SERVER_UNAVAILABLE',
  'SERVICE_UNAVAILABLE',
  'REQUEST_RUNNING_TOO_LONG',
  'QUERY_TIMEOUT',
  'UNKNOWN_EXCEPTION',
  'PROCESSING_HALTED',
  'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  'INVALID_SESSION_ID',
]);

/** Node/undici network failures that jsforce surfaces (as `err.code` or `err.cause.code`). */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

export interface SalesforceErrorDetails {
  /** Salesforce's own code (`errorCode` of a request error, `statusCode` of a record error). */
  readonly errorCode: string;
  readonly status?: number | undefined;
  /** Field API names Salesforce blames (record errors). */
  readonly fields?: readonly string[] | undefined;
  readonly cause?: unknown;
}

/** The taxonomy options both Salesforce error classes pass up: code `SALESFORCE_<errorCode>`. */
function taxonomyOptions(details: SalesforceErrorDetails): BridgeErrorOptions {
  return {
    code: `SALESFORCE_${details.errorCode}`,
    cause: details.cause,
    details: { errorCode: details.errorCode, status: details.status },
  };
}

export class SalesforceTransientError extends TransientError {
  override readonly name = 'SalesforceTransientError';
  readonly errorCode: string;
  readonly fields: readonly string[];
  constructor(message: string, details: SalesforceErrorDetails) {
    super(message, taxonomyOptions(details));
    this.errorCode = details.errorCode;
    this.fields = details.fields ?? [];
  }
}

export class SalesforcePermanentError extends PermanentError {
  override readonly name = 'SalesforcePermanentError';
  readonly errorCode: string;
  readonly fields: readonly string[];
  constructor(message: string, details: SalesforceErrorDetails) {
    super(message, taxonomyOptions(details));
    this.errorCode = details.errorCode;
    this.fields = details.fields ?? [];
  }
}

export type SalesforceError = SalesforceTransientError | SalesforcePermanentError;

export function isPermanentSalesforceCode(errorCode: string): boolean {
  if (PERMANENT_CODES.has(errorCode)) return true;
  if (TRANSIENT_CODES.has(errorCode)) return false;
  // jsforce names a failure without a Salesforce body ERROR_HTTP_<status>: a plain 4xx cannot
  // pass by itself (except 401/403/408/429); a 5xx and every unknown Salesforce code may.
  const status = httpStatusOf(errorCode);
  return status !== undefined && status >= 400 && status < 500 && ![401, 403, 408, 429].includes(status);
}

function httpStatusOf(errorCode: string): number | undefined {
  const match = /^ERROR_HTTP_(\d{3})$/.exec(errorCode);
  return match === null ? undefined : Number(match[1]);
}

/**
 * One Salesforce error code → the matching side of the taxonomy. Salesforce's message can quote
 * record data (a picklist value, an email, an external id), so only a bounded, redacted form of
 * it travels on into logs and DLQ reasons.
 */
export function salesforceError(errorCode: string, message: string, details: Omit<SalesforceErrorDetails, 'errorCode'> = {}): SalesforceError {
  const full = { ...details, errorCode };
  const text = `Salesforce ${errorCode}: ${redactMessage(message)}`;
  return isPermanentSalesforceCode(errorCode)
    ? new SalesforcePermanentError(text, full)
    : new SalesforceTransientError(text, full);
}

function codeOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const code = (value as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function networkCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    const code = codeOf(current);
    if (code !== undefined && NETWORK_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * True when the package's precedence rules rejected a write (OLDER_EVENT_RULE,
 * SUPERSEDED_FAILURE_RULE): the record already shows a newer state, so the write is stale, not
 * failed. Salesforce reports a validation rule as FIELD_CUSTOM_VALIDATION_EXCEPTION and names its
 * error location in the record error's `fields`; the rule's own message is the second signal
 * (the location falls back to the top of the page when the field is not on the layout:
 * https://help.salesforce.com/s/articleView?id=platform.fields_validation_rules_fields.htm).
 */
export function isStaleRejection(errorCode: string, message: string | undefined, fields: readonly string[] | undefined): boolean {
  if (errorCode !== 'FIELD_CUSTOM_VALIDATION_EXCEPTION') return false;
  return (
    (fields ?? []).includes(VERSION_FIELD) ||
    (fields ?? []).includes(ROLLUP_VERSION_FIELD) ||
    message === OLDER_EVENT_RULE.errorMessage ||
    message === SUPERSEDED_FAILURE_RULE.errorMessage ||
    message === OLDER_ROLLUP_RULE.errorMessage
  );
}

/** Salesforce's own message behind a classified error (to recognise our rule; never logged). */
export function rawMessage(err: Error): string | undefined {
  const data = (err.cause as { data?: { message?: unknown } } | undefined)?.data;
  return typeof data?.message === 'string' ? data.message : undefined;
}

/** True for Salesforce's "session expired or invalid" answer (HTTP 401 INVALID_SESSION_ID). */
export function isInvalidSession(err: unknown): boolean {
  if (err instanceof SalesforceTransientError || err instanceof SalesforcePermanentError) {
    return err.errorCode === 'INVALID_SESSION_ID';
  }
  if (typeof err !== 'object' || err === null) return false;
  const { errorCode } = err as { errorCode?: unknown };
  return errorCode === 'INVALID_SESSION_ID' || errorCode === 'ERROR_HTTP_401';
}

/**
 * Any failure of a Salesforce call (jsforce HttpApiError, network error, timeout) as a
 * TransientError or PermanentError. Errors already in the taxonomy pass through unchanged.
 */
export function classifySalesforceFailure(err: unknown): BridgeError {
  if (isBridgeError(err)) return err;
  if (typeof err === 'object' && err !== null) {
    const { errorCode, data } = err as { errorCode?: unknown; data?: unknown };
    if (errorCode === 'MULTIPLE_API_ERRORS' && Array.isArray(data) && data.length > 0) {
      const first = data[0] as { errorCode?: unknown; message?: unknown };
      if (typeof first.errorCode === 'string') {
        return salesforceError(first.errorCode, typeof first.message === 'string' ? first.message : 'request failed', { cause: err });
      }
    }
    if (typeof errorCode === 'string' && errorCode !== '') {
      const message = err instanceof Error ? err.message : 'request failed';
      const fields = (data as { fields?: unknown } | undefined)?.fields;
      return salesforceError(errorCode, message, { cause: err, fields: Array.isArray(fields) ? fields.filter((f): f is string => typeof f === 'string') : undefined });
    }
  }
  const network = networkCode(err);
  if (network !== undefined) {
    return new SalesforceTransientError(`Salesforce unreachable (${network})`, { errorCode: network, cause: err });
  }
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) {
    return new SalesforceTransientError('Salesforce request timed out', { errorCode: 'TIMEOUT', cause: err });
  }
  if (err instanceof TypeError) {
    // undici's "fetch failed" without a recognised code is still a transport failure.
    return new SalesforceTransientError('Salesforce request failed in transport', { errorCode: 'NETWORK_ERROR', cause: err });
  }
  return new SalesforceTransientError('Salesforce call failed unexpectedly', { errorCode: 'UNEXPECTED', cause: err });
}
