/**
 * The backfill through Bulk API 2.0 ingest jobs (the stand-in's, see test/salesforce/bulk-ingest.test.ts
 * for the documented endpoints): the same mappers and merging as the Composite path, the same
 * Salesforce state at the end, the same guarantees: resumable with the same result, never older
 * over newer (a row the precedence rule refuses is stale, not failed), failures with reasons.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SAMPLE_ACCOUNT_ID, sampleEvent } from '../../src/local/sample-events.js';
import type { ApplyEvents } from '../../src/reconcile/apply-events.js';
import { inboundRecord } from '../support/consumer-harness.js';
import { DAY, salesforceState, seedHistory, startBackfillWorld, type BackfillWorld } from './backfill-support.js';

const BULK = { writes: { mode: 'bulk' } } as const;
const COMPOSITE = { writes: { mode: 'composite' } } as const;

let world: BackfillWorld;
/** The worlds this test started, closed after it. */
const started: BackfillWorld[] = [];
async function startWorld(): Promise<BackfillWorld> {
  const next = await startBackfillWorld();
  started.push(next);
  return next;
}
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((w) => w.close()));
});

const record = (w: BackfillWorld, sobject: string, stripeId: string) => w.consumer.salesforce.records(sobject).find((r) => r['Stripe_Id__c'] === stripeId);
const paths = (w: BackfillWorld, part: string) => w.consumer.salesforce.requests.filter((r) => r.path.includes(part));

