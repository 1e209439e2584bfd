import * as z from 'zod/mini';
import { describe, expect, it } from 'vitest';
import { LOG_LEVELS } from '../../src/config-problems.js';
import { ConfigError } from '../../src/errors.js';
import { loadIngressConfig } from '../../src/ingress/config.js';

/**
 * The ingress section used to be this zod schema (src/config.ts before the ingress dropped zod for
 * its cold start). The hand-written reader must accept, default and refuse exactly as it did.
 */
const optionalText = z.pipe(
  z.optional(z.string().check(z.trim())),
  z.transform((v: string | undefined) => (v === '' ? undefined : v)),
);
const positiveInt = (fallback: number) => z._default(z.pipe(z.coerce.number(), z.int().check(z.positive())), fallback);
const csv = z.pipe(
  z.optional(z.string()),
  z.transform((v: string | undefined) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  ),
);
const zodSchema = z.object({
  LOG_LEVEL: z._default(z.enum(LOG_LEVELS), 'info'),
  STRIPE_WEBHOOK_SECRET: csv,
  STRIPE_WEBHOOK_SECRET_ARN: optionalText,
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: positiveInt(300),
  STRIPE_HANDLED_EVENT_TYPES: csv,
  INBOUND_QUEUE_URL: z.url(),
  WEBHOOK_MAX_BODY_BYTES: positiveInt(1024 * 1024),
  SQS_MAX_MESSAGE_BYTES: positiveInt(256 * 1024),
});

const VALUES: Record<string, ReadonlyArray<string | undefined>> = {
  LOG_LEVEL: [undefined, 'debug', 'silent', 'loud', '', 'INFO'],
  STRIPE_WEBHOOK_SECRET: ['whsec_test_fake_a', ' whsec_test_fake_a , whsec_test_fake_b ,'],
  STRIPE_WEBHOOK_SECRET_ARN: [undefined, '', '  ', ' arn:aws:secretsmanager:us-east-1:000000000000:secret:x '],
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: [undefined, '300', ' 60 ', '0', '-5', '1.5', 'soon', '', '1e3', 'Infinity', '9007199254740993'],
  INBOUND_QUEUE_URL: [undefined, 'https://sqs.us-east-1.amazonaws.com/000000000000/inbound', '  http://localhost:9324/q\t', 'not a url', ''],
  WEBHOOK_MAX_BODY_BYTES: [undefined, '1024', 'x', '0x10'],
  SQS_MAX_MESSAGE_BYTES: [undefined, '262144', '-1'],
};

describe('ingress configuration without zod', () => {
  it('accepts, defaults and refuses each variable exactly as the zod schema did', () => {
    let refused = 0;
    for (const [name, values] of Object.entries(VALUES)) {
      for (const value of values) {
        const env = { STRIPE_WEBHOOK_SECRET: 'whsec_test_fake_a', INBOUND_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/0/q', [name]: value };
        const expected = zodSchema.safeParse(env);
        let config: ReturnType<typeof loadIngressConfig> | undefined;
        let error: ConfigError | undefined;
        try {
          config = loadIngressConfig(env);
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          error = err;
        }
        const label = `${name}=${JSON.stringify(value)}`;
        if (!expected.success) {
          refused++;
          expect(error?.variables, label).toEqual([...new Set(expected.error.issues.map((i) => String(i.path[0])))]);
          continue;
        }
        expect(error, label).toBeUndefined();
        const v = expected.data;
        expect(config, label).toEqual({
          logLevel: v.LOG_LEVEL,
          webhookSecrets: v.STRIPE_WEBHOOK_SECRET,
          webhookSecretArn: v.STRIPE_WEBHOOK_SECRET_ARN,
          toleranceSeconds: v.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
          handledEventTypes: config?.handledEventTypes,
          queueUrl: v.INBOUND_QUEUE_URL,
          maxBodyBytes: v.WEBHOOK_MAX_BODY_BYTES,
          maxMessageBytes: v.SQS_MAX_MESSAGE_BYTES,
        });
      }
    }
    // Both answers exercised, or the comparison proves little.
    expect(refused).toBeGreaterThan(10);
  });

  it('reports a missing queue URL as required and lists the problems in the order of the variables', () => {
    const err = (() => {
      try {
        loadIngressConfig({ LOG_LEVEL: 'loud', STRIPE_WEBHOOK_TOLERANCE_SECONDS: '0' });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(err.variables).toEqual(['STRIPE_WEBHOOK_SECRET', 'LOG_LEVEL', 'STRIPE_WEBHOOK_TOLERANCE_SECONDS', 'INBOUND_QUEUE_URL']);
    expect(err.message).toMatch(/^Invalid ingress configuration \(4 variables\):\n/);
    expect(err.message).toContain('  INBOUND_QUEUE_URL: is required');
  });
});
