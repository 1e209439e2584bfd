/**
 * Backfill of 10,000 Stripe objects (invoices, payments with their charges, subscriptions)
 * through the real backfill: stripe-node auto-pagination against the Stripe stand-in, the
 * consumer's core with dynalite guards, the Salesforce stand-in with 20 ms latency per call.
 * Twice: through Composite only (`--composite`, batches of 500) and as the CLI runs by default
 * (batches of 10,000, Bulk API 2.0 jobs for groups of 2,000 records or more; the job's polls wait
 * 1 s then 2 s for real, and the stand-in answers InProgress once per job, where a real org takes
 * seconds to minutes per job). Prints throughput, Salesforce API calls per object (and what
 * 100,000 objects would take of a daily API allocation) and the heap the run held.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type Stripe from 'stripe';
import { createLogger } from '../src/logging.js';
import { SAMPLE_ACCOUNT_ID, SAMPLE_CUSTOMER_ID, sampleEvent } from '../src/local/sample-events.js';
import { startDynalite } from '../src/local/standins/dynalite.js';
import { startSalesforceStandIn } from '../src/local/standins/salesforce-standin.js';
import { startStripeStandIn } from '../src/local/standins/stripe-standin.js';
import { createBackfillPorts, type BackfillWriteMode } from '../src/reconcile/backfill-app.js';
import { runBackfill } from '../src/reconcile/backfill.js';
import { createSalesforceSession } from '../src/salesforce/session.js';
import { createStripeClient } from '../src/stripe/client.js';
import { nullStream, rate, type Row } from './report.js';

const CLIENT = { clientId: 'bench-client-id-fake', clientSecret: 'bench-client-secret-fake' };
const OBJECTS = 10_000;
const DAY = 86_400;

export async function benchBackfill(): Promise<Row[]> {
  // One after the other: each holds its own stand-ins and 10,000 objects.
  const rows: Row[] = [];
  for (const shape of ['mixed', 'invoices'] as const) {
    rows.push(...(await benchBackfillOnce('composite', 500, shape)), ...(await benchBackfillOnce('auto', 10_000, shape)));
  }
  return rows;
}

/**
 * `mixed`: 2,000 subscriptions, 4,000 invoices, 4,000 payments (groups of 2,000–4,000 records);
 * `invoices`: 10,000 invoices, one group of 10,000 records (one job, as in a large account).
 */
type Shape = 'mixed' | 'invoices';

