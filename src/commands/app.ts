/**
 * Wires the outbound core to real adapters. The Lambda handler calls it once per cold start; the
 * local stack (`POST /salesforce/events`) and the tests call it with local clients.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type Stripe from 'stripe';
import type { OutboundConfig } from '../config.js';
import { DealStore } from '../billing/deal.js';
import { BillingStore } from '../billing/store.js';
import { DynamoCatalogCache } from '../catalog/cache.js';
import { EventStore } from '../dedup/event-store.js';
import { AuthenticationError } from '../errors.js';
import type { Logger } from '../logging.js';
import { createSalesforceSession, type SalesforceSession } from '../salesforce/session.js';
import { CachedSecret, type SecretFetcher } from '../secrets.js';
import { classifyStripeError, createStripeClient, type StripeClientOptions } from '../stripe/client.js';
import {
  deactivatePaymentLink,
  executeBillingPlan,
  findOpportunityInvoices,
  findOpportunityPaymentLinks,
  inspectBillingObject,
} from '../stripe/outbound-operations.js';
import type { BillingRecordsPort } from '../outbound/billing-claim.js';
import { enqueueEvent } from '../ingress/enqueue.js';
import { removeDlqCopies } from '../ops/dlq-remove.js';
import { DEFAULT_MAX_MESSAGE_BYTES, stripeEventFetcher } from '../ops/replay-event.js';
import { dynamoDeadLetterLog } from '../sync-log/dead-letter-log.js';
import { retryDeadLetteredEvent } from '../sync-log/retry.js';
import { guardMethods, type DependencyGuard } from '../resilience/dependency-guard.js';
import { dispatchCommand, type CommandResult, type DispatcherPorts } from './dispatcher.js';
import { cachedPermissionChecker, PERMISSION_CACHE_MS } from './permissions.js';
import type { ServicePorts, StripeCalls } from './service-ports.js';
import { salesforceServiceRecords } from '../salesforce/record-port.js';
import { stripeCalls } from '../stripe/service-port.js';
import type { OutboundPorts, OutboundStore } from '../outbound/process-request.js';
import { salesforceOpportunityRecords, type OpportunityRecords } from '../outbound/salesforce-records.js';

export interface OutboundAppDeps {
  readonly config: OutboundConfig;
  readonly logger: Logger;
  readonly dynamo: DynamoDBClient;
  /** The inbound queue and DLQ's client, for the `retry` command. */
  readonly sqs?: SQSClient;
  readonly salesforceSession?: SalesforceSession;
  /** Reads STRIPE_SECRET_KEY_ARN (Secrets Manager by default). */
  readonly secretFetcher?: SecretFetcher;
  /** Extra stripe-node options (tests turn network retries off). */
  readonly stripeOptions?: Omit<StripeClientOptions, 'apiUrl'>;
  /** Replaces the DynamoDB store built from `dynamo` (fault-injection tests). */
  readonly wrapStore?: (store: OutboundStore) => OutboundStore;
  /** Wraps the Salesforce reads and writes (fault-injection tests). */
  readonly wrapRecords?: (records: OpportunityRecords) => OpportunityRecords;
  /** Wraps the billing records (fault-injection tests). */
  readonly wrapBillings?: (billings: BillingRecordsPort) => BillingRecordsPort;
  readonly now?: () => number;
  /** Circuit breakers: Salesforce and Stripe calls are refused while their circuit is open. */
  readonly guards?: { readonly salesforce: DependencyGuard; readonly stripe: DependencyGuard };
}

export interface OutboundApp {
  /** Takes the EventBridge event exactly as Lambda receives it. */
  handle(event: unknown): Promise<CommandResult>;
  readonly session: SalesforceSession;
}

type WithStripe = <T>(run: (client: Stripe) => Promise<T>) => Promise<T>;

/** A Stripe client for the current key; after a rejected key the secret is re-read once. */
function stripeAccess(config: OutboundConfig, deps: OutboundAppDeps): { billing: OutboundPorts['billing']; calls: StripeCalls; withStripe: WithStripe } {
  const key = new CachedSecret({ value: config.stripe.secretKey, arn: config.stripe.secretKeyArn }, deps.secretFetcher, 'STRIPE_SECRET_KEY');
  let client: { key: string; stripe: Stripe } | undefined;
  const stripe = async (): Promise<Stripe> => {
    const secret = await key.get();
    if (client?.key !== secret) client = { key: secret, stripe: createStripeClient(secret, { ...deps.stripeOptions, apiUrl: config.stripe.apiUrl }) };
    return client.stripe;
  };
  const withStripe = async <T>(run: (client: Stripe) => Promise<T>): Promise<T> => {
    try {
      return await run(await stripe());
    } catch (err) {
      if (!(err instanceof AuthenticationError) || !key.refreshable) throw err;
      // Running again is safe: lookups only read, and every plan step carries its idempotency key.
      key.refresh();
      return run(await stripe());
    }
  };
  const billing: OutboundPorts['billing'] = {
    isLiveMode: async () => /^(sk|rk)_live_/.test(await key.get()),
    execute: (plan, hooks) => withStripe((client) => executeBillingPlan(client, plan, hooks)),
    findInvoices: (customerId, opportunityId) => withStripe((client) => findOpportunityInvoices(client, customerId, opportunityId)),
    inspect: (stripeObjectId) => withStripe((client) => inspectBillingObject(client, stripeObjectId)),
    findPaymentLinks: (opportunityId) => withStripe((client) => findOpportunityPaymentLinks(client, opportunityId)),
    deactivatePaymentLink: (id, key) => withStripe((client) => deactivatePaymentLink(client, id, key)),
  };
  return { billing, calls: stripeCalls(withStripe), withStripe };
}

