/**
 * The roll-up writer and an unreadable roll-up message: no retry can make it readable, so it goes
 * to the roll-up DLQ at once with its reason (the consumer's failure attributes) and is
 * acknowledged; retried only when that send fails or no DLQ is configured (an older deployment).
 * SQS through aws-sdk-client-mock on one client instance; no Salesforce call is made (nothing
 * readable to write), so the session is never used.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadRollupWriterConfig } from '../../src/config.js';
import { ATTR } from '../../src/ingress/inbound-message.js';
import { createLogger } from '../../src/logging.js';
import { describeRollup } from '../../src/ops/dlq-message.js';
import { createRollupWriterApp } from '../../src/rollups/rollup-writer-app.js';
import { LogCapture } from '../support/log-capture.js';

const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/test-rollups-dlq';
const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const SALESFORCE = { SALESFORCE_LOGIN_URL: 'http://127.0.0.1:9', SALESFORCE_CLIENT_ID: 'fake-id', SALESFORCE_CLIENT_SECRET: 'fake-secret', SALESFORCE_API_VERSION: '64.0' };
// An Opportunity update without a roll-up version: not what the consumer queues (src/rollups/rollup-message.ts).
const UNREADABLE = {
  messageId: 'not-a-rollup',
  body: '{"kind":"account-rollups","computedAt":1,"mutations":[{"sobject":"Opportunity","key":{"field":"Id","value":"006000000000001AAA"},"fields":{}}]}',
  receiveCount: 1,
};

const sqs = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'fake', secretAccessKey: 'fake' } });
const sqsMock = mockClient(sqs);
let logs: LogCapture;
beforeEach(() => {
  sqsMock.reset();
  logs = new LogCapture();
});

function writer(env: Record<string, string>) {
  return createRollupWriterApp({
    config: loadRollupWriterConfig({ ...SALESFORCE, ...env }),
    logger: createLogger({ service: 'rollup-writer', level: 'debug', destination: logs }),
    sqs,
    now: () => NOW,
  });
}
const line = (message: string) => logs.lines.find((l) => l['message'] === message);

describe('an unreadable roll-up message', () => {
  it('is sent to the roll-up DLQ with its reason and acknowledged', async () => {
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
    const summary = await writer({ ROLLUP_DLQ_URL: DLQ_URL }).handle([UNREADABLE]);
    expect(summary.outcomes.get(UNREADABLE.messageId)).toBe('dead-lettered');
    expect(summary.response.batchItemFailures).toEqual([]);
    const sent = sqsMock.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.QueueUrl).toBe(DLQ_URL);
    expect(sent[0]?.MessageBody).toBe(UNREADABLE.body);
    const attributes = sent[0]?.MessageAttributes ?? {};
    expect(attributes[ATTR.failureCode]?.StringValue).toBe('ROLLUP_MESSAGE_INVALID');
    expect(attributes[ATTR.failedAt]?.StringValue).toBe(new Date(NOW).toISOString());
    expect(attributes[ATTR.receiveCount]).toEqual({ DataType: 'Number', StringValue: '1' });
    // What `dlq peek --queue rollups` prints for it: the reason, not the no-reason text.
    const entry = describeRollup({ MessageId: 'dlq-1', Body: sent[0]?.MessageBody, MessageAttributes: attributes });
    expect(entry.failureCode).toBe('ROLLUP_MESSAGE_INVALID');
    expect(entry.failureReason).toBe(attributes[ATTR.failureReason]?.StringValue);
    expect(entry.failedAt).toBe(NOW);
    expect(line('roll-up message unreadable; dead-lettered')?.['errorCode']).toBe('ROLLUP_MESSAGE_INVALID');
    expect(line('roll-ups written')?.['deadLettered']).toBe(1);
  });

  it('is reported for retry when the DLQ send fails', async () => {
    sqsMock.on(SendMessageCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    const summary = await writer({ ROLLUP_DLQ_URL: DLQ_URL }).handle([UNREADABLE]);
    expect(summary.outcomes.get(UNREADABLE.messageId)).toBe('retry');
    expect(summary.response.batchItemFailures).toEqual([{ itemIdentifier: UNREADABLE.messageId }]);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(1);
    expect(line('roll-up message unreadable; not dead-lettered; retried')?.['deadLetterErrorCode']).toBe('ThrottlingException');
  });

  it('is retried, as before, when no roll-up DLQ is configured (ROLLUP_DLQ_URL unset)', async () => {
    const summary = await writer({}).handle([UNREADABLE]);
    expect(summary.response.batchItemFailures).toEqual([{ itemIdentifier: UNREADABLE.messageId }]);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(line('roll-up message unreadable; no roll-up DLQ configured (ROLLUP_DLQ_URL); retried')?.['errorCode']).toBe('ROLLUP_MESSAGE_INVALID');
  });
});
