/**
 * The whole bridge in one stack: secrets, dedup table, the inbound path (HTTP API → ingress →
 * SQS → consumer → Salesforce), the outbound path (Salesforce Event Relay → EventBridge →
 * outbound → Stripe) and the operations around them. Outputs use the names the ops CLI reads.
 */
import { CfnOutput, Duration, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { STACK_OUTPUT } from '../src/stack-outputs.js';
import { retryPolicyOf, salesforceEventSourceName, type BridgeSettings } from './context.js';
import { DedupTable } from './constructs/dedup-table.js';
import { InboundPipeline } from './constructs/inbound-pipeline.js';
import { Ingress } from './constructs/ingress.js';
import { Operations } from './constructs/operations.js';
import { OutboundFlow, PAYMENT_REQUEST_DETAIL_TYPE } from './constructs/outbound-flow.js';
import { Reconciler } from './constructs/reconciler.js';
import { BridgeSecrets, STRIPE_READ_KEY_PERMISSIONS } from './constructs/secrets.js';
import { TRACING_CONTEXT } from './constructs/bridge-function.js';

export interface BridgeStackProps extends StackProps {
  readonly settings: BridgeSettings;
}

export class BridgeStack extends Stack {
  public readonly secrets: BridgeSecrets;
  public readonly dedup: DedupTable;
  public readonly inbound: InboundPipeline;
  public readonly ingress: Ingress;
  public readonly outbound: OutboundFlow;
  public readonly operations: Operations;
  /** The catch-up (unless `-c reconcileSchedule=off`) and the housekeeping runs. */
  public readonly reconciler: Reconciler;

  constructor(scope: Construct, id: string, props: BridgeStackProps) {
    super(scope, id, props);
    const s = props.settings;
    // Read by every BridgeFunction below (set before any child exists).
    this.node.setContext(TRACING_CONTEXT, s.tracing);
    const logRetention = s.logRetentionDays as RetentionDays;

    Tags.of(this).add('Application', 'stripe-salesforce-bridge');
    Tags.of(this).add('Stage', s.stage);

    this.secrets = new BridgeSecrets(this, 'Secrets', {
      stage: s.stage,
      stripeWebhookSecretArn: s.stripeWebhookSecretArn,
      stripeApiKeySecretArn: s.stripeApiKeySecretArn,
      stripeReadKeySecretArn: s.stripeReadKeySecretArn,
      salesforceCredentialsSecretArn: s.salesforceCredentialsSecretArn,
    });

    this.dedup = new DedupTable(this, 'Dedup');

    const salesforce = { salesforceLoginUrl: s.salesforceLoginUrl, salesforceApiVersion: s.salesforceApiVersion };

    this.inbound = new InboundPipeline(this, 'Inbound', {
      dedup: this.dedup,
      salesforceCredentials: this.secrets.salesforceCredentials,
      // Reads only (events too large for SQS, disputed charges, invoices): the read-only key.
      stripeApiKey: this.secrets.stripeReadKey,
      ...salesforce,
      batchSize: s.batchSize,
      maxBatchingWindow: Duration.seconds(s.maxBatchingWindowSeconds),
      maxConcurrency: s.maxConcurrency,
      logLevel: s.logLevel,
      logRetention,
      retryPolicy: retryPolicyOf(s),
      consumerSettings: s.consumerSettings,
      rollupBatchingWindow: Duration.seconds(s.rollupBatchingWindowSeconds),
    });

    this.ingress = new Ingress(this, 'Ingress', {
      inboundQueue: this.inbound.queue,
      webhookSecret: this.secrets.stripeWebhookSecret,
      rateLimit: s.webhookRateLimit,
      burstLimit: s.webhookBurstLimit,
      logLevel: s.logLevel,
      logRetention,
    });

    const eventSourceName =
      s.salesforceOrgId !== undefined && s.salesforceEventChannelId !== undefined
        ? salesforceEventSourceName(s.salesforceOrgId, s.salesforceEventChannelId)
        : undefined;

    this.outbound = new OutboundFlow(this, 'Outbound', {
      dedup: this.dedup,
      salesforceCredentials: this.secrets.salesforceCredentials,
      stripeApiKey: this.secrets.stripeApiKey,
      ...salesforce,
      stripeDaysUntilDue: s.stripeDaysUntilDue,
      stripeDefaultCurrency: s.stripeDefaultCurrency,
      salesforceMultiCurrency: s.salesforceMultiCurrency,
      logLevel: s.logLevel,
      logRetention,
      eventSourceName,
      retryPolicy: retryPolicyOf(s),
      maxConcurrency: s.outboundMaxConcurrency,
      inbound: { queue: this.inbound.queue, deadLetterQueue: this.inbound.deadLetterQueue },
    });

    this.operations = new Operations(this, 'Operations', {
      stage: s.stage,
      ingress: this.ingress,
      inbound: this.inbound,
      outbound: this.outbound,
      alarmEmail: s.alarmEmail,
      backlogAlarmMinutes: s.backlogAlarmMinutes,
      webhookRejectionAlarmThreshold: s.webhookRejectionAlarmThreshold,
      stripeSilenceHours: s.stripeSilenceHours,
      eventRelaySilenceHours: s.eventRelaySilenceHours,
      dashboard: s.dashboard,
    });

    this.reconciler = new Reconciler(this, 'Reconciler', {
      stage: s.stage,
      dedup: this.dedup,
      inboundQueue: this.inbound.queue,
      // Lists events only: the read-only key.
      stripeApiKey: this.secrets.stripeReadKey,
      // `off`: no catch-up; the housekeeping (sync logs, Event Relay health) still runs.
      schedule: s.reconcileSchedule === 'off' ? undefined : s.reconcileSchedule,
      settleSeconds: s.reconcileSettleSeconds,
      salesforceCredentials: this.secrets.salesforceCredentials,
      ...salesforce,
      eventRelaySourceName: eventSourceName,
      logLevel: s.logLevel,
      logRetention,
    });
    this.operations.adopt(this.reconciler.alarms);
    if (this.operations.dashboard !== undefined) this.reconciler.addWidgets(this.operations.dashboard);

    this.addOutputs(eventSourceName);
  }

  /** Top-level outputs keep their logical ids exactly as STACK_OUTPUT names them. */
  private addOutputs(eventSourceName: string | undefined): void {
    const output = (key: string, value: string, description: string): void => {
      new CfnOutput(this, key, { value, description });
    };
    output(STACK_OUTPUT.webhookUrl, this.ingress.webhookUrl, 'Register this URL as the Stripe webhook endpoint');
    output(STACK_OUTPUT.inboundQueueUrl, this.inbound.queue.queueUrl, 'Inbound queue (Stripe events waiting for the consumer)');
    output(STACK_OUTPUT.inboundQueueArn, this.inbound.queue.queueArn, 'Inbound queue ARN');
    output(STACK_OUTPUT.inboundDlqUrl, this.inbound.deadLetterQueue.queueUrl, 'Inbound DLQ (dlq CLI: inspect, replay, purge)');
    output(STACK_OUTPUT.inboundDlqArn, this.inbound.deadLetterQueue.queueArn, 'Inbound DLQ ARN');
    output(STACK_OUTPUT.rollupQueueUrl, this.inbound.rollups.queue.queueUrl, 'Roll-up queue (Account roll-ups waiting for the roll-up writer)');
    output(STACK_OUTPUT.rollupQueueArn, this.inbound.rollups.queue.queueArn, 'Roll-up queue ARN');
    output(STACK_OUTPUT.rollupDlqUrl, this.inbound.rollups.deadLetterQueue.queueUrl, 'Roll-up DLQ (roll-ups that kept failing; dlq CLI --queue rollups)');
    output(STACK_OUTPUT.rollupDlqArn, this.inbound.rollups.deadLetterQueue.queueArn, 'Roll-up DLQ ARN');
    output(STACK_OUTPUT.outboundQueueUrl, this.outbound.queue.queueUrl, 'Outbound queue (Salesforce payment requests waiting for the outbound function)');
    output(STACK_OUTPUT.outboundQueueArn, this.outbound.queue.queueArn, 'Outbound queue ARN');
    output(STACK_OUTPUT.outboundDlqUrl, this.outbound.deadLetterQueue.queueUrl, 'Outbound DLQ (failed Salesforce payment requests)');
    output(STACK_OUTPUT.outboundDlqArn, this.outbound.deadLetterQueue.queueArn, 'Outbound DLQ ARN');
    output(STACK_OUTPUT.outboundFunctionName, this.outbound.handler.function.functionName, 'Outbound function (its log group holds every payment request outcome)');
    output(STACK_OUTPUT.dedupTableName, this.dedup.table.tableName, 'Dedup table (event claims and ordering watermarks)');
    output(
      STACK_OUTPUT.stripeWebhookSecretArn,
      this.secrets.stripeWebhookSecret.secretArn,
      'Put the Stripe webhook signing secret (whsec_…) here',
    );
    output(STACK_OUTPUT.stripeApiKeySecretArn, this.secrets.stripeApiKey.secretArn, 'Put the Stripe API key that bills (outbound) here');
    output(
      STACK_OUTPUT.stripeReadKeySecretArn,
      this.secrets.stripeReadKey.secretArn,
      `Put a read-only Stripe restricted key here (${STRIPE_READ_KEY_PERMISSIONS.join(', ')})`,
    );
    output(
      STACK_OUTPUT.salesforceCredentialsSecretArn,
      this.secrets.salesforceCredentials.secretArn,
      'Put the Salesforce credentials JSON here',
    );
    output(
      STACK_OUTPUT.alarmTopicArn,
      this.operations.alarmTopic.topicArn,
      'Every alarm and its recovery are published here: subscribe email, chat or paging to it (alarmEmail subscribes one address)',
    );
    output(
      STACK_OUTPUT.eventRelaySetup,
      eventSourceName === undefined
        ? 'Not connected. In Salesforce create an Event Relay for a channel carrying ' +
            `${PAYMENT_REQUEST_DETAIL_TYPE} to this account and region, then redeploy with ` +
            '-c salesforceOrgId=<00D...> -c salesforceEventChannelId=<last segment of the partner event source name> ' +
            '(docs/deployment.md).'
        : `Connected to partner event source ${eventSourceName}. Start the Event Relay in Salesforce once the bus is active.`,
      'How the Salesforce Event Relay is (or can be) connected',
    );
  }
}
