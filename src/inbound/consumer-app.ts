/**
 * Wires the consumer core to real adapters. The Lambda handler calls it once per cold start;
 * the local stack calls it with local clients (dynalite, embedded stand-ins, in-process queue).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type Stripe from 'stripe';
import type { ConsumerConfig } from '../config.js';
import { EventStore } from '../dedup/event-store.js';
import { AuthenticationError, TransientError } from '../errors.js';
import { ATTR, failureAttributes, type ReceivedAttribute } from '../ingress/inbound-message.js';
import type { Logger } from '../logging.js';
import { mapStripeEvent } from '../mappers/index.js';
import { createSalesforceSession, type SalesforceSession } from '../salesforce/session.js';
import { SalesforceWriter } from '../salesforce/writer.js';
import { CachedSecret } from '../secrets.js';
import { classifyStripeError, createStripeClient } from '../stripe/client.js';
import { parseStripeEvent, STRIPE_API_VERSION } from '../stripe/event-schemas.js';
import { processBatch, type BatchSummary } from './process-batch.js';
import type { ConsumerPorts, DeadLetterFailure, EventStorePort, InboundRecord, InterpretedEvent } from './ports.js';

export interface ConsumerAppDeps {
  readonly config: ConsumerConfig;
  readonly logger: Logger;
  readonly dynamo: DynamoDBClient;
  /** Needed for dead-lettering unless `deadLetter` is given. */
  readonly sqs?: SQSClient;
  readonly salesforceSession?: SalesforceSession;
  readonly deadLetter?: ConsumerPorts['deadLetter'];
  readonly fetchEvent?: ConsumerPorts['fetchEvent'];
  /** Replaces the DynamoDB store built from `dynamo` (fault-injection tests). */
  readonly wrapStore?: (store: EventStorePort) => EventStorePort;
  readonly now?: () => number;
}

export interface ConsumerApp {
  handle(records: readonly InboundRecord[]): Promise<BatchSummary>;
  readonly session: SalesforceSession;
}

export function interpretStripeEvent(json: unknown): InterpretedEvent {
  const event = parseStripeEvent(json);
  return {
    envelope: {
      id: event.id,
      type: event.type,
      created: event.created,
      livemode: event.livemode,
      apiVersion: event.api_version,
    },
    result: mapStripeEvent(event),
  };
}

export function createConsumerApp(deps: ConsumerAppDeps): ConsumerApp {
  const { config, logger } = deps;
  const now = deps.now ?? Date.now;
  const session = deps.salesforceSession ?? createSalesforceSession(config.salesforce, { logger });
  const ports: ConsumerPorts = {
    store: (deps.wrapStore ?? ((store) => store))(new EventStore(deps.dynamo, { ...config.dedup, now })),
    writer: new SalesforceWriter(session, { apiVersion: config.salesforce.apiVersion, logger }),
    interpret: interpretStripeEvent,
    fetchEvent: deps.fetchEvent ?? stripeEventFetcher(config),
    deadLetter: deps.deadLetter ?? sqsDeadLetter(deps.sqs, config.dlqUrl),
    logger,
    now,
    maxReceiveCount: config.maxReceiveCount,
    pinnedApiVersion: STRIPE_API_VERSION,
  };
  return { handle: (records) => processBatch(records, ports), session };
}

/** Lambda's SQS record → the core's record. */
export function toInboundRecord(record: SQSRecord): InboundRecord {
  return {
    messageId: record.messageId,
    body: record.body,
    receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1,
    messageAttributes: record.messageAttributes,
  };
}

/** Fetches events that were too large for SQS; the key is re-read once if Stripe rejects it. */
export function stripeEventFetcher(config: ConsumerConfig): ConsumerPorts['fetchEvent'] {
  const key = new CachedSecret({ value: config.stripe.secretKey, arn: config.stripe.secretKeyArn }, undefined, 'STRIPE_SECRET_KEY');
  let client: { key: string; stripe: Stripe } | undefined;
  const retrieve = async (eventId: string): Promise<string> => {
    const secret = await key.get();
    if (client?.key !== secret) client = { key: secret, stripe: createStripeClient(secret, { apiUrl: config.stripe.apiUrl }) };
    try {
      return JSON.stringify(await client.stripe.events.retrieve(eventId));
    } catch (err) {
      throw classifyStripeError(err, `events.retrieve(${eventId})`);
    }
  };
  return async (eventId) => {
    try {
      return await retrieve(eventId);
    } catch (err) {
      if (!(err instanceof AuthenticationError) || !key.refreshable) throw err;
      key.refresh();
      return retrieve(eventId);
    }
  };
}

/** Where SQS allows 10 attributes per message: the event's own plus the failure's. */
const KEPT_ATTRIBUTES: readonly string[] = [ATTR.eventId, ATTR.eventType, ATTR.eventCreated, ATTR.livemode, ATTR.apiVersion, ATTR.payload];

export function deadLetterAttributes(
  attributes: Readonly<Record<string, ReceivedAttribute | undefined>>,
  failure: DeadLetterFailure,
): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const name of KEPT_ATTRIBUTES) {
    const value = attributes[name];
    const stringValue = value?.stringValue ?? value?.StringValue;
    if (stringValue !== undefined) {
      out[name] = { DataType: value?.dataType ?? value?.DataType ?? 'String', StringValue: stringValue };
    }
  }
  return { ...out, ...failureAttributes(failure) };
}

function sqsDeadLetter(sqs: SQSClient | undefined, dlqUrl: string | undefined): ConsumerPorts['deadLetter'] {
  return async (record, failure) => {
    if (sqs === undefined || dlqUrl === undefined) {
      throw new TransientError('No dead-letter queue configured (INBOUND_DLQ_URL)', { code: 'DLQ_NOT_CONFIGURED' });
    }
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: dlqUrl,
        MessageBody: record.body,
        MessageAttributes: deadLetterAttributes(record.messageAttributes, failure),
      }),
    );
  };
}
