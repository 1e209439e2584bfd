/**
 * Wires the consumer core to real adapters. The Lambda handler calls it once per cold start;
 * the local stack calls it with local clients (dynalite, embedded stand-ins, in-process queue).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type Stripe from 'stripe';
import type { ConsumerConfig } from '../config.js';
import type { StripeClientOptions } from '../stripe/client.js';
import { BillingStore } from '../billing/store.js';
import { CaseLedger } from '../dedup/case-ledger.js';
import { EventStore } from '../dedup/event-store.js';
import { dynamoQueuedEvents, type QueuedEvents } from '../dedup/queued-events.js';
import { AuthenticationError, errorCode, PermanentError, TransientError } from '../errors.js';
import { ATTR, attributeValue, failureAttributes, type ReceivedAttribute } from '../ingress/inbound-message.js';
import type { Logger } from '../logging.js';
import { createSalesforceSession, type SalesforceSession } from '../salesforce/session.js';
import { CaseCloser } from '../salesforce/case-closer.js';
import { SalesforceWriter } from '../salesforce/writer.js';
import { dynamoDeadLetterLog } from '../sync-log/dead-letter-log.js';
import { recordingDeadLetters } from '../sync-log/record-dead-letters.js';
import { CachedSecret, type SecretFetcher } from '../secrets.js';
import type { CircuitBreakerOptions } from '../resilience/circuit-breaker.js';
import { DependencyGuard } from '../resilience/dependency-guard.js';
import { outageOf } from '../resilience/outage.js';
import { BatchRetries, oldestAgeSeconds, sqsChangeVisibility, type ChangeVisibility, type VisibilityChange } from '../resilience/retry-later.js';
import { deferBatch } from './defer-batch.js';
import { DeploymentMode } from './deployment-mode.js';
import { createEventExpander, type StripeObjectReads } from './expand-event.js';
import { createInterpreter } from './interpret.js';
import { batchedBillings, cachedLookup, withTrust } from './trust-step.js';
import { paymentLinkOfIntent } from '../stripe/payment-link-of-intent.js';
import { invoicePaymentIntentId } from '../stripe/api-versions.js';
import { processBatch, type BatchSummary } from './process-batch.js';
import { createAccountRollups } from '../rollups/account-rollups.js';
import { queueRollupSink, type RollupSink } from '../rollups/rollup-queue.js';
import { cachedOrgProfile, readOrgProfile } from '../salesforce/org-profile.js';
import type { CasePorts } from './case-follow-up.js';
import { accountOwnerRow } from './renewal-tasks.js';
import { AccountDirectory, learningAccounts } from './account-directory.js';
import { salesforceServiceRecords } from '../salesforce/record-port.js';
import type { ConsumerPorts, DeadLetterFailure, EventStorePort, InboundRecord, SalesforceWritePort } from './ports.js';

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
  /** Replaces the read of the payment link a PaymentIntent came from (by default: Stripe's API, when a key is set). */
  readonly paymentLinkOfIntent?: (paymentIntentId: string) => Promise<string | null>;
  /** Reads STRIPE_SECRET_KEY_ARN (Secrets Manager by default). */
  readonly secretFetcher?: SecretFetcher;
  /** stripe-node settings of the Stripe reads (tests: no wait between its retries). */
  readonly stripeOptions?: Omit<StripeClientOptions, 'apiUrl'>;
  /** Replaces the DynamoDB store built from `dynamo` (fault-injection tests). */
  readonly wrapStore?: (store: EventStorePort) => EventStorePort;
  readonly now?: () => number;
  /** Delays retried messages; default: SQS ChangeMessageVisibilityBatch on INBOUND_QUEUE_URL. */
  readonly changeVisibility?: ChangeVisibility;
  /** The backoff's jitter, a number in [0, 1) (tests fix it). */
  readonly random?: () => number;
  readonly breakerOptions?: CircuitBreakerOptions;
  /** Replaces the roll-up queue built from `sqs` and ROLLUP_QUEUE_URL (the local stack's queue, tests). */
  readonly rollupSink?: RollupSink;
}

export interface ConsumerApp {
  handle(records: readonly InboundRecord[]): Promise<BatchSummary>;
  readonly session: SalesforceSession;
  /** The circuit breakers of this cold start. */
  readonly salesforce: DependencyGuard;
  readonly stripe: DependencyGuard;
}

