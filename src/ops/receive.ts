/** Receiving from a DLQ without consuming: hold messages briefly, then hand them back. */
import {
  ChangeMessageVisibilityBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { RECEIVE_ATTRIBUTES } from './dlq-message.js';

export interface ReceiveOptions {
  readonly maxMessages: number;
  /** How long received messages stay hidden; they are handed back earlier on success. */
  readonly visibilityTimeoutSeconds: number;
  /** Long polling asks every SQS server, so an empty answer means the queue is (nearly) empty. */
  readonly waitTimeSeconds: number;
}

export async function receiveBatch(sqs: SQSClient, queueUrl: string, options: ReceiveOptions): Promise<Message[]> {
  const response = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.min(10, Math.max(1, options.maxMessages)),
      VisibilityTimeout: options.visibilityTimeoutSeconds,
      WaitTimeSeconds: options.waitTimeSeconds,
      ...RECEIVE_ATTRIBUTES,
    }),
  );
  return response.Messages ?? [];
}

export interface HeldMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
}

/**
 * Makes held messages visible again at once (visibility 0). Returns how many SQS did not accept;
 * those reappear by themselves when their visibility timeout ends, so nothing is lost.
 */
export async function releaseMessages(sqs: SQSClient, queueUrl: string, held: readonly HeldMessage[]): Promise<number> {
  let failed = 0;
  for (let start = 0; start < held.length; start += 10) {
    const chunk = held.slice(start, start + 10);
    try {
      const response = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((m, index) => ({ Id: String(index), ReceiptHandle: m.receiptHandle, VisibilityTimeout: 0 })),
        }),
      );
      failed += response.Failed?.length ?? 0;
    } catch {
      // Deliberately not rethrown: release runs in `finally` and must not hide the first error;
      // the messages become visible on their own after the short timeout.
      failed += chunk.length;
    }
  }
  return failed;
}
