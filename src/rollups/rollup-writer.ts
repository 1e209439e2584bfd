/**
 * The roll-up writer's core: one batch of roll-up queue messages (each the Account updates and
 * Task owner updates of one consumer batch) written to Salesforce in as few Composite requests as
 * the batched writer allows, instead of one more request per consumer batch.
 *
 * Why coalescing is safe: each message's Account figures were recomputed whole from reads that
 * saw its batch's writes, and carry the roll-up version (the newest record change they saw).
 * - Two messages for one Account in this batch: the highest version is written, the other is
 *   dropped (superseded); equal versions go to the later computation.
 * - A message older than what the Account already shows (it arrived in a later batch, or another
 *   writer ran first): Salesforce's Stripe_Reject_Older_Rollup rule refuses it, and the writer
 *   reports it stale, not failed.
 * - An Account or Task deleted since: skipped (skipIfMissing).
 *
 * Per message: written, stale or superseded → acknowledged; a transient failure (Salesforce down,
 * throttled) → reported for retry (SQS redelivers it; its redrive policy ends it in the DLQ);
 * a permanent refusal → logged and acknowledged, as an inline roll-up that cannot run is: the
 * next batch that touches the Account recomputes it whole. An unreadable message → sent to the
 * roll-up DLQ at once with its reason and acknowledged (no retry can make it readable), so the
 * DLQ alarm fires within minutes instead of at the retry horizon; retried only when that send
 * fails or no DLQ is configured.
 */
import type { SQSBatchResponse } from 'aws-lambda';
import type { SalesforceMutation } from '../contracts/salesforce-mutation.js';
import { errorCode, errorReason, isPermanent } from '../errors.js';
import type { MessageFailure } from '../ingress/inbound-message.js';
import type { Logger } from '../logging.js';
import { readRollupMessage, rollupVersionOf, type RollupMessage } from './rollup-message.js';

export type RollupOutcome = 'written' | 'stale' | 'superseded' | 'refused' | 'dead-lettered' | 'retry';

/** One message of the roll-up queue, as the Lambda event or the local queue delivers it. */
export interface RollupRecord {
  readonly messageId: string;
  readonly body: string;
  /** SQS SentTimestamp (ms): the backlog-age alarm reads the oldest one received. */
  readonly sentAt?: number | undefined;
  /** SQS ApproximateReceiveCount, recorded on a dead letter. */
  readonly receiveCount?: number | undefined;
}

/**
 * Sends one message to the roll-up DLQ with its failure, recorded as the consumer records its own
 * (src/rollups/rollup-writer-app.ts).
 */
export type RollupDeadLetter = (record: RollupRecord, failure: MessageFailure) => Promise<void>;

/** What the writer needs of the batched Salesforce writer (src/salesforce/writer.ts). */
export interface RollupWritePort {
  write(items: readonly { readonly correlationId: string; readonly mutations: readonly SalesforceMutation[] }[]): Promise<{
    readonly outcomes: ReadonlyMap<string, { readonly ok: boolean; readonly error?: unknown; readonly records: readonly { readonly stale?: true }[] }>;
    readonly apiCalls: number;
  }>;
}

export interface RollupWriterPorts {
  readonly writer: RollupWritePort;
  readonly logger: Logger;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** Undefined without a roll-up DLQ (ROLLUP_DLQ_URL unset): unreadable messages are retried. */
  readonly deadLetter?: RollupDeadLetter | undefined;
}

export interface RollupWriteSummary {
  readonly response: SQSBatchResponse;
  readonly outcomes: ReadonlyMap<string, RollupOutcome>;
  readonly salesforceApiCalls: number;
}

interface Read {
  readonly messageId: string;
  readonly message: RollupMessage;
}

/**
 * Each message's mutations without the Account updates another message of the batch supersedes
 * (a higher roll-up version, or the same version computed later). Pure.
 */
export function newestRollups(messages: readonly Read[]): Map<string, SalesforceMutation[]> {
  const newest = new Map<string, { messageId: string; version: number; computedAt: number }>();
  for (const { messageId, message } of messages) {
    for (const mutation of message.mutations) {
      const version = rollupVersionOf(mutation);
      if (version === undefined) continue;
      const best = newest.get(mutation.key.value);
      if (best === undefined || version > best.version || (version === best.version && message.computedAt >= best.computedAt)) {
        newest.set(mutation.key.value, { messageId, version, computedAt: message.computedAt });
      }
    }
  }
  return new Map(
    messages.map(({ messageId, message }) => [
      messageId,
      message.mutations.filter((m) => rollupVersionOf(m) === undefined || newest.get(m.key.value)?.messageId === messageId),
    ]),
  );
}

