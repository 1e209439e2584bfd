import { describe, expect, it } from 'vitest';
import type { SObjectName } from '../../src/contracts/salesforce-mutation.js';
import type { SalesforceMutation } from '../../src/mappers/mutation.js';
import {
  MAX_COLLECTIONS_PER_COMPOSITE,
  MAX_COMPOSITE_SUBREQUESTS,
  mergeMutations,
  planComposites,
  type CompositePlan,
  type PlannedWrite,
} from '../../src/salesforce/batch-plan.js';

const upsert = (sobject: SObjectName, value: string): SalesforceMutation => ({ sobject, key: { field: 'Stripe_Id__c', value }, fields: { Name: value } });
const update = (sobject: SObjectName, id: string): SalesforceMutation => ({ sobject, key: { field: 'Id', value: id }, fields: { Stripe_Payment_Status__c: 'Paid' } });

/** n records of each listed object (upserts by Stripe_Id__c), one item each. */
function records(counts: Readonly<Partial<Record<SObjectName, number>>>, extra: readonly SalesforceMutation[] = []) {
  const mutations = (Object.entries(counts) as [SObjectName, number][]).flatMap(([sobject, n]) => Array.from({ length: n }, (_, i) => upsert(sobject, `${sobject}_${i}`)));
  return mergeMutations([...mutations, ...extra].map((m, i) => ({ correlationId: `m${i}`, mutations: [m] })));
}

const heavy = (writes: readonly PlannedWrite[]): number => writes.filter((w) => w.kind === 'collection').length;
const subrequests = (writes: readonly PlannedWrite[]): number => writes.length;
const recordsIn = (plan: CompositePlan): string[] =>
  plan.composites.flat().flatMap((w) => (w.kind === 'single' ? [w.record.keyValue] : w.request.records.map((r) => r.keyValue)));

/** Composite's documented limits hold in every call, the reads counted in the one they ride in. */
function expectWithinLimits(plan: CompositePlan, reads: number): void {
  plan.composites.forEach((writes, index) => {
    const queries = plan.readsRide && index === plan.composites.length - 1 ? reads : 0;
    expect(heavy(writes) + queries).toBeLessThanOrEqual(MAX_COLLECTIONS_PER_COMPOSITE);
    expect(subrequests(writes) + queries).toBeLessThanOrEqual(MAX_COMPOSITE_SUBREQUESTS);
  });
}

// Limits: REST API Developer Guide, "Send Multiple Requests Using Composite": up to 25
// subrequests, of which up to 5 can be sObject Collections or query operations.
describe('planComposites', () => {
  const sixKinds = { Stripe_Payment__c: 4, Stripe_Invoice__c: 3, Stripe_Refund__c: 2, Stripe_Subscription__c: 2, Stripe_Sync_Log__c: 2, Case: 1 };

  it('keeps every group a Collection when five or fewer fit one call', () => {
    const plan = planComposites(records({ Stripe_Payment__c: 3, Stripe_Invoice__c: 2 }));
    expect(plan.composites).toHaveLength(1);
    expect(plan.composites[0]?.every((w) => w.kind === 'collection')).toBe(true);
  });

  it('sends the smallest upsert groups record by record instead of spilling a sixth Collection into a second call', () => {
    const plan = planComposites(records(sixKinds, [update('Opportunity', '006000000000001AAA'), update('Opportunity', '006000000000002AAA')]));
    expect(plan.composites).toHaveLength(1);
    const [writes = []] = plan.composites;
    expect(heavy(writes)).toBe(MAX_COLLECTIONS_PER_COMPOSITE);
    // Six upsert groups and one update group: two go alone, the smallest (Case: 1 record, then a 2-record group).
    expect(writes.filter((w) => w.kind === 'single').map((w) => (w.kind === 'single' ? w.record.sobject : ''))).toEqual(
      expect.arrayContaining(['Case']),
    );
    expect(writes.filter((w) => w.kind === 'single')).toHaveLength(3);
    expect(recordsIn(plan)).toHaveLength(16);
    expectWithinLimits(plan, 0);
  });

  it('makes room for the reads in the same call when records alone fit in the 25', () => {
    const plan = planComposites(records(sixKinds, [update('Opportunity', '006000000000001AAA')]), 4);
    expect(plan).toMatchObject({ readsRide: true });
    expect(plan.composites).toHaveLength(1);
    const [writes = []] = plan.composites;
    // One Collection left beside 4 queries: the update by Id; every upsert goes alone.
    expect(writes.filter((w) => w.kind === 'collection').map((w) => (w.kind === 'collection' ? w.request.kind : ''))).toEqual(['update']);
    expectWithinLimits(plan, 4);
  });

  it('never sends an update by Id record by record: the reads then go in a call of their own', () => {
    const updates = Array.from({ length: 3 }, (_, i) => update('Opportunity', `00600000000000${i}AAA`));
    const plan = planComposites(records({ Stripe_Payment__c: 2 }, updates), 5);
    expect(plan).toMatchObject({ readsRide: false });
    expect(plan.composites).toHaveLength(1);
    expect(plan.composites[0]?.some((w) => w.kind === 'collection' && w.request.kind === 'update')).toBe(true);
  });

  it('does not let the reads cost a call: too many records to go alone keep the plain plan', () => {
    const plan = planComposites(records({ Stripe_Payment__c: 30, Stripe_Invoice__c: 30, Stripe_Refund__c: 30, Stripe_Subscription__c: 30, Case: 30 }), 4);
    expect(plan.composites).toHaveLength(1);
    expect(plan.readsRide).toBe(false);
    expectWithinLimits(plan, 4);
  });

  it('rides the reads in the last of several calls when that one has room', () => {
    const many = { Stripe_Payment__c: 250, Stripe_Invoice__c: 40, Stripe_Refund__c: 40, Stripe_Subscription__c: 40, Case: 40, Stripe_Sync_Log__c: 2 };
    const plain = planComposites(records(many));
    const withReads = planComposites(records(many), 4);
    expect(plain.composites.length).toBeGreaterThan(1);
    expect(withReads.composites).toHaveLength(plain.composites.length);
    expect(withReads.readsRide).toBe(true);
    expectWithinLimits(withReads, 4);
    expect(new Set(recordsIn(withReads))).toEqual(new Set(recordsIn(plain)));
  });

  it('keeps referenced objects first across and inside calls (Accounts before the records that link to them)', () => {
    const linked: SalesforceMutation = { ...upsert('Stripe_Payment__c', 'pi_linked'), fields: { Account__r: { Stripe_Customer_Id__c: 'cus_1' } } };
    const customer: SalesforceMutation = { sobject: 'Account', key: { field: 'Stripe_Customer_Id__c', value: 'cus_1' }, fields: { Name: 'x' } };
    const plan = planComposites(records(sixKinds, [linked, customer]), 4);
    const order = plan.composites.flat().flatMap((w) => (w.kind === 'single' ? [w.record.sobject] : w.request.records.map((r) => r.sobject)));
    expect(order.indexOf('Account')).toBeLessThan(order.indexOf('Stripe_Payment__c'));
    expectWithinLimits(plan, 4);
  });

  it('plans nothing for no records, so the reads go alone', () => {
    expect(planComposites([], 4)).toEqual({ composites: [], readsRide: false });
  });

  it('writes every record exactly once, within the limits, whatever the sizes', () => {
    for (const reads of [0, 1, 4, 5]) {
      for (const size of [1, 2, 7, 24, 26, 199, 201, 450]) {
        const counts = { Stripe_Payment__c: size, Stripe_Invoice__c: Math.ceil(size / 3), Stripe_Refund__c: 1, Stripe_Subscription__c: 2, Case: 1, Stripe_Sync_Log__c: 3 };
        const merged = records(counts, [update('Opportunity', '006000000000001AAA')]);
        const plan = planComposites(merged, reads);
        expectWithinLimits(plan, reads);
        const written = recordsIn(plan);
        expect(written).toHaveLength(merged.length);
        expect(new Set(written).size).toBe(merged.length);
      }
    }
  });
});

