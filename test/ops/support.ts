/**
 * Test kit for the ops CLI: a small in-memory DLQ behind aws-sdk-client-mock (receive hides
 * messages, visibility 0 shows them, delete removes them), a log of every AWS command in order,
 * a clock that only moves when slept, and captured output. The mocks stub one SQS and one
 * CloudFormation client instance, which the CLI gets through its `awsClients` seam: no client
 * class is patched, so the other files of a worker never meet them.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  type Message,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { ATTR, buildInboundMessage, failureAttributes } from '../../src/ingress/inbound-message.js';
import type { Clock } from '../../src/ops/clock.js';
import { runCli, type AwsClientConfig, type AwsClientFactory } from '../../src/ops/cli.js';

export const NOW = Date.parse('2026-06-01T12:00:00Z');
export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const queueUrl = (name: string): string => `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;
export const queueArn = (name: string): string => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;

export const INBOUND_QUEUE = 'bridge-inbound';
export const INBOUND_DLQ = 'bridge-inbound-dlq';
export const OUTBOUND_QUEUE = 'bridge-outbound';
export const OUTBOUND_DLQ = 'bridge-outbound-dlq';

export interface LoggedCall {
  readonly command: string;
  readonly input: any;
  /** The event id of the message a SendMessage/DeleteMessage was about. */
  subject?: string | undefined;
}

export function fakeClock(start = NOW): Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

interface StoredMessage {
  message: Message;
  visibleAt: number;
  handle: string;
  receives: number;
}

let handles = 0;

