/**
 * An in-process queue with the SQS semantics the bridge relies on, so the local stack runs the
 * real ingress and consumer cores unchanged, and the SQS endpoint (sqs-endpoint.ts) serves it to
 * the AWS SDK and the operator CLI:
 * - `send` takes the ingress's `SendMessageCommand` (body + message attributes) and answers with a
 *   MessageId, so it stands in for the SQS client (`MessageSender`);
 * - `receive` hands out up to `batchSize` visible messages and hides them for the visibility
 *   timeout; each receive bumps `ApproximateReceiveCount` and issues a new receipt handle;
 * - `settle` acknowledges a batch the way the Lambda event source does with
 *   `reportBatchItemFailures`: every message NOT listed as failed is deleted, failed ones reappear
 *   when their visibility timeout ends;
 * - `changeVisibility`, `purge` and `moveTo` are SQS's ChangeMessageVisibility, PurgeQueue and a
 *   message move task;
 * - with a dead-letter target, a message already received `maxReceiveCount` times is moved there
 *   on its next receive, like a redrive policy (body, attributes and sent time kept, as SQS does).
 * Time comes from an injected clock, so the semantics are tested without sleeping.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { MessageAttributeValue, SendMessageCommand, SendMessageCommandOutput } from '@aws-sdk/client-sqs';
import type { MessageSender } from '../ingress/enqueue.js';
import type { InboundRecord } from '../inbound/ports.js';
import { DEFAULT_RETRY_POLICY, maxReceivesWithin } from '../resilience/retry-schedule.js';

export const DEFAULT_BATCH_SIZE = 10;
export const DEFAULT_VISIBILITY_TIMEOUT_MS = 30_000;
/** As in AWS: high enough that the consumer's retry horizon, not a receive count, ends retries. */
export const DEFAULT_MAX_RECEIVE_COUNT = maxReceivesWithin(DEFAULT_RETRY_POLICY);

export interface LocalQueueOptions {
  readonly batchSize?: number;
  readonly visibilityTimeoutMs?: number;
  /** Receives before the redrive policy moves a message to `deadLetterQueue`. */
  readonly maxReceiveCount?: number;
  /** The redrive policy's target; without one, messages are redelivered for ever. */
  readonly deadLetterQueue?: LocalQueue;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
}

export interface ReceivedMessage extends InboundRecord {
  /** Valid until the message is received again: a stale handle deletes nothing (as in SQS). */
  readonly receiptHandle: string;
  /** When the message was first sent (ms): SQS's SentTimestamp, kept by a redrive. */
  readonly sentAt: number;
  /** When it was first received (ms): ApproximateFirstReceiveTimestamp. */
  readonly firstReceivedAt: number;
  /** The attributes as they were sent (SQS API casing), for the SQS endpoint. */
  readonly sentAttributes: Readonly<Record<string, MessageAttributeValue>>;
}

/** A message as stored, for the views (nothing is received, nothing changes). */
export interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly messageAttributes: Readonly<Record<string, MessageAttributeValue>>;
  readonly sentAt: number;
  readonly receiveCount: number;
  readonly visible: boolean;
}

/** What a receipt handle still refers to. */
export type HandleState = 'current' | 'stale' | 'invalid';

interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly messageAttributes: Record<string, MessageAttributeValue>;
  readonly sentAt: number;
  firstReceivedAt: number | undefined;
  receiveCount: number;
  visibleAt: number;
  receiptHandle: string | undefined;
}

export class LocalQueue implements MessageSender {
  readonly batchSize: number;
  readonly visibilityTimeoutMs: number;
  readonly maxReceiveCount: number;
  readonly deadLetterQueue: LocalQueue | undefined;
  private readonly now: () => number;
  /** Insertion order is send order: receive hands out the oldest visible messages first. */
  private readonly messages = new Map<string, StoredMessage>();
  private readonly listeners = new Set<() => void>();

  constructor(options: LocalQueueOptions = {}) {
    this.batchSize = positive(options.batchSize ?? DEFAULT_BATCH_SIZE, 'batchSize');
    this.visibilityTimeoutMs = positive(options.visibilityTimeoutMs ?? DEFAULT_VISIBILITY_TIMEOUT_MS, 'visibilityTimeoutMs');
    this.maxReceiveCount = positive(options.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT, 'maxReceiveCount');
    this.deadLetterQueue = options.deadLetterQueue;
    this.now = options.now ?? Date.now;
  }

  /** The SQS client's `send`, for the one command the ingress uses. */
  async send(command: SendMessageCommand): Promise<SendMessageCommandOutput> {
    const { MessageBody, MessageAttributes } = command.input;
    const messageId = this.enqueue(MessageBody ?? '', MessageAttributes ?? {});
    return {
      MessageId: messageId,
      MD5OfMessageBody: createHash('md5').update(MessageBody ?? '').digest('hex'),
      $metadata: { httpStatusCode: 200 },
    };
  }

  enqueue(
    body: string,
    messageAttributes: Record<string, MessageAttributeValue> = {},
    options: { readonly messageId?: string; readonly sentAt?: number; readonly delayMs?: number } = {},
  ): string {
    const messageId = options.messageId ?? randomUUID();
    const now = this.now();
    this.messages.set(messageId, {
      messageId,
      body,
      messageAttributes: { ...messageAttributes },
      sentAt: options.sentAt ?? now,
      firstReceivedAt: undefined,
      receiveCount: 0,
      visibleAt: now + (options.delayMs ?? 0),
      receiptHandle: undefined,
    });
    this.notify();
    return messageId;
  }

