/**
 * The local queues over the SQS JSON protocol (`POST /`, `X-Amz-Target: AmazonSQS.<Action>`,
 * `Content-Type: application/x-amz-json-1.0`), so the unchanged AWS SDK and the operator CLI work
 * against `npm start` as they do against SQS. The subset the bridge and the CLI use: GetQueueUrl,
 * ListQueues, GetQueueAttributes, SendMessage(Batch), ReceiveMessage (with long polling),
 * DeleteMessage(Batch), ChangeMessageVisibility(Batch), PurgeQueue, StartMessageMoveTask and
 * ListMessageMoveTasks. Signatures are not checked: the stack listens on 127.0.0.1 only.
 *
 * Shapes and errors as documented in "Interpreting Amazon SQS JSON API responses"
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html):
 * errors are `{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":…}` with an
 * `x-amzn-query-error: AWS.SimpleQueueService.NonExistentQueue;Sender` header.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../ops/local-aws.js';
import type { LocalQueue, ReceivedMessage } from './local-queue.js';

export const SQS_JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';

export interface LocalSqsQueue {
  readonly name: string;
  readonly queue: LocalQueue;
}

export interface SqsReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface SqsEndpoint {
  /** `target` is the X-Amz-Target header; `baseUrl` is how the caller reached us (for QueueUrls). */
  handle(target: string | undefined, body: string, baseUrl: string): Promise<SqsReply>;
  queueUrl(name: string, baseUrl: string): string;
  queueArn(name: string): string;
  /** Ends every long poll at once (the stack is stopping). */
  close(): void;
}

class SqsFailure extends Error {
  constructor(
    readonly type: string,
    readonly queryError: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const fail = (type: string, queryError: string, message: string): never => {
  throw new SqsFailure(type, queryError, message);
};
const invalidParameter = (message: string): never => fail('InvalidParameterValue', 'InvalidParameterValue', message);
const missingParameter = (name: string): never => fail('MissingParameter', 'MissingParameter', `The request must contain the parameter ${name}.`);

type Json = Record<string, unknown>;

const text = (input: Json, name: string): string => {
  const value = input[name];
  if (typeof value !== 'string' || value === '') return missingParameter(name);
  return value;
};
const optionalInt = (input: Json, name: string, min: number, max: number): number | undefined => {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return invalidParameter(`Value ${String(value)} for parameter ${name} is invalid. Reason: must be between ${min} and ${max}.`);
  }
  return value;
};
const list = (input: Json, name: string): unknown[] => {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return invalidParameter(`${name} must be a list`);
  return value;
};

/**
 * MD5 of message attributes as SQS computes it ("Calculating the MD5 message digest for message
 * attributes", SQS Developer Guide): per attribute, sorted by name, the length-prefixed (4-byte
 * big-endian) name and data type, one transport byte (1 string/number, 2 binary), the
 * length-prefixed value.
 */
export function md5OfMessageAttributes(attributes: Readonly<Record<string, MessageAttributeValue>>): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  const lengthPrefixed = (bytes: Buffer): void => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length);
    hash.update(bytes);
  };
  for (const name of names) {
    const value = attributes[name] as MessageAttributeValue;
    const dataType = value.DataType ?? 'String';
    lengthPrefixed(Buffer.from(name, 'utf8'));
    lengthPrefixed(Buffer.from(dataType, 'utf8'));
    const binary = dataType.startsWith('Binary');
    hash.update(Buffer.from([binary ? 2 : 1]));
    const binaryValue = value.BinaryValue;
    lengthPrefixed(
      binary ? (typeof binaryValue === 'string' ? Buffer.from(binaryValue, 'base64') : Buffer.from(binaryValue ?? new Uint8Array())) : Buffer.from(value.StringValue ?? '', 'utf8'),
    );
  }
  return hash.digest('hex');
}

const md5 = (body: string): string => createHash('md5').update(body, 'utf8').digest('hex');

