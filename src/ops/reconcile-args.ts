/**
 * Arguments and help of the catch-up commands: `backfill` (load Stripe's history), `reconcile`
 * (the drift report) and `retry` (a dead-lettered event, re-fetched from Stripe). Parsed with the
 * same helpers and common options as the DLQ commands (args.ts).
 */
import type { ParseArgsOptionsConfig } from 'node:util';
import type { BackfillWriteMode } from '../reconcile/backfill-app.js';
import { DRIFT_KINDS, parseDriftKinds, type DriftKind } from '../reconcile/drift-kinds.js';
import { OBJECT_KINDS, parseObjectKinds, type ObjectKind } from '../reconcile/stripe-objects.js';
import { common, COMMON_HELP, flag, parse, positiveInt, str, type CommonOptions, type Values } from './args.js';
import { UsageError } from './errors.js';
import { parseSince } from './filter.js';

export type ReconcileCommand =
  | {
      readonly name: 'backfill';
      readonly common: CommonOptions;
      /** Seconds since the epoch. */
      readonly since: number;
      readonly objects: readonly ObjectKind[];
      readonly dryRun: boolean;
      readonly batchSize: number;
      /** auto: Bulk API 2.0 for groups of at least bulkThreshold records, Composite for the rest. */
      readonly writes: BackfillWriteMode;
      readonly bulkThreshold: number;
      readonly maxSalesforceCalls: number;
      readonly stripeRate: number;
      readonly checkpointPath: string;
      readonly failuresPath: string;
      readonly restart: boolean;
    }
  | {
      readonly name: 'reconcile';
      readonly common: CommonOptions;
      /** Seconds since the epoch. */
      readonly since: number;
      readonly kinds: readonly DriftKind[];
      readonly fix: boolean;
      readonly csvPath: string | undefined;
      readonly stripeRate: number;
    }
  | { readonly name: 'retry'; readonly common: CommonOptions; readonly eventIds: readonly string[] };

const STRIPE_ENV = `Environment: STRIPE_SECRET_KEY (a restricted key that reads is enough), STRIPE_API_URL
(optional); Salesforce: SALESFORCE_* as for the functions, else the stack's credentials secret
(--stage/--stack); DEDUP_TABLE_NAME, else the stack's table. With --local, all of them default to
the running local stack's.`;

export function reconcileHelp(name: 'backfill' | 'reconcile' | 'retry'): string {
  switch (name) {
    case 'backfill':
      return `Usage: stripe-sf-bridge backfill --since DATE [--objects LIST] [--dry-run] [options]

Lists the Stripe objects created since DATE (newest first, 100 per call, paced), maps each
through the mappers of the event its state stands for (an open invoice as invoice.finalized, a
paid one as invoice.paid, …) and writes them in large batches with their precedence keys, so that
newer state written by live events is never overwritten: each group of at least 2,000 records of
one object by a Bulk API 2.0 ingest job, smaller ones through sObject Collections in Composite
requests (up to 1,000 records per API call). Progress on stderr; a checkpoint after every batch:
Ctrl-C and run the same command again to resume. Failures go to the failures file with reasons.

  --since DATE               ISO date (2024-01-01) or a look-back like 30d
  --objects LIST             comma-separated, default all: ${OBJECT_KINDS.join(',')}
  --dry-run                  map and count, write nothing
  --bulk                     every group through a Bulk API 2.0 job, however small
  --composite                never a Bulk API 2.0 job: Composite requests only
  --bulk-threshold N         records of one object that make a job (default 2000)
  --batch-size N             objects per Salesforce write (default 10000, max 50000; --composite: 500, max 2000)
  --max-salesforce-calls N   stop (resumable) before using more API calls (default 5000)
  --stripe-rate N            Stripe list calls per second at most (default 20; Stripe allows 25 per endpoint)
  --checkpoint FILE          default ./stripe-sf-bridge-backfill.checkpoint.json
  --failures FILE            default ./stripe-sf-bridge-backfill.failures.jsonl
  --restart                  discard the checkpoint (and failures file) and start over
Exit status: 0 finished, 1 finished with failures, 3 stopped early (Ctrl-C or the call cap: run again).
${STRIPE_ENV}
Stripe permissions (restricted key, Read): Customers, Subscriptions, Invoices, PaymentIntents,
Charges, Refunds, Disputes.

${COMMON_HELP}`;
    case 'reconcile':
      return `Usage: stripe-sf-bridge reconcile [--since 7d] [--objects LIST] [--fix] [--json | --csv FILE] [options]

Compares every payment, invoice and subscription created in Stripe since --since with the record
Salesforce holds: missing, status, amounts. Prints a table of the differences (--json: JSON on
stdout; --csv FILE: also as CSV). --fix enqueues Stripe's side for each difference as the
ingress would, so the consumer applies it through the usual pipeline (precedence keys included).

  --since TIME               look-back like 7d or an ISO date (default 7d)
  --objects LIST             comma-separated, default all: ${DRIFT_KINDS.join(',')}
  --fix                      enqueue the Stripe side of each difference
  --csv FILE                 write the differences as CSV
  --stripe-rate N            Stripe list calls per second at most (default 20)
Exit status: 0 no difference, 1 differences found (or --fix could not enqueue some).
${STRIPE_ENV} --fix sends to the inbound queue (--stage/--stack, --queue-url or --local).
Stripe permissions (Read): Subscriptions, Invoices, PaymentIntents, Charges.

${COMMON_HELP}`;
    case 'retry':
      return `Usage: stripe-sf-bridge retry evt_… [evt_…] [options]

For an event that ended in the inbound DLQ (a validation rule that was since fixed, say):
re-fetches it from Stripe's Events API (30 days), enqueues it to the inbound queue as the ingress
would, removes its copy from the DLQ and marks its Stripe_Sync_Log__c record Pending; the
consumer then marks it Succeeded or Failed again.
Environment: STRIPE_SECRET_KEY (Events: Read), as for replay-event.

${COMMON_HELP}`;
  }
}

