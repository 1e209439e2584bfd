/**
 * Salesforce credentials and OAuth 2.0 logins: client credentials, JWT bearer, or a ready session.
 * Credentials come from the environment or from one JSON secret whose keys are the SALESFORCE_*
 * variable names (Secrets Manager in AWS).
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import type { SalesforceSettings } from '../config.js';
import { AuthenticationError, ConfigError, TransientError } from '../errors.js';
import { parseJsonSecret, type CachedSecret } from '../secrets.js';

/** Salesforce accepts a JWT bearer assertion only if it expires within 3 minutes. */
const JWT_LIFETIME_SECONDS = 170;

export type SalesforceAuthFlow =
  | { readonly kind: 'client_credentials'; readonly loginUrl: string; readonly clientId: string; readonly clientSecret: string }
  | { readonly kind: 'jwt_bearer'; readonly loginUrl: string; readonly clientId: string; readonly username: string; readonly privateKey: string }
  | { readonly kind: 'ready_session'; readonly instanceUrl: string; readonly accessToken: string };

export interface SalesforceToken {
  readonly accessToken: string;
  readonly instanceUrl: string;
}

const FLOW_VARIABLES = {
  jwt_bearer: ['SALESFORCE_CLIENT_ID', 'SALESFORCE_USERNAME', 'SALESFORCE_PRIVATE_KEY'],
  client_credentials: ['SALESFORCE_CLIENT_ID', 'SALESFORCE_CLIENT_SECRET'],
  ready_session: ['SALESFORCE_INSTANCE_URL', 'SALESFORCE_ACCESS_TOKEN'],
} as const;

type CredentialVariable = (typeof FLOW_VARIABLES)[keyof typeof FLOW_VARIABLES][number];

function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

