/**
 * What the catalogue sync already made in Stripe, in the dedup table (no expiry: a Stripe price
 * lives as long as the account): one item per price (PricebookEntry id + amount + currency +
 * recurrence → price and product ids) and one per meter. A billing whose entries show the cached
 * price ids makes no Stripe catalogue calls at all.
 */
import { GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { batchGet, dynamoFailure, type Item } from '../dedup/batch.js';

function entryOf(item: Item | undefined): CatalogCacheEntry | undefined {
  const stripeId = item?.['stripeId']?.S;
  const productId = item?.['productId']?.S;
  return stripeId === undefined || productId === undefined ? undefined : { stripeId, productId };
}

export interface CatalogCacheEntry {
  readonly stripeId: string;
  readonly productId: string;
}

export interface CatalogCache {
  get(key: string): Promise<CatalogCacheEntry | undefined>;
  /** Many keys in one request (BatchGetItem); absent keys are absent from the map. */
  getMany(keys: readonly string[]): Promise<Map<string, CatalogCacheEntry>>;
  put(key: string, entry: CatalogCacheEntry): Promise<void>;
}

export class DynamoCatalogCache implements CatalogCache {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string): Promise<CatalogCacheEntry | undefined> {
    try {
      const out = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: key } } }));
      return entryOf(out.Item);
    } catch (err) {
      throw dynamoFailure('read of the catalogue cache', err);
    }
  }

  async getMany(keys: readonly string[]): Promise<Map<string, CatalogCacheEntry>> {
    if (keys.length === 0) return new Map();
    const items = await batchGet(this.client, this.tableName, keys, 'batch read of the catalogue cache');
    return new Map([...items].flatMap(([key, item]) => {
      const entry = entryOf(item);
      return entry === undefined ? [] : [[key, entry] as const];
    }));
  }

  async put(key: string, entry: CatalogCacheEntry): Promise<void> {
    const item: Record<string, AttributeValue> = {
      pk: { S: key },
      stripeId: { S: entry.stripeId },
      productId: { S: entry.productId },
      updatedAt: { N: String(this.now()) },
    };
    try {
      await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: item }));
    } catch (err) {
      throw dynamoFailure('write of the catalogue cache', err);
    }
  }
}