/** Message attributes as sent over JSON: binary values arrive base64-encoded. */
function readAttributes(value: unknown): Record<string, MessageAttributeValue> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) return invalidParameter('MessageAttributes must be a map');
  const out: Record<string, MessageAttributeValue> = {};
  const entries = Object.entries(value as Json);
  if (entries.length > 10) invalidParameter('Number of message attributes [' + entries.length + '] exceeds the allowed maximum [10].');
  for (const [name, raw] of entries) {
    const attribute = raw as { DataType?: unknown; StringValue?: unknown; BinaryValue?: unknown };
    if (typeof attribute?.DataType !== 'string') invalidParameter(`The message attribute '${name}' must contain a non-empty attribute type.`);
    const dataType = attribute.DataType as string;
    if (dataType.startsWith('Binary')) {
      if (typeof attribute.BinaryValue !== 'string') invalidParameter(`The message attribute '${name}' must contain a binary value.`);
      out[name] = { DataType: dataType, BinaryValue: Buffer.from(attribute.BinaryValue as string, 'base64') };
    } else {
      if (typeof attribute.StringValue !== 'string') invalidParameter(`The message attribute '${name}' must contain a non-empty message attribute value.`);
      out[name] = { DataType: dataType, StringValue: attribute.StringValue as string };
    }
  }
  return out;
}

function writeAttributes(attributes: Readonly<Record<string, MessageAttributeValue>>): Json {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      value.BinaryValue === undefined
        ? { DataType: value.DataType, StringValue: value.StringValue }
        : { DataType: value.DataType, BinaryValue: Buffer.from(value.BinaryValue).toString('base64') },
    ]),
  );
}

/** `All` / `.*`, exact names, and `prefix.*`, as ReceiveMessage's MessageAttributeNames. */
function selectAttributes(attributes: Readonly<Record<string, MessageAttributeValue>>, wanted: readonly string[]): Record<string, MessageAttributeValue> {
  if (wanted.length === 0) return {};
  const all = wanted.includes('All') || wanted.includes('.*');
  return Object.fromEntries(
    Object.entries(attributes).filter(
      ([name]) => all || wanted.includes(name) || wanted.some((w) => w.endsWith('.*') && name.startsWith(w.slice(0, -1))),
    ),
  );
}

const SYSTEM_ATTRIBUTES = ['SentTimestamp', 'ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp', 'SenderId'] as const;

const QUEUE_ATTRIBUTES = [
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'VisibilityTimeout',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'ReceiveMessageWaitTimeSeconds',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'RedrivePolicy',
  'RedriveAllowPolicy',
] as const;

interface MoveTask {
  readonly handle: string;
  readonly sourceArn: string;
  readonly destinationArn: string | undefined;
  readonly rate: number | undefined;
  readonly startedAt: number;
  readonly toMove: number;
  readonly moved: number;
}

