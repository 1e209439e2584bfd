/**
 * The reconciler through the stand-ins: Stripe's Events API (`GET /v1/events`, newest first,
 * `created` ranges, `types[]` of at most 20, `ending_before`/`starting_after` cursors, 30 days of
 * history; https://docs.stripe.com/api/events/list, as stripe-node's `EventListParams` documents
 * it), read with a restricted key that may only read events; the consumer's dedup table in
 * dynalite; Salesforce in its stand-in.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type Stripe from 'stripe';
import { EventStore } from '../../src/dedup/event-store.js';
import { dynamoQueuedEvents } from '../../src/dedup/queued-events.js';
import { SAMPLE_ACCOUNT_ID, sampleEvent } from '../../src/local/sample-events.js';
import { MAX_WAITING, PAGE_SIZE, type ListEvents } from '../../src/reconcile/catch-up.js';
import { dynamoCheckpointStore } from '../../src/reconcile/checkpoint.js';
import { MAX_TYPES_PER_REQUEST, typeGroups } from '../../src/reconcile/type-groups.js';
import { HANDLED_EVENT_TYPES } from '../../src/stripe/event-types.js';
import { inboundRecord } from '../support/consumer-harness.js';
import { SETTLE_SECONDS, sentIds, startReconcileHarness, type ReconcileHarness } from './support.js';

let h: ReconcileHarness;

beforeEach(async () => {
  h = await startReconcileHarness();
});
afterEach(async () => {
  await h.close();
});

const nowSeconds = () => Math.floor(h.consumer.nowMs / 1000);

/** Payments succeeding every `stepSeconds`, the last one `endAgoSeconds` before now, all in Stripe's log. */
function paymentEvents(count: number, options: { stepSeconds?: number; endAgoSeconds?: number; sameSecond?: boolean; tag?: string } = {}): Stripe.Event[] {
  const step = options.sameSecond === true ? 0 : (options.stepSeconds ?? 300);
  const end = nowSeconds() - (options.endAgoSeconds ?? 2 * SETTLE_SECONDS);
  const events = Array.from({ length: count }, (_, i) =>
    sampleEvent('payment_intent.succeeded', {
      id: `evt_rec_${options.tag ?? 'p'}_${String(i).padStart(4, '0')}`,
      created: end - (count - 1 - i) * step,
      objectId: `pi_rec_${options.tag ?? 'p'}_${i}`,
      metadata: { salesforce_account_id: SAMPLE_ACCOUNT_ID },
    }),
  );
  for (const event of events) h.stripe.registerEvent(event);
  return events;
}

const ids = (events: readonly Stripe.Event[]) => events.map((e) => e.id);

/**
 * Pages of 10 events instead of Stripe's 100 (PAGE_SIZE, the reconciler's default): the paging
 * tests need several pages, not several hundred events — each one enqueued costs a checkpoint write.
 */
const pageSize = 10;

