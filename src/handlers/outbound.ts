/**
 * Outbound Lambda: `Stripe_Payment_Request__e` events relayed by Salesforce Event Relay, delivered
 * by the EventBridge rule to the outbound queue → a Stripe invoice or payment link, written back
 * to the Opportunity. Reports exactly the requests to retry (`reportBatchItemFailures`); those
 * wait out their backoff in the queue, failures for good go to the outbound DLQ with their reason.
 */
// First: readable stack traces for everything below, decoded only when a stack is printed.
import '../stack-traces.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadOutboundConfig } from '../config.js';
import { InvalidPayloadError } from '../errors.js';
import { createLogger } from '../logging.js';
import { createQueuedOutbound, toQueuedRequest } from '../commands/queue-app.js';

// Created once per cold start and reused: config, clients, the Salesforce session, the Stripe key,
// the circuit breakers.
const config = loadOutboundConfig();
const logger = createLogger({ service: 'outbound', level: config.logLevel });
const outbound = createQueuedOutbound({ config, logger, dynamo: new DynamoDBClient({}), sqs: new SQSClient({}) });

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  // Invoked with anything but an SQS batch (an EventBridge event sent to the function directly):
  // say where payment requests go instead of failing obscurely.
  if (!Array.isArray((event as Partial<SQSEvent>).Records)) {
    throw new InvalidPayloadError('The outbound function drains the outbound queue: send payment requests there (`dlq replay --queue outbound` does)', {
      code: 'NOT_AN_SQS_BATCH',
    });
  }
  return outbound.handle(event.Records.map(toQueuedRequest));
};
