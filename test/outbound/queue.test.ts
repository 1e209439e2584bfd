/**
 * The outbound path rides out outages like the inbound one: payment requests wait in the
 * outbound queue with per-message backoff (SQS ChangeMessageVisibility, mocked with
 * aws-sdk-client-mock over a simulated queue) behind circuit breakers, and a request that fails
 * for good reaches the outbound DLQ with its code and reason as message attributes next to the
 * untouched EventBridge event. Stripe answers an outage with 5xx `api_error` ("Something went
 * wrong on Stripe's end", Stripe API reference, Errors); Salesforce with 503 during maintenance
 * (Salesforce REST API Developer Guide, "Status Codes and Error Responses").
 */
import type { SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadOutboundConfig, type Env } from '../../src/config.js';
import { ATTR } from '../../src/ingress/inbound-message.js';
import { createLogger } from '../../src/logging.js';
import { createQueuedOutbound, toQueuedRequest, type QueuedOutbound } from '../../src/commands/queue-app.js';
import { drain, seededRandom, simulateSqs, visibilityDelays, type SimulatedSqs } from '../support/sqs-simulation.js';
import { CLIENT_ID, CLIENT_SECRET, paymentRequestEvent, seedOpportunity, startOutboundHarness, type OutboundHarness } from './harness.js';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/outbound';
const DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/outbound-dlq';
const HOUR = 3600_000;
const LINES = [{ Name: 'Gold plan', Quantity: 1, UnitPrice: 1200, TotalPrice: 1200 }];

let h: OutboundHarness;

beforeAll(async () => {
  h = await startOutboundHarness();
});
afterAll(async () => h?.close());
beforeEach(() => h.logs.clear());
afterEach(() => {
  h.salesforce.clearFailures();
  h.stripe.clearFailures();
});

function queued(env: Env = {}): { outbound: QueuedOutbound; sqs: SimulatedSqs } {
  const config = loadOutboundConfig({
    DEDUP_TABLE_NAME: h.dynamo.tableName,
    EVENT_LEASE_SECONDS: '120',
    SALESFORCE_LOGIN_URL: h.salesforce.url,
    SALESFORCE_CLIENT_ID: CLIENT_ID,
    SALESFORCE_CLIENT_SECRET: CLIENT_SECRET,
    STRIPE_SECRET_KEY: 'sk_test_fake_outbound',
    STRIPE_API_URL: h.stripe.url,
    OUTBOUND_QUEUE_URL: QUEUE_URL,
    OUTBOUND_DLQ_URL: DLQ_URL,
    LOG_LEVEL: 'info',
    ...env,
  });
  const sqs = simulateSqs({ queueUrl: QUEUE_URL, dlqUrl: DLQ_URL, maxReceiveCount: config.retry.maxReceiveCount, visibilityTimeoutMs: 360_000, now: () => h.nowMs });
  const outbound = createQueuedOutbound({
    config,
    logger: createLogger({ service: 'outbound', level: 'info', destination: h.logs }),
    dynamo: h.dynamo.client,
    sqs: sqs.client,
    stripeOptions: { maxNetworkRetries: 0 },
    now: () => h.nowMs,
    random: seededRandom(7),
  });
  return { outbound, sqs };
}

const run = (q: { outbound: QueuedOutbound; sqs: SimulatedSqs }, until: number) =>
  drain(q.sqs.queue, h, until, async (batch) => (await q.outbound.handle(batch)).batchItemFailures.map((f) => f.itemIdentifier));

function requestPayment(q: { sqs: SimulatedSqs }, count: number): string[] {
  return Array.from({ length: count }, () => {
    const { opportunityId } = seedOpportunity(h.salesforce, { lines: LINES });
    q.sqs.queue.enqueue(JSON.stringify(paymentRequestEvent(opportunityId)));
    return opportunityId;
  });
}

const invoicesFor = (opportunityId: string) => h.stripe.invoices().filter((i) => (i['metadata'] as Record<string, string>)['salesforce_opportunity_id'] === opportunityId);

