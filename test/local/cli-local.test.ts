/**
 * The operator CLI, unchanged, against the running local stack (`--local`): an event dead-lettered
 * by the real consumer is found by `dlq stats|peek`, replayed by `dlq replay`, and applied; a
 * webhook that never arrived is fetched from the embedded Stripe by `replay-event`; a whole DLQ
 * goes back with a message move task; an outbound failure is replayed through Lambda's Invoke
 * API; the page's replay button runs the same replay. The CLI talks to the stack over the SQS JSON
 * protocol and Lambda's API with the real AWS SDK; nothing is mocked.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localAwsConfig } from '../../src/ops/local-aws.js';
import { closedWonEvent } from '../../src/local/platform-event.js';
import { sampleEvent } from '../../src/local/sample-events.js';
import type { LocalStack } from '../../src/local/stack.js';
import { stateFilePath, stateOf, writeStateFile } from '../../src/local/state-file.js';
import { systemClock } from '../../src/ops/clock.js';
import { NO_REASON_ROLLUP } from '../../src/ops/dlq-message.js';
import { runCli } from '../../src/ops/cli.js';
import { runSendEvent } from '../../src/local/send.js';
import { startTestStack } from '../support/local-stack.js';

const stripe = new Stripe('sk_test_fake_local_cli_tests');
let stack: LocalStack;
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'local-cli-test-'));
  stack = await startTestStack();
  await writeStateFile(stateFilePath(stack.port, directory), stateOf(stack, process.pid));
});

afterAll(async () => {
  await stack?.close();
  await rm(directory, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    env: { PORT: String(stack.port) },
    clock: systemClock,
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
    localStateDirectory: directory,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function deliver(event: Stripe.Event): Promise<void> {
  const payload = JSON.stringify(event);
  const response = await fetch(`${stack.url}/stripe/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: stack.webhookSecret as string }) },
    body: payload,
  });
  expect(response.status).toBe(200);
  await stack.idle();
}

let counter = 0;
/** A payment of its own PaymentIntent, so each test's Salesforce record is distinct. */
function payment(): { event: Stripe.Event; pi: string } {
  counter += 1;
  const pi = `pi_test_cli${String(counter).padStart(4, '0')}`;
  const event = sampleEvent('payment_intent.succeeded', { id: `evt_local_cli_${counter}`, objectId: pi, created: Math.floor(Date.now() / 1000) });
  return { event, pi };
}

