import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_URL, SECRET, paymentIntentSucceeded, signedRequest, stripeBody } from './support.js';

const sqsMock = mockClient(SQSClient);
const saved = { ...process.env };

beforeAll(() => {
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    LOG_LEVEL: 'silent',
    STRIPE_WEBHOOK_SECRET: SECRET,
    INBOUND_QUEUE_URL: QUEUE_URL,
  });
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'msg-handler' });
});

afterAll(() => {
  // The same process.env object, as it was: later files of this worker share the process.
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  sqsMock.restore();
});

describe('handlers/ingress', () => {
  it('wires config, secret and SQS client from the environment', async () => {
    // Imported after the environment is set: the module reads its config at load (cold start).
    const { handler } = await import('../../src/handlers/ingress.js');
    const body = stripeBody(paymentIntentSucceeded({ created: Math.floor(Date.now() / 1000) }));
    const response = await handler(signedRequest(body, { timestamp: Math.floor(Date.now() / 1000) }));

    expect(response).toMatchObject({ statusCode: 200, body: '{"received":true}' });
    const inputs = sqsMock.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(inputs).toHaveLength(1);
    expect(inputs[0]).toMatchObject({ QueueUrl: QUEUE_URL, MessageBody: body });
  });
});