describe('backfill through Bulk API 2.0', () => {
  it('ends in the same Salesforce state as the Composite path, counting every Bulk request', async () => {
    // A second world, for the Composite path to compare with.
    const other = await startWorld();
    seedHistory(world);
    seedHistory(other);
    const before = world.consumer.salesforce.apiCalls;

    const bulk = await world.run({ batchSize: 500 }, BULK);
    const composite = await other.run({ batchSize: 500 }, COMPOSITE);

    expect(bulk.status).toBe('finished');
    expect(salesforceState(world)).toEqual(salesforceState(other));
    expect(record(world, 'Stripe_Payment__c', 'pi_bf_1')).toMatchObject({ Status__c: 'Partially Refunded', Amount_Refunded__c: 5 });
    const [b, c] = [bulk.checkpoint.totals, composite.checkpoint.totals];
    expect({ created: b.created, updated: b.updated, applied: b.applied, stale: b.stale, failed: b.failed }).toEqual({
      created: c.created,
      updated: c.updated,
      applied: c.applied,
      stale: c.stale,
      failed: 0,
    });
    expect(paths(world, '/jobs/ingest').length).toBeGreaterThan(0);
    expect(paths(other, '/jobs/ingest')).toHaveLength(0);
    // Every request under /services/data the run made is in its count (jobs, polls, results).
    expect(b.salesforceApiCalls).toBe(world.consumer.salesforce.apiCalls - before);
  });

  it('ends in the same Salesforce state when interrupted (Ctrl-C, then a crash) and resumed', async () => {
    const other = await startWorld();
    seedHistory(world, 24);
    seedHistory(other, 24);
    await other.run({}, COMPOSITE);

    let batches = 0;
    expect((await world.run({}, { ...BULK, stop: () => ++batches === 3 })).status).toBe('interrupted');
    const crashing = world.ports(BULK).apply as ApplyEvents;
    let applied = 0;
    await expect(
      world.run({}, {
        ...BULK,
        apply: async (items) => {
          if (++applied === 4) throw new Error('killed');
          return crashing(items);
        },
      }),
    ).rejects.toThrow('killed');
    const resumed = await world.run({}, BULK);

    expect(resumed).toMatchObject({ status: 'finished', resumed: true });
    expect(salesforceState(world)).toEqual(salesforceState(other));
    expect(paths(world, '/jobs/ingest').length).toBeGreaterThan(0);
  });

  it('never overwrites newer state that live events wrote while a job ran: refused rows are stale, not failures', async () => {
    const now = Math.floor(world.consumer.nowMs / 1000);
    const invoice = (id: string, status: string) => ({
      ...(sampleEvent('invoice.finalized', { objectId: id, metadata: { salesforce_account_id: SAMPLE_ACCOUNT_ID } }).data.object as object),
      status,
      created: now - 10 * DAY,
    });
    world.stripe.lists.seed('invoices', invoice('in_live', 'open'));
    world.stripe.lists.seed('invoices', invoice('in_quiet', 'open'));
    // The job is uploaded with the invoice open; before Salesforce processes it, the invoice is paid
    // and the live event (created after the backfill started) is applied.
    const sf = world.consumer.salesforce;
    let compositeAfterLive = Number.NaN;
    sf.beforeRequest = async ({ method, path }) => {
      if (method !== 'PATCH' || !path.includes('/jobs/ingest/')) return;
      sf.beforeRequest = undefined;
      const paid = sampleEvent('invoice.paid', { objectId: 'in_live', created: now, metadata: { salesforce_account_id: SAMPLE_ACCOUNT_ID } });
      await world.consumer.app.handle([inboundRecord(paid)]);
      compositeAfterLive = paths(world, '/composite').length;
    };

    const result = await world.run({ objects: ['invoices'] }, BULK);

    expect(record(world, 'Stripe_Invoice__c', 'in_live')).toMatchObject({ Status__c: 'Paid' });
    expect(record(world, 'Stripe_Invoice__c', 'in_quiet')).toMatchObject({ Status__c: 'Open' });
    expect(result.checkpoint.totals).toMatchObject({ stale: 1, failed: 0, applied: 1 });
    expect(existsSync(join(world.dir, 'failures.jsonl'))).toBe(false);
    // Read as stale from the job's failedResults: nothing was re-sent through Composite.
    expect(paths(world, '/composite')).toHaveLength(compositeAfterLive);

    // A webhook Stripe retried for days arrives after the backfill: older than what it read, it loses.
    const late = sampleEvent('invoice.finalized', { objectId: 'in_late', created: now - 2 * DAY, metadata: { salesforce_account_id: SAMPLE_ACCOUNT_ID } });
    world.stripe.lists.seed('invoices', { ...(late.data.object as object), status: 'paid', created: now - 5 * DAY });
    await world.run({ objects: ['invoices'], restart: true }, BULK);
    await world.consumer.app.handle([inboundRecord(late)]);
    expect(record(world, 'Stripe_Invoice__c', 'in_late')).toMatchObject({ Status__c: 'Paid' });
  });

  it('re-sends a row a validation rule refused through Composite once, and reports it failed with its reason', async () => {
    seedHistory(world);
    world.consumer.salesforce.addValidationRule('Stripe_Invoice__c', { message: 'PO number required', field: 'Status__c', rejects: (r) => r['Stripe_Id__c'] === 'in_bf_1' });

    const result = await world.run({ objects: ['invoices'], batchSize: 500 }, BULK);

    expect(result.checkpoint.totals).toMatchObject({ failed: 1, stale: 0 });
    expect(record(world, 'Stripe_Invoice__c', 'in_bf_1')).toBeUndefined();
    expect(record(world, 'Stripe_Invoice__c', 'in_bf_6')).toMatchObject({ Status__c: 'Open' });
    const lines = readFileSync(join(world.dir, 'failures.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([expect.objectContaining({ objectId: 'in_bf_1', code: 'SALESFORCE_FIELD_CUSTOM_VALIDATION_EXCEPTION', reason: expect.stringContaining('PO number required') })]);
    // The refused row alone went through Composite (one request).
    expect(paths(world, '/composite')).toHaveLength(1);
  });

  it('auto: a group of at least the threshold goes through a job, smaller groups through Composite', async () => {
    const other = await startWorld();
    seedHistory(world);
    seedHistory(other);

    await world.run({ objects: ['invoices'], batchSize: 500 }, { writes: { mode: 'auto', bulkThreshold: 8 } });
    await other.run({ objects: ['invoices'], batchSize: 500 }, COMPOSITE);

    // 10 invoices (drafts are skipped) in one job; the Opportunities they name (5) in one Composite request.
    const created = paths(world, '/jobs/ingest').filter((r) => r.method === 'POST');
    expect(created).toHaveLength(1);
    expect(paths(world, '/composite')).toHaveLength(1);
    expect(salesforceState(world)).toEqual(salesforceState(other));
  });
});
