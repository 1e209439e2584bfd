/**
 * Dead-lettered inbound events, remembered in the dedup table until they are resolved:
 *
 * - `deadletter#<eventId>`: what the event was about, why it failed (in words), its state
 *   (`failed`, or `retried` once a retry enqueued it again) and which Stripe_Sync_Log__c status
 *   was last written for it. Kept as long as the DLQ keeps messages (14 days) and a day more.
 * - `synclog#outbox`: the ids of the open ones, a string set. The housekeeping run writes their
 *   Stripe_Sync_Log__c records and drops an id once its event completed (Succeeded).
 *
 * The reconciler reads the markers too (event-ledger.ts): an event waiting in the DLQ is not
 * enqueued again by the catch-up.
 */
import {
  BatchGetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { SyncLogStatus } from '../contracts/statuses.js';
import { TransientError } from '../errors.js';
import type { EventAbout } from './event-about.js';

export const DEAD_LETTER_PREFIX = 'deadletter#';
const OUTBOX_KEY = 'synclog#outbox';
/** SQS keeps a DLQ message 14 days at most; a marker outlives it by a day. */
const MARKER_TTL_SECONDS = 15 * 86_400;
const MAX_KEYS = 100;

export type MarkerState = 'failed' | 'retried';

export interface DeadLetterMarker extends EventAbout {
  readonly code: string;
  readonly reason: string;
  /** The reason in words an admin understands (failure-words.ts). */
  readonly message: string;
  /** Milliseconds since the epoch. */
  readonly failedAt: number;
  readonly state: MarkerState;
  readonly retriedAt?: number | undefined;
  /** Salesforce user id of who asked for the retry (command channel), when known. */
  readonly requestedBy?: string | undefined;
  /** The Stripe_Sync_Log__c status last written for this marker. */
  readonly loggedStatus?: SyncLogStatus | undefined;
}

export interface DeadLetterLog {
  /** Remembers a dead-lettered event and opens it in the outbox (replaces an earlier marker). */
  record(marker: Omit<DeadLetterMarker, 'state' | 'loggedStatus'>): Promise<void>;
  /** A retry enqueued the event again: the log shows Pending until the consumer is done. */
  markRetried(eventId: string, options?: { readonly requestedBy?: string | undefined }): Promise<boolean>;
  /** The ids of open markers. */
  open(): Promise<readonly string[]>;
  read(eventIds: readonly string[]): Promise<ReadonlyMap<string, DeadLetterMarker>>;
  /** What the dedup table says of these events: completed ones (replayed or retried successfully). */
  completed(eventIds: readonly string[]): Promise<ReadonlyMap<string, number>>;
  setLogged(eventId: string, status: SyncLogStatus): Promise<void>;
  close(eventIds: readonly string[]): Promise<void>;
}

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });

function failure(operation: string, err: unknown): TransientError {
  return new TransientError(`DynamoDB ${operation} failed (dead-letter log)`, { code: 'DYNAMODB_UNAVAILABLE', cause: err });
}

