import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthenticationError, ConfigError, TransientError } from '../../src/errors.js';
import type { SecretFetcher } from '../../src/secrets.js';
import { createSalesforceSession, withSession } from '../../src/salesforce/session.js';
import { startSalesforceStandIn, STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET, type SalesforceStandIn } from '../../src/local/standins/salesforce-standin.js';
import { API_VERSION, settingsFor } from './helpers.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PUBLIC_PEM = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const SOQL = "SELECT Id, Name FROM Account WHERE Stripe_Customer_Id__c = 'cus_session'";

let sf: SalesforceStandIn;

beforeEach(async () => {
  sf = await startSalesforceStandIn({ jwtPublicKey: PUBLIC_PEM });
  sf.insert('Account', { Name: 'Session Co', Stripe_Customer_Id__c: 'cus_session' });
});
afterEach(async () => {
  await sf.close();
});

describe('createSalesforceSession', () => {
  it('logs in with client credentials and queries with the configured API version', async () => {
    const session = createSalesforceSession(settingsFor(sf.url, { clientId: STANDIN_CLIENT_ID, clientSecret: STANDIN_CLIENT_SECRET }));
    const conn = await session.connection();
    expect(conn.version).toBe(API_VERSION);
    const result = await conn.query<{ Name: string }>(SOQL);
    expect(result.records.map((r) => r.Name)).toEqual(['Session Co']);
    expect(sf.requests.some((r) => r.path === `/services/data/v${API_VERSION}/query`)).toBe(true);
    expect(session.logins).toBe(1);
    expect(sf.logins).toBe(1);
  });

  it('logs in with a signed JWT bearer assertion', async () => {
    const session = createSalesforceSession(
      settingsFor(sf.url, { clientId: STANDIN_CLIENT_ID, username: 'integration@example.invalid', privateKey: PRIVATE_PEM }),
    );
    const conn = await session.connection();
    expect((await conn.query(SOQL)).totalSize).toBe(1);
    expect(sf.logins).toBe(1);
  });

  it('accepts a private key whose newlines were escaped as \\n', async () => {
    const escaped = PRIVATE_PEM.replace(/\n/g, '\\n');
    const session = createSalesforceSession(settingsFor(sf.url, { clientId: STANDIN_CLIENT_ID, username: 'u@example.invalid', privateKey: escaped }));
    await session.connection();
    expect(sf.logins).toBe(1);
  });

  it('rejects a JWT signed with another key as an authentication error naming the variables', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const session = createSalesforceSession(settingsFor(sf.url, { clientId: STANDIN_CLIENT_ID, username: 'u@example.invalid', privateKey: other }));
    const err = await session.connection().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).code).toBe('SALESFORCE_LOGIN_INVALID_GRANT');
    expect((err as Error).message).toContain('SALESFORCE_PRIVATE_KEY');
    expect(sf.logins).toBe(0);
  });

  it('uses a ready session without any login', async () => {
    const session = createSalesforceSession(settingsFor(sf.url, { instanceUrl: sf.url, accessToken: sf.issueToken() }));
    const conn = await session.connection();
    expect((await conn.query(SOQL)).totalSize).toBe(1);
    expect(session.logins).toBe(0);
    expect(sf.logins).toBe(0);
  });

  it('reports wrong client credentials as an authentication error, not a crash', async () => {
    const session = createSalesforceSession(settingsFor(sf.url, { clientId: STANDIN_CLIENT_ID, clientSecret: 'wrong_secret_fake' }));
    const err = await session.connection().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as AuthenticationError).code).toBe('SALESFORCE_LOGIN_INVALID_CLIENT');
    expect((err as Error).message).toContain('SALESFORCE_CLIENT_SECRET');
    expect((err as Error).message).not.toContain('wrong_secret_fake');
  });

  it('names the missing variables of a half-configured flow in a ConfigError', async () => {
    const session = createSalesforceSession(settingsFor(sf.url, { clientId: STANDIN_CLIENT_ID, username: 'u@example.invalid' }));
    const err = await session.connection().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variables).toEqual(['SALESFORCE_PRIVATE_KEY', 'SALESFORCE_CLIENT_SECRET']);
    expect((err as Error).message).toContain('jwt bearer');
  });

  it('names every variable when nothing is configured', async () => {
    const err = await createSalesforceSession(settingsFor(sf.url, {}))
      .connection()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variables).toEqual(
      expect.arrayContaining(['SALESFORCE_CLIENT_ID', 'SALESFORCE_CLIENT_SECRET', 'SALESFORCE_USERNAME', 'SALESFORCE_PRIVATE_KEY', 'SALESFORCE_ACCESS_TOKEN']),
    );
  });

  it('shares one login between concurrent first callers', async () => {
    const session = createSalesforceSession(settingsFor(sf.url, { clientId: STANDIN_CLIENT_ID, clientSecret: STANDIN_CLIENT_SECRET }));
    const connections = await Promise.all([session.connection(), session.connection(), session.connection()]);
    expect(new Set(connections).size).toBe(1);
    expect(sf.logins).toBe(1);
  });
});

