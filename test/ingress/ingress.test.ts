import { InvalidMessageContents, SendMessageCommand, SQSClient, SQSServiceException } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TransientError } from '../../src/errors.js';
import { readInboundMessage } from '../../src/ingress/inbound-message.js';
import { createIngress, type IngressSettings } from '../../src/ingress/ingress.js';
import { WebhookSecrets } from '../../src/ingress/webhook-secrets.js';
import { CachedSecret, type SecretFetcher } from '../../src/secrets.js';
import { HANDLED_EVENT_TYPES } from '../../src/stripe/event-types.js';
import { computeSignature } from '../../src/stripe/signature.js';
import {
  NOW_MS,
  NOW_S,
  OTHER_SECRET,
  QUEUE_URL,
  SECRET,
  apiRequest,
  captureLogs,
  paymentIntentSucceeded,
  sign,
  signedRequest,
  stripeBody,
  type CapturedLogs,
} from './support.js';

// One client instance, mocked alone: the SQSClient class stays untouched for the worker's other files.
const sqs = new SQSClient({ region: 'eu-west-1' });
const sqsMock = mockClient(sqs);

const settings: IngressSettings = {
  toleranceSeconds: 300,
  handledEventTypes: new Set(HANDLED_EVENT_TYPES),
  queueUrl: QUEUE_URL,
  maxBodyBytes: 64 * 1024,
  maxMessageBytes: 256 * 1024,
};

let logs: CapturedLogs;
let clock: number;

function build(options: { secrets?: WebhookSecrets; config?: Partial<IngressSettings> } = {}) {
  const secrets =
    options.secrets ?? new WebhookSecrets({ secret: new CachedSecret({ value: SECRET }), now: () => clock });
  return createIngress({
    config: { ...settings, ...options.config },
    sqs,
    secrets,
    now: () => clock,
    logger: logs.logger,
  });
}

function sends() {
  return sqsMock.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
}

function lastLog() {
  const lines = logs.lines();
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'msg-0001' });
  logs = captureLogs();
  clock = NOW_MS;
});

afterEach(() => {
  sqsMock.reset();
});

const expectedAttributes = {
  stripe_event_id: { DataType: 'String', StringValue: 'evt_3TestIngressEvent0001' },
  stripe_event_type: { DataType: 'String', StringValue: 'payment_intent.succeeded' },
  stripe_event_created: { DataType: 'Number', StringValue: String(NOW_S - 5) },
  stripe_livemode: { DataType: 'String', StringValue: 'false' },
  stripe_api_version: { DataType: 'String', StringValue: '2026-10-28.endive' },
  stripe_payload: { DataType: 'String', StringValue: 'inline' },
};

