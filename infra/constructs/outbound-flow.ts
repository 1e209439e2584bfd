/**
 * Salesforce to Stripe: Event Relay publishes `Stripe_Payment_Request__e` to a partner event bus;
 * a rule that matches this org's and channel's partner `source` and the detail types the bridge
 * handles delivers each event to the outbound queue, which the outbound function drains with the
 * same retry policy as the inbound consumer: per-message backoff until the retry horizon behind
 * circuit breakers, so hours of Salesforce or Stripe outage cost delay. A request that fails for
 * good goes to the outbound DLQ with its reason as message attributes; an event EventBridge could
 * not deliver at all goes there too, with EventBridge's error attributes.
 *
 * Why a queue rather than invoking the function asynchronously: Lambda's own retries of a failed
 * asynchronous invocation stop after 2 (about 1 and 2 minutes apart) and 6 hours, and the rule's
 * retry policy covers only deliveries EventBridge could not make, not a function that ran and
 * failed. The queue's event source also caps how many requests run at once (Stripe's rate limits).
 * The function has no public URL and no resource policy: only the rule can send to the queue.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue, Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HANDLED_DETAIL_TYPES, PAYMENT_REQUEST_EVENT } from '../../src/outbound/payment-request.js';
import type { RetryPolicy } from '../../src/resilience/retry-schedule.js';
import { BRIDGE_ENTRIES } from '../bundling.js';
import { BridgeFunction } from './bridge-function.js';
import type { DedupTable } from './dedup-table.js';
import { deadLetterQueue, lambdaQueueVisibilitySeconds, QUEUE_RETENTION, redriveMaxReceiveCount, secureQueue, sourceQueueName } from './queues.js';

/** The platform event the Closed Won Flow publishes (detail-type of the relayed event). */
export const PAYMENT_REQUEST_DETAIL_TYPE = PAYMENT_REQUEST_EVENT;

export const OUTBOUND_TIMEOUT = Duration.seconds(60);

/** EventBridge's retries when it cannot deliver to the queue at all. */
export const RULE_TARGET_RETRIES = 8;

/** EventBridge keeps trying to deliver for at most this long (its maximum). */
export const RULE_TARGET_MAX_EVENT_AGE = Duration.hours(24);

/** The outbound queue's visibility timeout (seconds): one request per batch, no batching window. */
export const OUTBOUND_VISIBILITY_SECONDS = lambdaQueueVisibilitySeconds(OUTBOUND_TIMEOUT, 0);

export interface OutboundFlowProps {
  readonly dedup: DedupTable;
  readonly salesforceCredentials: ISecret;
  readonly stripeApiKey: ISecret;
  readonly salesforceLoginUrl: string;
  readonly salesforceApiVersion: string;
  readonly stripeDaysUntilDue: number;
  /** Overrides of what Salesforce reports; undefined leaves the variable unset. */
  readonly stripeDefaultCurrency?: string | undefined;
  readonly salesforceMultiCurrency?: boolean | undefined;
  readonly logLevel: string;
  readonly logRetention: RetentionDays;
  /** `aws.partner/salesforce.com/<orgId>/<channelId>`; without it no bus or rule is created yet. */
  readonly eventSourceName?: string | undefined;
  /** Backoff and horizon of the retries (src/resilience/retry-schedule.ts). */
  readonly retryPolicy: RetryPolicy;
  /** Payment requests in flight at once (the event source's maximum concurrency, 2–1000). */
  readonly maxConcurrency: number;
  /**
   * The inbound queue and its DLQ, for the `retry` command (a dead-lettered Stripe event enqueued
   * again, its DLQ copies removed); without them the command says it is not available.
   */
  readonly inbound?: { readonly queue: IQueue; readonly deadLetterQueue: IQueue } | undefined;
}

