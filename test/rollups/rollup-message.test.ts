/** The roll-up queue's message: split under SQS's size limit, read back strictly, newest per Account. */
import { describe, expect, it } from 'vitest';
import type { SalesforceMutation } from '../../src/contracts/salesforce-mutation.js';
import { readRollupMessage, rollupBodies } from '../../src/rollups/rollup-message.js';
import { newestRollups } from '../../src/rollups/rollup-writer.js';

const accountUpdate = (id: string, version: number, paid = 1): SalesforceMutation => ({
  sobject: 'Account',
  key: { field: 'Id', value: id },
  fields: { Stripe_Lifetime_Paid__c: paid, Stripe_Rollup_Version__c: version },
  skipIfMissing: true,
});
const ownerUpdate: SalesforceMutation = { sobject: 'Task', key: { field: 'Id', value: '00T000000000001AAA' }, fields: { OwnerId: '005000000000001AAA' }, skipIfMissing: true };

describe('roll-up message bodies', () => {
  it('carries a batch in one body, and splits only past the size limit, losing nothing', () => {
    const updates = Array.from({ length: 50 }, (_, i) => accountUpdate(`001000000000${String(i).padStart(3, '0')}AAA`, 1_000 + i));
    expect(rollupBodies(updates, 5)).toHaveLength(1);
    const bodies = rollupBodies(updates, 5, 2_000);
    expect(bodies.length).toBeGreaterThan(1);
    expect(bodies.every((b) => Buffer.byteLength(b) <= 2_000)).toBe(true);
    expect(bodies.flatMap((b) => readRollupMessage(b).mutations)).toEqual(updates);
    // Each body is the message as JSON, and as full as the limit allows: the next update would not fit.
    const message = (mutations: readonly SalesforceMutation[]) => JSON.stringify({ kind: 'account-rollups', computedAt: 5, mutations });
    expect(rollupBodies(updates, 5)).toEqual([message(updates)]);
    const chunks = bodies.map((b) => readRollupMessage(b).mutations);
    chunks.forEach((chunk, i) => expect(bodies[i]).toBe(message(chunk)));
    for (let i = 0; i + 1 < chunks.length; i++) expect(Buffer.byteLength(message([...chunks[i]!, chunks[i + 1]![0]!]))).toBeGreaterThan(2_000);
  });

  it('reads back only updates by Id of Accounts with a roll-up version and owner updates of Tasks and renewal Opportunities', () => {
    const body = (mutations: unknown[]) => JSON.stringify({ kind: 'account-rollups', computedAt: 1, mutations });
    const opportunityOwner = { sobject: 'Opportunity', key: { field: 'Id', value: '006000000000001AAA' }, fields: { OwnerId: '005000000000001AAA' }, skipIfMissing: true };
    const relatedTask = { ...ownerUpdate, fields: { OwnerId: '005000000000001AAA', WhatId: '001000000000001AAA' } };
    expect(readRollupMessage(body([accountUpdate('001000000000001AAA', 7), ownerUpdate, opportunityOwner, relatedTask])).mutations).toHaveLength(4);
    for (const bad of [
      'not json',
      JSON.stringify({ kind: 'other', computedAt: 1, mutations: [] }),
      body([{ ...accountUpdate('001000000000001AAA', 7), sobject: 'Opportunity' }]),
      body([{ ...accountUpdate('001000000000001AAA', 7), key: { field: 'Stripe_Customer_Id__c', value: 'cus_1' } }]),
      body([{ sobject: 'Account', key: { field: 'Id', value: '001000000000001AAA' }, fields: { Stripe_Lifetime_Paid__c: 1 } }]),
      body([{ ...ownerUpdate, fields: { OwnerId: { nested: 'x' } } }]),
      body([{ ...ownerUpdate, fields: { OwnerId: '005000000000001AAA', Status: 'Completed' } }]),
      body([{ ...opportunityOwner, fields: { OwnerId: '005000000000001AAA', StageName: 'Closed Won' } }]),
      body([{ ...opportunityOwner, fields: {} }]),
    ]) {
      expect(() => readRollupMessage(bad), bad).toThrow(expect.objectContaining({ code: 'ROLLUP_MESSAGE_INVALID' }));
    }
  });
});

describe('newest roll-up per Account in one worker batch', () => {
  const message = (computedAt: number, mutations: SalesforceMutation[]) => ({ kind: 'account-rollups' as const, computedAt, mutations });
  const A = '001000000000001AAA';
  const B = '001000000000002AAA';

  it('keeps the highest version of each Account, in any order; Task owner updates always stay', () => {
    const m1 = { messageId: 'm1', message: message(10, [accountUpdate(A, 5, 1), accountUpdate(B, 9, 9), ownerUpdate]) };
    const m2 = { messageId: 'm2', message: message(20, [accountUpdate(A, 8, 2), accountUpdate(B, 3, 3)]) };
    for (const order of [[m1, m2], [m2, m1]]) {
      const kept = newestRollups(order);
      expect(kept.get('m1')).toEqual([accountUpdate(B, 9, 9), ownerUpdate]);
      expect(kept.get('m2')).toEqual([accountUpdate(A, 8, 2)]);
    }
  });

  it('breaks a tie between equal versions by the later computation, whatever the delivery order', () => {
    const early = { messageId: 'early', message: message(10, [accountUpdate(A, 5, 1)]) };
    const late = { messageId: 'late', message: message(20, [accountUpdate(A, 5, 2)]) };
    for (const order of [[early, late], [late, early]]) {
      const kept = newestRollups(order);
      expect(kept.get('early')).toEqual([]);
      expect(kept.get('late')).toEqual([accountUpdate(A, 5, 2)]);
    }
  });
});
