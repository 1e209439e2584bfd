/**
 * The backfill through the stand-ins: Stripe's list endpoints (newest first, `created[gte]`,
 * `starting_after`, `expand[]`; https://docs.stripe.com/api/pagination) read with a read-only
 * restricted key, the consumer's core with its dedup table, Salesforce's Composite API.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type Stripe from 'stripe';
import { SAMPLE_ACCOUNT_ID, sampleEvent } from '../../src/local/sample-events.js';
import type { ApplyEvents } from '../../src/reconcile/apply-events.js';
import { CheckpointMismatchError } from '../../src/reconcile/backfill.js';
import { billOpportunity } from '../support/billing.js';
import { inboundRecord } from '../support/consumer-harness.js';
import { DAY, salesforceState, seedHistory, startBackfillWorld, type BackfillWorld } from './backfill-support.js';

let world: BackfillWorld;
beforeEach(async () => {
  world = await startBackfillWorld();
});
afterEach(async () => {
  await world.close();
});

const record = (sobject: string, stripeId: string) => world.consumer.salesforce.records(sobject).find((r) => r['Stripe_Id__c'] === stripeId);

describe('backfill', () => {
  it('loads every kind of object through the mappers of its event, and skips what no event describes', async () => {
    seedHistory(world);

    const result = await world.run({ batchSize: 500 });

    expect(result.status).toBe('finished');
    expect(record('Stripe_Invoice__c', 'in_bf_0')).toMatchObject({ Status__c: 'Paid', Amount_Paid__c: 10 });
    expect(record('Stripe_Invoice__c', 'in_bf_1')).toMatchObject({ Status__c: 'Open', Amount_Due__c: 10.01 });
    expect(record('Stripe_Invoice__c', 'in_bf_2')).toMatchObject({ Status__c: 'Void' });
    expect(record('Stripe_Invoice__c', 'in_bf_4')).toBeUndefined(); // a draft: no handled event describes it
    expect(record('Stripe_Subscription__c', 'sub_bf_0')).toMatchObject({ Status__c: 'Canceled' });
    expect(record('Stripe_Subscription__c', 'sub_bf_1')).toMatchObject({ Status__c: 'Active' });
    expect(record('Stripe_Payment__c', 'pi_bf_0')).toMatchObject({ Status__c: 'Succeeded', Amount__c: 20, Card_Last4__c: '4242' });
    // Refunded (partially) and disputed payments show the later state: refunds and disputes load after payments.
    expect(record('Stripe_Payment__c', 'pi_bf_1')).toMatchObject({ Status__c: 'Partially Refunded', Amount_Refunded__c: 5 });
    expect(record('Stripe_Payment__c', 'pi_bf_3')).toMatchObject({ Status__c: 'Disputed' });
    expect(record('Stripe_Payment__c', 'pi_bf_7')).toMatchObject({ Status__c: 'Dispute Won' });
    expect(record('Stripe_Payment__c', 'pi_bf_10')).toBeUndefined(); // still waiting for a payment method
    expect(world.consumer.salesforce.records('Account').find((a) => a['Id'] === SAMPLE_ACCOUNT_ID)).toMatchObject({ Stripe_Customer_Id__c: 'cus_bf_linked' });
    // No Case for history: only live failures open one.
    expect(world.consumer.salesforce.records('Case')).toHaveLength(0);

    const totals = result.checkpoint.totals;
    expect(totals.byKind.invoices).toMatchObject({ read: 12, skipped: 2 });
    expect(totals.skipReasons).toMatchObject({ 'draft invoice: no handled event describes it': 2 });
    expect(totals.failed).toBe(0);
    expect(totals.created).toBeGreaterThan(30);
    // Large batches: one Composite call per kind here (each carries up to 1,000 records).
    expect(totals.salesforceApiCalls).toBeLessThanOrEqual(6);
    // Only reads: the stand-in refused nothing to the read-only key.
    expect(world.stripe.requests.every((r) => r.method === 'GET' && r.status === 200)).toBe(true);
  });

  it('believes only what the consumer would: an Opportunity moves for its own bill, not for other payments naming it', async () => {
    seedHistory(world);
    const [billed, unbilled] = world.opportunityIds as [string, string];
    // in_bf_0 (paid, 10.00 USD) is the first Opportunity's bill; every other object naming it is not.
    await billOpportunity(world.consumer.dynamo, billed, { stripeObjectId: 'in_bf_0', amount: 1000 });

    expect((await world.run({ batchSize: 500 })).status).toBe('finished');

    const opportunity = (id: string) => world.consumer.salesforce.records('Opportunity').find((o) => o['Id'] === id) ?? {};
    expect(opportunity(billed)).toMatchObject({ Stripe_Payment_Status__c: 'Paid', Stripe_Amount_Paid__c: 10, Stripe_Invoice_Id__c: 'in_bf_0' });
    expect(opportunity(unbilled)['Stripe_Payment_Status__c']).toBeUndefined();
    expect(String(opportunity(unbilled)['Stripe_Sync_Error__c'])).toMatch('the bridge has not billed it');
    // The payments themselves are all there, linked.
    expect(record('Stripe_Payment__c', 'pi_bf_1')).toMatchObject({ Opportunity__c: unbilled });
  });

  it('ends in the same Salesforce state when interrupted (Ctrl-C, then a crash) and resumed', async () => {
    const other = await startBackfillWorld();
    try {
      seedHistory(world, 24);
      seedHistory(other, 24);
      await other.run();

      let batches = 0;
      const interrupted = await world.run({}, { stop: () => ++batches === 3 });
      expect(interrupted.status).toBe('interrupted');
      const crashing = world.ports().apply as ApplyEvents;
      let applied = 0;
      await expect(
        world.run({}, {
          apply: async (items) => {
            if (++applied === 4) throw new Error('killed');
            return crashing(items);
          },
        }),
      ).rejects.toThrow('killed');
      const resumed = await world.run();

      expect(resumed).toMatchObject({ status: 'finished', resumed: true });
      expect(salesforceState(world)).toEqual(salesforceState(other));
      const [a, b] = [resumed.checkpoint.totals, (await other.ports().checkpoints.load())?.totals];
      expect({ read: a.read, applied: a.applied, skipped: a.skipped }).toEqual({ read: b?.read, applied: b?.applied, skipped: b?.skipped });
      // Running again after the end changes nothing.
      expect((await world.run()).status).toBe('already_finished');
    } finally {
      await other.close();
    }
  });

  it('never overwrites newer state that live events wrote while it ran', async () => {
    const now = Math.floor(world.consumer.nowMs / 1000);
    const invoice = (status: string) => ({
      ...(sampleEvent('invoice.finalized', { objectId: 'in_live', metadata: { salesforce_account_id: SAMPLE_ACCOUNT_ID } }).data.object as object),
      status,
      created: now - 10 * DAY,
    });
    world.stripe.lists.seed('invoices', invoice('open'));
    const apply = world.ports().apply as ApplyEvents;

    // The backfill read the invoice open; before it writes, the invoice is paid and the live
    // event (created now, after the backfill started) is applied.
    await world.run({ objects: ['invoices'] }, {
      apply: async (items) => {
        const paid = sampleEvent('invoice.paid', { objectId: 'in_live', created: now, metadata: { salesforce_account_id: SAMPLE_ACCOUNT_ID } });
        await world.consumer.app.handle([inboundRecord(paid)]);
        return apply(items);
      },
    });
    expect(record('Stripe_Invoice__c', 'in_live')).toMatchObject({ Status__c: 'Paid' });

    // A webhook Stripe retried for days arrives after the backfill: older than what it read, it loses.
    const late = sampleEvent('invoice.finalized', { objectId: 'in_late', created: now - 2 * DAY, metadata: { salesforce_account_id: SAMPLE_ACCOUNT_ID } });
    world.stripe.lists.seed('invoices', { ...(late.data.object as object), status: 'paid', created: now - 5 * DAY });
    await world.run({ objects: ['invoices'], restart: true });
    await world.consumer.app.handle([inboundRecord(late)]);
    expect(record('Stripe_Invoice__c', 'in_late')).toMatchObject({ Status__c: 'Paid' });

    // An event after the backfill's start arrives after it wrote: it wins.
    const voided = sampleEvent('invoice.voided', { objectId: 'in_late', created: now + 60, metadata: { salesforce_account_id: SAMPLE_ACCOUNT_ID } });
    await world.consumer.app.handle([inboundRecord(voided)]);
    expect(record('Stripe_Invoice__c', 'in_late')).toMatchObject({ Status__c: 'Void' });
  });

  it('stops before the Salesforce call cap and resumes; a dry run writes nothing', async () => {
    seedHistory(world, 24);

    const dry = await world.run({ dryRun: true });
    expect(dry.status).toBe('finished');
    expect(dry.checkpoint.totals.applied).toBeGreaterThan(0);
    expect(world.consumer.salesforce.records('Stripe_Invoice__c')).toHaveLength(0);

    const capped = await world.run({ maxSalesforceCalls: 3, batchSize: 5, restart: true });
    expect(capped.status).toBe('call_cap');
    expect(capped.checkpoint.totals.salesforceApiCalls).toBeLessThanOrEqual(3);
    const rest = await world.run({ batchSize: 5 });
    expect(rest.status).toBe('finished');
    expect(record('Stripe_Invoice__c', 'in_bf_23')).toBeDefined();
  });

  it('refuses to resume a checkpoint of another backfill, and writes failures with their reason', async () => {
    seedHistory(world);
    world.consumer.salesforce.failRecord('Stripe_Invoice__c', 'in_bf_1', 'FIELD_CUSTOM_VALIDATION_EXCEPTION', 'Amount must be positive', 10);
    await world.run({ objects: ['invoices'] }, { stop: () => true });

    await expect(world.run({ objects: ['payments'] })).rejects.toBeInstanceOf(CheckpointMismatchError);
    const result = await world.run({ objects: ['invoices'] });

    expect(result.checkpoint.totals.failed).toBe(1);
    const lines = readFileSync(join(world.dir, 'failures.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([expect.objectContaining({ kind: 'invoices', objectId: 'in_bf_1', eventType: 'invoice.finalized', code: 'SALESFORCE_FIELD_CUSTOM_VALIDATION_EXCEPTION' })]);
    expect(String(lines[0]?.['reason'])).toContain('Amount must be positive');
  });
});

export type { Stripe };
