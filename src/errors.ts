/**
 * One error taxonomy for the whole bridge.
 *
 * Every failure is either transient (retrying may succeed: throttling, row locks, 5xx, timeouts)
 * or permanent (retrying can never succeed: invalid shape, unknown field, validation rule).
 * Callers decide by `kind` and `code`, never by message text.
 */
export type ErrorKind = 'transient' | 'permanent';

export interface BridgeErrorOptions {
  readonly code: string;
  readonly cause?: unknown;
  /** Extra, non-sensitive facts for the log line (ids, status codes). */
  readonly details?: Readonly<Record<string, string | number | boolean | undefined>>;
}

export abstract class BridgeError extends Error {
  abstract readonly kind: ErrorKind;
  readonly code: string;
  readonly details: Readonly<Record<string, string | number | boolean | undefined>>;

  protected constructor(message: string, options: BridgeErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.details = options.details ?? {};
  }
}

/** Retrying may succeed: the message goes back to the queue (or the Lambda retries). */
export class TransientError extends BridgeError {
  override readonly name: string = 'TransientError';
  readonly kind = 'transient' as const;
  constructor(message: string, options: BridgeErrorOptions) {
    super(message, options);
  }
}

/** Retrying can never succeed: fail fast with the reason, straight to the dead-letter queue. */
export class PermanentError extends BridgeError {
  override readonly name: string = 'PermanentError';
  readonly kind = 'permanent' as const;
  constructor(message: string, options: BridgeErrorOptions) {
    super(message, options);
  }
}

/** The body is not signed with a configured secret inside the tolerance window. */
export class SignatureVerificationError extends PermanentError {
  override readonly name = 'SignatureVerificationError';
}

/** A configuration value is missing or malformed; the message names every offending variable. */
export class ConfigError extends PermanentError {
  override readonly name = 'ConfigError';
  readonly variables: readonly string[];
  constructor(message: string, variables: readonly string[]) {
    super(message, { code: 'CONFIG_INVALID' });
    this.variables = variables;
  }
}

/** The payload is not what we expect (not a Stripe event, missing fields, wrong types). */
export class InvalidPayloadError extends PermanentError {
  override readonly name = 'InvalidPayloadError';
}

/** Credentials were rejected; callers refresh secrets/sessions once, then give up as transient. */
export class AuthenticationError extends TransientError {
  override readonly name = 'AuthenticationError';
}

export function isBridgeError(err: unknown): err is BridgeError {
  return err instanceof BridgeError;
}

/**
 * Unknown errors count as transient: a bug or an unclassified outage is retried a bounded number
 * of times and then lands in the DLQ, which is safer than dropping the event.
 */
export function isPermanent(err: unknown): boolean {
  return isBridgeError(err) && err.kind === 'permanent';
}

/** A stable code for logs and DLQ attributes, also for errors we did not raise ourselves. */
export function errorCode(err: unknown): string {
  if (isBridgeError(err)) return err.code;
  const code: unknown = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  if (typeof code === 'string') return code;
  if (err instanceof Error) return err.name || 'Error';
  return 'UNKNOWN';
}

/** A short reason fit for a log line or a DLQ attribute: never a payload, never a secret. */
export function errorReason(err: unknown, maxLength = 500): string {
  return redactMessage(err instanceof Error ? err.message : String(err), maxLength);
}

const EMAIL = /[^\s@'"<>()]+@[^\s@'"<>()]+\.[A-Za-z]{2,}/g;
const QUOTED = /'[^']*'|"[^"]*"|“[^”]*”/g;
/** Quoted API names (`'No_Such_Field__c'`) are kept: they name the schema, not the data. */
const API_NAME = /^['"“][A-Za-z][A-Za-z0-9_.]*['"”]$/;
/** Salesforce's message shapes that end in the offending value ("…picklist field: Foo"). */
const TRAILING_VALUE = /\b(value not of required type|data value too large|restricted picklist field|invalid email address|id value of incorrect type|invalid id)\s*:\s*[^()\n]*?(?=\s*\(|$)/gi;
const LONG_NUMBER = /\b\d[\d -]{7,}\d\b/g;

/**
 * A third party's error message (Salesforce, Stripe) bounded and stripped of what can quote
 * record data: emails, quoted text, the value Salesforce echoes after a field error, long
 * numbers. Ids, codes and field names stay: they are what an operator needs.
 */
export function redactMessage(text: string, maxLength = 300): string {
  const redacted = text
    .replace(EMAIL, '<email>')
    .replace(QUOTED, (quoted) => (API_NAME.test(quoted) ? quoted : '<value>'))
    .replace(TRAILING_VALUE, '$1: <value>')
    .replace(LONG_NUMBER, '<number>');
  return redacted.length > maxLength ? `${redacted.slice(0, maxLength - 1)}…` : redacted;
}