export class OutboundFlow extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly handler: BridgeFunction;
  /** The redrive policy's maxReceiveCount (also the function's MAX_RECEIVE_COUNT). */
  public readonly maxReceiveCount: number;
  /** Present once the Salesforce partner event source is configured. */
  public readonly eventBus?: EventBus;
  public readonly rule?: Rule;
  /** The bus's and the rule's names, known at synth time (for commands in alarms and docs). */
  public readonly eventBusName?: string;
  public readonly ruleName?: string;

  constructor(scope: Construct, id: string, props: OutboundFlowProps) {
    super(scope, id);

    const queueName = sourceQueueName('outbound');
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', queueName);
    const redrive = redriveMaxReceiveCount(props.retryPolicy, OUTBOUND_VISIBILITY_SECONDS);
    if ('problem' in redrive) throw new Error(`The retry horizon ${redrive.problem}`);
    this.maxReceiveCount = redrive.count;
    this.queue = secureQueue(this, 'Queue', {
      queueName,
      visibilityTimeout: Duration.seconds(OUTBOUND_VISIBILITY_SECONDS),
      retentionPeriod: QUEUE_RETENTION,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
    });

    this.handler = new BridgeFunction(this, 'Handler', {
      role: 'outbound',
      entry: BRIDGE_ENTRIES.outbound,
      description: 'Turns Salesforce payment requests into Stripe invoices or payment links',
      timeout: OUTBOUND_TIMEOUT,
      memorySize: 512,
      logRetention: props.logRetention,
      environment: {
        LOG_LEVEL: props.logLevel,
        DEDUP_TABLE_NAME: props.dedup.table.tableName,
        EVENT_LEASE_SECONDS: String(2 * OUTBOUND_TIMEOUT.toSeconds()),
        OUTBOUND_QUEUE_URL: this.queue.queueUrl,
        OUTBOUND_DLQ_URL: this.deadLetterQueue.queueUrl,
        MAX_RECEIVE_COUNT: String(this.maxReceiveCount),
        RETRY_BASE_DELAY_SECONDS: String(props.retryPolicy.baseDelaySeconds),
        RETRY_MAX_DELAY_SECONDS: String(props.retryPolicy.maxDelaySeconds),
        RETRY_HORIZON_HOURS: String(props.retryPolicy.horizonSeconds / 3600),
        SALESFORCE_CREDENTIALS_ARN: props.salesforceCredentials.secretArn,
        SALESFORCE_LOGIN_URL: props.salesforceLoginUrl,
        SALESFORCE_API_VERSION: props.salesforceApiVersion,
        STRIPE_SECRET_KEY_ARN: props.stripeApiKey.secretArn,
        STRIPE_DAYS_UNTIL_DUE: String(props.stripeDaysUntilDue),
        ...(props.inbound === undefined ? {} : { INBOUND_QUEUE_URL: props.inbound.queue.queueUrl, INBOUND_DLQ_URL: props.inbound.deadLetterQueue.queueUrl }),
        ...(props.stripeDefaultCurrency === undefined ? {} : { STRIPE_DEFAULT_CURRENCY: props.stripeDefaultCurrency }),
        ...(props.salesforceMultiCurrency === undefined ? {} : { SALESFORCE_MULTI_CURRENCY: String(props.salesforceMultiCurrency) }),
      },
    });
    this.handler.function.addEventSource(
      new SqsEventSource(this.queue, {
        // One request per invocation: the event source's concurrency is the number in flight.
        batchSize: 1,
        maxConcurrency: props.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    props.dedup.grantDedup(this.handler.function);
    // A request that can never succeed goes to the DLQ at once, with its reason.
    this.deadLetterQueue.grantSendMessages(this.handler.function);
    props.salesforceCredentials.grantRead(this.handler.function);
    props.stripeApiKey.grantRead(this.handler.function);
    if (props.inbound !== undefined) {
      props.inbound.queue.grantSendMessages(this.handler.function);
      // Receive, delete, change visibility: what removing one event's copies from the DLQ takes.
      props.inbound.deadLetterQueue.grantConsumeMessages(this.handler.function);
    }

    if (props.eventSourceName !== undefined) {
      // A partner bus carries the partner event source's name; CloudFormation associates them.
      this.eventBus = new EventBus(this, 'PartnerBus', { eventSourceName: props.eventSourceName });
      this.eventBusName = props.eventSourceName;
      this.ruleName = `${Stack.of(this).stackName}-payment-requests`;
      this.rule = new Rule(this, 'PaymentRequestRule', {
        ruleName: this.ruleName,
        eventBus: this.eventBus,
        description: `Queues each ${HANDLED_DETAIL_TYPES.join(', ')} relayed from this org and channel for the outbound function`,
        // Only this org's relay and only what the bridge handles: anything else on the bus is not ours.
        eventPattern: { source: [props.eventSourceName], detailType: [...HANDLED_DETAIL_TYPES] },
        targets: [
          new SqsQueue(this.queue, {
            deadLetterQueue: this.deadLetterQueue,
            retryAttempts: RULE_TARGET_RETRIES,
            maxEventAge: RULE_TARGET_MAX_EVENT_AGE,
          }),
        ],
      });
    }
  }
}