describe('a 12-hour outage on the outbound path', () => {
  it('Stripe down: nothing dead-lettered, the Stripe circuit opens and probes, each Opportunity billed once after recovery', async () => {
    const q = queued();
    h.stripe.failNextRequests(100_000, 503);
    const opportunities = requestPayment(q, 3);
    const start = h.nowMs;
    await run(q, start + 12 * HOUR);
    expect(h.stripe.invoices()).toHaveLength(0);
    expect(q.outbound.stripe.breaker.snapshot().state).toBe('open');
    const stripeCallsDuringOutage = h.stripe.requests.length;

    h.stripe.clearFailures();
    await run(q, h.nowMs + 2 * HOUR);

    expect(q.sqs.deadLetters).toEqual([]);
    for (const opportunityId of opportunities) {
      expect(invoicesFor(opportunityId)).toHaveLength(1);
      expect(h.salesforce.records('Opportunity').find((o) => o['Id'] === opportunityId)).toMatchObject({ Stripe_Payment_Status__c: 'Awaiting Payment' });
    }
    // Probed at most every 5 minutes once the interval is capped, not once per retry.
    expect(stripeCallsDuringOutage).toBeLessThan(12 * 12 + 20);
    expect(h.logs.lines.some((l) => l['dependency'] === 'stripe' && l['circuit'] === 'closed')).toBe(true);
    expect(Math.max(...visibilityDelays(q.sqs.mock))).toBeGreaterThan(850);
  });

  it('Salesforce down, even before the first successful call of a cold start: the circuit opens and nothing is dead-lettered', async () => {
    const q = queued();
    const opportunities = requestPayment(q, 2);
    h.salesforce.failNextRequests(100_000, 503, 'SERVER_UNAVAILABLE');
    await run(q, h.nowMs + 12 * HOUR);
    expect(q.outbound.salesforce.breaker.snapshot().state).toBe('open');
    const unreachable = h.logs.lines.find((l) => l['dependency'] === 'salesforce' && l['circuit'] === 'open');
    expect(unreachable?.['unreachableSince']).toEqual(expect.any(String));

    h.salesforce.clearFailures();
    await run(q, h.nowMs + 2 * HOUR);
    expect(q.sqs.deadLetters).toEqual([]);
    for (const opportunityId of opportunities) expect(invoicesFor(opportunityId)).toHaveLength(1);
  });
});

describe('failures for good', () => {
  it('go to the outbound DLQ with code, reason, time and receive count, next to the untouched event', async () => {
    const q = queued();
    // A payment request naming an Account instead of an Opportunity can never succeed.
    const event = paymentRequestEvent('001Ab0000099999AAA');
    q.sqs.queue.enqueue(JSON.stringify(event));
    await run(q, h.nowMs + HOUR);

    expect(q.sqs.deadLetters).toHaveLength(1);
    const [sent] = q.sqs.deadLetters;
    expect(JSON.parse(sent!.MessageBody!)).toEqual(event);
    expect(sent!.MessageAttributes).toMatchObject({
      [ATTR.failureCode]: { DataType: 'String', StringValue: 'PAYMENT_REQUEST_INVALID' },
      [ATTR.failedAt]: { DataType: 'String', StringValue: new Date(h.nowMs - 2000).toISOString() },
      [ATTR.receiveCount]: { DataType: 'Number', StringValue: '1' },
    });
    expect(sent!.MessageAttributes?.[ATTR.failureReason]?.StringValue).toContain('Opportunity_Id__c');
    expect(q.sqs.queue.stats()).toMatchObject({ visible: 0, inFlight: 0 });
  });

  it('a body that is not JSON is dead-lettered at once', async () => {
    const q = queued();
    q.sqs.queue.enqueue('not json');
    await run(q, h.nowMs + HOUR);
    expect(q.sqs.deadLetters.map((d) => d.MessageAttributes?.[ATTR.failureCode]?.StringValue)).toEqual(['EVENT_NOT_JSON']);
  });
});

it('reads what the Lambda SQS event carries: receive count, sent time, receipt handle', () => {
  const record = {
    messageId: 'm-1',
    receiptHandle: 'rh-1',
    body: '{}',
    attributes: { ApproximateReceiveCount: '3', SentTimestamp: '1793491200000', SenderId: 'x', ApproximateFirstReceiveTimestamp: '1793491200001' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:111122223333:outbound',
    awsRegion: 'eu-west-1',
  } as SQSRecord;
  expect(toQueuedRequest(record)).toEqual({ messageId: 'm-1', body: '{}', receiveCount: 3, receiptHandle: 'rh-1', sentAt: 1_793_491_200_000 });
});