export function createConsumerApp(deps: ConsumerAppDeps): ConsumerApp {
  const { config, logger } = deps;
  const now = deps.now ?? Date.now;
  const session = deps.salesforceSession ?? createSalesforceSession(config.salesforce, { logger });
  const serviceRecords = salesforceServiceRecords(session);
  const key = stripeKeyOf(config, deps.secretFetcher);
  const reads = stripeReads(config, key, deps.stripeOptions);
  // The deployment's mode follows its Stripe key; without a key both modes are applied.
  const mode = new DeploymentMode(key, logger);
  const salesforce = new DependencyGuard('salesforce', logger, now, deps.breakerOptions);
  const stripe = new DependencyGuard('stripe', logger, now, deps.breakerOptions);
  const fetchEvent = deps.fetchEvent ?? ((eventId: string) => reads.retrieveEvent(eventId));
  const objectReads = guardedReads(deps.stripeObjectReads ?? (key === undefined ? {} : reads), stripe);
  const accounts = new AccountDirectory();
  // Read once per cold start, for the roll-ups and the renewal Opportunities alike.
  const orgProfile = cachedOrgProfile(() => readOrgProfile(session, config.currencyOverrides));
  const ports: Omit<ConsumerPorts, 'retry'> = {
    store: (deps.wrapStore ?? ((store) => store))(new EventStore(deps.dynamo, { ...config.dedup, now })),
    writer: new SalesforceWriter(session, { apiVersion: config.salesforce.apiVersion, logger }),
    fetchEvent: (eventId) => stripe.run(() => fetchEvent(eventId)),
    // Trust only what is ours: an Opportunity's payment state changes only for its own bill.
    ...withTrust(
      { interpret: createInterpreter({ logger, mode: () => mode.current() }), expand: createEventExpander(objectReads, logger) },
      {
        loadBillings: batchedBillings(new BillingStore(deps.dynamo, { tableName: config.dedup.tableName, now })),
        paymentLinkOfIntent:
          deps.paymentLinkOfIntent ?? (key === undefined ? undefined : cachedLookup((id) => stripe.run(() => reads.paymentLinkOfIntent(id)))),
        logger,
      },
    ),
    // Each dead-lettered event also shows in Salesforce as a Stripe_Sync_Log__c record (src/sync-log).
    deadLetter: recordingDeadLetters(deps.deadLetter ?? sqsDeadLetter(deps.sqs, config.dlqUrl), dynamoDeadLetterLog(deps.dynamo, config.dedup.tableName, now), logger),
    logger,
    now,
    maxReceiveCount: config.maxReceiveCount,
    tasks: { enabled: config.failedPaymentTasks.enabled, ownerId: config.failedPaymentTasks.ownerId },
    onboarding: { enabled: config.onboardingTasks, known: new Set<string>() },
    rollups: config.accountRollups
      ? learningAccounts(createAccountRollups({
          orgCurrencies: orgProfile,
          mode: () => {
            try {
              return mode.current();
            } catch {
              return undefined;
            }
          },
          now,
        }), accounts)
      : undefined,
    rollupSink: rollupSinkOf(deps),
    cases: casePorts(deps, session, salesforce, now),
    renewals:
      config.renewalTaskDays === undefined && config.renewalOpportunities === undefined
        ? undefined
        : {
            leadDays: config.renewalTaskDays,
            ...(config.renewalOpportunities === undefined ? {} : { opportunities: { settings: config.renewalOpportunities, org: orgProfile } }),
            query: async (soql) => (await serviceRecords.query(soql)).flatMap(accountOwnerRow),
            // With roll-ups, a known customer's renewal Task is assigned by the roll-up (no query).
            ...(config.accountRollups ? { accounts } : {}),
          },
  };
  const queued = dynamoQueuedEvents(deps.dynamo, config.dedup.tableName, now);
  const changeVisibility =
    deps.changeVisibility ?? (deps.sqs !== undefined && config.queueUrl !== undefined ? sqsChangeVisibility(deps.sqs, config.queueUrl, logger) : undefined);

  const handle = async (records: readonly InboundRecord[]): Promise<BatchSummary> => {
    await mode.resolve();
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
      const requeued = await retry.flush(changeVisibility, logger);
      await markQueued(queued, records, requeued, logger);
    }
  };
  return { handle, session, salesforce, stripe };
}

/**
 * Remembers the events that go back to the queue (queued-events.ts), so the reconciler does not
 * take an event deferred through a Salesforce outage for a missed one. Best effort: without the
 * marker the reconciler may enqueue the event again, and the consumer drops that copy.
 */
async function markQueued(queued: QueuedEvents, records: readonly InboundRecord[], requeued: readonly VisibilityChange[], logger: Logger): Promise<void> {
  if (requeued.length === 0) return;
  const delays = new Map(requeued.map((c) => [c.messageId, c.delaySeconds]));
  const events = records.flatMap((record) => {
    const delaySeconds = delays.get(record.messageId);
    const eventId = attributeValue(record.messageAttributes, ATTR.eventId);
    return delaySeconds === undefined || eventId === undefined ? [] : [{ eventId, delaySeconds }];
  });
  try {
    await queued.mark(events);
  } catch (err) {
    logger.warn({ events: events.length, errorCode: errorCode(err) }, 'could not mark retried events as queued; the reconciler may enqueue them again (dropped as duplicates)');
  }
}

/** ROLLUP_WRITES=queued: the roll-up queue; otherwise (or with roll-ups off) none, and roll-ups are written inline. */
function rollupSinkOf(deps: ConsumerAppDeps): RollupSink | undefined {
  const { accountRollups, rollupQueueUrl } = deps.config;
  if (!accountRollups || rollupQueueUrl === undefined) return undefined;
  return deps.rollupSink ?? (deps.sqs === undefined ? undefined : queueRollupSink(deps.sqs, rollupQueueUrl));
}

