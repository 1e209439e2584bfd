/**
 * Outbound Lambda: a `Stripe_Payment_Request__e` relayed by Salesforce Event Relay through
 * EventBridge → a Stripe invoice or payment link, written back to the Opportunity. A thrown error
 * makes Lambda retry the asynchronous invocation and finally send the event to the outbound DLQ.
 */
// First: readable stack traces for everything below, decoded only when a stack is printed.
import '../stack-traces.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeEvent } from 'aws-lambda';
import { loadOutboundConfig } from '../config.js';
import { createLogger } from '../logging.js';
import { createOutboundApp } from '../outbound/app.js';
import type { OutboundResult } from '../outbound/process-request.js';

// Created once per cold start and reused: config, clients, the Salesforce session, the Stripe key.
const config = loadOutboundConfig();
const logger = createLogger({ service: 'outbound', level: config.logLevel });
const app = createOutboundApp({ config, logger, dynamo: new DynamoDBClient({}) });

export const handler = async (event: EventBridgeEvent<string, unknown>): Promise<OutboundResult> => app.handle(event);
