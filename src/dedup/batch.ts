/**
 * The dedup table's batch requests, shared by its stores: BatchGetItem (100 keys a request,
 * strongly consistent) and BatchWriteItem (25 puts a request), each re-sending what DynamoDB left
 * unprocessed (throttling) a few times before giving up with a transient error.
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { TransientError } from '../errors.js';

export type Item = Record<string, AttributeValue>;

/** DynamoDB allows 100 keys per BatchGetItem and 25 requests per BatchWriteItem. */
const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;
/** Unprocessed keys or writes are sent again this many times before the caller retries as a whole. */
const UNPROCESSED_ROUNDS = 4;

/** Throttling, 5xx and network trouble are all worth a retry; the queue bounds the retries. */
export function dynamoFailure(operation: string, err: unknown): TransientError {
  const name = err instanceof Error ? err.name : 'Error';
  return new TransientError(`DynamoDB ${operation} failed: ${name}`, {
    code: name === 'ProvisionedThroughputExceededException' || name === 'ThrottlingException' ? 'DYNAMODB_THROTTLED' : 'DYNAMODB_UNAVAILABLE',
    cause: err,
  });
}

/** The items of these partition keys that exist, by key; a strongly consistent read. */
export async function batchGet(client: DynamoDBClient, tableName: string, keys: readonly string[], operation: string): Promise<Map<string, Item>> {
  const wanted = [...new Set(keys)];
  const found = new Map<string, Item>();
  for (let start = 0; start < wanted.length; start += BATCH_GET_LIMIT) {
    let pending = wanted.slice(start, start + BATCH_GET_LIMIT).map((pk) => ({ pk: { S: pk } }));
    for (let round = 0; pending.length > 0; round++) {
      if (round === UNPROCESSED_ROUNDS) throw new TransientError(`DynamoDB kept keys of a ${operation} unprocessed`, { code: 'DYNAMODB_THROTTLED' });
      let out;
      try {
        out = await client.send(new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }));
      } catch (err) {
        throw dynamoFailure(operation, err);
      }
      for (const item of out.Responses?.[tableName] ?? []) {
        const pk = item['pk']?.S;
        if (pk !== undefined) found.set(pk, item);
      }
      pending = (out.UnprocessedKeys?.[tableName]?.Keys ?? []).flatMap((key) => (key['pk']?.S === undefined ? [] : [{ pk: { S: key['pk'].S } }]));
    }
  }
  return found;
}

/** Unconditional puts, 25 a request (BatchWriteItem takes no conditions). */
export async function batchPut(client: DynamoDBClient, tableName: string, items: readonly Item[], operation: string): Promise<void> {
  for (let start = 0; start < items.length; start += BATCH_WRITE_LIMIT) {
    let pending: WriteRequest[] = items.slice(start, start + BATCH_WRITE_LIMIT).map((Item) => ({ PutRequest: { Item } }));
    for (let round = 0; round < UNPROCESSED_ROUNDS && pending.length > 0; round++) {
      let out;
      try {
        out = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
      } catch (err) {
        throw dynamoFailure(operation, err);
      }
      pending = out.UnprocessedItems?.[tableName] ?? [];
    }
    if (pending.length > 0) throw new TransientError(`DynamoDB left ${pending.length} writes unprocessed`, { code: 'DYNAMODB_THROTTLED' });
  }
}
