/**
 * Where the reconciler stopped reading Stripe's event log, per type group, in the dedup table
 * (`reconcile#events#<group>`): every event of the group up to `eventId` (list order), or up to
 * `created` when there is no id, was looked at and, if it needed recovery, enqueued.
 * `scannedThrough` is how far the log was read to its end (the lag metric is measured from it).
 * `waiting`: events passed while the consumer had them back in the queue for later (an outage):
 * each run checks them again and recovers any that left the queue without being done (a purge).
 */
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TransientError } from '../errors.js';

export interface Checkpoint {
  /** Seconds since the epoch: every event created at or before it (and before `eventId`) is done. */
  readonly created: number;
  /** The last event looked at; the next page starts right after it (`ending_before`). */
  readonly eventId: string | undefined;
  /** Seconds: the log was read to its end up to this time. */
  readonly scannedThrough: number;
  /** Ids of events passed while they waited in the inbound queue (see catch-up.ts). */
  readonly waiting: readonly string[];
}

export interface CheckpointStore {
  read(group: string): Promise<Checkpoint | undefined>;
  write(group: string, checkpoint: Checkpoint): Promise<void>;
}

const KEY_PREFIX = 'reconcile#events#';

export function dynamoCheckpointStore(client: DynamoDBClient, tableName: string): CheckpointStore {
  const key = (group: string) => ({ pk: { S: `${KEY_PREFIX}${group}` } });
  return {
    async read(group) {
      try {
        const out = await client.send(new GetItemCommand({ TableName: tableName, Key: key(group), ConsistentRead: true }));
        const item = out.Item;
        if (item === undefined) return undefined;
        return {
          created: Number(item['created']?.N ?? 0),
          eventId: item['eventId']?.S,
          scannedThrough: Number(item['scannedThrough']?.N ?? item['created']?.N ?? 0),
          waiting: item['waiting']?.SS ?? [],
        };
      } catch (err) {
        throw new TransientError('DynamoDB could not read the reconciler checkpoint', { code: 'DYNAMODB_UNAVAILABLE', cause: err });
      }
    },
    async write(group, checkpoint) {
      try {
        // No TTL: the checkpoint lives as long as the reconciler does.
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              ...key(group),
              created: { N: String(checkpoint.created) },
              scannedThrough: { N: String(checkpoint.scannedThrough) },
              ...(checkpoint.eventId === undefined ? {} : { eventId: { S: checkpoint.eventId } }),
              // A string set cannot be empty: no attribute when nothing waits.
              ...(checkpoint.waiting.length === 0 ? {} : { waiting: { SS: [...new Set(checkpoint.waiting)] } }),
            },
          }),
        );
      } catch (err) {
        throw new TransientError('DynamoDB could not write the reconciler checkpoint', { code: 'DYNAMODB_UNAVAILABLE', cause: err });
      }
    },
  };
}