describe('ingress: accepted events', () => {
  it('enqueues a verified event verbatim with its attributes, then answers 200', async () => {
    const body = stripeBody();
    const response = await build()(signedRequest(body));

    expect(response).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"received":true}',
    });
    expect(sends()).toEqual([{ QueueUrl: QUEUE_URL, MessageBody: body, MessageAttributes: expectedAttributes }]);
    expect(lastLog()).toMatchObject({
      service: 'ingress',
      level: 'info',
      outcome: 'enqueued',
      eventId: 'evt_3TestIngressEvent0001',
      eventType: 'payment_intent.succeeded',
      messageId: 'msg-0001',
      statusCode: 200,
      durationMs: 0,
    });
  });

  it('answers 200 only after SQS accepted the message', async () => {
    let markStarted: () => void = () => undefined;
    const sendStarted = new Promise<void>((resolve) => (markStarted = resolve));
    let accept: (value: { MessageId: string }) => void = () => undefined;
    sqsMock.on(SendMessageCommand).callsFake(() => {
      markStarted();
      return new Promise((resolve) => (accept = resolve));
    });
    let settled = false;
    const pending = build()(signedRequest()).then((r) => {
      settled = true;
      return r;
    });
    await sendStarted;
    await Promise.resolve();
    expect(settled).toBe(false);
    clock += 25; // SQS took 25 ms: the log line measures the whole request
    accept({ MessageId: 'msg-late' });
    expect((await pending).statusCode).toBe(200);
    expect(lastLog()).toMatchObject({ outcome: 'enqueued', messageId: 'msg-late', durationMs: 25 });
  });

  it('omits stripe_api_version when the event has none and sends livemode as text', async () => {
    const body = stripeBody(paymentIntentSucceeded({ api_version: null, livemode: true }));
    expect((await build()(signedRequest(body))).statusCode).toBe(200);
    const attributes = sends()[0]!.MessageAttributes!;
    expect(attributes).not.toHaveProperty('stripe_api_version');
    expect(attributes.stripe_livemode).toEqual({ DataType: 'String', StringValue: 'true' });
  });

  it('decodes a base64 body and verifies and forwards the decoded bytes', async () => {
    const body = stripeBody(paymentIntentSucceeded({ type: 'customer.updated' }));
    const request = apiRequest({
      body: Buffer.from(body, 'utf8').toString('base64'),
      isBase64Encoded: true,
      headers: { 'stripe-signature': sign(body) },
    });
    expect((await build()(request)).statusCode).toBe(200);
    expect(sends().map((s) => s.MessageBody)).toEqual([body]);
  });

  it('finds the signature header whatever its case', async () => {
    const body = stripeBody();
    const request = apiRequest({ body, headers: { 'Stripe-Signature': sign(body) } });
    expect((await build()(request)).statusCode).toBe(200);
    expect(sends()).toHaveLength(1);
  });

  it('accepts a body signed with the second configured secret (rotation) and logs which one matched', async () => {
    const secrets = new WebhookSecrets({ secret: new CachedSecret({ value: `${SECRET},${OTHER_SECRET}` }), now: () => clock });
    const response = await build({ secrets })(signedRequest(stripeBody(), { secret: OTHER_SECRET }));
    expect(response.statusCode).toBe(200);
    expect(sends()).toHaveLength(1);
    expect(lastLog()).toMatchObject({ outcome: 'enqueued', secretIndex: 1 });
  });

  it('accepts a header whose second v1 value is the matching one', async () => {
    const body = stripeBody();
    const wrong = sign(body, { secret: OTHER_SECRET });
    const right = sign(body).split(',')[1]!;
    const request = apiRequest({ body, headers: { 'stripe-signature': `${wrong},${right}` } });
    expect((await build()(request)).statusCode).toBe(200);
    expect(sends()).toHaveLength(1);
  });

  it('accepts a timestamp slightly in the future (clock skew inside the tolerance)', async () => {
    const response = await build()(signedRequest(stripeBody(), { timestamp: NOW_S + 120 }));
    expect(response.statusCode).toBe(200);
  });

  it('acknowledges an event type the bridge does not handle without enqueuing it', async () => {
    const body = stripeBody(paymentIntentSucceeded({ type: 'payment_intent.created' }));
    const response = await build()(signedRequest(body));
    expect(response).toMatchObject({ statusCode: 200, body: '{"received":true}' });
    expect(sends()).toHaveLength(0);
    expect(lastLog()).toMatchObject({ outcome: 'ignored', eventType: 'payment_intent.created', eventId: 'evt_3TestIngressEvent0001' });
  });
});

