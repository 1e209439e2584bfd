/**
 * Dedup and ordering state in DynamoDB (one table, partition key `pk`, TTL on `expiresAt`).
 *
 * - `event#<id>`: the claim on a Stripe event (or platform event). One conditional PutItem takes
 *   it when it is new, when its record expired, or when a previous attempt's lease ran out (that
 *   attempt crashed); the old item comes back on failure (ReturnValuesOnConditionCheckFailure),
 *   so there is no read-before-write. A completed marker, written in batches, turns later
 *   deliveries into acknowledged duplicates.
 *
 * Ordering is not kept here: Salesforce checks each record's precedence key itself (a validation
 * rule, atomic under the row lock), so a consumer needs no guard request per record.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { batchPut, dynamoFailure } from './batch.js';
import type { Completion, IdempotencyStore } from './run-once.js';

export type ClaimResult =
  | { readonly status: 'claimed'; readonly token: string }
  | { readonly status: 'completed'; readonly outcome: string | undefined }
  | { readonly status: 'in_progress'; readonly leaseExpiresAt: number };

export interface EventStoreOptions {
  readonly tableName: string;
  readonly leaseSeconds: number;
  readonly ttlDays: number;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  readonly now?: () => number;
}

const IN_PROGRESS = 'IN_PROGRESS';
const COMPLETED = 'COMPLETED';

const n = (value: number): AttributeValue => ({ N: String(value) });
const s = (value: string): AttributeValue => ({ S: value });

export class EventStore implements IdempotencyStore {
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: EventStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  private ttl(nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.options.ttlDays * 86_400;
  }

  /** Takes the event for this attempt, or says why not. */
  async claim(eventId: string, eventType: string): Promise<ClaimResult> {
    const nowMs = this.now();
    const token = randomUUID();
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: {
            pk: s(`event#${eventId}`),
            status: s(IN_PROGRESS),
            token: s(token),
            eventType: s(eventType),
            leaseExpiresAt: n(nowMs + this.options.leaseSeconds * 1000),
            expiresAt: n(this.ttl(nowMs)),
          },
          ConditionExpression:
            'attribute_not_exists(pk) OR expiresAt < :nowSeconds OR (#status = :inProgress AND leaseExpiresAt < :nowMs)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':nowSeconds': n(Math.floor(nowMs / 1000)),
            ':nowMs': n(nowMs),
            ':inProgress': s(IN_PROGRESS),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { status: 'claimed', token };
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        const old = err.Item ?? (await this.read(`event#${eventId}`));
        if (old['status']?.S === COMPLETED) return { status: 'completed', outcome: old['outcome']?.S };
        return { status: 'in_progress', leaseExpiresAt: Number(old['leaseExpiresAt']?.N ?? 0) };
      }
      throw dynamoFailure('claim', err);
    }
  }

  /**
   * DynamoDB returns the conflicting item with the failed condition; emulators that do not
   * (dynalite) cost one consistent read here instead.
   */
  private async read(pk: string): Promise<Record<string, AttributeValue>> {
    try {
      const out = await this.client.send(
        new GetItemCommand({ TableName: this.options.tableName, Key: { pk: s(pk) }, ConsistentRead: true }),
      );
      return out.Item ?? {};
    } catch (err) {
      throw dynamoFailure('read', err);
    }
  }

    /**
   * Marks events done: one BatchWriteItem per 25 (DynamoDB's limit), so a batch of 10 events
   * costs one request. The puts are unconditional (BatchWriteItem takes no conditions): a marker
   * is only ever written after the event's effect was applied, so replacing another attempt's
   * claim with it is correct — that attempt's effect is the same and idempotent.
   */
  async commit(completions: readonly Completion[]): Promise<void> {
    const nowMs = this.now();
    const items = completions.map((c) => ({
      pk: s(`event#${c.key}`),
      status: s(COMPLETED),
      eventType: s(c.kind),
      outcome: s(c.outcome),
      completedAt: n(nowMs),
      expiresAt: n(this.ttl(nowMs)),
    }));
    await batchPut(this.client, this.options.tableName, items, 'commit');
  }

  /** Gives the claim back after a failure so the next receive can retry at once. */
  async release(eventId: string, token: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.options.tableName,
          Key: { pk: s(`event#${eventId}`) },
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':token': s(token) },
        }),
      );
    } catch (err) {
      // Someone else holds it now: nothing of ours to release.
      if (err instanceof ConditionalCheckFailedException) return;
      throw dynamoFailure('release', err);
    }
  }
}

export { dynamoFailure } from './batch.js';
