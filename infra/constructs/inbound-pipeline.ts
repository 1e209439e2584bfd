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
import { deadLetterQueue, secureQueue } from './queues.js';

/** Receives before SQS moves a message to the DLQ (the consumer reads the same number). */
export const MAX_RECEIVE_COUNT = 5;

/** Long enough for a Composite request and a token refresh; the queue timeout derives from it. */
export const CONSUMER_TIMEOUT = Duration.seconds(60);

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
}

export class InboundPipeline extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly consumer: BridgeFunction;

  constructor(scope: Construct, id: string, props: InboundPipelineProps) {
    super(scope, id);

    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue');

    this.queue = secureQueue(this, 'Queue', {
      // Lambda's guidance: at least six times the function timeout, plus the batching window,
      // so a message is not redelivered while a throttled invocation still holds it.
      visibilityTimeout: Duration.seconds(6 * CONSUMER_TIMEOUT.toSeconds() + props.maxBatchingWindow.toSeconds()),
      // A message moved to the DLQ keeps its original enqueue time; 4 days here leaves at
      // least 10 of the DLQ's 14 days to inspect and replay it.
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
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
        INBOUND_DLQ_URL: this.deadLetterQueue.queueUrl,
        MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
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
