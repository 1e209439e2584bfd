/**
 * Wires the outbound function as Lambda runs it: SQS batches of relayed payment requests → the
 * outbound core, behind circuit breakers for Salesforce and Stripe, with per-message backoff on
 * the outbound queue and failures to the outbound DLQ with their reason.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { TransientError } from '../errors.js';
import { failureAttributes } from '../ingress/inbound-message.js';
import type { CircuitBreakerOptions } from '../resilience/circuit-breaker.js';
import { DependencyGuard } from '../resilience/dependency-guard.js';
import { sqsChangeVisibility, type ChangeVisibility } from '../resilience/retry-later.js';
import { createOutboundApp, type OutboundApp, type OutboundAppDeps } from './app.js';
import { createOutboundQueueConsumer, type OutboundQueueDeps, type QueuedRequest } from '../outbound/queue-consumer.js';

export interface QueuedOutboundDeps extends Omit<OutboundAppDeps, 'guards'> {
  /** Sends to the outbound DLQ and delays retries (unless `deadLetter`/`changeVisibility` replace it). */
  readonly sqs?: SQSClient;
  readonly deadLetter?: OutboundQueueDeps['deadLetter'];
  readonly changeVisibility?: ChangeVisibility;
  readonly random?: () => number;
  readonly breakerOptions?: CircuitBreakerOptions;
}

export interface QueuedOutbound {
  handle(requests: readonly QueuedRequest[]): Promise<SQSBatchResponse>;
  readonly app: OutboundApp;
  readonly salesforce: DependencyGuard;
  readonly stripe: DependencyGuard;
}

export function createQueuedOutbound(deps: QueuedOutboundDeps): QueuedOutbound {
  const { config, logger } = deps;
  const now = deps.now ?? Date.now;
  const salesforce = new DependencyGuard('salesforce', logger, now, deps.breakerOptions);
  const stripe = new DependencyGuard('stripe', logger, now, deps.breakerOptions);
  const app = createOutboundApp({ ...deps, guards: { salesforce, stripe } });
  const consumer = createOutboundQueueConsumer({
    outbound: app,
    gates: [salesforce, stripe],
    deadLetter: deps.deadLetter ?? sqsOutboundDeadLetter(deps.sqs, config.dlqUrl),
    changeVisibility:
      deps.changeVisibility ?? (deps.sqs !== undefined && config.queueUrl !== undefined ? sqsChangeVisibility(deps.sqs, config.queueUrl, logger) : undefined),
    retry: config.retry,
    logger,
    now,
    ...(deps.random === undefined ? {} : { random: deps.random }),
  });
  return { handle: (requests) => consumer.handle(requests), app, salesforce, stripe };
}

/** Lambda's SQS record → a queued payment request. */
export function toQueuedRequest(record: SQSRecord): QueuedRequest {
  const sentAt = Number(record.attributes.SentTimestamp);
  return {
    messageId: record.messageId,
    body: record.body,
    receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1,
    receiptHandle: record.receiptHandle,
    ...(Number.isFinite(sentAt) && sentAt > 0 ? { sentAt } : {}),
  };
}

/** The EventBridge event as received, with the failure as message attributes (ops CLI: peek, replay). */
function sqsOutboundDeadLetter(sqs: SQSClient | undefined, dlqUrl: string | undefined): OutboundQueueDeps['deadLetter'] {
  return async (request, failure) => {
    if (sqs === undefined || dlqUrl === undefined) {
      throw new TransientError('No outbound dead-letter queue configured (OUTBOUND_DLQ_URL)', { code: 'DLQ_NOT_CONFIGURED' });
    }
    await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: request.body, MessageAttributes: failureAttributes(failure) }));
  };
}