/** Queue names are matched on the URL's last path segment, so localhost and 127.0.0.1 both work. */
export function createSqsEndpoint(options: { readonly queues: readonly LocalSqsQueue[]; readonly now?: () => number }): SqsEndpoint {
  const now = options.now ?? Date.now;
  const createdAt = now();
  const byName = new Map(options.queues.map((q) => [q.name, q]));
  const tasks: MoveTask[] = [];
  let closed = false;
  const waiting = new Set<() => void>();
  const queueArn = (name: string): string => `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${name}`;
  const queueUrl = (name: string, baseUrl: string): string => `${baseUrl.replace(/\/+$/, '')}/${LOCAL_ACCOUNT_ID}/${name}`;
  const nameOfQueue = (queue: LocalQueue): string | undefined => options.queues.find((q) => q.queue === queue)?.name;

  const byUrl = (input: Json): LocalSqsQueue => {
    const url = text(input, 'QueueUrl');
    let name: string | undefined;
    try {
      name = new URL(url).pathname.split('/').filter((s) => s !== '').pop();
    } catch {
      fail('InvalidAddress', 'InvalidAddress', `The address ${url} is not valid for this endpoint.`);
    }
    const found = name === undefined ? undefined : byName.get(name);
    if (found === undefined) return fail('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
    return found;
  };
  const byArn = (arn: string): LocalSqsQueue => {
    const name = arn.split(':').pop() ?? '';
    const found = arn === queueArn(name) ? byName.get(name) : undefined;
    if (found === undefined) return fail('ResourceNotFoundException', 'ResourceNotFoundException', `The resource that you specified for the SourceArn parameter doesn't exist.`);
    return found;
  };
  /** The queues whose redrive policy targets `dlq`. */
  const sourcesOf = (dlq: LocalSqsQueue): LocalSqsQueue[] => options.queues.filter((q) => q.queue.deadLetterQueue === dlq.queue);

  const receiptHandleOf = (entry: Json): string => {
    const handle = entry['ReceiptHandle'];
    if (typeof handle !== 'string' || handle === '') return missingParameter('ReceiptHandle');
    return handle;
  };

  const sendOne = (target: LocalSqsQueue, entry: Json): Json => {
    const body = entry['MessageBody'];
    if (typeof body !== 'string' || body === '') return missingParameter('MessageBody');
    if (Buffer.byteLength(body) > 262_144) invalidParameter('One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.');
    const delay = optionalInt(entry, 'DelaySeconds', 0, 900) ?? 0;
    const attributes = readAttributes(entry['MessageAttributes']);
    const messageId = target.queue.enqueue(body, attributes, { delayMs: delay * 1000 });
    const attributesMd5 = md5OfMessageAttributes(attributes);
    return { MessageId: messageId, MD5OfMessageBody: md5(body), ...(attributesMd5 === undefined ? {} : { MD5OfMessageAttributes: attributesMd5 }) };
  };

  const render = (message: ReceivedMessage, systemNames: readonly string[], attributeNames: readonly string[]): Json => {
    const allSystem = systemNames.includes('All');
    const system: Record<string, string> = {
      SentTimestamp: String(message.sentAt),
      ApproximateReceiveCount: String(message.receiveCount),
      ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
      SenderId: LOCAL_ACCOUNT_ID,
    };
    const attributes = selectAttributes(message.sentAttributes, attributeNames);
    const attributesMd5 = md5OfMessageAttributes(attributes);
    const systemAttributes = Object.fromEntries(SYSTEM_ATTRIBUTES.filter((n) => allSystem || systemNames.includes(n)).map((n) => [n, system[n]]));
    return {
      MessageId: message.messageId,
      ReceiptHandle: message.receiptHandle,
      MD5OfBody: md5(message.body),
      Body: message.body,
      ...(Object.keys(systemAttributes).length === 0 ? {} : { Attributes: systemAttributes }),
      ...(attributesMd5 === undefined ? {} : { MD5OfMessageAttributes: attributesMd5, MessageAttributes: writeAttributes(attributes) }),
    };
  };

  /** Long polling: resolves when a message may be visible, or after `ms` (or when the endpoint closes). */
  const waitForMessage = (queue: LocalQueue, ms: number): Promise<void> =>
    new Promise((resolve) => {
      let done = false;
      const timers: NodeJS.Timeout[] = [];
      const finish = (): void => {
        if (done) return;
        done = true;
        unsubscribe();
        waiting.delete(finish);
        for (const timer of timers) clearTimeout(timer);
        resolve();
      };
      const unsubscribe = queue.onMessage(finish);
      waiting.add(finish);
      timers.push(setTimeout(finish, ms));
      const next = queue.nextVisibleAt();
      if (next !== undefined) timers.push(setTimeout(finish, Math.max(0, next - now())));
      for (const timer of timers) timer.unref();
    });

  const batch = (input: Json, each: (entry: Json) => Json | undefined): Json => {
    const entries = list(input, 'Entries') as Json[];
    if (entries.length === 0) fail('EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest', 'There should be at least one entry in the request.');
    if (entries.length > 10) fail('TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 'Maximum number of entries per request are 10.');
    const ids = entries.map((e) => e['Id']);
    if (new Set(ids).size !== ids.length) fail('BatchEntryIdsNotDistinct', 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.');
    const successful: Json[] = [];
    const failed: Json[] = [];
    for (const entry of entries) {
      const id = entry['Id'];
      if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(id)) {
        fail('InvalidBatchEntryId', 'AWS.SimpleQueueService.InvalidBatchEntryId', 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.');
      }
      try {
        successful.push({ Id: id, ...each(entry) });
      } catch (err) {
        if (!(err instanceof SqsFailure)) throw err;
        failed.push({ Id: id, SenderFault: true, Code: err.type, Message: err.message });
      }
    }
    return { Successful: successful, Failed: failed };
  };

  const deleteOne = (queue: LocalQueue, handle: string): void => {
    // A stale handle "succeeds" without deleting, as SQS documents; a foreign one is refused.
    if (queue.handleState(handle) === 'invalid') fail('ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`);
    queue.delete(handle);
  };

  const changeOne = (queue: LocalQueue, handle: string, seconds: number): void => {
    const result = queue.changeVisibility(handle, seconds);
    if (result === 'invalid') fail('ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`);
    if (result === 'not_in_flight') fail('MessageNotInflight', 'AWS.SimpleQueueService.MessageNotInflight', 'The message referred to is not in flight.');
  };

  const actions: Record<string, (input: Json, baseUrl: string) => Json | Promise<Json>> = {
    GetQueueUrl: (input, baseUrl) => {
      const name = text(input, 'QueueName');
      if (!byName.has(name)) fail('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
      return { QueueUrl: queueUrl(name, baseUrl) };
    },
    ListQueues: (input, baseUrl) => {
      const prefix = typeof input['QueueNamePrefix'] === 'string' ? input['QueueNamePrefix'] : '';
      return { QueueUrls: options.queues.filter((q) => q.name.startsWith(prefix)).map((q) => queueUrl(q.name, baseUrl)) };
    },
    GetQueueAttributes: (input) => {
      const target = byUrl(input);
      const names = (list(input, 'AttributeNames') as string[]).map(String);
      const wanted = names.includes('All') ? [...QUEUE_ATTRIBUTES] : names;
      const unknown = wanted.filter((n) => !(QUEUE_ATTRIBUTES as readonly string[]).includes(n));
      if (unknown.length > 0) fail('InvalidAttributeName', 'InvalidAttributeName', `Unknown Attribute ${unknown[0]}.`);
      const stored = target.queue.peek();
      const stats = target.queue.stats();
      const delayed = stored.filter((m) => !m.visible && m.receiveCount === 0).length;
      const dlq = target.queue.deadLetterQueue === undefined ? undefined : nameOfQueue(target.queue.deadLetterQueue);
      const values: Record<string, string | undefined> = {
        QueueArn: queueArn(target.name),
        ApproximateNumberOfMessages: String(stats.visible),
        ApproximateNumberOfMessagesNotVisible: String(stats.inFlight - delayed),
        ApproximateNumberOfMessagesDelayed: String(delayed),
        VisibilityTimeout: String(Math.round(target.queue.visibilityTimeoutMs / 1000)),
        MaximumMessageSize: '262144',
        MessageRetentionPeriod: '345600',
        DelaySeconds: '0',
        ReceiveMessageWaitTimeSeconds: '0',
        CreatedTimestamp: String(Math.floor(createdAt / 1000)),
        LastModifiedTimestamp: String(Math.floor(createdAt / 1000)),
        RedrivePolicy: dlq === undefined ? undefined : JSON.stringify({ deadLetterTargetArn: queueArn(dlq), maxReceiveCount: target.queue.maxReceiveCount }),
        RedriveAllowPolicy: sourcesOf(target).length > 0 ? JSON.stringify({ redrivePermission: 'allowAll' }) : undefined,
      };
      return { Attributes: Object.fromEntries(wanted.flatMap((n) => (values[n] === undefined ? [] : [[n, values[n]]]))) };
    },
    SendMessage: (input) => sendOne(byUrl(input), input),
    SendMessageBatch: (input) => {
      const target = byUrl(input);
      return batch(input, (entry) => sendOne(target, entry));
    },
    ReceiveMessage: async (input) => {
      const target = byUrl(input);
      const max = optionalInt(input, 'MaxNumberOfMessages', 1, 10) ?? 1;
      const visibility = optionalInt(input, 'VisibilityTimeout', 0, 43_200);
      const wait = optionalInt(input, 'WaitTimeSeconds', 0, 20) ?? 0;
      const systemNames = [...list(input, 'MessageSystemAttributeNames'), ...list(input, 'AttributeNames')].map(String);
      const attributeNames = list(input, 'MessageAttributeNames').map(String);
      const receive = (): ReceivedMessage[] => target.queue.receive(max, visibility === undefined ? {} : { visibilityTimeoutMs: visibility * 1000 });
      let messages = receive();
      const deadline = now() + wait * 1000;
      while (messages.length === 0 && now() < deadline) {
        await waitForMessage(target.queue, deadline - now());
        if (closed) break;
        messages = receive();
      }
      return { Messages: messages.map((m) => render(m, systemNames, attributeNames)) };
    },
    DeleteMessage: (input) => {
      deleteOne(byUrl(input).queue, receiptHandleOf(input));
      return {};
    },
    DeleteMessageBatch: (input) => {
      const target = byUrl(input);
      return batch(input, (entry) => {
        deleteOne(target.queue, receiptHandleOf(entry));
        return undefined;
      });
    },
    ChangeMessageVisibility: (input) => {
      const target = byUrl(input);
      changeOne(target.queue, receiptHandleOf(input), optionalInt(input, 'VisibilityTimeout', 0, 43_200) ?? missingParameter('VisibilityTimeout'));
      return {};
    },
    ChangeMessageVisibilityBatch: (input) => {
      const target = byUrl(input);
      return batch(input, (entry) => {
        changeOne(target.queue, receiptHandleOf(entry), optionalInt(entry, 'VisibilityTimeout', 0, 43_200) ?? missingParameter('VisibilityTimeout'));
        return undefined;
      });
    },
    PurgeQueue: (input) => {
      byUrl(input).queue.purge();
      return {};
    },
    StartMessageMoveTask: (input) => {
      const source = byArn(text(input, 'SourceArn'));
      const sources = sourcesOf(source);
      if (sources.length === 0) invalidParameter('Source queue must be configured as a Dead Letter Queue.');
      const destinationArn = typeof input['DestinationArn'] === 'string' ? input['DestinationArn'] : undefined;
      const destination = destinationArn === undefined ? sources[0] : byArn(destinationArn);
      if (destination === undefined || (destinationArn === undefined && sources.length > 1)) {
        return invalidParameter('The source queue is the dead-letter queue of several queues: name the DestinationArn.');
      }
      const rate = optionalInt(input, 'MaxNumberOfMessagesPerSecond', 1, 500);
      const toMove = source.queue.stats().visible;
      // Moved at once: the local queue has no throughput to protect, so the rate is only reported.
      const moved = source.queue.moveVisibleTo(destination.queue);
      const task: MoveTask = { handle: randomUUID(), sourceArn: queueArn(source.name), destinationArn, rate, startedAt: now(), toMove, moved };
      tasks.unshift(task);
      return { TaskHandle: task.handle };
    },
    ListMessageMoveTasks: (input) => {
      const source = byArn(text(input, 'SourceArn'));
      const max = optionalInt(input, 'MaxResults', 1, 10) ?? 1;
      return {
        Results: tasks
          .filter((t) => t.sourceArn === queueArn(source.name))
          .slice(0, max)
          .map((t) => ({
            // SQS names the handle only while a task runs; these completed at once.
            Status: 'COMPLETED',
            SourceArn: t.sourceArn,
            ...(t.destinationArn === undefined ? {} : { DestinationArn: t.destinationArn }),
            ...(t.rate === undefined ? {} : { MaxNumberOfMessagesPerSecond: t.rate }),
            ApproximateNumberOfMessagesMoved: t.moved,
            ApproximateNumberOfMessagesToMove: t.toMove,
            StartedTimestamp: t.startedAt,
          })),
      };
    },
  };

  const reply = (status: number, body: Json, headers: Record<string, string> = {}): SqsReply => ({
    status,
    headers: { 'content-type': SQS_JSON_CONTENT_TYPE, 'x-amzn-requestid': randomUUID(), ...headers },
    body: JSON.stringify(body),
  });

  return {
    queueUrl,
    queueArn,
    close() {
      closed = true;
      for (const finish of [...waiting]) finish();
    },
    async handle(target, body, baseUrl) {
      const action = target?.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : undefined;
      const run = action === undefined ? undefined : actions[action];
      try {
        if (run === undefined) {
          throw new SqsFailure('UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation', `The local stack does not support ${target ?? 'this request'}.`);
        }
        let input: unknown;
        try {
          input = body.trim() === '' ? {} : JSON.parse(body);
        } catch {
          throw new SqsFailure('SerializationException', 'SerializationException', 'The request body is not JSON.');
        }
        if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new SqsFailure('SerializationException', 'SerializationException', 'The request body is not a JSON object.');
        return reply(200, await run(input as Json, baseUrl));
      } catch (err) {
        if (!(err instanceof SqsFailure)) throw err;
        return reply(err.status, { __type: `com.amazonaws.sqs#${err.type}`, message: err.message }, { 'x-amzn-query-error': `${err.queryError};Sender` });
      }
    },
  };
}