describe('ingress: messages too large or unsafe for SQS', () => {
  it('sends a reference instead of the body when body and attributes exceed the SQS limit', async () => {
    const body = stripeBody();
    const config = { maxMessageBytes: Buffer.byteLength(body) + 50 };
    expect((await build({ config })(signedRequest(body))).statusCode).toBe(200);

    const [input] = sends();
    expect(input).toEqual({
      QueueUrl: QUEUE_URL,
      MessageBody: '{"stripe_event_reference":"evt_3TestIngressEvent0001"}',
      MessageAttributes: { ...expectedAttributes, stripe_payload: { DataType: 'String', StringValue: 'reference' } },
    });
    // The consumer side reads it back as a reference to fetch from Stripe.
    const received = readInboundMessage(input!.MessageBody!, input!.MessageAttributes);
    expect(received).toMatchObject({ kind: 'reference', event: { id: 'evt_3TestIngressEvent0001' } });
    expect(lastLog()).toMatchObject({ outcome: 'enqueued_reference' });
  });

  it('resends as a reference when SQS refuses the characters of the body', async () => {
    sqsMock
      .on(SendMessageCommand)
      .rejectsOnce(new InvalidMessageContents({ $metadata: { httpStatusCode: 400 }, message: 'Invalid characters' }))
      .resolves({ MessageId: 'msg-ref' });
    const event = paymentIntentSucceeded();
    const body = stripeBody({ ...event, data: { object: { ...event.data.object, description: 'odd \uFFFF char' } } });
    expect((await build()(signedRequest(body))).statusCode).toBe(200);
    expect(sends().map((s) => s.MessageAttributes!.stripe_payload!.StringValue)).toEqual(['inline', 'reference']);
    expect(sends()[1]!.MessageBody).toBe('{"stripe_event_reference":"evt_3TestIngressEvent0001"}');
    expect(lastLog()).toMatchObject({ outcome: 'enqueued_reference', messageId: 'msg-ref' });
  });
});

describe('ingress: rejected requests', () => {
  // `rejectionCause` is what the stack's WebhookRejected alarms count (one per paged cause).
  async function expectRejected(request: ReturnType<typeof apiRequest>, reason: string, rejectionCause: string) {
    const response = await build()(request);
    expect(response).toEqual({
      statusCode: 400,
      headers: { 'content-type': 'application/json' },
      body: '{"error":"Invalid signature"}',
    });
    expect(sends()).toHaveLength(0);
    expect(lastLog()).toMatchObject({ level: 'warn', outcome: 'rejected', reason, rejectionCause, statusCode: 400 });
  }

  it('rejects a tampered body', async () => {
    const body = stripeBody();
    await expectRejected(apiRequest({ body: body.replace('4200', '1'), headers: { 'stripe-signature': sign(body) } }), 'SIGNATURE_MISMATCH', 'signature');
  });

  it('rejects a body signed with a secret we do not hold', async () => {
    await expectRejected(signedRequest(stripeBody(), { secret: OTHER_SECRET }), 'SIGNATURE_MISMATCH', 'signature');
  });

  it('rejects a stale timestamp', async () => {
    await expectRejected(signedRequest(stripeBody(), { timestamp: NOW_S - 301 }), 'SIGNATURE_STALE', 'tolerance');
  });

  it('rejects a timestamp beyond the tolerance in the future', async () => {
    await expectRejected(signedRequest(stripeBody(), { timestamp: NOW_S + 301 }), 'SIGNATURE_STALE', 'tolerance');
  });

  it('rejects a request without a signature header', async () => {
    await expectRejected(apiRequest({ body: stripeBody() }), 'SIGNATURE_MISSING', 'malformed');
  });

  it('rejects a malformed signature header', async () => {
    await expectRejected(apiRequest({ body: stripeBody(), headers: { 'stripe-signature': 't=soon,v1=abc' } }), 'SIGNATURE_MALFORMED', 'malformed');
  });

  it('rejects a signed body that is not a Stripe event', async () => {
    for (const body of ['not json', '[]', '{"object":"charge","id":"ch_1"}', stripeBody({ ...paymentIntentSucceeded(), id: 'ch_1' }), stripeBody({ ...paymentIntentSucceeded(), data: {} })]) {
      logs = captureLogs();
      const response = await build()(signedRequest(body));
      expect(response).toMatchObject({ statusCode: 400, body: '{"error":"Not a Stripe event"}' });
      expect(lastLog()).toMatchObject({ outcome: 'rejected', reason: 'EVENT_INVALID' });
    }
    expect(sends()).toHaveLength(0);
  });

  it('rejects a base64 body that is not UTF-8 even when correctly signed', async () => {
    const bytes = Buffer.from('{"object":"event","id":"evt_1","note":"\xff\xfe"}', 'latin1');
    const header = `t=${NOW_S},v1=${computeSignature(bytes, NOW_S, SECRET)}`;
    const request = apiRequest({ body: bytes.toString('base64'), isBase64Encoded: true, headers: { 'stripe-signature': header } });
    expect(await build()(request)).toMatchObject({ statusCode: 400, body: '{"error":"Not a Stripe event"}' });
    expect(sends()).toHaveLength(0);
  });

  it('answers 405 with allow: POST for other methods', async () => {
    const body = stripeBody();
    const response = await build()(apiRequest({ method: 'GET', body, headers: { 'stripe-signature': sign(body) } }));
    expect(response).toEqual({
      statusCode: 405,
      headers: { 'content-type': 'application/json', allow: 'POST' },
      body: '{"error":"Method not allowed"}',
    });
    expect(sends()).toHaveLength(0);
  });

  it('answers 413 above maxBodyBytes without reading secrets (no HMAC) or calling SQS', async () => {
    const secrets = new WebhookSecrets({ secret: new CachedSecret({ value: SECRET }), now: () => clock });
    const current = vi.spyOn(secrets, 'current');
    const body = stripeBody();
    const limit = Buffer.byteLength(body);
    const ingress = build({ secrets, config: { maxBodyBytes: limit - 1 } });

    expect((await ingress(signedRequest(body))).statusCode).toBe(413);
    const base64 = apiRequest({ body: Buffer.from(body).toString('base64'), isBase64Encoded: true, headers: { 'stripe-signature': sign(body) } });
    expect((await ingress(base64)).statusCode).toBe(413);
    expect(current).not.toHaveBeenCalled();
    expect(sends()).toHaveLength(0);
    expect(logs.lines().map((l) => [l.reason, l.rejectionCause])).toEqual([
      ['BODY_TOO_LARGE', 'size'],
      ['BODY_TOO_LARGE', 'size'],
    ]);

    // Exactly at the limit is fine, counted in bytes of the decoded body.
    expect((await build({ config: { maxBodyBytes: limit } })(base64)).statusCode).toBe(200);
  });
});

