/**
 * Wires the reconciler's cores to real adapters: Stripe (the configured key), the dedup table,
 * the inbound queue. The Lambda handler calls it once per cold start; the local stack calls it
 * with local clients.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ReconcilerConfig } from '../config.js';
import { errorCode, errorReason } from '../errors.js';
import { enqueueEvent, type MessageSender } from '../ingress/enqueue.js';
import type { Logger } from '../logging.js';
import { createSalesforceSession, type SalesforceSession } from '../salesforce/session.js';
import { SalesforceWriter } from '../salesforce/writer.js';
import { keyedStripe, type StripeCall } from '../stripe/keyed-client.js';
import { dynamoDeadLetterLog } from '../sync-log/dead-letter-log.js';
import { flushSyncLogs, type FlushResult } from '../sync-log/flush.js';
import { catchUp, type CatchUpResult } from './catch-up.js';
import { dynamoCheckpointStore } from './checkpoint.js';
import { dynamoEventLedger } from './event-ledger.js';
import { judgeRelay, salesforceRelayFeedback, type RelayCheck, type RelayFeedback } from './relay-check.js';
import { stripeEventFetcher, stripeEventLister } from './stripe-events.js';
import { typeGroups } from './type-groups.js';

export interface ReconcilerAppDeps {
  readonly config: ReconcilerConfig;
  readonly logger: Logger;
  readonly dynamo: DynamoDBClient;
  /** The inbound queue's client (SQS, or the local stack's queue). */
  readonly sqs: MessageSender;
  /** Replaces the Stripe client built from the configured key. */
  readonly stripe?: StripeCall;
  /** Replaces the Salesforce session built from the configuration (housekeeping). */
  readonly salesforceSession?: SalesforceSession;
  /** Replaces the EventRelayFeedback query. */
  readonly relayFeedback?: () => Promise<readonly RelayFeedback[]>;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
}

export interface HousekeepingResult {
  readonly syncLogs: FlushResult;
  /** Undefined when no Event Relay is configured (EVENT_RELAY_SOURCE_NAME). */
  readonly relay: RelayCheck | undefined;
}

export interface ReconcilerApp {
  /** One catch-up run; stops starting pages at `deadline` (ms since the epoch). */
  reconcile(deadline: number): Promise<CatchUpResult>;
  /** Writes the sync logs of dead-lettered events and checks the Event Relay. */
  housekeeping(): Promise<HousekeepingResult>;
}

export function createReconcilerApp(deps: ReconcilerAppDeps): ReconcilerApp {
  const { config, logger } = deps;
  const now = deps.now ?? Date.now;
  const stripe = deps.stripe ?? keyedStripe(config.stripe);
  const groups = typeGroups(config.handledEventTypes);
  const ports = {
    listEvents: stripeEventLister(stripe),
    fetchEvent: stripeEventFetcher(stripe),
    ledger: dynamoEventLedger(deps.dynamo, config.dedup.tableName, now),
    enqueue: async (json: string, summary: Parameters<typeof enqueueEvent>[2]) => {
      await enqueueEvent({ sqs: deps.sqs, queueUrl: config.queueUrl, maxMessageBytes: config.maxMessageBytes }, json, summary);
    },
    checkpoints: dynamoCheckpointStore(deps.dynamo, config.dedup.tableName),
    now,
    logger,
  };
  let session: SalesforceSession | undefined = deps.salesforceSession;
  const salesforce = (): SalesforceSession => (session ??= createSalesforceSession(config.salesforce, { logger }));
  const checkRelay = async (sourceName: string): Promise<RelayCheck> => {
    try {
      const rows = await (deps.relayFeedback ?? salesforceRelayFeedback(salesforce()))();
      return judgeRelay(rows, sourceName, now());
    } catch (err) {
      // Not being allowed to read EventRelayFeedback is not an outage of the relay: no page.
      logger.warn({ errorCode: errorCode(err), reason: errorReason(err, 200) }, 'could not read EventRelayFeedback');
      return { status: 'UNKNOWN', healthy: true, errorCode: errorCode(err) };
    }
  };
  return {
    async housekeeping() {
      const started = now();
      let relay: RelayCheck | undefined;
      if (config.eventRelaySourceName !== undefined) {
        relay = await checkRelay(config.eventRelaySourceName);
        // One line per run; the metric filter reads relayUnhealthy.
        logger[relay.healthy ? 'info' : 'error'](
          {
            outcome: 'relay_checked',
            relayStatus: relay.status,
            relayUnhealthy: relay.healthy ? 0 : 1,
            relayErrorCode: relay.errorCode,
            relayErrorMessage: relay.errorMessage,
            lastRelayedEventAgeSeconds: relay.lastRelayedEventAgeSeconds,
          },
          relay.healthy ? 'Event Relay checked' : 'Event Relay is not running: Salesforce requests are not reaching AWS',
        );
      }
      const syncLogs = await flushSyncLogs({
        log: dynamoDeadLetterLog(deps.dynamo, config.dedup.tableName, now),
        writer: new SalesforceWriter(salesforce(), { apiVersion: config.salesforce.apiVersion, logger }),
        now,
        logger,
      });
      logger.info(
        {
          outcome: 'sync_logs_flushed',
          openFailures: syncLogs.open,
          logsWritten: syncLogs.written,
          resolved: syncLogs.resolved,
          failedWrites: syncLogs.failedWrites,
          salesforceApiCalls: syncLogs.salesforceApiCalls,
          durationMs: now() - started,
        },
        'sync logs of dead-lettered events written',
      );
      return { syncLogs, relay };
    },
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
          eventsWaitingInQueue: result.waiting,
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
