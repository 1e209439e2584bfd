import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConsumerConfig } from '../../src/config.js';
import { createConsumerApp } from '../../src/inbound/consumer-app.js';
import { ATTR } from '../../src/ingress/inbound-message.js';
import { createLogger } from '../../src/logging.js';
import { LogCapture } from '../support/log-capture.js';

// One client instance, mocked alone: the SQSClient class stays untouched for the worker's other files.
const sqs = new SQSClient({ region: 'us-east-1' });
const sqsMock = mockClient(sqs);
afterEach(() => sqsMock.reset());

const config = (extra: Record<string, string> = {}) =>
  loadConsumerConfig({
    DEDUP_TABLE_NAME: 'unused',
    SALESFORCE_INSTANCE_URL: 'http://127.0.0.1:9',
    SALESFORCE_ACCESS_TOKEN: 'fake-token',
    INBOUND_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/inbound-dlq',
    ...extra,
  });

// A body that fails validation never reaches DynamoDB or Salesforce, so fake clients suffice.
const app = (cfg = config()) =>
  createConsumerApp({
    config: cfg,
    logger: createLogger({ service: 'consumer', destination: new LogCapture() }),
    dynamo: {} as never,
    sqs,
  });

const original = {
  [ATTR.eventId]: { stringValue: 'evt_test_1', dataType: 'String' },
  [ATTR.eventType]: { stringValue: 'invoice.paid', dataType: 'String' },
  [ATTR.eventCreated]: { stringValue: '1767225600', dataType: 'Number' },
  [ATTR.livemode]: { stringValue: 'false', dataType: 'String' },
  [ATTR.payload]: { stringValue: 'inline', dataType: 'String' },
  // Left over from an earlier dead-lettering: replaced, never duplicated (SQS allows 10 attributes).
  [ATTR.failureReason]: { stringValue: 'old reason', dataType: 'String' },
};

describe('dead-lettering through SQS', () => {
  it('sends the original body with the event attributes and the failure reason', async () => {
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
    const summary = await app().handle([{ messageId: 'm1', body: '{"object":"event"}', receiveCount: 1, messageAttributes: original }]);

    expect(summary.outcomes.get('m1')).toBe('dead_lettered');
    expect(summary.response.batchItemFailures).toEqual([]);
    const sent = sqsMock.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(sent.QueueUrl).toBe('https://sqs.us-east-1.amazonaws.com/000000000000/inbound-dlq');
    expect(sent.MessageBody).toBe('{"object":"event"}');
    const attributes = sent.MessageAttributes ?? {};
    expect(Object.keys(attributes).length).toBeLessThanOrEqual(10);
    expect(attributes[ATTR.eventId]).toEqual({ DataType: 'String', StringValue: 'evt_test_1' });
    expect(attributes[ATTR.eventCreated]).toEqual({ DataType: 'Number', StringValue: '1767225600' });
    expect(attributes[ATTR.failureCode]?.StringValue).toBe('EVENT_SCHEMA_INVALID');
    expect(attributes[ATTR.failureReason]?.StringValue).not.toBe('old reason');
    expect(attributes[ATTR.receiveCount]).toEqual({ DataType: 'Number', StringValue: '1' });
  });

  it('reports the message for retry when the DLQ send fails, so nothing is lost', async () => {
    sqsMock.on(SendMessageCommand).rejects(new Error('ServiceUnavailable'));
    const summary = await app().handle([{ messageId: 'm2', body: 'junk', receiveCount: 1, messageAttributes: {} }]);
    expect(summary.response.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }]);
  });

  it('leaves dead-lettering to the redrive policy when no DLQ URL is configured', async () => {
    const summary = await app(config({ INBOUND_DLQ_URL: '' })).handle([{ messageId: 'm3', body: 'junk', receiveCount: 1, messageAttributes: {} }]);
    expect(summary.response.batchItemFailures).toEqual([{ itemIdentifier: 'm3' }]);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
  });
});