describe('ingress: SQS failures', () => {
  it('answers 503 when SQS is unavailable, so Stripe retries', async () => {
    sqsMock.on(SendMessageCommand).rejects(
      new SQSServiceException({ name: 'ServiceUnavailable', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'down' }),
    );
    const response = await build()(signedRequest());
    expect(response).toMatchObject({ statusCode: 503, body: '{"error":"Temporarily unavailable"}' });
    expect(lastLog()).toMatchObject({
      level: 'error',
      outcome: 'failed',
      reason: 'SQS_UNAVAILABLE',
      details: { sqsError: 'ServiceUnavailable' },
      eventId: 'evt_3TestIngressEvent0001',
    });
  });

  it('answers 503 on a network error', async () => {
    sqsMock.on(SendMessageCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    expect((await build()(signedRequest())).statusCode).toBe(503);
  });

  it('answers 500 when SQS refuses us (misconfiguration), so it pages someone', async () => {
    sqsMock.on(SendMessageCommand).rejects(
      new SQSServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'no' }),
    );
    expect((await build()(signedRequest())).statusCode).toBe(500);
    expect(lastLog()).toMatchObject({ outcome: 'failed', reason: 'SQS_REJECTED' });
  });
});

describe('ingress: secret rotation through Secrets Manager', () => {
  const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:stripe-webhook-AbCdEf';

  function rotatingSecret(initial: string) {
    const state = { value: initial, reads: 0 };
    const fetcher: SecretFetcher = {
      fetch: (arn) => {
        expect(arn).toBe(ARN);
        state.reads++;
        return Promise.resolve(state.value);
      },
    };
    const secrets = new WebhookSecrets({ secret: new CachedSecret({ arn: ARN }, fetcher), now: () => clock });
    return { state, secrets };
  }

  it('re-reads a rotated secret at most once per minute, however many requests fail', async () => {
    const { state, secrets } = rotatingSecret(SECRET);
    const ingress = build({ secrets });
    const at = async (offsetSeconds: number, secret: string) => {
      clock = NOW_MS + offsetSeconds * 1000;
      return (await ingress(signedRequest(stripeBody(), { secret, timestamp: Math.floor(clock / 1000) }))).statusCode;
    };

    expect(await at(0, SECRET)).toBe(200);
    expect(state.reads).toBe(1);

    state.value = OTHER_SECRET; // rotated in Secrets Manager
    expect(await at(10, OTHER_SECRET)).toBe(400); // cached copy is 10 s old: no re-read
    expect(await at(59, OTHER_SECRET)).toBe(400);
    expect(state.reads).toBe(1);

    expect(await at(61, OTHER_SECRET)).toBe(200); // older than 60 s: re-read once, verified
    expect(state.reads).toBe(2);

    for (let s = 62; s < 120; s += 7) expect(await at(s, 'whsec_test_fake_attacker')).toBe(400);
    expect(state.reads).toBe(2);

    expect(await at(122, 'whsec_test_fake_attacker')).toBe(400);
    expect(state.reads).toBe(3);
    expect(await at(130, OTHER_SECRET)).toBe(200);
    expect(state.reads).toBe(3);
  });

  it('reads a comma-separated or JSON secret value', async () => {
    const { state, secrets } = rotatingSecret(JSON.stringify({ STRIPE_WEBHOOK_SECRET: `${OTHER_SECRET}, ${SECRET}` }));
    expect((await build({ secrets })(signedRequest())).statusCode).toBe(200);
    expect(state.reads).toBe(1);
    expect(lastLog()).toMatchObject({ secretIndex: 1 });
  });

  it('never re-reads a secret given in the environment', async () => {
    const secret = new CachedSecret({ value: SECRET });
    const refresh = vi.spyOn(secret, 'refresh');
    const ingress = build({ secrets: new WebhookSecrets({ secret, now: () => clock }) });
    clock += 3_600_000;
    expect((await ingress(signedRequest(stripeBody(), { secret: OTHER_SECRET, timestamp: Math.floor(clock / 1000) }))).statusCode).toBe(400);
    expect(refresh).not.toHaveBeenCalled();
  });

  it('answers 503 when Secrets Manager cannot be read, and does not enqueue', async () => {
    const fetcher: SecretFetcher = {
      fetch: () => Promise.reject(new TransientError('Could not read secret', { code: 'SECRET_UNAVAILABLE' })),
    };
    const secrets = new WebhookSecrets({ secret: new CachedSecret({ arn: ARN }, fetcher), now: () => clock });
    expect((await build({ secrets })(signedRequest())).statusCode).toBe(503);
    expect(sends()).toHaveLength(0);
    expect(lastLog()).toMatchObject({ outcome: 'failed', reason: 'SECRET_UNAVAILABLE' });
  });
});

