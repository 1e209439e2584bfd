/**
 * Consumer throughput and cost per event at SQS batch 1, 10 and 100, and the latency of one batch
 * whose events all name one Opportunity next to one whose events name distinct ones: the real
 * consumer against dynalite and the Salesforce stand-in with 20 ms added latency per REST call,
 * next to their floors from the same run (one DynamoDB PutItem, one direct Composite call).
 *
 * Roll-ups three ways: queued (the deployed default: each batch sends its Account updates to the
 * roll-up queue; the roll-up writer's Salesforce calls are counted in, the messages handed to it
 * as the event source would gather them over its 5 s window at the measured batch rate, at most
 * 100), inline (one more Composite per batch) and off.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type Stripe from 'stripe';
import { loadConsumerConfig } from '../src/config.js';
import { DEDUP_PARTITION_KEY } from '../src/dedup/table.js';
import { createConsumerApp } from '../src/inbound/consumer-app.js';
import { createLogger } from '../src/logging.js';
import { ROLLUP_BATCH_SIZE, type RollupSink } from '../src/rollups/rollup-queue.js';
import { rollupBodies } from '../src/rollups/rollup-message.js';
import { createRollupWriterApp } from '../src/rollups/rollup-writer-app.js';
import type { RollupRecord } from '../src/rollups/rollup-writer.js';
import { SAMPLE_CUSTOMER_ID, sampleEvent } from '../src/local/sample-events.js';
import { inboundRecord } from '../test/support/consumer-harness.js';
import { startDynalite } from '../src/local/standins/dynalite.js';
import { startSalesforceStandIn } from '../src/local/standins/salesforce-standin.js';
import { median, nullStream, rate, type Row } from './report.js';

const CLIENT = { clientId: 'bench-client-id-fake', clientSecret: 'bench-client-secret-fake' };

/** A realistic mix: payments, invoices, refunds, subscriptions, failures that open Cases. */
function mixedEvents(count: number, opportunityIds: readonly string[], batchTag: string): Stripe.Event[] {
  const events: Stripe.Event[] = [];
  for (let i = 0; i < count; i++) {
    const opportunity = opportunityIds[i % opportunityIds.length] ?? '';
    const metadata = { salesforce_opportunity_id: opportunity };
    const id = `evt_bench_${batchTag}_${i}`;
    const created = 1_790_000_000 + i;
    switch (i % 5) {
      case 0:
        events.push(sampleEvent('payment_intent.succeeded', { id, created, objectId: `pi_bench_${batchTag}_${i}`, metadata }));
        break;
      case 1:
        events.push(sampleEvent('invoice.paid', { id, created, objectId: `in_bench_${batchTag}_${i}`, metadata }));
        break;
      case 2:
        events.push(sampleEvent('charge.refunded', { id, created, paymentIntent: `pi_bench_${batchTag}_${i - 2}`, metadata }));
        break;
      case 3:
        events.push(sampleEvent('customer.subscription.updated', { id, created, objectId: `sub_bench_${batchTag}_${i}`, metadata }));
        break;
      default:
        events.push(sampleEvent('invoice.payment_failed', { id, created, objectId: `in_bench_${batchTag}_${i}`, metadata }));
    }
  }
  return events;
}

/**
 * Subscription lifecycle events (issue 12): upgrades whose `previous_attributes` move MRR (a
 * Stripe_Subscription_Change__c each), renewal previews and trial ends (a Task each; with roll-ups
 * the owner comes from the roll-up's Account read once the environment knows the customer's
 * Account, else from one owners query per batch), new subscriptions.
 */
function subscriptionEvents(count: number, batchTag: string): Stripe.Event[] {
  const events: Stripe.Event[] = [];
  for (let i = 0; i < count; i++) {
    const id = `evt_bench_${batchTag}_${i}`;
    const created = 1_790_000_000 + i;
    const subscription = `sub_bench_${batchTag}_${i}`;
    const metadata = {};
    switch (i % 4) {
      case 0: {
        const event = sampleEvent('customer.subscription.updated', { id, created, objectId: subscription, metadata, objectOverrides: { cancel_at_period_end: false, canceled_at: null } });
        const items = (event.data.object as unknown as { items: { data: Array<Record<string, unknown>> } }).items.data;
        (event.data as { previous_attributes?: unknown }).previous_attributes = { items: { data: items.map((item) => ({ ...item, quantity: 1 })) } };
        for (const item of items) item['quantity'] = 3;
        events.push(event);
        break;
      }
      case 1:
        events.push(sampleEvent('invoice.upcoming', { id, created, subscription, metadata }));
        break;
      case 2:
        events.push(sampleEvent('customer.subscription.trial_will_end', { id, created, objectId: subscription, metadata }));
        break;
      default:
        events.push(sampleEvent('customer.subscription.created', { id, created, objectId: subscription, metadata }));
    }
  }
  return events;
}

/** The stack's rollupBatchingWindowSeconds default (infra/context.ts). */
const ROLLUP_WINDOW_SECONDS = 5;

