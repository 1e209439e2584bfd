/**
 * Events too large for SQS travel as a reference; the consumer fetches them from Stripe's API
 * (stripe-node over HTTP against the Stripe stand-in) and applies them like any other.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConsumerConfig } from '../../src/config.js';
import { createConsumerApp, type ConsumerApp } from '../../src/inbound/consumer-app.js';
import type { DeadLetterFailure } from '../../src/inbound/ports.js';
import { ATTR, buildInboundMessage } from '../../src/ingress/inbound-message.js';
import { sampleEvent } from '../../src/local/sample-events.js';
import { createLogger } from '../../src/logging.js';
import { startDynalite, type LocalDynamo } from '../support/dynalite.js';
import { LogCapture } from '../support/log-capture.js';
import { startSalesforceStandIn, type SalesforceStandIn } from '../support/salesforce-standin.js';
import { startStripeStandIn, type StripeStandIn } from '../support/stripe-standin.js';

let dynamo: LocalDynamo;
let salesforce: SalesforceStandIn;
let stripe: StripeStandIn;
let app: ConsumerApp;
const deadLetters: DeadLetterFailure[] = [];

beforeAll(async () => {
  [dynamo, salesforce, stripe] = await Promise.all([
    startDynalite(),
    startSalesforceStandIn({ clientId: 'ref-client-fake', clientSecret: 'ref-secret-fake' }),
    startStripeStandIn(),
  ]);
  const config = loadConsumerConfig({
    DEDUP_TABLE_NAME: dynamo.tableName,
    SALESFORCE_LOGIN_URL: salesforce.url,
    SALESFORCE_CLIENT_ID: 'ref-client-fake',
    SALESFORCE_CLIENT_SECRET: 'ref-secret-fake',
    STRIPE_SECRET_KEY: 'sk_test_fake_reference',
    STRIPE_API_URL: stripe.url,
  });
  // No fetchEvent override: the real fetcher built from the config.
  app = createConsumerApp({
    config,
    logger: createLogger({ service: 'consumer', destination: new LogCapture() }),
    dynamo: dynamo.client,
    deadLetter: async (_record, failure) => {
      deadLetters.push(failure);
    },
  });
});
afterAll(async () => {
  await Promise.all([dynamo.close(), salesforce.close(), stripe.close()]);
});
beforeEach(() => {
  deadLetters.length = 0;
});

/** The message the ingress sends for an event over the size limit. */
function referenceRecord(event: ReturnType<typeof sampleEvent>, messageId: string) {
  const message = buildInboundMessage(
    JSON.stringify(event),
    { id: event.id, type: event.type, created: event.created, livemode: event.livemode, apiVersion: event.api_version ?? undefined },
    0,
  );
  expect(message.kind).toBe('reference');
  return {
    messageId,
    body: message.MessageBody,
    receiveCount: 1,
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes).map(([name, value]) => [name, { stringValue: value.StringValue, dataType: value.DataType }]),
    ),
  };
}

describe('events that travelled as a reference', () => {
  it('fetches the event from Stripe and applies it', async () => {
    const event = sampleEvent('payment_intent.succeeded', { id: 'evt_test_reference_ok', objectId: 'pi_test_reference_ok', metadata: {} });
    stripe.registerEvent(event);
    const summary = await app.handle([referenceRecord(event, 'm-ref-1')]);
    expect([...summary.outcomes.values()]).toEqual(['applied']);
    expect(stripe.requests.some((r) => r.method === 'GET' && r.path === '/v1/events/evt_test_reference_ok')).toBe(true);
    expect(salesforce.records('Stripe_Payment__c').find((r) => r['Stripe_Id__c'] === 'pi_test_reference_ok')).toMatchObject({ Status__c: 'Succeeded' });
  });

  it('dead-letters a reference to an event Stripe does not know, with the reason', async () => {
    const event = sampleEvent('invoice.paid', { id: 'evt_test_reference_missing' });
    const record = referenceRecord(event, 'm-ref-2');
    const summary = await app.handle([record]);
    expect(summary.outcomes.get('m-ref-2')).toBe('dead_lettered');
    expect(deadLetters[0]).toMatchObject({ code: 'STRIPE_INVALID_REQUEST' });
    expect(record.messageAttributes[ATTR.payload]?.stringValue).toBe('reference');
  });

  it('retries when Stripe is unavailable', async () => {
    const event = sampleEvent('payment_intent.succeeded', { id: 'evt_test_reference_retry', objectId: 'pi_test_reference_retry', metadata: {} });
    stripe.registerEvent(event);
    // stripe-node retries 5xx itself (maxNetworkRetries 2): fail more often than that.
    stripe.failNextRequests(3, 500, { type: 'api_error', path: /\/v1\/events\// });
    const first = await app.handle([referenceRecord(event, 'm-ref-3')]);
    expect(first.response.batchItemFailures).toEqual([{ itemIdentifier: 'm-ref-3' }]);
    expect(deadLetters).toHaveLength(0);
    const second = await app.handle([{ ...referenceRecord(event, 'm-ref-3'), receiveCount: 2 }]);
    expect([...second.outcomes.values()]).toEqual(['applied']);
  });
});
