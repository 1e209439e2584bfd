/**
 * SQS as the Lambda event source sees it, on a clock the test moves: the local queue (visibility
 * timeout, receive count, redrive) stands in for the queue, and an SQS client, mocked with
 * aws-sdk-client-mock, applies ChangeMessageVisibilityBatch to it and records SendMessage to the
 * DLQ. `drain` plays the event source: receive, invoke, delete what did not fail.
 * Only that client instance is mocked (`mockClient(instance)`), not the SQSClient class: the app
 * under test is handed the instance, and the other files of the worker keep the real class.
 */
import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { expect } from 'vitest';
import { LocalQueue, type ReceivedMessage } from '../../src/local/local-queue.js';

export type SqsMock = AwsClientStub<SQSClient>;

/** A small deterministic generator, so every run sees the same jitter. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

export interface SimulatedSqs {
  readonly queue: LocalQueue;
  /** SendMessage inputs that went to the DLQ. */
  readonly deadLetters: SendMessageCommand['input'][];
  /** The client to hand to the app under test. */
  readonly client: SQSClient;
  /** Its mock: every command the app sent. */
  readonly mock: SqsMock;
}

export function simulateSqs(options: { queueUrl: string; dlqUrl: string; maxReceiveCount: number; visibilityTimeoutMs: number; now: () => number }): SimulatedSqs {
  const client = new SQSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' } });
  const sqsMock = mockClient(client);
  const queue = new LocalQueue({ batchSize: 10, visibilityTimeoutMs: options.visibilityTimeoutMs, maxReceiveCount: options.maxReceiveCount, now: options.now });
  const deadLetters: SendMessageCommand['input'][] = [];
  sqsMock.on(ChangeMessageVisibilityBatchCommand).callsFake((input: ChangeMessageVisibilityBatchCommand['input']) => {
    expect(input.QueueUrl).toBe(options.queueUrl);
    for (const entry of input.Entries ?? []) queue.changeVisibility(entry.ReceiptHandle!, entry.VisibilityTimeout!);
    return { Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id! })), Failed: [] };
  });
  sqsMock.on(SendMessageCommand).callsFake((input: SendMessageCommand['input']) => {
    expect(input.QueueUrl).toBe(options.dlqUrl);
    deadLetters.push(input);
    return { MessageId: `dlq-${deadLetters.length}` };
  });
  return { queue, deadLetters, client, mock: sqsMock };
}

export interface Clock {
  nowMs: number;
}

/**
 * Plays the Lambda event source until `until` or until the queue is empty: receives a batch,
 * hands it over, deletes every message not reported as failed; jumps the clock to the next
 * visible message when none is visible.
 */
export async function drain(
  queue: LocalQueue,
  clock: Clock,
  until: number,
  handle: (batch: readonly ReceivedMessage[]) => Promise<readonly string[]>,
): Promise<void> {
  while (clock.nowMs < until) {
    const batch = queue.receive();
    if (batch.length === 0) {
      const next = queue.nextVisibleAt();
      if (next === undefined) return;
      clock.nowMs = Math.min(until, Math.max(clock.nowMs + 1, next));
      continue;
    }
    queue.settle(batch, await handle(batch));
    clock.nowMs += 2000; // an invocation takes a moment
  }
}

/** VisibilityTimeout of every ChangeMessageVisibilityBatch entry sent so far. */
export function visibilityDelays(sqsMock: SqsMock): number[] {
  return sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand).flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => e.VisibilityTimeout!));
}