export function createOutboundApp(deps: OutboundAppDeps): OutboundApp {
  const { config, logger } = deps;
  const now = deps.now ?? Date.now;
  const session = deps.salesforceSession ?? createSalesforceSession(config.salesforce, { logger, ...(deps.secretFetcher ? { fetcher: deps.secretFetcher } : {}) });
  const store: OutboundStore = new EventStore(deps.dynamo, { ...config.dedup, now });
  let records = salesforceOpportunityRecords(session, { currencyOverrides: config.currencyOverrides, now });
  const stripe = stripeAccess(config, deps);
  let billing = stripe.billing;
  let service: ServicePorts = { records: salesforceServiceRecords(session), stripe: stripe.calls };
  if (deps.guards !== undefined) {
    // The org profile is cached per cold start, and isLiveMode reads the key's prefix: their
    // successes prove nothing about availability.
    records = guardMethods(records, deps.guards.salesforce, ['read', 'saveCustomerId', 'recordBilled', 'recordSyncError', 'count', 'upsertSyncLog', 'syncLogEventId'], ['orgProfile']);
    billing = guardMethods(billing, deps.guards.stripe, ['execute', 'findInvoices', 'inspect', 'findPaymentLinks', 'deactivatePaymentLink']);
    service = {
      // A key prefix is cached per cold start: like the org profile, its success proves nothing.
      records: guardMethods(service.records, deps.guards.salesforce, ['query', 'upsert', 'update'], ['keyPrefix']),
      stripe: guardMethods(service.stripe, deps.guards.stripe, ['call']),
    };
  }
  const wrapped = (deps.wrapRecords ?? ((r) => r))(records);
  const ports: DispatcherPorts = {
    store: (deps.wrapStore ?? ((s) => s))(store),
    records: wrapped,
    permissions: cachedPermissionChecker((soql) => wrapped.count(soql), { ttlMs: PERMISSION_CACHE_MS, now }),
    billing,
    service,
    billings: (deps.wrapBillings ?? ((b) => b))(new BillingStore(deps.dynamo, { tableName: config.dedup.tableName, now })),
    deals: new DealStore(deps.dynamo, { tableName: config.dedup.tableName, now }),
    leaseMs: config.dedup.leaseSeconds * 1000,
    catalog: { cache: new DynamoCatalogCache(deps.dynamo, config.dedup.tableName, now), stripe: service.stripe, records: service.records, logger },
    settings: { daysUntilDue: config.daysUntilDue },
    retryDeadLetter: deadLetterRetry(deps, stripe.withStripe, now),
    logger,
    now,
  };
  return { handle: (event) => dispatchCommand(event, ports), session };
}

/**
 * The `retry` command's port: the same core as `stripe-sf-bridge retry`, with the outbound
 * function's Stripe key (reading events), the inbound queue and DLQ, the dedup table.
 */
function deadLetterRetry(deps: OutboundAppDeps, withStripe: WithStripe, now: () => number): OutboundPorts['retryDeadLetter'] {
  const { inbound } = deps.config;
  const sqs = deps.sqs;
  if (inbound === undefined || sqs === undefined) return undefined;
  const stripe = deps.guards?.stripe;
  const log = dynamoDeadLetterLog(deps.dynamo, deps.config.dedup.tableName, now);
  return (eventId, requestedBy) =>
    retryDeadLetteredEvent(
      {
        fetchEvent: (id) => {
          const fetch = () =>
            withStripe(async (client) => {
              try {
                return await stripeEventFetcher(client)(id);
              } catch (err) {
                throw classifyStripeError(err, 'events.retrieve');
              }
            });
          return stripe === undefined ? fetch() : stripe.run(fetch);
        },
        enqueue: async (json, summary) => {
          await enqueueEvent({ sqs, queueUrl: inbound.queueUrl, maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES }, json, summary);
        },
        removeDlqCopies: (id) => removeDlqCopies(sqs, inbound.dlqUrl, id),
        log,
      },
      eventId,
      requestedBy === undefined ? {} : { requestedBy },
    );
}
