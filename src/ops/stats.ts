/** DLQ depth from queue attributes; oldest age and breakdowns from a bounded, non-consuming sample. */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Clock } from './clock.js';
import { sampleDlq } from './peek.js';
import type { DlqKind } from './targets.js';

export interface DlqStats {
  readonly queue: DlqKind;
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly depth: number;
  /** How many messages the age and the breakdowns are computed from. */
  readonly sampled: number;
  /** Seconds since SQS first enqueued the oldest sampled message (a redriven message keeps its original time). */
  readonly oldestSampledAgeSeconds: number | undefined;
  readonly byType: Readonly<Record<string, number>>;
  /** By failure code when recorded, else by reason text. */
  readonly byReason: Readonly<Record<string, number>>;
}

const count = (value: string | undefined): number => {
  const n = Number(value ?? '0');
  return Number.isFinite(n) ? n : 0;
};

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

export async function dlqStats(
  deps: { readonly sqs: SQSClient; readonly clock: Clock },
  dlqUrl: string,
  queue: DlqKind,
  options: { readonly maxSampled: number; readonly waitTimeSeconds?: number },
): Promise<DlqStats> {
  const response = await deps.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: dlqUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  const visible = count(response.Attributes?.ApproximateNumberOfMessages);
  const inFlight = count(response.Attributes?.ApproximateNumberOfMessagesNotVisible);
  const delayed = count(response.Attributes?.ApproximateNumberOfMessagesDelayed);
  const sample =
    visible === 0
      ? { entries: [], sampled: 0, releaseFailures: 0 }
      : await sampleDlq(deps.sqs, dlqUrl, queue, {
          limit: options.maxSampled,
          maxSampled: options.maxSampled,
          ...(options.waitTimeSeconds === undefined ? {} : { waitTimeSeconds: options.waitTimeSeconds }),
        });
  const byType: Record<string, number> = {};
  const byReason: Record<string, number> = {};
  let oldestSentAt: number | undefined;
  for (const entry of sample.entries) {
    increment(byType, entry.eventType ?? '(unknown)');
    increment(byReason, entry.failureCode ?? entry.failureReason);
    if (entry.sentAt !== undefined && (oldestSentAt === undefined || entry.sentAt < oldestSentAt)) oldestSentAt = entry.sentAt;
  }
  return {
    queue,
    visible,
    inFlight,
    delayed,
    depth: visible + inFlight,
    sampled: sample.sampled,
    oldestSampledAgeSeconds: oldestSentAt === undefined ? undefined : Math.max(0, Math.floor((deps.clock.now() - oldestSentAt) / 1000)),
    byType,
    byReason,
  };
}