describe('reconciler: webhooks that never arrived', () => {
  it('recovers exactly the events dropped during an outage, oldest first, and nothing twice', async () => {
    const events = paymentEvents(40);
    // An event type the bridge does not handle is in Stripe's log too; it must not be read.
    h.stripe.registerEvent({ ...sampleEvent('payment_intent.succeeded', { created: nowSeconds() - 3_000 }), id: 'evt_rec_unhandled', type: 'balance.available' } as Stripe.Event);
    const dropped = events.slice(10, 25);
    await h.deliver([...events.slice(0, 10), ...events.slice(25)]);

    const first = await h.run();

    expect(sentIds(h.sent)).toEqual(ids(dropped));
    expect(first).toMatchObject({ recovered: 15, complete: true });
    // The next scheduled run, nothing missed meanwhile: one list call per type group.
    h.consumer.nowMs += 15 * 60_000;
    const second = await h.run();
    expect(second).toMatchObject({ recovered: 0, complete: true, listCalls: typeGroups(HANDLED_EVENT_TYPES).length });
    expect(h.sent).toHaveLength(15);

    await h.consumeSent();
    const payments = h.consumer.salesforce.records('Stripe_Payment__c').map((r) => r['Stripe_Id__c']);
    expect(new Set(payments)).toEqual(new Set(events.map((e) => (e.data.object as { id: string }).id)));
    // Stripe's own retry of a recovered event arrives later: the consumer drops it as a duplicate.
    h.consumer.logs.clear();
    await h.deliver([dropped[0] as Stripe.Event]);
    expect(h.consumer.logs.withOutcome('duplicate')).toHaveLength(1);
    expect((await h.run()).recovered).toBe(0);
  });

  it('leaves events younger than the settle delay to the webhook, and reads them once they are older', async () => {
    const old = paymentEvents(3, { tag: 'old' });
    const young = paymentEvents(2, { tag: 'young', endAgoSeconds: 60, stepSeconds: 30 });

    await h.run();
    expect(sentIds(h.sent)).toEqual(ids(old));

    // The young ones arrive by webhook meanwhile; later they are past the settle delay.
    await h.deliver(young);
    h.consumer.nowMs += 2 * SETTLE_SECONDS * 1000;
    const later = await h.run();
    expect(later.recovered).toBe(0);
    expect(later.scanned).toBe(2);
  });

  it('does not enqueue an event the consumer holds in flight', async () => {
    const [inFlight, missed] = paymentEvents(2);
    const store = new EventStore(h.consumer.dynamo.client, { tableName: h.consumer.dynamo.tableName, leaseSeconds: 60, ttlDays: 35, now: () => h.consumer.nowMs });
    await store.claim((inFlight as Stripe.Event).id, 'payment_intent.succeeded');

    await h.run();

    expect(sentIds(h.sent)).toEqual([(missed as Stripe.Event).id]);
  });

  it('reads the handled types in groups of at most 20 per request, as Stripe requires', async () => {
    paymentEvents(1);
    await h.run();

    const groups = typeGroups(HANDLED_EVENT_TYPES);
    expect(groups.length).toBeGreaterThan(1);
    expect(new Set(groups.flatMap((g) => g.types))).toEqual(new Set(HANDLED_EVENT_TYPES));
    const listed = h.stripe.requests.filter((r) => r.path === '/v1/events');
    expect(listed.length).toBeGreaterThan(0);
    for (const request of listed) {
      expect(Object.keys(request.params).filter((name) => name.startsWith('types[')).length).toBeLessThanOrEqual(MAX_TYPES_PER_REQUEST);
      expect(request.status).toBe(200);
      // Stripe's largest page, unless a test asks for smaller ones.
      expect(request.params['limit']).toBe(String(PAGE_SIZE));
    }
    // The stand-in refuses more, as Stripe does.
    const refused = await h.stripeClient.events.list({ types: [...HANDLED_EVENT_TYPES] }).catch((err: unknown) => err);
    expect((refused as Stripe.errors.StripeError).statusCode).toBe(400);
  });
});

describe('reconciler: resuming', () => {
  it('resumes after a crash in the middle of a page without losing or repeating an event', async () => {
    const events = paymentEvents(30, { stepSeconds: 60 });
    h.failSends(7);

    await expect(h.run()).rejects.toThrow(/SQS did not accept/);
    expect(h.sent).toHaveLength(7);

    h.failSends(Number.POSITIVE_INFINITY);
    const resumed = await h.run();

    expect(sentIds(h.sent)).toEqual(ids(events));
    expect(resumed.recovered).toBe(23);
  });

  it('resumes after Stripe failed between two pages', async () => {
    const events = paymentEvents(2.5 * pageSize, { stepSeconds: 200 });
    const lister = h.ports().listEvents;
    // Stripe fails the first list call after some events were enqueued: between two pages.
    const failingMidway: ListEvents = async (params) => {
      if (h.sent.length > 0) throw new Error('Stripe API unavailable');
      return lister(params);
    };

    await expect(h.run({ pageSize }, { listEvents: failingMidway })).rejects.toThrow(/unavailable/);
    const partial = h.sent.length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(events.length);

    await h.run({ pageSize });
    expect(sentIds(h.sent)).toEqual(ids(events));
  });

  it('stops at its page budget and the next runs continue where it stopped', async () => {
    const events = paymentEvents(2.5 * pageSize, { stepSeconds: 200 });
    const groups = [{ key: 'payments', types: ['payment_intent.succeeded'] }];

    const runs = [];
    do {
      runs.push(await h.run({ groups, maxPages: 3, initialLookbackSeconds: 7_200, pageSize }));
    } while (runs.at(-1)?.complete === false && runs.length < 20);

    expect(sentIds(h.sent)).toEqual(ids(events));
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.every((r) => r.listCalls <= 3)).toBe(true);
    expect(runs.at(-1)?.complete).toBe(true);
    // Lag: a complete run has read the log up to the settle window.
    expect(runs.at(-1)?.lagSeconds).toBe(SETTLE_SECONDS);
  });

  it('finds the oldest events of a second that holds more than a page of them', async () => {
    const events = paymentEvents(1.5 * pageSize, { sameSecond: true });

    await h.run({ pageSize });

    expect(sentIds(h.sent)).toEqual(ids(events));
  });

  it('falls back to time when its cursor event has aged out of the 30 days Stripe keeps', async () => {
    const expired = sampleEvent('payment_intent.succeeded', { id: 'evt_rec_expired', created: nowSeconds() - 31 * 86_400 });
    h.stripe.registerEvent(expired);
    const events = paymentEvents(3);
    const checkpoints = dynamoCheckpointStore(h.consumer.dynamo.client, h.consumer.dynamo.tableName);
    const group = typeGroups(HANDLED_EVENT_TYPES).find((g) => g.types.includes('payment_intent.succeeded'));
    await checkpoints.write(group?.key ?? '', { created: nowSeconds() - 31 * 86_400, eventId: expired.id, scannedThrough: 0, waiting: [] });

    await h.run();

    expect(sentIds(h.sent)).toEqual(ids(events));
    expect(h.logs.lines.some((l) => String(l['message']).includes('older than Stripe keeps events'))).toBe(true);
  });
});

