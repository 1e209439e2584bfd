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
import { AuthenticationError, errorCode, isPermanent, PermanentError, TransientError } from '../errors.js';
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
  /** Replaces the Stripe read of a disputed charge (by default: Stripe's API, when a key is set). */
  readonly retrieveCharge?: (chargeId: string) => Promise<unknown>;
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
  const reads = stripeReads(config);
  const hasStripeKey = config.stripe.secretKey !== undefined || config.stripe.secretKeyArn !== undefined;
  const ports: ConsumerPorts = {
    store: (deps.wrapStore ?? ((store) => store))(new EventStore(deps.dynamo, { ...config.dedup, now })),
    writer: new SalesforceWriter(session, { apiVersion: config.salesforce.apiVersion, logger }),
    interpret: interpretStripeEvent,
    fetchEvent: deps.fetchEvent ?? ((eventId) => reads.retrieveEvent(eventId)),
    expand: disputeChargeExpander(deps.retrieveCharge ?? (hasStripeKey ? (chargeId) => reads.retrieveCharge(chargeId) : undefined), logger),
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

/** What the consumer reads from Stripe's API. */
export interface StripeReads {
  /** An event that travelled as a reference (too large for SQS), as JSON text. */
  retrieveEvent(eventId: string): Promise<string>;
  /** A charge, as JSON; undefined when Stripe does not know it. */
  retrieveCharge(chargeId: string): Promise<unknown>;
}

/**
 * Stripe reads with the configured key (a restricted key with Events and Charges read is
 * enough). The key is re-read once when Stripe rejects it, so a rotated key is picked up.
 */
export function stripeReads(config: ConsumerConfig): StripeReads {
  const key = new CachedSecret({ value: config.stripe.secretKey, arn: config.stripe.secretKeyArn }, undefined, 'STRIPE_SECRET_KEY');
  let client: { key: string; stripe: Stripe } | undefined;
  const call = async <T>(action: string, op: (stripe: Stripe) => Promise<T>): Promise<T> => {
    const attempt = async (): Promise<T> => {
      const secret = await key.get();
      if (client?.key !== secret) client = { key: secret, stripe: createStripeClient(secret, { apiUrl: config.stripe.apiUrl }) };
      try {
        return await op(client.stripe);
      } catch (err) {
        throw classifyStripeError(err, action);
      }
    };
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof AuthenticationError) || !key.refreshable) throw err;
      key.refresh();
      return attempt();
    }
  };
  return {
    retrieveEvent: (eventId) => call(`events.retrieve(${eventId})`, async (stripe) => JSON.stringify(await stripe.events.retrieve(eventId))),
    retrieveCharge: async (chargeId) => {
      try {
        return await call(`charges.retrieve(${chargeId})`, (stripe) => stripe.charges.retrieve(chargeId));
      } catch (err) {
        if (err instanceof PermanentError && err.details['stripeCode'] === 'resource_missing') return undefined;
        throw err;
      }
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A dispute names only its charge; the charge carries the Salesforce links (Stripe copies the
 * PaymentIntent's metadata onto it). Expanding it, as `expand[]=charge` would, lets the pure
 * mapper mark the Opportunity Disputed. Best effort: a charge Stripe does not give us (unknown,
 * or the key may not read charges) leaves the event as it is; an outage retries the event.
 */
export function disputeChargeExpander(
  retrieveCharge: ((chargeId: string) => Promise<unknown>) | undefined,
  logger: Logger,
): ConsumerPorts['expand'] {
  return async (json) => {
    if (retrieveCharge === undefined || !isRecord(json) || typeof json['type'] !== 'string') return json;
    if (!json['type'].startsWith('charge.dispute.')) return json;
    const data = json['data'];
    const dispute = isRecord(data) ? data['object'] : undefined;
    if (!isRecord(data) || !isRecord(dispute) || typeof dispute['charge'] !== 'string') return json;
    let charge: unknown;
    try {
      charge = await retrieveCharge(dispute['charge']);
    } catch (err) {
      if (!isPermanent(err)) throw err;
      logger.warn({ eventId: json['id'], errorCode: errorCode(err) }, 'could not expand the disputed charge; Opportunity not updated');
      return json;
    }
    if (!isRecord(charge)) return json;
    return { ...json, data: { ...data, object: { ...dispute, charge } } };
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
