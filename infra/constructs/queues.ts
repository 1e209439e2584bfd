/** Queue defaults shared by every bridge queue: SSE, TLS-only access, names, redrive allow policies. */
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Queue, QueueEncryption, RedrivePermission, type QueueProps } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { maxReceivesWithin, SQS_MAX_RECEIVE_COUNT, type RetryPolicy } from '../../src/resilience/retry-schedule.js';

/** SQS keeps a message at most 14 days; a DLQ keeps it that long to leave time to replay. */
export const DLQ_RETENTION = Duration.days(14);

/** A source queue keeps a message 4 days: Stripe's (and Event Relay's) 3 days of retries plus a day. */
export const QUEUE_RETENTION = Duration.days(4);

/**
 * The visibility timeout of a queue a Lambda function drains (seconds). Lambda's guidance: at
 * least six times the function timeout, plus the batching window, so a message is not
 * redelivered while a throttled invocation still holds it.
 */
export function lambdaQueueVisibilitySeconds(functionTimeout: Duration, maxBatchingWindowSeconds: number): number {
  return 6 * functionTimeout.toSeconds() + maxBatchingWindowSeconds;
}

/**
 * The redrive policy's maxReceiveCount for a queue whose consumer retries with `policy`: every
 * receive the retry horizon can hold (a redelivery after the visibility timeout counts too), so
 * the horizon, not a receive count, ends retries. A message that crashes the consumer on every
 * receive still reaches the DLQ, after maxReceiveCount × visibility timeout, which must stay
 * inside the queue's retention or SQS would delete it first. Returns a problem instead when the
 * numbers do not fit.
 */
export function redriveMaxReceiveCount(
  policy: RetryPolicy,
  visibilitySeconds: number,
  retentionSeconds: number = QUEUE_RETENTION.toSeconds(),
): { readonly count: number } | { readonly problem: string } {
  const count = maxReceivesWithin(policy, visibilitySeconds);
  if (count <= SQS_MAX_RECEIVE_COUNT && count * visibilitySeconds < retentionSeconds) return { count };
  return {
    problem:
      `needs ${count} receives at ${visibilitySeconds} s each, more than SQS holds (maxReceiveCount ≤ ${SQS_MAX_RECEIVE_COUNT}, ` +
      `retention ${retentionSeconds / 86_400} days): shorten retryHorizonHours or raise retryMaxDelaySeconds`,
  };
}

/**
 * Server-side encryption with SQS-owned keys: encrypted at rest without a KMS key policy, so
 * EventBridge and Lambda can deliver failed events to it with IAM and the queue policy alone.
 */
export function secureQueue(scope: Construct, id: string, props: QueueProps = {}): Queue {
  return new Queue(scope, id, {
    ...props,
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
}

/**
 * A source queue's name: the stack's name and its role (`StripeSalesforceBridge-prod-inbound`).
 * Named so its DLQ can allow it by ARN: a reference to the queue would be a cycle, because the
 * queue's redrive policy references the DLQ.
 */
export function sourceQueueName(role: string): string {
  return `${Aws.STACK_NAME}-${role}`;
}

/**
 * A dead-letter queue: kept for 14 days, retained when the stack is deleted, and usable as a DLQ
 * only by the named source queue (its redrive allow policy), so no other queue can fill it.
 */
export function deadLetterQueue(scope: Construct, id: string, sourceQueue: string): Queue {
  const sourceArn = Stack.of(scope).formatArn({ service: 'sqs', resource: sourceQueue });
  return secureQueue(scope, id, {
    retentionPeriod: DLQ_RETENTION,
    removalPolicy: RemovalPolicy.RETAIN,
    redriveAllowPolicy: {
      redrivePermission: RedrivePermission.BY_QUEUE,
      sourceQueues: [Queue.fromQueueArn(scope, `${id}Source`, sourceArn)],
    },
  });
}
