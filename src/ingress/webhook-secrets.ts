/**
 * The webhook signing secrets the ingress accepts, read through `CachedSecret` (environment or
 * Secrets Manager). A rotated secret in Secrets Manager is picked up without a redeploy: when no
 * cached secret verifies a signature, the secret is re-read, but only if the cached copy is older
 * than `minRefreshIntervalMs`, so a stream of forged requests cannot make us hammer Secrets Manager.
 */
import { ConfigError } from '../errors.js';
import type { CachedSecret } from '../secrets.js';
import { parseJsonSecret } from '../secrets.js';

export const DEFAULT_MIN_REFRESH_INTERVAL_MS = 60_000;

/** Key read when the secret is stored as JSON (the Secrets Manager console's key/value form). */
export const WEBHOOK_SECRET_JSON_KEY = 'STRIPE_WEBHOOK_SECRET';

export interface WebhookSecretsOptions {
  readonly secret: CachedSecret;
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly minRefreshIntervalMs?: number;
}

/**
 * A secret value holds one or more `whsec_…`, comma-separated (two while rotating), either as
 * plain text or under the `STRIPE_WEBHOOK_SECRET` key of a JSON object.
 */
export function parseWebhookSecrets(text: string, source = 'STRIPE_WEBHOOK_SECRET'): readonly string[] {
  const trimmed = text.trim();
  const list = trimmed.startsWith('{') ? (parseJsonSecret(trimmed, source)[WEBHOOK_SECRET_JSON_KEY] ?? '') : trimmed;
  const secrets = list
    .split(',')
    .map((s) => s.trim())
    // A bare prefix is no secret (an empty HMAC key would verify anyone's signature).
    .filter((s) => s.startsWith('whsec_') && s.length > 'whsec_'.length);
  if (secrets.length === 0) {
    throw new ConfigError(`${source} holds no whsec_ signing secret`, [source]);
  }
  return secrets;
}

export class WebhookSecrets {
  private values: readonly string[] | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private readonly minRefreshIntervalMs: number;

  constructor(private readonly options: WebhookSecretsOptions) {
    this.minRefreshIntervalMs = options.minRefreshIntervalMs ?? DEFAULT_MIN_REFRESH_INTERVAL_MS;
  }

  /** The secrets in memory, if read already: lets the per-request path skip a promise. */
  cached(): readonly string[] | undefined {
    return this.values;
  }

  /** The secrets to verify with; read once, then served from memory. */
  async current(): Promise<readonly string[]> {
    if (this.values !== undefined) return this.values;
    const text = await this.options.secret.get();
    const values = parseWebhookSecrets(text);
    this.values ??= values;
    this.fetchedAt = this.options.now();
    return this.values;
  }

  /**
   * Re-reads the secret after a signature matched none of the cached ones. Returns the fresh list,
   * or undefined when nothing was re-read (the value cannot change, or it was read too recently).
   */
  async refreshed(): Promise<readonly string[] | undefined> {
    if (!this.options.secret.refreshable) return undefined;
    const now = this.options.now();
    if (now - this.fetchedAt < this.minRefreshIntervalMs) return undefined;
    // Stamped before the read: a failing Secrets Manager is not retried on every request either.
    this.fetchedAt = now;
    this.options.secret.refresh();
    const values = parseWebhookSecrets(await this.options.secret.get());
    this.values = values;
    return values;
  }
}
