/**
 * An in-process queue with the SQS semantics the bridge relies on, so the local stack runs the
 * real ingress and consumer cores unchanged:
 * - `send` takes the ingress's `SendMessageCommand` (body + message attributes) and answers with a
 *   MessageId, so it stands in for the SQS client (`MessageSender`);
 * - `receive` hands out up to `batchSize` visible messages and hides them for the visibility
 *   timeout; each receive bumps `ApproximateReceiveCount` and issues a new receipt handle;
 * - `settle` acknowledges a batch the way the Lambda event source does with
 *   `reportBatchItemFailures`: every message NOT listed as failed is deleted, failed ones reappear
 *   when their visibility timeout ends;
 * - a message already received `maxReceiveCount` times is moved to the dead-letter list on its
 *   next receive, like a redrive policy.
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
  /** Receives before the redrive policy moves a message to the dead-letter list. */
  readonly maxReceiveCount?: number;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
}

export interface ReceivedMessage extends InboundRecord {
  /** Valid until the message is received again: a stale handle deletes nothing (as in SQS). */
  readonly receiptHandle: string;
}

export interface DeadLetterReason {
  readonly code: string;
  readonly reason: string;
}

export interface DeadLetteredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly messageAttributes: Readonly<Record<string, MessageAttributeValue>>;
  readonly receiveCount: number;
  /** Milliseconds since the epoch. */
  readonly deadLetteredAt: number;
  /** `consumer`: the consumer dead-lettered it with a reason; `redrive`: too many receives. */
  readonly source: 'consumer' | 'redrive' | 'outbound';
  readonly code: string;
  readonly reason: string;
}

interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly messageAttributes: Record<string, MessageAttributeValue>;
  readonly sentAt: number;
  receiveCount: number;
  visibleAt: number;
  receiptHandle: string | undefined;
}

export class LocalQueue implements MessageSender {
  readonly batchSize: number;
  readonly visibilityTimeoutMs: number;
  readonly maxReceiveCount: number;
  private readonly now: () => number;
  /** Insertion order is send order: receive hands out the oldest visible messages first. */
  private readonly messages = new Map<string, StoredMessage>();
  private readonly dead: DeadLetteredMessage[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(options: LocalQueueOptions = {}) {
    this.batchSize = positive(options.batchSize ?? DEFAULT_BATCH_SIZE, 'batchSize');
    this.visibilityTimeoutMs = positive(options.visibilityTimeoutMs ?? DEFAULT_VISIBILITY_TIMEOUT_MS, 'visibilityTimeoutMs');
    this.maxReceiveCount = positive(options.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT, 'maxReceiveCount');
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

  enqueue(body: string, messageAttributes: Record<string, MessageAttributeValue> = {}): string {
    const messageId = randomUUID();
    const now = this.now();
    this.messages.set(messageId, {
      messageId,
      body,
      messageAttributes: { ...messageAttributes },
      sentAt: now,
      receiveCount: 0,
      visibleAt: now,
      receiptHandle: undefined,
    });
    for (const listener of this.listeners) listener();
    return messageId;
  }

  /** Called after every send: the poller wakes up instead of polling on a timer. */
  onMessage(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Up to `max` visible messages, now invisible for the visibility timeout. */
  receive(max: number = this.batchSize): ReceivedMessage[] {
    const now = this.now();
    const batch: ReceivedMessage[] = [];
    for (const message of this.messages.values()) {
      if (batch.length >= max) break;
      if (message.visibleAt > now) continue;
      if (message.receiveCount >= this.maxReceiveCount) {
        this.redrive(message, now);
        continue;
      }
      message.receiveCount += 1;
      message.visibleAt = now + this.visibilityTimeoutMs;
      message.receiptHandle = `${message.messageId}:${message.receiveCount}`;
      batch.push({
        messageId: message.messageId,
        body: message.body,
        receiveCount: message.receiveCount,
        receiptHandle: message.receiptHandle,
        sentAt: message.sentAt,
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

  /** DeleteMessage: false when the handle is stale (the message was received again) or gone. */
  delete(receiptHandle: string): boolean {
    const messageId = receiptHandle.slice(0, receiptHandle.lastIndexOf(':'));
    const message = this.messages.get(messageId);
    if (message === undefined || message.receiptHandle !== receiptHandle) return false;
    this.messages.delete(messageId);
    return true;
  }

  /** ChangeMessageVisibility: the message reappears `seconds` from now; false for a stale handle. */
  changeVisibility(receiptHandle: string, seconds: number): boolean {
    const message = this.messages.get(receiptHandle.slice(0, receiptHandle.lastIndexOf(':')));
    if (message === undefined || message.receiptHandle !== receiptHandle) return false;
    message.visibleAt = this.now() + seconds * 1000;
    return true;
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

  /** The dead-letter queue's SendMessage, for the consumer's own dead-lettering (with a reason). */
  deadLetter(
    record: InboundRecord,
    reason: DeadLetterReason,
    options: { readonly source?: DeadLetteredMessage['source']; readonly attributes?: Record<string, MessageAttributeValue> } = {},
  ): void {
    this.dead.push({
      messageId: record.messageId,
      body: record.body,
      messageAttributes: options.attributes ?? toSendAttributes(record.messageAttributes),
      receiveCount: record.receiveCount,
      deadLetteredAt: this.now(),
      source: options.source ?? 'consumer',
      code: reason.code,
      reason: reason.reason,
    });
  }

  /** Messages in the dead-letter list, oldest first. */
  deadLetters(): readonly DeadLetteredMessage[] {
    return [...this.dead];
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
  stats(): { visible: number; inFlight: number; deadLettered: number } {
    const now = this.now();
    let visible = 0;
    for (const message of this.messages.values()) if (message.visibleAt <= now) visible += 1;
    return { visible, inFlight: this.messages.size - visible, deadLettered: this.dead.length };
  }

  private redrive(message: StoredMessage, now: number): void {
    this.messages.delete(message.messageId);
    this.dead.push({
      messageId: message.messageId,
      body: message.body,
      messageAttributes: message.messageAttributes,
      receiveCount: message.receiveCount,
      deadLetteredAt: now,
      source: 'redrive',
      code: 'MAX_RECEIVE_COUNT_EXCEEDED',
      reason: `Received ${message.receiveCount} times without being deleted (maxReceiveCount ${this.maxReceiveCount})`,
    });
  }
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

function toSendAttributes(attributes: InboundRecord['messageAttributes']): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    const stringValue = value?.stringValue ?? value?.StringValue;
    if (stringValue !== undefined) out[name] = { DataType: value?.dataType ?? value?.DataType ?? 'String', StringValue: stringValue };
  }
  return out;
}
