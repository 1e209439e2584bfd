/**
 * What pages the on-call engineer, and what they look at. Every alarm (see alarms.ts) says what
 * it means and which command answers it, and goes to one SNS topic that only CloudWatch alarms of
 * this account may publish to (over TLS); the topic exists with or without an email, so anyone can
 * subscribe (stack output AlarmTopicArn). The runbook's alarm table is rendered from these alarms.
 *
 * Fixed cost is kept small: custom metrics only where an alarm needs one (metric filters on the
 * functions' JSON log lines, no CloudWatch client in the handlers), AWS's own metrics everywhere
 * else, and the dashboard (3 USD a month beyond an account's 3 free ones) only on request; its
 * event counts are Logs Insights queries, which cost nothing until someone opens it.
 */
import { Aws, Duration, Stack } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  LogQueryWidget,
  MathExpression,
  Metric,
  TreatMissingData,
  type Alarm,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Rule } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { FilterPattern, MetricFilter, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PAGED_REJECTION_CAUSES } from '../../src/ingress/rejection-cause.js';
import type { Dependency } from '../../src/resilience/outage.js';
import { bridgeAlarm, type BridgeAlarmSpec } from './alarms.js';
import type { BridgeFunction } from './bridge-function.js';
import type { InboundPipeline } from './inbound-pipeline.js';
import type { Ingress } from './ingress.js';
import type { OutboundFlow } from './outbound-flow.js';

export const METRIC_NAMESPACE = 'StripeSalesforceBridge';

/** Stage-specific metric name without dimensions, e.g. `SalesforceUnreachable-prod`. */
export function customMetricName(name: string, stage: string): string {
  return `${name}-${stage}`;
}

export interface OperationsSettings {
  /** Alarm when the oldest inbound event or payment request has waited this long (minutes). */
  readonly backlogAlarmMinutes: number;
  /** Webhook rejections of one cause (signature, tolerance, size) in 15 minutes that page. */
  readonly webhookRejectionAlarmThreshold: number;
  /** Hours without a Stripe event before NoStripeEvents pages; 0: never. */
  readonly stripeSilenceHours: number;
  /** Hours without a relayed payment request before EventRelaySilent pages; 0: never. */
  readonly eventRelaySilenceHours: number;
  /** Build the dashboard (3 USD a month beyond an account's first 3). */
  readonly dashboard: boolean;
}

export interface OperationsProps extends OperationsSettings {
  readonly stage: string;
  readonly ingress: Ingress;
  readonly inbound: InboundPipeline;
  readonly outbound: OutboundFlow;
  /** Email for alarm notifications; without it the topic has no subscriber yet. */
  readonly alarmEmail?: string | undefined;
}

const FIVE_MINUTES = Duration.minutes(5);
const QUARTER_HOUR = Duration.minutes(15);
const HOUR = Duration.hours(1);
/** A duration this close to the timeout is one slow call away from a failed invocation. */
const NEAR_TIMEOUT = 0.8;

const capitalized = (text: string): string => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

export class Operations extends Construct {
  public readonly alarms: Alarm[] = [];
  /** Every alarm notifies it (alarm and recovery); subscribe to it (output AlarmTopicArn). */
  public readonly alarmTopic: Topic;
  public readonly alarmAction: SnsAction;
  /** Only with `-c dashboard=true`. */
  public readonly dashboard?: Dashboard;

