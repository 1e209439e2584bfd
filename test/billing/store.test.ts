/**
 * The billing record store against dynalite (the real DynamoDB wire protocol): conditional writes
 * decide every race, a lost race returns the record that won, and the consumer's reads of a whole
 * batch are one BatchGetItem.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BillingFields } from '../../src/billing/store.js';
import { BillingStore } from '../../src/billing/store.js';
import { billingKey } from '../../src/billing/record.js';
import { startDynalite, type LocalDynamo } from '../../src/local/standins/dynalite.js';

let dynamo: LocalDynamo;
let store: BillingStore;
let clock = 1_800_000_000_000;

beforeAll(async () => {
  dynamo = await startDynalite('billing-store-test');
  store = new BillingStore(dynamo.client, { tableName: dynamo.tableName, now: () => clock });
});
afterAll(async () => {
  await dynamo.close();
});

const fields = (recordId: string, changes: Partial<BillingFields> = {}): BillingFields => ({
  sobject: 'Opportunity',
  recordId,
  state: 'pending',
  mode: 'invoice',
  amount: 120000,
  currency: 'usd',
  stripeObjectId: undefined,
  requestId: 'sf:first',
  leaseExpiresAt: clock + 120_000,
  previous: [],
  adopted: false,
  ...changes,
});

describe('BillingStore', () => {
  it('keys a record by its 15-character id, so the 15- and 18-character forms are one record', async () => {
    expect(billingKey('Opportunity', '006Ab00000Store1AAA')).toBe(billingKey('Opportunity', '006Ab00000Store1'));
    const created = await store.create(fields('006Ab00000Store1AAA'));
    expect(created).toMatchObject({ ok: true, record: { version: 1, updatedAt: clock } });
    expect(await store.get('Opportunity', '006Ab00000Store1')).toEqual(created.ok ? created.record : undefined);
  });

  it('lets one of two concurrent takes win and hands the loser the winner', async () => {
    const results = await Promise.all([store.create(fields('006Ab00000Race01AAA', { requestId: 'sf:a' })), store.create(fields('006Ab00000Race01AAA', { requestId: 'sf:b' }))]);
    const winners = results.filter((r) => r.ok);
    expect(winners).toHaveLength(1);
    const loser = results.find((r) => !r.ok);
    expect(loser).toMatchObject({ ok: false, current: { requestId: winners[0]?.ok ? winners[0].record.requestId : '' } });
  });

  it('changes a record only from the version it read', async () => {
    const created = await store.create(fields('006Ab00000Vers01AAA'));
    if (!created.ok) throw new Error('not created');
    clock += 1000;
    const attached = await store.update(created.record, { stripeObjectId: 'in_1', previous: ['in_0'] });
    expect(attached).toMatchObject({ ok: true, record: { version: 2, stripeObjectId: 'in_1', previous: ['in_0'], updatedAt: clock } });

    const stale = await store.update(created.record, { state: 'billed' });
    expect(stale).toMatchObject({ ok: false, current: { version: 2, stripeObjectId: 'in_1', state: 'pending' } });
    expect(await store.remove(created.record)).toBe(false);
    expect(await store.remove(attached.ok ? attached.record : created.record)).toBe(true);
    expect(await store.get('Opportunity', '006Ab00000Vers01AAA')).toBeUndefined();
  });

  it('reads the records of a whole batch in one BatchGetItem per 100 keys', async () => {
    const ids = Array.from({ length: 130 }, (_, i) => `006Ab00B${String(i).padStart(7, '0')}AAA`);
    await Promise.all(ids.filter((_, i) => i % 2 === 0).map((id) => store.create(fields(id, { stripeObjectId: `in_${id}`, state: 'billed' }))));
    const before = dynamo.requests;

    const found = await store.getMany(ids.map((recordId) => ({ sobject: 'Opportunity' as const, recordId })));

    expect(dynamo.requests - before).toBe(2);
    expect(found.size).toBe(65);
    expect(found.get(billingKey('Opportunity', ids[0] as string))).toMatchObject({ stripeObjectId: `in_${ids[0]}`, state: 'billed' });
    expect(found.has(billingKey('Opportunity', ids[1] as string))).toBe(false);
  });
});
