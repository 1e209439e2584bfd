/**
 * The consumer's side of the roll-up queue: a batch's Account updates (and Task owner updates)
 * leave as one message (split only past SQS's size limit) instead of one more Salesforce request;
 * the roll-up writer (rollup-writer.ts) writes many batches' messages in one.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SalesforceMutation } from '../contracts/salesforce-mutation.js';
import type { MessageSender } from '../ingress/enqueue.js';
import { rollupBodies } from './rollup-message.js';

/** Messages per roll-up writer invocation (the event source's batch size): 100 batches' roll-ups usually fit one Composite request. */
export const ROLLUP_BATCH_SIZE = 100;
/** Roll-up writers at once: enough for any volume the consumer produces, a small share of Salesforce. */
export const ROLLUP_MAX_CONCURRENCY = 2;

export interface RollupSink {
  /** Sends the updates computed at `computedAt` (ms); resolves with the number of messages sent. */
  send(mutations: readonly SalesforceMutation[], computedAt: number): Promise<number>;
}

/** A sink on an SQS queue (or anything that takes a SendMessageCommand, as the local queue does). */
export function queueRollupSink(sqs: MessageSender, queueUrl: string): RollupSink {
  return {
    async send(mutations, computedAt) {
      const bodies = rollupBodies(mutations, computedAt);
      await Promise.all(bodies.map((MessageBody) => sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody }))));
      return bodies.length;
    },
  };
}
