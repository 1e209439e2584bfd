/**
 * Selective replay: receive from the DLQ in batches, and for each message that matches, SEND it
 * back first and DELETE it from the DLQ only after the send succeeded, so a crash can at worst
 * replay a message twice (harmless: the consumer dedups by event id and upserts by external id),
 * never lose one. Messages that do not match, or whose send failed, are made visible again.
 */
import { DeleteMessageCommand, SendMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { errorCode, errorReason, InvalidPayloadError, PermanentError } from '../errors.js';
import { createPacer, type Clock } from './clock.js';
import { describe, originalAttributes, type DlqEntry } from './dlq-message.js';
import { matchesFilter, type ReplayFilter } from './filter.js';
import { receiveBatch, releaseMessages, type HeldMessage } from './receive.js';
import type { DlqKind } from './targets.js';

/**
 * Where a message goes back to: the DLQ's source queue (inbound, or outbound); or, where there is
 * no outbound queue (the local stack, a stack deployed before it had one), the outbound function,
 * invoked asynchronously.
 */
export type ReplayTarget =
  | { readonly kind: DlqKind; readonly dlqUrl: string; readonly queueUrl: string }
  | { readonly kind: 'outbound'; readonly dlqUrl: string; readonly functionName: string };

export interface ReplayOptions {
  readonly filter: ReplayFilter;
  readonly dryRun: boolean;
  /** Messages sent per second at most. */
  readonly ratePerSecond?: number | undefined;
  /** How long messages stay hidden during the run; long enough for a whole run is best. */
  readonly visibilityTimeoutSeconds?: number;
  readonly waitTimeSeconds?: number;
  readonly progressEvery?: number;
}

export type ReplayOutcomeKind = 'replayed' | 'would-replay' | 'send-failed' | 'delete-failed';

export interface ReplayOutcome {
  readonly messageId: string;
  readonly eventId: string | undefined;
  readonly eventType: string | undefined;
  readonly outcome: ReplayOutcomeKind;
  readonly error?: string;
}

export interface ReplayProgress {
  readonly received: number;
  readonly matched: number;
  readonly replayed: number;
  readonly failed: number;
  readonly skipped: number;
}

export interface ReplaySummary extends ReplayProgress {
  readonly dryRun: boolean;
  readonly outcomes: readonly ReplayOutcome[];
  /** Messages SQS did not make visible at once (they reappear after the visibility timeout). */
  readonly releaseFailures: number;
}

export interface ReplayDeps {
  readonly sqs: SQSClient;
  readonly lambda?: LambdaClient | undefined;
  readonly clock: Clock;
  readonly onProgress?: ((progress: ReplayProgress) => void) | undefined;
}

/** After this many receives in a row bring nothing new, the DLQ holds only messages already handled. */
const IDLE_RECEIVES_TO_STOP = 3;

/** The message as it first entered its queue: the same body, without the failure's attributes. */
async function sendBack(deps: ReplayDeps, target: ReplayTarget, message: Message): Promise<void> {
  const body = message.Body ?? '';
  if ('queueUrl' in target) {
    await deps.sqs.send(new SendMessageCommand({ QueueUrl: target.queueUrl, MessageBody: body, MessageAttributes: originalAttributes(message) }));
    return;
  }
  if (deps.lambda === undefined) throw new PermanentError('Outbound replay needs a Lambda client', { code: 'NO_LAMBDA_CLIENT' });
  try {
    JSON.parse(body);
  } catch (err) {
    throw new InvalidPayloadError('DLQ message body is not a JSON event', { code: 'MESSAGE_INVALID', cause: err });
  }
  // The function takes the EventBridge event; an async invoke queues it like EventBridge did.
  const response = await deps.lambda.send(
    new InvokeCommand({ FunctionName: target.functionName, InvocationType: 'Event', Payload: new TextEncoder().encode(body) }),
  );
  if (response.StatusCode !== 202) {
    throw new PermanentError(`Lambda answered ${String(response.StatusCode)} to an asynchronous invoke`, { code: 'INVOKE_NOT_ACCEPTED' });
  }
}

const describeError = (err: unknown): string => `${errorCode(err)}: ${errorReason(err, 200)}`;

export async function replaySelected(deps: ReplayDeps, target: ReplayTarget, options: ReplayOptions): Promise<ReplaySummary> {
  const pace = createPacer(deps.clock, options.ratePerSecond);
  const progressEvery = options.progressEvery ?? 50;
  const held = new Map<string, HeldMessage>();
  const handled = new Set<string>();
  const outcomes: ReplayOutcome[] = [];
  const counts = { received: 0, matched: 0, replayed: 0, failed: 0, skipped: 0 };
  const wantedIds = new Set(options.filter.eventIds);
  let releaseFailures: number;

  const record = (entry: DlqEntry, outcome: ReplayOutcomeKind, error?: string): void => {
    outcomes.push({ messageId: entry.messageId, eventId: entry.eventId, eventType: entry.eventType, outcome, ...(error === undefined ? {} : { error }) });
  };

  const handle = async (message: Message, entry: DlqEntry): Promise<void> => {
    const hold = (): void => void held.set(entry.messageId, { messageId: entry.messageId, receiptHandle: entry.receiptHandle });
    if (!matchesFilter(entry, options.filter)) {
      counts.skipped += 1;
      hold();
      return;
    }
    counts.matched += 1;
    if (entry.eventId !== undefined) wantedIds.delete(entry.eventId);
    if (options.dryRun) {
      record(entry, 'would-replay');
      hold();
      return;
    }
    await pace();
    try {
      await sendBack(deps, target, message);
    } catch (err) {
      counts.failed += 1;
      record(entry, 'send-failed', describeError(err));
      hold();
      return;
    }
    try {
      await deps.sqs.send(new DeleteMessageCommand({ QueueUrl: target.dlqUrl, ReceiptHandle: entry.receiptHandle }));
      counts.replayed += 1;
      record(entry, 'replayed');
    } catch (err) {
      // Sent but still in the DLQ: a later replay of it is a harmless duplicate.
      counts.failed += 1;
      record(entry, 'delete-failed', describeError(err));
    }
  };

  try {
    let idleReceives = 0;
    while (idleReceives < IDLE_RECEIVES_TO_STOP) {
      const batch = await receiveBatch(deps.sqs, target.dlqUrl, {
        maxMessages: 10,
        visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 300,
        waitTimeSeconds: options.waitTimeSeconds ?? 2,
      });
      if (batch.length === 0) break;
      let fresh = 0;
      for (const message of batch) {
        const entry = describe(target.kind, message);
        if (handled.has(entry.messageId)) {
          // Back after its visibility timeout ran out: keep the newest handle so it can be released.
          if (held.has(entry.messageId)) held.set(entry.messageId, { messageId: entry.messageId, receiptHandle: entry.receiptHandle });
          continue;
        }
        handled.add(entry.messageId);
        fresh += 1;
        counts.received += 1;
        await handle(message, entry);
        if (counts.received % progressEvery === 0) deps.onProgress?.({ ...counts });
      }
      idleReceives = fresh === 0 ? idleReceives + 1 : 0;
      // Every id asked for was found: no need to read the rest of the queue.
      if (options.filter.eventIds.size > 0 && wantedIds.size === 0) break;
    }
  } finally {
    releaseFailures = await releaseMessages(deps.sqs, target.dlqUrl, [...held.values()]);
  }
  return { ...counts, dryRun: options.dryRun, outcomes, releaseFailures };
}