/** Env-file and console copies of a PEM often carry literal `\n`; Salesforce keys never do. */
function normalisePem(text: string): string {
  return text.includes('\\n') ? text.replace(/\\n/g, '\n') : text;
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * Reads the credentials (direct values, overridden by the secret's values when an ARN is set) and
 * picks the flow: JWT bearer, then client credentials, then a ready session.
 */
export async function resolveAuthFlow(settings: SalesforceSettings, secret: CachedSecret | undefined): Promise<SalesforceAuthFlow> {
  const direct = settings.credentials;
  let fromSecret: Record<string, string> = {};
  if (secret !== undefined && settings.credentialsSecretArn !== undefined) {
    fromSecret = parseJsonSecret(await secret.get(), settings.credentialsSecretArn);
  }
  const pick = (variable: string, value: string | undefined): string | undefined => {
    const secretValue = fromSecret[variable];
    return present(secretValue) ? secretValue.trim() : present(value) ? value.trim() : undefined;
  };
  const values: Record<CredentialVariable, string | undefined> = {
    SALESFORCE_CLIENT_ID: pick('SALESFORCE_CLIENT_ID', direct.clientId),
    SALESFORCE_CLIENT_SECRET: pick('SALESFORCE_CLIENT_SECRET', direct.clientSecret),
    SALESFORCE_USERNAME: pick('SALESFORCE_USERNAME', direct.username),
    SALESFORCE_PRIVATE_KEY: pick('SALESFORCE_PRIVATE_KEY', direct.privateKey),
    SALESFORCE_INSTANCE_URL: pick('SALESFORCE_INSTANCE_URL', direct.instanceUrl ?? settings.instanceUrl),
    SALESFORCE_ACCESS_TOKEN: pick('SALESFORCE_ACCESS_TOKEN', direct.accessToken),
  };
  const loginUrl = stripSlash(pick('SALESFORCE_LOGIN_URL', settings.loginUrl) ?? settings.loginUrl);
  const complete = (flow: keyof typeof FLOW_VARIABLES): boolean => FLOW_VARIABLES[flow].every((v) => present(values[v]));

  if (complete('jwt_bearer')) {
    return {
      kind: 'jwt_bearer',
      loginUrl,
      clientId: values.SALESFORCE_CLIENT_ID as string,
      username: values.SALESFORCE_USERNAME as string,
      privateKey: normalisePem(values.SALESFORCE_PRIVATE_KEY as string),
    };
  }
  if (complete('client_credentials')) {
    return {
      kind: 'client_credentials',
      loginUrl,
      clientId: values.SALESFORCE_CLIENT_ID as string,
      clientSecret: values.SALESFORCE_CLIENT_SECRET as string,
    };
  }
  if (complete('ready_session')) {
    return {
      kind: 'ready_session',
      instanceUrl: stripSlash(values.SALESFORCE_INSTANCE_URL as string),
      accessToken: values.SALESFORCE_ACCESS_TOKEN as string,
    };
  }
  throw incompleteCredentials(values, settings.credentialsSecretArn);
}

function incompleteCredentials(values: Record<CredentialVariable, string | undefined>, arn: string | undefined): ConfigError {
  const flows = Object.entries(FLOW_VARIABLES).map(([flow, variables]) => ({
    flow,
    variables,
    missing: variables.filter((v) => !present(values[v])),
  }));
  // Name the missing variables of the flows someone started to configure; all of them otherwise.
  const started = flows.filter((f) => f.missing.length < f.variables.length);
  const blamed = [...new Set((started.length > 0 ? started : flows).flatMap((f) => f.missing))];
  const source = arn === undefined ? 'the environment' : `the environment or secret ${arn}`;
  const lines = flows.map(
    (f) => `  ${f.flow.replace('_', ' ')}: ${f.variables.join(' + ')}${f.missing.length > 0 ? ` (missing ${f.missing.join(', ')})` : ''}`,
  );
  return new ConfigError(`Incomplete Salesforce credentials in ${source}; set one of:\n${lines.join('\n')}`, blamed);
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/**
 * The JWT `aud`: Salesforce accepts login.salesforce.com, test.salesforce.com or an Experience
 * Cloud site URL, not a My Domain host, even when the token request goes to My Domain.
 */
export function jwtAudience(loginUrl: string): string {
  const host = new URL(loginUrl).hostname.toLowerCase();
  if (host.endsWith('.sandbox.my.salesforce.com')) return 'https://test.salesforce.com';
  if (host.endsWith('.my.salesforce.com')) return 'https://login.salesforce.com';
  return loginUrl;
}

/** An RS256-signed JWT bearer assertion (iss = client id, sub = username, aud = see jwtAudience). */
export function jwtAssertion(flow: Extract<SalesforceAuthFlow, { kind: 'jwt_bearer' }>, nowSeconds: number): string {
  let key: KeyObject;
  try {
    key = createPrivateKey(flow.privateKey);
  } catch {
    // The parser's message could quote key material, so it is not kept.
    throw new ConfigError('SALESFORCE_PRIVATE_KEY is not a PEM private key', ['SALESFORCE_PRIVATE_KEY']);
  }
  const header = base64url(JSON.stringify({ alg: 'RS256' }));
  const claims = base64url(JSON.stringify({ iss: flow.clientId, sub: flow.username, aud: jwtAudience(flow.loginUrl), exp: nowSeconds + JWT_LIFETIME_SECONDS }));
  const signature = sign('sha256', Buffer.from(`${header}.${claims}`), key).toString('base64url');
  return `${header}.${claims}.${signature}`;
}

export interface TokenRequestOptions {
  readonly timeoutMs: number;
  readonly nowSeconds: number;
}

/** Calls `${loginUrl}/services/oauth2/token` for an OAuth flow. */
export async function requestToken(
  flow: Exclude<SalesforceAuthFlow, { kind: 'ready_session' }>,
  options: TokenRequestOptions,
): Promise<SalesforceToken> {
  const form =
    flow.kind === 'client_credentials'
      ? new URLSearchParams({ grant_type: 'client_credentials', client_id: flow.clientId, client_secret: flow.clientSecret })
      : new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwtAssertion(flow, options.nowSeconds) });
  let response: Response;
  try {
    response = await fetch(`${flow.loginUrl}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (err) {
    throw new TransientError(`Salesforce login at ${flow.loginUrl} failed in transport`, { code: 'SALESFORCE_LOGIN_UNREACHABLE', cause: err });
  }
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
  } catch {
    // A non-JSON answer (proxy page, outage) is handled by the status below.
  }
  if (response.ok && typeof body.access_token === 'string' && typeof body.instance_url === 'string') {
    return { accessToken: body.access_token, instanceUrl: stripSlash(body.instance_url) };
  }
  if (response.status >= 500 || response.status === 429 || response.ok) {
    throw new TransientError(`Salesforce login at ${flow.loginUrl} answered HTTP ${response.status}`, {
      code: 'SALESFORCE_LOGIN_UNAVAILABLE',
      details: { status: response.status },
    });
  }
  const error = typeof body.error === 'string' ? body.error : `http_${response.status}`;
  const description = typeof body.error_description === 'string' ? body.error_description : 'no description';
  const check =
    flow.kind === 'client_credentials'
      ? 'SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET and SALESFORCE_LOGIN_URL (My Domain) and that the connected app enables the client credentials flow'
      : 'SALESFORCE_CLIENT_ID, SALESFORCE_USERNAME, SALESFORCE_PRIVATE_KEY and SALESFORCE_LOGIN_URL and that the user is pre-authorized for the connected app';
  throw new AuthenticationError(`Salesforce rejected the ${flow.kind.replace('_', ' ')} login (${error}: ${description}); check ${check}`, {
    code: `SALESFORCE_LOGIN_${error.toUpperCase()}`,
    details: { status: response.status },
  });
}
