import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStore } from '../../src/dedup/event-store.js';
import { RANK } from '../../src/mappers/ranks.js';
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
    expect(await store.complete('evt_done', first.token, 'applied')).toBe(true);
    expect(await store.claim('evt_done', 'invoice.paid')).toEqual({ status: 'completed', outcome: 'applied' });
  });

  it('lets a later attempt take over once the lease of a crashed attempt expired', async () => {
    const crashed = await store.claim('evt_crash', 'invoice.paid');
    expect(crashed.status).toBe('claimed');
    expect((await store.claim('evt_crash', 'invoice.paid')).status).toBe('in_progress');
    nowMs += 61_000;
    const retry = await store.claim('evt_crash', 'invoice.paid');
    expect(retry.status).toBe('claimed');
    // The crashed attempt can no longer complete or release what is now someone else's claim.
    if (crashed.status !== 'claimed' || retry.status !== 'claimed') throw new Error('expected claims');
    expect(await store.complete('evt_crash', crashed.token, 'applied')).toBe(false);
    await store.release('evt_crash', crashed.token);
    expect((await store.claim('evt_crash', 'invoice.paid')).status).toBe('in_progress');
    expect(await store.complete('evt_crash', retry.token, 'applied')).toBe(true);
  });

  it('can be claimed again at once after it was released', async () => {
    const first = await store.claim('evt_released', 'invoice.paid');
    if (first.status !== 'claimed') throw new Error('expected claim');
    await store.release('evt_released', first.token);
    expect((await store.claim('evt_released', 'invoice.paid')).status).toBe('claimed');
  });
});

describe('ordering guards', () => {
  const at = (eventId: string, created: number, rank: number = RANK.OPEN) => ({ eventId, created, rank });

  it('applies newer events and skips older ones', async () => {
    expect((await store.advanceGuard('Stripe_Payment__c:pi_1', at('evt_b', 200))).applied).toBe(true);
    const stale = await store.advanceGuard('Stripe_Payment__c:pi_1', at('evt_a', 100));
    expect(stale).toEqual({ applied: false, current: { created: 200, rank: RANK.OPEN, eventId: 'evt_b' } });
    expect((await store.advanceGuard('Stripe_Payment__c:pi_1', at('evt_c', 300))).applied).toBe(true);
  });

  it('lets the same event pass again (a retry after a failed write)', async () => {
    expect((await store.advanceGuard('Stripe_Invoice__c:in_1', at('evt_x', 500, RANK.SETTLED))).applied).toBe(true);
    expect((await store.advanceGuard('Stripe_Invoice__c:in_1', at('evt_x', 500, RANK.SETTLED))).applied).toBe(true);
  });

  it('breaks same-second ties by rank', async () => {
    expect((await store.advanceGuard('Opportunity:006A', at('evt_paid', 700, RANK.SETTLED))).applied).toBe(true);
    expect((await store.advanceGuard('Opportunity:006A', at('evt_failed', 700, RANK.FAILED))).applied).toBe(false);
    expect((await store.advanceGuard('Opportunity:006A', at('evt_refund', 700, RANK.REFUNDED))).applied).toBe(true);
  });

  it('never unsettles a settled state, however new the unsettled event', async () => {
    expect((await store.advanceGuard('Opportunity:006B', at('evt_paid', 800, RANK.SETTLED))).applied).toBe(true);
    expect((await store.advanceGuard('Opportunity:006B', at('evt_expired', 900, RANK.OPEN))).applied).toBe(false);
    expect((await store.advanceGuard('Opportunity:006B', at('evt_failed', 950, RANK.FAILED))).applied).toBe(false);
    expect((await store.advanceGuard('Opportunity:006B', at('evt_refunded', 990, RANK.REFUNDED))).applied).toBe(true);
  });
});
