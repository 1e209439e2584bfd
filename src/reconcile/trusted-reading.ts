/**
 * How the catch-up tools read a Stripe object's synthetic event: the consumer's interpreter and
 * mappers behind the consumer's own trust step (inbound/trust-step.ts), so the backfill writes and
 * the drift report expects exactly what the consumer would believe: an Opportunity's or Order's
 * payment status moves only for its own bill (billing records in the dedup table; for a
 * payment-link bill, the link a PaymentIntent came from, asked of Stripe and remembered).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BillingStore } from '../billing/store.js';
import { createInterpreter } from '../inbound/interpret.js';
import type { ConsumerPorts, InterpretedEvent } from '../inbound/ports.js';
import { batchedBillings, cachedLookup, withTrust } from '../inbound/trust-step.js';
import type { Logger } from '../logging.js';
import type { StripeCall } from '../stripe/keyed-client.js';
import { paymentLinkOfIntent } from '../stripe/payment-link-of-intent.js';

export interface TrustedReadingDeps {
  readonly stripe: StripeCall;
  readonly dynamo: DynamoDBClient;
  readonly tableName: string;
  readonly logger: Logger;
  readonly now: () => number;
}

export type TrustedReading = Pick<ConsumerPorts, 'expand' | 'interpret'> & {
  /** Expands, judges and interprets one event (the two steps above in order). */
  readonly read: (json: unknown) => Promise<InterpretedEvent>;
};

export function trustedReading(deps: TrustedReadingDeps): TrustedReading {
  const trusted = withTrust(
    { interpret: createInterpreter({ logger: deps.logger, mode: () => undefined }), expand: async (json) => json },
    {
      loadBillings: batchedBillings(new BillingStore(deps.dynamo, { tableName: deps.tableName, now: deps.now })),
      paymentLinkOfIntent: cachedLookup((id) => deps.stripe('checkout.sessions.list', (stripe) => paymentLinkOfIntent(stripe, id))),
      logger: deps.logger,
      // History, not news: the records say it already.
      noteLevel: 'debug',
    },
  );
  return { ...trusted, read: async (json) => trusted.interpret(await trusted.expand(json)) };
}
