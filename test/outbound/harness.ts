/**
 * The outbound flow wired as in Lambda, against local services: dynalite, jsforce over HTTP to the
 * Salesforce stand-in, stripe-node over HTTP to the Stripe stand-in, and a clock the test moves.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { loadOutboundConfig, type Env } from '../../src/config.js';
import { createLogger } from '../../src/logging.js';
import { BillingStore } from '../../src/billing/store.js';
import { createOutboundApp, type OutboundApp, type OutboundAppDeps } from '../../src/commands/app.js';
import { startDynalite, type LocalDynamo } from '../../src/local/standins/dynalite.js';
import { LogCapture } from '../support/log-capture.js';
import { DEFAULT_STANDIN_ORGANIZATION, startSalesforceStandIn, type SalesforceStandIn } from '../../src/local/standins/salesforce-standin.js';
import { startStripeStandIn, type StripeStandIn } from '../../src/local/standins/stripe-standin.js';

/** The user who requests payments in these tests (Requested_By__c). */
export const SAMPLE_REP_ID = '005Ab0000000001AAA';
export const CLIENT_ID = 'outbound-fake-client-id';
export const CLIENT_SECRET = 'outbound-fake-client-secret';

export interface OutboundHarness {
  readonly dynamo: LocalDynamo;
  readonly salesforce: SalesforceStandIn;
  readonly stripe: StripeStandIn;
  readonly logs: LogCapture;
  /** The billing records the app keeps, read directly. */
  readonly billings: BillingStore;
  app: OutboundApp;
  nowMs: number;
  /** Between tests: the default org, no injected Salesforce failures, no logs. */
  reset(): void;
  /** A fresh execution environment with these extra variables (same services). */
  coldStart(env?: Env, options?: ColdStartOptions): OutboundApp;
  close(): Promise<void>;
}

/** Fault-injection seams of the app (see OutboundAppDeps). */
export type ColdStartOptions = Pick<OutboundAppDeps, 'wrapStore' | 'wrapRecords' | 'wrapBillings' | 'sqs'>;

export interface HarnessServices {
  /** Reuse the consumer's services (closed loop); otherwise the harness starts and closes its own. */
  readonly dynamo?: LocalDynamo;
  readonly salesforce?: SalesforceStandIn;
  readonly clientId?: string;
  readonly clientSecret?: string;
}

/**
 * The usual life of a harness in a test file: started once, closed at the end, and before each
 * test back to this org, a cold start and empty logs. Returns the harness (call it inside tests).
 */
export function useOutboundHarness(): () => OutboundHarness {
  let harness: OutboundHarness | undefined;
  beforeAll(async () => {
    harness = await startOutboundHarness();
  });
  afterAll(async () => {
    await harness?.close();
  });
  beforeEach(() => {
    harness?.salesforce.setOrganization(DEFAULT_STANDIN_ORGANIZATION);
    harness?.coldStart();
    harness?.logs.clear();
  });
  return () => {
    if (harness === undefined) throw new Error('the outbound harness is used before beforeAll started it');
    return harness;
  };
}

