/**
 * Consumer Lambda: SQS batch of verified Stripe events → Salesforce. Reports exactly the
 * messages to retry (`reportBatchItemFailures`); permanent failures go to the DLQ with a reason.
 */
// First: readable stack traces for everything below, decoded only when a stack is printed.
import '../stack-traces.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadConsumerConfig } from '../config.js';
import { createConsumerApp, toInboundRecord } from '../inbound/consumer-app.js';
import { createLogger } from '../logging.js';

// Created once per cold start and reused: config, clients, the Salesforce session.
const config = loadConsumerConfig();
const logger = createLogger({ service: 'consumer', level: config.logLevel });
const app = createConsumerApp({ config, logger, dynamo: new DynamoDBClient({}), sqs: new SQSClient({}) });

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const summary = await app.handle(event.Records.map(toInboundRecord));
  return summary.response;
};
