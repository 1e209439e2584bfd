/**
 * The reconciler construct on its own (the full stack is synthesized in stack.test.ts): an
 * EventBridge Scheduler schedule invoking a function that may read the dedup table's items,
 * write its checkpoint, send to the inbound queue and read the Stripe key, one run at a time.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DedupTable } from '../../infra/constructs/dedup-table.js';
import { Reconciler, RECONCILER_TABLE_ACTIONS } from '../../infra/constructs/reconciler.js';
import { actionsOf, CONSTRUCT_TEST_APP, logicalId, NO_BUNDLING, roleStatements } from './support.js';

const RELAY_SOURCE = 'aws.partner/salesforce.com/00D5g000004ABCDEAZ/0YLabc123';
let outdir: string;
let stack: Stack;
let reconciler: Reconciler;
let template: Template;
let json: any;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'reconciler-cdk-test-'));
  // No bundling: this test reads the template, not the function's code (a bundle costs seconds).
  // No built-in CloudFormation validation either (CONSTRUCT_TEST_APP in support.ts says why).
  const app = new App({ outdir, context: NO_BUNDLING, ...CONSTRUCT_TEST_APP });
  stack = new Stack(app, 'ReconcilerTest', { env: { account: '111122223333', region: 'eu-west-1' } });
  const dedup = new DedupTable(stack, 'Dedup');
  const queue = new Queue(stack, 'Inbound');
  const key = new Secret(stack, 'StripeKey');
  reconciler = new Reconciler(stack, 'Reconciler', {
    stage: 'test',
    dedup,
    inboundQueue: queue,
    stripeApiKey: key,
    schedule: 'rate(15 minutes)',
    settleSeconds: 600,
    salesforceCredentials: new Secret(stack, 'SalesforceCredentials'),
    salesforceLoginUrl: 'https://login.salesforce.com',
    salesforceApiVersion: '64.0',
    eventRelaySourceName: RELAY_SOURCE,
    logLevel: 'info',
    logRetention: 30,
  });
  template = Template.fromStack(stack);
  json = template.toJSON();
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('reconciler construct', () => {
  it('is invoked by an EventBridge Scheduler schedule every 15 minutes, and its housekeeping every 5', () => {
    const fn = { 'Fn::GetAtt': [logicalId(stack as any, reconciler.handler.function), 'Arn'] };
    template.resourceCountIs('AWS::Scheduler::Schedule', 2);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(15 minutes)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: fn, Input: JSON.stringify({ task: 'reconcile' }), RetryPolicy: { MaximumRetryAttempts: 0 } },
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      Target: { Arn: fn, Input: JSON.stringify({ task: 'housekeeping' }) },
    });
  });

  it('runs one invocation at a time with the settle delay and no secret values in its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 1,
      Timeout: 300,
      Environment: {
        Variables: Match.objectLike({
          RECONCILE_SETTLE_SECONDS: '600',
          EVENT_RELAY_SOURCE_NAME: RELAY_SOURCE,
          SALESFORCE_CREDENTIALS_ARN: Match.anyValue(),
          STRIPE_SECRET_KEY_ARN: Match.anyValue(),
          INBOUND_QUEUE_URL: Match.anyValue(),
          DEDUP_TABLE_NAME: Match.anyValue(),
        }),
      },
    });
  });

  it('may only read the table, write its checkpoint and markers, send to the inbound queue and read its secrets', () => {
    const actions = [...actionsOf(roleStatements(json, logicalId(stack as any, reconciler.handler.role)))];
    const withPrefix = (prefix: string) => actions.filter((a) => a.startsWith(prefix)).sort();
    expect(withPrefix('dynamodb:')).toEqual([...RECONCILER_TABLE_ACTIONS].sort());
    expect(withPrefix('sqs:')).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    expect(withPrefix('secretsmanager:')).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
  });

  it('alarms when events keep being recovered, when the checkpoint lags, when runs fail and when the Event Relay stops', () => {
    const alarms = Object.values<any>(json.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').map((r) => r.Properties);
    expect(alarms).toHaveLength(4);
    const on = (metricName: string) => alarms.find((a) => JSON.stringify(a.Metrics ?? a.MetricName).includes(`"${metricName}"`));
    expect(on('EventsRecovered-test')).toMatchObject({ Threshold: 0, EvaluationPeriods: 2, DatapointsToAlarm: 2, TreatMissingData: 'notBreaching' });
    expect(on('ReconcilerCheckpointLag-test')).toMatchObject({ Threshold: 7200 });
    expect(on('Errors')).toMatchObject({ Threshold: 0, EvaluationPeriods: 2 });
    expect(on('EventRelayUnhealthy-test')).toMatchObject({ Threshold: 0, EvaluationPeriods: 2, DatapointsToAlarm: 2 });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.outcome = "relay_checked" }',
      MetricTransformations: [Match.objectLike({ MetricName: 'EventRelayUnhealthy-test', MetricValue: '$.relayUnhealthy' })],
    });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.outcome = "reconciled" }',
      MetricTransformations: [Match.objectLike({ MetricName: 'EventsRecovered-test', MetricValue: '$.eventsRecovered' })],
    });
  });
});
