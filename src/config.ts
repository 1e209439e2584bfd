/**
 * The configuration contract (see README "Configuration"). Each Lambda reads its section once per
 * cold start; a missing or malformed value fails at start with one message naming every offending
 * variable. Secret values may be given directly (local use) or as Secrets Manager ARNs (AWS).
 */
// zod/mini: the same validation at a fraction of full zod's cold-start cost (the ingress budget).
import * as z from 'zod/mini';
import { invalidConfiguration, LOG_LEVELS, type ConfigProblem, type Env } from './config-problems.js';
import { ingressRules } from './ingress/config.js';
import type { RetrySettings } from './resilience/retry-later.js';
import { DEFAULT_RETRY_POLICY, maxReceivesWithin, retryPolicyProblems, type RetryPolicy } from './resilience/retry-schedule.js';
import { HANDLED_EVENT_TYPES } from './stripe/event-types.js';

export type { Env } from './config-problems.js';
// The ingress validates its section without zod (its cold start); every other section is here.
export { loadIngressConfig, type IngressConfig } from './ingress/config.js';


/** Unset and empty both mean "not configured" (CloudFormation cannot omit a variable conditionally). */
const optionalText = z.pipe(
  z.optional(z.string().check(z.trim())),
  z.transform((v: string | undefined) => (v === '' ? undefined : v)),
);

const positiveInt = (fallback: number) => z._default(z.pipe(z.coerce.number(), z.int().check(z.positive())), fallback);

const optionalUrl = () => z.pipe(optionalText, z.optional(z.url()));
const urlWithDefault = (fallback: string) => z._default(z.url(), fallback);

const logLevel = z._default(z.enum(LOG_LEVELS), 'info');

/** Comma-separated list, blanks dropped. */
const csv = z.pipe(
  z.optional(z.string()),
  z.transform((v: string | undefined) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  ),
);

const apiVersion = z._default(
  z.string().check(
    z.regex(/^\d{2,3}\.0$/, 'must look like 64.0'),
    z.refine((v) => Number(v) >= 58, 'must be 58.0 or newer (jsforce defaults to the outdated 50.0)'),
  ),
  '64.0',
);

/** Stripe's API keys: secret (`sk_`) or restricted (`rk_`), test or live mode. */
const stripeApiKey = z.pipe(
  optionalText,
  z.optional(z.string().check(z.regex(/^(sk|rk)_(test|live)_\S+$/, 'must be a Stripe secret or restricted key (sk_test_…, rk_test_…, sk_live_…, rk_live_…)'))),
);

const stripeApiShape = {
  STRIPE_SECRET_KEY: stripeApiKey,
  STRIPE_SECRET_KEY_ARN: optionalText,
  STRIPE_API_URL: optionalUrl(),
};

const salesforceShape = {
  SALESFORCE_LOGIN_URL: urlWithDefault('https://login.salesforce.com'),
  SALESFORCE_API_VERSION: apiVersion,
  SALESFORCE_CLIENT_ID: optionalText,
  SALESFORCE_CLIENT_SECRET: optionalText,
  SALESFORCE_USERNAME: optionalText,
  SALESFORCE_PRIVATE_KEY: optionalText,
  SALESFORCE_INSTANCE_URL: optionalUrl(),
  SALESFORCE_ACCESS_TOKEN: optionalText,
  /** JSON secret whose keys are the SALESFORCE_* variable names above. */
  SALESFORCE_CREDENTIALS_ARN: optionalText,
};

const dedupShape = {
  DEDUP_TABLE_NAME: z.string().check(z.minLength(1)),
  /** How long a claimed event stays locked; longer than the Lambda timeout. */
  EVENT_LEASE_SECONDS: positiveInt(120),
  /** How long completed markers and ordering watermarks are kept (Stripe retries for 3 days). */
  DEDUP_TTL_DAYS: z._default(
    z.pipe(z.coerce.number(), z.int().check(z.positive(), z.refine((d) => d >= 30, 'must be at least 30'))),
    35,
  ),
};

