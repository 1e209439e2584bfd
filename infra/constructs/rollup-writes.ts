/**
 * Queued Account roll-ups: the consumer sends each batch's roll-up updates to this queue instead
 * of writing them in a second Salesforce request, and the roll-up writer drains it in batches
 * gathered over a window, writing many consumer batches' updates in one Composite request. The
 * figures on an Account lag its events by up to the window; each roll-up carries its version, so
 * the newest wins whatever the order (src/rollups/rollup-writer.ts).
 */
import { Duration } from 'aws-cdk-lib';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ROLLUP_BATCH_SIZE, ROLLUP_MAX_CONCURRENCY } from '../../src/rollups/rollup-queue.js';
import { SQS_MAX_RECEIVE_COUNT } from '../../src/resilience/retry-schedule.js';
import { BRIDGE_ENTRIES } from '../bundling.js';
import { BridgeFunction } from './bridge-function.js';
import { deadLetterQueue, lambdaQueueVisibilitySeconds, QUEUE_RETENTION, secureQueue, sourceQueueName } from './queues.js';

/** One Composite request and a token refresh, as the consumer's. */
export const ROLLUP_WRITER_TIMEOUT = Duration.seconds(60);

/**
 * The redrive's maxReceiveCount: a roll-up is retried every visibility timeout until the retry
 * horizon (a Salesforce outage of hours costs delay, not dead letters), and then dead-lettered.
 */
export function rollupMaxReceiveCount(horizonSeconds: number, visibilitySeconds: number): number {
  return Math.max(1, Math.min(SQS_MAX_RECEIVE_COUNT, Math.ceil(horizonSeconds / visibilitySeconds)));
}

export interface RollupWritesProps {
  readonly salesforceCredentials: ISecret;
  readonly salesforceLoginUrl: string;
  readonly salesforceApiVersion: string;
  /** How long the event source gathers roll-ups before the writer runs: the figures' extra lag. */
  readonly batchingWindow: Duration;
  /** How long a failing roll-up is retried before it is dead-lettered (the consumers' horizon). */
  readonly retryHorizonSeconds: number;
  readonly logLevel: string;
  readonly logRetention: RetentionDays;
}

export class RollupWrites extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly writer: BridgeFunction;
  public readonly maxReceiveCount: number;

  constructor(scope: Construct, id: string, props: RollupWritesProps) {
    super(scope, id);
    const queueName = sourceQueueName('rollups');
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', queueName);
    const visibilitySeconds = lambdaQueueVisibilitySeconds(ROLLUP_WRITER_TIMEOUT, props.batchingWindow.toSeconds());
    this.maxReceiveCount = rollupMaxReceiveCount(props.retryHorizonSeconds, visibilitySeconds);
    this.queue = secureQueue(this, 'Queue', {
      queueName,
      visibilityTimeout: Duration.seconds(visibilitySeconds),
      retentionPeriod: QUEUE_RETENTION,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
    });

    this.writer = new BridgeFunction(this, 'Writer', {
      role: 'rollup-writer',
      entry: BRIDGE_ENTRIES['rollup-writer'],
      description: 'Writes the queued Account roll-ups of many consumer batches to Salesforce at once',
      timeout: ROLLUP_WRITER_TIMEOUT,
      memorySize: 512,
      logRetention: props.logRetention,
      environment: {
        LOG_LEVEL: props.logLevel,
        SALESFORCE_CREDENTIALS_ARN: props.salesforceCredentials.secretArn,
        SALESFORCE_LOGIN_URL: props.salesforceLoginUrl,
        SALESFORCE_API_VERSION: props.salesforceApiVersion,
        // An unreadable message goes here at once with its reason, not at the retry horizon.
        ROLLUP_DLQ_URL: this.deadLetterQueue.queueUrl,
      },
    });
    this.writer.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: ROLLUP_BATCH_SIZE,
        maxBatchingWindow: props.batchingWindow,
        maxConcurrency: ROLLUP_MAX_CONCURRENCY,
        reportBatchItemFailures: true,
      }),
    );
    props.salesforceCredentials.grantRead(this.writer.function);
    // SendMessage (and, were the DLQ KMS-encrypted with a key, that key's use) on this DLQ only.
    this.deadLetterQueue.grantSendMessages(this.writer.function);
  }
}