/** node:http, because fetch does not let a caller choose the Host header (a browser's DNS rebinding does). */
function status(method: string, path: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: stack.port, path, method, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const paymentRecord = (pi: string) => stack.salesforce?.records('Stripe_Payment__c').find((p) => p.Stripe_Id__c === pi);

describe('the operator CLI with --local', () => {
  it('finds an event the consumer dead-lettered, replays it, and the consumer applies it', async () => {
    const { event, pi } = payment();
    // One permanent rejection (a validation rule), then Salesforce accepts the record.
    stack.salesforce?.failRecord('Stripe_Payment__c', pi, 'FIELD_CUSTOM_VALIDATION_EXCEPTION', 'Amount must be positive', 1);
    await deliver(event);
    expect(stack.activity.get(event.id)?.status).toBe('dead_lettered');
    expect(paymentRecord(pi)).toBeUndefined();

    // --sample 1: the DLQ holds this one message, so one receive samples all of it. Without it the
    // sample ends, as against SQS, on a receive that long-polls the emptied queue for a second;
    // the peek below runs that default sampling, its last empty receive included.
    const stats = await cli('dlq', 'stats', '--local', '--json', '--sample', '1');
    expect(stats.code).toBe(0);
    const [inbound] = JSON.parse(stats.out) as Array<{ queue: string; depth: number; byReason: Record<string, number> }>;
    expect(inbound).toMatchObject({ queue: 'inbound', depth: 1, byReason: { SALESFORCE_FIELD_CUSTOM_VALIDATION_EXCEPTION: 1 } });

    const peek = await cli('dlq', 'peek', '--local');
    expect(peek.code).toBe(0);
    expect(peek.out).toContain(event.id);
    expect(peek.out).toContain('SALESFORCE_FIELD_CUSTOM_VALIDATION_EXCEPTION');

    const replay = await cli('dlq', 'replay', '--local', '--event-id', event.id);
    expect(replay.code).toBe(0);
    await stack.idle();
    expect(paymentRecord(pi)).toMatchObject({ Status__c: 'Succeeded' });
    expect(stack.activity.get(event.id)?.status).toBe('applied');
    expect(stack.inboundDlq.peek()).toEqual([]);
  });

  it('replay-event fetches an evt_local_… event that never arrived from the embedded Stripe', async () => {
    const { event, pi } = payment();
    stack.stripe?.registerEvent(event);
    const run = await cli('replay-event', '--local', event.id);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    await stack.idle();
    expect(paymentRecord(pi)).toMatchObject({ Status__c: 'Succeeded' });
  });

  it('dlq replay --all moves the whole DLQ back with a message move task', async () => {
    const first = payment();
    const second = payment();
    for (const { pi } of [first, second]) {
      stack.salesforce?.failRecord('Stripe_Payment__c', pi, 'FIELD_CUSTOM_VALIDATION_EXCEPTION', 'Amount must be positive', 1);
    }
    await deliver(first.event);
    await deliver(second.event);
    expect(stack.inboundDlq.peek()).toHaveLength(2);

    const run = await cli('dlq', 'replay', '--local', '--all', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({ status: 'COMPLETED', moved: 2 });
    await stack.idle();
    expect(paymentRecord(first.pi)).toBeDefined();
    expect(paymentRecord(second.pi)).toBeDefined();
  });

  it('replays an outbound failure through the outbound function (Lambda Invoke API)', async () => {
    // An Opportunity of its own: the sample one is already paid by the payments above.
    const sf = stack.salesforce;
    const opportunityId = sf?.insert('Opportunity', {
      AccountId: stack.seeded?.accountId,
      StageName: 'Closed Won',
      CloseDate: '2026-11-01',
      Amount: 120,
      Stripe_Payment_Mode__c: 'invoice',
    }) as string;
    sf?.insert('OpportunityLineItem', { OpportunityId: opportunityId, Description: 'Seats', Quantity: 1, UnitPrice: 120, TotalPrice: 120 });
    // Stripe is down for the first attempt and stripe-node's two retries; the asynchronous
    // invocation ends in the outbound DLQ.
    stack.stripe?.failNextRequests(3, 500, { path: /^\/v1\/invoices/ });
    const lambda = new LambdaClient(localAwsConfig(stack.url));
    try {
      const invoked = await lambda.send(
        new InvokeCommand({
          FunctionName: stack.outboundFunctionName,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(JSON.stringify(closedWonEvent({ opportunityId, mode: 'invoice', eventUuid: 'e1b2c3d4-0000-4000-8000-00000000c1c1' }))),
        }),
      );
      expect(invoked.StatusCode).toBe(202);
    } finally {
      lambda.destroy();
    }
    await stack.idle();
    expect(stack.outboundDlq.peek()).toHaveLength(1);
    const opportunity = () => sf?.records('Opportunity').find((o) => o.Id === opportunityId);
    expect(opportunity()?.Stripe_Invoice_Id__c ?? null).toBeNull();

    // --limit 1: the one entry this test made (the default sampling runs in the first test).
    const peek = await cli('dlq', 'peek', '--local', '--queue', 'outbound', '--json', '--limit', '1');
    const [entry] = (JSON.parse(peek.out) as { entries: Array<{ eventId: string; opportunityId: string }> }).entries;
    expect(entry?.opportunityId).toBe(opportunityId);

    const replay = await cli('dlq', 'replay', '--local', '--queue', 'outbound', '--event-id', entry?.eventId as string);
    expect(replay.code).toBe(0);
    await stack.idle();
    expect(stack.outboundDlq.peek()).toEqual([]);
    expect(opportunity()).toMatchObject({ Stripe_Payment_Status__c: 'Awaiting Payment' });
    expect(String(opportunity()?.Stripe_Invoice_Id__c)).toMatch(/^in_/);
  });

  it('dlq peek --queue rollups shows an unreadable roll-up message the writer dead-lettered at once, with its reason', async () => {
    // Not what the consumer queues: an Opportunity update carries no roll-up version (src/rollups/rollup-message.ts).
    const body = JSON.stringify({ kind: 'account-rollups', computedAt: 1, mutations: [{ sobject: 'Opportunity', key: { field: 'Id', value: '006000000000001AAA' }, fields: {} }] });
    const sqs = new SQSClient(localAwsConfig(stack.url));
    try {
      const sent = await sqs.send(new SendMessageCommand({ QueueUrl: stack.queues.rollups.url, MessageBody: body }));
      await stack.idle();
      // One receive: dead-lettered by the writer itself, not by the redrive policy's count.
      const [dead] = stack.rollupsDlq.peek();
      expect(stack.rollupsDlq.peek()).toHaveLength(1);
      expect(dead?.body).toBe(body);
      // --sample 1: the DLQ holds this one message (see the first test).
      const peek = await cli('dlq', 'peek', '--local', '--queue', 'rollups', '--json', '--sample', '1');
      expect(peek.code).toBe(0);
      const { entries } = JSON.parse(peek.out) as { entries: Array<{ failureCode?: string; failureReason: string; receiveCount?: number }> };
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ failureCode: 'ROLLUP_MESSAGE_INVALID', receiveCount: 1 });
      expect(entries[0]?.failureReason).not.toBe(NO_REASON_ROLLUP);
      expect(peek.out).not.toContain('006000000000001AAA');
      expect(sent.MessageId).toBeDefined();
    } finally {
      sqs.destroy();
    }
    expect((await cli('dlq', 'purge', '--local', '--queue', 'rollups', '--yes')).code).toBe(0);
  });

  it('purges a DLQ', async () => {
    const { event, pi } = payment();
    stack.salesforce?.failRecord('Stripe_Payment__c', pi, 'FIELD_CUSTOM_VALIDATION_EXCEPTION', 'Amount must be positive', 1);
    await deliver(event);
    expect((await cli('dlq', 'purge', '--local')).code).toBe(2);
    expect((await cli('dlq', 'purge', '--local', '--yes')).code).toBe(0);
    expect(stack.inboundDlq.peek()).toEqual([]);
  });
});

