import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/errors.js';
import { describe, expect, it } from 'vitest';
import { readBridgeSettings, salesforceEventSourceName } from '../../infra/context.js';
import { cdkJsonContext } from './support.js';

const read = (context: Record<string, unknown>) => readBridgeSettings((key) => context[key]);

describe('bridge settings from CDK context', () => {
  it('reads the cdk.json defaults: stage dev, batch 10, concurrency 5, API 64.0, nothing connected', () => {
    const s = read(cdkJsonContext());
    expect(s).toMatchObject({
      stage: 'dev',
      batchSize: 10,
      maxConcurrency: 5,
      salesforceApiVersion: '64.0',
      salesforceLoginUrl: 'https://login.salesforce.com',
      logLevel: 'info',
    });
    expect(s.salesforceOrgId).toBeUndefined();
    expect(s.alarmEmail).toBeUndefined();
    expect(s.stripeWebhookSecretArn).toBeUndefined();
  });

  it('has the same defaults without cdk.json', () => {
    const { stage, batchSize, maxConcurrency, maxBatchingWindowSeconds } = read({});
    expect({ stage, batchSize, maxConcurrency, maxBatchingWindowSeconds }).toEqual({
      stage: 'dev',
      batchSize: 10,
      maxConcurrency: 5,
      maxBatchingWindowSeconds: 1,
    });
  });

  it('gathers queued roll-ups over 5 s by default, 0–300 s when set', () => {
    expect(read({}).rollupBatchingWindowSeconds).toBe(5);
    expect(read({ rollupBatchingWindowSeconds: '30' }).rollupBatchingWindowSeconds).toBe(30);
    expect(() => read({ rollupBatchingWindowSeconds: '301' })).toThrow(/rollupBatchingWindowSeconds/);
  });

  it('accepts -c values, which arrive as strings', () => {
    const s = read({ batchSize: '100', maxBatchingWindowSeconds: '20', maxConcurrency: '2', alarmEmail: ' ops@example.com ' });
    expect(s).toMatchObject({ batchSize: 100, maxBatchingWindowSeconds: 20, maxConcurrency: 2, alarmEmail: 'ops@example.com' });
  });

  it('passes currency overrides only when given (the org is asked otherwise)', () => {
    expect(read({}).stripeDefaultCurrency).toBeUndefined();
    expect(read({}).salesforceMultiCurrency).toBeUndefined();
    expect(read({ stripeDefaultCurrency: 'EUR', salesforceMultiCurrency: 'true' })).toMatchObject({
      stripeDefaultCurrency: 'eur',
      salesforceMultiCurrency: true,
    });
    expect(() => read({ stripeDefaultCurrency: 'euro' })).toThrow(/stripeDefaultCurrency/);
  });

  it('names every offending key at once', () => {
    let message = '';
    try {
      read({ stage: 'Prod!', alarmEmail: 'not-an-email', maxConcurrency: '1', salesforceApiVersion: '64' });
    } catch (err) {
      message = (err as Error).message;
    }
    for (const key of ['stage', 'alarmEmail', 'maxConcurrency', 'salesforceApiVersion']) expect(message).toContain(`${key}:`);
  });

  it('takes the 18-character org id of the partner event source name, not the 15-character one', () => {
    expect(() => read({ salesforceOrgId: '00D5g000004ABCD', salesforceEventChannelId: '0YL5g0000004XyZGAU' })).toThrow(/salesforceOrgId/);
  });

  it('needs the org id and the channel id together', () => {
    expect(() => read({ salesforceOrgId: '00D5g000004ABCDEAZ' })).toThrow(/salesforceEventChannelId/);
    expect(() => read({ salesforceEventChannelId: '0YL5g0000004XyZGAU' })).toThrow(/salesforceOrgId/);
  });

  it("names the channel id's shape, tells a channel name from an event relay id, and reports every key at once", () => {
    const error = (() => {
      try {
        read({ salesforceOrgId: '00D5g000004ABCDEAZ', salesforceEventChannelId: 'Stripe_Bridge__chn', stage: 'Prod!', batchSize: 'ten' });
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.variables).toEqual(expect.arrayContaining(['salesforceEventChannelId', 'stage', 'batchSize']));
    expect(error.message).toMatch(/salesforceEventChannelId: "Stripe_Bridge__chn" is the channel's name; use the event relay's id \(0YL…\)/);
    expect(() => read({ salesforceOrgId: '00D5g000004ABCDEAZ', salesforceEventChannelId: '0YL5g0000004XyZ' })).not.toThrow();
  });

  it('refuses more than 10 messages per batch without a batching window (Lambda would reject it)', () => {
    expect(() => read({ batchSize: 50, maxBatchingWindowSeconds: 0 })).toThrow(/batchSize/);
  });

  it('imports secrets only by complete ARN, so grants need no wildcard', () => {
    expect(() => read({ stripeApiKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:stripe' })).toThrow(
      /stripeApiKeySecretArn/,
    );
    const arn = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:stripe/api-key-AbC123';
    expect(read({ stripeApiKeySecretArn: arn }).stripeApiKeySecretArn).toBe(arn);
  });

  it('builds the partner event source name Salesforce Event Relay creates', () => {
    expect(salesforceEventSourceName('00D5g000004ABCDEAZ', '0YL5g0000004XyZGAU')).toBe('aws.partner/salesforce.com/00D5g000004ABCDEAZ/0YL5g0000004XyZGAU');
  });

  it('reads the retry horizon and refuses one the inbound queue cannot hold', () => {
    expect(read({})).toMatchObject({ retryHorizonHours: 48, retryMaxDelaySeconds: 900 });
    expect(read({ retryHorizonHours: '24', retryMaxDelaySeconds: '600' })).toMatchObject({ retryHorizonHours: 24, retryMaxDelaySeconds: 600 });
    expect(() => read({ retryHorizonHours: '96' })).toThrow(/retryHorizonHours/);
    // 72 hours of one-minute delays need more receives than SQS's maxReceiveCount allows.
    expect(() => read({ retryHorizonHours: '72', retryMaxDelaySeconds: '60' })).toThrow(/retryHorizonHours: needs \d+ receives/);
  });

  it('makes the CDK app (cdk synth) print every bad key and exit 1, without a stack trace', () => {
    // The CDK CLI hands context to the app in CDK_CONTEXT_JSON.
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ salesforceOrgId: '00D5g000004ABCD', salesforceEventChannelId: 'Stripe_Bridge__chn', stage: 'Prod!' }), CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'cdk-out-')) },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    for (const key of ['salesforceOrgId', 'salesforceEventChannelId', 'stage']) expect(run.stderr).toContain(`  ${key}: `);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('reconciler settings from CDK context', () => {
  it('runs every 15 minutes by default, can be rescheduled or turned off', () => {
    expect(read({})).toMatchObject({ reconcileSchedule: 'rate(15 minutes)', reconcileSettleSeconds: 600 });
    expect(read({ reconcileSchedule: 'rate(1 hour)', reconcileSettleSeconds: '900' })).toMatchObject({
      reconcileSchedule: 'rate(1 hour)',
      reconcileSettleSeconds: 900,
    });
    expect(read({ reconcileSchedule: 'off' }).reconcileSchedule).toBe('off');
    expect(() => read({ reconcileSchedule: 'every 15 minutes' })).toThrow(/reconcileSchedule: must be off, rate/);
  });
});

describe('consumerSettings: the consumer\'s behaviour switches', () => {
  it('reads KEY=value pairs from -c and an object from cdk.json, trimmed; none by default', () => {
    expect(read({}).consumerSettings).toEqual({});
    expect(read({ consumerSettings: ' FAILED_PAYMENT_TASKS=off , RENEWAL_TASK_DAYS=14,' }).consumerSettings).toEqual({
      FAILED_PAYMENT_TASKS: 'off',
      RENEWAL_TASK_DAYS: '14',
    });
    expect(read({ consumerSettings: { ONBOARDING_TASKS: 'off', RENEWAL_TASK_DAYS: 3 } }).consumerSettings).toEqual({
      ONBOARDING_TASKS: 'off',
      RENEWAL_TASK_DAYS: '3',
    });
    // Renewal Opportunities for annual terms (off by default) and the stage they start in.
    expect(read({ consumerSettings: 'RENEWAL_OPPORTUNITIES=on,RENEWAL_OPPORTUNITY_STAGE=Qualification' }).consumerSettings).toEqual({
      RENEWAL_OPPORTUNITIES: 'on',
      RENEWAL_OPPORTUNITY_STAGE: 'Qualification',
    });
  });

  it("refuses at synth what the consumer would refuse at every cold start, and names that aren't its switches", () => {
    const problem = (consumerSettings: unknown): string => {
      try {
        read({ consumerSettings });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(problem('FAILED_PAYMENT_TASKS=maybe')).toMatch(/consumerSettings: .*FAILED_PAYMENT_TASKS/);
    expect(problem('RENEWAL_TASK_DAYS=0')).toMatch(/RENEWAL_TASK_DAYS/);
    expect(problem('RENEWAL_OPPORTUNITIES=yes')).toMatch(/RENEWAL_OPPORTUNITIES/);
    expect(problem('RENEWAL_OPPORTUNITY_STAGE= ')).toMatch(/RENEWAL_OPPORTUNITY_STAGE/);
    expect(problem('FAILED_PAYMENT_TASK_OWNER_ID=001000000000001')).toMatch(/user \(005…\) or queue \(00G…\)/);
    // Infrastructure values are the stack's: not overridable this way.
    expect(problem('DEDUP_TABLE_NAME=other')).toMatch(/DEDUP_TABLE_NAME: is not a consumer setting/);
  });
});

