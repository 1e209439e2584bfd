/**
 * Deletes an event's copies from the inbound DLQ (after a retry enqueued it afresh): reads the
 * DLQ like `dlq replay --event-id` does, deletes the messages of that event, and makes every other
 * message visible again at once.
 */
import { DeleteMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describeInbound } from './dlq-message.js';
import { receiveBatch, releaseMessages, type HeldMessage } from './receive.js';

/** Receives that bring nothing new before the DLQ is taken as read through. */
const IDLE_RECEIVES_TO_STOP = 3;

export async function removeDlqCopies(sqs: SQSClient, dlqUrl: string, eventId: string, options: { readonly waitTimeSeconds?: number } = {}): Promise<number> {
  const held = new Map<string, HeldMessage>();
  const seen = new Set<string>();
  let removed = 0;
  try {
    let idle = 0;
    while (idle < IDLE_RECEIVES_TO_STOP) {
      const batch = await receiveBatch(sqs, dlqUrl, { maxMessages: 10, visibilityTimeoutSeconds: 60, waitTimeSeconds: options.waitTimeSeconds ?? 1 });
      if (batch.length === 0) break;
      let fresh = 0;
      for (const message of batch) {
        const entry = describeInbound(message);
        if (seen.has(entry.messageId)) {
          if (held.has(entry.messageId)) held.set(entry.messageId, { messageId: entry.messageId, receiptHandle: entry.receiptHandle });
          continue;
        }
        seen.add(entry.messageId);
        fresh += 1;
        if (entry.eventId === eventId) {
          await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: entry.receiptHandle }));
          removed += 1;
        } else {
          held.set(entry.messageId, { messageId: entry.messageId, receiptHandle: entry.receiptHandle });
        }
      }
      idle = fresh === 0 ? idle + 1 : 0;
    }
  } finally {
    await releaseMessages(sqs, dlqUrl, [...held.values()]);
  }
  return removed;
}