/** Per-message backoff and the retry horizon (src/resilience/retry-schedule.ts). */
const retryShape = {
  RETRY_BASE_DELAY_SECONDS: positiveInt(DEFAULT_RETRY_POLICY.baseDelaySeconds),
  RETRY_MAX_DELAY_SECONDS: positiveInt(DEFAULT_RETRY_POLICY.maxDelaySeconds),
  RETRY_HORIZON_HOURS: positiveInt(DEFAULT_RETRY_POLICY.horizonSeconds / 3600),
  /** The queue's redrive maxReceiveCount; unset: the most receives the horizon can hold. */
  MAX_RECEIVE_COUNT: z.optional(z.pipe(z.coerce.number(), z.int().check(z.positive()))),
};

/** What the deployment says about the org's currencies instead of asking Salesforce. */
const currencyOverrideShape = {
  /**
   * Override only: the corporate currency is read from Salesforce (Organization.DefaultCurrencyIsoCode).
   * Set it to bill single-currency orgs in another currency than Salesforce reports.
   */
  STRIPE_DEFAULT_CURRENCY: z.pipe(
    optionalText,
    z.transform((v: string | undefined) => v?.toLowerCase()),
  ).check(z.refine((v) => v === undefined || /^[a-z]{3}$/.test(v), 'must be an ISO 4217 code such as usd')),
  /** Override only: multi-currency is detected from Opportunity's describe (CurrencyIsoCode). */
  SALESFORCE_MULTI_CURRENCY: z.pipe(
    z.optional(z.enum(['true', 'false', ''])),
    z.transform((v: 'true' | 'false' | '' | undefined) => (v === undefined || v === '' ? undefined : v === 'true')),
  ),
};

