/**
 * Secret values: from Secrets Manager by ARN in AWS (fetched once per cold start, again after an
 * authentication failure so a rotated secret is picked up), from the environment locally.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError, TransientError } from './errors.js';

export interface SecretFetcher {
  fetch(arn: string): Promise<string>;
}

let sharedClient: SecretsManagerClient | undefined;

/**
 * Secrets Manager over the standard credential chain. The SDK client is loaded on first use, not
 * at import: local runs never need it, and in Lambda it stays off the cold-start path of the
 * module graph.
 */
export const secretsManagerFetcher: SecretFetcher = {
  async fetch(arn) {
    try {
      const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
      sharedClient ??= new SecretsManagerClient({});
      const out = await sharedClient.send(new GetSecretValueCommand({ SecretId: arn }));
      if (out.SecretString === undefined || out.SecretString === '') {
        throw new ConfigError(`Secret ${arn} has no value yet: fill it in (see docs/deployment.md)`, [arn]);
      }
      return out.SecretString;
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      // A secret the stack created empty has no AWSCURRENT version until someone fills it in.
      if (err instanceof Error && err.name === 'ResourceNotFoundException') {
        throw new ConfigError(`Secret ${arn} has no value yet: fill it in (see docs/deployment.md)`, [arn]);
      }
      throw new TransientError(`Could not read secret ${arn}`, { code: 'SECRET_UNAVAILABLE', cause: err });
    }
  },
};

/**
 * A secret value cached for the life of the execution environment. `refresh()` drops the cache
 * so that the next `get()` re-reads it (after the value was rejected as stale).
 */
export class CachedSecret {
  private pending: Promise<string> | undefined;

  constructor(
    private readonly source: { readonly value?: string | undefined; readonly arn?: string | undefined },
    private readonly fetcher: SecretFetcher = secretsManagerFetcher,
    private readonly name = 'secret',
  ) {}

  get(): Promise<string> {
    if (this.source.value !== undefined && this.source.value !== '') return Promise.resolve(this.source.value);
    const arn = this.source.arn;
    if (arn === undefined || arn === '') {
      return Promise.reject(new ConfigError(`No value or ARN configured for ${this.name}`, [this.name]));
    }
    this.pending ??= this.fetcher.fetch(arn).catch((err: unknown) => {
      this.pending = undefined;
      throw err;
    });
    return this.pending;
  }

  /** True when a re-read may give a different value (it comes from Secrets Manager). */
  get refreshable(): boolean {
    return this.source.arn !== undefined && this.source.arn !== '' && (this.source.value ?? '') === '';
  }

  refresh(): void {
    this.pending = undefined;
  }
}

/** Parses a JSON secret into string fields; anything else is a configuration error. */
export function parseJsonSecret(text: string, arn: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`Secret ${arn} is not a JSON object of strings`, [arn]);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`Secret ${arn} is not a JSON object of strings`, [arn]);
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === 'string') out[key] = value;
  }
  return out;
}


