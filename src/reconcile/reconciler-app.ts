/**
 * Wires the reconciler's cores to real adapters: Stripe (the configured key), the dedup table,
 * the inbound queue. The Lambda handler calls it once per cold start; the local stack calls it
 * with local clients.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ReconcilerConfig } from '../config.js';
import { enqueueEvent, type MessageSender } from '../ingress/enqueue.js';
import type { Logger } from '../logging.js';
import { keyedStripe, type StripeCall } from '../stripe/keyed-client.js';
import { catchUp, type CatchUpResult } from './catch-up.js';
import { dynamoCheckpointStore } from './checkpoint.js';
import { dynamoEventLedger } from './event-ledger.js';
import { stripeEventLister } from './stripe-events.js';
import { typeGroups } from './type-groups.js';

export interface ReconcilerAppDeps {
  readonly config: ReconcilerConfig;
  readonly logger: Logger;
  readonly dynamo: DynamoDBClient;
  /** The inbound queue's client (SQS, or the local stack's queue). */
  readonly sqs: MessageSender;
  /** Replaces the Stripe client built from the configured key. */
  readonly stripe?: StripeCall;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
}

export interface ReconcilerApp {
  /** One catch-up run; stops starting pages at `deadline` (ms since the epoch). */
  reconcile(deadline: number): Promise<CatchUpResult>;
}

export function createReconcilerApp(deps: ReconcilerAppDeps): ReconcilerApp {
  const { config, logger } = deps;
  const now = deps.now ?? Date.now;
  const stripe = deps.stripe ?? keyedStripe(config.stripe);
  const groups = typeGroups(config.handledEventTypes);
  const ports = {
    listEvents: stripeEventLister(stripe),
    ledger: dynamoEventLedger(deps.dynamo, config.dedup.tableName, now),
    enqueue: async (json: string, summary: Parameters<typeof enqueueEvent>[2]) => {
      await enqueueEvent({ sqs: deps.sqs, queueUrl: config.queueUrl, maxMessageBytes: config.maxMessageBytes }, json, summary);
    },
    checkpoints: dynamoCheckpointStore(deps.dynamo, config.dedup.tableName),
    now,
    logger,
  };
  return {
    async reconcile(deadline) {
      const started = now();
      const result = await catchUp(ports, {
        groups,
        settleSeconds: config.settleSeconds,
        initialLookbackSeconds: config.initialLookbackSeconds,
        maxPages: config.maxPages,
        deadline,
      });
      // One line per run; the metric filters read eventsRecovered and checkpointLagSeconds.
      logger.info(
        {
          outcome: 'reconciled',
          eventsRecovered: result.recovered,
          eventsScanned: result.scanned,
          stripeListCalls: result.listCalls,
          checkpointLagSeconds: result.lagSeconds,
          complete: result.complete,
          durationMs: now() - started,
        },
        result.recovered > 0 ? 'reconciler recovered events the webhook did not deliver' : 'reconciler run',
      );
      return result;
    },
  };
}
