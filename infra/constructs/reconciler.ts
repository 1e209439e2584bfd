/**
 * The scheduled reconciler: an EventBridge Scheduler schedule invokes a function that reads
 * Stripe's Events API since its checkpoint and enqueues, into the inbound queue, every handled
 * event the dedup table does not know. One invocation at a time (reserved concurrency 1), so two
 * runs never read the same page. Metrics come from its one log line per run: events recovered
 * (an alarm when webhooks keep failing) and the checkpoint's lag.
 *
 * A second schedule (every 5 minutes, also with the catch-up turned off) runs its housekeeping:
 * the Stripe_Sync_Log__c records of dead-lettered events, and the Event Relay's health
 * (EventRelayFeedback) once Salesforce is connected, with an alarm when the relay is not running.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { GraphWidget, TreatMissingData, type Alarm, type Dashboard, type Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, MetricFilter, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BRIDGE_ENTRIES } from '../bundling.js';
import { bridgeAlarm } from './alarms.js';
import { BridgeFunction, functionLogGroupName } from './bridge-function.js';
import type { DedupTable } from './dedup-table.js';

export const RECONCILER_TIMEOUT = Duration.minutes(5);

/** What the function does with the dedup table: read claims and markers, keep its checkpoint. */
export const RECONCILER_TABLE_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] as const;

/** Sync logs of dead-lettered events show in Salesforce within this; the relay is checked as often. */
export const HOUSEKEEPING_SCHEDULE = 'rate(5 minutes)';
const RELAY_ALARM_PERIOD = Duration.minutes(15);

/** A run that recovered events in this many of the last evaluation periods raises the alarm. */
const RECOVERED_PERIODS_TO_ALARM = 2;
const ALARM_PERIOD = Duration.minutes(30);
/** The checkpoint may trail by the settle delay and a missed run or two; beyond this it is stuck. */
const MAX_LAG = Duration.hours(2);

export interface ReconcilerProps {
  readonly stage: string;
  readonly dedup: DedupTable;
  readonly inboundQueue: IQueue;
  readonly stripeApiKey: ISecret;
  /** `rate(15 minutes)`, `cron(…)`: an EventBridge Scheduler expression; undefined: no catch-up. */
  readonly schedule: string | undefined;
  readonly settleSeconds: number;
  /** Housekeeping writes sync logs in Salesforce and reads EventRelayFeedback. */
  readonly salesforceCredentials: ISecret;
  readonly salesforceLoginUrl: string;
  readonly salesforceApiVersion: string;
  /** `aws.partner/salesforce.com/<org>/<channel>`: the relay to watch (once connected). */
  readonly eventRelaySourceName?: string | undefined;
  readonly logLevel: string;
  readonly logRetention: RetentionDays;
}

export class Reconciler extends Construct {
  public readonly handler: BridgeFunction;
  /** Absent with `-c reconcileSchedule=off`. */
  public readonly schedule?: Schedule;
  public readonly housekeepingSchedule: Schedule;
  public readonly alarms: Alarm[] = [];
  public readonly eventsRecovered: Metric;
  public readonly checkpointLag: Metric;
  /** Present once an Event Relay is connected. */
  public readonly relayUnhealthy?: Metric;

