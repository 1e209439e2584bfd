/** Queue defaults shared by every bridge queue: SSE, TLS-only access, generated names. */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Queue, QueueEncryption, type QueueProps } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** SQS keeps a message at most 14 days; a DLQ keeps it that long to leave time to replay. */
export const DLQ_RETENTION = Duration.days(14);

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

/** A dead-letter queue: kept for 14 days and retained when the stack is deleted. */
export function deadLetterQueue(scope: Construct, id: string): Queue {
  return secureQueue(scope, id, {
    retentionPeriod: DLQ_RETENTION,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
