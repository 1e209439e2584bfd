/**
 * Roll-up writer Lambda: batches of the roll-up queue (each message the Account roll-ups of one
 * consumer batch) → one Salesforce write. Reports exactly the messages to retry
 * (`reportBatchItemFailures`); the queue's redrive policy ends a message that keeps failing in
 * the roll-up DLQ, and an unreadable message is sent there at once (ROLLUP_DLQ_URL).
 */
// First: readable stack traces for everything below, decoded only when a stack is printed.
import '../stack-traces.js';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadRollupWriterConfig } from '../config.js';
import { createLogger } from '../logging.js';
import { createRollupWriterApp } from '../rollups/rollup-writer-app.js';

// Created once per cold start and reused: config, the Salesforce session. The SQS client (dead
// letters of unreadable messages) is loaded on first use only (src/rollups/rollup-writer-app.ts).
const config = loadRollupWriterConfig();
const logger = createLogger({ service: 'rollup-writer', level: config.logLevel });
const app = createRollupWriterApp({ config, logger });

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const summary = await app.handle(
    event.Records.map((r) => ({
      messageId: r.messageId,
      body: r.body,
      sentAt: Number(r.attributes.SentTimestamp) || undefined,
      receiveCount: Number(r.attributes.ApproximateReceiveCount) || undefined,
    })),
  );
  return summary.response;
};