  /** Called after every send and whenever a message becomes visible early: wakes pollers. */
  onMessage(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Up to `max` visible messages, now invisible for the visibility timeout (or `visibilityTimeoutMs`). */
  receive(max: number = this.batchSize, options: { readonly visibilityTimeoutMs?: number } = {}): ReceivedMessage[] {
    const now = this.now();
    const batch: ReceivedMessage[] = [];
    for (const message of this.messages.values()) {
      if (batch.length >= max) break;
      if (message.visibleAt > now) continue;
      if (this.deadLetterQueue !== undefined && message.receiveCount >= this.maxReceiveCount) {
        this.redrive(message, this.deadLetterQueue);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.visibleAt = now + (options.visibilityTimeoutMs ?? this.visibilityTimeoutMs);
      message.receiptHandle = `${message.messageId}:${message.receiveCount}:${randomUUID().slice(0, 8)}`;
      batch.push({
        messageId: message.messageId,
        body: message.body,
        receiveCount: message.receiveCount,
        receiptHandle: message.receiptHandle,
        sentAt: message.sentAt,
        firstReceivedAt: message.firstReceivedAt,
        sentAttributes: message.messageAttributes,
        // As the Lambda SQS event carries them (lower-case keys), which the consumer reads.
        messageAttributes: Object.fromEntries(
          Object.entries(message.messageAttributes).map(([name, value]) => [
            name,
            { stringValue: value.StringValue, dataType: value.DataType },
          ]),
        ),
      });
    }
    return batch;
  }

  /** Whether a receipt handle names the message's latest receive, an earlier one, or nothing here. */
  handleState(receiptHandle: string): HandleState {
    const message = this.messages.get(messageIdOf(receiptHandle));
    if (message === undefined) return /^[0-9a-f-]{36}:\d+:[0-9a-f]{8}$/.test(receiptHandle) ? 'stale' : 'invalid';
    return message.receiptHandle === receiptHandle ? 'current' : 'stale';
  }

  /** DeleteMessage: false when the handle is stale (the message was received again) or gone. */
  delete(receiptHandle: string): boolean {
    if (this.handleState(receiptHandle) !== 'current') return false;
    this.messages.delete(messageIdOf(receiptHandle));
    return true;
  }

  /**
   * ChangeMessageVisibility: the message becomes visible `seconds` from now (0: at once). Only a
   * message in flight under its latest receipt handle can be changed, as in SQS.
   */
  changeVisibility(receiptHandle: string, seconds: number): 'changed' | 'not_in_flight' | 'invalid' {
    const timeoutMs = seconds * 1000;
    const state = this.handleState(receiptHandle);
    if (state === 'invalid') return 'invalid';
    const message = this.messages.get(messageIdOf(receiptHandle));
    const now = this.now();
    if (state === 'stale' || message === undefined || message.visibleAt <= now) return 'not_in_flight';
    message.visibleAt = now + Math.max(0, timeoutMs);
    if (timeoutMs <= 0) this.notify();
    return 'changed';
  }

  /**
   * Acknowledges a processed batch as the Lambda event source does with partial-batch responses:
   * deletes every message not named in `failedMessageIds`; the failed ones stay invisible until
   * their visibility timeout ends, then come back with a higher receive count.
   */
  settle(batch: readonly ReceivedMessage[], failedMessageIds: Iterable<string>): { deleted: number; failed: number } {
    const failed = new Set(failedMessageIds);
    let deleted = 0;
    for (const message of batch) {
      if (failed.has(message.messageId)) continue;
      if (this.delete(message.receiptHandle)) deleted += 1;
    }
    return { deleted, failed: batch.filter((m) => failed.has(m.messageId)).length };
  }

  /** PurgeQueue: every message, visible or in flight, is gone. Returns how many. */
  purge(): number {
    const count = this.messages.size;
    this.messages.clear();
    return count;
  }

  /**
   * A message move task: every visible message goes to `target` with its body and attributes, as
   * newly sent there (SQS resets the receive count). Returns how many moved.
   */
  moveVisibleTo(target: LocalQueue): number {
    const now = this.now();
    let moved = 0;
    for (const message of [...this.messages.values()]) {
      if (message.visibleAt > now) continue;
      this.messages.delete(message.messageId);
      target.enqueue(message.body, message.messageAttributes, { messageId: message.messageId });
      moved += 1;
    }
    return moved;
  }

  /** Every stored message, oldest first, without receiving anything (for the views). */
  peek(): QueuedMessage[] {
    const now = this.now();
    return [...this.messages.values()].map((m) => ({
      messageId: m.messageId,
      body: m.body,
      messageAttributes: m.messageAttributes,
      sentAt: m.sentAt,
      receiveCount: m.receiveCount,
      visible: m.visibleAt <= now,
    }));
  }

  /** When the next invisible message becomes visible (ms since the epoch), if any is waiting. */
  nextVisibleAt(): number | undefined {
    let next: number | undefined;
    for (const message of this.messages.values()) {
      if (next === undefined || message.visibleAt < next) next = message.visibleAt;
    }
    return next;
  }

  /** Counts as SQS reports them: ApproximateNumberOfMessages(Visible|NotVisible). */
  stats(): { visible: number; inFlight: number } {
    const now = this.now();
    let visible = 0;
    for (const message of this.messages.values()) if (message.visibleAt <= now) visible += 1;
    return { visible, inFlight: this.messages.size - visible };
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  private redrive(message: StoredMessage, target: LocalQueue): void {
    this.messages.delete(message.messageId);
    // SQS keeps the message id, body, attributes and original enqueue time when it redrives.
    target.enqueue(message.body, message.messageAttributes, { messageId: message.messageId, sentAt: message.sentAt });
  }
}

function messageIdOf(receiptHandle: string): string {
  return receiptHandle.split(':')[0] ?? '';
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
  return value;
}
