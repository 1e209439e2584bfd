/**
 * What the local stack runs against, decided from the environment once at start: Salesforce and
 * Stripe are real when their variables are set and embedded stand-ins otherwise; the webhook
 * secret is the configured one or a freshly generated `whsec_local_…`. Every variable is
 * validated before anything starts, with the same loaders the Lambdas use, so a bad value fails
 * with one message naming every offending variable.
 */
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { loadConsumerConfig, loadIngressConfig, loadOutboundConfig, type Env } from '../config.js';
import { ConfigError } from '../errors.js';
import { resolveAuthFlow } from '../salesforce/auth.js';
import { DEFAULT_BATCH_SIZE, DEFAULT_MAX_RECEIVE_COUNT } from './local-queue.js';

/** The local queues' names; their URLs are the stack's own (`http://127.0.0.1:<port>/000000000000/<name>`). */
export const LOCAL_QUEUE_NAMES = {
  inbound: 'stripe-sf-bridge-local-inbound',
  inboundDlq: 'stripe-sf-bridge-local-inbound-dlq',
  outboundDlq: 'stripe-sf-bridge-local-outbound-dlq',
  rollups: 'stripe-sf-bridge-local-rollups',
  rollupsDlq: 'stripe-sf-bridge-local-rollups-dlq',
} as const;
/**
 * The roll-up writer's batching window in the local stack (LOCAL_ROLLUP_WINDOW_MS): short, so a
 * story's Account figures are there when its next step looks; the stack's default is 5 s.
 */
export const DEFAULT_ROLLUP_WINDOW_MS = 200;
/** The outbound function's name for Lambda's Invoke API on the stack (outbound DLQ replays). */
export const LOCAL_OUTBOUND_FUNCTION = 'stripe-sf-bridge-local-outbound';
export const LOCAL_DEDUP_TABLE = 'local-dedup';
export const DEFAULT_PORT = 8787;
/** The stack's maxConcurrency default (infra/context.ts): that many consumer batches at once. */
export const DEFAULT_CONSUMER_CONCURRENCY = 5;
/** The embedded Stripe accepts any `sk_test_` key; this one is obviously not a real key. */
export const EMBEDDED_STRIPE_KEY = 'sk_test_fake_local_stack';

/** Stand-in for URLs only known once the embedded services listen (validation runs before). */
const PLACEHOLDER_URL = 'http://127.0.0.1:1';

const SALESFORCE_CREDENTIAL_VARIABLES = [
  'SALESFORCE_CLIENT_ID',
  'SALESFORCE_CLIENT_SECRET',
  'SALESFORCE_USERNAME',
  'SALESFORCE_PRIVATE_KEY',
  'SALESFORCE_INSTANCE_URL',
  'SALESFORCE_ACCESS_TOKEN',
  'SALESFORCE_CREDENTIALS_ARN',
] as const;

export type ServiceMode = 'real' | 'embedded';

export interface LocalPlan {
  readonly webhookSecrets: readonly string[];
  /** True when STRIPE_WEBHOOK_SECRET was unset and the stack made one up. */
  readonly webhookSecretGenerated: boolean;
  readonly salesforce: ServiceMode;
  readonly stripe: ServiceMode;
  /** For the banner: the real Stripe API base (undefined: api.stripe.com). */
  readonly stripeApiUrl: string | undefined;
  readonly salesforceLoginUrl: string | undefined;
  readonly salesforceInstanceUrl: string | undefined;
  readonly logLevel: string;
  readonly port: number;
  readonly queue: {
    readonly batchSize: number;
    readonly visibilityTimeoutMs: number;
    readonly maxReceiveCount: number;
    /** Consumer batches handled at once (LOCAL_CONSUMER_CONCURRENCY). */
    readonly concurrency: number;
    /** The roll-up writer's batching window (LOCAL_ROLLUP_WINDOW_MS). */
    readonly rollupWindowMs: number;
  };
}

/** Where the embedded services listen, once started. */
export interface EmbeddedEndpoints {
  /** The stack's own URL once it listens: the local queues' URLs are under it. */
  readonly stackUrl?: string | undefined;
  readonly salesforceUrl?: string | undefined;
  readonly salesforceClientId?: string | undefined;
  readonly salesforceClientSecret?: string | undefined;
  readonly stripeUrl?: string | undefined;
}

export interface ComponentEnvs {
  readonly ingress: Env;
  readonly consumer: Env;
  readonly outbound: Env;
}

const present = (value: string | undefined): boolean => value !== undefined && value.trim() !== '';