const consumerSchema = z.object({
  LOG_LEVEL: logLevel,
  ...dedupShape,
  ...salesforceShape,
  ...stripeApiShape,
  ...retryShape,
  /** The queue the consumer reads: retried messages are delayed there (ChangeMessageVisibility). */
  INBOUND_QUEUE_URL: optionalUrl(),
  INBOUND_DLQ_URL: optionalUrl(),
  /**
   * The Case Status the bridge sets when a failure Case's money arrived: a value whose
   * CaseStatus.IsClosed is true in the org (`Closed` in a new org).
   */
  SALESFORCE_CASE_CLOSED_STATUS: z._default(z.string().check(z.trim(), z.minLength(1)), 'Closed'),
  /** Account roll-ups (src/rollups): `on` (default) or `off`. */
  ACCOUNT_ROLLUPS: z._default(z.enum(['on', 'off']), 'on'),
  /**
   * Where the Account roll-up updates go: `queued` (default when ROLLUP_QUEUE_URL is set) sends
   * them to the roll-up queue, whose writer coalesces many batches into one Salesforce write;
   * `inline` (default otherwise) writes them in one more request of the batch itself.
   */
  ROLLUP_WRITES: z.optional(z.enum(['queued', 'inline'])),
  /** The roll-up queue (src/rollups/rollup-queue.ts); the stack sets it. */
  ROLLUP_QUEUE_URL: optionalUrl(),
  /** Renewal and trial-end Tasks for the Account owner (invoice.upcoming, trial_will_end): `on` (default) or `off`. */
  RENEWAL_TASKS: z._default(z.enum(['on', 'off']), 'on'),
  /** The renewal Tasks' lead time in days (default 7): a Task announced earlier is due this many days before. */
  RENEWAL_TASK_DAYS: positiveInt(7),
  /**
   * A renewal Opportunity for each renewal of an annual (or longer) term, from invoice.upcoming
   * (src/mappers/renewal-opportunity.ts): `off` (default) or `on`.
   */
  RENEWAL_OPPORTUNITIES: z._default(z.enum(['on', 'off']), 'off'),
  /** The StageName of new renewal Opportunities: a value of the org's Stage picklist (default `Prospecting`). */
  RENEWAL_OPPORTUNITY_STAGE: z._default(z.string().check(z.trim(), z.minLength(1), z.maxLength(255)), 'Prospecting'),
  /** A Task beside each failed-payment Case (src/mappers/recovery-task.ts): `on` (default) or `off`. */
  FAILED_PAYMENT_TASKS: z._default(z.enum(['on', 'off']), 'on'),
  /** Who gets the failed-payment Tasks: a user (005…) or queue (00G…) id; blank: the Account's owner. */
  FAILED_PAYMENT_TASK_OWNER_ID: z.optional(z.string().check(z.trim(), z.regex(/^(?:005|00G)[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?$/, 'must be a user (005…) or queue (00G…) id'))),
  /** An onboarding Task for the Account owner at an Account's first successful payment (src/inbound/onboarding.ts): `on` (default) or `off`. */
  ONBOARDING_TASKS: z._default(z.enum(['on', 'off']), 'on'),
  /** The Task Status that completes a Task: a value whose TaskStatus.IsClosed is true (`Completed`). */
  SALESFORCE_TASK_COMPLETED_STATUS: z._default(z.string().check(z.trim(), z.minLength(1)), 'Completed'),
  ...currencyOverrideShape,
});

const outboundSchema = z.object({
  LOG_LEVEL: logLevel,
  ...dedupShape,
  ...salesforceShape,
  ...stripeApiShape,
  ...retryShape,
  /** The queue EventBridge delivers payment requests to: retried requests are delayed there. */
  OUTBOUND_QUEUE_URL: optionalUrl(),
  /** Where a payment request that failed for good goes, with its reason as message attributes. */
  OUTBOUND_DLQ_URL: optionalUrl(),
  /** The inbound queue and its DLQ, for the `retry` command (a dead-lettered Stripe event, again). */
  INBOUND_QUEUE_URL: optionalUrl(),
  INBOUND_DLQ_URL: optionalUrl(),
  STRIPE_DAYS_UNTIL_DUE: positiveInt(30),
  ...currencyOverrideShape,
});

export interface SalesforceSettings {
  readonly loginUrl: string;
  readonly apiVersion: string;
  readonly instanceUrl: string | undefined;
  /** Credentials given directly in the environment (local use). */
  readonly credentials: SalesforceCredentialValues;
  readonly credentialsSecretArn: string | undefined;
}

export interface SalesforceCredentialValues {
  readonly clientId?: string | undefined;
  readonly clientSecret?: string | undefined;
  readonly username?: string | undefined;
  readonly privateKey?: string | undefined;
  readonly instanceUrl?: string | undefined;
  readonly accessToken?: string | undefined;
}

export interface StripeApiSettings {
  readonly secretKey: string | undefined;
  readonly secretKeyArn: string | undefined;
  /** Base URL of a Stripe-compatible API (local stand-in); undefined means api.stripe.com. */
  readonly apiUrl: string | undefined;
}

export interface DedupSettings {
  readonly tableName: string;
  readonly leaseSeconds: number;
  readonly ttlDays: number;
}

/** ROLLUP_WRITES=queued needs the queue it writes to. */
function consumerRules(env: Env): ConfigProblem[] {
  const issues = retryRules(env);
  if (env['ROLLUP_WRITES']?.trim() === 'queued' && (env['ROLLUP_QUEUE_URL'] ?? '').trim() === '') {
    issues.push(['ROLLUP_WRITES', 'queued needs ROLLUP_QUEUE_URL (the roll-up queue); set it or use inline']);
  }
  return issues;
}

export interface ConsumerConfig {
  readonly logLevel: string;
  readonly dedup: DedupSettings;
  readonly salesforce: SalesforceSettings;
  readonly stripe: StripeApiSettings;
  readonly queueUrl: string | undefined;
  readonly dlqUrl: string | undefined;
  readonly maxReceiveCount: number;
  readonly retry: RetrySettings;
  /** Recompute the Accounts each batch touches (ACCOUNT_ROLLUPS, default on). */
  readonly accountRollups: boolean;
  /** The roll-up queue the Account updates are sent to (ROLLUP_WRITES=queued); undefined: written inline. */
  readonly rollupQueueUrl: string | undefined;
  /** Renewal Tasks (RENEWAL_TASKS) and their lead time in days (RENEWAL_TASK_DAYS); undefined when off. */
  readonly renewalTaskDays: number | undefined;
  /** Renewal Opportunities for annual terms (RENEWAL_OPPORTUNITIES) with their stage (RENEWAL_OPPORTUNITY_STAGE); undefined when off. */
  readonly renewalOpportunities: { readonly stage: string } | undefined;
  readonly currencyOverrides: CurrencyOverrides;
  /** The closed Case Status the bridge sets (SALESFORCE_CASE_CLOSED_STATUS). */
  readonly caseClosedStatus: string;
  /** Failed-payment Tasks (FAILED_PAYMENT_TASKS, FAILED_PAYMENT_TASK_OWNER_ID, SALESFORCE_TASK_COMPLETED_STATUS). */
  readonly failedPaymentTasks: { readonly enabled: boolean; readonly ownerId: string | undefined; readonly completedStatus: string };
  /** Onboarding Tasks (ONBOARDING_TASKS). */
  readonly onboardingTasks: boolean;
}

export interface OutboundConfig {
  readonly logLevel: string;
  readonly dedup: DedupSettings;
  readonly salesforce: SalesforceSettings;
  readonly stripe: StripeApiSettings;
  readonly daysUntilDue: number;
  /** What the deployment says instead of asking Salesforce; undefined (the default) asks Salesforce. */
  readonly currencyOverrides: CurrencyOverrides;
  readonly queueUrl: string | undefined;
  readonly dlqUrl: string | undefined;
  readonly retry: RetrySettings;
  /** The inbound queue and DLQ (`retry` command); undefined unless both are set. */
  readonly inbound: { readonly queueUrl: string; readonly dlqUrl: string } | undefined;
}

export interface CurrencyOverrides {
  /** Lower-case ISO code used as the org's corporate currency (STRIPE_DEFAULT_CURRENCY). */
  readonly defaultCurrency: string | undefined;
  /** Whether records carry CurrencyIsoCode (SALESFORCE_MULTI_CURRENCY). */
  readonly multiCurrency: boolean | undefined;
}

function parse<T extends z.ZodMiniType>(
  schema: T,
  env: Env,
  section: string,
  rules: (env: Env) => ConfigProblem[] = () => [],
): z.output<T> {
  const result = schema.safeParse(env);
  const problems = rules(env);
  if (result.success && problems.length === 0) return result.data as z.output<T>;
  for (const issue of result.success ? [] : result.error.issues) {
    const name = String(issue.path[0] ?? '(environment)');
    problems.push([name, issue.code === 'invalid_type' && env[name] === undefined ? 'is required' : issue.message]);
  }
  throw invalidConfiguration(section, problems);
}

/**
 * The consumer's behaviour switches a deployment may set (`cdk deploy -c consumerSettings=…`): the
 * Salesforce-side automation and its statuses. Infrastructure values (queues, table, secrets) are
 * the stack's own and cannot be overridden this way.
 */
export const CONSUMER_BEHAVIOUR_VARIABLES = [
  'ACCOUNT_ROLLUPS',
  'ROLLUP_WRITES',
  'FAILED_PAYMENT_TASKS',
  'FAILED_PAYMENT_TASK_OWNER_ID',
  'RENEWAL_TASKS',
  'RENEWAL_TASK_DAYS',
  'RENEWAL_OPPORTUNITIES',
  'RENEWAL_OPPORTUNITY_STAGE',
  'ONBOARDING_TASKS',
  'SALESFORCE_CASE_CLOSED_STATUS',
  'SALESFORCE_TASK_COMPLETED_STATUS',
] as const satisfies readonly (keyof typeof consumerSchema.shape)[];

const behaviourSchema = z.object(
  Object.fromEntries(CONSUMER_BEHAVIOUR_VARIABLES.map((name) => [name, z.optional(consumerSchema.shape[name])])) as {
    [K in (typeof CONSUMER_BEHAVIOUR_VARIABLES)[number]]: z.ZodMiniOptional<(typeof consumerSchema.shape)[K]>;
  },
);

/**
 * Validates behaviour settings for the consumer with the rules its cold start applies, so a bad
 * value fails `cdk synth` rather than every invocation; an unknown name is refused too.
 */
export function checkConsumerBehaviour(settings: Readonly<Record<string, string>>): void {
  const unknown = Object.keys(settings).filter((name) => !(CONSUMER_BEHAVIOUR_VARIABLES as readonly string[]).includes(name));
  parse(behaviourSchema, settings, 'consumerSettings', () =>
    unknown.map((name) => [name, `is not a consumer setting (one of ${CONSUMER_BEHAVIOUR_VARIABLES.join(', ')})`]),
  );
}

function salesforceSettings(v: Pick<z.output<typeof consumerSchema>, keyof typeof salesforceShape>): SalesforceSettings {
  return {
    loginUrl: v.SALESFORCE_LOGIN_URL,
    apiVersion: v.SALESFORCE_API_VERSION,
    instanceUrl: v.SALESFORCE_INSTANCE_URL,
    credentialsSecretArn: v.SALESFORCE_CREDENTIALS_ARN,
    credentials: {
      clientId: v.SALESFORCE_CLIENT_ID,
      clientSecret: v.SALESFORCE_CLIENT_SECRET,
      username: v.SALESFORCE_USERNAME,
      privateKey: v.SALESFORCE_PRIVATE_KEY,
      instanceUrl: v.SALESFORCE_INSTANCE_URL,
      accessToken: v.SALESFORCE_ACCESS_TOKEN,
    },
  };
}

function stripeSettings(v: Pick<z.output<typeof consumerSchema>, keyof typeof stripeApiShape>): StripeApiSettings {
  return { secretKey: v.STRIPE_SECRET_KEY, secretKeyArn: v.STRIPE_SECRET_KEY_ARN, apiUrl: v.STRIPE_API_URL };
}

function dedupSettings(v: Pick<z.output<typeof consumerSchema>, keyof typeof dedupShape>): DedupSettings {
  return { tableName: v.DEDUP_TABLE_NAME, leaseSeconds: v.EVENT_LEASE_SECONDS, ttlDays: v.DEDUP_TTL_DAYS };
}

export function loadConsumerConfig(env: Env = process.env): ConsumerConfig {
  const v = parse(consumerSchema, env, 'consumer', consumerRules);
  const retry = retrySettings(v);
  return {
    logLevel: v.LOG_LEVEL,
    dedup: dedupSettings(v),
    salesforce: salesforceSettings(v),
    stripe: stripeSettings(v),
    queueUrl: v.INBOUND_QUEUE_URL,
    dlqUrl: v.INBOUND_DLQ_URL,
    maxReceiveCount: retry.maxReceiveCount,
    retry,
    accountRollups: v.ACCOUNT_ROLLUPS === 'on',
    rollupQueueUrl: (v.ROLLUP_WRITES ?? 'queued') === 'queued' ? v.ROLLUP_QUEUE_URL : undefined,
    renewalTaskDays: v.RENEWAL_TASKS === 'on' ? v.RENEWAL_TASK_DAYS : undefined,
    renewalOpportunities: v.RENEWAL_OPPORTUNITIES === 'on' ? { stage: v.RENEWAL_OPPORTUNITY_STAGE } : undefined,
    currencyOverrides: { defaultCurrency: v.STRIPE_DEFAULT_CURRENCY, multiCurrency: v.SALESFORCE_MULTI_CURRENCY },
    caseClosedStatus: v.SALESFORCE_CASE_CLOSED_STATUS,
    failedPaymentTasks: {
      enabled: v.FAILED_PAYMENT_TASKS === 'on',
      ownerId: v.FAILED_PAYMENT_TASK_OWNER_ID === '' ? undefined : v.FAILED_PAYMENT_TASK_OWNER_ID,
      completedStatus: v.SALESFORCE_TASK_COMPLETED_STATUS,
    },
    onboardingTasks: v.ONBOARDING_TASKS === 'on',
  };
}

interface RetryValues {
  readonly RETRY_BASE_DELAY_SECONDS: number;
  readonly RETRY_MAX_DELAY_SECONDS: number;
  readonly RETRY_HORIZON_HOURS: number;
  readonly MAX_RECEIVE_COUNT?: number | undefined;
}

function retryPolicyOf(v: RetryValues): RetryPolicy {
  return { baseDelaySeconds: v.RETRY_BASE_DELAY_SECONDS, maxDelaySeconds: v.RETRY_MAX_DELAY_SECONDS, horizonSeconds: v.RETRY_HORIZON_HOURS * 3600 };
}

function retrySettings(v: RetryValues): RetrySettings {
  const policy = retryPolicyOf(v);
  return { policy, maxReceiveCount: v.MAX_RECEIVE_COUNT ?? maxReceivesWithin(policy) };
}

/** The policy's numbers must fit SQS's limits and each other; checked with the other variables. */
function retryRules(env: Env): ConfigProblem[] {
  const number = (name: string, fallback: number): number => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? fallback : Number(raw);
  };
  const values = {
    RETRY_BASE_DELAY_SECONDS: number('RETRY_BASE_DELAY_SECONDS', DEFAULT_RETRY_POLICY.baseDelaySeconds),
    RETRY_MAX_DELAY_SECONDS: number('RETRY_MAX_DELAY_SECONDS', DEFAULT_RETRY_POLICY.maxDelaySeconds),
    RETRY_HORIZON_HOURS: number('RETRY_HORIZON_HOURS', DEFAULT_RETRY_POLICY.horizonSeconds / 3600),
  };
  // Malformed numbers are reported by the schema; only consistent ones are checked together.
  if (Object.values(values).some((n) => !Number.isInteger(n) || n <= 0)) return [];
  const variable = { baseDelaySeconds: 'RETRY_BASE_DELAY_SECONDS', maxDelaySeconds: 'RETRY_MAX_DELAY_SECONDS', horizonSeconds: 'RETRY_HORIZON_HOURS' };
  return retryPolicyProblems(retryPolicyOf(values)).map((p): [string, string] => [variable[p.field], p.message]);
}

