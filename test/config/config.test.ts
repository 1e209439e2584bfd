import { describe, expect, it } from 'vitest';
import { checkConsumerBehaviour, loadConsumerConfig, loadIngressConfig, loadOutboundConfig, loadRollupWriterConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const ingressEnv = {
  STRIPE_WEBHOOK_SECRET: 'whsec_test_fake_a, whsec_test_fake_b',
  INBOUND_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/inbound',
};

function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('reads the ingress section with defaults and rotation secrets', () => {
    const config = loadIngressConfig(ingressEnv);
    expect(config.webhookSecrets).toEqual(['whsec_test_fake_a', 'whsec_test_fake_b']);
    expect(config.toleranceSeconds).toBe(300);
    expect(config.handledEventTypes.has('invoice.paid')).toBe(true);
    expect(config.maxMessageBytes).toBe(262_144);
  });

  it('names every offending variable in one message', () => {
    const err = configError(() =>
      loadIngressConfig({ STRIPE_WEBHOOK_TOLERANCE_SECONDS: 'soon', LOG_LEVEL: 'loud', INBOUND_QUEUE_URL: 'not a url' }),
    );
    expect([...err.variables].sort()).toEqual(['INBOUND_QUEUE_URL', 'LOG_LEVEL', 'STRIPE_WEBHOOK_SECRET', 'STRIPE_WEBHOOK_TOLERANCE_SECONDS']);
    for (const name of err.variables) expect(err.message).toContain(name);
  });

  it('rejects secrets that are not webhook signing secrets and event types without a mapper', () => {
    expect(configError(() => loadIngressConfig({ ...ingressEnv, STRIPE_WEBHOOK_SECRET: 'sk_test_fake' })).variables).toEqual(['STRIPE_WEBHOOK_SECRET']);
    expect(
      configError(() => loadIngressConfig({ ...ingressEnv, STRIPE_HANDLED_EVENT_TYPES: 'invoice.paid,payout.paid' })).message,
    ).toContain('payout.paid');
  });

  it('refuses a bare whsec_ (an empty HMAC key) and a Stripe key of no known shape, in every function', () => {
    expect(configError(() => loadIngressConfig({ ...ingressEnv, STRIPE_WEBHOOK_SECRET: 'whsec_test_fake_a,whsec_' })).message).toMatch(
      /STRIPE_WEBHOOK_SECRET: a bare whsec_ is not a secret/,
    );
    const base = { DEDUP_TABLE_NAME: 'dedup', INBOUND_QUEUE_URL: ingressEnv.INBOUND_QUEUE_URL };
    for (const load of [loadConsumerConfig, loadOutboundConfig]) {
      expect(configError(() => load({ ...base, STRIPE_SECRET_KEY: 'foo' })).variables).toEqual(['STRIPE_SECRET_KEY']);
      expect(load({ ...base, STRIPE_SECRET_KEY: 'rk_test_fake_key' }).stripe.secretKey).toBe('rk_test_fake_key');
    }
  });

  it('refuses jsforce-era Salesforce API versions', () => {
    const err = configError(() => loadConsumerConfig({ DEDUP_TABLE_NAME: 't', SALESFORCE_API_VERSION: '50.0' }));
    expect(err.variables).toEqual(['SALESFORCE_API_VERSION']);
  });

  it('keeps the dedup window at least 30 days and defaults the rest', () => {
    expect(configError(() => loadOutboundConfig({ DEDUP_TABLE_NAME: 't', DEDUP_TTL_DAYS: '7' })).variables).toEqual(['DEDUP_TTL_DAYS']);
    const config = loadOutboundConfig({ DEDUP_TABLE_NAME: 't', INBOUND_DLQ_URL: '' });
    expect(config.salesforce).toMatchObject({ loginUrl: 'https://login.salesforce.com', apiVersion: '64.0' });
    expect(config.dedup).toEqual({ tableName: 't', leaseSeconds: 120, ttlDays: 35 });
  });

  it('reads the retry policy, derives maxReceiveCount from it, and refuses policies SQS cannot run', () => {
    const config = loadConsumerConfig({ DEDUP_TABLE_NAME: 't' });
    expect(config.retry.policy).toEqual({ baseDelaySeconds: 10, maxDelaySeconds: 900, horizonSeconds: 48 * 3600 });
    expect(config.maxReceiveCount).toBe(config.retry.maxReceiveCount);
    expect(config.maxReceiveCount).toBeGreaterThan(300);
    expect(loadConsumerConfig({ DEDUP_TABLE_NAME: 't', MAX_RECEIVE_COUNT: '480' }).maxReceiveCount).toBe(480);

    expect(configError(() => loadConsumerConfig({ DEDUP_TABLE_NAME: 't', RETRY_MAX_DELAY_SECONDS: '50000' })).variables).toEqual(['RETRY_MAX_DELAY_SECONDS']);
    expect(configError(() => loadConsumerConfig({ DEDUP_TABLE_NAME: 't', RETRY_MAX_DELAY_SECONDS: '60' })).variables).toEqual(['RETRY_HORIZON_HOURS']);
  });

  it('renewal Opportunities: off by default; on, in the stage RENEWAL_OPPORTUNITY_STAGE names (default Prospecting)', () => {
    expect(loadConsumerConfig({ DEDUP_TABLE_NAME: 't' }).renewalOpportunities).toBeUndefined();
    expect(loadConsumerConfig({ DEDUP_TABLE_NAME: 't', RENEWAL_OPPORTUNITIES: 'on' }).renewalOpportunities).toEqual({ stage: 'Prospecting' });
    expect(loadConsumerConfig({ DEDUP_TABLE_NAME: 't', RENEWAL_OPPORTUNITIES: 'on', RENEWAL_OPPORTUNITY_STAGE: ' Renewal ' }).renewalOpportunities).toEqual({ stage: 'Renewal' });
    expect(configError(() => loadConsumerConfig({ DEDUP_TABLE_NAME: 't', RENEWAL_OPPORTUNITIES: 'true' })).variables).toEqual(['RENEWAL_OPPORTUNITIES']);
  });

  it('asks Salesforce for the currencies unless STRIPE_DEFAULT_CURRENCY or SALESFORCE_MULTI_CURRENCY override them', () => {
    expect(loadOutboundConfig({ DEDUP_TABLE_NAME: 't' }).currencyOverrides).toEqual({ defaultCurrency: undefined, multiCurrency: undefined });
    expect(loadOutboundConfig({ DEDUP_TABLE_NAME: 't', STRIPE_DEFAULT_CURRENCY: '', SALESFORCE_MULTI_CURRENCY: '' }).currencyOverrides).toEqual({
      defaultCurrency: undefined,
      multiCurrency: undefined,
    });
    expect(loadOutboundConfig({ DEDUP_TABLE_NAME: 't', STRIPE_DEFAULT_CURRENCY: 'JPY', SALESFORCE_MULTI_CURRENCY: 'false' }).currencyOverrides).toEqual({
      defaultCurrency: 'jpy',
      multiCurrency: false,
    });
    expect(configError(() => loadOutboundConfig({ DEDUP_TABLE_NAME: 't', STRIPE_DEFAULT_CURRENCY: 'euro', SALESFORCE_MULTI_CURRENCY: 'yes' })).variables.toSorted()).toEqual([
      'SALESFORCE_MULTI_CURRENCY',
      'STRIPE_DEFAULT_CURRENCY',
    ]);
  });

  it('queues roll-up writes when the roll-up queue is set, unless ROLLUP_WRITES=inline; queued without a queue is refused', () => {
    const queue = 'https://sqs.us-east-1.amazonaws.com/000000000000/rollups';
    expect(loadConsumerConfig({ DEDUP_TABLE_NAME: 't' }).rollupQueueUrl).toBeUndefined();
    expect(loadConsumerConfig({ DEDUP_TABLE_NAME: 't', ROLLUP_QUEUE_URL: queue }).rollupQueueUrl).toBe(queue);
    expect(loadConsumerConfig({ DEDUP_TABLE_NAME: 't', ROLLUP_QUEUE_URL: queue, ROLLUP_WRITES: 'inline' }).rollupQueueUrl).toBeUndefined();
    expect(configError(() => loadConsumerConfig({ DEDUP_TABLE_NAME: 't', ROLLUP_WRITES: 'queued' })).variables).toEqual(['ROLLUP_WRITES']);
    expect(configError(() => loadConsumerConfig({ DEDUP_TABLE_NAME: 't', ROLLUP_WRITES: 'later' })).variables).toEqual(['ROLLUP_WRITES']);
    expect(() => checkConsumerBehaviour({ ROLLUP_WRITES: 'inline' })).not.toThrow();
    expect(configError(() => checkConsumerBehaviour({ ROLLUP_WRITES: 'sometimes' })).variables).toEqual(['ROLLUP_WRITES']);
    expect(loadRollupWriterConfig({}).salesforce.apiVersion).toBe('64.0');
  });

  it("reads the roll-up writer's DLQ (ROLLUP_DLQ_URL): unset on an older deployment, refused when not a URL", () => {
    const dlq = 'https://sqs.us-east-1.amazonaws.com/000000000000/rollups-dlq';
    expect(loadRollupWriterConfig({}).dlqUrl).toBeUndefined();
    expect(loadRollupWriterConfig({ ROLLUP_DLQ_URL: dlq }).dlqUrl).toBe(dlq);
    expect(configError(() => loadRollupWriterConfig({ ROLLUP_DLQ_URL: 'rollups-dlq' })).variables).toEqual(['ROLLUP_DLQ_URL']);
  });
});