  private readonly stage: string;
  private readonly stackName: string;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.stage = props.stage;
    this.stackName = Stack.of(this).stackName;

    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: `Stripe-Salesforce bridge (${props.stage}) alarms`,
      enforceSSL: true,
    });
    // enforceSSL writes a topic policy holding only its Deny, which replaces SNS's default policy:
    // without this Allow, CloudWatch could not publish and no alarm would ever arrive.
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        // Confused-deputy protection: only alarms of this account and region.
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
        },
      }),
    );
    if (props.alarmEmail !== undefined) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    this.alarmAction = new SnsAction(this.alarmTopic);

    this.ingressAlarms(props);
    this.queueAlarms('Inbound', 'Stripe event', props.inbound.queue, props.inbound.deadLetterQueue, props.inbound.consumer, 'consumer', 'inbound', props);
    this.queueAlarms('Outbound', 'payment request', props.outbound.queue, props.outbound.deadLetterQueue, props.outbound.handler, 'outbound', 'outbound', props);
    const { rollups } = props.inbound;
    this.queueAlarms('Rollup', 'Account roll-up', rollups.queue, rollups.deadLetterQueue, rollups.writer, 'rollup-writer', 'rollups', props);
    this.functionAlarms('Consumer', props.inbound.consumer, 'consumer');
    this.add(this, {
      id: 'RollupWriterErrors',
      meaning: 'The roll-up writer failed whole invocations (configuration, the Salesforce secret, a crash, a timeout): Account figures are not being updated; the events themselves are.',
      firstCommand: `${this.logs('rollup-writer')} --since 1h --filter-pattern '{ $.level = "error" }'`,
      metric: rollups.writer.function.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 0,
    });
    this.functionAlarms('Outbound', props.outbound.handler, 'outbound');
    for (const dependency of ['salesforce', 'stripe'] as const) this.dependencyAlarm(dependency, props);
    if (props.outbound.rule !== undefined) this.eventRelayAlarms(props.outbound.rule, props);

    if (props.dashboard) this.dashboard = this.buildDashboard(props);
  }

  /** Notifies the topic of these alarms too (alarm and recovery), as of the operations' own. */
  adopt(alarms: readonly Alarm[]): void {
    for (const alarm of alarms) this.notify(alarm);
  }

  private logs(role: string): string {
    return `aws logs tail /${this.stackName}/${role}`;
  }

  private add(scope: Construct, spec: BridgeAlarmSpec): Alarm {
    const alarm = bridgeAlarm(scope, spec);
    this.notify(alarm);
    return alarm;
  }

  private notify(alarm: Alarm): void {
    alarm.addAlarmAction(this.alarmAction);
    alarm.addOkAction(this.alarmAction);
    this.alarms.push(alarm);
  }

  private countFilter(id: string, logGroup: ILogGroup, name: string, pattern: ReturnType<typeof FilterPattern.all>, value = '1'): MetricFilter {
    return new MetricFilter(this, id, {
      logGroup,
      metricNamespace: METRIC_NAMESPACE,
      metricName: customMetricName(name, this.stage),
      filterPattern: pattern,
      metricValue: value,
    });
  }

  private ingressAlarms(props: OperationsProps): void {
    const { ingress } = props;
    const advice: Record<(typeof PAGED_REJECTION_CAUSES)[number], string> = {
      signature:
        'Stripe webhooks are signed with a secret the bridge does not hold (a rolled or mistyped whsec_): every delivery is refused until the secrets match, and Stripe gives up after 3 days.',
      tolerance: 'Signed webhooks arrive with a timestamp outside the tolerance: replayed requests, or a clock far off.',
      size: 'Webhook bodies larger than WEBHOOK_MAX_BODY_BYTES are refused; a real Stripe event among them is never applied.',
    };
    for (const cause of PAGED_REJECTION_CAUSES) {
      const name = `WebhooksRejected${capitalized(cause)}`;
      const filter = this.countFilter(
        `${name}Filter`,
        ingress.handler.logGroup,
        name,
        FilterPattern.all(FilterPattern.stringValue('$.outcome', '=', 'rejected'), FilterPattern.stringValue('$.rejectionCause', '=', cause)),
      );
      this.add(this, {
        id: `Webhook${capitalized(cause)}Rejected`,
        meaning: advice[cause],
        firstCommand: `${this.logs('ingress')} --since 1h --filter-pattern '{ $.rejectionCause = "${cause}" }'`,
        metric: filter.metric({ statistic: 'Sum', period: QUARTER_HOUR }),
        threshold: props.webhookRejectionAlarmThreshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }
    this.add(this, {
      id: 'Ingress5xx',
      meaning: 'The webhook endpoint answered 5xx: Stripe retries for 3 days, but events are not being enqueued.',
      firstCommand: `${this.logs('ingress')} --since 1h --filter-pattern '{ $.outcome = "failed" }'`,
      metric: ingress.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 0,
    });
    if (props.stripeSilenceHours > 0) {
      this.add(this, {
        id: 'NoStripeEvents',
        meaning: `No Stripe event was enqueued for ${props.stripeSilenceHours} hours: the endpoint may be disabled in Stripe, deliveries failing, or the business quiet.`,
        firstCommand: 'stripe webhook_endpoints list',
        metric: props.inbound.queue.metricNumberOfMessagesSent({ period: HOUR, statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: props.stripeSilenceHours,
        // An idle queue publishes no data points at all: silence is what this alarm is about.
        treatMissingData: TreatMissingData.BREACHING,
      });
    }
  }

  /** New dead letters, and the oldest waiting message, retried ones included. */
  private queueAlarms(
    prefix: string,
    what: string,
    queue: IQueue,
    dlq: IQueue,
    fn: BridgeFunction,
    role: string,
    cliQueue: 'inbound' | 'outbound' | 'rollups',
    props: OperationsProps,
  ): void {
    // A DLQ alarm on "more than 0 messages" stays in ALARM and never pages for the next dead
    // letter. This counts what arrived in each period: messages the function sent (SendMessage)
    // plus growth of the depth (SQS's redrive moves messages without counting them as sent).
    const newMessages = new MathExpression({
      expression: 'FILL(sent, 0) + IF(DIFF(FILL(visible, 0)) > 0, DIFF(FILL(visible, 0)), 0)',
      usingMetrics: {
        sent: dlq.metricNumberOfMessagesSent({ period: FIVE_MINUTES, statistic: 'Sum' }),
        visible: dlq.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
      },
      period: FIVE_MINUTES,
      label: `New messages in the ${cliQueue} DLQ`,
    });
    const queueFlag = cliQueue === 'inbound' ? '' : ` --queue ${cliQueue}`;
    this.add(this, {
      id: `${prefix}DlqNewMessages`,
      meaning:
        cliQueue === 'rollups'
          ? 'Account roll-ups reached the roll-up DLQ: the roll-up writer could not write them for the whole retry horizon, or could not read them (sent at once, with their reason). The events are in Salesforce; only Account figures lag until the next event of each Account.'
          : `New ${what}s reached the ${cliQueue} DLQ: they failed for good or outlived the retry horizon, each with its reason.`,
      firstCommand: `npx stripe-sf-bridge dlq peek --stage ${this.stage}${queueFlag}`,
      metric: newMessages,
      threshold: 0,
      // Two periods so the growth of the depth has a previous value to compare with.
      evaluationPeriods: 2,
      datapointsToAlarm: 1,
    });

    // SQS's age metric stops counting a message after its third receive, so a backlog of retried
    // messages (an outage) barely moves it; the functions log the age of what they receive. The
    // roll-up queue goes without that custom metric (a fixed monthly cost): a roll-up that keeps
    // failing is redelivered every visibility timeout, and its DLQ alarm pages at the horizon.
    const queued = queue.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: 'Maximum' });
    const age =
      cliQueue === 'rollups'
        ? queued
        : new MathExpression({
            expression: 'MAX([FILL(queued, 0), FILL(received, 0)])',
            usingMetrics: {
              queued,
              received: this.countFilter(
                `Oldest${prefix}AgeFilter`,
                fn.logGroup,
                `Oldest${cliQueue === 'inbound' ? 'Event' : 'PaymentRequest'}Age`,
                FilterPattern.numberValue('$.oldestMessageAgeSeconds', '>=', 0),
                '$.oldestMessageAgeSeconds',
              ).metric({ period: FIVE_MINUTES, statistic: 'Maximum' }),
            },
            period: FIVE_MINUTES,
            label: `Oldest ${cliQueue} message (s)`,
          });
    this.add(this, {
      id: `${prefix}BacklogAge`,
      meaning: `The oldest ${what} has waited more than ${props.backlogAlarmMinutes} minutes${cliQueue === 'rollups' ? '' : ' (retries included)'}: the ${role} function is failing, throttled or behind, or a service it needs is down.`,
      firstCommand: `${this.logs(role)} --since 30m --filter-pattern '{ ${cliQueue === 'rollups' ? '$.retry > 0' : '$.retryInSeconds > 0'} }'`,
      metric: age,
      threshold: props.backlogAlarmMinutes * 60,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
  }

  private functionAlarms(prefix: string, fn: BridgeFunction, role: string): void {
    const f = fn.function;
    this.add(this, {
      id: `${prefix}Errors`,
      meaning: `The ${role} function failed whole invocations (configuration, a secret, a crash, a timeout), not single messages.`,
      firstCommand: `${this.logs(role)} --since 1h --filter-pattern '{ $.level = "error" }'`,
      metric: f.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 0,
    });
    this.add(this, {
      id: `${prefix}Throttles`,
      meaning: `Lambda throttled the ${role} function: the account's concurrency is used up elsewhere; its messages wait in the queue.`,
      firstCommand: 'aws lambda get-account-settings --query AccountLimit',
      metric: f.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 0,
    });
    const timeout = f.timeout ?? Duration.seconds(3);
    this.add(this, {
      id: `${prefix}NearTimeout`,
      meaning: `An invocation of the ${role} function ran longer than ${Math.round(NEAR_TIMEOUT * 100)} % of its ${timeout.toSeconds()} s timeout: a slow service is one step from failing it.`,
      firstCommand: `${this.logs(role)} --since 1h --filter-pattern '{ $.durationMs > ${Math.round((timeout.toMilliseconds() * NEAR_TIMEOUT) / 2)} }'`,
      metric: f.metricDuration({ period: FIVE_MINUTES, statistic: 'Maximum' }),
      threshold: timeout.toMilliseconds() * NEAR_TIMEOUT,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
  }

  /** "Salesforce unreachable since …": the circuit breakers' log lines, consumer and outbound. */
  private dependencyAlarm(dependency: Dependency, props: OperationsProps): void {
    const service = capitalized(dependency);
    const causes: Record<Dependency, string> = {
      salesforce: 'an outage or maintenance, the API limit, a rejected login such as an expired integration user password',
      stripe: 'an outage, rate limiting, a revoked key',
    };
    const name = `${service}Unreachable`;
    const open = FilterPattern.all(FilterPattern.stringValue('$.dependency', '=', dependency), FilterPattern.stringValue('$.circuit', '=', 'open'));
    const filters = [
      this.countFilter(`${name}ConsumerFilter`, props.inbound.consumer.logGroup, name, open),
      this.countFilter(`${name}OutboundFilter`, props.outbound.handler.logGroup, name, open),
    ];
    this.add(this, {
      id: name,
      meaning: `${service} is unreachable (${causes[dependency]}): its circuit is open, events wait in the queues with backoff and nothing is dead-lettered before the retry horizon. The log lines say since when.`,
      firstCommand: `${this.logs('consumer')} --since 2h --filter-pattern '{ $.dependency = "${dependency}" && $.circuit = "open" }'`,
      // Both filters publish into one metric.
      metric: (filters[0] as MetricFilter).metric({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 0,
      // While open, the breaker logs on every deferred batch, at least every 15 minutes (the
      // longest backoff); four periods keep the alarm from flapping between them.
      evaluationPeriods: 4,
      datapointsToAlarm: 1,
    });
  }

  private eventRelayAlarms(rule: Rule, props: OperationsProps): void {
    const dimensionsMap = { RuleName: rule.ruleName, EventBusName: props.outbound.eventBus!.eventBusName };
    const rules = (metricName: string, period: Duration) => new Metric({ namespace: 'AWS/Events', metricName, dimensionsMap, period, statistic: 'Sum' });
    this.add(this, {
      id: 'EventRelayDeliveryFailed',
      meaning: 'EventBridge could neither deliver relayed payment requests to the outbound queue nor dead-letter them: those requests are lost; have the reps mark the Opportunities Closed Won again.',
      firstCommand: `aws events list-targets-by-rule --rule ${props.outbound.ruleName ?? ''} --event-bus-name ${props.outbound.eventBusName ?? ''}`,
      metric: rules('FailedInvocations', FIVE_MINUTES),
      threshold: 0,
    });
    if (props.eventRelaySilenceHours > 0) {
      this.add(this, {
        id: 'EventRelaySilent',
        meaning: `No payment request arrived from Salesforce for ${props.eventRelaySilenceHours} hours: the Event Relay may be stopped or in error (it keeps 3 days of events), or nobody closed a deal.`,
        firstCommand: 'sf data query -q "SELECT Status, ErrorCode, ErrorMessage, ErrorTime, LastRelayedEventTime FROM EventRelayFeedback"',
        metric: rules('MatchedEvents', HOUR),
        threshold: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: props.eventRelaySilenceHours,
        treatMissingData: TreatMissingData.BREACHING,
      });
    }
  }

  private buildDashboard(props: OperationsProps): Dashboard {
    const { ingress, inbound, outbound } = props;
    const dashboard = new Dashboard(this, 'Dashboard', {
      // Dashboard names are global to the account: the region keeps two deployments apart.
      dashboardName: `StripeSalesforceBridge-${props.stage}-${Aws.REGION}`,
      defaultInterval: Duration.days(1),
    });
    // Event counts by outcome from the logs: no custom metric to pay for every month.
    const outcomes = (title: string, fn: BridgeFunction): LogQueryWidget =>
      new LogQueryWidget({
        title,
        width: 8,
        logGroupNames: [fn.logGroup.logGroupName],
        queryLines: ['filter ispresent(outcome)', 'stats count(*) by outcome, bin(5m)'],
      });
    dashboard.addWidgets(
      outcomes('Webhooks by outcome (enqueued, ignored, rejected, failed)', ingress.handler),
      outcomes('Stripe events by outcome (applied, skipped, retry, dead_lettered)', inbound.consumer),
      outcomes('Payment requests by outcome', outbound.handler),
    );
    const queueWidget = (title: string, queue: IQueue, dlq: IQueue): GraphWidget =>
      new GraphWidget({
        title,
        width: 12,
        left: [
          queue.metricApproximateNumberOfMessagesVisible({ label: 'Waiting', period: FIVE_MINUTES }),
          queue.metricApproximateNumberOfMessagesNotVisible({ label: 'In flight or backing off', period: FIVE_MINUTES }),
          dlq.metricApproximateNumberOfMessagesVisible({ label: 'DLQ', period: FIVE_MINUTES }),
        ],
        right: [queue.metricApproximateAgeOfOldestMessage({ label: 'Oldest (s)', period: FIVE_MINUTES })],
      });
    dashboard.addWidgets(
      queueWidget('Inbound queue', inbound.queue, inbound.deadLetterQueue),
      queueWidget('Outbound queue', outbound.queue, outbound.deadLetterQueue),
    );
    dashboard.addWidgets(queueWidget('Roll-up queue', inbound.rollups.queue, inbound.rollups.deadLetterQueue));
    const functions: Array<[string, BridgeFunction]> = [
      ['Ingress', ingress.handler],
      ['Consumer', inbound.consumer],
      ['Outbound', outbound.handler],
      ['RollupWriter', inbound.rollups.writer],
    ];
    const perFunction = (title: string, metric: (fn: BridgeFunction) => IMetric): GraphWidget =>
      new GraphWidget({ title, width: 8, left: functions.map(([, fn]) => metric(fn)) });
    dashboard.addWidgets(
      perFunction('Function errors', (fn) => fn.function.metricErrors({ period: FIVE_MINUTES, label: fn.node.id })),
      perFunction('Function throttles', (fn) => fn.function.metricThrottles({ period: FIVE_MINUTES, label: fn.node.id })),
      perFunction('Function duration, maximum (ms)', (fn) => fn.function.metricDuration({ period: FIVE_MINUTES, statistic: 'Maximum', label: fn.node.id })),
    );
    dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: this.alarms }));
    return dashboard;
  }
}