describe('reconciler during a Salesforce outage', () => {
  it('takes no event the consumer deferred for a missed one, and recovers those that left the queue undone (a purge)', async () => {
    const events = paymentEvents(6, { stepSeconds: 60 });
    // Each attempt goes back to the queue with its backoff, as the Lambda event source would.
    const app = h.consumer.coldStart({ changeVisibility: async () => undefined });
    const records = events.map((e, i) => inboundRecord(e, { receiptHandle: `rh-${i}`, sentAt: h.consumer.nowMs }));
    h.consumer.salesforce.failNextRequests(100_000, 503, 'SERVER_UNAVAILABLE');
    for (let attempt = 0; attempt < 4; attempt++) {
      const summary = await app.handle(records);
      expect(summary.response.batchItemFailures).toHaveLength(6);
      h.consumer.nowMs += 60_000;
    }
    // The last attempts were deferred without a call: Salesforce's circuit is open.
    expect(h.consumer.logs.lines.some((l) => l['errorCode'] === 'SALESFORCE_UNREACHABLE')).toBe(true);

    const during = await h.run();
    expect(h.sent).toEqual([]);
    expect(during).toMatchObject({ recovered: 0, waiting: 6, complete: true });

    // Salesforce is back: the queue hands the consumer three of them; the other three were purged.
    h.consumer.salesforce.clearFailures();
    await h.consumer.coldStart().handle(records.slice(0, 3));
    h.consumer.nowMs += 15 * 60_000;
    expect(await h.run()).toMatchObject({ recovered: 0, waiting: 3 });
    expect(h.sent).toEqual([]);

    // Their next receive is long overdue: they left the queue without being done.
    h.consumer.nowMs += 45 * 60_000;
    const after = await h.run();
    expect(after).toMatchObject({ recovered: 3, waiting: 0 });
    expect(sentIds(h.sent)).toEqual(ids(events.slice(3)));
    await h.consumeSent();
    const payments = h.consumer.salesforce.records('Stripe_Payment__c').map((r) => r['Stripe_Id__c']);
    expect(new Set(payments)).toEqual(new Set(events.map((e) => (e.data.object as { id: string }).id)));
    expect((await h.run()).recovered).toBe(0);
  });

  it('stops at a queued event instead of passing it when it cannot watch more', async () => {
    const events = paymentEvents(3, { stepSeconds: 60 });
    const app = h.consumer.coldStart({ changeVisibility: async () => undefined });
    h.consumer.salesforce.failNextRequests(100_000, 503, 'SERVER_UNAVAILABLE');
    await app.handle([inboundRecord(events[1] as Stripe.Event, { receiptHandle: 'rh', sentAt: h.consumer.nowMs })]);
    h.consumer.salesforce.clearFailures();
    const checkpoints = dynamoCheckpointStore(h.consumer.dynamo.client, h.consumer.dynamo.tableName);
    const group = typeGroups(HANDLED_EVENT_TYPES).find((g) => g.types.includes('payment_intent.succeeded'));
    // Already watching as many as it keeps, all still in the queue.
    const full = Array.from({ length: MAX_WAITING }, (_, i) => `evt_rec_elsewhere_${i}`);
    await dynamoQueuedEvents(h.consumer.dynamo.client, h.consumer.dynamo.tableName, () => h.consumer.nowMs).mark(full.map((eventId) => ({ eventId, delaySeconds: 900 })));
    await checkpoints.write(group?.key ?? '', { created: nowSeconds() - 86_400, eventId: undefined, scannedThrough: 0, waiting: full });

    const result = await h.run();

    // The first event was missed; the second waits in the queue: the group stops right before it
    // (the third, missed too, is recovered once the second is done).
    expect(sentIds(h.sent)).toEqual([(events[0] as Stripe.Event).id]);
    expect(result.complete).toBe(false);
    const saved = await checkpoints.read(group?.key ?? '');
    expect(saved?.eventId).toBe((events[0] as Stripe.Event).id);
    expect(saved?.waiting).toHaveLength(MAX_WAITING);
  });
});
