/**
 * Coalesces the billing-record reads of one SQS batch into one BatchGetItem: every key asked for
 * while the batch's events are being read (the same turn of the event loop, promise
 * continuations included) is fetched together on the next turn. The consumer's DynamoDB budget
 * is about 2 requests per event at batch 10; this costs one request per batch, and none for a
 * batch that names no Opportunity or Order.
 */
import type { BillableObject, BillingRecord } from './record.js';

export type BillingKey = { readonly sobject: BillableObject; readonly recordId: string };
export type LoadBillings = (keys: readonly BillingKey[]) => Promise<ReadonlyMap<string, BillingRecord>>;

export function coalescingLoader(getMany: (keys: readonly BillingKey[]) => Promise<ReadonlyMap<string, BillingRecord>>): LoadBillings {
  let pending: { keys: BillingKey[]; result: Promise<ReadonlyMap<string, BillingRecord>> } | undefined;
  return (keys) => {
    if (pending === undefined) {
      const batch: { keys: BillingKey[]; result: Promise<ReadonlyMap<string, BillingRecord>> } = { keys: [], result: Promise.resolve(new Map()) };
      batch.result = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        // Keys asked for from now on go to the next read.
        pending = undefined;
        return getMany(batch.keys);
      });
      pending = batch;
    }
    pending.keys.push(...keys);
    return pending.result;
  };
}
