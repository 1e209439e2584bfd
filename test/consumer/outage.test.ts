/**
 * Invariant 9, "ride out outages": a 12-hour Salesforce outage costs delay, not dead letters.
 *
 * The consumer runs as in Lambda (jsforce over HTTP to the Salesforce stand-in, dynalite, the
 * SQS client mocked with aws-sdk-client-mock) against a simulated queue with SQS's semantics
 * (visibility timeout, receive count, redrive) and a clock the test moves, so half a day passes
 * in seconds. During the outage the stand-in answers every REST call as Salesforce does during
 * maintenance: "503 Service Unavailable: the server is down for maintenance or overloaded"
 * (Salesforce REST API Developer Guide, "Status Codes and Error Responses").
 */
import { ChangeMessageVisibilityBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConsumerConfig, type Env } from '../../src/config.js';
import { createConsumerApp, type ConsumerApp } from '../../src/inbound/consumer-app.js';
import { createLogger } from '../../src/logging.js';
import type { LocalQueue } from '../../src/local/local-queue.js';
import { sampleEvent } from '../../src/local/sample-events.js';
import { CLIENT_ID, CLIENT_SECRET, inboundRecord, startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';
import { drain, seededRandom, simulateSqs, visibilityDelays, type SqsMock } from '../support/sqs-simulation.js';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/inbound';
const DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/inbound-dlq';
const HOUR = 3600_000;
/** The stack's visibility timeout: 6 × the 60 s consumer timeout + the 1 s batching window. */
const VISIBILITY_MS = 361_000;

let h: ConsumerHarness;
let seq = 0;

beforeAll(async () => {
  h = await startConsumerHarness();
});
afterAll(async () => h.close());
beforeEach(() => h.logs.clear());
afterEach(() => {
  h.salesforce.clearFailures();
});

interface Simulation {
  readonly app: ConsumerApp;
  readonly queue: LocalQueue;
  readonly deadLetters: SendMessageCommand['input'][];
  /** The consumer's SQS client, mocked: what it sent. */
  readonly sqs: SqsMock;
  /** Salesforce REST calls made while the outage lasted. */
  salesforceCallsDuringOutage: number;
  receivesDuringOutage: number;
}

function simulation(env: Env = {}): Simulation {
  const config = loadConsumerConfig({
    DEDUP_TABLE_NAME: h.dynamo.tableName,
    SALESFORCE_LOGIN_URL: h.salesforce.url,
    SALESFORCE_CLIENT_ID: CLIENT_ID,
    SALESFORCE_CLIENT_SECRET: CLIENT_SECRET,
    EVENT_LEASE_SECONDS: '120',
    INBOUND_QUEUE_URL: QUEUE_URL,
    INBOUND_DLQ_URL: DLQ_URL,
    LOG_LEVEL: 'info',
    ...env,
  });
  const sqs = simulateSqs({ queueUrl: QUEUE_URL, dlqUrl: DLQ_URL, maxReceiveCount: config.maxReceiveCount, visibilityTimeoutMs: VISIBILITY_MS, now: () => h.nowMs });
  const app = createConsumerApp({
    config,
    logger: createLogger({ service: 'consumer', level: 'info', destination: h.logs }),
    dynamo: h.dynamo.client,
    sqs: sqs.client,
    fetchEvent: async () => {
      throw new Error('no reference events here');
    },
    now: () => h.nowMs,
    random: seededRandom(42),
  });
  return { app, queue: sqs.queue, deadLetters: sqs.deadLetters, sqs: sqs.mock, salesforceCallsDuringOutage: 0, receivesDuringOutage: 0 };
}

/** Plays the Lambda event source until `until` or until the queue is empty. */
async function run(sim: Simulation, until: number, outage: boolean): Promise<void> {
  await drain(sim.queue, h, until, async (batch) => {
    const callsBefore = h.salesforce.apiCalls;
    const summary = await sim.app.handle(batch);
    if (outage) {
      sim.salesforceCallsDuringOutage += h.salesforce.apiCalls - callsBefore;
      sim.receivesDuringOutage += batch.length;
    }
    return summary.response.batchItemFailures.map((f) => f.itemIdentifier);
  });
}

function enqueue(sim: Simulation, count: number): string[] {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    seq += 1;
    const pi = `pi_test_outage${seq}`;
    ids.push(pi);
    const record = inboundRecord(sampleEvent('payment_intent.succeeded', { id: `evt_test_outage${seq}`, objectId: pi, metadata: {} }));
    const attributes = Object.fromEntries(
      Object.entries(record.messageAttributes).map(([name, value]) => [name, { DataType: value?.dataType ?? 'String', StringValue: value?.stringValue }]),
    );
    sim.queue.enqueue(record.body, attributes);
    h.nowMs += 60_000; // events keep arriving during the outage, a minute apart
  }
  return ids;
}

