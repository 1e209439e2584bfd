/**
 * Looking at a DLQ without consuming it. Messages are received with a short visibility timeout,
 * kept hidden while sampling (so the same ones are not received twice), then made visible again
 * at once. A crash in between only hides them until the timeout ends.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, type DlqEntry } from './dlq-message.js';
import { typeMatches } from './filter.js';
import { receiveBatch, releaseMessages, type HeldMessage } from './receive.js';
import type { DlqKind } from './targets.js';

export interface SampleOptions {
  /** Stop after this many entries that pass `type`. */
  readonly limit: number;
  /** Never receive more than this many messages in total. */
  readonly maxSampled: number;
  readonly type?: string | undefined;
  readonly visibilityTimeoutSeconds?: number;
  readonly waitTimeSeconds?: number;
}

export interface SampleResult {
  readonly entries: DlqEntry[];
  /** Messages received (matching or not). */
  readonly sampled: number;
  /** Messages SQS did not make visible at once (they reappear after the visibility timeout). */
  readonly releaseFailures: number;
}

export async function sampleDlq(sqs: SQSClient, dlqUrl: string, kind: DlqKind, options: SampleOptions): Promise<SampleResult> {
  const held = new Map<string, HeldMessage>();
  const entries: DlqEntry[] = [];
  let releaseFailures: number;
  try {
    while (entries.length < options.limit && held.size < options.maxSampled) {
      const batch = await receiveBatch(sqs, dlqUrl, {
        maxMessages: options.maxSampled - held.size,
        visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
        waitTimeSeconds: options.waitTimeSeconds ?? 1,
      });
      let fresh = 0;
      for (const message of batch) {
        const entry = describe(kind, message);
        const seenBefore = held.has(entry.messageId);
        held.set(entry.messageId, { messageId: entry.messageId, receiptHandle: entry.receiptHandle });
        if (seenBefore) continue;
        fresh += 1;
        if (entries.length < options.limit && (options.type === undefined || typeMatches(options.type, entry.eventType))) {
          entries.push(entry);
        }
      }
      if (fresh === 0) break;
    }
  } finally {
    releaseFailures = await releaseMessages(sqs, dlqUrl, [...held.values()]);
  }
  return { entries, sampled: held.size, releaseFailures };
}