  constructor(scope: Construct, id: string, props: ReconcilerProps) {
    super(scope, id);

    this.handler = new BridgeFunction(this, 'Handler', {
      role: 'reconciler',
      entry: BRIDGE_ENTRIES.reconciler,
      description: 'Enqueues Stripe events the webhook did not deliver (Stripe Events API catch-up)',
      timeout: RECONCILER_TIMEOUT,
      memorySize: 256,
      logRetention: props.logRetention,
      // One run at a time: overlapping runs would read (and enqueue) the same pages.
      reservedConcurrentExecutions: 1,
      environment: {
        LOG_LEVEL: props.logLevel,
        DEDUP_TABLE_NAME: props.dedup.table.tableName,
        INBOUND_QUEUE_URL: props.inboundQueue.queueUrl,
        STRIPE_SECRET_KEY_ARN: props.stripeApiKey.secretArn,
        RECONCILE_SETTLE_SECONDS: String(props.settleSeconds),
        SALESFORCE_CREDENTIALS_ARN: props.salesforceCredentials.secretArn,
        SALESFORCE_LOGIN_URL: props.salesforceLoginUrl,
        SALESFORCE_API_VERSION: props.salesforceApiVersion,
        ...(props.eventRelaySourceName === undefined ? {} : { EVENT_RELAY_SOURCE_NAME: props.eventRelaySourceName }),
      },
    });
    props.salesforceCredentials.grantRead(this.handler.function);
    props.dedup.table.grant(this.handler.function, ...RECONCILER_TABLE_ACTIONS);
    props.inboundQueue.grantSendMessages(this.handler.function);
    props.stripeApiKey.grantRead(this.handler.function);

    // Its own role (not the stack-wide one CDK would share) so that its one finding is acknowledged here.
    const scheduleRole = new Role(this, 'ScheduleRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: 'EventBridge Scheduler invokes the reconciler',
    });
    const functionId = Stack.of(this).getLogicalId(this.handler.function.node.defaultChild as CfnFunction);
    Validations.of(scheduleRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`,
      reason: 'lambda:InvokeFunction on the reconciler function and its versions (`<arn>:*`), as grantInvoke writes it; nothing else.',
    });
    if (props.schedule !== undefined) {
      this.schedule = new Schedule(this, 'Schedule', {
        description: 'Runs the Stripe Events API catch-up',
        schedule: ScheduleExpression.expression(props.schedule),
        target: new LambdaInvoke(this.handler.function, {
          role: scheduleRole,
          input: ScheduleTargetInput.fromObject({ task: 'reconcile' }),
          // A missed run is made up by the next one: the checkpoint remembers where to resume.
          retryAttempts: 0,
        }),
      });
    }
    this.housekeepingSchedule = new Schedule(this, 'HousekeepingSchedule', {
      description: 'Writes the Salesforce sync logs of dead-lettered events and checks the Event Relay',
      schedule: ScheduleExpression.expression(HOUSEKEEPING_SCHEDULE),
      target: new LambdaInvoke(this.handler.function, {
        role: scheduleRole,
        input: ScheduleTargetInput.fromObject({ task: 'housekeeping' }),
        retryAttempts: 0,
      }),
    });

    const logGroup = this.handler.logGroup;
    const runs = FilterPattern.stringValue('$.outcome', '=', 'reconciled');
    this.eventsRecovered = new MetricFilter(this, 'EventsRecoveredFilter', {
      logGroup,
      metricNamespace: 'StripeSalesforceBridge',
      metricName: `EventsRecovered-${props.stage}`,
      filterPattern: runs,
      metricValue: '$.eventsRecovered',
    }).metric({ statistic: 'Sum', period: ALARM_PERIOD, label: 'Events recovered by the reconciler' });
    this.checkpointLag = new MetricFilter(this, 'CheckpointLagFilter', {
      logGroup,
      metricNamespace: 'StripeSalesforceBridge',
      metricName: `ReconcilerCheckpointLag-${props.stage}`,
      filterPattern: runs,
      metricValue: '$.checkpointLagSeconds',
    }).metric({ statistic: 'Maximum', period: ALARM_PERIOD, label: 'Reconciler checkpoint lag (s)' });

    const logs = `aws logs tail ${functionLogGroupName(Stack.of(this).stackName, 'reconciler')}`;
    this.alarm(
      'ReconcilerEventsRecovered',
      'The reconciler keeps finding Stripe events the webhook did not deliver: check the endpoint in the Stripe Dashboard (disabled? failing deliveries?) and the Ingress5xx alarm.',
      `${logs} --since 2h --filter-pattern '{ $.outcome = "recovered" }'`,
      this.eventsRecovered,
      0,
      { evaluationPeriods: RECOVERED_PERIODS_TO_ALARM },
    );
    this.alarm(
      'ReconcilerCheckpointLag',
      `The reconciler has not read Stripe's event log to its end for more than ${MAX_LAG.toHours()} hours: its runs fail or cannot keep up.`,
      `${logs} --since 3h --filter-pattern '{ $.outcome = "reconciled" }'`,
      this.checkpointLag,
      MAX_LAG.toSeconds(),
    );
    if (props.eventRelaySourceName !== undefined) {
      this.relayUnhealthy = new MetricFilter(this, 'RelayUnhealthyFilter', {
        logGroup,
        metricNamespace: 'StripeSalesforceBridge',
        metricName: `EventRelayUnhealthy-${props.stage}`,
        filterPattern: FilterPattern.stringValue('$.outcome', '=', 'relay_checked'),
        metricValue: '$.relayUnhealthy',
      }).metric({ statistic: 'Maximum', period: RELAY_ALARM_PERIOD, label: 'Event Relay not running (1)' });
      this.alarm(
        'EventRelayUnhealthy',
        "Salesforce's Event Relay is stopped or erroring (EventRelayFeedback): payment requests and commands are not reaching AWS, and it keeps events only 3 days.",
        `${logs} --since 1h --filter-pattern '{ $.outcome = "relay_checked" }'`,
        this.relayUnhealthy,
        0,
        { evaluationPeriods: 2 },
      );
    }
    this.alarm(
      'ReconcilerErrors',
      'Reconciler runs failed twice in a row (Stripe, Salesforce or DynamoDB unavailable, or a bad key): the next run resumes from the checkpoint.',
      `${logs} --since 2h --filter-pattern '{ $.level = "error" }'`,
      this.handler.function.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }),
      0,
      { evaluationPeriods: 2 },
    );
  }

  /** Adds the reconciler's row to the operations dashboard (its alarms are adopted by Operations). */
  addWidgets(dashboard: Dashboard): void {
    dashboard.addWidgets(
      new GraphWidget({ title: 'Reconciler: events recovered', width: 12, left: [this.eventsRecovered] }),
      new GraphWidget({ title: 'Reconciler: checkpoint lag (s)', width: 12, left: [this.checkpointLag] }),
    );
  }

  private alarm(id: string, meaning: string, firstCommand: string, metric: Metric, threshold: number, options: { evaluationPeriods?: number } = {}): void {
    const evaluationPeriods = options.evaluationPeriods ?? 1;
    this.alarms.push(
      bridgeAlarm(this, {
        id,
        meaning,
        firstCommand,
        metric,
        threshold,
        evaluationPeriods,
        datapointsToAlarm: evaluationPeriods,
        // No run logged (disabled, or between runs) is not a failure.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }
}
