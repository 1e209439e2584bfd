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
  const text = err instanceof Error ? err.message : String(err);
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}
