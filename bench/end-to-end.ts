/**
 * End to end on the local stack (`npm start`'s code, in process): signed webhooks over HTTP →
 * ingress → in-process queue → 5 concurrent consumer batches → Salesforce stand-in with 20 ms per
 * call, dynalite. Stripe's side (signing and sending) and the Salesforce stand-in run in a worker
 * thread, as they run elsewhere in production, so the stack's thread does the bridge's work only. Measures throughput (senders as fast as the stack answers) and the latency from
 * webhook receipt to the Salesforce write at a steady rate, and the log volume per event.
 *
 * The local queue hands a batch to the consumer as soon as messages are visible; in AWS the event
 * source mapping also waits up to `maxBatchingWindowSeconds` to fill a batch. That wait is the main
 * term of the latency in AWS, so it is modelled separately (batchingWindowModel) and added.
 */
import { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type Stripe from 'stripe';
import { sampleEvent } from '../src/local/sample-events.js';
import { STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET } from '../src/local/standins/salesforce-standin.js';
import { startLocalStack, type LocalStack } from '../src/local/stack.js';
import type { WorkerData, WorkerRequest } from './end-to-end-worker.js';
import { median, rate, type Row } from './report.js';

// Stripe's signing secrets are whsec_ and at least 32 characters; the local stack checks the shape.
const WEBHOOK_SECRET = 'whsec_bench_fake_end_to_end_0123456789abcdef';
const SALESFORCE_LATENCY_MS = 20;
const CONSUMERS = 5;
/**
 * Outcomes of a handled event: written, or deliberately not (an older event than the record shows,
 * which concurrent senders produce; a duplicate). Anything else counts as failed.
 */
const SETTLED_OK: ReadonlySet<string> = new Set(['applied', 'stale', 'skipped', 'duplicate']);

/** Bytes of log lines per service, as CloudWatch would ingest them. */
class LogVolume extends Writable {
  readonly bytes = new Map<string, number>();
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === '') continue;
      const service = /"service":"([^"]+)"/.exec(line)?.[1] ?? 'other';
      this.bytes.set(service, (this.bytes.get(service) ?? 0) + Buffer.byteLength(line) + 1);
    }
    callback();
  }
  total(services: readonly string[]): number {
    return services.reduce((sum, s) => sum + (this.bytes.get(s) ?? 0), 0);
  }
}

/** The mix of the consumer bench: payments, invoices, refunds, subscriptions, failed payments. */
function eventFor(i: number, tag: string, opportunities: readonly string[]): Stripe.Event {
  const metadata = { salesforce_opportunity_id: opportunities[i % opportunities.length] ?? '' };
  const id = `evt_e2e_${tag}_${i}`;
  const created = 1_790_000_000 + i;
  switch (i % 5) {
    case 0:
      return sampleEvent('payment_intent.succeeded', { id, created, objectId: `pi_e2e_${tag}_${i}`, metadata });
    case 1:
      return sampleEvent('invoice.paid', { id, created, objectId: `in_e2e_${tag}_${i}`, metadata });
    case 2:
      return sampleEvent('charge.refunded', { id, created, paymentIntent: `pi_e2e_${tag}_${i - 2}`, metadata });
    case 3:
      return sampleEvent('customer.subscription.updated', { id, created, objectId: `sub_e2e_${tag}_${i}`, metadata });
    default:
      return sampleEvent('invoice.payment_failed', { id, created, objectId: `in_e2e_${tag}_${i}`, metadata });
  }
}

/** When each event got its outcome (the consumer's, after the Salesforce write). */
function watchOutcomes(stack: LocalStack): { settled: Map<string, { at: number; status: string }> } {
  const settled = new Map<string, { at: number; status: string }>();
  const record = stack.activity.record.bind(stack.activity);
  // The activity log keeps the last 200 events for the page; the bench needs every outcome's time.
  stack.activity.record = (id, update) => {
    if (update.status !== 'queued' && update.status !== 'retry' && !settled.has(id)) settled.set(id, { at: now(), status: update.status });
    record(id, update);
  };
  return { settled };
}

/** The worker holding Stripe's side (the sender) and Salesforce (the stand-in), bench/end-to-end-worker.ts. */
class OutsideWorld {
  private constructor(
    private readonly worker: Worker,
    readonly salesforceUrl: string,
  ) {}