const wholeNumber = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int({ error: `must be a whole number from ${min} to ${max}` })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` })
    .default(fallback);

/**
 * The local stack's knobs; SQS's limits (batch 10,000, visibility 12 hours) and the event source
 * mapping's maxConcurrency (2–1000; 1 is allowed here, to debug without races) bound them.
 */
const localSchema = z.object({
  PORT: wholeNumber(0, 65_535, DEFAULT_PORT),
  LOCAL_BATCH_SIZE: wholeNumber(1, 10_000, DEFAULT_BATCH_SIZE),
  LOCAL_VISIBILITY_TIMEOUT_SECONDS: wholeNumber(1, 43_200, 30),
  LOCAL_CONSUMER_CONCURRENCY: wholeNumber(1, 1000, DEFAULT_CONSUMER_CONCURRENCY),
  MAX_RECEIVE_COUNT: wholeNumber(1, 1000, DEFAULT_MAX_RECEIVE_COUNT),
  LOCAL_ROLLUP_WINDOW_MS: wholeNumber(0, 300_000, DEFAULT_ROLLUP_WINDOW_MS),
});

/** Where a local queue lives once the stack listens (a placeholder while validating). */
export function localQueueUrl(stackUrl: string | undefined, name: string): string {
  return `${stackUrl ?? PLACEHOLDER_URL}/000000000000/${name}`;
}

/** `whsec_` and 32 characters: the shortest signing secret Stripe hands out. */
export const MIN_WEBHOOK_SECRET_LENGTH = 38;

export function generateWebhookSecret(): string {
  return `whsec_local_${randomBytes(24).toString('hex')}`;
}

export function salesforceMode(env: Env): ServiceMode {
  return SALESFORCE_CREDENTIAL_VARIABLES.some((name) => present(env[name])) ? 'real' : 'embedded';
}

export function stripeMode(env: Env): ServiceMode {
  return ['STRIPE_SECRET_KEY', 'STRIPE_SECRET_KEY_ARN', 'STRIPE_API_URL'].some((name) => present(env[name])) ? 'real' : 'embedded';
}

/** The three Lambdas' environments as the local stack runs them. */
export function componentEnvs(env: Env, plan: LocalPlan, endpoints: EmbeddedEndpoints): ComponentEnvs {
  const blank = (value: string | undefined): boolean => !present(value);
  const dedup = { DEDUP_TABLE_NAME: blank(env['DEDUP_TABLE_NAME']) ? LOCAL_DEDUP_TABLE : env['DEDUP_TABLE_NAME'] };
  const salesforce: Env =
    plan.salesforce === 'embedded'
      ? {
          SALESFORCE_LOGIN_URL: endpoints.salesforceUrl ?? PLACEHOLDER_URL,
          SALESFORCE_CLIENT_ID: endpoints.salesforceClientId ?? 'embedded',
          SALESFORCE_CLIENT_SECRET: endpoints.salesforceClientSecret ?? 'embedded',
        }
      : {};
  const stripe: Env =
    plan.stripe === 'embedded'
      ? { STRIPE_SECRET_KEY: EMBEDDED_STRIPE_KEY, STRIPE_API_URL: endpoints.stripeUrl ?? PLACEHOLDER_URL }
      : // A Stripe-compatible API (stripe-mock) without a key: any test key does.
        blank(env['STRIPE_SECRET_KEY']) && blank(env['STRIPE_SECRET_KEY_ARN'])
        ? { STRIPE_SECRET_KEY: EMBEDDED_STRIPE_KEY }
        : {};
  return {
    ingress: { ...env, STRIPE_WEBHOOK_SECRET: plan.webhookSecrets.join(','), INBOUND_QUEUE_URL: localQueueUrl(endpoints.stackUrl, LOCAL_QUEUE_NAMES.inbound) },
    consumer: {
      ...env,
      ...dedup,
      ...salesforce,
      ...stripe,
      INBOUND_QUEUE_URL: localQueueUrl(endpoints.stackUrl, LOCAL_QUEUE_NAMES.inbound),
      INBOUND_DLQ_URL: localQueueUrl(endpoints.stackUrl, LOCAL_QUEUE_NAMES.inboundDlq),
      // Account roll-ups through the roll-up queue and its writer, as deployed (ROLLUP_WRITES=inline: in the batch).
      ROLLUP_QUEUE_URL: localQueueUrl(endpoints.stackUrl, LOCAL_QUEUE_NAMES.rollups),
      // Read by the roll-up writer (its config comes from this set): unreadable roll-ups go there at once.
      ROLLUP_DLQ_URL: localQueueUrl(endpoints.stackUrl, LOCAL_QUEUE_NAMES.rollupsDlq),
      MAX_RECEIVE_COUNT: String(plan.queue.maxReceiveCount),
    },
    outbound: { ...env, ...dedup, ...salesforce, ...stripe },
  };
}

/**
 * Validates the whole environment and decides what is real. Throws one ConfigError naming every
 * offending variable across the ingress, consumer, outbound and local-stack settings.
 */
export async function planLocalStack(env: Env, generateSecret: () => string = generateWebhookSecret): Promise<LocalPlan> {
  const errors: ConfigError[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (err) {
      if (err instanceof ConfigError) {
        errors.push(err);
        return undefined;
      }
      throw err;
    }
  };

  const configured = present(env['STRIPE_WEBHOOK_SECRET']) || present(env['STRIPE_WEBHOOK_SECRET_ARN']);
  const webhookSecrets = configured
    ? (env['STRIPE_WEBHOOK_SECRET'] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')
    : [generateSecret()];

  const local = localSchema.safeParse(env);
  if (!local.success) {
    const variables = [...new Set(local.error.issues.map((i) => String(i.path[0])))];
    const lines = local.error.issues.map((i) => `  ${String(i.path[0])}: ${i.message}`);
    errors.push(new ConfigError(`Invalid local stack configuration:\n${lines.join('\n')}`, variables));
  }
  // Stripe's endpoint secrets are whsec_ and 32 characters or more (the Stripe CLI's, 64): a
  // shorter one is a typo or a made-up value anyone could guess.
  const short = webhookSecrets.filter((secret) => secret.startsWith('whsec_') && secret.length > 'whsec_'.length && secret.length < MIN_WEBHOOK_SECRET_LENGTH);
  if (configured && short.length > 0) {
    errors.push(
      new ConfigError(
        `Invalid local stack configuration:\n  STRIPE_WEBHOOK_SECRET: shorter than Stripe's signing secrets (whsec_ and at least ${MIN_WEBHOOK_SECRET_LENGTH - 6} characters); copy the whole secret \`stripe listen\` or the Dashboard shows, or unset it to get a generated one`,
        ['STRIPE_WEBHOOK_SECRET'],
      ),
    );
  }
  if (/^(sk|rk)_live_/.test((env['STRIPE_SECRET_KEY'] ?? '').trim())) {
    errors.push(
      new ConfigError('Invalid local stack configuration:\n  STRIPE_SECRET_KEY: the local stack only takes test-mode keys (sk_test_… or rk_test_…)', [
        'STRIPE_SECRET_KEY',
      ]),
    );
  }

  const queue = {
    batchSize: local.success ? local.data.LOCAL_BATCH_SIZE : DEFAULT_BATCH_SIZE,
    visibilityTimeoutMs: (local.success ? local.data.LOCAL_VISIBILITY_TIMEOUT_SECONDS : 30) * 1000,
    maxReceiveCount: local.success ? local.data.MAX_RECEIVE_COUNT : DEFAULT_MAX_RECEIVE_COUNT,
    concurrency: local.success ? local.data.LOCAL_CONSUMER_CONCURRENCY : DEFAULT_CONSUMER_CONCURRENCY,
    rollupWindowMs: local.success ? local.data.LOCAL_ROLLUP_WINDOW_MS : DEFAULT_ROLLUP_WINDOW_MS,
  };
  const draft: LocalPlan = {
    webhookSecrets,
    webhookSecretGenerated: !configured,
    salesforce: salesforceMode(env),
    stripe: stripeMode(env),
    stripeApiUrl: present(env['STRIPE_API_URL']) ? env['STRIPE_API_URL'] : undefined,
    salesforceLoginUrl: undefined,
    salesforceInstanceUrl: undefined,
    logLevel: 'info',
    port: local.success ? local.data.PORT : DEFAULT_PORT,
    queue,
  };
  const envs = componentEnvs(env, draft, {});
  const ingress = attempt(() => loadIngressConfig(envs.ingress));
  const consumer = attempt(() => loadConsumerConfig(envs.consumer));
  attempt(() => loadOutboundConfig(envs.outbound));

  // A half-configured real Salesforce fails here, not on the first event. A secret (ARN) is only
  // read on first use, as in Lambda.
  if (consumer !== undefined && draft.salesforce === 'real' && consumer.salesforce.credentialsSecretArn === undefined) {
    try {
      await resolveAuthFlow(consumer.salesforce, undefined);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.push(err);
    }
  }

  if (errors.length > 0) throw mergeConfigErrors(errors);
  return {
    ...draft,
    logLevel: ingress?.logLevel ?? 'info',
    salesforceLoginUrl: draft.salesforce === 'real' ? consumer?.salesforce.loginUrl : undefined,
    salesforceInstanceUrl: draft.salesforce === 'real' ? consumer?.salesforce.instanceUrl : undefined,
  };
}

/** One error for the user: the sections' detail lines, each said once. */
export function mergeConfigErrors(errors: readonly ConfigError[]): ConfigError {
  if (errors.length === 1) return errors[0] as ConfigError;
  const variables = [...new Set(errors.flatMap((e) => e.variables))];
  const lines = [...new Set(errors.flatMap((e) => e.message.split('\n').slice(1)))];
  return new ConfigError(
    `Invalid configuration (${variables.length} variable${variables.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    variables,
  );
}
