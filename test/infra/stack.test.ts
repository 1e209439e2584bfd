import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_ENTRIES, REPO_ROOT, type BridgeEntryName } from '../../infra/bundling.js';
import { BridgeFunction } from '../../infra/constructs/bridge-function.js';
import { DEDUP_ACTIONS } from '../../infra/constructs/dedup-table.js';
import { parseAlarmDescription } from '../../infra/constructs/alarms.js';
import { CLOUDWATCH_FREE_TIER, estimateFixedMonthlyCost, LIST_PRICES_US_EAST_1 } from '../../infra/cost.js';
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
  ALARM_TABLE_END,
  ALARM_TABLE_START,
  renderAlarmTable,
  type DeployedBundle,
} from './support.js';
import { bridgeBundle } from '../support/bundles.js';

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
    | 'rollupQueue'
    | 'rollupDlq'
    | 'rollupFn'
    | 'rollupRole'
    | 'table'
    | 'webhookSecret'
    | 'stripeKeySecret'
    | 'stripeReadKeySecret'
    | 'salesforceSecret'
    | 'accessLogs',
    string
  >;

  beforeAll(() => {
    synth = synthBridge({});
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
      rollupQueue: logicalId(s, s.inbound.rollups.queue),
      rollupDlq: logicalId(s, s.inbound.rollups.deadLetterQueue),
      rollupFn: logicalId(s, s.inbound.rollups.writer.function),
      rollupRole: logicalId(s, s.inbound.rollups.writer.role),
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
    it('are all BridgeFunctions, one per entry point, so each ships the lambdaBundling() bundle', () => {
      // The deployed-bundle tests below bundle one BridgeFunction through NodejsFunction; this
      // makes what they prove hold for every function the stack deploys.
      const bridgeFunctions = synth.stack.node.findAll().filter((c): c is BridgeFunction => c instanceof BridgeFunction);
      const nodejsFunctions = synth.stack.node.findAll().filter((c) => c instanceof NodejsFunction);
      expect(nodejsFunctions).toHaveLength(bridgeFunctions.length);
      for (const fn of nodejsFunctions) expect(bridgeFunctions.map((b) => b.function)).toContain(fn);
      expect(bridgeFunctions.map((b) => b.entry).sort()).toEqual(Object.values(BRIDGE_ENTRIES).sort());
      expect(resourcesOfType(synth.json, 'AWS::Lambda::Function')).toHaveLength(bridgeFunctions.length);
    });

    it('run Node.js 24 on arm64 with their own log group, without --enable-source-maps; no X-Ray unless configured', () => {
      const functions = resourcesOfType(synth.json, 'AWS::Lambda::Function');
      const reconcilerFn = logicalId(synth.stack, synth.stack.reconciler!.handler.function);
      expect(functions.map(([id]) => id).sort()).toEqual([ids.consumerFn, ids.ingressFn, ids.outboundFn, reconcilerFn, ids.rollupFn].sort());
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
      expect(groups).toHaveLength(6); // five functions and the API access log
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
      synth.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
      synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [ids.queue, 'Arn'] },
        FunctionName: { Ref: ids.consumerFn },
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 1,
        ScalingConfig: { MaximumConcurrency: 5 },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    it('queues the Account roll-ups for a writer that gathers them over 5 s, 100 at a time, two at once, redriving to a retained DLQ at the retry horizon', () => {
      expect(synth.json.Resources[ids.consumerFn].Properties.Environment.Variables.ROLLUP_QUEUE_URL).toEqual({ Ref: ids.rollupQueue });
      synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [ids.rollupQueue, 'Arn'] },
        FunctionName: { Ref: ids.rollupFn },
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 5,
        ScalingConfig: { MaximumConcurrency: 2 },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      const queue = synth.json.Resources[ids.rollupQueue];
      const timeout = synth.json.Resources[ids.rollupFn].Properties.Timeout;
      expect(queue.Properties.VisibilityTimeout).toBe(6 * timeout + 5);
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      // Retried every visibility timeout for the 48-hour horizon, then dead-lettered.
      expect(queue.Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [ids.rollupDlq, 'Arn'] }, maxReceiveCount: Math.ceil((48 * 3600) / (6 * timeout + 5)) });
      expect(synth.json.Resources[ids.rollupDlq]).toMatchObject({ DeletionPolicy: 'Retain', Properties: { MessageRetentionPeriod: 14 * 86_400 } });
      expect(synth.json.Resources[ids.rollupFn].Properties.Environment.Variables).toEqual({
        LOG_LEVEL: 'info',
        SALESFORCE_CREDENTIALS_ARN: { Ref: ids.salesforceSecret },
        SALESFORCE_LOGIN_URL: 'https://login.salesforce.com',
        SALESFORCE_API_VERSION: '64.0',
        // An unreadable roll-up message is sent there at once with its reason (src/rollups/rollup-writer.ts).
        ROLLUP_DLQ_URL: { Ref: ids.rollupDlq },
      });
    });

    it('refuses plain-HTTP access to every queue', () => {
      for (const queue of [ids.queue, ids.dlq, ids.outboundQueue, ids.outboundDlq, ids.rollupQueue, ids.rollupDlq]) {
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
      expect(send.flatMap((s) => [s.Resource].flat())).toEqual([{ 'Fn::GetAtt': [ids.dlq, 'Arn'] }, { 'Fn::GetAtt': [ids.rollupQueue, 'Arn'] }]);
      expect(new Set(resourcesFor(statements, 'secretsmanager:').map((r) => JSON.stringify(r)))).toEqual(
        new Set([{ Ref: ids.salesforceSecret }, { Ref: ids.stripeReadKeySecret }].map((r) => JSON.stringify(r))),
      );
    });

    it('roll-up writer: consume the roll-up queue, send to the roll-up DLQ and read the Salesforce secret; nothing else', () => {
      const statements = roleStatements(synth.json, ids.rollupRole);
      const arns = (list: typeof statements) => list.flatMap((s) => [s.Resource].flat());
      const consume = statements.filter((s) => actionsOf([s]).has('sqs:ReceiveMessage'));
      expect(arns(consume)).toEqual([{ 'Fn::GetAtt': [ids.rollupQueue, 'Arn'] }]);
      const send = statements.filter((s) => actionsOf([s]).has('sqs:SendMessage'));
      expect(arns(send)).toEqual([{ 'Fn::GetAtt': [ids.rollupDlq, 'Arn'] }]);
      expect(actionsOf(send)).not.toContain('sqs:ReceiveMessage');
      expect(new Set(resourcesFor(statements, 'sqs:').map((r) => JSON.stringify(r)))).toEqual(
        new Set([ids.rollupQueue, ids.rollupDlq].map((id) => JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }))),
      );
      // SSE-SQS: SQS holds the key, so sending needs no KMS permission (a KMS key would).
      expect(synth.json.Resources[ids.rollupDlq].Properties.SqsManagedSseEnabled).toBe(true);
      expect(synth.json.Resources[ids.rollupDlq].Properties.KmsMasterKeyId).toBeUndefined();
      expect(JSON.stringify(statements)).not.toMatch(/kms:/);
      expect(resourcesFor(statements, 'secretsmanager:')).toEqual([{ Ref: ids.salesforceSecret }]);
      expect(JSON.stringify(statements)).not.toMatch(/dynamodb|StripeApiKey|StripeReadKey|webhook/i);
    });

    it('outbound: dedup items, consume its queue, send to its DLQ, Salesforce and Stripe secrets; no webhook secret', () => {
      const statements = roleStatements(synth.json, ids.outboundRole);
      const actions = actionsOf(statements);
      expect(actions).toContain('sqs:ReceiveMessage');
      expect(actions).toContain('sqs:ChangeMessageVisibility');
      const consume = statements.filter((s) => actionsOf([s]).has('sqs:ReceiveMessage'));
      // Its own queue, and the inbound DLQ: the retry command removes a retried event's copies.
      const resources = (list: typeof statements) => list.flatMap((s) => [s.Resource].flat()).map((r) => JSON.stringify(r)).sort();
      expect(resources(consume)).toEqual([{ 'Fn::GetAtt': [ids.outboundQueue, 'Arn'] }, { 'Fn::GetAtt': [ids.dlq, 'Arn'] }].map((r) => JSON.stringify(r)).sort());
      const send = statements.filter((s) => actionsOf([s]).has('sqs:SendMessage'));
      // Its DLQ, and the inbound queue: the retry command enqueues the event again.
      expect(resources(send)).toEqual([{ 'Fn::GetAtt': [ids.outboundDlq, 'Arn'] }, { 'Fn::GetAtt': [ids.queue, 'Arn'] }].map((r) => JSON.stringify(r)).sort());
      expect(synth.json.Resources[ids.outboundFn].Properties.Environment.Variables).toMatchObject({
        INBOUND_QUEUE_URL: { Ref: ids.queue },
        INBOUND_DLQ_URL: { Ref: ids.dlq },
      });
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
    const alarmsById = () =>
      new Map(
        resourcesOfType(synth.json, 'AWS::CloudWatch::Alarm').map(([, a]) => {
          const parsed = parseAlarmDescription(synth.stack.stackName, a.Properties.AlarmName, a.Properties.AlarmDescription);
          return [parsed.id, { ...a.Properties, parsed }] as const;
        }),
      );

    it('builds the alarms an on-call engineer needs, each named, with its first command and runbook entry, notifying the topic', () => {
      const alarms = alarmsById();
      expect([...alarms.keys()].sort()).toEqual(
        [
          'WebhookSignatureRejected',
          'WebhookToleranceRejected',
          'WebhookSizeRejected',
          'Ingress5xx',
          'NoStripeEvents',
          'InboundDlqNewMessages',
          'InboundBacklogAge',
          'OutboundDlqNewMessages',
          'OutboundBacklogAge',
          'RollupDlqNewMessages',
          'RollupBacklogAge',
          'RollupWriterErrors',
          'ConsumerErrors',
          'ConsumerThrottles',
          'ConsumerNearTimeout',
          'OutboundErrors',
          'OutboundThrottles',
          'OutboundNearTimeout',
          'SalesforceUnreachable',
          'StripeUnreachable',
          'ReconcilerEventsRecovered',
          'ReconcilerCheckpointLag',
          'ReconcilerErrors',
        ].sort(),
      );
      // No email configured: the topic exists anyway, so the alarms act and anyone can subscribe.
      const topic = logicalId(synth.stack, synth.stack.operations.alarmTopic);
      synth.template.resourceCountIs('AWS::SNS::Subscription', 0);
      expect(synth.json.Outputs[STACK_OUTPUT.alarmTopicArn].Value).toEqual({ Ref: topic });
      for (const [id, alarm] of alarms) {
        expect(alarm.AlarmName).toBe(`StripeSalesforceBridge-dev-${id}`);
        expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);
        expect(alarm.OKActions).toEqual([{ Ref: topic }]);
        expect(alarm.parsed.runbook).toBe(`docs/runbook.md#${id.toLowerCase()}`);
        expect(alarm.parsed.firstCommand.length).toBeGreaterThan(10);
      }
    });

    it('lets CloudWatch alarms of this account, and nothing else, publish to the topic, over TLS only', () => {
      const topic = logicalId(synth.stack, synth.stack.operations.alarmTopic);
      const policies = resourcesOfType(synth.json, 'AWS::SNS::TopicPolicy');
      expect(policies).toHaveLength(1);
      const [, policy] = policies[0]!;
      expect(policy.Properties.Topics).toEqual([{ Ref: topic }]);
      const statements = policy.Properties.PolicyDocument.Statement;
      const allow = statements.filter((st: any) => st.Effect === 'Allow');
      // Without this Allow the TLS-only policy replaces SNS's default one and nothing may publish.
      expect(allow).toEqual([
        {
          Sid: 'AllowCloudWatchAlarmsOfThisAccount',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: { Ref: topic },
          Condition: {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnLike: {
              'aws:SourceArn': {
                'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*']],
              },
            },
          },
        },
      ]);
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    });

    it('pages on new dead letters, not on a DLQ that is merely not empty', () => {
      const alarms = alarmsById();
      for (const [id, dlq] of [
        ['InboundDlqNewMessages', ids.dlq],
        ['OutboundDlqNewMessages', ids.outboundDlq],
      ] as const) {
        const alarm = alarms.get(id)!;
        expect(alarm).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 2, DatapointsToAlarm: 1 });
        const expression = alarm.Metrics.find((m: any) => m.Expression !== undefined);
        expect(expression.Expression).toBe('FILL(sent, 0) + IF(DIFF(FILL(visible, 0)) > 0, DIFF(FILL(visible, 0)), 0)');
        const stats = Object.fromEntries(alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => [m.Id, m.MetricStat]));
        expect(stats.sent.Metric).toMatchObject({ MetricName: 'NumberOfMessagesSent', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }] });
        expect(stats.visible.Metric).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible' });
        expect(stats.visible.Stat).toBe('Maximum');
      }
    });

    it('counts retried messages in the backlog age: the older of SQS\'s age and what the function received', () => {
      const alarm = alarmsById().get('InboundBacklogAge')!;
      expect(alarm).toMatchObject({ Threshold: 15 * 60, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      expect(alarm.Metrics.find((m: any) => m.Expression).Expression).toBe('MAX([FILL(queued, 0), FILL(received, 0)])');
      const names = alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric.MetricName).sort();
      expect(names).toEqual(['ApproximateAgeOfOldestMessage', 'OldestEventAge-dev']);
      const filter = resourcesOfType(synth.json, 'AWS::Logs::MetricFilter').find(([, f]) => f.Properties.MetricTransformations[0].MetricName === 'OldestEventAge-dev')![1];
      expect(filter.Properties).toMatchObject({
        LogGroupName: { Ref: logicalId(synth.stack, synth.stack.inbound.consumer.logGroup) },
        FilterPattern: '{ $.oldestMessageAgeSeconds >= 0 }',
        MetricTransformations: [{ MetricValue: '$.oldestMessageAgeSeconds' }],
      });
    });

    it('pages on webhook rejections by cause, on no events for 24 hours, on throttles and on durations near the timeout', () => {
      const alarms = alarmsById();
      const filters = resourcesOfType(synth.json, 'AWS::Logs::MetricFilter').map(([, f]) => f.Properties);
      for (const cause of ['signature', 'tolerance', 'size']) {
        const metricName = `WebhooksRejected${cause.charAt(0).toUpperCase()}${cause.slice(1)}-dev`;
        expect(filters.find((f) => f.MetricTransformations[0].MetricName === metricName)).toMatchObject({
          LogGroupName: { Ref: logicalId(synth.stack, synth.stack.ingress.handler.logGroup) },
          FilterPattern: `{ ($.outcome = "rejected") && ($.rejectionCause = "${cause}") }`,
        });
        expect(alarms.get(`Webhook${cause.charAt(0).toUpperCase()}${cause.slice(1)}Rejected`)).toMatchObject({
          MetricName: metricName,
          Statistic: 'Sum',
          Period: 900,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        });
      }
      expect(alarms.get('NoStripeEvents')).toMatchObject({
        MetricName: 'NumberOfMessagesSent',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.queue, 'QueueName'] } }],
        Period: 3600,
        EvaluationPeriods: 24,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      });
      for (const [prefix, fn] of [
        ['Consumer', ids.consumerFn],
        ['Outbound', ids.outboundFn],
      ] as const) {
        expect(alarms.get(`${prefix}Throttles`)).toMatchObject({ MetricName: 'Throttles', Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }], Threshold: 0 });
        expect(alarms.get(`${prefix}Errors`)).toMatchObject({ MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }], Threshold: 0 });
        // 80 % of the 60 s timeout.
        expect(alarms.get(`${prefix}NearTimeout`)).toMatchObject({ MetricName: 'Duration', Statistic: 'Maximum', Threshold: 48_000 });
      }
    });

    it('says "Salesforce unreachable" (and Stripe) from the circuit breakers of both functions', () => {
      const alarms = alarmsById();
      const filters = resourcesOfType(synth.json, 'AWS::Logs::MetricFilter').map(([, f]) => f.Properties);
      for (const [dependency, name] of [
        ['salesforce', 'SalesforceUnreachable'],
        ['stripe', 'StripeUnreachable'],
      ] as const) {
        const publishing = filters.filter((f) => f.MetricTransformations[0].MetricName === `${name}-dev`);
        expect(publishing.map((f) => f.LogGroupName).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
          [
            { Ref: logicalId(synth.stack, synth.stack.inbound.consumer.logGroup) },
            { Ref: logicalId(synth.stack, synth.stack.outbound.handler.logGroup) },
          ].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
        );
        for (const f of publishing) expect(f.FilterPattern).toBe(`{ ($.dependency = "${dependency}") && ($.circuit = "open") }`);
        expect(alarms.get(name)).toMatchObject({ MetricName: `${name}-dev`, Threshold: 0, EvaluationPeriods: 4, DatapointsToAlarm: 1 });
        expect(alarms.get(name)!.parsed.firstCommand).toContain(`/StripeSalesforceBridge-dev/consumer`);
      }
    });

    it('keeps custom metrics to what alarms need (no dimensions), and builds no dashboard unless asked', () => {
      const names = new Set(resourcesOfType(synth.json, 'AWS::Logs::MetricFilter').map(([, f]) => f.Properties.MetricTransformations[0].MetricName));
      expect([...names].sort()).toEqual(
        [
          'WebhooksRejectedSignature-dev',
          'WebhooksRejectedTolerance-dev',
          'WebhooksRejectedSize-dev',
          'OldestEventAge-dev',
          'OldestPaymentRequestAge-dev',
          'SalesforceUnreachable-dev',
          'StripeUnreachable-dev',
          'EventsRecovered-dev',
          'ReconcilerCheckpointLag-dev',
        ].sort(),
      );
      for (const [, f] of resourcesOfType(synth.json, 'AWS::Logs::MetricFilter')) expect(f.Properties.MetricTransformations[0]).not.toHaveProperty('Dimensions');
      synth.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    });

    it('costs 7.10 USD a month at list prices before any event flows', () => {
      const cost = estimateFixedMonthlyCost(synth.json, LIST_PRICES_US_EAST_1);
      expect(Object.fromEntries(cost.lines.map((l) => [l.item, l.quantity]))).toEqual({
        'custom metrics': 9,
        // The roll-up DLQ alarm reads two metrics, its backlog alarm SQS's age alone (no custom metric).
        'alarm metrics': 23 + 5,
        dashboards: 0,
        secrets: 4,
      });
      expect(cost.total).toBe(7.1);
    });

    it('names the functions\' log groups after the stack, as the alarms\' commands do', () => {
      for (const [fn, role] of [
        [synth.stack.ingress.handler, 'ingress'],
        [synth.stack.inbound.consumer, 'consumer'],
        [synth.stack.outbound.handler, 'outbound'],
        [synth.stack.reconciler!.handler, 'reconciler'],
        [synth.stack.inbound.rollups.writer, 'rollup-writer'],
      ] as const) {
        expect(synth.json.Resources[logicalId(synth.stack, fn.logGroup)].Properties.LogGroupName).toBe(`/StripeSalesforceBridge-dev/${role}`);
      }
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

  describeNagContract(() => synth.app);
});