export async function benchConsumer(): Promise<Row[]> {
  return [...(await benchConsumerWith('queued')), ...(await benchConsumerWith('inline')), ...(await benchConsumerWith('off'))];
}

/**
 * `queued`: ACCOUNT_ROLLUPS=on with the roll-up queue (ROLLUP_WRITES=queued, deployed default);
 * `inline`: roll-ups written by each batch (ROLLUP_WRITES=inline); `off`: ACCOUNT_ROLLUPS=off.
 */
async function benchConsumerWith(mode: 'queued' | 'inline' | 'off'): Promise<Row[]> {
  const rollups = mode === 'off' ? 'off' : 'on';
  const label = mode === 'queued' ? '' : mode === 'inline' ? ', roll-ups inline' : ', roll-ups off';
  const dynamo = await startDynalite('bench-dedup', { signRequests: true });
  const salesforce = await startSalesforceStandIn({ ...CLIENT, latencyMs: 20 });
  try {
    salesforce.insert('Account', { Name: 'Bench Account', Stripe_Customer_Id__c: SAMPLE_CUSTOMER_ID });
    const opportunities = Array.from({ length: 20 }, (_, i) =>
      salesforce.insert('Opportunity', { Name: `Bench deal ${i}`, StageName: 'Closed Won', Amount: 49.99 }),
    );
    const config = loadConsumerConfig({
      DEDUP_TABLE_NAME: dynamo.tableName,
      SALESFORCE_LOGIN_URL: salesforce.url,
      SALESFORCE_CLIENT_ID: CLIENT.clientId,
      SALESFORCE_CLIENT_SECRET: CLIENT.clientSecret,
      LOG_LEVEL: 'info',
      ACCOUNT_ROLLUPS: rollups,
      ...(mode === 'queued' ? { ROLLUP_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-rollups' } : {}),
    });
    // The roll-up queue in memory: what the consumer sent, for the writer to drain.
    let queued: RollupRecord[] = [];
    const rollupSink: RollupSink = {
      async send(mutations, computedAt) {
        const bodies = rollupBodies(mutations, computedAt);
        for (const body of bodies) queued.push({ messageId: `rollup-${queued.length}-${computedAt}`, body });
        return bodies.length;
      },
    };
    const app = createConsumerApp({
      config,
      logger: createLogger({ service: 'consumer', destination: nullStream() }),
      dynamo: dynamo.client,
      deadLetter: async () => {
        throw new Error('bench events must not fail');
      },
      ...(mode === 'queued' ? { rollupSink } : {}),
    });
    const writer = createRollupWriterApp({
      config: { logLevel: 'info', salesforce: config.salesforce, dlqUrl: undefined },
      logger: createLogger({ service: 'rollup-writer', destination: nullStream() }),
      // Its own function in AWS, with its own login at cold start: left out here, as the consumer's is.
      salesforceSession: app.session,
    });
    /**
     * Drains the roll-up queue as the event source would: `perInvocation` messages at a time.
     * Returns the writer's invocations and any message it did not write.
     */
    const drain = async (perInvocation: number): Promise<{ invocations: number; messages: number; failed: number; msPerInvocation: number }> => {
      const messages = queued;
      queued = [];
      let failed = 0;
      let invocations = 0;
      const start = process.hrtime.bigint();
      for (let i = 0; i < messages.length; i += perInvocation) {
        const summary = await writer.handle(messages.slice(i, i + perInvocation));
        invocations += 1;
        failed += summary.response.batchItemFailures.length;
      }
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      return { invocations, messages: messages.length, failed, msPerInvocation: invocations === 0 ? 0 : ms / invocations };
    };
    // Cold start: the login happens once, outside the measurement (budget: login at cold start only).
    const connection = await app.session.connection();

    // The floors, measured here in the same run: one DynamoDB request and one Salesforce call.
    const timed = async (work: () => Promise<unknown>, times = 15): Promise<string> => {
      const ms: number[] = [];
      for (let i = 0; i < times; i++) {
        const start = process.hrtime.bigint();
        await work();
        ms.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      return median(ms).toFixed(1);
    };
    let floorItem = 0;
    const putItem = await timed(() =>
      dynamo.client.send(new PutItemCommand({ TableName: dynamo.tableName, Item: { [DEDUP_PARTITION_KEY]: { S: `bench-floor-${(floorItem += 1)}` } } })),
    );
    const compositePath = `/services/data/v${config.salesforce.apiVersion}/composite`;
    const composite = await timed(() =>
      connection.requestPost(compositePath, {
        allOrNone: false,
        compositeRequest: [
          {
            method: 'PATCH',
            referenceId: 'r0',
            url: `/services/data/v${config.salesforce.apiVersion}/sobjects/Stripe_Payment__c/Stripe_Id__c/pi_bench_floor_${rollups}`,
            body: { Name: 'floor' },
          },
        ],
      }),
    );
    const floors: Row[] = [
      { case: `floor: one DynamoDB PutItem round trip (dynalite)${mode === 'queued' ? '' : `, roll-ups ${mode} run`}`, 'ms/batch': putItem },
      { case: `floor: one direct Composite call, one upsert (stand-in, 20 ms)${mode === 'queued' ? '' : `, roll-ups ${mode} run`}`, 'ms/batch': composite, 'Salesforce API calls/event': '1 call' },
    ];
    const rows: Row[] = [];
    for (const [batchSize, total, kind] of [
      [1, 50, 'mix'],
      [10, 300, 'mix'],
      [100, 1000, 'mix'],
      [10, 200, 'subscriptions'],
    ] as const) {
      const events = kind === 'mix' ? mixedEvents(total, opportunities, `b${batchSize}${rollups}`) : subscriptionEvents(total, `s${batchSize}${rollups}`);
      const calls = salesforce.apiCalls;
      const requests = dynamo.requests;
      const logins = salesforce.logins;
      let failures = 0;
      const start = process.hrtime.bigint();
      for (let i = 0; i < events.length; i += batchSize) {
        const summary = await app.handle(events.slice(i, i + batchSize).map((e) => inboundRecord(e)));
        failures += summary.response.batchItemFailures.length;
        failures += [...summary.outcomes.values()].filter((o) => o === 'dead_lettered').length;
      }
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      // The event source's window at this rate: every batch's message of 5 s, at most 100.
      const batchesPerSecond = total / batchSize / seconds;
      const perInvocation = Math.max(1, Math.min(ROLLUP_BATCH_SIZE, Math.round(batchesPerSecond * ROLLUP_WINDOW_SECONDS)));
      const written = await drain(perInvocation);
      failures += written.failed;
      rows.push({
        case: `${kind === 'mix' ? 'consumer' : 'subscription lifecycle'} batch ${batchSize} (${total} events)${label}`,
        'events/s': rate(total, seconds),
        'ms/batch': ((seconds * 1000 * batchSize) / total).toFixed(0),
        'Salesforce API calls/event': ((salesforce.apiCalls - calls) / total).toFixed(3),
        budget: kind === 'subscriptions' ? '≤ 0.2' : batchSize === 10 ? '≤ 0.15' : batchSize === 100 ? '≤ 0.03' : '',
        'DynamoDB requests/event': ((dynamo.requests - requests) / total).toFixed(2),
        'logins during run': salesforce.logins - logins,
        'failed events': failures,
        ...(mode === 'queued'
          ? {
              'roll-up writer': `${written.messages} msgs in ${written.invocations} invocations (${perInvocation}/${ROLLUP_WINDOW_SECONDS} s window)`,
              'writer ms/invocation': written.msPerInvocation.toFixed(0),
            }
          : {}),
      });
    }
    // Writes to one record are merged in memory, and no DynamoDB request is per record: a batch
    // naming one Opportunity a hundred times costs what one naming a hundred Opportunities does.
    const distinct = Array.from({ length: 100 }, (_, i) => salesforce.insert('Opportunity', { Name: `Bench distinct ${i}`, StageName: 'Closed Won', Amount: 49.99 }));
    for (const [caseName, named] of [
      ['100 distinct Opportunities', distinct],
      ['one shared Opportunity', [opportunities[0] ?? '']],
    ] as const) {
      const events = Array.from({ length: 100 }, (_, i) =>
        sampleEvent('payment_intent.succeeded', {
          id: `evt_bench_${mode}_${caseName.length}_${i}`,
          created: 1_790_100_000 + i,
          objectId: `pi_bench_${mode}_${caseName.length}_${i}`,
          metadata: { salesforce_opportunity_id: named[i % named.length] ?? '' },
        }),
      );
      const calls = salesforce.apiCalls;
      const requests = dynamo.requests;
      const logins = salesforce.logins;
      const start = process.hrtime.bigint();
      const summary = await app.handle(events.map((e) => inboundRecord(e)));
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      // One batch alone in its window: its roll-up message is written alone.
      const written = await drain(1);
      rows.push({
        case: `one batch of 100 payments, ${named.length === 1 ? 'one shared Opportunity' : '100 distinct Opportunities'}${label}`,
        'events/s': rate(100, seconds),
        'ms/batch': (seconds * 1000).toFixed(0),
        'Salesforce API calls/event': ((salesforce.apiCalls - calls) / 100).toFixed(3),
        budget: '',
        'DynamoDB requests/event': ((dynamo.requests - requests) / 100).toFixed(2),
        'logins during run': salesforce.logins - logins,
        'failed events': summary.response.batchItemFailures.length + written.failed,
      });
    }
    if (mode === 'queued') {
      // The price of the saved calls, stated next to them.
      const slowest = Math.max(...rows.map((r) => Number(r['writer ms/invocation'] ?? 0)));
      rows.push({
        case: `queued roll-ups: Account figures lag their events by up to the ${ROLLUP_WINDOW_SECONDS} s window + one writer invocation (≤ ${slowest.toFixed(0)} ms here); below one batch per window, one writer call per batch (as inline)`,
      });
    }
    return [...rows, ...floors];
  } finally {
    await Promise.all([dynamo.close(), salesforce.close()]);
  }
}
