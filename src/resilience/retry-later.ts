/**
 * Per-message backoff on an SQS queue: the consumer decides for each failed message whether to
 * retry it (and after how long) or dead-letter it, collects the delays of one batch, and hides
 * those messages with one ChangeMessageVisibilityBatch call per 10 when the batch is done. The
 * Lambda event source leaves a message it was told failed (`batchItemFailures`) in the queue, so
 * it comes back when the visibility timeout set here ends.
 */
import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { errorCode } from '../errors.js';
import type { Logger } from '../logging.js';
import { decideRetry, type RetryDecision, type RetryPolicy } from './retry-schedule.js';

/** What the retry decision needs to know about a received message. */
export interface RetriableMessage {
  readonly messageId: string;
  readonly receiveCount: number;
  /** SQS SentTimestamp (ms): when the message entered the queue; unknown counts as just now. */
  readonly sentAt?: number | undefined;
  /** Needed to change the message's visibility; without it the queue's own timeout applies. */
  readonly receiptHandle?: string | undefined;
}

export interface VisibilityChange {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly delaySeconds: number;
}

/** Hides messages for their delays (SQS ChangeMessageVisibility, or the local queue's equivalent). */
export type ChangeVisibility = (changes: readonly VisibilityChange[]) => Promise<void>;

export interface RetryPort {
  decide(message: RetriableMessage, permanent: boolean): RetryDecision;
  /** Schedules the message's next attempt after `delaySeconds` (applied when the batch ends). */
  later(message: RetriableMessage, delaySeconds: number): void;
}

export interface RetrySettings {
  readonly policy: RetryPolicy;
  /** The queue's redrive maxReceiveCount. */
  readonly maxReceiveCount: number;
}

/** One batch's retry decisions; `flush` applies the delays. */
export class BatchRetries implements RetryPort {
  private readonly pending: VisibilityChange[] = [];

  constructor(
    private readonly settings: RetrySettings,
    private readonly now: () => number,
    private readonly random: () => number = Math.random,
  ) {}

  decide(message: RetriableMessage, permanent: boolean): RetryDecision {
    const ageSeconds = message.sentAt === undefined ? 0 : Math.max(0, (this.now() - message.sentAt) / 1000);
    return decideRetry({ permanent, receiveCount: message.receiveCount, ageSeconds }, this.settings.policy, this.settings.maxReceiveCount, this.random);
  }

  later(message: RetriableMessage, delaySeconds: number): void {
    if (message.receiptHandle === undefined) return;
    this.pending.push({ messageId: message.messageId, receiptHandle: message.receiptHandle, delaySeconds });
  }

  /**
   * Applies the collected delays; a failure only means the queue's own timeout applies. Returns
   * the messages that go back to the queue, with their delays.
   */
  async flush(change: ChangeVisibility | undefined, logger: Logger): Promise<readonly VisibilityChange[]> {
    const changes = this.pending.splice(0);
    if (changes.length === 0 || change === undefined) return changes;
    try {
      await change(changes);
    } catch (err) {
      logger.warn({ messages: changes.length, errorCode: errorCode(err) }, 'could not delay retried messages; the queue visibility timeout applies');
    }
    return changes;
  }
}

/** The oldest message's age in a batch (seconds), for the log line the backlog-age alarm reads. */
export function oldestAgeSeconds(messages: readonly RetriableMessage[], now: number): number | undefined {
  const sent = messages.map((m) => m.sentAt).filter((t): t is number => t !== undefined);
  return sent.length === 0 ? undefined : Math.max(0, Math.round((now - Math.min(...sent)) / 1000));
}

/** ChangeMessageVisibilityBatch, 10 entries per call (SQS's limit); failed entries are logged. */
export function sqsChangeVisibility(sqs: SQSClient, queueUrl: string, logger: Logger): ChangeVisibility {
  return async (changes) => {
    for (let start = 0; start < changes.length; start += 10) {
      const slice = changes.slice(start, start + 10);
      const response = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: slice.map((c, i) => ({ Id: String(start + i), ReceiptHandle: c.receiptHandle, VisibilityTimeout: c.delaySeconds })),
        }),
      );
      for (const failed of response.Failed ?? []) {
        const entry = changes[Number(failed.Id)];
        logger.warn({ messageId: entry?.messageId, errorCode: failed.Code }, 'could not delay a retried message; the queue visibility timeout applies');
      }
    }
  };
}
