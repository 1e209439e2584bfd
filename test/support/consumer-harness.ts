/**
 * The consumer wired as in Lambda, against local services: dynalite for DynamoDB, jsforce over
 * HTTP to the Salesforce stand-in, an in-memory dead-letter list, and a clock the test moves.
 */
import type Stripe from 'stripe';
import { loadConsumerConfig } from '../../src/config.js';
import { buildInboundMessage } from '../../src/ingress/inbound-message.js';
import { createConsumerApp, type ConsumerApp, type ConsumerAppDeps } from '../../src/inbound/consumer-app.js';
import type { DeadLetterFailure, InboundRecord } from '../../src/inbound/ports.js';
import { createLogger } from '../../src/logging.js';
import { SAMPLE_CUSTOMER_ID } from '../../src/local/sample-events.js';
import { startDynalite, type LocalDynamo } from '../../src/local/standins/dynalite.js';
import { startSalesforceStandIn, type SalesforceStandIn } from '../../src/local/standins/salesforce-standin.js';
import { billOpportunity, type TestBill } from './billing.js';
import { LogCapture } from './log-capture.js';

export const CLIENT_ID = 'fake-client-id';
export const CLIENT_SECRET = 'fake-client-secret';

export interface DeadLettered {
  readonly record: InboundRecord;
  readonly failure: DeadLetterFailure;
}

export interface ConsumerHarness {
  readonly dynamo: LocalDynamo;
  readonly salesforce: SalesforceStandIn;
  readonly deadLetters: DeadLettered[];
  readonly logs: LogCapture;
  app: ConsumerApp;
  /** Milliseconds since the epoch as the consumer sees it. */
  nowMs: number;
  /**
   * Bills an Opportunity as the outbound flow would: by invoice, or by payment link whose
   * Checkout Sessions created these PaymentIntents (what Stripe's session list would answer).
   */
  bill(opportunityId: string, bill: TestBill & { readonly paymentIntents?: readonly string[] }): Promise<void>;
  /** A fresh execution environment (cold start): new session, same services. */
  coldStart(options?: Pick<ConsumerAppDeps, 'wrapStore' | 'changeVisibility' | 'rollupSink'>): ConsumerApp;
  close(): Promise<void>;
}

let messageCounter = 0;

/** An SQS record carrying the event the way the ingress enqueues it. */
export function inboundRecord(
  event: Stripe.Event,
  options: { receiveCount?: number; messageId?: string; asReference?: boolean; sentAt?: number; receiptHandle?: string } = {},
): InboundRecord {
  const json = JSON.stringify(event);
  const message = buildInboundMessage(
    json,
    { id: event.id, type: event.type, created: event.created, livemode: event.livemode, apiVersion: event.api_version ?? undefined },
    options.asReference === true ? 0 : 256 * 1024,
  );
  const messageAttributes = Object.fromEntries(
    Object.entries(message.MessageAttributes).map(([name, value]) => [name, { stringValue: value.StringValue, dataType: value.DataType }]),
  );
  messageCounter += 1;
  return {
    messageId: options.messageId ?? `msg-${messageCounter}`,
    body: message.MessageBody,
    receiveCount: options.receiveCount ?? 1,
    messageAttributes,
    ...(options.sentAt === undefined ? {} : { sentAt: options.sentAt }),
    ...(options.receiptHandle === undefined ? {} : { receiptHandle: options.receiptHandle }),
  };
}

/** `env`: consumer variables on top of the harness's own (e.g. ACCOUNT_ROLLUPS=off to count only event writes). */
export async function startConsumerHarness(options: { readonly env?: Readonly<Record<string, string>> } = {}): Promise<ConsumerHarness> {
  const dynamo = await startDynalite();
  const salesforce = await startSalesforceStandIn({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  // The customer of the sample events has an Account, as a linked customer would.
  salesforce.insert('Account', { Name: 'Sample Account', Stripe_Customer_Id__c: SAMPLE_CUSTOMER_ID });
  const config = loadConsumerConfig({
    DEDUP_TABLE_NAME: dynamo.tableName,
    SALESFORCE_LOGIN_URL: salesforce.url,
    SALESFORCE_CLIENT_ID: CLIENT_ID,
    SALESFORCE_CLIENT_SECRET: CLIENT_SECRET,
    SALESFORCE_API_VERSION: '64.0',
    EVENT_LEASE_SECONDS: '60',
    LOG_LEVEL: 'debug',
    ...options.env,
  });
  const deadLetters: DeadLettered[] = [];
  const logs = new LogCapture();
  const linkOfIntent = new Map<string, string>();
  const harness: ConsumerHarness = {
    dynamo,
    salesforce,
    deadLetters,
    logs,
    nowMs: 1_767_225_600_000,
    app: undefined as unknown as ConsumerApp,
    async bill(opportunityId, bill) {
      await billOpportunity(dynamo, opportunityId, bill);
      for (const pi of bill.paymentIntents ?? []) linkOfIntent.set(pi, bill.stripeObjectId);
    },
    coldStart(options = {}) {
      harness.app = createConsumerApp({
        ...options,
        config,
        logger: createLogger({ service: 'consumer', level: 'debug', destination: logs }),
        dynamo: dynamo.client,
        deadLetter: async (record, failure) => {
          deadLetters.push({ record, failure });
        },
        fetchEvent: async () => {
          throw new Error('no reference events in this harness');
        },
        paymentLinkOfIntent: async (pi) => linkOfIntent.get(pi) ?? null,
        now: () => harness.nowMs,
      });
      return harness.app;
    },
    async close() {
      await Promise.all([dynamo.close(), salesforce.close()]);
    },
  };
  harness.coldStart();
  return harness;
}