export async function startOutboundHarness(services: HarnessServices = {}): Promise<OutboundHarness> {
  const owned: Array<{ close(): Promise<void> }> = [];
  const dynamo = services.dynamo ?? (await startDynalite('outbound-dedup'));
  if (services.dynamo === undefined) owned.push(dynamo);
  const salesforce = services.salesforce ?? (await startSalesforceStandIn({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }));
  if (services.salesforce === undefined) owned.push(salesforce);
  // The rep the sample events name may request payments (permission set Stripe_Bridge_Sales).
  salesforce.grantCustomPermission(SAMPLE_REP_ID, 'Stripe_Request_Payment');
  const harness: OutboundHarness = {
    dynamo,
    salesforce,
    stripe: undefined as unknown as StripeStandIn,
    logs: new LogCapture(),
    nowMs: 1_793_491_200_000,
    billings: new BillingStore(dynamo.client, { tableName: dynamo.tableName }),
    app: undefined as unknown as OutboundApp,
    reset() {
      salesforce.setOrganization(DEFAULT_STANDIN_ORGANIZATION);
      salesforce.clearFailures();
      harness.logs.clear();
    },
    coldStart(env = {}, options = {}) {
      const config = loadOutboundConfig({
        DEDUP_TABLE_NAME: dynamo.tableName,
        EVENT_LEASE_SECONDS: '120',
        SALESFORCE_LOGIN_URL: salesforce.url,
        SALESFORCE_CLIENT_ID: services.clientId ?? CLIENT_ID,
        SALESFORCE_CLIENT_SECRET: services.clientSecret ?? CLIENT_SECRET,
        SALESFORCE_API_VERSION: '64.0',
        STRIPE_SECRET_KEY: 'sk_test_fake_outbound',
        STRIPE_API_URL: harness.stripe.url,
        LOG_LEVEL: 'debug',
        ...env,
      });
      harness.app = createOutboundApp({
        config,
        logger: createLogger({ service: 'outbound', level: 'debug', destination: harness.logs }),
        dynamo: dynamo.client,
        // No backoff sleeps in tests: a failed Stripe call surfaces at once.
        stripeOptions: { maxNetworkRetries: 0 },
        now: () => harness.nowMs,
        ...options,
      });
      return harness.app;
    },
    async close() {
      await Promise.all([harness.stripe.close(), ...owned.map((o) => o.close())]);
    },
  };
  (harness as { stripe: StripeStandIn }).stripe = await startStripeStandIn({ now: () => Math.floor(harness.nowMs / 1000) });
  harness.coldStart();
  return harness;
}

export interface SeedOptions {
  readonly account?: Record<string, unknown> | null;
  readonly opportunity?: Record<string, unknown>;
  readonly lines?: ReadonlyArray<Record<string, unknown>>;
}

/** An Account, a Closed Won Opportunity and its products in the Salesforce stand-in. */
export function seedOpportunity(salesforce: SalesforceStandIn, options: SeedOptions = {}): { opportunityId: string; accountId: string | undefined } {
  const accountId =
    options.account === null
      ? undefined
      : salesforce.insert('Account', {
          Name: 'Acme Corp',
          Stripe_Billing_Email__c: 'billing@example.com',
          BillingStreet: '1 Market St\nSuite 100',
          BillingCity: 'San Francisco',
          BillingState: 'CA',
          BillingPostalCode: '94105',
          BillingCountry: 'US',
          ...options.account,
        });
  const opportunityId = salesforce.insert('Opportunity', {
    Name: 'Acme renewal',
    StageName: 'Closed Won',
    CloseDate: '2026-10-30',
    Amount: 1200,
    ...(accountId === undefined ? {} : { AccountId: accountId }),
    ...options.opportunity,
  });
  for (const line of options.lines ?? []) salesforce.insert('OpportunityLineItem', { OpportunityId: opportunityId, ...line });
  return { opportunityId, accountId };
}

/** The EventBridge event Event Relay delivers for one `Stripe_Payment_Request__e`. */
export function paymentRequestEvent(opportunityId: string, options: { mode?: string | null; eventUuid?: string; daysUntilDue?: number | null } = {}) {
  const eventUuid = options.eventUuid ?? randomUUID();
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Stripe_Payment_Request__e',
    source: 'aws.partner/salesforce.com/00DAb0000000001EAA/0YLAb0000000001GAA',
    account: '123456789012',
    time: '2026-11-01T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      payload: {
        Opportunity_Id__c: opportunityId,
        Mode__c: options.mode === undefined ? 'invoice' : options.mode,
        Days_Until_Due__c: options.daysUntilDue ?? null,
        Requested_By__c: '005Ab0000000001AAA',
        CreatedById: '005Ab0000000001AAA',
        // Epoch milliseconds, as Event Relay renders a platform event's system date fields.
        CreatedDate: Date.parse('2026-11-01T00:00:00.000Z'),
        EventUuid: eventUuid,
      },
      schemaId: 'fake_schema_id_0001',
      replayId: '1',
      id: eventUuid,
    },
  };
}
