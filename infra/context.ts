/**
 * Deployment settings from CDK context (`cdk.json` defaults, `-c key=value` overrides), validated
 * once so a typo fails the synth with every offending key named, not a half-built stack.
 */
import * as z from 'zod';
import { checkConsumerBehaviour } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../src/resilience/retry-schedule.js';
import { consumerVisibilitySeconds } from './constructs/inbound-pipeline.js';
import { OUTBOUND_VISIBILITY_SECONDS } from './constructs/outbound-flow.js';
import { redriveMaxReceiveCount } from './constructs/queues.js';

/** Values given with `-c` arrive as strings; blank means "not set". */
const optionalText = z
  .union([z.string(), z.undefined(), z.null()])
  .transform((v) => (v === null || v === undefined || v.trim() === '' ? undefined : v.trim()));

const intIn = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

/** A full Secrets Manager ARN (with the random 6-character suffix) so grants need no wildcard. */
const secretArn = optionalText.refine(
  (v) => v === undefined || /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/.test(v),
  'must be the complete secret ARN, including the 6-character suffix (arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf)',
);

/** CloudWatch Logs accepts only these retention periods. */
/** `KEY=value,KEY=value` (a -c value) or `{ "KEY": "value" }` (cdk.json) as one record of strings. */
const consumerSettingsSchema = z
  .union([z.string(), z.record(z.string(), z.union([z.string(), z.number()])), z.undefined(), z.null()])
  .transform((v, ctx): Record<string, string> => {
    const pairs: Array<[string, string]> =
      v === undefined || v === null
        ? []
        : typeof v === 'string'
          ? v
              .split(',')
              .map((part) => part.trim())
              .filter((part) => part !== '')
              .map((part) => {
                const at = part.indexOf('=');
                return at < 0 ? [part, ''] : [part.slice(0, at).trim(), part.slice(at + 1).trim()];
              })
          : Object.entries(v).map(([name, value]) => [name, String(value)]);
    const settings = Object.fromEntries(pairs);
    try {
      checkConsumerBehaviour(settings);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof ConfigError ? err.message.split('\n').slice(1).map((l) => l.trim()).join('; ') : String(err) });
    }
    return settings;
  });

const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

