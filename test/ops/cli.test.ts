import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { SQSClient, type Message } from '@aws-sdk/client-sqs';
import { ATTR } from '../../src/ingress/inbound-message.js';
import { STACK_OUTPUT } from '../../src/stack-outputs.js';
import {
  FakeSqs,
  INBOUND_ARGS,
  INBOUND_DLQ,
  INBOUND_QUEUE,
  NOW,
  OUTBOUND_DLQ,
  OUTBOUND_QUEUE,
  REGION,
  cli,
  fakeClock,
  inboundMessage,
  outboundMessage,
  queueArn,
  queueUrl,
} from './support.js';

let clock: ReturnType<typeof fakeClock>;
let aws: FakeSqs;

beforeEach(() => {
  clock = fakeClock();
  aws = new FakeSqs(clock);
});
afterEach(() => aws.restore());

function stackOutputs(stackName: string): void {
  const outputs = {
    [STACK_OUTPUT.inboundQueueUrl]: queueUrl(INBOUND_QUEUE),
    [STACK_OUTPUT.inboundQueueArn]: queueArn(INBOUND_QUEUE),
    [STACK_OUTPUT.inboundDlqUrl]: queueUrl(INBOUND_DLQ),
    [STACK_OUTPUT.inboundDlqArn]: queueArn(INBOUND_DLQ),
    [STACK_OUTPUT.outboundQueueUrl]: queueUrl(OUTBOUND_QUEUE),
    [STACK_OUTPUT.outboundQueueArn]: queueArn(OUTBOUND_QUEUE),
    [STACK_OUTPUT.outboundDlqUrl]: queueUrl(OUTBOUND_DLQ),
    [STACK_OUTPUT.outboundDlqArn]: queueArn(OUTBOUND_DLQ),
  };
  aws.cfn.on(DescribeStacksCommand, { StackName: stackName }).resolves({
    Stacks: [
      {
        StackName: stackName,
        CreationTime: new Date(0),
        StackStatus: 'UPDATE_COMPLETE',
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
}

describe('stack output resolution', () => {
  it('--stage reads both DLQs from StripeSalesforceBridge-<stage>', async () => {
    stackOutputs('StripeSalesforceBridge-prod');
    aws.seed(queueUrl(INBOUND_DLQ), [inboundMessage({ eventId: 'evt_1', type: 'invoice.paid' })]);

    const run = await cli(['dlq', 'stats', '--stage', 'prod', '--region', REGION, '--json'], aws);

    expect(run.code).toBe(0);
    expect(aws.cfn.commandCalls(DescribeStacksCommand)).toHaveLength(1);
    const stats = JSON.parse(run.stdout.join('\n'));
    expect(stats.map((s: any) => [s.queue, s.depth])).toEqual([
      ['inbound', 1],
      ['outbound', 0],
    ]);
    const asked = aws.log.filter((c) => c.command === 'GetQueueAttributes').map((c) => c.input.QueueUrl);
    expect(asked).toEqual([queueUrl(INBOUND_DLQ), queueUrl(OUTBOUND_DLQ)]);
  });

  it('--stack uses the ARNs from the outputs for a whole-queue redrive', async () => {
    stackOutputs('my-bridge');
    const run = await cli(['dlq', 'replay', '--all', '--stack', 'my-bridge', '--region', REGION], aws);
    expect(run.code).toBe(0);
    const start = aws.log.find((c) => c.command === 'StartMessageMoveTask');
    expect(start?.input).toMatchObject({ SourceArn: queueArn(INBOUND_DLQ), DestinationArn: queueArn(INBOUND_QUEUE) });
    expect(aws.log.filter((c) => c.command === 'GetQueueAttributes').map((c) => c.input.AttributeNames)).toEqual([['ApproximateNumberOfMessages']]);
  });

  it('the stack names the outbound queue for outbound replay', async () => {
    stackOutputs('StripeSalesforceBridge-staging');
    aws.seed(queueUrl(OUTBOUND_DLQ), [outboundMessage({ eventId: 'eb-1', opportunityId: '006xx000001AAAA', source: 'function' })]);
    const run = await cli(['dlq', 'replay', '--queue', 'outbound', '--all', '--stage', 'staging', '--region', REGION], aws);
    expect(run.code).toBe(0);
    expect(aws.log.find((c) => c.command === 'StartMessageMoveTask')?.input).toMatchObject({
      SourceArn: queueArn(OUTBOUND_DLQ),
      DestinationArn: queueArn(OUTBOUND_QUEUE),
    });
  });

  it('explicit URLs override the stack and their ARNs are asked of SQS', async () => {
    stackOutputs('StripeSalesforceBridge-prod');
    const otherDlq = queueUrl('other-dlq');
    const run = await cli(['dlq', 'replay', '--all', '--stage', 'prod', '--dlq-url', otherDlq, '--region', REGION], aws);
    expect(run.code).toBe(0);
    expect(aws.log.find((c) => c.command === 'StartMessageMoveTask')?.input).toMatchObject({
      SourceArn: queueArn('other-dlq'),
      DestinationArn: queueArn(INBOUND_QUEUE),
    });
  });

  it('--profile and --region reach the AWS clients', async () => {
    // Through the stack, so both clients are built: CloudFormation for its outputs, then SQS.
    stackOutputs('StripeSalesforceBridge-prod');
    const run = await cli(['dlq', 'stats', '--profile', 'bridge-ops', '--region', 'eu-west-1', '--stage', 'prod'], aws);
    expect(run.code).toBe(0);
    const selected = { profile: 'bridge-ops', region: 'eu-west-1' };
    expect(aws.clientConfigs.sqs).toEqual([selected]);
    expect(aws.clientConfigs.cloudFormation).toEqual([selected]);
    // The settings as an SQS client built from them resolves them (the CLI's default factory).
    const config = new SQSClient(aws.clientConfigs.sqs[0]!).config;
    expect({ profile: config.profile, region: await config.region() }).toEqual({ profile: 'bridge-ops', region: 'eu-west-1' });
  });

  it('a missing stack is one error line and exit status 1', async () => {
    aws.cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id StripeSalesforceBridge-nope does not exist'), { name: 'ValidationError' }));
    const run = await cli(['dlq', 'stats', '--stage', 'nope', '--region', REGION], aws);
    expect(run.code).toBe(1);
    expect(run.stderr).toEqual(['error: ValidationError: Stack with id StripeSalesforceBridge-nope does not exist']);
  });

  it('without a stack or URLs it says what to pass (usage error)', async () => {
    const run = await cli(['dlq', 'peek', '--region', REGION], aws);
    expect(run.code).toBe(2);
    expect(run.stderr[0]).toContain('pass --stage STAGE or --stack NAME');
  });
});

describe('the roll-up DLQ (--queue rollups)', () => {
  const ROLLUP_QUEUE = 'bridge-rollups';
  const ROLLUP_DLQ = 'bridge-rollups-dlq';
  const rollupMessage = (id: string): Message => ({
    MessageId: id,
    Body: JSON.stringify({
      kind: 'account-rollups',
      computedAt: 1,
      mutations: [{ sobject: 'Account', key: { field: 'Id', value: '001000000000001AAA' }, fields: { Stripe_Rollup_Version__c: 5 }, skipIfMissing: true }],
    }),
    Attributes: { SentTimestamp: String(NOW - 60_000), ApproximateReceiveCount: '473' },
  });
  function withRollupOutputs(stackName: string): void {
    aws.cfn.on(DescribeStacksCommand, { StackName: stackName }).resolves({
      Stacks: [
        {
          StackName: stackName,
          CreationTime: new Date(0),
          StackStatus: 'UPDATE_COMPLETE',
          Outputs: Object.entries({
            [STACK_OUTPUT.inboundDlqUrl]: queueUrl(INBOUND_DLQ),
            [STACK_OUTPUT.outboundDlqUrl]: queueUrl(OUTBOUND_DLQ),
            [STACK_OUTPUT.rollupQueueUrl]: queueUrl(ROLLUP_QUEUE),
            [STACK_OUTPUT.rollupQueueArn]: queueArn(ROLLUP_QUEUE),
            [STACK_OUTPUT.rollupDlqUrl]: queueUrl(ROLLUP_DLQ),
            [STACK_OUTPUT.rollupDlqArn]: queueArn(ROLLUP_DLQ),
          }).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    });
  }

  it('lists it with the others, peeks at it without printing figures, and redrives it to the roll-up queue', async () => {
    withRollupOutputs('StripeSalesforceBridge-prod');
    aws.seed(queueUrl(ROLLUP_DLQ), [rollupMessage('rollup-msg-1')]);

    const stats = await cli(['dlq', 'stats', '--stage', 'prod', '--region', REGION, '--json'], aws);
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout.join('\n')).map((s: any) => [s.queue, s.depth])).toEqual([
      ['inbound', 0],
      ['outbound', 0],
      ['rollups', 1],
    ]);

    const peek = await cli(['dlq', 'peek', '--queue', 'rollups', '--stage', 'prod', '--region', REGION], aws);
    expect(peek.code).toBe(0);
    const table = peek.stdout.join('\n');
    expect(table).toContain('rollup-msg-1');
    expect(table).toContain('account-rollups (1 Account)');
    expect(table).not.toContain('Stripe_Rollup_Version__c');

    const replay = await cli(['dlq', 'replay', '--queue', 'rollups', '--all', '--stage', 'prod', '--region', REGION], aws);
    expect(replay.code).toBe(0);
    expect(aws.log.find((c) => c.command === 'StartMessageMoveTask')?.input).toMatchObject({ SourceArn: queueArn(ROLLUP_DLQ), DestinationArn: queueArn(ROLLUP_QUEUE) });
  });

  it('refuses a queue it does not know', async () => {
    const run = await cli(['dlq', 'peek', '--queue', 'accounts', '--stage', 'prod', '--region', REGION], aws);
    expect(run.code).toBe(2);
    expect(run.stderr[0]).toContain('expected inbound, outbound or rollups');
  });
});

describe('dlq purge', () => {
  it('refuses without --yes, says why, and touches nothing', async () => {
    aws.seed(queueUrl(INBOUND_DLQ), [inboundMessage({ eventId: 'evt_1', type: 'invoice.paid' })]);
    const run = await cli(['dlq', 'purge', ...INBOUND_ARGS], aws);
    expect(run.code).toBe(2);
    expect(run.stderr[0]).toContain('Refusing to purge the inbound DLQ without --yes');
    expect(aws.log).toEqual([]);
    expect(aws.ids(queueUrl(INBOUND_DLQ))).toEqual(['msg-evt_1']);
  });

  it('purges the chosen DLQ with --yes', async () => {
    aws.seed(queueUrl(INBOUND_DLQ), [inboundMessage({ eventId: 'evt_1', type: 'invoice.paid' })]);
    const run = await cli(['dlq', 'purge', '--yes', ...INBOUND_ARGS], aws);
    expect(run.code).toBe(0);
    expect(aws.log.find((c) => c.command === 'PurgeQueue')?.input).toEqual({ QueueUrl: queueUrl(INBOUND_DLQ) });
    expect(run.stdout[0]).toContain('~1 message(s) deleted');
  });
});

describe('usage', () => {
  it('--help works for every command and exits 0', async () => {
    for (const args of [['--help'], ['dlq', '--help'], ['dlq', 'stats', '--help'], ['dlq', 'peek', '-h'], ['dlq', 'replay', '--help'], ['dlq', 'purge', '--help'], ['replay-event', '--help']]) {
      const run = await cli(args, aws);
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout.join('\n'), args.join(' ')).toMatch(/^Usage: stripe-sf-bridge/);
    }
    expect(aws.log).toEqual([]);
  });

  it('unknown commands and options are usage errors (exit 2) on one line', async () => {
    for (const args of [['dlq', 'drain'], ['dlq', 'peek', '--bogus'], ['dlq', 'replay'], ['dlq', 'replay', '--since', 'yesterday'], ['nonsense'], ['dlq', 'peek', '--queue', 'sideways']]) {
      const run = await cli(args, aws);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toHaveLength(1);
      expect(run.stderr[0], args.join(' ')).toMatch(/^error: /);
    }
  });

  it('--debug prints the stack trace', async () => {
    const run = await cli(['dlq', 'drain', '--debug'], aws);
    expect(run.code).toBe(2);
    expect(run.stderr[0]).toMatch(/^UsageError: Unknown command: dlq drain .*\n\s+at /);
  });
});

describe('replay-event (stripe client over HTTP against a stand-in)', () => {
  const SECRET_KEY = 'sk_test_fake_ops_cli';
  let server: Server;
  let apiUrl: string;
  const requests: { path: string | undefined; auth: string | undefined }[] = [];
  const events = new Map<string, Record<string, unknown>>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push({ path: req.url, auth: req.headers.authorization });
      const id = /^\/v1\/events\/([^/?]+)/.exec(req.url ?? '')?.[1];
      const event = id === undefined ? undefined : events.get(decodeURIComponent(id));
      res.setHeader('content-type', 'application/json');
      res.setHeader('request-id', 'req_test_fake');
      if (req.headers.authorization !== `Bearer ${SECRET_KEY}`) {
        res.statusCode = 401;
        res.end(JSON.stringify({ error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } }));
      } else if (event === undefined) {
        res.statusCode = 404;
        res.end(JSON.stringify({ error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such event: '${id}'` } }));
      } else {
        res.end(JSON.stringify(event));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  });

  const event = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: 1_780_000_000,
    livemode: false,
    pending_webhooks: 0,
    request: { id: null, idempotency_key: null },
    type: 'invoice.paid',
    data: { object: { id: 'in_test_fake_1', object: 'invoice', ...extra } },
  });

  it('fetches the event by id and enqueues it as the ingress would', async () => {
    events.set('evt_missed1', event('evt_missed1'));
    const env = { STRIPE_SECRET_KEY: SECRET_KEY, STRIPE_API_URL: apiUrl };

    const run = await cli(['replay-event', 'evt_missed1', ...INBOUND_ARGS], aws, env);

    expect(run.code).toBe(0);
    expect(requests.at(-1)).toEqual({ path: '/v1/events/evt_missed1', auth: `Bearer ${SECRET_KEY}` });
    const send = aws.log.find((c) => c.command === 'SendMessage');
    expect(send?.input.QueueUrl).toBe(queueUrl(INBOUND_QUEUE));
    expect(JSON.parse(send?.input.MessageBody)).toEqual(event('evt_missed1'));
    expect(send?.input.MessageAttributes[ATTR.eventId].StringValue).toBe('evt_missed1');
    expect(send?.input.MessageAttributes[ATTR.eventType].StringValue).toBe('invoice.paid');
    expect(send?.input.MessageAttributes[ATTR.eventCreated]).toEqual({ DataType: 'Number', StringValue: '1780000000' });
    expect(send?.input.MessageAttributes[ATTR.payload].StringValue).toBe('inline');
    expect(run.stdout).toEqual(['enqueued      evt_missed1  invoice.paid']);
  });

  it('sends an event too large for SQS as a reference', async () => {
    events.set('evt_huge1', event('evt_huge1', { description: 'x'.repeat(300 * 1024) }));
    const run = await cli(['replay-event', 'evt_huge1', ...INBOUND_ARGS], aws, { STRIPE_SECRET_KEY: SECRET_KEY, STRIPE_API_URL: apiUrl });
    expect(run.code).toBe(0);
    const send = aws.log.find((c) => c.command === 'SendMessage');
    expect(JSON.parse(send?.input.MessageBody)).toEqual({ stripe_event_reference: 'evt_huge1' });
    expect(send?.input.MessageAttributes[ATTR.payload].StringValue).toBe('reference');
  });

  it('reports an unknown event, enqueues the others, and exits 1', async () => {
    events.set('evt_known1', event('evt_known1'));
    const run = await cli(['replay-event', 'evt_gone1', 'evt_known1', ...INBOUND_ARGS], aws, { STRIPE_SECRET_KEY: SECRET_KEY, STRIPE_API_URL: apiUrl });
    expect(run.code).toBe(1);
    expect(run.stdout[0]).toMatch(/^failed\s+evt_gone1\s+\?\s+resource_missing: No such event: 'evt_gone1'$/);
    expect(aws.log.filter((c) => c.command === 'SendMessage').map((c) => c.subject)).toEqual(['evt_known1']);
  });

  it('--dry-run fetches but does not enqueue', async () => {
    events.set('evt_dry1', event('evt_dry1'));
    const run = await cli(['replay-event', 'evt_dry1', '--dry-run', ...INBOUND_ARGS], aws, { STRIPE_SECRET_KEY: SECRET_KEY, STRIPE_API_URL: apiUrl });
    expect(run.code).toBe(0);
    expect(aws.commands()).not.toContain('SendMessage');
    expect(run.stdout[0]).toContain('would-enqueue');
  });

  it('needs STRIPE_SECRET_KEY and an evt_ id (usage errors)', async () => {
    const noKey = await cli(['replay-event', 'evt_x1', ...INBOUND_ARGS], aws, {});
    expect(noKey.code).toBe(2);
    expect(noKey.stderr[0]).toContain('Set STRIPE_SECRET_KEY');
    const notEvent = await cli(['replay-event', 'pi_123', ...INBOUND_ARGS], aws, { STRIPE_SECRET_KEY: SECRET_KEY });
    expect(notEvent.code).toBe(2);
    expect(aws.log).toEqual([]);
  });
});