describe('ingress: logs', () => {
  it('never contain the body, the signature header or a secret', async () => {
    const secrets = new WebhookSecrets({ secret: new CachedSecret({ value: `${SECRET},${OTHER_SECRET}` }), now: () => clock });
    const ingress = build({ secrets });
    const body = stripeBody();
    const requests = [
      signedRequest(body),
      signedRequest(body, { secret: 'whsec_test_fake_wrong' }),
      signedRequest(body, { timestamp: NOW_S - 1000 }),
      signedRequest(stripeBody({ object: 'charge', description: 'BODY-MARKER-must-never-reach-logs' })),
      apiRequest({ body, headers: { 'stripe-signature': 'garbage' } }),
      apiRequest({ body: `${body}${'x'.repeat(70_000)}`, headers: { 'stripe-signature': sign(body) } }),
    ];
    for (const request of requests) await ingress(request);

    expect(logs.raw).toHaveLength(requests.length);
    const text = logs.raw.join('');
    expect(text).not.toContain('BODY-MARKER');
    expect(text).not.toContain('pi_3TestIngressPayment01');
    expect(text).not.toContain('whsec_');
    for (const request of requests) {
      const header = request.headers['stripe-signature']!;
      for (const part of header.split(',')) expect(text).not.toContain(part.split('=')[1]);
    }
    expect(logs.lines().map((l) => l.outcome)).toEqual(['enqueued', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
    for (const line of logs.lines()) expect(Object.keys(line)).not.toContain('headers');
  });
});
