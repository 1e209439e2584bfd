/**
 * Runs the catch-up commands: builds the services (bridge-services.ts), calls the cores in
 * src/reconcile/ and prints. Progress goes to stderr (a line rewritten in place on a terminal,
 * a line every few seconds otherwise); results to stdout.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { writeFile } from 'node:fs/promises';
import { createLogger } from '../logging.js';
import { createDriftPorts } from '../reconcile/drift-app.js';
import { driftReport } from '../reconcile/drift.js';
import { createBackfillPorts } from '../reconcile/backfill-app.js';
import { runBackfill, type BackfillProgress } from '../reconcile/backfill.js';
import { checkpointFile } from '../reconcile/checkpoint-file.js';
import type { Env } from '../config.js';
import { formatBackfillProgress, formatBackfillSummary } from './backfill-format.js';
import { driftCsv, formatDriftReport } from './drift-format.js';
import { enqueueEvent } from '../ingress/enqueue.js';
import { dynamoDeadLetterLog } from '../sync-log/dead-letter-log.js';
import { retryDeadLetteredEvent, type RetryPorts, type RetryResult } from '../sync-log/retry.js';
import { operatorStripe, resolveBridgeServices, resolveDedupTable } from './bridge-services.js';
import { removeDlqCopies } from './dlq-remove.js';
import { DEFAULT_MAX_MESSAGE_BYTES, stripeEventFetcher } from './replay-event.js';
import { createPacer, type Clock } from './clock.js';
import type { LocalStackState } from './local-state.js';
import type { ReconcileCommand } from './reconcile-args.js';
import { dlqUrlFor, queueUrlFor, type Targets } from './targets.js';

export interface ProgressSink {
  write(text: string): void;
  readonly isTTY: boolean;
}

export interface ReconcileCommandDeps {
  readonly env: Env;
  readonly clock: Clock;
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly progress: ProgressSink;
  /** Registers a Ctrl-C handler; returns its removal. */
  readonly onInterrupt: (handler: () => void) => () => void;
  /** The running local stack with --local. */
  readonly local: LocalStackState | undefined;
  /** The inbound queue's client and where it is (--fix, retry). */
  readonly sqs: SQSClient;
  readonly targets: () => Promise<Targets>;
}

export type Print = (result: unknown, human: () => readonly string[]) => void;

/** Exit status of a backfill that stopped early and can be resumed. */
export const EXIT_RESUMABLE = 3;
const NON_TTY_PROGRESS_MS = 10_000;

export async function executeReconcileCommand(command: ReconcileCommand, deps: ReconcileCommandDeps, print: Print): Promise<number> {
  switch (command.name) {
    case 'backfill':
      return backfill(command, deps, print);
    case 'reconcile':
      return drift(command, deps, print);
    case 'retry':
      return retry(command, deps, print);
  }
}

async function retry(command: Extract<ReconcileCommand, { name: 'retry' }>, deps: ReconcileCommandDeps, print: Print): Promise<number> {
  const targets = await deps.targets();
  const queueUrl = queueUrlFor(targets, 'inbound');
  const dlqUrl = dlqUrlFor(targets, 'inbound');
  const stripe = operatorStripe(deps.env, deps.local);
  const table = await resolveDedupTable(command.common, deps.env, deps.local);
  try {
    const ports: RetryPorts = {
      fetchEvent: (eventId) => stripe('events.retrieve', (client) => stripeEventFetcher(client)(eventId)),
      enqueue: async (json, summary) => {
        await enqueueEvent({ sqs: deps.sqs, queueUrl, maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES }, json, summary);
      },
      removeDlqCopies: (eventId) => removeDlqCopies(deps.sqs, dlqUrl, eventId),
      log: dynamoDeadLetterLog(table.dynamo, table.tableName, () => deps.clock.now()),
    };
    const results: RetryResult[] = [];
    for (const eventId of command.eventIds) results.push(await retryDeadLetteredEvent(ports, eventId));
    print(results, () => results.map(formatRetry));
    return results.some((r) => r.outcome === 'failed') ? 1 : 0;
  } finally {
    table.dynamo.destroy();
  }
}

function formatRetry(result: RetryResult): string {
  if (result.outcome === 'failed') return `${result.eventId}: not retried: ${result.error ?? 'unknown error'}`;
  const copies = result.dlqCopiesRemoved === undefined ? '' : `; ${result.dlqCopiesRemoved} DLQ ${result.dlqCopiesRemoved === 1 ? 'copy' : 'copies'} removed`;
  const logged = result.logged === false ? '; no sync log record (it was not dead-lettered recently)' : result.logged === true ? '; its Stripe_Sync_Log__c record shows Pending' : '';
  return `${result.eventId} ${result.eventType ?? ''}: enqueued${copies}${logged}${result.warning === undefined ? '' : ` (${result.warning})`}`;
}

