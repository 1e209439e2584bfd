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
import type { CircuitBreakerOptions } from '../resilience/circuit-breaker.js';
import { DependencyGuard } from '../resilience/dependency-guard.js';
import { outageOf } from '../resilience/outage.js';
import { BatchRetries, oldestAgeSeconds, sqsChangeVisibility, type ChangeVisibility } from '../resilience/retry-later.js';
import { deferBatch } from './defer-batch.js';
import { processBatch, type BatchSummary } from './process-batch.js';
import type { ConsumerPorts, DeadLetterFailure, EventStorePort, InboundRecord, InterpretedEvent, SalesforceWritePort } from './ports.js';

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
  /** Delays retried messages; default: SQS ChangeMessageVisibilityBatch on INBOUND_QUEUE_URL. */
  readonly changeVisibility?: ChangeVisibility;
  /** The backoff's jitter, a number in [0, 1) (tests fix it). */
  readonly random?: () => number;
  readonly breakerOptions?: CircuitBreakerOptions;
}

export interface ConsumerApp {
  handle(records: readonly InboundRecord[]): Promise<BatchSummary>;
  readonly session: SalesforceSession;
  /** The circuit breakers of this cold start. */
  readonly salesforce: DependencyGuard;
  readonly stripe: DependencyGuard;
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
  const salesforce = new DependencyGuard('salesforce', logger, now, deps.breakerOptions);
  const stripe = new DependencyGuard('stripe', logger, now, deps.breakerOptions);
  const fetchEvent = deps.fetchEvent ?? ((eventId: string) => reads.retrieveEvent(eventId));
  const retrieveCharge = deps.retrieveCharge ?? (hasStripeKey ? (chargeId: string) => reads.retrieveCharge(chargeId) : undefined);
  const ports: Omit<ConsumerPorts, 'retry'> = {
    store: (deps.wrapStore ?? ((store) => store))(new EventStore(deps.dynamo, { ...config.dedup, now })),
    writer: new SalesforceWriter(session, { apiVersion: config.salesforce.apiVersion, logger }),
    interpret: interpretStripeEvent,
    fetchEvent: (eventId) => stripe.run(() => fetchEvent(eventId)),
    expand: disputeChargeExpander(retrieveCharge === undefined ? undefined : (chargeId) => stripe.run(() => retrieveCharge(chargeId)), logger),
    deadLetter: deps.deadLetter ?? sqsDeadLetter(deps.sqs, config.dlqUrl),
    logger,
    now,
    maxReceiveCount: config.maxReceiveCount,
    pinnedApiVersion: STRIPE_API_VERSION,
  };
  const changeVisibility =
    deps.changeVisibility ?? (deps.sqs !== undefined && config.queueUrl !== undefined ? sqsChangeVisibility(deps.sqs, config.queueUrl, logger) : undefined);

  const handle = async (records: readonly InboundRecord[]): Promise<BatchSummary> => {
    const retry = new BatchRetries(config.retry, now, deps.random);
    // The oldest age of what was received, retried messages included (SQS's own age metric
    // stops counting a message after its third receive): the backlog-age alarm reads this.
    const oldest = oldestAgeSeconds(records, now());
    if (oldest !== undefined) logger.info({ batchSize: records.length, oldestMessageAgeSeconds: oldest }, 'batch received');
    const admission = salesforce.admit(records.length);
    try {
      if (admission === 'reject') return await deferBatch(records, salesforce.unreachable(), { ...ports, retry });
      // A probe risks one message; the rest of the batch waits for its verdict in the queue.
      const [tried, waiting] = admission === 'probe' ? [records.slice(0, 1), records.slice(1)] : [records, []];
      const writes = { count: 0 };
      try {
        const summary = await processBatch(tried, { ...ports, retry, writer: reportingWriter(ports.writer, salesforce, writes) });
        return waiting.length === 0 ? summary : mergeSummaries(summary, await deferBatch(waiting, salesforce.unreachable(), { ...ports, retry }));
      } finally {
        if (writes.count === 0) salesforce.release(admission);
      }
    } finally {
      await retry.flush(changeVisibility, logger);
    }
  };
  return { handle, session, salesforce, stripe };
}

function mergeSummaries(a: BatchSummary, b: BatchSummary): BatchSummary {
  return {
    response: { batchItemFailures: [...a.response.batchItemFailures, ...b.response.batchItemFailures] },
    outcomes: new Map([...a.outcomes, ...b.outcomes]),
    salesforceApiCalls: a.salesforceApiCalls + b.salesforceApiCalls,
  };
}

/**
 * Tells Salesforce's breaker how each write went: reachable when any record was written or
 * refused on its merits, an outage when every failure says the org is down or unreachable.
 */
function reportingWriter(writer: SalesforceWritePort, guard: DependencyGuard, writes: { count: number }): SalesforceWritePort {
  return {
    async write(items) {
      writes.count += 1;
      let result: Awaited<ReturnType<SalesforceWritePort['write']>>;
      try {
        result = await writer.write(items);
      } catch (err) {
        guard.report(outageOf(err) === 'salesforce' ? 'outage' : 'reachable');
        throw err;
      }
      const outcomes = [...result.outcomes.values()];
      const answered = outcomes.some((o) => o.ok || outageOf(o.error) !== 'salesforce');
      guard.report(outcomes.length > 0 && !answered ? 'outage' : 'reachable');
      return result;
    },
  };
}

/** Lambda's SQS record → the core's record. */
export function toInboundRecord(record: SQSRecord): InboundRecord {
  const sentAt = Number(record.attributes.SentTimestamp);
  return {
    messageId: record.messageId,
    body: record.body,
    receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1,
    messageAttributes: record.messageAttributes,
    ...(Number.isFinite(sentAt) && sentAt > 0 ? { sentAt } : {}),
    receiptHandle: record.receiptHandle,
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