  static async start(): Promise<OutsideWorld> {
    const data: WorkerData = { clientId: STANDIN_CLIENT_ID, clientSecret: STANDIN_CLIENT_SECRET, latencyMs: SALESFORCE_LATENCY_MS };
    const worker = new Worker(new URL('./end-to-end-worker.ts', import.meta.url), { workerData: data });
    const ready = await new Promise<{ url: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    return new OutsideWorld(worker, ready.url);
  }

  private ask<T>(request: WorkerRequest): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.worker.once('message', resolve);
      this.worker.once('error', reject);
      this.worker.postMessage(request);
    });
  }

  async seed(opportunities: number): Promise<string[]> {
    return (await this.ask<{ opportunityIds: string[] }>({ op: 'seed', opportunities })).opportunityIds;
  }

  async apiCalls(): Promise<number> {
    return (await this.ask<{ apiCalls: number }>({ op: 'apiCalls' })).apiCalls;
  }

  /** Sends every event: `senders` in parallel as fast as answered, or at `perSecond`. */
  send(stack: LocalStack, events: readonly Stripe.Event[], options: { senders?: number; perSecond?: number }): Promise<Sent> {
    return this.ask<Sent>({
      op: 'send',
      url: `${stack.url}/stripe/webhook`,
      secret: WEBHOOK_SECRET,
      payloads: events.map((e) => JSON.stringify(e)),
      senders: options.senders ?? 1,
      perSecond: options.perSecond ?? 0,
    });
  }

  async close(): Promise<void> {
    await this.ask({ op: 'close' });
    await this.worker.terminate();
  }
}

interface Sent {
  /** Absolute ms (performance.timeOrigin + performance.now()) per payload. */
  readonly sentAt: readonly number[];
  readonly rejected: number;
}

const now = (): number => performance.timeOrigin + performance.now();

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

export interface EndToEndResult {
  readonly rows: Row[];
  /** Processing latencies (ms) at the steady rate, for the batching-window model. */
  readonly latenciesMs: readonly number[];
  /** Log bytes per event by service (ingress, consumer, salesforce). */
  readonly logBytesPerEvent: Readonly<Record<string, number>>;
  readonly salesforceCallsPerEvent: number;
}

export async function benchEndToEnd(options: { readonly throughputEvents?: number; readonly steadyRate?: number; readonly steadySeconds?: number } = {}): Promise<EndToEndResult> {
  const logs = new LogVolume();
  const outside = await OutsideWorld.start();
  // Salesforce is "real" to the local stack: the stand-in in the worker, reached over HTTP.
  const stack = await startLocalStack({
    env: {
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      LOCAL_CONSUMER_CONCURRENCY: String(CONSUMERS),
      LOG_LEVEL: 'info',
      SALESFORCE_LOGIN_URL: outside.salesforceUrl,
      SALESFORCE_CLIENT_ID: STANDIN_CLIENT_ID,
      SALESFORCE_CLIENT_SECRET: STANDIN_CLIENT_SECRET,
    },
    port: 0,
    logDestination: logs,
    refreshSeconds: 0,
  }).catch(async (err: unknown) => {
    await outside.close();
    throw err;
  });
  try {
    const opportunities = await outside.seed(20);
    const { settled } = watchOutcomes(stack);
    const rows: Row[] = [];

    // 1. Throughput: 50 senders as fast as the stack answers; done when the last event is applied.
    const total = options.throughputEvents ?? 2_000;
    const events = Array.from({ length: total }, (_, i) => eventFor(i, 'tp', opportunities));
    const callsBefore = await outside.apiCalls();
    const start = now();
    const { rejected } = await outside.send(stack, events, { senders: 50 });
    await stack.idle();
    const lastApplied = Math.max(...events.map((e) => settled.get(e.id)?.at ?? 0));
    const seconds = (lastApplied - start) / 1000;
    const failed = events.filter((e) => !SETTLED_OK.has(settled.get(e.id)?.status ?? '')).length;
    if (process.env['BENCH_DEBUG'] !== undefined) {
      const statuses = new Map<string, number>();
      for (const e of events) statuses.set(`${e.type}:${settled.get(e.id)?.status}`, (statuses.get(`${e.type}:${settled.get(e.id)?.status}`) ?? 0) + 1);
      console.error(statuses);
    }
    const salesforceCallsPerEvent = ((await outside.apiCalls()) - callsBefore) / total;
    rows.push({
      case: `throughput: ${total} events, 50 senders`,
      'events/s': rate(total, seconds),
      target: '≥ 200',
      'p50 ms': '',
      'p99 ms': '',
      'Salesforce calls/event': salesforceCallsPerEvent.toFixed(3),
      failed: failed + rejected,
    });

    // 2. Latency at a steady rate, below saturation: receipt → applied, per event.
    const steadyRate = options.steadyRate ?? 50;
    const count = Math.round(steadyRate * (options.steadySeconds ?? 10));
    const steady = Array.from({ length: count }, (_, i) => eventFor(i, 'lat', opportunities));
    const logBefore = new Map(logs.bytes);
    const t0 = now();
    const { sentAt } = await outside.send(stack, steady, { perSecond: steadyRate });
    await stack.idle();
    if (process.env['BENCH_DEBUG'] !== undefined) {
      const statuses = new Map<string, number>();
      for (const e of steady) statuses.set(`${e.type}:${settled.get(e.id)?.status}`, (statuses.get(`${e.type}:${settled.get(e.id)?.status}`) ?? 0) + 1);
      console.error(statuses);
    }
    const latenciesMs = steady.flatMap((e, i) => {
      const done = settled.get(e.id);
      const sent = sentAt[i];
      return done !== undefined && sent !== undefined && SETTLED_OK.has(done.status) ? [done.at - sent] : [];
    });
    rows.push({
      case: `latency: ${count} events at ${steadyRate}/s`,
      'events/s': rate(count, (now() - t0) / 1000),
      target: 'p50 ≤ 1 s (with the window, below)',
      'p50 ms': median(latenciesMs).toFixed(0),
      'p99 ms': percentile(latenciesMs, 99).toFixed(0),
      'Salesforce calls/event': '',
      failed: count - latenciesMs.length,
    });
    const logBytesPerEvent = Object.fromEntries(
      ['ingress', 'consumer', 'salesforce'].map((service) => [service, ((logs.bytes.get(service) ?? 0) - (logBefore.get(service) ?? 0)) / count]),
    );
    return { rows, latenciesMs, logBytesPerEvent, salesforceCallsPerEvent };
  } finally {
    await stack.close();
    await outside.close();
  }
}