export function loadOutboundConfig(env: Env = process.env): OutboundConfig {
  const v = parse(outboundSchema, env, 'outbound', retryRules);
  return {
    logLevel: v.LOG_LEVEL,
    dedup: dedupSettings(v),
    salesforce: salesforceSettings(v),
    stripe: stripeSettings(v),
    daysUntilDue: v.STRIPE_DAYS_UNTIL_DUE,
    currencyOverrides: { defaultCurrency: v.STRIPE_DEFAULT_CURRENCY, multiCurrency: v.SALESFORCE_MULTI_CURRENCY },
    queueUrl: v.OUTBOUND_QUEUE_URL,
    dlqUrl: v.OUTBOUND_DLQ_URL,
    retry: retrySettings(v),
    inbound: v.INBOUND_QUEUE_URL !== undefined && v.INBOUND_DLQ_URL !== undefined ? { queueUrl: v.INBOUND_QUEUE_URL, dlqUrl: v.INBOUND_DLQ_URL } : undefined,
  };
}

// ---- Roll-up writer (the roll-up queue → Salesforce, src/rollups/rollup-writer.ts) ----

const rollupWriterSchema = z.object({
  LOG_LEVEL: logLevel,
  ...salesforceShape,
  /** The roll-up DLQ: where an unreadable roll-up message goes at once, with its reason (the stack sets it). */
  ROLLUP_DLQ_URL: optionalUrl(),
});

