/**
 * Stripe calls for the service commands (commands/service-ports.ts): one client per key, and
 * every stripe-node failure classified into the bridge's taxonomy (client.ts).
 */
import type Stripe from 'stripe';
import { PermanentError, redactMessage } from '../errors.js';
import { classifyStripeError } from './client.js';

/** Runs one Stripe request; its failure comes out as a TransientError or PermanentError. */
export async function stripeCall<T>(action: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    throw classifyStripeError(err, action);
  }
}

/** The service commands' Stripe port (commands/service-ports.ts StripeCalls). */
export function stripeCalls(withStripe: <T>(run: (client: Stripe) => Promise<T>) => Promise<T>): { call<T>(operation: (stripe: Stripe) => Promise<T>): Promise<T> } {
  return { call: (operation) => withStripe(operation) };
}

/** Stripe said no to what was asked (an `invalid_request_error`): the rep reads Stripe's reason. */
export interface StripeRefusal {
  readonly stripeCode: string;
  /** Stripe's message, stripped of quoted values (errors.ts redactMessage). */
  readonly message: string;
}

/** The refusal inside a classified Stripe failure, or undefined for any other failure. */
export function stripeRefusal(err: unknown): StripeRefusal | undefined {
  if (!(err instanceof PermanentError) || err.code !== 'STRIPE_INVALID_REQUEST') return undefined;
  const cause = err.cause instanceof Error ? err.cause.message : err.message;
  const stripeCode = err.details['stripeCode'];
  return { stripeCode: typeof stripeCode === 'string' ? stripeCode : 'invalid_request', message: redactMessage(cause) };
}
