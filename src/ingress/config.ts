/**
 * The ingress section of the configuration contract (README "Configuration"), validated by hand:
 * eight variables do not need a schema library, and not loading one (zod's code and the other
 * sections' schemas, built when src/config.ts is imported) keeps the ingress's cold start near the
 * bare SQS client's. Same rules and defaults as before; src/config.ts re-exports it for the rest.
 */
import { invalidConfiguration, LOG_LEVELS, type ConfigProblem, type Env } from '../config-problems.js';
import { HANDLED_EVENT_TYPES } from '../stripe/event-types.js';

export interface IngressConfig {
  readonly logLevel: string;
  readonly webhookSecrets: readonly string[];
  readonly webhookSecretArn: string | undefined;
  readonly toleranceSeconds: number;
  readonly handledEventTypes: ReadonlySet<string>;
  readonly queueUrl: string;
  readonly maxBodyBytes: number;
  readonly maxMessageBytes: number;
}

/** Comma-separated list, blanks dropped. */
function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Cross-field rules, checked on the raw environment so they are reported with the rest. The
 * reconciler reuses the event-type rule.
 */
export function ingressRules(env: Env): ConfigProblem[] {
  const secrets = list(env['STRIPE_WEBHOOK_SECRET']);
  const issues: ConfigProblem[] = [];
  if (secrets.length === 0 && (env['STRIPE_WEBHOOK_SECRET_ARN'] ?? '').trim() === '') {
    issues.push(['STRIPE_WEBHOOK_SECRET', 'set STRIPE_WEBHOOK_SECRET (whsec_…, comma-separated for rotation) or STRIPE_WEBHOOK_SECRET_ARN']);
  }
  if (secrets.some((v) => !v.startsWith('whsec_'))) {
    issues.push(['STRIPE_WEBHOOK_SECRET', 'every secret must start with whsec_ (the endpoint signing secret, not an API key)']);
  } else if (secrets.some((v) => v === 'whsec_')) {
    issues.push(['STRIPE_WEBHOOK_SECRET', 'a bare whsec_ is not a secret: paste the whole signing secret']);
  }
  const unknown = list(env['STRIPE_HANDLED_EVENT_TYPES']).filter((t) => !HANDLED_EVENT_TYPES.includes(t));
  if (unknown.length > 0) issues.push(['STRIPE_HANDLED_EVENT_TYPES', `the bridge has no mapper for ${unknown.join(', ')}`]);
  return issues;
}

/** Reads variables one by one, collecting every problem instead of stopping at the first. */
class Reader {
  readonly problems: ConfigProblem[];

  constructor(
    private readonly env: Env,
    rules: ConfigProblem[],
  ) {
    this.problems = rules;
  }

  /** Trimmed; unset and empty both mean "not configured" (CloudFormation cannot omit a variable). */
  optionalText(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  /** A whole number above zero; `fallback` when unset (an empty value is an error, as `0` is). */
  positiveInt(name: string, fallback: number): number {
    const raw = this.env[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value <= 0) {
      this.problems.push([name, 'must be a whole number greater than 0']);
      return fallback;
    }
    return value;
  }

  /** Required; whitespace around it ignored, and the tabs and line breaks a URL parser drops removed. */
  url(name: string): string {
    const raw = this.env[name];
    if (raw === undefined) {
      this.problems.push([name, 'is required']);
      return '';
    }
    const trimmed = raw.trim();
    if (!URL.canParse(trimmed)) {
      this.problems.push([name, 'must be a URL']);
      return '';
    }
    return trimmed.replace(/[\t\n\r]/g, '');
  }

  logLevel(name: string): string {
    const raw = this.env[name];
    if (raw === undefined) return 'info';
    if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
      this.problems.push([name, `must be one of ${LOG_LEVELS.join(', ')}`]);
    }
    return raw;
  }
}

export function loadIngressConfig(env: Env = process.env): IngressConfig {
  const read = new Reader(env, ingressRules(env));
  const handled = list(env['STRIPE_HANDLED_EVENT_TYPES']);
  const config: IngressConfig = {
    logLevel: read.logLevel('LOG_LEVEL'),
    webhookSecrets: list(env['STRIPE_WEBHOOK_SECRET']),
    webhookSecretArn: read.optionalText('STRIPE_WEBHOOK_SECRET_ARN'),
    toleranceSeconds: read.positiveInt('STRIPE_WEBHOOK_TOLERANCE_SECONDS', 300),
    handledEventTypes: new Set(handled.length > 0 ? handled : HANDLED_EVENT_TYPES),
    queueUrl: read.url('INBOUND_QUEUE_URL'),
    maxBodyBytes: read.positiveInt('WEBHOOK_MAX_BODY_BYTES', 1024 * 1024),
    maxMessageBytes: read.positiveInt('SQS_MAX_MESSAGE_BYTES', 256 * 1024),
  };
  if (read.problems.length > 0) throw invalidConfiguration('ingress', read.problems);
  return config;
}
