import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_ENTRIES, esbuildOptions, REPO_ROOT } from '../../infra/bundling.js';
import { DEDUP_ACTIONS } from '../../infra/constructs/dedup-table.js';
import { OUTCOME_METRICS } from '../../infra/constructs/operations.js';
import { DEFAULT_RETRY_POLICY, maxReceivesWithin } from '../../src/resilience/retry-schedule.js';
import { STACK_OUTPUT, stackName } from '../../src/stack-outputs.js';
import {
  describeNagContract,
  actionsOf,
  deployedBundle,
  logicalId,
  resourcesFor,
  roleStatements,
  synthBridge,
  type SynthesizedBridge,
} from './support.js';

const ORG_ID = '00D5g000004ABCDEAZ';
const CHANNEL_ID = '0YL5g0000004XyZGAU';
const IMPORTED_WEBHOOK_SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:bridge/webhook-AbCdEf';

function resourcesOfType(json: any, type: string): [string, any][] {
  return Object.entries<any>(json.Resources).filter(([, r]) => r.Type === type);
}

describe('default deployment (cdk.json context, nothing connected yet)', () => {
  let synth: SynthesizedBridge;
  let ids: Record<
    | 'ingressFn'
    | 'consumerFn'
    | 'outboundFn'
    | 'ingressRole'
    | 'consumerRole'
    | 'outboundRole'
    | 'queue'
    | 'dlq'
    | 'outboundQueue'
    | 'outboundDlq'
    | 'table'
    | 'webhookSecret'
    | 'stripeKeySecret'
    | 'stripeReadKeySecret'
    | 'salesforceSecret'
    | 'accessLogs',
    string
  >;

  beforeAll(() => {
    synth = synthBridge({}, { bundle: true });
    const s = synth.stack;
    ids = {
      ingressFn: logicalId(s, s.ingress.handler.function),
      consumerFn: logicalId(s, s.inbound.consumer.function),
      outboundFn: logicalId(s, s.outbound.handler.function),
      ingressRole: logicalId(s, s.ingress.handler.role),
      consumerRole: logicalId(s, s.inbound.consumer.role),
      outboundRole: logicalId(s, s.outbound.handler.role),
      queue: logicalId(s, s.inbound.queue),
      dlq: logicalId(s, s.inbound.deadLetterQueue),
      outboundQueue: logicalId(s, s.outbound.queue),
      outboundDlq: logicalId(s, s.outbound.deadLetterQueue),
      table: logicalId(s, s.dedup.table),
      webhookSecret: logicalId(s, s.secrets.stripeWebhookSecret as any),
      stripeKeySecret: logicalId(s, s.secrets.stripeApiKey as any),
      stripeReadKeySecret: logicalId(s, s.secrets.stripeReadKey as any),
      salesforceSecret: logicalId(s, s.secrets.salesforceCredentials as any),
      accessLogs: logicalId(s, s.ingress.accessLogs),
    };
  });
  afterAll(() => synth?.dispose());

  it('is named after the stage', () => {
    expect(synth.stack.stackName).toBe(stackName('dev'));
  });

  describe('ingress', () => {
    it('exposes only POST /stripe/webhook, proxied to the ingress function (payload v2)', () => {
      synth.template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
      synth.template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
      synth.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /stripe/webhook' });
      synth.template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [ids.ingressFn, 'Arn'] },
      });
    });

    it('throttles the stage and writes JSON access logs to a retained log group', () => {
      synth.template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
      synth.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
        AccessLogSettings: {
          DestinationArn: { 'Fn::GetAtt': [ids.accessLogs, 'Arn'] },
          Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
        },
      });
      const format: string = resourcesOfType(synth.json, 'AWS::ApiGatewayV2::Stage')[0]![1].Properties.AccessLogSettings.Format;
      expect(() => JSON.parse(format)).not.toThrow();
      expect(format).not.toMatch(/requestBody|header/i);
    });

    it('lets API Gateway invoke the ingress function on the webhook route only', () => {
      synth.template.hasResourceProperties('AWS::Lambda::Permission', {
        Principal: 'apigateway.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [ids.ingressFn, 'Arn'] },
        SourceArn: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/stripe/webhook$')])] },
      });
    });
  });

  describe('functions', () => {
    it('run Node.js 24 on arm64 with their own log group, without --enable-source-maps; no X-Ray unless configured', () => {
      const functions = resourcesOfType(synth.json, 'AWS::Lambda::Function');
      const reconcilerFn = logicalId(synth.stack, synth.stack.reconciler!.handler.function);
      expect(functions.map(([id]) => id).sort()).toEqual([ids.consumerFn, ids.ingressFn, ids.outboundFn, reconcilerFn].sort());
      for (const [, fn] of functions) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
        });
        // The flag decodes the whole source map at cold start; src/stack-traces.ts maps lazily.
        expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBeUndefined();
        // Tracing costs per trace and Lambda samples at a fixed rate: off unless `-c tracing=active`.
        expect(fn.Properties.TracingConfig).toBeUndefined();
      }
      const xray = resourcesOfType(synth.json, 'AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement).filter((st: any) => JSON.stringify(st.Action).includes('xray:'));
      expect(xray).toEqual([]);
    });

    it('set a retention on every log group', () => {
      const groups = resourcesOfType(synth.json, 'AWS::Logs::LogGroup');
      expect(groups).toHaveLength(5); // four functions and the API access log
      for (const [, group] of groups) expect(group.Properties.RetentionInDays).toBe(30);
    });

    it('pass the configuration contract of src/config.ts', () => {
      const env = (id: string) => synth.json.Resources[id].Properties.Environment.Variables;
      expect(env(ids.ingressFn)).toEqual({
        LOG_LEVEL: 'info',
        STRIPE_WEBHOOK_SECRET_ARN: { Ref: ids.webhookSecret },
        INBOUND_QUEUE_URL: { Ref: ids.queue },
      });
      expect(env(ids.consumerFn)).toMatchObject({
        DEDUP_TABLE_NAME: { Ref: ids.table },
        INBOUND_DLQ_URL: { Ref: ids.dlq },
        INBOUND_QUEUE_URL: { Ref: ids.queue },
        MAX_RECEIVE_COUNT: String(synth.stack.inbound.maxReceiveCount),
        RETRY_MAX_DELAY_SECONDS: '900',
        RETRY_HORIZON_HOURS: '48',
        SALESFORCE_CREDENTIALS_ARN: { Ref: ids.salesforceSecret },
        SALESFORCE_LOGIN_URL: 'https://login.salesforce.com',
        SALESFORCE_API_VERSION: '64.0',
        // The consumer only reads Stripe: the read-only key, not the one that bills.
        STRIPE_SECRET_KEY_ARN: { Ref: ids.stripeReadKeySecret },
        EVENT_LEASE_SECONDS: '120',
      });
      expect(env(ids.outboundFn)).toMatchObject({
        DEDUP_TABLE_NAME: { Ref: ids.table },
        SALESFORCE_CREDENTIALS_ARN: { Ref: ids.salesforceSecret },
        STRIPE_SECRET_KEY_ARN: { Ref: ids.stripeKeySecret },
        STRIPE_DAYS_UNTIL_DUE: '30',
      });
      // The currencies come from the org; the variables are overrides, unset unless configured.
      expect(env(ids.outboundFn)).not.toHaveProperty('STRIPE_DEFAULT_CURRENCY');
      expect(env(ids.outboundFn)).not.toHaveProperty('SALESFORCE_MULTI_CURRENCY');
      expect(env(ids.outboundFn)).not.toHaveProperty('STRIPE_WEBHOOK_SECRET_ARN');
    });

    it('lease a claimed event for longer than the function may run', () => {
      for (const id of [ids.consumerFn, ids.outboundFn]) {
        const fn = synth.json.Resources[id].Properties;
        expect(Number(fn.Environment.Variables.EVENT_LEASE_SECONDS)).toBeGreaterThan(fn.Timeout);
      }
    });
  });

  describe('inbound queue and consumer', () => {
    it('encrypts the queue and redrives to a 14-day, retained DLQ only after every receive the 48-hour retry horizon holds', () => {
      const maxReceiveCount = synth.stack.inbound.maxReceiveCount;
      synth.template.hasResource('AWS::SQS::Queue', {
        Properties: {
          SqsManagedSseEnabled: true,
          RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [ids.dlq, 'Arn'] }, maxReceiveCount },
        },
      });
      const queue = synth.json.Resources[ids.queue].Properties;
      // Every delay at its shortest (or a redelivery after the visibility timeout) still fits.
      expect(maxReceiveCount).toBe(maxReceivesWithin(DEFAULT_RETRY_POLICY, queue.VisibilityTimeout));
      expect(maxReceiveCount).toBeLessThanOrEqual(1000);
      // A message that crashes the consumer every time reaches the DLQ before SQS would expire it.
      expect(maxReceiveCount * queue.VisibilityTimeout).toBeLessThan(queue.MessageRetentionPeriod);
      const dlq = synth.json.Resources[ids.dlq];
      expect(dlq.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
      expect(dlq.DeletionPolicy).toBe('Retain');
    });

    it('lets only its own source queue use each DLQ (redrive allow policy), naming it by ARN to avoid a cycle', () => {
      const arnOf = (role: string) => ({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sqs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':', { Ref: 'AWS::StackName' }, `-${role}`]],
      });
      for (const [dlq, queue, role] of [
        [ids.dlq, ids.queue, 'inbound'],
        [ids.outboundDlq, ids.outboundQueue, 'outbound'],
      ] as const) {
        expect(synth.json.Resources[dlq].Properties.RedriveAllowPolicy).toEqual({ redrivePermission: 'byQueue', sourceQueueArns: [arnOf(role)] });
        expect(synth.json.Resources[queue].Properties.QueueName).toEqual({ 'Fn::Join': ['', [{ Ref: 'AWS::StackName' }, `-${role}`]] });
      }
    });

    it('keeps the visibility timeout at least 6 times the consumer timeout', () => {
      const visibility = synth.json.Resources[ids.queue].Properties.VisibilityTimeout;
      const timeout = synth.json.Resources[ids.consumerFn].Properties.Timeout;
      expect(visibility).toBeGreaterThanOrEqual(6 * timeout);
    });

    it('feeds the consumer in batches with partial failures and capped concurrency', () => {
      synth.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
      synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [ids.queue, 'Arn'] },
        FunctionName: { Ref: ids.consumerFn },
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 5,
        ScalingConfig: { MaximumConcurrency: 5 },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    it('refuses plain-HTTP access to every queue', () => {
      for (const queue of [ids.queue, ids.dlq, ids.outboundQueue, ids.outboundDlq]) {
        synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: queue }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
      }
    });
  });

  describe('dedup table', () => {
    it('is on-demand, keyed by pk, expires by expiresAt, with PITR and encryption, and retained', () => {
      synth.template.resourceCountIs('AWS::DynamoDB::Table', 1);
      synth.template.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        Properties: {
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
          DeletionProtectionEnabled: true,
        },
      });
    });
  });

  describe('secrets', () => {
    it('creates four secrets without any value in the template, retained by cdk destroy', () => {
      const secrets = resourcesOfType(synth.json, 'AWS::SecretsManager::Secret');
      expect(secrets).toHaveLength(4);
      for (const [, secret] of secrets) {
        expect(secret.Properties).not.toHaveProperty('SecretString');
        expect(secret.Properties).not.toHaveProperty('GenerateSecretString');
        expect(secret).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      }
      expect(synth.json.Resources[ids.stripeReadKeySecret].Properties.Description).toMatch(/Events: Read, Charges: Read, Invoices: Read/);
      expect(synth.json.Outputs[STACK_OUTPUT.stripeReadKeySecretArn].Value).toEqual({ Ref: ids.stripeReadKeySecret });
      const valueLike = /\b(whsec|sk_test|sk_live|rk_test|rk_live)_[A-Za-z0-9]{6,}/g;
      expect(JSON.stringify(synth.json).match(valueLike) ?? []).toEqual([]);
    });
  });

  describe('IAM: each function reaches only what it uses', () => {
    it('ingress: send to the inbound queue, read the webhook secret, nothing else', () => {
      const statements = roleStatements(synth.json, ids.ingressRole);
      expect([...actionsOf(statements)].sort()).toEqual(
        [
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:SendMessage',
        ].sort(),
      );
      expect(resourcesFor(statements, 'sqs:')).toEqual([{ 'Fn::GetAtt': [ids.queue, 'Arn'] }]);
      expect(resourcesFor(statements, 'secretsmanager:')).toEqual([{ Ref: ids.webhookSecret }]);
      expect(JSON.stringify(statements)).not.toMatch(/dynamodb|salesforce|StripeApiKey/i);
    });

    it('consumer: dedup items, consume the queue, send to its DLQ, the Salesforce secret and the read-only Stripe key only', () => {
      const statements = roleStatements(synth.json, ids.consumerRole);
      const dynamo = [...actionsOf(statements)].filter((a) => a.startsWith('dynamodb:')).sort();
      expect(dynamo).toEqual([...DEDUP_ACTIONS].sort());
      expect(resourcesFor(statements, 'dynamodb:')).toEqual([{ 'Fn::GetAtt': [ids.table, 'Arn'] }]);
      expect(actionsOf(statements)).toContain('sqs:ReceiveMessage');
      expect(actionsOf(statements)).toContain('sqs:DeleteMessage');
      const send = statements.filter((s) => actionsOf([s]).has('sqs:SendMessage'));
      expect(send.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [ids.dlq, 'Arn'] }]);
      expect(new Set(resourcesFor(statements, 'secretsmanager:').map((r) => JSON.stringify(r)))).toEqual(
        new Set([{ Ref: ids.salesforceSecret }, { Ref: ids.stripeReadKeySecret }].map((r) => JSON.stringify(r))),
      );
    });

    it('outbound: dedup items, consume its queue, send to its DLQ, Salesforce and Stripe secrets; no webhook secret', () => {
      const statements = roleStatements(synth.json, ids.outboundRole);
      const actions = actionsOf(statements);
      expect(actions).toContain('sqs:ReceiveMessage');
      expect(actions).toContain('sqs:ChangeMessageVisibility');
      const consume = statements.filter((s) => actionsOf([s]).has('sqs:ReceiveMessage'));
      expect(consume.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [ids.outboundQueue, 'Arn'] }]);
      const send = statements.filter((s) => actionsOf([s]).has('sqs:SendMessage'));
      expect(send.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [ids.outboundDlq, 'Arn'] }]);
      expect(resourcesFor(statements, 'secretsmanager:')).toEqual(
        expect.arrayContaining([{ Ref: ids.salesforceSecret }, { Ref: ids.stripeKeySecret }]),
      );
      expect(resourcesFor(statements, 'secretsmanager:')).not.toContainEqual({ Ref: ids.webhookSecret });
      expect([...actions].filter((a) => a.startsWith('dynamodb:')).sort()).toEqual([...DEDUP_ACTIONS].sort());
    });

    it('only the outbound function holds the Stripe key that bills; the consumer and the reconciler read with the read-only key', () => {
      const readers = resourcesOfType(synth.json, 'AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes(`"Ref":"${ids.stripeKeySecret}"`))
        .flatMap(([, p]) => p.Properties.Roles.map((r: { Ref: string }) => r.Ref));
      expect(readers).toEqual([ids.outboundRole]);
      const reconciler = synth.stack.reconciler!.handler.function;
      expect(synth.json.Resources[logicalId(synth.stack, reconciler)].Properties.Environment.Variables.STRIPE_SECRET_KEY_ARN).toEqual({
        Ref: ids.stripeReadKeySecret,
      });
    });

    it('uses no managed policies and no wildcard actions', () => {
      for (const [, role] of resourcesOfType(synth.json, 'AWS::IAM::Role')) {
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      }
      for (const [, policy] of resourcesOfType(synth.json, 'AWS::IAM::Policy')) {
        for (const s of policy.Properties.PolicyDocument.Statement) {
          for (const action of [s.Action].flat()) expect(action).not.toMatch(/(^\*$|:\*$)/);
          // Only X-Ray, which has no resource-level permissions, may use Resource "*".
          if (s.Resource === '*') expect([s.Action].flat().every((a: string) => a.startsWith('xray:'))).toBe(true);
        }
      }
    });
  });

  describe('outbound before Salesforce is connected', () => {
    it('deploys the outbound queue, its DLQ and the function draining it, but no bus or rule', () => {
      synth.template.resourceCountIs('AWS::Events::EventBus', 0);
      synth.template.resourceCountIs('AWS::Events::Rule', 0);
      // Not invoked asynchronously: no Lambda retries or async DLQ that would give up in minutes.
      synth.template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
      expect(synth.json.Resources[ids.outboundFn].Properties.DeadLetterConfig).toBeUndefined();
      const queue = synth.json.Resources[ids.outboundQueue].Properties;
      expect(queue).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 4 * 24 * 3600,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [ids.outboundDlq, 'Arn'] }, maxReceiveCount: synth.stack.outbound.maxReceiveCount },
      });
      expect(synth.stack.outbound.maxReceiveCount).toBe(maxReceivesWithin(DEFAULT_RETRY_POLICY, queue.VisibilityTimeout));
      expect(synth.stack.outbound.maxReceiveCount * queue.VisibilityTimeout).toBeLessThan(queue.MessageRetentionPeriod);
      expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * synth.json.Resources[ids.outboundFn].Properties.Timeout);
      // One request per invocation, at most 2 at once: paced for Stripe's rate limits.
      synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [ids.outboundQueue, 'Arn'] },
        FunctionName: { Ref: ids.outboundFn },
        BatchSize: 1,
        ScalingConfig: { MaximumConcurrency: 2 },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      expect(synth.json.Resources[ids.outboundFn].Properties.Environment.Variables).toMatchObject({
        OUTBOUND_QUEUE_URL: { Ref: ids.outboundQueue },
        OUTBOUND_DLQ_URL: { Ref: ids.outboundDlq },
        MAX_RECEIVE_COUNT: String(synth.stack.outbound.maxReceiveCount),
        RETRY_HORIZON_HOURS: '48',
      });
      const outboundDlq = synth.json.Resources[ids.outboundDlq];
      expect(outboundDlq.Properties.SqsManagedSseEnabled).toBe(true);
      expect(outboundDlq.DeletionPolicy).toBe('Retain');
    });

    it('explains in an output how to connect the Event Relay', () => {
      const setup = synth.json.Outputs[STACK_OUTPUT.eventRelaySetup].Value;
      expect(setup).toMatch(/salesforceOrgId/);
      expect(setup).toMatch(/salesforceEventChannelId/);
    });

    it('has no function URL: the outbound path is reachable only through EventBridge', () => {
      synth.template.resourceCountIs('AWS::Lambda::Url', 0);
      const permissions = resourcesOfType(synth.json, 'AWS::Lambda::Permission');
      expect(permissions.map(([, p]) => p.Properties.Principal)).toEqual(['apigateway.amazonaws.com']);
    });
  });

  describe('operations', () => {
    it('alarms on both DLQs, the inbound backlog age, function errors and ingress 5xx', () => {
      const alarms = resourcesOfType(synth.json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
      // Six here, three of the reconciler (test/infra/reconciler.test.ts).
      expect(alarms).toHaveLength(6 + synth.stack.reconciler!.alarms.length);
      const on = (metric: string, dimension: unknown) =>
        alarms.filter((a) => a.MetricName === metric && JSON.stringify(a.Dimensions).includes(JSON.stringify(dimension)));
      for (const dlq of [ids.dlq, ids.outboundDlq]) {
        expect(on('ApproximateNumberOfMessagesVisible', { 'Fn::GetAtt': [dlq, 'QueueName'] })[0]).toMatchObject({
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
        });
      }
      expect(on('ApproximateAgeOfOldestMessage', { 'Fn::GetAtt': [ids.queue, 'QueueName'] })).toHaveLength(1);
      expect(on('Errors', { Ref: ids.consumerFn })).toHaveLength(1);
      expect(on('Errors', { Ref: ids.outboundFn })).toHaveLength(1);
      expect(alarms.filter((a) => a.Namespace === 'AWS/ApiGateway' && a.MetricName === '5xx')).toHaveLength(1);
      for (const a of alarms) expect(a.AlarmActions).toBeUndefined();
      synth.template.resourceCountIs('AWS::SNS::Topic', 0);
    });

    it('counts every logged outcome with a metric filter on the right log group', () => {
      const filters = resourcesOfType(synth.json, 'AWS::Logs::MetricFilter').map(([, f]) => f.Properties);
      const logGroupOf = {
        ingress: { Ref: logicalId(synth.stack, synth.stack.ingress.handler.logGroup) },
        consumer: { Ref: logicalId(synth.stack, synth.stack.inbound.consumer.logGroup) },
        outbound: { Ref: logicalId(synth.stack, synth.stack.outbound.handler.logGroup) },
      };
      const covered = (fn: keyof typeof logGroupOf) =>
        filters
          .filter((f) => JSON.stringify(f.LogGroupName) === JSON.stringify(logGroupOf[fn]))
          .flatMap((f) => [...String(f.FilterPattern).matchAll(/\$\.outcome = "([a-z_]+)"/g)].map((m) => m[1]))
          .sort();
      expect(covered('ingress')).toEqual(['enqueued', 'enqueued_reference', 'failed', 'ignored', 'rejected'].sort());
      expect(covered('consumer')).toEqual(['applied', 'dead_lettered', 'duplicate', 'retry', 'skipped', 'stale'].sort());
      expect(covered('outbound')).toEqual(['duplicate', 'invoiced', 'payment_link_created', 'rejected', 'retry'].sort());
      for (const f of filters) {
        expect(f.MetricTransformations).toEqual([
          expect.objectContaining({ MetricNamespace: 'StripeSalesforceBridge', MetricName: expect.stringMatching(/-dev$/) }),
        ]);
        expect(f.MetricTransformations[0]).not.toHaveProperty('Dimensions');
      }
    });

    it('draws received / applied / skipped / failed on the dashboard', () => {
      const [, dashboard] = resourcesOfType(synth.json, 'AWS::CloudWatch::Dashboard')[0]!;
      expect(JSON.stringify(dashboard.Properties.DashboardName)).toContain('StripeSalesforceBridge-dev-');
      const body = JSON.stringify(dashboard.Properties.DashboardBody);
      for (const name of ['EventsReceived-dev', 'EventsApplied-dev', 'EventsSkipped-dev', 'EventsFailed-dev']) {
        expect(body).toContain(name);
      }
      const allNames = Object.values(OUTCOME_METRICS).flatMap((ms) => ms.map((m) => `${m.name}-dev`));
      for (const name of allNames) expect(body).toContain(name);
    });
  });

  describe('outputs', () => {
    it('uses exactly the keys the ops CLI reads', () => {
      expect(Object.keys(synth.json.Outputs).sort()).toEqual(Object.values(STACK_OUTPUT).sort());
    });

    it('gives the webhook URL to paste into Stripe and the secret ARNs to fill in', () => {
      const url = JSON.stringify(synth.json.Outputs[STACK_OUTPUT.webhookUrl].Value);
      expect(url).toContain('/stripe/webhook');
      expect(url).toContain(logicalId(synth.stack, synth.stack.ingress.api));
      expect(synth.json.Outputs[STACK_OUTPUT.stripeWebhookSecretArn].Value).toEqual({ Ref: ids.webhookSecret });
      expect(synth.json.Outputs[STACK_OUTPUT.inboundDlqUrl].Value).toEqual({ Ref: ids.dlq });
      expect(synth.json.Outputs[STACK_OUTPUT.outboundDlqUrl].Value).toEqual({ Ref: ids.outboundDlq });
    });
  });

  describe('deployed bundles', () => {
    it('ingress bundle contains neither jsforce nor the DynamoDB client', () => {
      const { meta } = deployedBundle(synth, ids.ingressFn);
      const inputs = Object.keys(meta.inputs);
      expect(inputs.length).toBeGreaterThan(0);
      expect(inputs.filter((p) => /node_modules\/(jsforce|@aws-sdk\/client-dynamodb|@aws-sdk\/lib-dynamodb)\//.test(p))).toEqual([]);
    });

    it('is byte for byte what `npm run build` produces from the shared esbuild options', async () => {
      const outdir = mkdtempSync(join(tmpdir(), 'bridge-build-'));
      try {
        await build({ ...esbuildOptions(join(REPO_ROOT, BRIDGE_ENTRIES.ingress), outdir), absWorkingDir: REPO_ROOT });
        expect(readFileSync(join(outdir, 'index.mjs'), 'utf8')).toBe(deployedBundle(synth, ids.ingressFn).code);
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    });

    it.each(['ingressFn', 'consumerFn', 'outboundFn'] as const)('%s is one ESM file that imports only Node built-ins', (key) => {
      const { meta, code } = deployedBundle(synth, ids[key]);
      expect(code.startsWith("import { createRequire as __bridgeCreateRequire } from 'node:module';")).toBe(true);
      const output = Object.entries<any>(meta.outputs).find(([file]) => file.endsWith('index.mjs'))![1];
      const externals: string[] = output.imports.filter((i: any) => i.external).map((i: any) => i.path);
      expect(externals.filter((p) => !isBuiltin(p))).toEqual([]);
    });
  });

  describeNagContract(() => synth.app);
});

describe('connected deployment (Salesforce org, alarm email, imported secret, tuned batching, tracing)', () => {
  let synth: SynthesizedBridge;

  beforeAll(() => {
    synth = synthBridge({
      stage: 'prod',
      salesforceOrgId: ORG_ID,
      salesforceEventChannelId: CHANNEL_ID,
      alarmEmail: 'oncall@example.com',
      // -c values arrive as strings
      batchSize: '50',
      maxBatchingWindowSeconds: '10',
      maxConcurrency: '3',
      outboundMaxConcurrency: '4',
      stripeWebhookSecretArn: IMPORTED_WEBHOOK_SECRET,
      tracing: 'active',
    });
  });
  afterAll(() => synth?.dispose());

  it('traces every function when asked to, granting X-Ray writes only then', () => {
    const functions = resourcesOfType(synth.json, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(4);
    for (const [, fn] of functions) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    const statements = roleStatements(synth.json, logicalId(synth.stack, synth.stack.ingress.handler.role));
    expect(actionsOf(statements)).toContain('xray:PutTraceSegments');
  });

  it('paces the outbound function as configured', () => {
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(synth.stack, synth.stack.outbound.queue), 'Arn'] },
      ScalingConfig: { MaximumConcurrency: 4 },
    });
  });

  it('associates a partner event bus with the Salesforce event source', () => {
    const name = `aws.partner/salesforce.com/${ORG_ID}/${CHANNEL_ID}`;
    synth.template.resourceCountIs('AWS::Events::EventBus', 1);
    synth.template.hasResourceProperties('AWS::Events::EventBus', { Name: name, EventSourceName: name });
    expect(synth.json.Outputs[STACK_OUTPUT.eventRelaySetup].Value).toContain(name);
  });

  it('queues only this org and channel\'s Stripe_Command__e and Stripe_Payment_Request__e for the outbound function, with retries and a DLQ', () => {
    const s = synth.stack;
    const outboundQueue = logicalId(s, s.outbound.queue);
    const outboundDlq = logicalId(s, s.outbound.deadLetterQueue);
    const rule = logicalId(s, s.outbound.rule!);
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalId(s, s.outbound.eventBus!) },
      // The partner source names the org and the channel: another org's relay on this bus does not match.
      EventPattern: { source: [`aws.partner/salesforce.com/${ORG_ID}/${CHANNEL_ID}`], 'detail-type': ['Stripe_Command__e', 'Stripe_Payment_Request__e'] },
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [outboundQueue, 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [outboundDlq, 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 24 * 3600 },
        },
      ],
    });
    // No function permission at all: the function is reachable only through its queue.
    expect(resourcesOfType(synth.json, 'AWS::Lambda::Permission').map(([, p]) => p.Properties.Principal)).toEqual(['apigateway.amazonaws.com']);
    // EventBridge may send this rule's events, and only this rule's, to the queue; its failed deliveries to the DLQ.
    for (const [queue, action] of [
      [outboundQueue, Match.arrayWith(['sqs:SendMessage'])],
      [outboundDlq, 'sqs:SendMessage'],
    ] as const) {
      synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queue }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: action,
              Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [rule, 'Arn'] } } },
            }),
          ]),
        },
      });
    }
  });

  it('emails every alarm through a TLS-only SNS topic', () => {
    synth.template.resourceCountIs('AWS::SNS::Topic', 1);
    synth.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    const topic = logicalId(synth.stack, synth.stack.operations.alarmTopic!);
    synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topic }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
    const alarms = resourcesOfType(synth.json, 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(6 + synth.stack.reconciler!.alarms.length);
    for (const [, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topic }]);
    }
  });

  it('imports the webhook secret by ARN and grants the ingress function exactly that ARN', () => {
    expect(resourcesOfType(synth.json, 'AWS::SecretsManager::Secret')).toHaveLength(3);
    const statements = roleStatements(synth.json, logicalId(synth.stack, synth.stack.ingress.handler.role));
    expect(resourcesFor(statements, 'secretsmanager:')).toEqual([IMPORTED_WEBHOOK_SECRET]);
    expect(synth.json.Outputs[STACK_OUTPUT.stripeWebhookSecretArn].Value).toBe(IMPORTED_WEBHOOK_SECRET);
  });

  it('applies the batching settings from context and keeps the visibility timeout above 6x + window', () => {
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 10,
      ScalingConfig: { MaximumConcurrency: 3 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const queue = synth.json.Resources[logicalId(synth.stack, synth.stack.inbound.queue)].Properties;
    const timeout = synth.json.Resources[logicalId(synth.stack, synth.stack.inbound.consumer.function)].Properties.Timeout;
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout + 10);
  });

  it('names the stack and metrics after the stage', () => {
    expect(synth.stack.stackName).toBe(stackName('prod'));
    const names = resourcesOfType(synth.json, 'AWS::Logs::MetricFilter').map(
      ([, f]) => f.Properties.MetricTransformations[0].MetricName as string,
    );
    expect(names.every((n) => n.endsWith('-prod'))).toBe(true);
  });
  describeNagContract(() => synth.app);
});
