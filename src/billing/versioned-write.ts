/**
 * Optimistic concurrency on one DynamoDB item, shared by the billing and deal records: a write
 * lands only if the stored item still carries the version it was read at (or, for a new item,
 * none exists), so two requests that read the same state cannot both win. A lost race comes back
 * as the item that won: DynamoDB returns it (ReturnValuesOnConditionCheckFailure), and where it
 * does not (an emulator), the caller's consistent read fetches it.
 */
import { ConditionalCheckFailedException, DeleteItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoFailure } from '../dedup/batch.js';

export type VersionedWrite<T> = { readonly ok: true; readonly record: T } | { readonly ok: false; readonly current: T | undefined };

export interface VersionedPut<T> {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** The record to store, with its new version. */
  readonly next: T;
  readonly item: Record<string, AttributeValue>;
  /** The version the caller read; undefined: the item must not exist yet. */
  readonly expectedVersion: number | undefined;
  readonly decode: (item: Record<string, AttributeValue>) => T;
  readonly reread: () => Promise<T | undefined>;
  /** For the error, e.g. "write of a billing record". */
  readonly operation: string;
}

export async function putVersioned<T>(put: VersionedPut<T>): Promise<VersionedWrite<T>> {
  try {
    await put.client.send(
      new PutItemCommand({
        TableName: put.tableName,
        Item: put.item,
        ...(put.expectedVersion === undefined
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: 'version = :version', ExpressionAttributeValues: { ':version': { N: String(put.expectedVersion) } } }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { ok: true, record: put.next };
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) {
      return { ok: false, current: err.Item === undefined ? await put.reread() : put.decode(err.Item) };
    }
    throw dynamoFailure(put.operation, err);
  }
}

/** Deletes the item `pk` only if it still carries `version`; false when it changed meanwhile. */
export async function deleteVersioned(client: DynamoDBClient, tableName: string, pk: string, version: number, operation: string): Promise<boolean> {
  try {
    await client.send(
      new DeleteItemCommand({
        TableName: tableName,
        Key: { pk: { S: pk } },
        ConditionExpression: 'version = :version',
        ExpressionAttributeValues: { ':version': { N: String(version) } },
      }),
    );
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return false;
    throw dynamoFailure(operation, err);
  }
}