const FAKE_AWS = { region: REGION, credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' } };

/** Stand-in for the SQS queues the CLI touches; behaviour modelled on the SQS API. */
export class FakeSqs {
  readonly log: LoggedCall[] = [];
  readonly queues = new Map<string, StoredMessage[]>();
  /** The SQS client the code under test is given (the CLI through `clients`, an app directly). */
  readonly client = new SQSClient(FAKE_AWS);
  readonly sqs = mockClient(this.client);
  readonly cloudFormation = new CloudFormationClient(FAKE_AWS);
  readonly cfn = mockClient(this.cloudFormation);
  /** The settings the CLI asked for each client with, in order. */
  readonly clientConfigs: { readonly sqs: AwsClientConfig[]; readonly cloudFormation: AwsClientConfig[] } = { sqs: [], cloudFormation: [] };
  /** The CLI's `awsClients`: the mocked instances, whatever the options. */
  readonly clients: AwsClientFactory = {
    sqs: (config) => {
      this.clientConfigs.sqs.push(config);
      return this.client;
    },
    cloudFormation: (config) => {
      this.clientConfigs.cloudFormation.push(config);
      return this.cloudFormation;
    },
  };
  moveTaskStatuses: string[] = ['RUNNING', 'COMPLETED'];

  constructor(readonly clock: Clock) {
    this.on(ReceiveMessageCommand, (input) => this.receive(input));
    this.on(ChangeMessageVisibilityBatchCommand, (input) => {
      for (const entry of input.Entries) this.find(input.QueueUrl, entry.ReceiptHandle).visibleAt = this.clock.now() + entry.VisibilityTimeout * 1000;
      return { Successful: input.Entries.map((e: any) => ({ Id: e.Id })), Failed: [] };
    });
    this.on(DeleteMessageCommand, (input) => {
      const stored = this.find(input.QueueUrl, input.ReceiptHandle);
      this.lastCall().subject = stored.message.MessageAttributes?.[ATTR.eventId]?.StringValue;
      this.queue(input.QueueUrl).splice(this.queue(input.QueueUrl).indexOf(stored), 1);
      return {};
    });
    this.on(SendMessageCommand, (input) => {
      this.lastCall().subject = input.MessageAttributes?.[ATTR.eventId]?.StringValue;
      const id = `sent-${++handles}`;
      this.queue(input.QueueUrl).push({
        message: { MessageId: id, Body: input.MessageBody, MessageAttributes: input.MessageAttributes },
        visibleAt: 0,
        handle: '',
        receives: 0,
      });
      return { MessageId: id };
    });
    this.on(GetQueueAttributesCommand, (input) => {
      const messages = this.queue(input.QueueUrl);
      const visible = messages.filter((m) => m.visibleAt <= this.clock.now()).length;
      return {
        Attributes: {
          QueueArn: queueArn(input.QueueUrl.split('/').pop()),
          ApproximateNumberOfMessages: String(visible),
          ApproximateNumberOfMessagesNotVisible: String(messages.length - visible),
          ApproximateNumberOfMessagesDelayed: '0',
        },
      };
    });
    this.on(PurgeQueueCommand, (input) => {
      this.queues.set(input.QueueUrl, []);
      return {};
    });
    this.on(StartMessageMoveTaskCommand, () => ({ TaskHandle: 'task-handle-1' }));
    this.on(ListMessageMoveTasksCommand, (input) => {
      const status = this.moveTaskStatuses.shift() ?? 'COMPLETED';
      return {
        Results: [
          {
            ...(status === 'RUNNING' ? { TaskHandle: 'task-handle-1' } : {}),
            Status: status,
            SourceArn: input.SourceArn,
            ApproximateNumberOfMessagesMoved: status === 'RUNNING' ? 1 : 3,
            ApproximateNumberOfMessagesToMove: 3,
            ...(status === 'FAILED' ? { FailureReason: 'AccessDenied' } : {}),
          },
        ],
      };
    });
  }

  private on(command: any, impl: (input: any) => unknown): void {
    this.sqs.on(command).callsFake(async (input: any) => {
      this.log.push({ command: command.name.replace(/Command$/, ''), input });
      return impl(input);
    });
  }

  private lastCall(): LoggedCall {
    const call = this.log.at(-1);
    if (call === undefined) throw new Error('no call logged');
    return call;
  }

  /** SendMessage and DeleteMessage calls in order, each with the event id it was about. */
  sendsAndDeletes(): string[] {
    return this.log
      .filter((c) => c.command === 'SendMessage' || c.command === 'DeleteMessage')
      .map((c) => `${c.command === 'SendMessage' ? 'send' : 'delete'} ${c.subject ?? '?'}`);
  }

  queue(url: string): StoredMessage[] {
    let messages = this.queues.get(url);
    if (messages === undefined) {
      messages = [];
      this.queues.set(url, messages);
    }
    return messages;
  }

  private find(url: string, handle: string): StoredMessage {
    const stored = this.queue(url).find((m) => m.handle === handle);
    if (stored === undefined) throw Object.assign(new Error('The receipt handle is not valid'), { name: 'ReceiptHandleIsInvalid' });
    return stored;
  }

  private receive(input: any): { Messages: Message[] } {
    const now = this.clock.now();
    const ready = this.queue(input.QueueUrl)
      .filter((m) => m.visibleAt <= now)
      .slice(0, input.MaxNumberOfMessages ?? 1);
    for (const stored of ready) {
      stored.receives += 1;
      stored.handle = `handle-${++handles}`;
      stored.visibleAt = now + (input.VisibilityTimeout ?? 30) * 1000;
    }
    return {
      Messages: ready.map((s) => ({
        ...s.message,
        ReceiptHandle: s.handle,
        Attributes: { ...s.message.Attributes, ApproximateReceiveCount: String(s.receives) },
      })),
    };
  }

  /** Adds messages to a queue as if they had been sent earlier. */
  seed(url: string, messages: readonly Message[]): void {
    for (const message of messages) this.queue(url).push({ message, visibleAt: 0, handle: '', receives: 0 });
  }

  ids(url: string): string[] {
    return this.queue(url).map((m) => m.message.MessageId ?? '');
  }

  /** Messages that a receive right now would return. */
  visibleIds(url: string): string[] {
    return this.queue(url)
      .filter((m) => m.visibleAt <= this.clock.now())
      .map((m) => m.message.MessageId ?? '');
  }

  commands(): string[] {
    return this.log.map((c) => c.command);
  }

  /** Puts the clients' own `send` back (only these two instances were ever stubbed). */
  restore(): void {
    this.sqs.restore();
    this.cfn.restore();
  }
}

export interface InboundSeed {
  readonly eventId: string;
  readonly type: string;
  readonly created?: number;
  /** Dead-lettered by the consumer with a reason; otherwise moved by the redrive policy. */
  readonly failure?: { code: string; reason: string; failedAt: Date };
  readonly sentAt?: number;
}

/** An inbound DLQ message shaped exactly as the ingress builds it (plus the consumer's failure notes). */
export function inboundMessage(seed: InboundSeed): Message {
  const created = seed.created ?? Math.floor(NOW / 1000) - 3600;
  const eventJson = JSON.stringify({
    id: seed.eventId,
    object: 'event',
    type: seed.type,
    created,
    livemode: false,
    api_version: '2026-10-28.endive',
    data: { object: { id: 'pi_test_fake_1', object: 'payment_intent', receipt_email: 'person@example.com' } },
  });
  const built = buildInboundMessage(eventJson, { id: seed.eventId, type: seed.type, created, livemode: false, apiVersion: '2026-10-28.endive' }, 256 * 1024);
  const attributes: Record<string, MessageAttributeValue> = {
    ...built.MessageAttributes,
    ...(seed.failure === undefined ? {} : failureAttributes({ ...seed.failure, receiveCount: 5 })),
  };
  return {
    MessageId: `msg-${seed.eventId}`,
    Body: built.MessageBody,
    MessageAttributes: attributes,
    Attributes: { SentTimestamp: String(seed.sentAt ?? seed.failure?.failedAt.getTime() ?? NOW - 7200_000) },
  };
}

export interface OutboundSeed {
  readonly eventId: string;
  readonly opportunityId: string;
  /** Who dead-lettered it: the outbound function (with the bridge's failure attributes), the rule, or an older version's async invocation. */
  readonly source: 'function' | 'rule' | 'async';
  readonly sentAt?: number;
}

/** An outbound DLQ message as the outbound function, EventBridge's target DLQ or Lambda's async DLQ delivers it. */
export function outboundMessage(seed: OutboundSeed): Message {
  const event = {
    version: '0',
    id: seed.eventId,
    'detail-type': 'Stripe_Payment_Request__e',
    source: 'aws.partner/salesforce.com/00Dxx0000000000/0YLxx0000000000',
    account: ACCOUNT,
    time: new Date(NOW - 600_000).toISOString(),
    region: REGION,
    resources: [],
    detail: { payload: { Opportunity_Id__c: seed.opportunityId, Mode__c: 'invoice' } },
  };
  const str = (v: string): MessageAttributeValue => ({ DataType: 'String', StringValue: v });
  const attributes: Record<string, MessageAttributeValue> =
    seed.source === 'function'
      ? failureAttributes({ code: 'OPPORTUNITY_NOT_FOUND', reason: 'Opportunity does not exist', failedAt: new Date(NOW - 300_000), receiveCount: 3 })
      : seed.source === 'rule'
        ? {
            ERROR_CODE: str('SDK_CLIENT_ERROR'),
            ERROR_MESSAGE: str('Queue unavailable'),
            RULE_ARN: str(`arn:aws:events:${REGION}:${ACCOUNT}:rule/bridge-payment-request`),
            TARGET_ARN: str(queueArn(OUTBOUND_QUEUE)),
          }
        : { ErrorCode: str('200'), ErrorMessage: str('Opportunity has no Account'), RequestID: str('req-1') };
  return {
    MessageId: `msg-${seed.eventId}`,
    Body: JSON.stringify(event),
    MessageAttributes: attributes,
    Attributes: { SentTimestamp: String(seed.sentAt ?? NOW - 600_000) },
  };
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string[];
  readonly stderr: string[];
}

/**
 * Runs the CLI on the fake's clients and clock, against explicit queue URLs (no stack lookup)
 * unless the args name a stack.
 */
export async function cli(args: readonly string[], aws: FakeSqs, env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(args, {
    env,
    clock: aws.clock,
    awsClients: aws.clients,
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
  });
  return { code, stdout, stderr };
}

export const INBOUND_ARGS = ['--region', REGION, '--dlq-url', queueUrl(INBOUND_DLQ), '--queue-url', queueUrl(INBOUND_QUEUE)];
export const OUTBOUND_ARGS = ['--region', REGION, '--queue', 'outbound', '--dlq-url', queueUrl(OUTBOUND_DLQ), '--queue-url', queueUrl(OUTBOUND_QUEUE)];

export { ATTR, DescribeStacksCommand };