export async function writeRollups(records: readonly RollupRecord[], ports: RollupWriterPorts): Promise<RollupWriteSummary> {
  const started = ports.now();
  const sent = records.flatMap((r) => (r.sentAt === undefined ? [] : [r.sentAt]));
  const oldest = sent.length === 0 ? undefined : Math.max(0, Math.round((started - Math.min(...sent)) / 1000));
  if (oldest !== undefined) ports.logger.info({ batchSize: records.length, oldestMessageAgeSeconds: oldest }, 'batch received');
  const outcomes = new Map<string, RollupOutcome>();
  const read: Read[] = [];
  const unreadable: { record: RollupRecord; error: unknown }[] = [];
  for (const record of records) {
    try {
      read.push({ messageId: record.messageId, message: readRollupMessage(record.body) });
    } catch (err) {
      unreadable.push({ record, error: err });
    }
  }
  // Not ours, or a bug: permanent, so dead-lettered now rather than retried until the horizon.
  await Promise.all(unreadable.map(async ({ record, error }) => outcomes.set(record.messageId, await deadLetterUnreadable(record, error, ports))));
  const kept = newestRollups(read);
  const items = [...kept].filter(([, mutations]) => mutations.length > 0).map(([correlationId, mutations]) => ({ correlationId, mutations }));
  for (const [messageId, mutations] of kept) if (mutations.length === 0) outcomes.set(messageId, 'superseded');

  let salesforceApiCalls = 0;
  if (items.length > 0) {
    try {
      const result = await ports.writer.write(items);
      salesforceApiCalls = result.apiCalls;
      for (const { correlationId } of items) {
        const outcome = result.outcomes.get(correlationId);
        if (outcome === undefined) outcomes.set(correlationId, 'retry');
        else if (outcome.ok) outcomes.set(correlationId, outcome.records.some((r) => r.stale !== true) ? 'written' : 'stale');
        else outcomes.set(correlationId, refusedOrRetry(outcome.error, correlationId, ports.logger));
      }
    } catch (err) {
      for (const { correlationId } of items) outcomes.set(correlationId, refusedOrRetry(err, correlationId, ports.logger));
    }
  }

  const count = (o: RollupOutcome): number => [...outcomes.values()].filter((v) => v === o).length;
  const accounts = items.reduce((n, item) => n + item.mutations.filter((m) => m.sobject === 'Account').length, 0);
  ports.logger.info(
    {
      rollup: 'accounts',
      messages: records.length,
      accounts,
      written: count('written'),
      stale: count('stale'),
      superseded: count('superseded'),
      refused: count('refused'),
      deadLettered: count('dead-lettered'),
      retry: count('retry'),
      salesforceApiCalls,
      durationMs: ports.now() - started,
    },
    'roll-ups written',
  );
  const failures = records.filter((r) => outcomes.get(r.messageId) === 'retry').map((r) => ({ itemIdentifier: r.messageId }));
  return { response: { batchItemFailures: failures }, outcomes, salesforceApiCalls };
}

async function deadLetterUnreadable(record: RollupRecord, error: unknown, ports: RollupWriterPorts): Promise<RollupOutcome> {
  const details = { messageId: record.messageId, errorCode: errorCode(error), reason: errorReason(error) };
  if (ports.deadLetter === undefined) {
    // An older deployment without ROLLUP_DLQ_URL: its redrive policy moves it at the retry horizon.
    ports.logger.error(details, 'roll-up message unreadable; no roll-up DLQ configured (ROLLUP_DLQ_URL); retried');
    return 'retry';
  }
  try {
    await ports.deadLetter(record, {
      code: details.errorCode,
      reason: details.reason,
      failedAt: new Date(ports.now()),
      receiveCount: record.receiveCount ?? 1,
    });
  } catch (sendError) {
    ports.logger.error({ ...details, deadLetterErrorCode: errorCode(sendError), deadLetterReason: errorReason(sendError) }, 'roll-up message unreadable; not dead-lettered; retried');
    return 'retry';
  }
  ports.logger.error(details, 'roll-up message unreadable; dead-lettered');
  return 'dead-lettered';
}

function refusedOrRetry(error: unknown, messageId: string, logger: Logger): RollupOutcome {
  const details = { messageId, errorCode: errorCode(error), reason: errorReason(error) };
  if (isPermanent(error)) {
    // As an inline roll-up that cannot run: skipped; the next batch touching the Account redoes it.
    logger.warn(details, 'account roll-up refused; skipped');
    return 'refused';
  }
  logger.warn(details, 'account roll-up not written; retried');
  return 'retry';
}