describe('mergeMutations: expected refusals', () => {
  const task = (errorCode: string | readonly string[], field = 'WhatId'): SalesforceMutation => ({
    sobject: 'Task',
    key: { field: 'Stripe_Task_Key__c', value: 'renewal:sub_1:1' },
    fields: { Subject: 'Renewal' },
    skipIfRefused: { errorCode, field },
  });
  const merged = (...mutations: SalesforceMutation[]) => mergeMutations(mutations.map((m, i) => ({ correlationId: `m${i}`, mutations: [m] })))[0]?.skipIfRefused;

  it('keeps a refusal every contribution declares, a list of codes in any order', () => {
    expect(merged(task(['INVALID_CROSS_REFERENCE_KEY', 'ENTITY_IS_DELETED']), task(['ENTITY_IS_DELETED', 'INVALID_CROSS_REFERENCE_KEY']))).toEqual({
      errorCode: ['INVALID_CROSS_REFERENCE_KEY', 'ENTITY_IS_DELETED'],
      field: 'WhatId',
    });
    expect(merged(task('INVALID_CROSS_REFERENCE_KEY'), task(['INVALID_CROSS_REFERENCE_KEY']))).toEqual({ errorCode: 'INVALID_CROSS_REFERENCE_KEY', field: 'WhatId' });
  });

  it('drops it when the contributions differ in codes or field', () => {
    expect(merged(task(['INVALID_CROSS_REFERENCE_KEY', 'ENTITY_IS_DELETED']), task('INVALID_CROSS_REFERENCE_KEY'))).toBeUndefined();
    expect(merged(task('INVALID_CROSS_REFERENCE_KEY'), task('INVALID_CROSS_REFERENCE_KEY', 'OwnerId'))).toBeUndefined();
  });
});

describe('createOnly', () => {
  const insert = (sobject: SObjectName, value: string): SalesforceMutation => ({ ...upsert(sobject, value), createOnly: true });

  it('insert-only records travel as one Collections create (objects mixed), after the upserts they may reference', () => {
    const plan = planComposites(mergeMutations([insert('Opportunity', 'a'), upsert('Account', 'b'), insert('Task', 'c')].map((m, i) => ({ correlationId: `m${i}`, mutations: [m] }))));
    const writes = plan.composites.flat();
    expect(writes.map((w) => (w.kind === 'collection' ? w.request.kind : 'single'))).toEqual(['upsert', 'create']);
    expect(recordsIn(plan)).toEqual(['b', 'a', 'c']);
  });

  it('stays insert-only only when every merged mutation is: one that may update the record makes it an upsert', () => {
    const [merged] = mergeMutations([
      { correlationId: 'x', mutations: [insert('Opportunity', 'k')] },
      { correlationId: 'y', mutations: [upsert('Opportunity', 'k')] },
    ]);
    expect(merged?.createOnly).toBe(false);
    expect(merged?.contributions.map((c) => c.createOnly)).toEqual([true, false]);
    expect(mergeMutations([{ correlationId: 'x', mutations: [insert('Opportunity', 'k'), insert('Opportunity', 'k')] }])[0]?.createOnly).toBe(true);
  });
});
