/**
 * The Stripe API client (outbound calls, fetching events too large for SQS) and the mapping of
 * Stripe's errors onto the bridge's taxonomy.
 */
import Stripe from 'stripe';
import { AuthenticationError, PermanentError, TransientError } from '../errors.js';

export interface StripeClientOptions {
  /** Base URL of a Stripe-compatible API (a local stand-in); undefined means api.stripe.com. */
  readonly apiUrl?: string | undefined;
  readonly maxNetworkRetries?: number;
  readonly timeoutMs?: number;
  /**
   * The first wait between stripe-node's own retries, in seconds (stripe-node: 0.5, doubling up
   * to 5, with jitter, never below this). Tests that exhaust the retries set 0 so they do not wait.
   */
  readonly initialNetworkRetryDelaySeconds?: number;
}

/** Pinned by the `stripe` package: the shape our schemas and mappers are written against. */
export const STRIPE_API_VERSION: string = Stripe.API_VERSION;

export function createStripeClient(secretKey: string, options: StripeClientOptions = {}): Stripe {
  const base = options.apiUrl === undefined ? undefined : new URL(options.apiUrl);
  const stripe = new Stripe(secretKey, {
    maxNetworkRetries: options.maxNetworkRetries ?? 2,
    timeout: options.timeoutMs ?? 20_000,
    telemetry: false,
    appInfo: { name: 'stripe-salesforce-bridge' },
    ...(base === undefined
      ? {}
      : {
          host: base.hostname,
          port: base.port === '' ? (base.protocol === 'https:' ? 443 : 80) : Number(base.port),
          protocol: base.protocol === 'https:' ? ('https' as const) : ('http' as const),
        }),
  });
  const initialDelay = options.initialNetworkRetryDelaySeconds;
  // stripe-node has no setting for it; its request sender asks the client for this value.
  if (initialDelay !== undefined) stripe.getInitialNetworkRetryDelay = () => initialDelay;
  return stripe;
}

/** Classifies by Stripe's error type and code (never by message text). */
/** An error stripe-node raised for Stripe's answer or its connection (not one the caller threw). */
export function isStripeError(err: unknown): boolean {
  return err instanceof Stripe.errors.StripeError;
}

export function classifyStripeError(err: unknown, action: string): TransientError | PermanentError {
  if (!(err instanceof Stripe.errors.StripeError)) {
    return new TransientError(`Stripe ${action} failed`, { code: 'STRIPE_UNKNOWN', cause: err });
  }
  const details = { stripeRequestId: err.requestId, statusCode: err.statusCode, stripeCode: err.code };
  const message = `Stripe ${action} failed: ${err.type}${err.code === undefined ? '' : ` (${err.code})`}`;
  switch (err.type) {
    case 'StripeRateLimitError':
    case 'StripeConnectionError':
    case 'StripeAPIError':
      return new TransientError(message, { code: `STRIPE_${err.type}`, cause: err, details });
    case 'StripeAuthenticationError':
      return new AuthenticationError(message, { code: 'STRIPE_AUTHENTICATION', cause: err, details });
    case 'StripeInvalidRequestError':
      // lock_timeout: another request holds the object; retrying is the documented remedy.
      if (err.code === 'lock_timeout' || (err.statusCode ?? 0) >= 500) {
        return new TransientError(message, { code: 'STRIPE_LOCK_TIMEOUT', cause: err, details });
      }
      return new PermanentError(message, { code: 'STRIPE_INVALID_REQUEST', cause: err, details });
    default:
      if ((err.statusCode ?? 0) >= 500) {
        return new TransientError(message, { code: `STRIPE_${err.type}`, cause: err, details });
      }
      return new PermanentError(message, { code: `STRIPE_${err.type}`, cause: err, details });
  }
}