async function benchBackfillOnce(mode: BackfillWriteMode, batchSize: number, shape: Shape): Promise<Row[]> {
  const now = Math.floor(Date.now() / 1000);
  const [dynamo, salesforce, stripe] = await Promise.all([
    startDynalite('bench-backfill', { signRequests: true }),
    startSalesforceStandIn({ ...CLIENT, latencyMs: 20 }),
    startStripeStandIn({ now: () => now }),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'bench-backfill-'));
  try {
    salesforce.insert('Account', { Id: SAMPLE_ACCOUNT_ID, Name: 'Bench Account', Stripe_Customer_Id__c: SAMPLE_CUSTOMER_ID });
    const opportunities = Array.from({ length: 50 }, (_, i) =>
      salesforce.insert('Opportunity', { Name: `Bench deal ${i}`, StageName: 'Closed Won', Amount: 49.99 }),
    );
    seed(stripe.lists, opportunities, now, shape);
    const stripeClient = createStripeClient(stripe.restrictedKey({ invoice: 'read', payment_intent: 'read', charge: 'read', subscription: 'read' }), {
      apiUrl: stripe.url,
    });
    const logger = createLogger({ service: 'backfill', level: 'warn', destination: nullStream() });
    // The CLI's client settings (a pool large enough for a batch's guards), timed: the share of the
    // run with DynamoDB requests in flight is dynalite's, which real DynamoDB serves far faster.
    const guardsClient = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' },
      requestHandler: { httpAgent: { maxSockets: 256 } },
    });
    const inFlight = { active: 0, since: 0, totalMs: 0, requests: 0 };
    guardsClient.middlewareStack.add(
      (next) => async (args) => {
        if (inFlight.active++ === 0) inFlight.since = performance.now();
        inFlight.requests += 1;
        try {
          return await next(args);
        } finally {
          if (--inFlight.active === 0) inFlight.totalMs += performance.now() - inFlight.since;
        }
      },
      { step: 'initialize', name: 'timeRequests' },
    );
    const session = createSalesforceSession(
      { loginUrl: salesforce.url, apiVersion: '64.0', instanceUrl: undefined, credentialsSecretArn: undefined, credentials: CLIENT },
      { logger },
    );
    await session.connection();
    const ports = createBackfillPorts({
      stripe: (_action, op) => op(stripeClient),
      pace: async () => undefined,
      dynamo: guardsClient,
      tableName: dynamo.tableName,
      salesforce: session,
      salesforceApiVersion: '64.0',
      logger,
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      checkpointPath: join(dir, 'checkpoint.json'),
      failuresPath: join(dir, 'failures.jsonl'),
      progress: () => undefined,
      stopRequested: () => false,
      dryRun: false,
      writes: { mode },
    });
    const calls = salesforce.apiCalls;
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    const sampler = setInterval(() => {
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }, 50);
    const start = process.hrtime.bigint();
    const result = await runBackfill(ports, {
      since: now - 400 * DAY,
      objects: ['subscriptions', 'invoices', 'payments'],
      batchSize,
      maxSalesforceCalls: 100_000,
      dryRun: false,
      restart: true,
    });
    clearInterval(sampler);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    guardsClient.destroy();
    const totals = result.checkpoint.totals;
    const used = salesforce.apiCalls - calls;
    return [
      {
        case: `backfill ${totals.read.toLocaleString('en-US')} ${shape === 'mixed' ? 'objects' : 'invoices'}, batch ${batchSize.toLocaleString('en-US')}, ${mode === 'composite' ? 'Composite' : 'Bulk API 2.0 (auto)'}`,
        'Bulk jobs': salesforce.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/jobs/ingest')).length,
        'objects/s': rate(totals.read, seconds),
        'Salesforce API calls/object': (used / totals.read).toFixed(4),
        'Salesforce calls (100,000 objects)': `≈ ${Math.ceil((used / totals.read) * 100_000)}`,
        'Stripe list pages': totals.stripeListCalls,
        'DynamoDB guard writes/object': (inFlight.requests / totals.read).toFixed(2),
        'time in dynalite': `${Math.round((inFlight.totalMs / 1000 / seconds) * 100)}%`,
        'records created/updated': `${totals.created}/${totals.updated}`,
        'peak heap growth (MB, stand-ins incl.)': ((heapPeak - heapBefore) / 1e6).toFixed(0),
        failed: totals.failed,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await Promise.all([dynamo.close(), salesforce.close(), stripe.close()]);
  }
}

/** 2,000 subscriptions, 4,000 invoices (paid and open), 4,000 succeeded payments with charges; or 10,000 invoices. */
function seed(lists: Awaited<ReturnType<typeof startStripeStandIn>>['lists'], opportunities: readonly string[], now: number, shape: Shape): void {
  const objectOf = <T>(type: string, options: Parameters<typeof sampleEvent>[1]): T => sampleEvent(type, options).data.object as unknown as T;
  const subscriptions = shape === 'mixed' ? OBJECTS / 5 : 0;
  const invoices = shape === 'mixed' ? (OBJECTS * 2) / 5 : OBJECTS;
  const payments = shape === 'mixed' ? invoices : 0;
  const metadata = (i: number) => ({ salesforce_opportunity_id: opportunities[i % opportunities.length] as string, salesforce_account_id: SAMPLE_ACCOUNT_ID });
  const created = (i: number, total: number) => now - 360 * DAY + Math.floor((i * 350 * DAY) / total);
  for (let i = 0; i < subscriptions; i++) {
    lists.seed('subscriptions', { ...objectOf<Stripe.Subscription>('customer.subscription.updated', { objectId: `sub_bench_${i}`, metadata: metadata(i) }), created: created(i, subscriptions) });
  }
  for (let i = 0; i < invoices; i++) {
    const paid = i % 2 === 0;
    lists.seed('invoices', {
      ...objectOf<Stripe.Invoice>(paid ? 'invoice.paid' : 'invoice.finalized', { objectId: `in_bench_${i}`, metadata: metadata(i), amount: 1000 + i }),
      created: created(i, invoices),
    });
  }
  for (let i = 0; i < payments; i++) {
    const charge = { ...objectOf<Stripe.Charge>('charge.succeeded', { objectId: `ch_bench_${i}`, paymentIntent: `pi_bench_${i}`, metadata: metadata(i) }), created: created(i, payments) };
    lists.seed('charges', charge);
    lists.seed('payment_intents', {
      ...objectOf<Stripe.PaymentIntent>('payment_intent.succeeded', { objectId: `pi_bench_${i}`, metadata: metadata(i), amount: 2000 + i }),
      latest_charge: charge.id,
      created: created(i, payments),
    });
  }
}
