/**
 * Reconciler Lambda, invoked by EventBridge Scheduler: catches up with Stripe's Events API and
 * enqueues what the webhook did not deliver. Its time budget is the invocation's, minus a margin
 * to save the checkpoint.
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

export const handler = async (_event: unknown, context: Context): Promise<{ readonly recovered: number; readonly complete: boolean }> => {
  const result = await app.reconcile(Date.now() + context.getRemainingTimeInMillis() - MARGIN_MS);
  return { recovered: result.recovered, complete: result.complete };
};