export interface RollupWriterConfig {
  readonly logLevel: string;
  readonly salesforce: SalesforceSettings;
  /** Undefined (an older deployment): unreadable messages are retried until the redrive policy moves them. */
  readonly dlqUrl: string | undefined;
}

export function loadRollupWriterConfig(env: Env = process.env): RollupWriterConfig {
  const v = parse(rollupWriterSchema, env, 'roll-up writer');
  return { logLevel: v.LOG_LEVEL, salesforce: salesforceSettings(v), dlqUrl: v.ROLLUP_DLQ_URL };
}

// ---- Reconciler (scheduled catch-up from Stripe's Events API, dead-letter log, relay check) ----

const reconcilerSchema = z.object({
  LOG_LEVEL: logLevel,
  ...dedupShape,
  ...salesforceShape,
  ...stripeApiShape,
  INBOUND_QUEUE_URL: z.url(),
  INBOUND_DLQ_URL: optionalUrl(),
  SQS_MAX_MESSAGE_BYTES: positiveInt(256 * 1024),
  STRIPE_HANDLED_EVENT_TYPES: csv,
  /** Events younger than this are left to the webhook. */
  RECONCILE_SETTLE_SECONDS: positiveInt(600),
  /** How far back the first run looks; Stripe keeps events 30 days. */
  RECONCILE_INITIAL_LOOKBACK_HOURS: z._default(
    z.pipe(z.coerce.number(), z.int().check(z.positive(), z.refine((h) => h <= 720, 'must be at most 720 (30 days)'))),
    24,
  ),
  /** List calls per type group and run. */
  RECONCILE_MAX_PAGES: positiveInt(50),
  /** The partner event source Salesforce's Event Relay sends to; its EventRelayFeedback is checked. */
  EVENT_RELAY_SOURCE_NAME: optionalText,
});

