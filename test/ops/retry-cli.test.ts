/**
 * `stripe-sf-bridge retry evt_…` through the CLI: the event re-fetched from Stripe's Events API
 * (the local stack's embedded Stripe), enqueued to the inbound queue, its DLQ copy deleted (SQS
 * modelled by aws-sdk-client-mock on the SQS client the CLI is handed), its dead-letter marker
 * (dynalite) marked retried.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SAMPLE_ACCOUNT_ID, sampleEvent } from '../../src/local/sample-events.js';
import { startDynalite, type LocalDynamo } from '../../src/local/standins/dynalite.js';
import { startStripeStandIn, type StripeStandIn } from '../../src/local/standins/stripe-standin.js';
import { runCli } from '../../src/ops/cli.js';
import { stateFilePath, writeStateFile } from '../../src/ops/local-state.js';
import { dynamoDeadLetterLog } from '../../src/sync-log/dead-letter-log.js';
import { FakeSqs, fakeClock, inboundMessage, INBOUND_DLQ, INBOUND_QUEUE, queueArn, queueUrl } from './support.js';

let dynamo: LocalDynamo;
let stripe: StripeStandIn;
let sqs: FakeSqs;
let stateDir: string;
const clock = fakeClock();

beforeEach(async () => {
  dynamo = await startDynalite('retry-cli');
  stripe = await startStripeStandIn({ now: () => Math.floor(clock.now() / 1000) });
  sqs = new FakeSqs(clock);
  stateDir = mkdtempSync(join(tmpdir(), 'retry-cli-state-'));
  const queue = (name: string) => ({ url: queueUrl(name), arn: queueArn(name) });
  await writeStateFile(stateFilePath(1, stateDir), {
    url: 'http://127.0.0.1:1',
    port: 1,
    webhookSecret: undefined,
    pid: process.pid,
    queues: { inbound: queue(INBOUND_QUEUE), inboundDlq: queue(INBOUND_DLQ), outboundDlq: queue('outbound-dlq') },
    embeddedStripe: { apiUrl: stripe.url, secretKey: stripe.restrictedKey({ event: 'read' }) },
    dynamo: { endpoint: dynamo.endpoint, table: dynamo.tableName },
  });
});
afterEach(async () => {
  sqs.restore();
  rmSync(stateDir, { recursive: true, force: true });
  await Promise.all([dynamo.close(), stripe.close()]);
});

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { env: {}, clock, awsClients: sqs.clients, stdout: (l) => out.push(l), stderr: (l) => err.push(l), localStateDirectory: stateDir });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('retry CLI', () => {
  it('re-fetches the event from Stripe, enqueues it, removes its DLQ copy and marks its sync log Pending', async () => {
    const event = sampleEvent('invoice.paid', { id: 'evt_retry_cli_1', created: Math.floor(clock.now() / 1000) - 3600, metadata: { salesforce_account_id: SAMPLE_ACCOUNT_ID } });
    stripe.registerEvent(event);
    const failure = { code: 'SALESFORCE_FIELD_CUSTOM_VALIDATION_EXCEPTION', reason: 'PO number required', failedAt: new Date(clock.now() - 60_000) };
    sqs.seed(queueUrl(INBOUND_DLQ), [inboundMessage({ eventId: 'evt_other', type: 'invoice.paid', failure }), inboundMessage({ eventId: event.id, type: 'invoice.paid', failure })]);
    const log = dynamoDeadLetterLog(dynamo.client, dynamo.tableName, () => clock.now());
    await log.record({ eventId: event.id, eventType: 'invoice.paid', created: event.created, livemode: false, objectId: 'in_x', recordId: undefined, records: [], code: failure.code, reason: failure.reason, message: 'A validation rule…', failedAt: failure.failedAt.getTime() });

    const run = await cli(['retry', '--local', event.id]);

    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toBe(`${event.id} invoice.paid: enqueued; 1 DLQ copy removed; its Stripe_Sync_Log__c record shows Pending`);
    const inbound = sqs.queue(queueUrl(INBOUND_QUEUE));
    expect(inbound).toHaveLength(1);
    expect(JSON.parse(inbound[0]?.message.Body ?? '{}')).toMatchObject({ id: event.id, type: 'invoice.paid' });
    expect(inbound[0]?.message.MessageAttributes?.['stripe_event_id']?.StringValue).toBe(event.id);
    // The other dead-lettered event stays, visible again.
    expect(sqs.ids(queueUrl(INBOUND_DLQ))).toEqual(['msg-evt_other']);
    expect(sqs.visibleIds(queueUrl(INBOUND_DLQ))).toEqual(['msg-evt_other']);
    expect((await log.read([event.id])).get(event.id)?.state).toBe('retried');
  });

  it('fails with a hint when Stripe no longer has the event, and enqueues nothing', async () => {
    const run = await cli(['retry', '--local', 'evt_older_than_30_days']);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/evt_older_than_30_days: not retried: Stripe does not know evt_older_than_30_days .*dlq replay --event-id evt_older_than_30_days/);
    expect(sqs.queue(queueUrl(INBOUND_QUEUE))).toHaveLength(0);
    expect((await cli(['retry', '--local', 'in_123'])).code).toBe(2);
  });
});
