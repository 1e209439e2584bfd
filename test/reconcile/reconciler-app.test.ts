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
});
