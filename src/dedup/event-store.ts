/**
 * Dedup and ordering state in DynamoDB (one table, partition key `pk`, TTL on `expiresAt`).
 *
 * - `event#<id>`: the claim on a Stripe event. One conditional PutItem takes it when it is new,
 *   when its record expired, or when a previous attempt's lease ran out (that attempt crashed);
 *   the old item comes back on failure (ReturnValuesOnConditionCheckFailure), so there is no
 *   read-before-write. A completed marker turns later deliveries into acknowledged duplicates.
 * - `guard#<key>`: per record, the `created` time and rank of the last applied event, advanced
 *   with one conditional UpdateItem implementing `supersedes()` so older never overwrites newer.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { TransientError } from '../errors.js';
import { RANK } from '../contracts/precedence.js';

const SETTLED_RANK = RANK.SETTLED;

export type ClaimResult =
  | { readonly status: 'claimed'; readonly token: string }
  | { readonly status: 'completed'; readonly outcome: string | undefined }
  | { readonly status: 'in_progress'; readonly leaseExpiresAt: number };

export interface GuardResult {
  readonly applied: boolean;
  /** What the guard held when the event was found stale. */
  readonly current?: { readonly created: number; readonly rank: number; readonly eventId: string | undefined };
}

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

export class EventStore {
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
   * Marks the event done. Returns false when the lease was taken over meanwhile (this attempt
   * outlived its lease); the effect is idempotent, so the other attempt completes it.
   */
  async complete(eventId: string, token: string, outcome: string): Promise<boolean> {
    const nowMs = this.now();
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: { pk: s(`event#${eventId}`) },
          UpdateExpression: 'SET #status = :completed, outcome = :outcome, completedAt = :nowMs, expiresAt = :ttl REMOVE leaseExpiresAt',
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#status': 'status', '#token': 'token' },
          ExpressionAttributeValues: {
            ':completed': s(COMPLETED),
            ':outcome': s(outcome),
            ':nowMs': n(nowMs),
            ':ttl': n(this.ttl(nowMs)),
            ':token': s(token),
          },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw dynamoFailure('complete', err);
    }
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

  /**
   * Advances the ordering guard of one record to this event, unless the record already shows a
   * newer (or settled) state. Re-advancing to the same event is allowed, so retries pass.
   */
  async advanceGuard(key: string, event: { readonly eventId: string; readonly created: number; readonly rank: number }): Promise<GuardResult> {
    const nowMs = this.now();
    // Same second: the higher (or equal) rank wins. Newer: wins unless it would unsettle a
    // settled state (see ranks.ts). Written out per case because a DynamoDB condition cannot
    // compare two literal values.
    const newer =
      event.rank >= SETTLED_RANK ? '#created < :created' : '(#created < :created AND #rank < :settled)';
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: { pk: s(`guard#${key}`) },
          UpdateExpression: 'SET #created = :created, #rank = :rank, eventId = :eventId, expiresAt = :ttl',
          ConditionExpression: `attribute_not_exists(pk) OR (#created = :created AND #rank <= :rank) OR ${newer}`,
          ExpressionAttributeNames: { '#created': 'created', '#rank': 'rank' },
          ExpressionAttributeValues: {
            ':created': n(event.created),
            ':rank': n(event.rank),
            ':eventId': s(event.eventId),
            ':ttl': n(this.ttl(nowMs)),
            ...(event.rank >= SETTLED_RANK ? {} : { ':settled': n(SETTLED_RANK) }),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { applied: true };
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        const old = err.Item ?? (await this.read(`guard#${key}`));
        return {
          applied: false,
          current: {
            created: Number(old['created']?.N ?? 0),
            rank: Number(old['rank']?.N ?? 0),
            eventId: old['eventId']?.S,
          },
        };
      }
      throw dynamoFailure('advanceGuard', err);
    }
  }
}

/** Throttling, 5xx and network trouble are all worth a retry; the queue bounds the retries. */
function dynamoFailure(operation: string, err: unknown): TransientError {
  const name = err instanceof Error ? err.name : 'Error';
  return new TransientError(`DynamoDB ${operation} failed: ${name}`, {
    code: name === 'ProvisionedThroughputExceededException' || name === 'ThrottlingException' ? 'DYNAMODB_THROTTLED' : 'DYNAMODB_UNAVAILABLE',
    cause: err,
  });
}
