/**
 * The reconciler as the Lambda wires it (configuration from the environment, Stripe through the
 * configured key, SQS through the client it is given) against the stand-ins.
 */
import type { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadReconcilerConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { createLogger } from '../../src/logging.js';
import { SAMPLE_ACCOUNT_ID, sampleEvent } from '../../src/local/sample-events.js';
import { createReconcilerApp } from '../../src/reconcile/reconciler-app.js';
import { dynamoDeadLetterLog } from '../../src/sync-log/dead-letter-log.js';
import { LogCapture } from '../support/log-capture.js';
import { startReconcileHarness, type ReconcileHarness } from './support.js';

let h: ReconcileHarness;
beforeEach(async () => {
  h = await startReconcileHarness();
});
afterEach(async () => {
  await h.close();
});

describe('reconciler app', () => {
  it('logs one line per run with the figures the metric filters read', async () => {
    const now = Math.floor(h.consumer.nowMs / 1000);
    for (let i = 0; i < 3; i++) {
      h.stripe.registerEvent(sampleEvent('invoice.paid', { created: now - 3_600 + i, objectId: `in_app_${i}`, metadata: { salesforce_account_id: SAMPLE_ACCOUNT_ID } }));
    }
    const sent: SendMessageCommand[] = [];
    const logs = new LogCapture();
    const config = loadReconcilerConfig({
      DEDUP_TABLE_NAME: h.consumer.dynamo.tableName,
      INBOUND_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111122223333/inbound',
      STRIPE_SECRET_KEY: h.stripe.restrictedKey({ event: 'read' }),
      STRIPE_API_URL: h.stripe.url,
    });
    const app = createReconcilerApp({
      config,
      logger: createLogger({ service: 'reconciler', destination: logs }),
      dynamo: h.consumer.dynamo.client,
      sqs: {
        send: async (command) => {
          sent.push(command);
          return { MessageId: `m${sent.length}`, $metadata: {} };
        },
      },
      now: () => h.consumer.nowMs,
    });

    await app.reconcile(h.consumer.nowMs + 60_000);

    expect(sent.map((c) => c.input.QueueUrl)).toEqual(Array(3).fill(config.queueUrl));
    expect(logs.withOutcome('reconciled')).toEqual([
      expect.objectContaining({ eventsRecovered: 3, eventsScanned: 3, complete: true, checkpointLagSeconds: 600, stripeListCalls: 2 }),
    ]);
    expect(logs.withOutcome('recovered')).toHaveLength(3);
  });

  it('needs a Stripe key and only the event types the bridge maps', () => {
    const base = { DEDUP_TABLE_NAME: 't', INBOUND_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/q' };
    expect(() => loadReconcilerConfig(base)).toThrow(ConfigError);
    expect(() => loadReconcilerConfig({ ...base, STRIPE_SECRET_KEY: 'rk_test_x', STRIPE_HANDLED_EVENT_TYPES: 'balance.available' })).toThrow(
      /STRIPE_HANDLED_EVENT_TYPES: the bridge has no mapper for balance.available/,
    );
    expect(loadReconcilerConfig({ ...base, STRIPE_SECRET_KEY_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:k-AbCdEf' })).toMatchObject({
      settleSeconds: 600,
      initialLookbackSeconds: 86_400,
      maxPages: 50,
    });
  });

  describe('housekeeping', () => {
    const SOURCE = 'aws.partner/salesforce.com/00D5g000004ABCDEAZ/0YLabc123';
    const housekeeping = (env: Record<string, string> = {}) => {
      const logs = new LogCapture();
      const app = createReconcilerApp({
        config: loadReconcilerConfig({
          DEDUP_TABLE_NAME: h.consumer.dynamo.tableName,
          INBOUND_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111122223333/inbound',
          STRIPE_SECRET_KEY: 'rk_test_fake_unused',
          SALESFORCE_API_VERSION: '64.0',
          ...env,
        }),
        logger: createLogger({ service: 'reconciler', destination: logs }),
        dynamo: h.consumer.dynamo.client,
        sqs: { send: async () => ({ $metadata: {} }) },
        salesforceSession: h.consumer.app.session,
        now: () => h.consumer.nowMs,
      });
      return { logs, run: () => app.housekeeping() };
    };
    const relay = (fields: Record<string, unknown>) =>
      h.consumer.salesforce.insert('EventRelayFeedback', { RemoteResource: SOURCE, ErrorCode: null, ErrorMessage: null, ErrorTime: null, ...fields });

    it('reads the Event Relay: RUNNING is healthy, STOPPED or ERROR pages (one line per run for the metric)', async () => {
      relay({ Status: 'RUNNING', LastRelayedEventTime: new Date(h.consumer.nowMs - 90_000).toISOString() });
      const running = housekeeping({ EVENT_RELAY_SOURCE_NAME: SOURCE });
      expect((await running.run()).relay).toMatchObject({ status: 'RUNNING', healthy: true, lastRelayedEventAgeSeconds: 90 });
      expect(running.logs.withOutcome('relay_checked')).toEqual([expect.objectContaining({ relayStatus: 'RUNNING', relayUnhealthy: 0 })]);

      const other = housekeeping({ EVENT_RELAY_SOURCE_NAME: `${SOURCE}x` });
      expect((await other.run()).relay).toMatchObject({ status: 'NOT_FOUND', healthy: false });
    });

    it('reports a stopped relay with its error', async () => {
      relay({ Status: 'ERROR', ErrorCode: 'RELAY_FAILURE', ErrorMessage: 'The partner event source is not associated', ErrorTime: '2025-12-31T23:00:00.000Z', LastRelayedEventTime: null });
      const erroring = housekeeping({ EVENT_RELAY_SOURCE_NAME: SOURCE });
      await erroring.run();
      expect(erroring.logs.withOutcome('relay_checked')).toEqual([
        expect.objectContaining({ level: 'error', relayStatus: 'ERROR', relayUnhealthy: 1, relayErrorCode: 'RELAY_FAILURE', relayErrorMessage: 'The partner event source is not associated' }),
      ]);
      // Without a relay configured, nothing is read.
      const none = housekeeping();
      expect((await none.run()).relay).toBeUndefined();
      expect(none.logs.withOutcome('relay_checked')).toEqual([]);
    });

    it('writes the sync logs of dead-lettered events', async () => {
      await dynamoDeadLetterLog(h.consumer.dynamo.client, h.consumer.dynamo.tableName).record({
        eventId: 'evt_housekeeping_1',
        eventType: 'invoice.paid',
        created: 1_767_000_000,
        livemode: false,
        objectId: 'in_hk',
        recordId: undefined,
        records: [],
        code: 'SALESFORCE_DUPLICATE_VALUE',
        reason: 'duplicate value found',
        message: 'Another record already holds a value that must be unique (duplicate value found). Remove or merge the duplicate, then retry.',
        failedAt: h.consumer.nowMs,
      });
      const run = housekeeping();
      expect((await run.run()).syncLogs).toMatchObject({ open: 1, written: 1 });
      expect(h.consumer.salesforce.records('Stripe_Sync_Log__c')).toEqual([expect.objectContaining({ Event_Id__c: 'evt_housekeeping_1', Status__c: 'Failed' })]);
      expect(run.logs.withOutcome('sync_logs_flushed')).toEqual([expect.objectContaining({ openFailures: 1, logsWritten: 1 })]);
    });
  });
});
