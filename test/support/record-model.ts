/**
 * What Salesforce holds after a sequence of consumer batches, as the package's rules define it:
 * each batch's mutations merged per record (the writer's mergeMutations), a versioned write
 * rejected when its key is lower than the record's (Stripe_Reject_Older_Event), a new Case
 * rejected when the record it reports on holds a higher key (Stripe_Reject_Superseded_Failure).
 * Pure, so every permutation and batching of an event set can be played in milliseconds.
 */
import type { EventEffect } from '../../src/mappers/mutation.js';
import { isVersionedObject, STATUS_FIELD } from '../../src/contracts/precedence.js';
import { mergeMutations, mergeKeyOf, type MergedRecord } from '../../src/salesforce/batch-plan.js';
import { VERSION_FIELD } from '../../src/salesforce/data-model.js';

export type Records = Map<string, Record<string, unknown>>;

const REPORTS_ON = { Stripe_Payment__r: 'Stripe_Payment__c', Stripe_Invoice__r: 'Stripe_Invoice__c' } as const;

/** A batch's records as the writer merges them. */
export type MergeBatch = (batch: readonly EventEffect[]) => readonly MergedRecord[];

const mergeBatch: MergeBatch = (batch) => mergeMutations(batch.map((e) => ({ correlationId: e.eventId, mutations: e.mutations })));

/**
 * mergeBatch, once per distinct batch (the same effects in the same order), for playing many
 * orders of one event set: mergeMutations is pure, and it was most of the cost — 720 orders × 32
 * batchings of 6 events cut ~80,000 batches that hold only 1,956 distinct ones.
 */
export function memoizedMerge(): MergeBatch {
  const indexOf = new Map<EventEffect, number>();
  const merged = new Map<string, readonly MergedRecord[]>();
  return (batch) => {
    const key = batch
      .map((effect) => {
        const known = indexOf.get(effect);
        if (known !== undefined) return known;
        indexOf.set(effect, indexOf.size);
        return indexOf.size - 1;
      })
      .join(',');
    let records = merged.get(key);
    if (records === undefined) {
      records = mergeBatch(batch);
      merged.set(key, records);
    }
    return records;
  };
}

export function applyBatch(records: Records, batch: readonly EventEffect[], merge: MergeBatch = mergeBatch): void {
  for (const record of merge(batch)) {
    const prior = records.get(record.mergeKey);
    const priorVersion = prior?.[VERSION_FIELD];
    if (isVersionedObject(record.sobject) && typeof priorVersion === 'number' && record.version !== undefined && record.version < priorVersion) continue;
    if (record.sobject === 'Case' && prior === undefined && record.version !== undefined) {
      const superseded = Object.entries(REPORTS_ON).some(([relationship, sobject]) => {
        const reference = record.fields[relationship];
        if (typeof reference !== 'object' || reference === null) return false;
        const parent = records.get(mergeKeyOf(sobject, 'Stripe_Id__c', String(reference['Stripe_Id__c'])));
        const parentVersion = parent?.[VERSION_FIELD];
        return typeof parentVersion === 'number' && parentVersion > (record.version as number);
      });
      if (superseded) continue;
    }
    records.set(record.mergeKey, { ...prior, ...record.fields, ...(record.version === undefined ? {} : { [VERSION_FIELD]: record.version }) });
  }
}

export function play(batches: readonly (readonly EventEffect[])[], merge: MergeBatch = mergeBatch): Records {
  const records: Records = new Map();
  for (const batch of batches) applyBatch(records, batch, merge);
  return records;
}

/**
 * The state each versioned record must end in, whatever the order: the status and key of the
 * write with the highest precedence key (contracts/precedence) among all events that write the
 * record's state.
 */
export function expectedStates(effects: readonly EventEffect[]): Map<string, { status: unknown; version: number; eventId: string }> {
  const best = new Map<string, { status: unknown; version: number; eventId: string }>();
  for (const effect of effects) {
    for (const m of effect.mutations) {
      if (!isVersionedObject(m.sobject) || m.version === undefined) continue;
      const key = mergeKeyOf(m.sobject, m.key.field, m.key.value);
      const current = best.get(key);
      if (current === undefined || m.version > current.version) {
        best.set(key, { status: m.fields[STATUS_FIELD[m.sobject]], version: m.version, eventId: effect.eventId });
      }
    }
  }
  return best;
}