async function drift(command: Extract<ReconcileCommand, { name: 'reconcile' }>, deps: ReconcileCommandDeps, print: Print): Promise<number> {
  const logger = createLogger({ service: 'reconcile', level: command.common.debug ? 'debug' : 'warn', destination: { write: (line: string) => deps.stderr(line.trimEnd()) } });
  const services = await resolveBridgeServices(command.common, deps.env, deps.local, logger);
  try {
    const queueUrl = command.fix ? queueUrlFor(await deps.targets(), 'inbound') : undefined;
    const ports = createDriftPorts({
      stripe: services.stripe,
      pace: createPacer(deps.clock, command.stripeRate),
      salesforce: services.salesforce,
      dynamo: services.dynamo,
      tableName: services.tableName,
      logger,
      now: () => deps.clock.now(),
      ...(queueUrl === undefined ? {} : { queue: { sqs: deps.sqs, queueUrl } }),
    });
    const report = await driftReport(ports, { since: command.since, kinds: command.kinds, fix: command.fix });
    if (command.csvPath !== undefined) await writeFile(command.csvPath, driftCsv(report));
    print(report, () => formatDriftReport(report, { fix: command.fix, csvPath: command.csvPath }));
    return report.differences.length > 0 || report.fixFailures.length > 0 ? 1 : 0;
  } finally {
    services.destroy();
  }
}

async function backfill(command: Extract<ReconcileCommand, { name: 'backfill' }>, deps: ReconcileCommandDeps, print: Print): Promise<number> {
  const progress = progressPrinter(deps);
  // Per-event log lines would drown the progress line: only warnings and errors, on stderr.
  const logger = createLogger({
    service: 'backfill',
    level: command.common.debug ? 'debug' : 'warn',
    destination: {
      write: (line: string) => {
        progress.end();
        deps.stderr(line.trimEnd());
      },
    },
  });
  const services = await resolveBridgeServices(command.common, deps.env, deps.local, logger);
  let stop = false;
  let interrupts = 0;
  const removeHandler = deps.onInterrupt(() => {
    interrupts += 1;
    if (interrupts === 1) deps.stderr('\nStopping after the batch in progress (the checkpoint keeps your place); Ctrl-C again to quit at once.');
    else process.exit(130);
    stop = true;
  });
  try {
    const ports = createBackfillPorts({
      stripe: services.stripe,
      pace: createPacer(deps.clock, command.stripeRate),
      dynamo: services.dynamo,
      tableName: services.tableName,
      salesforce: services.salesforce,
      salesforceApiVersion: services.salesforceApiVersion,
      logger,
      now: () => deps.clock.now(),
      sleep: (ms) => deps.clock.sleep(ms),
      checkpointPath: command.checkpointPath,
      failuresPath: command.failuresPath,
      progress: progress.update,
      stopRequested: () => stop,
      dryRun: command.dryRun,
      writes: { mode: command.writes, bulkThreshold: command.bulkThreshold },
    });
    if (command.restart) {
      await checkpointFile(command.checkpointPath).remove();
      await ports.clearFailures();
    }
    const started = deps.clock.now();
    const result = await runBackfill(ports, {
      since: command.since,
      objects: command.objects,
      batchSize: command.batchSize,
      maxSalesforceCalls: command.maxSalesforceCalls,
      dryRun: command.dryRun,
      restart: command.restart,
    });
    progress.end();
    print({ status: result.status, resumed: result.resumed, checkpoint: command.checkpointPath, failures: command.failuresPath, ...result.checkpoint }, () =>
      formatBackfillSummary(result, { failuresPath: command.failuresPath, maxSalesforceCalls: command.maxSalesforceCalls, elapsedMs: deps.clock.now() - started }),
    );
    if (result.status === 'interrupted' || result.status === 'call_cap') return EXIT_RESUMABLE;
    return result.checkpoint.totals.failed > 0 ? 1 : 0;
  } finally {
    progress.end();
    removeHandler();
    services.destroy();
  }
}

/** One line rewritten in place on a terminal; a line every 10 seconds when stderr is a file. */
function progressPrinter(deps: ReconcileCommandDeps): { update: (p: BackfillProgress) => void; end: () => void } {
  let lastPrinted = Number.NEGATIVE_INFINITY;
  let open = false;
  return {
    update(p) {
      const line = formatBackfillProgress(p);
      if (deps.progress.isTTY) {
        deps.progress.write(`\r\u001b[2K${line}`);
        open = true;
        return;
      }
      const now = deps.clock.now();
      if (now - lastPrinted < NON_TTY_PROGRESS_MS && p.fraction < 1) return;
      lastPrinted = now;
      deps.progress.write(`${line}\n`);
    },
    end() {
      if (open) deps.progress.write('\n');
      open = false;
    },
  };
}
