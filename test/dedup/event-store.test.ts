import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStore } from '../../src/dedup/event-store.js';
import { startDynalite, type LocalDynamo } from '../../src/local/standins/dynalite.js';

let dynamo: LocalDynamo;
let nowMs = 1_700_000_000_000;
let store: EventStore;

beforeAll(async () => {
  dynamo = await startDynalite();
  store = new EventStore(dynamo.client, { tableName: dynamo.tableName, leaseSeconds: 60, ttlDays: 35, now: () => nowMs });
});
afterAll(async () => dynamo.close());

describe('claiming an event', () => {
  it('lets exactly one of two concurrent attempts claim it', async () => {
    const results = await Promise.all([store.claim('evt_concurrent', 'invoice.paid'), store.claim('evt_concurrent', 'invoice.paid')]);
    expect(results.map((r) => r.status).sort()).toEqual(['claimed', 'in_progress']);
  });

  it('turns a completed event into a duplicate that names the first outcome', async () => {
    const first = await store.claim('evt_done', 'invoice.paid');
    if (first.status !== 'claimed') throw new Error('expected claim');
    await store.commit([{ key: 'evt_done', kind: 'invoice.paid', token: first.token, outcome: 'applied' }]);
    expect(await store.claim('evt_done', 'invoice.paid')).toEqual({ status: 'completed', outcome: 'applied' });
  });

  it('lets a later attempt take over once the lease of a crashed attempt expired', async () => {
    const crashed = await store.claim('evt_crash', 'invoice.paid');
    expect(crashed.status).toBe('claimed');
    expect((await store.claim('evt_crash', 'invoice.paid')).status).toBe('in_progress');
    nowMs += 61_000;
    const retry = await store.claim('evt_crash', 'invoice.paid');
    expect(retry.status).toBe('claimed');
    // The crashed attempt can no longer release what is now someone else's claim.
    if (crashed.status !== 'claimed' || retry.status !== 'claimed') throw new Error('expected claims');
    await store.release('evt_crash', crashed.token);
    expect((await store.claim('evt_crash', 'invoice.paid')).status).toBe('in_progress');
    await store.commit([{ key: 'evt_crash', kind: 'invoice.paid', token: retry.token, outcome: 'applied' }]);
    expect((await store.claim('evt_crash', 'invoice.paid')).status).toBe('completed');
  });

  it('can be claimed again at once after it was released', async () => {
    const first = await store.claim('evt_released', 'invoice.paid');
    if (first.status !== 'claimed') throw new Error('expected claim');
    await store.release('evt_released', first.token);
    expect((await store.claim('evt_released', 'invoice.paid')).status).toBe('claimed');
  });
});

describe('committing events', () => {
  const claimed = async (id: string): Promise<string> => {
    const claim = await store.claim(id, 'invoice.paid');
    if (claim.status !== 'claimed') throw new Error('expected claim');
    return claim.token;
  };

  it('marks a whole batch completed in one request per 25 events', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `evt_batch_${i}`);
    const tokens = await Promise.all(ids.map(claimed));
    const before = dynamo.requests;
    await store.commit(ids.map((key, i) => ({ key, kind: 'invoice.paid', token: tokens[i] as string, outcome: i % 2 === 0 ? 'applied' : 'stale' })));
    expect(dynamo.requests - before).toBe(2);
    expect(await store.claim('evt_batch_0', 'invoice.paid')).toEqual({ status: 'completed', outcome: 'applied' });
    expect(await store.claim('evt_batch_29', 'invoice.paid')).toEqual({ status: 'completed', outcome: 'stale' });
  });

  it('completes an event whose lease another attempt took over: the effect is the same', async () => {
    const first = await claimed('evt_overtaken');
    nowMs += 61_000;
    const second = await claimed('evt_overtaken');
    await store.commit([{ key: 'evt_overtaken', kind: 'invoice.paid', token: first, outcome: 'applied' }]);
    // The later attempt can no longer give back what is now a completed event.
    await store.release('evt_overtaken', second);
    expect(await store.claim('evt_overtaken', 'invoice.paid')).toEqual({ status: 'completed', outcome: 'applied' });
  });
});
