/**
 * One bill per deal (invariant 7, issue 11): an Opportunity is billed either whole, by itself or
 * by ONE of its Quotes (Quotes are alternative offers of the same deal), or in parts, by its
 * Orders (any number of them: deliveries of the deal). Never both. The deal record says which,
 * and who holds it; it sits next to the billing records (`deal#Opportunity:<15-character id>`,
 * the dedup table, never expiring) and changes only by conditional writes on `version`, so two
 * records of one deal billed at once cannot both win. A Contract has no Opportunity: it is
 * billed on its own record only.
 */
import {
  GetItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { dynamoFailure } from '../dedup/event-store.js';
import type { BillableObject } from './record.js';
import { deleteVersioned, putVersioned, type VersionedWrite } from './versioned-write.js';

export type BilledAs = 'whole' | 'parts';

export interface DealHolder {
  readonly sobject: BillableObject;
  readonly recordId: string;
}

export interface DealRecord {
  readonly opportunityId: string;
  readonly billedAs: BilledAs;
  /** The records that bill the deal: one for `whole`, the Orders for `parts`. */
  readonly holders: readonly DealHolder[];
  readonly version: number;
  /** Milliseconds since the epoch: a holder's billing record may still be on its way until a lease later. */
  readonly updatedAt: number;
}

export type DealWrite = VersionedWrite<DealRecord>;

export type DealFields = Omit<DealRecord, 'version' | 'updatedAt'>;

export interface DealRecordsPort {
  get(opportunityId: string): Promise<DealRecord | undefined>;
  /** A new record, or the newer one that won; `current` a record read before (undefined: create). */
  put(fields: DealFields, current: DealRecord | undefined): Promise<DealWrite>;
  /** Deletes the record read as `current`; false when it changed meanwhile. */
  remove(current: DealRecord): Promise<boolean>;
}

export function dealKey(opportunityId: string): string {
  return `deal#Opportunity:${opportunityId.slice(0, 15)}`;
}

/** Salesforce ids compare on their first 15 characters (the 18-character form adds a checksum). */
export function sameHolder(a: DealHolder, b: DealHolder): boolean {
  return a.sobject === b.sobject && a.recordId.slice(0, 15) === b.recordId.slice(0, 15);
}

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });
const BILLABLE: ReadonlySet<string> = new Set<BillableObject>(['Opportunity', 'Quote', 'Order', 'Contract']);

function toItem(record: DealRecord): Record<string, AttributeValue> {
  return {
    pk: s(dealKey(record.opportunityId)),
    opportunityId: s(record.opportunityId),
    billedAs: s(record.billedAs),
    holders: { L: record.holders.map((h) => s(`${h.sobject}:${h.recordId}`)) },
    version: n(record.version),
    updatedAt: n(record.updatedAt),
  };
}

/** An item this code cannot read still holds the deal: it must never be mistaken for "not billed". */
function fromItem(item: Record<string, AttributeValue>): DealRecord {
  const holders = (item['holders']?.L ?? []).flatMap((v): DealHolder[] => {
    const [sobject, recordId] = (v.S ?? '').split(':');
    return sobject !== undefined && recordId !== undefined && BILLABLE.has(sobject) ? [{ sobject: sobject as BillableObject, recordId }] : [];
  });
  return {
    opportunityId: item['opportunityId']?.S ?? '',
    billedAs: item['billedAs']?.S === 'parts' ? 'parts' : 'whole',
    holders,
    version: Number(item['version']?.N ?? 0),
    updatedAt: Number(item['updatedAt']?.N ?? 0),
  };
}

export class DealStore implements DealRecordsPort {
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: { readonly tableName: string; readonly now?: () => number },
  ) {
    this.now = options.now ?? Date.now;
  }

  async get(opportunityId: string): Promise<DealRecord | undefined> {
    try {
      const out = await this.client.send(new GetItemCommand({ TableName: this.options.tableName, Key: { pk: s(dealKey(opportunityId)) }, ConsistentRead: true }));
      return out.Item === undefined ? undefined : fromItem(out.Item);
    } catch (err) {
      throw dynamoFailure('read of a deal record', err);
    }
  }

  async put(fields: DealFields, current: DealRecord | undefined): Promise<DealWrite> {
    const next: DealRecord = { ...fields, version: (current?.version ?? 0) + 1, updatedAt: this.now() };
    return putVersioned({
      client: this.client,
      tableName: this.options.tableName,
      next,
      item: toItem(next),
      expectedVersion: current?.version,
      decode: fromItem,
      reread: () => this.get(fields.opportunityId),
      operation: 'write of a deal record',
    });
  }

  remove(current: DealRecord): Promise<boolean> {
    return deleteVersioned(this.client, this.options.tableName, dealKey(current.opportunityId), current.version, 'delete of a deal record');
  }
}
