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
import { AuthenticationError, PermanentError, TransientError } from '../errors.js';
import { ATTR, failureAttributes, type ReceivedAttribute } from '../ingress/inbound-message.js';
import type { Logger } from '../logging.js';
import { createSalesforceSession, type SalesforceSession } from '../salesforce/session.js';
import { SalesforceWriter } from '../salesforce/writer.js';
import { CachedSecret, type SecretFetcher } from '../secrets.js';
import { classifyStripeError, createStripeClient } from '../stripe/client.js';
import { STRIPE_API_VERSION } from '../stripe/event-schemas.js';
import { DeploymentMode } from './deployment-mode.js';
import { createEventExpander, type StripeObjectReads } from './expand-event.js';
import { createInterpreter } from './interpret.js';
import { processBatch, type BatchSummary } from './process-batch.js';
import type { ConsumerPorts, DeadLetterFailure, EventStorePort, InboundRecord } from './ports.js';

export { interpretStripeEvent } from './interpret.js';

export interface ConsumerAppDeps {
  readonly config: ConsumerConfig;
  readonly logger: Logger;
  readonly dynamo: DynamoDBClient;
  /** Needed for dead-lettering unless `deadLetter` is given. */
  readonly sqs?: SQSClient;
  readonly salesforceSession?: SalesforceSession;
  readonly deadLetter?: ConsumerPorts['deadLetter'];
  readonly fetchEvent?: ConsumerPorts['fetchEvent'];
  /** Replace the Stripe reads that complete events (by default: Stripe's API, when a key is set). */
  readonly stripeObjectReads?: StripeObjectReads;
  /** Reads STRIPE_SECRET_KEY_ARN (Secrets Manager by default). */
  readonly secretFetcher?: SecretFetcher;
  /** Replaces the DynamoDB store built from `dynamo` (fault-injection tests). */
  readonly wrapStore?: (store: EventStorePort) => EventStorePort;
  readonly now?: () => number;
}

export interface ConsumerApp {
  handle(records: readonly InboundRecord[]): Promise<BatchSummary>;
  readonly session: SalesforceSession;
}

export function createConsumerApp(deps: ConsumerAppDeps): ConsumerApp {
  const { config, logger } = deps;
  const now = deps.now ?? Date.now;
  const session = deps.salesforceSession ?? createSalesforceSession(config.salesforce, { logger });
  const key = stripeKeyOf(config, deps.secretFetcher);
  const reads = stripeReads(config, key);
  // The deployment's mode follows its Stripe key; without a key both modes are applied.
  const mode = new DeploymentMode(key, logger);
  const ports: ConsumerPorts = {
    store: (deps.wrapStore ?? ((store) => store))(new EventStore(deps.dynamo, { ...config.dedup, now })),
    writer: new SalesforceWriter(session, { apiVersion: config.salesforce.apiVersion, logger }),
    interpret: createInterpreter({ logger, mode: () => mode.current() }),
    fetchEvent: deps.fetchEvent ?? ((eventId) => reads.retrieveEvent(eventId)),
    expand: createEventExpander(deps.stripeObjectReads ?? (key === undefined ? {} : reads), logger),
    deadLetter: deps.deadLetter ?? sqsDeadLetter(deps.sqs, config.dlqUrl),
    logger,
    now,
    maxReceiveCount: config.maxReceiveCount,
    pinnedApiVersion: STRIPE_API_VERSION,
  };
  return {
    handle: async (records) => {
      await mode.resolve();
      return processBatch(records, ports);
    },
    session,
  };
}

/** The consumer's Stripe API key, when one is configured (directly or as a Secrets Manager ARN). */
function stripeKeyOf(config: ConsumerConfig, fetcher: SecretFetcher | undefined): CachedSecret | undefined {
  const { secretKey, secretKeyArn } = config.stripe;
  if ((secretKey ?? '') === '' && (secretKeyArn ?? '') === '') return undefined;
  return new CachedSecret({ value: secretKey, arn: secretKeyArn }, fetcher, 'STRIPE_SECRET_KEY');
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
export interface StripeReads extends Required<StripeObjectReads> {
  /** An event that travelled as a reference (too large for SQS), as JSON text. */
  retrieveEvent(eventId: string): Promise<string>;
}

/**
 * Stripe reads with the configured key (a restricted key with Events, Charges and Invoices read
 * is enough). The key is re-read once when Stripe rejects it, so a rotated key is picked up.
 */
export function stripeReads(
  config: ConsumerConfig,
  key = new CachedSecret({ value: config.stripe.secretKey, arn: config.stripe.secretKeyArn }, undefined, 'STRIPE_SECRET_KEY'),
): StripeReads {
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
  /** Missing objects are undefined, not errors: the event is then applied as it came. */
  const retrieve = async <T>(action: string, op: (stripe: Stripe) => Promise<T>): Promise<T | undefined> => {
    try {
      return await call(action, op);
    } catch (err) {
      if (err instanceof PermanentError && err.details['stripeCode'] === 'resource_missing') return undefined;
      throw err;
    }
  };
  return {
    retrieveEvent: (eventId) => call(`events.retrieve(${eventId})`, async (stripe) => JSON.stringify(await stripe.events.retrieve(eventId))),
    retrieveCharge: (chargeId) => retrieve(`charges.retrieve(${chargeId})`, (stripe) => stripe.charges.retrieve(chargeId)),
    // `payments` is includable only: without expand it is left out of the invoice.
    retrieveInvoiceWithPayments: (invoiceId) =>
      retrieve(`invoices.retrieve(${invoiceId})`, (stripe) => stripe.invoices.retrieve(invoiceId, { expand: ['payments'] })),
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
