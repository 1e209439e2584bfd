/**
 * What the on-call operator watches: alarms on every place an event can get stuck or fail,
 * an optional SNS topic that emails them, and a dashboard of received / applied / skipped /
 * failed events. Event counts come from metric filters on the functions' JSON log lines
 * (`outcome` field), so the handlers need no CloudWatch client or permission.
 */
import { Aws, Duration } from 'aws-cdk-lib';
import type {
  Metric} from 'aws-cdk-lib/aws-cloudwatch';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { FilterPattern, MetricFilter, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { InboundPipeline } from './inbound-pipeline.js';
import type { Ingress } from './ingress.js';
import type { OutboundFlow } from './outbound-flow.js';

export const METRIC_NAMESPACE = 'StripeSalesforceBridge';

/** A dashboard metric and the log `outcome` values that count towards it. */
export interface OutcomeMetric {
  readonly name: string;
  readonly outcomes: readonly string[];
}

/** Outcomes logged by each function (one line per event), grouped into dashboard metrics. */
export const OUTCOME_METRICS = {
  ingress: [
    { name: 'EventsReceived', outcomes: ['enqueued', 'enqueued_reference'] },
    { name: 'EventsIgnored', outcomes: ['ignored'] },
    { name: 'WebhooksRejected', outcomes: ['rejected'] },
    { name: 'IngressFailed', outcomes: ['failed'] },
  ],
  consumer: [
    { name: 'EventsApplied', outcomes: ['applied'] },
    { name: 'EventsSkipped', outcomes: ['skipped', 'duplicate', 'stale'] },
    { name: 'EventsRetried', outcomes: ['retry'] },
    { name: 'EventsFailed', outcomes: ['dead_lettered'] },
  ],
  outbound: [
    { name: 'PaymentRequestsFulfilled', outcomes: ['invoiced', 'payment_link_created'] },
    { name: 'PaymentRequestsDuplicate', outcomes: ['duplicate'] },
    { name: 'PaymentRequestsRejected', outcomes: ['rejected'] },
    { name: 'PaymentRequestsRetried', outcomes: ['retry'] },
  ],
} as const satisfies Record<string, readonly OutcomeMetric[]>;

/** Stage-specific metric name without dimensions, e.g. `EventsApplied-dev`. */
export function outcomeMetricName(name: string, stage: string): string {
  return `${name}-${stage}`;
}

export interface OperationsProps {
  readonly stage: string;
  readonly ingress: Ingress;
  readonly inbound: InboundPipeline;
  readonly outbound: OutboundFlow;
  /** Email for alarm notifications; without it no SNS topic is created. */
  readonly alarmEmail?: string | undefined;
  /** Alarm when the oldest inbound message is older than this (default 15 minutes). */
  readonly maxInboundMessageAge?: Duration;
}

export class Operations extends Construct {
  public readonly alarms: Alarm[] = [];
  public readonly alarmTopic?: Topic;
  public readonly dashboard: Dashboard;
  /** The outcome metrics by name (without the stage suffix). */
  public readonly outcomeMetrics: Readonly<Record<string, Metric>>;

  private readonly stage: string;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.stage = props.stage;
    const { ingress, inbound, outbound } = props;

    this.outcomeMetrics = {
      ...this.countOutcomes('Ingress', ingress.handler.logGroup, OUTCOME_METRICS.ingress),
      ...this.countOutcomes('Consumer', inbound.consumer.logGroup, OUTCOME_METRICS.consumer),
      ...this.countOutcomes('Outbound', outbound.handler.logGroup, OUTCOME_METRICS.outbound),
    };

    const fiveMinutes = Duration.minutes(5);
    this.alarm(
      'InboundDlqNotEmpty',
      'Stripe events are waiting in the inbound DLQ: inspect and replay them with the dlq CLI',
      inbound.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      0,
    );
    this.alarm(
      'OutboundDlqNotEmpty',
      'Salesforce payment requests are waiting in the outbound DLQ: inspect and replay them with the dlq CLI',
      outbound.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      0,
    );
    const maxAge = props.maxInboundMessageAge ?? Duration.minutes(15);
    this.alarm(
      'InboundBacklogAge',
      `The oldest inbound Stripe event has waited more than ${maxAge.toMinutes()} minutes: the consumer is failing, throttled or too slow`,
      inbound.queue.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: 'Maximum' }),
      maxAge.toSeconds(),
      ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    );
    this.alarm(
      'ConsumerErrors',
      'The consumer function failed whole invocations (not single events)',
      inbound.consumer.function.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
      0,
    );
    this.alarm(
      'OutboundErrors',
      'The outbound function failed; Lambda retries, then the request lands in the outbound DLQ',
      outbound.handler.function.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
      0,
    );
    this.alarm(
      'Ingress5xx',
      'The webhook endpoint answered 5xx: Stripe will retry, but events are not being enqueued',
      ingress.api.metricServerError({ period: fiveMinutes, statistic: 'Sum' }),
      0,
    );

    if (props.alarmEmail !== undefined) {
      this.alarmTopic = new Topic(this, 'AlarmTopic', {
        displayName: `Stripe-Salesforce bridge (${props.stage}) alarms`,
        enforceSSL: true,
      });
      this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
      const action = new SnsAction(this.alarmTopic);
      for (const alarm of this.alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }

    this.dashboard = this.buildDashboard(props);
  }

  private countOutcomes(prefix: string, logGroup: ILogGroup, metrics: readonly OutcomeMetric[]): Record<string, Metric> {
    const out: Record<string, Metric> = {};
    for (const m of metrics) {
      const patterns = m.outcomes.map((o) => FilterPattern.stringValue('$.outcome', '=', o));
      const filter = new MetricFilter(this, `${prefix}${m.name}`, {
        logGroup,
        metricNamespace: METRIC_NAMESPACE,
        metricName: outcomeMetricName(m.name, this.stage),
        filterPattern: patterns.length === 1 ? patterns[0]! : FilterPattern.any(...patterns),
        metricValue: '1',
        defaultValue: 0,
      });
      out[m.name] = filter.metric({ statistic: 'Sum', period: Duration.minutes(5), label: m.name });
    }
    return out;
  }

  private alarm(
    id: string,
    description: string,
    metric: IMetric,
    threshold: number,
    comparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
  ): Alarm {
    const alarm = new Alarm(this, id, {
      alarmDescription: `${description} (stage ${this.stage})`,
      metric,
      threshold,
      comparisonOperator,
      evaluationPeriods: 1,
      // No data means nothing failed (an idle queue publishes nothing).
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alarms.push(alarm);
    return alarm;
  }

  private buildDashboard(props: OperationsProps): Dashboard {
    const m = this.outcomeMetrics;
    const pick = (...names: string[]): IMetric[] => names.map((n) => m[n]).filter((x): x is Metric => x !== undefined);
    const { ingress, inbound, outbound } = props;
    const fiveMinutes = Duration.minutes(5);

    const dashboard = new Dashboard(this, 'Dashboard', {
      // Dashboard names are global to the account: the region keeps two deployments apart.
      dashboardName: `StripeSalesforceBridge-${props.stage}-${Aws.REGION}`,
      defaultInterval: Duration.days(1),
    });
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Stripe events: received / applied / skipped / failed',
        width: 12,
        left: pick('EventsReceived', 'EventsApplied', 'EventsSkipped', 'EventsFailed'),
        right: pick('EventsRetried', 'EventsIgnored'),
      }),
      new GraphWidget({
        title: 'Salesforce payment requests',
        width: 12,
        left: pick('PaymentRequestsFulfilled', 'PaymentRequestsDuplicate', 'PaymentRequestsRejected'),
        right: pick('PaymentRequestsRetried'),
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Queues: backlog and dead letters',
        width: 8,
        left: [
          inbound.queue.metricApproximateNumberOfMessagesVisible({ label: 'Inbound waiting', period: fiveMinutes }),
          inbound.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: 'Inbound DLQ', period: fiveMinutes }),
          outbound.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: 'Outbound DLQ', period: fiveMinutes }),
        ],
        right: [inbound.queue.metricApproximateAgeOfOldestMessage({ label: 'Oldest inbound (s)', period: fiveMinutes })],
      }),
      new GraphWidget({
        title: 'Webhook endpoint',
        width: 8,
        left: [
          ingress.api.metricCount({ label: 'Requests', period: fiveMinutes }),
          ingress.api.metricClientError({ label: '4xx', period: fiveMinutes }),
          ingress.api.metricServerError({ label: '5xx', period: fiveMinutes }),
        ],
        right: pick('WebhooksRejected', 'IngressFailed'),
      }),
      new GraphWidget({
        title: 'Function errors and throttles',
        width: 8,
        left: [
          ingress.handler.function.metricErrors({ label: 'Ingress errors', period: fiveMinutes }),
          inbound.consumer.function.metricErrors({ label: 'Consumer errors', period: fiveMinutes }),
          outbound.handler.function.metricErrors({ label: 'Outbound errors', period: fiveMinutes }),
        ],
        right: [
          ingress.handler.function.metricThrottles({ label: 'Ingress throttles', period: fiveMinutes }),
          inbound.consumer.function.metricThrottles({ label: 'Consumer throttles', period: fiveMinutes }),
          outbound.handler.function.metricThrottles({ label: 'Outbound throttles', period: fiveMinutes }),
        ],
      }),
    );
    dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: this.alarms }));
    return dashboard;
  }
}
