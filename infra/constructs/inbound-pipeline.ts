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
import type { RetryPolicy } from '../../src/resilience/retry-schedule.js';
import { RollupWrites } from './rollup-writes.js';
import { deadLetterQueue, lambdaQueueVisibilitySeconds, QUEUE_RETENTION, redriveMaxReceiveCount, secureQueue, sourceQueueName } from './queues.js';

/** Long enough for a Composite request and a token refresh; the queue timeout derives from it. */
export const CONSUMER_TIMEOUT = Duration.seconds(60);

/** The consumer's queue visibility timeout for a batching window (seconds). */
export function consumerVisibilitySeconds(maxBatchingWindowSeconds: number): number {
  return lambdaQueueVisibilitySeconds(CONSUMER_TIMEOUT, maxBatchingWindowSeconds);
}

export interface InboundPipelineProps {
  readonly dedup: DedupTable;
  readonly salesforceCredentials: ISecret;
  /** Read to fetch an event whose payload was too large for SQS. */
  readonly stripeApiKey: ISecret;
  /** The consumer's behaviour switches (-c consumerSettings), already checked; none: its defaults. */
  readonly consumerSettings?: Readonly<Record<string, string>>;
  readonly salesforceLoginUrl: string;
  readonly salesforceApiVersion: string;
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration;
  readonly maxConcurrency: number;
  readonly logLevel: string;
  readonly logRetention: RetentionDays;
  /** Backoff and horizon of the consumer's retries (src/resilience/retry-schedule.ts). */
  readonly retryPolicy: RetryPolicy;
  /** The roll-up writer's batching window (rollupBatchingWindowSeconds). */
  readonly rollupBatchingWindow: Duration;
}

export class InboundPipeline extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly consumer: BridgeFunction;
  /** The redrive policy's maxReceiveCount (also the consumer's MAX_RECEIVE_COUNT). */
  public readonly maxReceiveCount: number;
  /** The roll-up queue and its writer (ROLLUP_WRITES=queued, the default). */
  public readonly rollups: RollupWrites;

  constructor(scope: Construct, id: string, props: InboundPipelineProps) {
    super(scope, id);

    const queueName = sourceQueueName('inbound');
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', queueName);

    const visibilityTimeout = Duration.seconds(consumerVisibilitySeconds(props.maxBatchingWindow.toSeconds()));
    const redrive = redriveMaxReceiveCount(props.retryPolicy, visibilityTimeout.toSeconds());
    if ('problem' in redrive) throw new Error(`The retry horizon ${redrive.problem}`);
    this.maxReceiveCount = redrive.count;
    this.queue = secureQueue(this, 'Queue', {
      queueName,
      visibilityTimeout,
      // A message moved to the DLQ keeps its original enqueue time; 4 days here leaves at
      // least 10 of the DLQ's 14 days to inspect and replay it.
      retentionPeriod: QUEUE_RETENTION,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
    });

    this.rollups = new RollupWrites(this, 'Rollups', {
      salesforceCredentials: props.salesforceCredentials,
      salesforceLoginUrl: props.salesforceLoginUrl,
      salesforceApiVersion: props.salesforceApiVersion,
      batchingWindow: props.rollupBatchingWindow,
      retryHorizonSeconds: props.retryPolicy.horizonSeconds,
      logLevel: props.logLevel,
      logRetention: props.logRetention,
    });

    this.consumer = new BridgeFunction(this, 'Consumer', {
      role: 'consumer',
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
        // Account roll-ups go to the roll-up queue unless consumerSettings say ROLLUP_WRITES=inline.
        ROLLUP_QUEUE_URL: this.rollups.queue.queueUrl,
        // Behaviour switches the deployer chose (-c consumerSettings), checked at synth.
        ...props.consumerSettings,
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
    this.rollups.queue.grantSendMessages(this.consumer.function);
    props.salesforceCredentials.grantRead(this.consumer.function);
    props.stripeApiKey.grantRead(this.consumer.function);
  }
}