describe('deployed bundles', () => {
  let deployed: DeployedBundle;

  // The default deployment above is synthesized with placeholder code; NodejsFunction bundles
  // the smallest entry point here, through the esbuild CLI as `cdk synth` does.
  beforeAll(() => {
    deployed = deployedBundle('ingress');
  });

  it('are byte for byte what `npm run build` produces from the shared esbuild options', async () => {
    const built = await bridgeBundle('ingress');
    expect(deployed.code).toBe(built.code);
    expect(Object.keys(deployed.meta.inputs).sort()).toEqual(Object.keys(built.meta.inputs).sort());
  });

  // Read from the `npm run build` bundles (test/support/bundles.ts), which the test above shows
  // are the deployed ones: one esbuild run each instead of a NodejsFunction bundling each. What the
  // ingress bundle holds (no jsforce, stripe, DynamoDB client, zod) is test/ingress/bundle.test.ts's.
  it.each(['consumer', 'outbound'] as const)('%s carries none of what jsforce pulls in that the bridge never calls (metafile)', async (name) => {
    const inputs = Object.keys((await bridgeBundle(name)).meta.inputs);
    expect(inputs.some((p) => p.includes('node_modules/jsforce/'))).toBe(true);
    expect(inputs.filter((p) => /node_modules\/(undici|form-data|mime-db|mime-types|xml2js|csv-parse)\//.test(p))).toEqual([]);
  });

  it.each(Object.keys(BRIDGE_ENTRIES) as BridgeEntryName[])('%s is one ESM file that imports only Node built-ins', async (name) => {
    const { code, externalImports } = await bridgeBundle(name);
    expect(code.startsWith("import { createRequire as __bridgeCreateRequire } from 'node:module';")).toBe(true);
    expect(externalImports.filter((p) => !isBuiltin(p))).toEqual([]);
  });
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
      dashboard: 'true',
      consumerSettings: 'FAILED_PAYMENT_TASKS=off,RENEWAL_TASK_DAYS=14',
    });
  });
  afterAll(() => synth?.dispose());

  it("sets the consumer's behaviour switches the deployer chose, and only those", () => {
    const consumer = synth.json.Resources[logicalId(synth.stack, synth.stack.inbound.consumer.function)];
    const variables = consumer.Properties.Environment.Variables;
    expect(variables).toMatchObject({ FAILED_PAYMENT_TASKS: 'off', RENEWAL_TASK_DAYS: '14' });
    expect(variables.ONBOARDING_TASKS).toBeUndefined();
  });

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

  it('emails every alarm and its recovery through the TLS-only topic CloudWatch may publish to', () => {
    synth.template.resourceCountIs('AWS::SNS::Topic', 1);
    synth.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    const topic = logicalId(synth.stack, synth.stack.operations.alarmTopic);
    synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topic }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
        ]),
      },
    });
    for (const [, alarm] of resourcesOfType(synth.json, 'AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topic }]);
    }
  });

  it('pages when Event Relay deliveries fail or the relay goes quiet for 48 hours', () => {
    const s = synth.stack;
    const byName = new Map(resourcesOfType(synth.json, 'AWS::CloudWatch::Alarm').map(([, a]) => [a.Properties.AlarmName, a.Properties]));
    const dimensions = [
      { Name: 'EventBusName', Value: { Ref: logicalId(s, s.outbound.eventBus!) } },
      { Name: 'RuleName', Value: { Ref: logicalId(s, s.outbound.rule!) } },
    ];
    const sorted = (d: Array<{ Name: string }>) => [...d].sort((a, b) => a.Name.localeCompare(b.Name));
    const failed = byName.get('StripeSalesforceBridge-prod-EventRelayDeliveryFailed');
    expect(failed).toMatchObject({ Namespace: 'AWS/Events', MetricName: 'FailedInvocations', Threshold: 0 });
    expect(sorted(failed.Dimensions)).toEqual(dimensions);
    const silent = byName.get('StripeSalesforceBridge-prod-EventRelaySilent');
    expect(silent).toMatchObject({ MetricName: 'MatchedEvents', Period: 3600, EvaluationPeriods: 48, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching' });
    expect(sorted(silent.Dimensions)).toEqual(dimensions);
  });

  it('builds the dashboard on request, counting outcomes with Logs Insights rather than more custom metrics', () => {
    const dashboards = resourcesOfType(synth.json, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]![1].Properties.DashboardBody);
    expect(body).toContain('stats count(*) by outcome, bin(5m)');
    expect(body).toContain(logicalId(synth.stack, synth.stack.inbound.consumer.logGroup));
    const metrics = new Set(resourcesOfType(synth.json, 'AWS::Logs::MetricFilter').map(([, f]) => f.Properties.MetricTransformations[0].MetricName));
    // 9, and the Event Relay's status from the reconciler's housekeeping once Salesforce is connected.
    expect(metrics.size).toBe(10);
  });

  it('matches the runbook: its alarm table is this stack\'s alarms, and each has an entry', () => {
    const runbook = readFileSync(join(REPO_ROOT, 'docs/runbook.md'), 'utf8');
    const rendered = renderAlarmTable(synth.json, synth.stack.stackName, { [synth.stack.outbound.eventBusName!]: '<partner event source>' });
    const start = runbook.indexOf(ALARM_TABLE_START);
    const end = runbook.indexOf(ALARM_TABLE_END);
    expect(start, 'docs/runbook.md needs the alarm table markers').toBeGreaterThanOrEqual(0);
    // On a mismatch, paste the expected table between the markers of docs/runbook.md.
    expect(runbook.slice(start + ALARM_TABLE_START.length, end).trim()).toBe(rendered);
    for (const [, alarm] of resourcesOfType(synth.json, 'AWS::CloudWatch::Alarm')) {
      const { id } = parseAlarmDescription(synth.stack.stackName, alarm.Properties.AlarmName, alarm.Properties.AlarmDescription);
      expect(runbook, `a runbook entry for ${id}`).toContain(`<a id="${id.toLowerCase()}"></a>`);
    }
  });

  it('reports the fixed monthly cost of both configurations from their templates', () => {
    const connected = estimateFixedMonthlyCost(synth.json, LIST_PRICES_US_EAST_1);
    const quantities = Object.fromEntries(connected.lines.map((l) => [l.item, l.quantity]));
    expect(quantities).toEqual({
      // With Salesforce connected, the reconciler's EventRelayUnhealthy adds a metric and an alarm.
      'custom metrics': 10,
      // 26 alarms; the three DLQ and two backlog alarms read two metrics each.
      'alarm metrics': 26 + 5,
      dashboards: 1,
      // The webhook secret is imported here: the owner pays for it elsewhere.
      secrets: 3,
    });
    expect(connected.total).toBeCloseTo(10 * 0.3 + 31 * 0.1 + 3 + 3 * 0.4, 2);
    // The free tier is the account's, shared: only subtracted when asked to.
    expect(estimateFixedMonthlyCost(synth.json, LIST_PRICES_US_EAST_1, CLOUDWATCH_FREE_TIER).total).toBeCloseTo(0 + 21 * 0.1 + 0 + 3 * 0.4, 2);
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