export interface WindowScenario {
  readonly eventsPerSecond: number;
  readonly windowSeconds: number;
  readonly batchSize: number;
  /** Batches handled at once (the event source mapping's maxConcurrency). */
  readonly concurrency: number;
}

/**
 * Lambda's SQS event source mapping, simulated: `concurrency` consumers; a free one takes the
 * visible messages (up to `batchSize`); with a window it first waits until the batch is full or
 * `windowSeconds` have passed since it saw its first message. Poisson arrivals at
 * `eventsPerSecond`; a batch takes a processing time drawn from the local measurement; an event's
 * latency is its batch's end minus its arrival. Deterministic (seeded).
 */
export function batchingWindowModel(scenario: WindowScenario, processingMs: readonly number[], events = 20_000): { p50: number; p99: number; eventsPerBatch: number } {
  let seed = 42;
  const random = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const arrivals: number[] = [];
  let t = 0;
  for (let i = 0; i < events; i++) {
    t += -Math.log(1 - random()) / scenario.eventsPerSecond;
    arrivals.push(t);
  }
  const freeAt = Array.from({ length: scenario.concurrency }, () => 0);
  const latencies: number[] = [];
  let batches = 0;
  for (let next = 0; next < arrivals.length; ) {
    const consumer = freeAt.indexOf(Math.min(...freeAt));
    const opened = Math.max(freeAt[consumer] ?? 0, arrivals[next] ?? 0);
    const fullAt = arrivals[Math.min(arrivals.length - 1, next + scenario.batchSize - 1)] ?? opened;
    const closed = scenario.windowSeconds === 0 ? opened : Math.max(opened, Math.min(fullAt, opened + scenario.windowSeconds));
    let end = next;
    while (end < arrivals.length && end - next < scenario.batchSize && (arrivals[end] ?? 0) <= closed) end++;
    const done = closed + (processingMs[Math.floor(random() * processingMs.length)] ?? 0) / 1000;
    for (let k = next; k < end; k++) latencies.push((done - (arrivals[k] ?? 0)) * 1000);
    freeAt[consumer] = done;
    batches += 1;
    next = end;
  }
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), eventsPerBatch: events / batches };
}

/** The window's effect on latency and Salesforce calls, for the deployed batch size. */
export function windowRows(processingMs: readonly number[], batchSize: number, concurrency: number, defaultWindow: number): Row[] {
  const rows: Row[] = [];
  for (const windowSeconds of [...new Set([0, 1, defaultWindow, 20])].sort((a, b) => a - b)) {
    for (const eventsPerSecond of [0.1, 1, 10, 200]) {
      const model = batchingWindowModel({ eventsPerSecond, windowSeconds, batchSize, concurrency }, processingMs);
      rows.push({
        maxBatchingWindowSeconds: `${windowSeconds}${windowSeconds === defaultWindow ? ' (default)' : ''}`,
        'events/s': eventsPerSecond,
        'p50 ms': model.p50.toFixed(0),
        'p99 ms': model.p99.toFixed(0),
        'events/batch': model.eventsPerBatch.toFixed(1),
        // One Composite call per batch (the consumer bench measures ≤ 1 per batch of 10 distinct records).
        'Salesforce calls/event': (1 / model.eventsPerBatch).toFixed(2),
      });
    }
  }
  return rows;
}