const applied = (pis: readonly string[]) => pis.filter((pi) => h.salesforce.records('Stripe_Payment__c').some((r) => r['Stripe_Id__c'] === pi));

describe('a 12-hour Salesforce outage', () => {
  it('dead-letters nothing, stops calling Salesforce while its circuit is open, and applies everything after recovery', async () => {
    const sim = simulation();
    h.salesforce.failNextRequests(100_000, 503, 'SERVER_UNAVAILABLE');
    const pis = enqueue(sim, 8);
    const firstFailure = h.nowMs;

    await run(sim, firstFailure + 12 * HOUR, true);
    expect(applied(pis)).toEqual([]);
    h.salesforce.clearFailures();
    const recoveredAt = h.nowMs;
    await run(sim, recoveredAt + 2 * HOUR, false);

    // Nothing lost, nothing dead-lettered, everything applied soon after recovery.
    expect(sim.deadLetters).toEqual([]);
    expect(applied(pis)).toEqual(pis);
    expect(sim.queue.stats()).toEqual({ visible: 0, inFlight: 0 });
    // At most one capped backoff (15 minutes) after Salesforce came back.
    expect(h.nowMs - recoveredAt).toBeLessThanOrEqual(15 * 60_000 + 60_000);

    // The breaker opened, dated from the first failure, and was probed rather than hammered.
    const opened = h.logs.lines.find((l) => l['dependency'] === 'salesforce' && l['circuit'] === 'open' && l['level'] === 'error');
    expect(opened?.['unreachableSince']).toBe(new Date(firstFailure).toISOString());
    expect(sim.receivesDuringOutage).toBeGreaterThan(300);
    // At most one call per probe (every 5 minutes at most once the interval is capped) plus the
    // three failures that opened the circuit.
    expect(sim.salesforceCallsDuringOutage).toBeLessThanOrEqual(3 + Math.ceil((12 * HOUR) / 300_000) + 8);
    expect(sim.salesforceCallsDuringOutage).toBeGreaterThan(100);
    const closed = h.logs.lines.find((l) => l['dependency'] === 'salesforce' && l['circuit'] === 'closed');
    expect(Number(closed?.['downSeconds'])).toBeGreaterThanOrEqual(12 * 3600);

    // Every retry went back through SQS with a backoff between 5 s and the 15-minute cap.
    const delays = visibilityDelays(sim.sqs);
    expect(delays.length).toBeGreaterThan(300);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...delays)).toBe(900);
    for (const call of sim.sqs.commandCalls(ChangeMessageVisibilityBatchCommand)) {
      expect(call.args[0].input.Entries!.length).toBeLessThanOrEqual(10);
    }
    expect(sim.sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('dead-letters what is still failing once it is older than the retry horizon, with the outage as its reason', async () => {
    const sim = simulation({ RETRY_HORIZON_HOURS: '2' });
    h.salesforce.failNextRequests(100_000, 503, 'SERVER_UNAVAILABLE');
    const pis = enqueue(sim, 3);
    await run(sim, h.nowMs + 3 * HOUR, true);

    expect(applied(pis)).toEqual([]);
    expect(sim.deadLetters).toHaveLength(3);
    for (const sent of sim.deadLetters) {
      expect(sent.QueueUrl).toBe(DLQ_URL);
      expect(sent.MessageAttributes?.['failure_code']?.StringValue).toMatch(/^SALESFORCE_(UNREACHABLE|SERVER_UNAVAILABLE)$/);
    }
    expect(h.logs.withOutcome('dead_lettered').every((l) => l['deadLetterCause'] === 'horizon')).toBe(true);
  });
});

describe('transient failures that are not outages', () => {
  it('retry with a short backoff and leave the circuit closed', async () => {
    const sim = simulation();
    const [pi] = enqueue(sim, 1);
    h.salesforce.failRecord('Stripe_Payment__c', pi!, 'UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access to this record', 4);
    await run(sim, h.nowMs + HOUR, false);
    expect(applied([pi!])).toEqual([pi]);
    expect(sim.app.salesforce.breaker.snapshot().state).toBe('closed');
    const delays = visibilityDelays(sim.sqs);
    expect(delays).toHaveLength(4);
    expect(Math.max(...delays)).toBeLessThanOrEqual(80);
  });
});