export function dynamoDeadLetterLog(client: DynamoDBClient, tableName: string, now: () => number = Date.now): DeadLetterLog {
  const key = (eventId: string) => ({ pk: s(`${DEAD_LETTER_PREFIX}${eventId}`) });
  const outbox = async (action: 'ADD' | 'DELETE', eventIds: readonly string[]): Promise<void> => {
    if (eventIds.length === 0) return;
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: s(OUTBOX_KEY) },
          UpdateExpression: `${action} ids :ids`,
          ExpressionAttributeValues: { ':ids': { SS: [...new Set(eventIds)] } },
        }),
      );
    } catch (err) {
      throw failure(`outbox ${action}`, err);
    }
  };
  const batchGet = async (pks: readonly string[]): Promise<Record<string, AttributeValue>[]> => {
    const items: Record<string, AttributeValue>[] = [];
    for (let start = 0; start < pks.length; start += MAX_KEYS) {
      let keys: Record<string, AttributeValue>[] = pks.slice(start, start + MAX_KEYS).map((pk) => ({ pk: s(pk) }));
      for (let round = 0; round < 5 && keys.length > 0; round++) {
        try {
          const out = await client.send(new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }));
          items.push(...(out.Responses?.[tableName] ?? []));
          keys = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
        } catch (err) {
          throw failure('read', err);
        }
      }
    }
    return items;
  };

  return {
    async record(marker) {
      const nowMs = now();
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              ...key(marker.eventId),
              eventId: s(marker.eventId),
              eventType: s(marker.eventType),
              created: n(marker.created),
              livemode: { BOOL: marker.livemode },
              ...(marker.objectId === undefined ? {} : { objectId: s(marker.objectId) }),
              ...(marker.recordId === undefined ? {} : { recordId: s(marker.recordId) }),
              records: s(JSON.stringify(marker.records)),
              code: s(marker.code),
              reason: s(marker.reason.slice(0, 2000)),
              message: s(marker.message.slice(0, 4000)),
              failedAt: n(marker.failedAt),
              state: s('failed'),
              expiresAt: n(Math.floor(nowMs / 1000) + MARKER_TTL_SECONDS),
            },
          }),
        );
      } catch (err) {
        throw failure('record', err);
      }
      await outbox('ADD', [marker.eventId]);
    },
    async markRetried(eventId, options = {}) {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: key(eventId),
            UpdateExpression: `SET #state = :retried, retriedAt = :now${options.requestedBy === undefined ? '' : ', requestedBy = :by'}`,
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':retried': s('retried'),
              ':now': n(now()),
              ...(options.requestedBy === undefined ? {} : { ':by': s(options.requestedBy) }),
            },
          }),
        );
      } catch (err) {
        if (err instanceof Error && err.name === 'ConditionalCheckFailedException') return false;
        throw failure('markRetried', err);
      }
      await outbox('ADD', [eventId]);
      return true;
    },
    async open() {
      const [item] = await batchGet([OUTBOX_KEY]);
      return item?.['ids']?.SS ?? [];
    },
    async read(eventIds) {
      const markers = new Map<string, DeadLetterMarker>();
      for (const item of await batchGet(eventIds.map((id) => `${DEAD_LETTER_PREFIX}${id}`))) {
        const marker = markerOf(item);
        if (marker !== undefined) markers.set(marker.eventId, marker);
      }
      return markers;
    },
    async completed(eventIds) {
      const completed = new Map<string, number>();
      for (const item of await batchGet(eventIds.map((id) => `event#${id}`))) {
        if (item['status']?.S !== 'COMPLETED') continue;
        completed.set((item['pk']?.S ?? '').slice('event#'.length), Number(item['completedAt']?.N ?? now()));
      }
      return completed;
    },
    async setLogged(eventId, status) {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: key(eventId),
            UpdateExpression: 'SET loggedStatus = :status',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':status': s(status) },
          }),
        );
      } catch (err) {
        if (err instanceof Error && err.name === 'ConditionalCheckFailedException') return;
        throw failure('setLogged', err);
      }
    },
    close: (eventIds) => outbox('DELETE', eventIds),
  };
}

function markerOf(item: Record<string, AttributeValue>): DeadLetterMarker | undefined {
  const eventId = item['eventId']?.S;
  if (eventId === undefined) return undefined;
  let records: string[] = [];
  try {
    const parsed: unknown = JSON.parse(item['records']?.S ?? '[]');
    if (Array.isArray(parsed)) records = parsed.filter((r): r is string => typeof r === 'string');
  } catch {
    records = [];
  }
  const state = item['state']?.S === 'retried' ? 'retried' : 'failed';
  const logged = item['loggedStatus']?.S as SyncLogStatus | undefined;
  return {
    eventId,
    eventType: item['eventType']?.S ?? '',
    created: Number(item['created']?.N ?? 0),
    livemode: item['livemode']?.BOOL === true,
    objectId: item['objectId']?.S,
    recordId: item['recordId']?.S,
    records,
    code: item['code']?.S ?? '',
    reason: item['reason']?.S ?? '',
    message: item['message']?.S ?? '',
    failedAt: Number(item['failedAt']?.N ?? 0),
    state,
    retriedAt: item['retriedAt']?.N === undefined ? undefined : Number(item['retriedAt'].N),
    requestedBy: item['requestedBy']?.S,
    loggedStatus: logged,
  };
}
