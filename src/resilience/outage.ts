/**
 * Which failures mean "the service is down" (they feed the circuit breakers) as opposed to "this
 * request or record has a problem" (a row lock, a lock on one Stripe object, a bad field). Decided
 * by the taxonomy's code, never by message text.
 */
import { errorCode, isBridgeError, TransientError } from '../errors.js';

export type Dependency = 'salesforce' | 'stripe';

/** Transient Salesforce codes that concern one record or one request, not the org's availability. */
const SALESFORCE_RECORD_LEVEL: ReadonlySet<string> = new Set([
  'SALESFORCE_UNABLE_TO_LOCK_ROW',
  'SALESFORCE_ALL_OR_NONE_OPERATION_ROLLED_BACK',
  'SALESFORCE_PROCESSING_HALTED',
  'SALESFORCE_UNEXPECTED_RESPONSE',
  'SALESFORCE_INVALID_SESSION_ID',
]);

/** Transient Stripe codes that concern one object, or errors that are not Stripe's answer at all. */
const STRIPE_NOT_AN_OUTAGE: ReadonlySet<string> = new Set(['STRIPE_LOCK_TIMEOUT', 'STRIPE_UNKNOWN']);

/** The code a breaker uses for "not called: the circuit is open". */
export function unreachableCode(dependency: Dependency): string {
  return `${dependency.toUpperCase()}_UNREACHABLE`;
}

/**
 * The service an error says is down, if any. Salesforce: 5xx, timeouts, network failures, the
 * org's API limit and a rejected or unreachable login (an expired integration user's password
 * stops every call just the same). Stripe: connection errors, 5xx, rate limiting, a revoked key.
 */
export function outageOf(err: unknown): Dependency | undefined {
  if (!isBridgeError(err) || err.kind !== 'transient') return undefined;
  const code = errorCode(err);
  if (code === unreachableCode('salesforce') || code === unreachableCode('stripe')) return undefined;
  if (code.startsWith('SALESFORCE_')) return SALESFORCE_RECORD_LEVEL.has(code) ? undefined : 'salesforce';
  if (code.startsWith('STRIPE_')) return STRIPE_NOT_AN_OUTAGE.has(code) ? undefined : 'stripe';
  return undefined;
}

/** Thrown instead of calling a service whose circuit is open; retried with backoff like an outage. */
export class DependencyUnreachableError extends TransientError {
  override readonly name = 'DependencyUnreachableError';
  readonly dependency: Dependency;
  readonly unreachableSince: number;
  constructor(dependency: Dependency, unreachableSince: number) {
    const since = new Date(unreachableSince).toISOString();
    super(`${dependency === 'salesforce' ? 'Salesforce' : 'Stripe'} unreachable since ${since}: not called while its circuit is open`, {
      code: unreachableCode(dependency),
      details: { unreachableSince: since },
    });
    this.dependency = dependency;
    this.unreachableSince = unreachableSince;
  }
}
