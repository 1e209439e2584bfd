/**
 * Billing records in DynamoDB (the dedup table, no TTL: a bill is remembered for good). Every
 * write is conditional: `attribute_not_exists(pk)` to take a record, `version = :read` to change
 * one; a lost race comes back as the record that won (ReturnValuesOnConditionCheckFailure, or a
 * consistent read where an emulator does not return it). Reads for the consumer are batched:
 * one BatchGetItem for every record a batch of events names.
 */
import {
  GetItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { PAYMENT_MODES, type PaymentMode } from '../contracts/statuses.js';
import { batchGet, dynamoFailure } from '../dedup/batch.js';
import { billingKey, type BillableObject, type BillingRecord } from './record.js';
import { deleteVersioned, putVersioned, type VersionedWrite } from './versioned-write.js';

export type BillingWrite = VersionedWrite<BillingRecord>;

/** What a new or changed record holds; version and time are the store's. */
export type BillingFields = Omit<BillingRecord, 'version' | 'updatedAt'>;

export interface BillingStoreOptions {
  readonly tableName: string;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
}


const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });

function toItem(record: BillingRecord): Record<string, AttributeValue> {
  return {
    pk: s(billingKey(record.sobject, record.recordId)),
    sobject: s(record.sobject),
    recordId: s(record.recordId),
    state: s(record.state),
    mode: s(record.mode),
    amount: n(record.amount),
    currency: s(record.currency),
    requestId: s(record.requestId),
    version: n(record.version),
    updatedAt: n(record.updatedAt),
    adopted: { BOOL: record.adopted },
    ...(record.stripeObjectId === undefined ? {} : { stripeObjectId: s(record.stripeObjectId) }),
    ...(record.leaseExpiresAt === undefined ? {} : { leaseExpiresAt: n(record.leaseExpiresAt) }),
    ...(record.previous.length === 0 ? {} : { previous: { L: record.previous.map(s) } }),
  };
}

function isMode(value: string | undefined): value is PaymentMode {
  return value !== undefined && (PAYMENT_MODES as readonly string[]).includes(value);
}

/** An item this code cannot read is treated as a record: it must never be mistaken for "not billed". */
function fromItem(item: Record<string, AttributeValue>): BillingRecord {
  const text = (name: string): string | undefined => item[name]?.S;
  const num = (name: string): number | undefined => (item[name]?.N === undefined ? undefined : Number(item[name]?.N));
  const mode = text('mode');
  const sobject = text('sobject');
  return {
    sobject: sobject === 'Order' || sobject === 'Quote' || sobject === 'Contract' ? sobject : 'Opportunity',
    recordId: text('recordId') ?? '',
    state: text('state') === 'pending' ? 'pending' : 'billed',
    mode: isMode(mode) ? mode : 'invoice',
    amount: num('amount') ?? 0,
    currency: text('currency') ?? '',
    stripeObjectId: text('stripeObjectId'),
    requestId: text('requestId') ?? '',
    leaseExpiresAt: num('leaseExpiresAt'),
    previous: (item['previous']?.L ?? []).flatMap((v) => (v.S === undefined ? [] : [v.S])),
    adopted: item['adopted']?.BOOL === true,
    version: num('version') ?? 0,
    updatedAt: num('updatedAt') ?? 0,
  };
}

export class BillingStore {
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: BillingStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async get(sobject: BillableObject, recordId: string): Promise<BillingRecord | undefined> {
    try {
      const out = await this.client.send(
        new GetItemCommand({ TableName: this.options.tableName, Key: { pk: s(billingKey(sobject, recordId)) }, ConsistentRead: true }),
      );
      return out.Item === undefined ? undefined : fromItem(out.Item);
    } catch (err) {
      throw dynamoFailure('read of a billing record', err);
    }
  }

  /** Takes the record for a first billing; fails with the record that exists when there is one. */
  create(fields: BillingFields): Promise<BillingWrite> {
    return this.put({ ...fields, version: 1, updatedAt: this.now() }, undefined);
  }

  /** Changes the record read as `current`; fails with the newer record when someone changed it meanwhile. */
  update(current: BillingRecord, changes: Partial<BillingFields>): Promise<BillingWrite> {
    return this.put({ ...current, ...changes, version: current.version + 1, updatedAt: this.now() }, current);
  }

  /** Deletes the record read as `current` (a billing that created nothing); false when it changed meanwhile. */
  remove(current: BillingRecord): Promise<boolean> {
    return deleteVersioned(this.client, this.options.tableName, billingKey(current.sobject, current.recordId), current.version, 'delete of a billing record');
  }

  /**
   * The records of many Salesforce records in as few requests as DynamoDB allows (one per 100
   * keys; unprocessed keys are asked for again). Keyed by billingKey.
   */
  async getMany(keys: ReadonlyArray<{ readonly sobject: BillableObject; readonly recordId: string }>): Promise<Map<string, BillingRecord>> {
    const items = await batchGet(this.client, this.options.tableName, keys.map((k) => billingKey(k.sobject, k.recordId)), 'batch read of billing records');
    return new Map([...items].map(([pk, item]) => [pk, fromItem(item)]));
  }

  private async put(next: BillingRecord, expected: BillingRecord | undefined): Promise<BillingWrite> {
    return putVersioned({
      client: this.client,
      tableName: this.options.tableName,
      next,
      item: toItem(next),
      expectedVersion: expected?.version,
      decode: fromItem,
      reread: () => this.get(next.sobject, next.recordId),
      operation: 'write of a billing record',
    });
  }
}
