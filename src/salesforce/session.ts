/**
 * One Salesforce session per execution environment: log in on first use, reuse the jsforce
 * Connection across invocations, and log in again only when Salesforce says the session is gone.
 */
import { Connection } from 'jsforce/core';
import { setDefaults as setJsforceRequestDefaults } from 'jsforce/lib/request.js';
import type { SalesforceSettings } from '../config.js';
import type { Logger } from '../logging.js';
import { CachedSecret, secretsManagerFetcher, type SecretFetcher } from '../secrets.js';
import { requestToken, resolveAuthFlow, type SalesforceAuthFlow, type SalesforceToken } from './auth.js';
import { AuthenticationError } from '../errors.js';
import { classifySalesforceFailure, isInvalidSession } from './errors.js';

export interface SalesforceSession {
  /** The cached connection; concurrent first callers share one login. */
  connection(): Promise<Connection>;
  /**
   * After INVALID_SESSION_ID: re-read the secret and log in again. Pass the connection that was
   * rejected so that callers racing on the same expiry share a single renewal.
   */
  renew(rejected?: Connection): Promise<Connection>;
  /** Successful OAuth logins so far (a ready session counts none). */
  readonly logins: number;
}

export interface SalesforceSessionDeps {
  readonly fetcher?: SecretFetcher;
  readonly logger?: Logger;
  /** Timeout of a token request. */
  readonly loginTimeoutMs?: number;
  /** Seconds since the epoch, for the JWT expiry. */
  readonly nowSeconds?: () => number;
}

const DEFAULT_LOGIN_TIMEOUT_MS = 10_000;

// One retry policy: the queue's per-message backoff and the circuit breakers. jsforce would
// otherwise sleep and resend every GET up to 5 times on a 5xx (15.5 s inside one invocation, per
// call, all through an outage) before the bridge even learns that Salesforce is down.
setJsforceRequestDefaults({ retry: { maxRetries: 0 } });

class CachedSalesforceSession implements SalesforceSession {
  private pending: Promise<Connection> | undefined;
  /** The connection `pending` resolved to; undefined while a login is under way. */
  private current: Connection | undefined;
  private loginCount = 0;
  private readonly secret: CachedSecret | undefined;

  constructor(
    private readonly settings: SalesforceSettings,
    private readonly deps: SalesforceSessionDeps,
  ) {
    this.secret =
      settings.credentialsSecretArn === undefined
        ? undefined
        : new CachedSecret({ arn: settings.credentialsSecretArn }, deps.fetcher ?? secretsManagerFetcher, 'SALESFORCE_CREDENTIALS_ARN');
  }

  get logins(): number {
    return this.loginCount;
  }

  connection(): Promise<Connection> {
    return (this.pending ??= this.start());
  }

  renew(rejected?: Connection): Promise<Connection> {
    if (rejected !== undefined && this.pending !== undefined && this.current !== rejected) {
      return this.pending;
    }
    this.secret?.refresh();
    this.pending = this.start();
    return this.pending;
  }

  private start(): Promise<Connection> {
    this.current = undefined;
    const attempt: Promise<Connection> = this.login().then(
      (connection) => {
        if (this.pending === attempt) this.current = connection;
        return connection;
      },
      (err: unknown) => {
        if (this.pending === attempt) this.pending = undefined;
        throw err;
      },
    );
    return attempt;
  }

  private async login(): Promise<Connection> {
    const flow = await resolveAuthFlow(this.settings, this.secret);
    let token: SalesforceToken;
    if (flow.kind === 'ready_session') {
      token = { accessToken: flow.accessToken, instanceUrl: flow.instanceUrl };
    } else {
      token = await this.oauth(flow);
    }
    this.deps.logger?.info({ flow: flow.kind, apiVersion: this.settings.apiVersion }, 'salesforce session ready');
    // No oauth2 client and no refreshFn: jsforce must not refresh on its own, withSession does.
    return new Connection({ instanceUrl: token.instanceUrl, accessToken: token.accessToken, version: this.settings.apiVersion });
  }

  private async oauth(flow: Exclude<SalesforceAuthFlow, { kind: 'ready_session' }>): Promise<SalesforceToken> {
    const options = () => ({
      timeoutMs: this.deps.loginTimeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS,
      nowSeconds: (this.deps.nowSeconds ?? (() => Math.floor(Date.now() / 1000)))(),
    });
    try {
      const token = await requestToken(flow, options());
      this.loginCount += 1;
      return token;
    } catch (err) {
      // A rotated secret: the cached copy may be stale. Re-read it once and try again.
      if (!(err instanceof AuthenticationError) || this.secret?.refreshable !== true) throw err;
      this.deps.logger?.warn({ code: err.code }, 'salesforce login rejected; re-reading the credentials secret');
      this.secret.refresh();
      const fresh = await resolveAuthFlow(this.settings, this.secret);
      if (fresh.kind === 'ready_session') return { accessToken: fresh.accessToken, instanceUrl: fresh.instanceUrl };
      const token = await requestToken(fresh, options());
      this.loginCount += 1;
      return token;
    }
  }
}

export function createSalesforceSession(settings: SalesforceSettings, deps: SalesforceSessionDeps = {}): SalesforceSession {
  return new CachedSalesforceSession(settings, deps);
}

/**
 * Runs `operation` with the session's connection. On INVALID_SESSION_ID it renews the session once
 * and runs the operation again; a second rejection is a AuthenticationError (transient).
 * Every failure comes out classified (TransientError or PermanentError).
 */
export async function withSession<T>(session: SalesforceSession, operation: (connection: Connection) => Promise<T>): Promise<T> {
  let connection: Connection;
  try {
    connection = await session.connection();
  } catch (err) {
    throw classifySalesforceFailure(err);
  }
  try {
    return await operation(connection);
  } catch (err) {
    if (!isInvalidSession(err)) throw classifySalesforceFailure(err);
  }
  let renewed: Connection;
  try {
    renewed = await session.renew(connection);
  } catch (err) {
    throw classifySalesforceFailure(err);
  }
  try {
    return await operation(renewed);
  } catch (err) {
    if (isInvalidSession(err)) {
      throw new AuthenticationError('Salesforce rejected the session again right after a new login', {
        code: 'SALESFORCE_INVALID_SESSION_ID',
        cause: err,
      });
    }
    throw classifySalesforceFailure(err);
  }
}
