/**
 * Wires the backfill core to real adapters: Stripe's lists (the key's read permissions are
 * enough), the Salesforce writer (precedence keys checked by Salesforce), the checkpoint and failure
 * files. The CLI and the tests build it the same way.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Logger } from '../logging.js';
import type { SalesforceSession } from '../salesforce/session.js';
import { SalesforceWriter } from '../salesforce/writer.js';
import type { StripeCall } from '../stripe/keyed-client.js';
import { createEventApplier } from './apply-events.js';
import type { BackfillPorts } from './backfill.js';
import { checkpointFile, failureFile } from './checkpoint-file.js';
import { stripeObjectLister } from './stripe-lists.js';
import { trustedReading } from './trusted-reading.js';

export interface BackfillAppDeps {
  readonly stripe: StripeCall;
  /** Waits before each Stripe list call (the read rate limit). */
  readonly pace: () => Promise<void>;
  readonly dynamo: DynamoDBClient;
  readonly tableName: string;
  readonly salesforce: SalesforceSession;
  readonly salesforceApiVersion: string;
  readonly logger: Logger;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly checkpointPath: string;
  readonly failuresPath: string;
  readonly progress: BackfillPorts['progress'];
  readonly stopRequested: () => boolean;
  readonly dryRun: boolean;
}

export function createBackfillPorts(deps: BackfillAppDeps): BackfillPorts & { readonly clearFailures: () => Promise<void> } {
  // The consumer's reading, its trust step included: a backfill believes only what the consumer would.
  const trusted = trustedReading(deps);
  const interpret = trusted.interpret;
  const failures = failureFile(deps.failuresPath);
  return {
    list: stripeObjectLister(deps.stripe, deps.pace),
    apply: deps.dryRun
      ? undefined
      : createEventApplier({
          writer: new SalesforceWriter(deps.salesforce, { apiVersion: deps.salesforceApiVersion, logger: deps.logger }),
          interpret,
          expand: trusted.expand,
          logger: deps.logger,
          now: deps.now,
          sleep: deps.sleep,
        }),
    preview: (event) => {
      const { result } = interpret(event);
      return result.outcome === 'skipped' ? { skip: result.reason } : { records: result.effect.mutations.length };
    },
    checkpoints: checkpointFile(deps.checkpointPath),
    failures,
    clearFailures: () => failures.clear(),
    progress: deps.progress,
    stopRequested: deps.stopRequested,
    now: deps.now,
  };
}