/** Failure Cases closed once paid: the ledger in the dedup table, the closer through Salesforce's breaker. */
function casePorts(deps: ConsumerAppDeps, session: SalesforceSession, salesforce: DependencyGuard, now: () => number): CasePorts {
  const closer = new CaseCloser(session, {
    apiVersion: deps.config.salesforce.apiVersion,
    closedStatus: deps.config.caseClosedStatus,
    completedTaskStatus: deps.config.failedPaymentTasks.completedStatus,
  });
  return {
    ledger: new CaseLedger(deps.dynamo, { tableName: deps.config.dedup.tableName, now }),
    closer: { close: (closings, taskIds) => salesforce.run(() => closer.close(closings, taskIds)) },
  };
}

/** The consumer's Stripe API key, when one is configured (directly or as a Secrets Manager ARN). */
function stripeKeyOf(config: ConsumerConfig, fetcher: SecretFetcher | undefined): CachedSecret | undefined {
  const { secretKey, secretKeyArn } = config.stripe;
  if ((secretKey ?? '') === '' && (secretKeyArn ?? '') === '') return undefined;
  return new CachedSecret({ value: secretKey, arn: secretKeyArn }, fetcher, 'STRIPE_SECRET_KEY');
}

const READ_NAMES = ['retrieveCharge', 'retrieveInvoiceWithPayments', 'retrievePaymentIntent', 'retrievePaymentIntentOfInvoice'] as const satisfies readonly (keyof StripeObjectReads)[];

/** Every Stripe read that completes an event goes through Stripe's circuit breaker. */
function guardedReads(reads: StripeObjectReads, stripe: DependencyGuard): StripeObjectReads {
  const guard = (read: ((id: string) => Promise<unknown>) | undefined) => (read === undefined ? undefined : (id: string) => stripe.run(() => read(id)));
  const guarded: { -readonly [K in keyof StripeObjectReads]: StripeObjectReads[K] } = {};
  for (const name of READ_NAMES) {
    const read = guard(reads[name]);
    if (read !== undefined) guarded[name] = read;
  }
  return guarded;
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
    async write(items, options) {
      writes.count += 1;
      let result: Awaited<ReturnType<SalesforceWritePort['write']>>;
      try {
        result = await writer.write(items, options);
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
export interface StripeReads extends Required<StripeObjectReads> {
  /** An event that travelled as a reference (too large for SQS), as JSON text. */
  retrieveEvent(eventId: string): Promise<string>;
  /** The payment link of the Checkout Session that created a PaymentIntent; null when none did. */
  paymentLinkOfIntent(paymentIntentId: string): Promise<string | null>;
}

/**
 * Stripe reads with the configured key (a restricted key with Events, Charges, Invoices and
 * Checkout Sessions and PaymentIntents read is enough). The key is re-read once when Stripe rejects it, so a rotated key is picked up.
 */
export function stripeReads(
  config: ConsumerConfig,
  key = new CachedSecret({ value: config.stripe.secretKey, arn: config.stripe.secretKeyArn }, undefined, 'STRIPE_SECRET_KEY'),
  options: Omit<StripeClientOptions, 'apiUrl'> = {},
): StripeReads {
  let client: { key: string; stripe: Stripe } | undefined;
  const call = async <T>(action: string, op: (stripe: Stripe) => Promise<T>): Promise<T> => {
    const attempt = async (): Promise<T> => {
      // Loaded on the first Stripe read, not at cold start: most batches never read Stripe, and
      // the SDK is a quarter of the bundle (the bundle evaluates it only when this runs).
      const { classifyStripeError, createStripeClient } = await import('../stripe/client.js');
      const secret = await key.get();
      if (client?.key !== secret) client = { key: secret, stripe: createStripeClient(secret, { ...options, apiUrl: config.stripe.apiUrl }) };
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
    retrievePaymentIntent: (paymentIntentId) =>
      retrieve(`paymentIntents.retrieve(${paymentIntentId})`, (stripe) => stripe.paymentIntents.retrieve(paymentIntentId)),
    retrievePaymentIntentOfInvoice: async (invoiceId) => {
      const invoice = await retrieve(`invoices.retrieve(${invoiceId})`, (stripe) => stripe.invoices.retrieve(invoiceId, { expand: ['payments'] }));
      const paymentIntentId = invoice === undefined ? undefined : invoicePaymentIntentId(invoice);
      if (paymentIntentId === undefined) return undefined;
      return retrieve(`paymentIntents.retrieve(${paymentIntentId})`, (stripe) => stripe.paymentIntents.retrieve(paymentIntentId));
    },
    paymentLinkOfIntent: (paymentIntentId) => call(`checkout.sessions.list(${paymentIntentId})`, (stripe) => paymentLinkOfIntent(stripe, paymentIntentId)),
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