const SINCE_AND_RATE = {
  since: { type: 'string' },
  objects: { type: 'string' },
  'stripe-rate': { type: 'string' },
} as const satisfies ParseArgsOptionsConfig;

function sinceSeconds(values: Values, now: number, fallback?: string): number {
  const raw = str(values, 'since') ?? fallback;
  if (raw === undefined) throw new UsageError('--since is required: an ISO date (2024-01-01) or a look-back like 30d');
  return Math.floor(parseSince(raw, now) / 1000);
}

function kinds<T>(values: Values, parseKinds: (text: string) => T[], all: readonly T[]): T[] {
  const raw = str(values, 'objects');
  if (raw === undefined) return [...all];
  try {
    const parsed = parseKinds(raw);
    if (parsed.length === 0) throw new Error('--objects names no object');
    return parsed;
  } catch (err) {
    throw new UsageError(`--objects ${raw}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function parseReconcileCommand(name: 'backfill' | 'reconcile' | 'retry', args: readonly string[], now: number): ReconcileCommand | { readonly name: 'help'; readonly text: string; readonly exitCode: 0 } {
  switch (name) {
    case 'backfill': {
      const { values } = parse(
        args,
        {
          ...SINCE_AND_RATE,
          'dry-run': { type: 'boolean', default: false },
          'batch-size': { type: 'string' },
          bulk: { type: 'boolean', default: false },
          composite: { type: 'boolean', default: false },
          'bulk-threshold': { type: 'string' },
          'max-salesforce-calls': { type: 'string' },
          checkpoint: { type: 'string' },
          failures: { type: 'string' },
          restart: { type: 'boolean', default: false },
        },
        false,
      );
      if (flag(values, 'help')) return { name: 'help', text: reconcileHelp('backfill'), exitCode: 0 };
      if (flag(values, 'bulk') && flag(values, 'composite')) throw new UsageError('--bulk and --composite exclude each other');
      const writes: BackfillWriteMode = flag(values, 'bulk') ? 'bulk' : flag(values, 'composite') ? 'composite' : 'auto';
      return {
        name: 'backfill',
        common: common(values, 'inbound'),
        since: sinceSeconds(values, now),
        objects: kinds(values, parseObjectKinds, OBJECT_KINDS),
        dryRun: flag(values, 'dry-run'),
        // A job costs at least 5 calls however few rows it carries: Bulk wants large batches.
        batchSize: writes === 'composite' ? (positiveInt(values, 'batch-size', 500, 2000) ?? 500) : (positiveInt(values, 'batch-size', 10_000, 50_000) ?? 10_000),
        writes,
        bulkThreshold: positiveInt(values, 'bulk-threshold', 2000) ?? 2000,
        maxSalesforceCalls: positiveInt(values, 'max-salesforce-calls', 5000) ?? 5000,
        stripeRate: positiveInt(values, 'stripe-rate', 20, 100) ?? 20,
        checkpointPath: str(values, 'checkpoint') ?? 'stripe-sf-bridge-backfill.checkpoint.json',
        failuresPath: str(values, 'failures') ?? 'stripe-sf-bridge-backfill.failures.jsonl',
        restart: flag(values, 'restart'),
      };
    }
    case 'reconcile': {
      const { values } = parse(args, { ...SINCE_AND_RATE, fix: { type: 'boolean', default: false }, csv: { type: 'string' } }, false);
      if (flag(values, 'help')) return { name: 'help', text: reconcileHelp('reconcile'), exitCode: 0 };
      return {
        name: 'reconcile',
        common: common(values, 'inbound'),
        since: sinceSeconds(values, now, '7d'),
        kinds: kinds(values, parseDriftKinds, DRIFT_KINDS),
        fix: flag(values, 'fix'),
        csvPath: str(values, 'csv'),
        stripeRate: positiveInt(values, 'stripe-rate', 20, 100) ?? 20,
      };
    }
    case 'retry': {
      const { values, positionals } = parse(args, {}, true);
      if (flag(values, 'help')) return { name: 'help', text: reconcileHelp('retry'), exitCode: 0 };
      if (positionals.length === 0) throw new UsageError('Name the dead-lettered event(s) to retry: retry evt_…');
      const notEvents = positionals.filter((id) => !/^evt_[A-Za-z0-9_]+$/.test(id));
      if (notEvents.length > 0) throw new UsageError(`Not a Stripe event id: ${notEvents.join(', ')} (expected evt_…)`);
      return { name: 'retry', common: common(values, 'inbound'), eventIds: [...new Set(positionals)] };
    }
  }
}
