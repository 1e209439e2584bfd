/**
 * Stripe events on their way to Salesforce: the inbound queue (with its DLQ) and the consumer
 * that drains it in batches. The SQS event source reports partial batch failures and caps its
 * concurrency, so a burst of webhooks cannot use up the Salesforce org's daily API limit.
 */
import { Duration } from 'aws-cdk-lib';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BRIDGE_ENTRIES } from '../bundling.js';
import { BridgeFunction } from './bridge-function.js';
import type { DedupTable } from './dedup-table.js';
import { maxReceivesWithin, SQS_MAX_RECEIVE_COUNT, type RetryPolicy } from '../../src/resilience/retry-schedule.js';
import { deadLetterQueue, secureQueue } from './queues.js';

/** Long enough for a Composite request and a token refresh; the queue timeout derives from it. */
export const CONSUMER_TIMEOUT = Duration.seconds(60);

/** The inbound queue keeps a message 4 days: Stripe's 3 days of retries plus a day. */
export const INBOUND_RETENTION = Duration.days(4);

/** The consumer's queue visibility timeout for a batching window (seconds). */
export function consumerVisibilitySeconds(maxBatchingWindowSeconds: number): number {
  // Lambda's guidance: at least six times the function timeout, plus the batching window, so a
  // message is not redelivered while a throttled invocation still holds it.
  return 6 * CONSUMER_TIMEOUT.toSeconds() + maxBatchingWindowSeconds;
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
  retentionSeconds: number = INBOUND_RETENTION.toSeconds(),
): { readonly count: number } | { readonly problem: string } {
  const count = maxReceivesWithin(policy, visibilitySeconds);
  if (count <= SQS_MAX_RECEIVE_COUNT && count * visibilitySeconds < retentionSeconds) return { count };
  return {
    problem:
      `needs ${count} receives at ${visibilitySeconds} s each, more than SQS holds (maxReceiveCount ≤ ${SQS_MAX_RECEIVE_COUNT}, ` +
      `retention ${retentionSeconds / 86_400} days): shorten retryHorizonHours or raise retryMaxDelaySeconds`,
  };
}

export interface InboundPipelineProps {
  readonly dedup: DedupTable;
  readonly salesforceCredentials: ISecret;
  /** Read to fetch an event whose payload was too large for SQS. */
  readonly stripeApiKey: ISecret;
  readonly salesforceLoginUrl: string;
  readonly salesforceApiVersion: string;
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration;
  readonly maxConcurrency: number;
  readonly logLevel: string;
  readonly logRetention: RetentionDays;
  /** Backoff and horizon of the consumer's retries (src/resilience/retry-schedule.ts). */
  readonly retryPolicy: RetryPolicy;
}

export class InboundPipeline extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly consumer: BridgeFunction;
  /** The redrive policy's maxReceiveCount (also the consumer's MAX_RECEIVE_COUNT). */
  public readonly maxReceiveCount: number;

  constructor(scope: Construct, id: string, props: InboundPipelineProps) {
    super(scope, id);

    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue');

    const visibilityTimeout = Duration.seconds(consumerVisibilitySeconds(props.maxBatchingWindow.toSeconds()));
    const redrive = redriveMaxReceiveCount(props.retryPolicy, visibilityTimeout.toSeconds());
    if ('problem' in redrive) throw new Error(`The retry horizon ${redrive.problem}`);
    this.maxReceiveCount = redrive.count;
    this.queue = secureQueue(this, 'Queue', {
      visibilityTimeout,
      // A message moved to the DLQ keeps its original enqueue time; 4 days here leaves at
      // least 10 of the DLQ's 14 days to inspect and replay it.
      retentionPeriod: INBOUND_RETENTION,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
    });

    this.consumer = new BridgeFunction(this, 'Consumer', {
      entry: BRIDGE_ENTRIES.consumer,
      description: 'Applies queued Stripe events to Salesforce, exactly once',
      timeout: CONSUMER_TIMEOUT,
      memorySize: 512,
      logRetention: props.logRetention,
      environment: {
        LOG_LEVEL: props.logLevel,
        DEDUP_TABLE_NAME: props.dedup.table.tableName,
        // A claimed event stays locked longer than an invocation can run.
        EVENT_LEASE_SECONDS: String(2 * CONSUMER_TIMEOUT.toSeconds()),
        INBOUND_QUEUE_URL: this.queue.queueUrl,
        INBOUND_DLQ_URL: this.deadLetterQueue.queueUrl,
        MAX_RECEIVE_COUNT: String(this.maxReceiveCount),
        RETRY_BASE_DELAY_SECONDS: String(props.retryPolicy.baseDelaySeconds),
        RETRY_MAX_DELAY_SECONDS: String(props.retryPolicy.maxDelaySeconds),
        RETRY_HORIZON_HOURS: String(props.retryPolicy.horizonSeconds / 3600),
        SALESFORCE_CREDENTIALS_ARN: props.salesforceCredentials.secretArn,
        SALESFORCE_LOGIN_URL: props.salesforceLoginUrl,
        SALESFORCE_API_VERSION: props.salesforceApiVersion,
        STRIPE_SECRET_KEY_ARN: props.stripeApiKey.secretArn,
      },
    });

    this.consumer.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batchSize,
        maxBatchingWindow: props.maxBatchingWindow,
        maxConcurrency: props.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    props.dedup.grantDedup(this.consumer.function);
    // A permanently failing event goes straight to the DLQ with its reason, without 5 retries.
    this.deadLetterQueue.grantSendMessages(this.consumer.function);
    props.salesforceCredentials.grantRead(this.consumer.function);
    props.stripeApiKey.grantRead(this.consumer.function);
  }
}
