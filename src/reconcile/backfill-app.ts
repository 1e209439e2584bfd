/**
 * Wires the backfill core to real adapters: Stripe's lists (the key's read permissions are
 * enough), the Salesforce writer (precedence keys checked by Salesforce), the checkpoint and failure
 * files. The CLI and the tests build it the same way.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Logger } from '../logging.js';
import type { SalesforceSession } from '../salesforce/session.js';
import { BulkWriter, DEFAULT_BULK_THRESHOLD } from '../salesforce/bulk-writer.js';
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
  /**
   * How records reach Salesforce: `auto` (default) writes each group of at least `bulkThreshold`
   * records of one object (default 2,000) with a Bulk API 2.0 job and the rest through Composite;
   * `bulk` every group with a job; `composite` never a job.
   */
  readonly writes?: { readonly mode: BackfillWriteMode; readonly bulkThreshold?: number };
}

export type BackfillWriteMode = 'auto' | 'bulk' | 'composite';

/** The writer of a backfill: one mapping path, two ways to Salesforce (bulk-writer.ts). */
function backfillWriter(deps: BackfillAppDeps): { write: SalesforceWriter['write'] } {
  const composite = new SalesforceWriter(deps.salesforce, { apiVersion: deps.salesforceApiVersion, logger: deps.logger });
  const mode = deps.writes?.mode ?? 'auto';
  if (mode === 'composite') return composite;
  return new BulkWriter(deps.salesforce, composite, {
    logger: deps.logger,
    threshold: mode === 'bulk' ? 1 : (deps.writes?.bulkThreshold ?? DEFAULT_BULK_THRESHOLD),
    sleep: deps.sleep,
    now: deps.now,
  });
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
          writer: backfillWriter(deps),
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
