/**
 * Reconciler Lambda, invoked by EventBridge Scheduler with a task:
 * - `reconcile`: catches up with Stripe's Events API and enqueues what the webhook did not
 *   deliver; its time budget is the invocation's, minus a margin to save the checkpoint;
 * - `housekeeping`: writes the Stripe_Sync_Log__c records of dead-lettered events and checks the
 *   Event Relay.
 */
// First: readable stack traces for everything below, decoded only when a stack is printed.
import '../stack-traces.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { loadReconcilerConfig } from '../config.js';
import { createLogger } from '../logging.js';
import { createReconcilerApp } from '../reconcile/reconciler-app.js';

const config = loadReconcilerConfig();
const logger = createLogger({ service: 'reconciler', level: config.logLevel });
const app = createReconcilerApp({ config, logger, dynamo: new DynamoDBClient({}), sqs: new SQSClient({}) });

/** Left for saving the checkpoint and the last log line after the last page. */
const MARGIN_MS = 15_000;

export const handler = async (event: { readonly task?: string } | null, context: Context): Promise<Record<string, unknown>> => {
  if (event?.task === 'housekeeping') {
    const result = await app.housekeeping();
    return { logsWritten: result.syncLogs.written, relayStatus: result.relay?.status };
  }
  const result = await app.reconcile(Date.now() + context.getRemainingTimeInMillis() - MARGIN_MS);
  return { recovered: result.recovered, complete: result.complete };
};