function reconcilerRules(env: Env): ConfigProblem[] {
  const issues = ingressRules({ ...env, STRIPE_WEBHOOK_SECRET: 'whsec_not_used' }).filter(([name]) => name === 'STRIPE_HANDLED_EVENT_TYPES');
  if ((env['STRIPE_SECRET_KEY'] ?? '').trim() === '' && (env['STRIPE_SECRET_KEY_ARN'] ?? '').trim() === '') {
    issues.push(['STRIPE_SECRET_KEY', 'set STRIPE_SECRET_KEY or STRIPE_SECRET_KEY_ARN (a restricted key that reads events is enough)']);
  }
  return issues;
}

export interface ReconcilerConfig {
  readonly logLevel: string;
  readonly dedup: DedupSettings;
  readonly salesforce: SalesforceSettings;
  readonly stripe: StripeApiSettings;
  readonly queueUrl: string;
  readonly dlqUrl: string | undefined;
  readonly maxMessageBytes: number;
  readonly handledEventTypes: ReadonlySet<string>;
  readonly settleSeconds: number;
  readonly initialLookbackSeconds: number;
  readonly maxPages: number;
  /** Without it the housekeeping run does not check the Event Relay. */
  readonly eventRelaySourceName: string | undefined;
}

export function loadReconcilerConfig(env: Env = process.env): ReconcilerConfig {
  const v = parse(reconcilerSchema, env, 'reconciler', reconcilerRules);
  return {
    logLevel: v.LOG_LEVEL,
    dedup: dedupSettings(v),
    salesforce: salesforceSettings(v),
    stripe: stripeSettings(v),
    queueUrl: v.INBOUND_QUEUE_URL,
    dlqUrl: v.INBOUND_DLQ_URL,
    maxMessageBytes: v.SQS_MAX_MESSAGE_BYTES,
    handledEventTypes: new Set(v.STRIPE_HANDLED_EVENT_TYPES.length > 0 ? v.STRIPE_HANDLED_EVENT_TYPES : HANDLED_EVENT_TYPES),
    settleSeconds: v.RECONCILE_SETTLE_SECONDS,
    initialLookbackSeconds: v.RECONCILE_INITIAL_LOOKBACK_HOURS * 3_600,
    maxPages: v.RECONCILE_MAX_PAGES,
    eventRelaySourceName: v.EVENT_RELAY_SOURCE_NAME,
  };
}
