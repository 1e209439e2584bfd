/**
 * What the dedup table says about Stripe events, read for the reconciler: an event needs no
 * recovery when the consumer completed it (applied, skipped or stale), holds a live lease on it
 * (in flight), or dead-lettered it (waiting in the DLQ with its reason; see dead-letter-log.ts).
 * An event the consumer gave back to the queue for later (dedup/queued-events.ts) is `queued`: not
 * missed, but not done either, so the reconciler keeps an eye on it (catch-up.ts).
 *
 * The only place outside src/dedup/ that knows the `event#<id>` item (status, leaseExpiresAt): if
 * the store changes its layout, this reader changes with it.
 */
import { BatchGetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TransientError } from '../errors.js';
import { QUEUED_PREFIX } from '../dedup/queued-events.js';
import { DEAD_LETTER_PREFIX } from '../sync-log/dead-letter-log.js';

export type LedgerState = 'completed' | 'in_progress' | 'dead_lettered' | 'queued' | 'unknown';

export interface EventLedger {
  /** The state of each id (ids the table does not know are `unknown`). */
  states(eventIds: readonly string[]): Promise<ReadonlyMap<string, LedgerState>>;
}

/** BatchGetItem takes at most 100 keys. */
const MAX_KEYS = 100;
const MAX_ROUNDS = 5;

export function dynamoEventLedger(client: DynamoDBClient, tableName: string, now: () => number = Date.now): EventLedger {
  return {
    async states(eventIds) {
      const states = new Map<string, LedgerState>(eventIds.map((id) => [id, 'unknown']));
      const keys = [...new Set(eventIds)].flatMap((id) => [`event#${id}`, `${DEAD_LETTER_PREFIX}${id}`, `${QUEUED_PREFIX}${id}`]);
      for (let start = 0; start < keys.length; start += MAX_KEYS) {
        const items = await batchGet(client, tableName, keys.slice(start, start + MAX_KEYS));
        for (const item of items) apply(states, item, now());
      }
      return states;
    },
  };
}

function apply(states: Map<string, LedgerState>, item: Record<string, AttributeValue>, nowMs: number): void {
  const pk = item['pk']?.S ?? '';
  if (pk.startsWith(QUEUED_PREFIX)) {
    // The weakest news: anything the claim or the DLQ marker says wins over it.
    const id = pk.slice(QUEUED_PREFIX.length);
    if (Number(item['expiresAt']?.N ?? 0) * 1000 > nowMs && states.get(id) === 'unknown') states.set(id, 'queued');
    return;
  }
  if (pk.startsWith(DEAD_LETTER_PREFIX)) {
    const id = pk.slice(DEAD_LETTER_PREFIX.length);
    // A completed event stays completed (a replay succeeded); otherwise the DLQ holds it.
    if (states.get(id) !== 'completed' && item['state']?.S !== 'retried') states.set(id, 'dead_lettered');
    return;
  }
  const id = pk.slice('event#'.length);
  const status = item['status']?.S;
  const expiresAtSeconds = Number(item['expiresAt']?.N ?? Number.POSITIVE_INFINITY);
  if (expiresAtSeconds * 1000 < nowMs) return;
  if (status === 'COMPLETED') states.set(id, 'completed');
  else if (status === 'IN_PROGRESS' && Number(item['leaseExpiresAt']?.N ?? 0) > nowMs && states.get(id) !== 'dead_lettered') {
    states.set(id, 'in_progress');
  }
}

async function batchGet(client: DynamoDBClient, tableName: string, pks: readonly string[]): Promise<Record<string, AttributeValue>[]> {
  const found: Record<string, AttributeValue>[] = [];
  let keys: Record<string, AttributeValue>[] = pks.map((pk) => ({ pk: { S: pk } }));
  for (let round = 0; round < MAX_ROUNDS && keys.length > 0; round++) {
    let out;
    try {
      out = await client.send(
        new BatchGetItemCommand({
          RequestItems: {
            [tableName]: {
              Keys: keys,
              ConsistentRead: true,
              ProjectionExpression: 'pk, #status, leaseExpiresAt, expiresAt, #state',
              ExpressionAttributeNames: { '#status': 'status', '#state': 'state' },
            },
          },
        }),
      );
    } catch (err) {
      throw new TransientError('DynamoDB could not read event states', { code: 'DYNAMODB_UNAVAILABLE', cause: err });
    }
    found.push(...(out.Responses?.[tableName] ?? []));
    keys = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
  }
  if (keys.length > 0) throw new TransientError('DynamoDB left event states unread (throttled)', { code: 'DYNAMODB_THROTTLED' });
  return found;
}
