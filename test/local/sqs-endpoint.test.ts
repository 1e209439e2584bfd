/**
 * The local queues over SQS's JSON protocol, driven by the real `@aws-sdk/client-sqs` with the
 * same commands the operator CLI and the consumer send. The SDK checks the MD5 of every body it
 * sends and receives, so a wrong digest fails these tests.
 * Protocol: "Making query API requests using AWS JSON protocol in Amazon SQS" and "Interpreting
 * Amazon SQS JSON API responses", SQS Developer Guide (docs.aws.amazon.com/AWSSimpleQueueService).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { localAwsConfig } from '../../src/ops/local-aws.js';
import { LocalQueue } from '../../src/local/local-queue.js';
import { createSqsEndpoint, md5OfMessageAttributes, type SqsEndpoint } from '../../src/local/sqs-endpoint.js';

let server: Server;
let endpoint: SqsEndpoint;
let sqs: SQSClient;
let base: string;
let dlq: LocalQueue;
let inbound: LocalQueue;
const url = (name: string): string => `${base}/000000000000/${name}`;
const INBOUND = 'bridge-inbound';
const DLQ = 'bridge-inbound-dlq';

beforeAll(async () => {
  dlq = new LocalQueue();
  inbound = new LocalQueue({ deadLetterQueue: dlq, maxReceiveCount: 2 });
  endpoint = createSqsEndpoint({ queues: [{ name: INBOUND, queue: inbound }, { name: DLQ, queue: dlq }] });
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = req.headers['x-amz-target'];
      void endpoint
        .handle(typeof target === 'string' ? target : undefined, Buffer.concat(chunks).toString('utf8'), `http://${req.headers.host}`)
        .then((reply) => res.writeHead(reply.status, reply.headers).end(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sqs = new SQSClient(localAwsConfig(base));
});

afterAll(async () => {
  sqs.destroy();
  endpoint.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  inbound.purge();
  dlq.purge();
});

const attributes = { stripe_event_id: { DataType: 'String', StringValue: 'evt_local_1' }, stripe_event_type: { DataType: 'String', StringValue: 'invoice.paid' } };

describe('the local SQS endpoint, through the AWS SDK', () => {
  it('computes the MD5 of message attributes as SQS documents it', () => {
    // The example of the aws-md5-of-message-attributes package's documentation (npmjs.com).
    expect(md5OfMessageAttributes({ attribName1: { DataType: 'String', StringValue: 'attribValue 1' } })).toBe('19e27d4e946b072f3f58da80d94fd778');
  });

  it('resolves queue URLs and answers QueueDoesNotExist for others', async () => {
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: DLQ }))).QueueUrl).toBe(url(DLQ));
    await expect(sqs.send(new GetQueueAttributesCommand({ QueueUrl: url('nope'), AttributeNames: ['All'] }))).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('sends, receives with system and message attributes, and deletes', async () => {
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url(INBOUND), MessageBody: '{"id":"evt_local_1"}', MessageAttributes: attributes }));
    expect(sent.MD5OfMessageAttributes).toBe(md5OfMessageAttributes(attributes));

    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url(INBOUND),
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 30,
        MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
        MessageAttributeNames: ['All'],
      }),
    );
    expect(received.Messages).toHaveLength(1);
    const [message] = received.Messages ?? [];
    expect(message).toMatchObject({
      MessageId: sent.MessageId,
      Body: '{"id":"evt_local_1"}',
      Attributes: { ApproximateReceiveCount: '1' },
      MessageAttributes: { stripe_event_id: { DataType: 'String', StringValue: 'evt_local_1' } },
    });
    expect(Number(message?.Attributes?.SentTimestamp)).toBeGreaterThan(0);

    const counts = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url(INBOUND), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'QueueArn'] }),
    );
    expect(counts.Attributes).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '1',
      QueueArn: `arn:aws:sqs:us-east-1:000000000000:${INBOUND}`,
    });

    await sqs.send(new DeleteMessageCommand({ QueueUrl: url(INBOUND), ReceiptHandle: message?.ReceiptHandle }));
    expect(inbound.stats()).toEqual({ visible: 0, inFlight: 0 });
    await expect(sqs.send(new DeleteMessageCommand({ QueueUrl: url(INBOUND), ReceiptHandle: 'forged' }))).rejects.toMatchObject({ name: 'ReceiptHandleIsInvalid' });
  });

  it('hands messages back with ChangeMessageVisibility(Batch) to 0, as dlq peek does', async () => {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url(DLQ),
        Entries: [
          { Id: 'a', MessageBody: 'a', MessageAttributes: attributes },
          { Id: 'b', MessageBody: 'b' },
        ],
      }),
    );
    const first = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url(DLQ), MaxNumberOfMessages: 10, VisibilityTimeout: 300 }))).Messages ?? [];
    expect(first).toHaveLength(2);
    const released = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url(DLQ),
        Entries: [...first.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })), { Id: 'x', ReceiptHandle: 'forged', VisibilityTimeout: 0 }],
      }),
    );
    expect(released.Successful?.map((s) => s.Id)).toEqual(['0', '1']);
    expect(released.Failed).toEqual([expect.objectContaining({ Id: 'x', Code: 'ReceiptHandleIsInvalid', SenderFault: true })]);

    const again = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url(DLQ), MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }))).Messages ?? [];
    expect(again.map((m) => m.Attributes?.ApproximateReceiveCount)).toEqual(['2', '2']);
    // The first receive's handle is stale now: changing its visibility is refused as SQS does.
    await expect(
      sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url(DLQ), ReceiptHandle: first[0]?.ReceiptHandle, VisibilityTimeout: 0 })),
    ).rejects.toMatchObject({ name: 'MessageNotInflight' });
    const deleted = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url(DLQ), Entries: again.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }));
    expect(deleted.Successful).toHaveLength(2);
    expect(dlq.stats()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('long-polls: a receive waiting for messages answers as soon as one is sent', async () => {
    const waiting = sqs.send(new ReceiveMessageCommand({ QueueUrl: url(INBOUND), WaitTimeSeconds: 20 }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url(INBOUND), MessageBody: 'late' }));
    expect((await waiting).Messages?.map((m) => m.Body)).toEqual(['late']);
  });

  it('redrives a dead-lettered message back with a message move task, attributes kept', async () => {
    dlq.enqueue('{"id":"evt_local_2"}', attributes);
    const attributesOfDlq = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url(INBOUND), AttributeNames: ['RedrivePolicy'] }));
    expect(JSON.parse(attributesOfDlq.Attributes?.RedrivePolicy ?? '{}')).toEqual({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:000000000000:${DLQ}`, maxReceiveCount: 2 });

    const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: `arn:aws:sqs:us-east-1:000000000000:${DLQ}` }));
    expect(TaskHandle).toBeDefined();
    const tasks = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: `arn:aws:sqs:us-east-1:000000000000:${DLQ}`, MaxResults: 10 }));
    expect(tasks.Results?.[0]).toMatchObject({ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 1 });
    expect(inbound.peek()).toEqual([expect.objectContaining({ body: '{"id":"evt_local_2"}', messageAttributes: attributes })]);
    // Only a dead-letter queue can be a move task's source.
    await expect(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: `arn:aws:sqs:us-east-1:000000000000:${INBOUND}` }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
  });

  it('purges a queue', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: url(DLQ), MessageBody: 'x' }));
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url(DLQ) }));
    const counts = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url(DLQ), AttributeNames: ['All'] }));
    expect(counts.Attributes?.ApproximateNumberOfMessages).toBe('0');
    expect(counts.Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('0');
  });
});
