/**
 * Salesforce to Stripe: Event Relay publishes `Stripe_Payment_Request__e` to a partner event bus;
 * a rule invokes the outbound function, which creates the Stripe invoice or payment link. Failed
 * deliveries (EventBridge could not invoke) and failed invocations (the function threw after its
 * retries) both end in one encrypted outbound DLQ. The function has no public URL: EventBridge is
 * the only way in.
 */
import { Duration } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BRIDGE_ENTRIES } from '../bundling.js';
import { BridgeFunction } from './bridge-function.js';
import type { DedupTable } from './dedup-table.js';
import { deadLetterQueue } from './queues.js';

/** The platform event the Closed Won Flow publishes (detail-type of the relayed event). */
export const PAYMENT_REQUEST_DETAIL_TYPE = 'Stripe_Payment_Request__e';

export const OUTBOUND_TIMEOUT = Duration.seconds(60);

/** Lambda's retries of a failed asynchronous invocation before the event goes to the DLQ. */
export const OUTBOUND_FUNCTION_RETRIES = 2;

/** EventBridge's retries when it cannot invoke the function at all (throttled, unavailable). */
export const RULE_TARGET_RETRIES = 8;

/** A payment request older than this is parked in the DLQ rather than acted on late. */
export const MAX_EVENT_AGE = Duration.hours(6);

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
}

export class OutboundFlow extends Construct {
  public readonly deadLetterQueue: Queue;
  public readonly handler: BridgeFunction;
  /** Present once the Salesforce partner event source is configured. */
  public readonly eventBus?: EventBus;
  public readonly rule?: Rule;

  constructor(scope: Construct, id: string, props: OutboundFlowProps) {
    super(scope, id);

    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue');

    this.handler = new BridgeFunction(this, 'Handler', {
      entry: BRIDGE_ENTRIES.outbound,
      description: 'Turns Salesforce payment requests into Stripe invoices or payment links',
      timeout: OUTBOUND_TIMEOUT,
      memorySize: 512,
      logRetention: props.logRetention,
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: OUTBOUND_FUNCTION_RETRIES,
      maxEventAge: MAX_EVENT_AGE,
      environment: {
        LOG_LEVEL: props.logLevel,
        DEDUP_TABLE_NAME: props.dedup.table.tableName,
        EVENT_LEASE_SECONDS: String(2 * OUTBOUND_TIMEOUT.toSeconds()),
        SALESFORCE_CREDENTIALS_ARN: props.salesforceCredentials.secretArn,
        SALESFORCE_LOGIN_URL: props.salesforceLoginUrl,
        SALESFORCE_API_VERSION: props.salesforceApiVersion,
        STRIPE_SECRET_KEY_ARN: props.stripeApiKey.secretArn,
        STRIPE_DAYS_UNTIL_DUE: String(props.stripeDaysUntilDue),
        ...(props.stripeDefaultCurrency === undefined ? {} : { STRIPE_DEFAULT_CURRENCY: props.stripeDefaultCurrency }),
        ...(props.salesforceMultiCurrency === undefined ? {} : { SALESFORCE_MULTI_CURRENCY: String(props.salesforceMultiCurrency) }),
      },
    });
    props.dedup.grantDedup(this.handler.function);
    props.salesforceCredentials.grantRead(this.handler.function);
    props.stripeApiKey.grantRead(this.handler.function);

    if (props.eventSourceName !== undefined) {
      // A partner bus carries the partner event source's name; CloudFormation associates them.
      this.eventBus = new EventBus(this, 'PartnerBus', { eventSourceName: props.eventSourceName });
      this.rule = new Rule(this, 'PaymentRequestRule', {
        eventBus: this.eventBus,
        description: `Invokes the outbound function for each ${PAYMENT_REQUEST_DETAIL_TYPE}`,
        eventPattern: { detailType: [PAYMENT_REQUEST_DETAIL_TYPE] },
        targets: [
          new LambdaFunction(this.handler.function, {
            deadLetterQueue: this.deadLetterQueue,
            retryAttempts: RULE_TARGET_RETRIES,
            maxEventAge: MAX_EVENT_AGE,
          }),
        ],
      });
    }
  }
}
