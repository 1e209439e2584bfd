/**
 * Events the consumer received and gave back to the inbound queue to try later (a retry with
 * backoff, or a batch deferred while Salesforce's circuit is open), remembered in the dedup table
 * as `queued#<eventId>` until shortly after their next receive is due. The reconciler reads them
 * (reconcile/event-ledger.ts): an event waiting in the queue was not missed, so it is not enqueued a
 * second time and `ReconcilerEventsRecovered` stays quiet through a long Salesforce outage.
 *
 * Written only for messages that go back to the queue, one BatchWriteItem per 25 of them: the
 * happy path costs nothing. The puts are unconditional and separate from the `event#` claim, so a
 * marker can never hide or replace a completed event. A marker that cannot be written only means
 * the reconciler may enqueue that event again, which the consumer drops as a duplicate.
 */
import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { TransientError } from '../errors.js';

export const QUEUED_PREFIX = 'queued#';

/**
 * How long after its next receive is due a marker still counts: the receive can lag behind the
 * visibility timeout while a backlog drains after an outage. Past it, an event the consumer never
 * saw again (the queue was purged) is unknown again, and the reconciler recovers it.
 */
export const QUEUED_GRACE_SECONDS = 1800;

export interface QueuedEvent {
  readonly eventId: string;
  /** Seconds until the message is received again. */
  readonly delaySeconds: number;
}

export interface QueuedEvents {
  mark(events: readonly QueuedEvent[]): Promise<void>;
}

const MAX_BATCH_WRITE = 25;

export function dynamoQueuedEvents(client: DynamoDBClient, tableName: string, now: () => number): QueuedEvents {
  return {
    async mark(events) {
      const nowSeconds = Math.floor(now() / 1000);
      const requests: WriteRequest[] = events.map((e) => ({
        PutRequest: {
          Item: {
            pk: { S: `${QUEUED_PREFIX}${e.eventId}` },
            queuedAt: { N: String(nowSeconds) },
            // Read by the ledger (DynamoDB's own TTL deletes it later, at its leisure).
            expiresAt: { N: String(nowSeconds + Math.ceil(e.delaySeconds) + QUEUED_GRACE_SECONDS) },
          },
        },
      }));
      for (let start = 0; start < requests.length; start += MAX_BATCH_WRITE) {
        try {
          const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests.slice(start, start + MAX_BATCH_WRITE) } }));
          const left = out.UnprocessedItems?.[tableName]?.length ?? 0;
          if (left > 0) throw new TransientError(`DynamoDB left ${left} queued markers unwritten`, { code: 'DYNAMODB_THROTTLED' });
        } catch (err) {
          if (err instanceof TransientError) throw err;
          throw new TransientError('DynamoDB could not write queued markers', { code: 'DYNAMODB_UNAVAILABLE', cause: err });
        }
      }
    },
  };
}
