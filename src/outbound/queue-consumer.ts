/**
 * The outbound function's SQS side. EventBridge delivers each relayed payment request to the
 * outbound queue; this drains it like the inbound consumer drains its own: a transient failure
 * (Salesforce or Stripe down, throttled, a claim held elsewhere) goes back to the queue with
 * per-message backoff until the retry horizon, so hours of outage cost delay; a permanent one,
 * or one past the horizon, goes to the outbound DLQ with its code and reason as message
 * attributes, next to the untouched EventBridge event a replay sends back.
 *
 * Why a queue rather than Lambda's asynchronous retries: those stop after 2 retries (about 1 and
 * 2 minutes apart) and 6 hours, and EventBridge's own retry policy covers only failed deliveries,
 * not a function that ran and failed. A queue gives the same backoff, horizon, circuit breakers
 * and replay tooling as the inbound path, and its event source caps concurrency (Stripe's rate
 * limits).
 */
import type { SQSBatchResponse } from 'aws-lambda';
import { errorCode, errorReason, InvalidPayloadError, isPermanent } from '../errors.js';
import type { Logger } from '../logging.js';
import type { DependencyGuard } from '../resilience/dependency-guard.js';
import { BatchRetries, oldestAgeSeconds, type ChangeVisibility, type RetriableMessage, type RetrySettings } from '../resilience/retry-later.js';

export interface QueuedRequest extends RetriableMessage {
  /** The EventBridge event, as the rule delivered it. */
  readonly body: string;
}

export interface OutboundFailure {
  readonly code: string;
  readonly reason: string;
  readonly failedAt: Date;
  readonly receiveCount: number;
}

export interface OutboundQueueDeps {
  readonly outbound: { handle(event: unknown): Promise<unknown> };
  /**
   * Services every request needs: while one refuses calls (its circuit is open, no probe due),
   * requests go back to the queue without reading DynamoDB, Salesforce or Stripe at all.
   */
  readonly gates?: readonly DependencyGuard[];
  /** Sends the message to the outbound DLQ with the failure's attributes. */
  readonly deadLetter: (request: QueuedRequest, failure: OutboundFailure) => Promise<void>;
  readonly changeVisibility?: ChangeVisibility | undefined;
  readonly retry: RetrySettings;
  readonly logger: Logger;
  readonly now: () => number;
  readonly random?: () => number;
}

/** Salesforce's messages may quote record values: the DLQ keeps its code, our own reasons in full. */
export function dlqReason(err: unknown): string {
  const code = errorCode(err);
  return code.startsWith('SALESFORCE_') ? `Salesforce refused or failed the request (${code})` : errorReason(err, 300);
}

export function createOutboundQueueConsumer(deps: OutboundQueueDeps): { handle(requests: readonly QueuedRequest[]): Promise<SQSBatchResponse> } {
  const { logger, now } = deps;

  const handleOne = async (request: QueuedRequest, retry: BatchRetries): Promise<'done' | 'retry'> => {
    try {
      const closed = deps.gates?.find((gate) => gate.refuses());
      if (closed !== undefined) throw closed.unreachable();
      let event: unknown;
      try {
        event = JSON.parse(request.body);
      } catch (err) {
        throw new InvalidPayloadError('Outbound message body is not a JSON event', { code: 'EVENT_NOT_JSON', cause: err });
      }
      await deps.outbound.handle(event);
      return 'done';
    } catch (err) {
      const decision = retry.decide(request, isPermanent(err));
      const line = { messageId: request.messageId, receiveCount: request.receiveCount, code: errorCode(err) };
      if (decision.kind === 'retry') {
        retry.later(request, decision.delaySeconds);
        logger.warn({ ...line, retryInSeconds: decision.delaySeconds }, 'payment request back in the queue');
        return 'retry';
      }
      try {
        await deps.deadLetter(request, { code: errorCode(err), reason: dlqReason(err), failedAt: new Date(now()), receiveCount: request.receiveCount });
      } catch (dlqError) {
        // Not acknowledged: SQS redelivers it, and its redrive policy moves it in the end.
        logger.error({ ...line, deadLetterError: errorCode(dlqError) }, 'could not dead-letter a payment request');
        return 'retry';
      }
      logger.error({ ...line, deadLetterCause: decision.cause }, 'payment request dead-lettered');
      return 'done';
    }
  };

  return {
    async handle(requests) {
      const retry = new BatchRetries(deps.retry, now, deps.random);
      const oldest = oldestAgeSeconds(requests, now());
      if (oldest !== undefined) logger.info({ batchSize: requests.length, oldestMessageAgeSeconds: oldest }, 'batch received');
      const failures: string[] = [];
      try {
        // One at a time: the event source's maximum concurrency is the bridge's pace at Stripe.
        for (const request of requests) {
          if ((await handleOne(request, retry)) === 'retry') failures.push(request.messageId);
        }
      } finally {
        await retry.flush(deps.changeVisibility, logger);
      }
      return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
    },
  };
}