const contextSchema = z
  .object({
    stage: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,19}$/, 'lower-case letters, digits and dashes, at most 20 characters')
      .default('dev'),
    salesforceOrgId: optionalText.refine(
      // The partner event source name carries the 18-character id, not Setup's 15-character one.
      (v) => v === undefined || /^00D[A-Za-z0-9]{15}$/.test(v),
      'must be the 18-character org id (00D…) shown in the partner event source name',
    ),
    salesforceEventChannelId: optionalText.superRefine((v, ctx) => {
      // The partner event source is aws.partner/salesforce.com/<org id>/<event relay id>: the
      // event relay's record id (0YL…, 15 or 18 characters), not the channel's name (…__chn).
      if (v === undefined || /^0YL[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/.test(v)) return;
      ctx.addIssue({
        code: 'custom',
        message: v.endsWith('__chn') || v.endsWith('_chn')
          ? `"${v}" is the channel's name; use the event relay's id (0YL…), the last segment of the Partner Event Source Name on the event relay's page`
          : "must be the event relay's id (0YL…, 15 or 18 characters), the last segment of the Partner Event Source Name on the event relay's page",
      });
    }),
    alarmEmail: optionalText.refine((v) => v === undefined || z.email().safeParse(v).success, 'must be an email address'),
    batchSize: intIn(1, 10_000, 10),
    /**
     * 1 s: a lone event waits at most a second for company, and from about 10 events/s batches
     * fill before the window ends (README "Performance": latency against Salesforce API calls).
     */
    maxBatchingWindowSeconds: intIn(0, 300, 1),
    /**
     * How long the roll-up writer gathers queued Account roll-ups (ROLLUP_WRITES=queued) before it
     * writes them in one Salesforce request: the figures' extra lag behind the events (0–300).
     */
    rollupBatchingWindowSeconds: intIn(0, 300, 5),
    /** SQS event sources accept 2–1000. */
    maxConcurrency: intIn(2, 1000, 5),
    /**
     * Payment requests in flight at once. Each makes up to about 8 Stripe calls in a row, so 2 stay
     * well inside Stripe's 25 (test mode) and 100 (live mode) requests per second.
     */
    outboundMaxConcurrency: intIn(2, 1000, 2),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Alarm when the oldest inbound event or payment request has waited this long, retries included. */
    backlogAlarmMinutes: intIn(1, 1440, 15),
    /** Webhook rejections of one cause (bad signature, stale timestamp, oversized body) in 15 minutes that page. */
    webhookRejectionAlarmThreshold: intIn(1, 10_000, 1),
    /** Hours without any Stripe event before NoStripeEvents pages (0: never; CloudWatch allows 168). */
    stripeSilenceHours: intIn(0, 168, 24),
    /** Hours without a relayed payment request before EventRelaySilent pages (0: never). */
    eventRelaySilenceHours: intIn(0, 168, 48),
    /** The CloudWatch dashboard: 3 USD a month beyond an account's first 3 dashboards. */
    dashboard: z
      .union([z.boolean(), z.enum(['true', 'false'])])
      .default(false)
      .transform((v) => v === true || v === 'true'),
    /** X-Ray for every function: off by default (cost), `active` while investigating (see bridge-function.ts). */
    tracing: z.enum(['active', 'passThrough', 'disabled']).default('disabled'),
    logRetentionDays: z.coerce
      .number()
      .int()
      .refine((d) => RETENTION_DAYS.includes(d), `must be one of ${RETENTION_DAYS.join(', ')}`)
      .default(30),
    /**
     * The consumer's behaviour switches (src/config.ts CONSUMER_BEHAVIOUR_VARIABLES), e.g.
     * `-c consumerSettings=FAILED_PAYMENT_TASKS=off,RENEWAL_TASK_DAYS=14`, or an object in cdk.json;
     * unset ones keep the consumer's defaults. Checked here with the consumer's own rules.
     */
    consumerSettings: consumerSettingsSchema,
    salesforceLoginUrl: z.url().default('https://login.salesforce.com'),
    salesforceApiVersion: z
      .string()
      .regex(/^\d{2,3}\.0$/, 'must look like 64.0')
      .default('64.0'),
    stripeDaysUntilDue: intIn(1, 365, 30),
    /**
     * Overrides only: the outbound function reads the org's currencies from Salesforce (describe of
     * Opportunity, Organization.DefaultCurrencyIsoCode). Unset (the default) passes nothing.
     */
    stripeDefaultCurrency: z
      .string()
      .regex(/^[A-Za-z]{3}$/, 'must be an ISO 4217 code such as usd')
      .transform((v) => v.toLowerCase())
      .optional(),
    salesforceMultiCurrency: z
      .union([z.boolean(), z.enum(['true', 'false'])])
      .transform((v) => v === true || v === 'true')
      .optional(),
    webhookRateLimit: intIn(1, 10_000, 50),
    webhookBurstLimit: intIn(1, 5_000, 100),
    /** Transient failures are retried with backoff for this long, then dead-lettered. */
    retryHorizonHours: intIn(1, 72, DEFAULT_RETRY_POLICY.horizonSeconds / 3600),
    /** The longest backoff between two attempts (SQS allows 12 hours). */
    retryMaxDelaySeconds: intIn(60, 43_200, DEFAULT_RETRY_POLICY.maxDelaySeconds),
    /** EventBridge Scheduler expression for the Events API catch-up, or `off`. */
    reconcileSchedule: z
      .string()
      .trim()
      .regex(
        /^(?:off|rate\(\d+ (?:minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/,
        'must be off, rate(<n> minutes|hours|days) or cron(<6 fields>)',
      )
      .default('rate(15 minutes)'),
    /** Events younger than this are left to the webhook. */
    reconcileSettleSeconds: intIn(60, 86_400, 600),
    stripeWebhookSecretArn: secretArn,
    stripeApiKeySecretArn: secretArn,
    stripeReadKeySecretArn: secretArn,
    salesforceCredentialsSecretArn: secretArn,
  })
  .superRefine((v, ctx) => {
    if ((v.salesforceOrgId === undefined) !== (v.salesforceEventChannelId === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [v.salesforceOrgId === undefined ? 'salesforceOrgId' : 'salesforceEventChannelId'],
        message: 'set salesforceOrgId and salesforceEventChannelId together (or neither)',
      });
    }
    // Both queues must hold every receive of the horizon (inbound and outbound visibility timeouts).
    const problems = [consumerVisibilitySeconds(v.maxBatchingWindowSeconds), OUTBOUND_VISIBILITY_SECONDS]
      .map((visibility) => redriveMaxReceiveCount(retryPolicyOf(v), visibility))
      .filter((r): r is { readonly problem: string } => 'problem' in r);
    if (problems[0] !== undefined) ctx.addIssue({ code: 'custom', path: ['retryHorizonHours'], message: problems[0].problem });
    // Lambda accepts more than 10 messages per batch only with a batching window.
    if (v.batchSize > 10 && v.maxBatchingWindowSeconds === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['batchSize'],
        message: 'more than 10 requires maxBatchingWindowSeconds > 0',
      });
    }
  });

export type BridgeSettings = z.output<typeof contextSchema>;

export const CONTEXT_KEYS = Object.keys(contextSchema.shape) as readonly (keyof BridgeSettings)[];

/** Reads every known key through `tryGetContext` and validates them together. */
export function readBridgeSettings(tryGetContext: (key: string) => unknown): BridgeSettings {
  const raw: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) raw[key] = tryGetContext(key);
  const result = contextSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${String(issue.path[0] ?? '(context)')}: ${issue.message}`);
  const keys = [...new Set(result.error.issues.map((issue) => String(issue.path[0] ?? '(context)')))];
  throw new ConfigError(`Invalid CDK context for the bridge (see cdk.json and docs/deployment.md):\n${lines.join('\n')}`, keys);
}

/** The EventBridge partner event source Salesforce Event Relay creates for this org and relay. */
export function salesforceEventSourceName(orgId: string, channelId: string): string {
  return `aws.partner/salesforce.com/${orgId}/${channelId}`;
}

/** The consumers' retry policy from the context's horizon and longest delay. */
export function retryPolicyOf(settings: Pick<BridgeSettings, 'retryHorizonHours' | 'retryMaxDelaySeconds'>): RetryPolicy {
  return {
    baseDelaySeconds: DEFAULT_RETRY_POLICY.baseDelaySeconds,
    maxDelaySeconds: settings.retryMaxDelaySeconds,
    horizonSeconds: settings.retryHorizonHours * 3600,
  };
}