describe("a newcomer's break-and-replay", () => {
  it('send-event --fail-salesforce dead-letters the event with its reason; the CLI replays it', async () => {
    const out: string[] = [];
    const code = await runSendEvent(['invoice.paid', '--fail-salesforce', 'FIELD_CUSTOM_VALIDATION_EXCEPTION'], {
      env: { PORT: String(stack.port) },
      out: (text) => out.push(text),
      err: (text) => out.push(text),
      stateDirectory: directory,
      // Looks again once the stack has settled, not every 250 ms (stack.test.ts runs the real pause).
      pause: () => stack.idle(),
    });
    const eventId = /\(invoice\.paid (evt_local_\w+)\)/.exec(out.join(''))?.[1] as string;
    expect(out.join('')).toContain('will reject Stripe_Invoice__c in_test_sample0001 once with FIELD_CUSTOM_VALIDATION_EXCEPTION');
    await stack.idle();
    expect(stack.activity.get(eventId)?.status).toBe('dead_lettered');
    expect(code).toBe(1);
    // --limit 1: the DLQ holds only this event (the purge above emptied it).
    expect((await cli('dlq', 'peek', '--local', '--limit', '1')).out).toContain(eventId);
    expect((await cli('dlq', 'replay', '--local', '--event-id', eventId)).code).toBe(0);
    await stack.idle();
    expect(stack.activity.get(eventId)?.status).toBe('applied');
    expect(stack.salesforce?.records('Stripe_Invoice__c').find((i) => i.Stripe_Id__c === 'in_test_sample0001')).toMatchObject({ Status__c: 'Paid' });
  });
});

describe('the page', () => {
  it('replays a DLQ entry with its button (the same replay as the CLI)', async () => {
    const { event, pi } = payment();
    stack.salesforce?.failRecord('Stripe_Payment__c', pi, 'FIELD_CUSTOM_VALIDATION_EXCEPTION', 'Amount must be positive', 1);
    await deliver(event);
    const html = await (await fetch(`${stack.url}/`)).text();
    expect(html).toContain(`name="event" value="${event.id}"`);

    const form = new URLSearchParams({ queue: 'inbound', event: event.id });
    // A browser's form post carries the page's own Origin.
    const response = await fetch(`${stack.url}/dlq/replay`, { method: 'POST', body: form, redirect: 'manual', headers: { origin: stack.url } });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toContain('outcome=replayed');
    await stack.idle();
    expect(paymentRecord(pi)).toBeDefined();
  });

  it('answers only requests addressed to itself (DNS rebinding, cross-site posts)', async () => {
    const { event } = payment();
    const payload = JSON.stringify(event);
    const post = (path: string, headers: Record<string, string>) => status('POST', path, headers, payload);
    // A name that resolves to 127.0.0.1 but is not this machine's: refused before anything runs.
    expect(await post('/salesforce/events', { host: 'evil.example' })).toBe(421);
    expect(await status('GET', '/dlq', { host: `rebind.example:${stack.port}` })).toBe(421);
    // A page on another site posting here.
    expect(await post('/salesforce/events', { origin: 'https://evil.example' })).toBe(403);
    expect(await post('/dlq/replay', { origin: 'https://evil.example' })).toBe(403);
    // The replay button's route takes only the page's own form posts.
    expect(await post('/dlq/replay', {})).toBe(403);
    expect(stack.outboundDlq.peek()).toEqual([]);
    expect((await fetch(`http://localhost:${stack.port}/healthz`)).status).toBe(200);
  });
});