describe('credentials from a secret ARN', () => {
  const ARN = 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:salesforce-fake';

  function fakeFetcher(values: string[]): SecretFetcher & { reads: number } {
    const fetcher = {
      reads: 0,
      fetch(arn: string) {
        expect(arn).toBe(ARN);
        const value = values[Math.min(fetcher.reads, values.length - 1)] as string;
        fetcher.reads += 1;
        return Promise.resolve(value);
      },
    };
    return fetcher;
  }

  it('reads the JSON secret once and logs in with its values', async () => {
    const fetcher = fakeFetcher([JSON.stringify({ SALESFORCE_CLIENT_ID: STANDIN_CLIENT_ID, SALESFORCE_CLIENT_SECRET: STANDIN_CLIENT_SECRET })]);
    const session = createSalesforceSession(settingsFor(sf.url, {}, { credentialsSecretArn: ARN }), { fetcher });
    await session.connection();
    await session.connection();
    expect(fetcher.reads).toBe(1);
    expect(sf.logins).toBe(1);
  });

  it('re-reads a rotated secret once when the cached credentials are rejected', async () => {
    const fetcher = fakeFetcher([
      JSON.stringify({ SALESFORCE_CLIENT_ID: STANDIN_CLIENT_ID, SALESFORCE_CLIENT_SECRET: 'rotated_away_fake' }),
      JSON.stringify({ SALESFORCE_CLIENT_ID: STANDIN_CLIENT_ID, SALESFORCE_CLIENT_SECRET: STANDIN_CLIENT_SECRET }),
    ]);
    const session = createSalesforceSession(settingsFor(sf.url, {}, { credentialsSecretArn: ARN }), { fetcher });
    await session.connection();
    expect(fetcher.reads).toBe(2);
    expect(sf.logins).toBe(1);
  });

  it('turns a secret that is not JSON into a ConfigError naming the ARN', async () => {
    const session = createSalesforceSession(settingsFor(sf.url, {}, { credentialsSecretArn: ARN }), { fetcher: fakeFetcher(['not json']) });
    const err = await session.connection().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variables).toEqual([ARN]);
  });
});

describe('withSession', () => {
  it('renews once after INVALID_SESSION_ID and retries the operation', async () => {
    const session = createSalesforceSession(settingsFor(sf.url, { clientId: STANDIN_CLIENT_ID, clientSecret: STANDIN_CLIENT_SECRET }));
    await session.connection();
    sf.expireSessions();
    let attempts = 0;
    const total = await withSession(session, async (conn) => {
      attempts += 1;
      return (await conn.query(SOQL)).totalSize;
    });
    expect(total).toBe(1);
    expect(attempts).toBe(2);
    expect(sf.logins).toBe(2);
  });

  it('shares one renewal between callers that hit the same expiry', async () => {
    const session = createSalesforceSession(settingsFor(sf.url, { clientId: STANDIN_CLIENT_ID, clientSecret: STANDIN_CLIENT_SECRET }));
    await session.connection();
    sf.expireSessions();
    const totals = await Promise.all([1, 2, 3].map(() => withSession(session, async (conn) => (await conn.query(SOQL)).totalSize)));
    expect(totals).toEqual([1, 1, 1]);
    expect(sf.logins).toBe(2);
  });

  it('gives up with a transient authentication error when the new session is rejected too', async () => {
    const token = sf.issueToken();
    const session = createSalesforceSession(settingsFor(sf.url, { instanceUrl: sf.url, accessToken: token }));
    sf.expireSessions();
    let attempts = 0;
    const err = await withSession(session, async (conn) => {
      attempts += 1;
      return conn.query(SOQL);
    }).catch((e: unknown) => e);
    expect(attempts).toBe(2);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).code).toBe('SALESFORCE_INVALID_SESSION_ID');
  });

  it('classifies a query on an unknown field as permanent', async () => {
    const session = createSalesforceSession(settingsFor(sf.url, { instanceUrl: sf.url, accessToken: sf.issueToken() }));
    const err = await withSession(session, async (conn) => conn.query('SELECT Nope__c FROM Account')).catch((e: unknown) => e);
    expect((err as { kind?: string }).kind).toBe('permanent');
    expect((err as { code?: string }).code).toBe('SALESFORCE_INVALID_FIELD');
  });
});
