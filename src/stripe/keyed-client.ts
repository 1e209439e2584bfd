/**
 * A Stripe client bound to the configured key (environment or Secrets Manager): built on first
 * use, rebuilt when the key changes, and the key re-read once when Stripe rejects it, so a
 * rotated key is picked up without a redeploy. The Stripe SDK is loaded on the first call, not at
 * cold start: it is a quarter of the reconciler's bundle, and the bundle evaluates it only then.
 */
import type Stripe from 'stripe';
import { AuthenticationError } from '../errors.js';
import { CachedSecret } from '../secrets.js';
import type { StripeClientOptions } from './client.js';

export type StripeCall = <T>(action: string, op: (stripe: Stripe) => Promise<T>) => Promise<T>;

/** The key as configured (config.ts's StripeApiSettings has this shape). */
export interface StripeKeySettings {
  readonly secretKey: string | undefined;
  readonly secretKeyArn: string | undefined;
  readonly apiUrl: string | undefined;
}

export function keyedStripe(settings: StripeKeySettings, options: Omit<StripeClientOptions, 'apiUrl'> = {}): StripeCall {
  const key = new CachedSecret({ value: settings.secretKey, arn: settings.secretKeyArn }, undefined, 'STRIPE_SECRET_KEY');
  let client: { key: string; stripe: Stripe } | undefined;
  const attempt = async <T>(action: string, op: (stripe: Stripe) => Promise<T>): Promise<T> => {
    const { classifyStripeError, createStripeClient, isStripeError } = await import('./client.js');
    const secret = (await key.get()).trim();
    if (client?.key !== secret) client = { key: secret, stripe: createStripeClient(secret, { ...options, apiUrl: settings.apiUrl }) };
    try {
      return await op(client.stripe);
    } catch (err) {
      // Only Stripe's own errors are classified; what `op` raised itself passes through unchanged.
      throw isStripeError(err) ? classifyStripeError(err, action) : err;
    }
  };
  return async (action, op) => {
    try {
      return await attempt(action, op);
    } catch (err) {
      if (!(err instanceof AuthenticationError) || !key.refreshable) throw err;
      key.refresh();
      return attempt(action, op);
    }
  };
}
