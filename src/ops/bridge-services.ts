/**
 * The services the catch-up commands use besides SQS: Stripe (the operator's key, read-only is
 * enough), the dedup table and Salesforce. From the environment and the
 * bridge stack's outputs (`--stage`/`--stack`), or from the running local stack (`--local`).
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Env, SalesforceSettings } from '../config.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../logging.js';
import { createSalesforceSession, type SalesforceSession } from '../salesforce/session.js';
import type { SecretFetcher } from '../secrets.js';
import { STACK_OUTPUT, stackName } from '../stack-outputs.js';
import { keyedStripe, type StripeCall } from '../stripe/keyed-client.js';
import type { CommonOptions } from './args.js';
import { UsageError } from './errors.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.js';
import type { LocalStackState } from './local-state.js';
import { readStackOutputs } from './targets.js';

const DEFAULT_API_VERSION = '64.0';

/**
 * Hundreds of DynamoDB requests at once would queue in the SDK's default pool of 50
 * sockets would queue them (and warn).
 */
const DYNAMO_SOCKETS = { httpAgent: { maxSockets: 256 }, httpsAgent: { maxSockets: 256 } };

export interface BridgeServices {
  readonly stripe: StripeCall;
  readonly dynamo: DynamoDBClient;
  readonly tableName: string;
  readonly salesforce: SalesforceSession;
  readonly salesforceApiVersion: string;
  destroy(): void;
}

const nonBlank = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value.trim());

/** The operator's Stripe key (or the local stack's embedded Stripe), retried patiently on 429s. */
export function operatorStripe(env: Env, local: LocalStackState | undefined): StripeCall {
  const secretKey = nonBlank(env['STRIPE_SECRET_KEY']) ?? local?.embeddedStripe?.secretKey;
  if (secretKey === undefined) throw new UsageError('Set STRIPE_SECRET_KEY (a restricted key with read permissions is enough; see --help)');
  const apiUrl = nonBlank(env['STRIPE_API_URL']) ?? (nonBlank(env['STRIPE_SECRET_KEY']) === undefined ? local?.embeddedStripe?.apiUrl : undefined);
  if (apiUrl !== undefined && !URL.canParse(apiUrl)) throw new UsageError(`STRIPE_API_URL is not a URL: ${apiUrl}`);
  return keyedStripe({ secretKey, secretKeyArn: undefined, apiUrl }, { maxNetworkRetries: 5 });
}

export interface DedupTableAccess {
  readonly dynamo: DynamoDBClient;
  readonly tableName: string;
}

const awsConfig = (common: CommonOptions) => ({
  ...(common.region === undefined ? {} : { region: common.region }),
  ...(common.profile === undefined ? {} : { profile: common.profile }),
});

/** The dedup table alone (the retry command needs no Salesforce). */
export async function resolveDedupTable(common: CommonOptions, env: Env, local: LocalStackState | undefined): Promise<DedupTableAccess> {
  if (local !== undefined) {
    if (local.dynamo === undefined) throw new UsageError('The running local stack is older than this CLI: restart it with `npm start`');
    return {
      dynamo: new DynamoDBClient({ endpoint: local.dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, requestHandler: DYNAMO_SOCKETS }),
      tableName: local.dynamo.table,
    };
  }
  const aws = awsConfig(common);
  const name = common.targets.stack ?? (common.targets.stage === undefined ? undefined : stackName(common.targets.stage));
  const outputs = nonBlank(env['DEDUP_TABLE_NAME']) !== undefined || name === undefined ? new Map<string, string>() : await readStackOutputs(new CloudFormationClient(aws), name);
  const tableName = nonBlank(env['DEDUP_TABLE_NAME']) ?? outputs.get(STACK_OUTPUT.dedupTableName);
  if (tableName === undefined) throw new UsageError('No dedup table: pass --stage STAGE or --stack NAME, or set DEDUP_TABLE_NAME');
  return { dynamo: new DynamoDBClient({ ...aws, requestHandler: DYNAMO_SOCKETS }), tableName };
}

export async function resolveBridgeServices(common: CommonOptions, env: Env, local: LocalStackState | undefined, logger: Logger): Promise<BridgeServices> {
  const stripe = operatorStripe(env, local);
  const table = await resolveDedupTable(common, env, local);
  if (local !== undefined) {
    if (local.embeddedSalesforce === undefined && nonBlank(env['SALESFORCE_LOGIN_URL']) === undefined && nonBlank(env['SALESFORCE_INSTANCE_URL']) === undefined) {
      throw new UsageError('The local stack runs against a real Salesforce: set SALESFORCE_* as for npm start');
    }
    const settings = local.embeddedSalesforce === undefined ? salesforceFromEnv(env, undefined) : embeddedSalesforce(local.embeddedSalesforce);
    return services(stripe, table, createSalesforceSession(settings, { logger }), settings.apiVersion);
  }
  const aws = awsConfig(common);
  const name = common.targets.stack ?? (common.targets.stage === undefined ? undefined : stackName(common.targets.stage));
  const outputs = name === undefined ? new Map<string, string>() : await readStackOutputs(new CloudFormationClient(aws), name);
  const settings = salesforceFromEnv(env, outputs.get(STACK_OUTPUT.salesforceCredentialsSecretArn));
  const secrets = new SecretsManagerClient(aws);
  const fetcher: SecretFetcher = {
    async fetch(arn) {
      const out = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
      if (out.SecretString === undefined || out.SecretString === '') throw new ConfigError(`Secret ${arn} has no value`, [arn]);
      return out.SecretString;
    },
  };
  const built = services(stripe, table, createSalesforceSession(settings, { logger, fetcher }), settings.apiVersion);
  return { ...built, destroy: () => (built.destroy(), secrets.destroy()) };
}

function services(stripe: StripeCall, table: DedupTableAccess, salesforce: SalesforceSession, apiVersion: string): BridgeServices {
  return { stripe, ...table, salesforce, salesforceApiVersion: apiVersion, destroy: () => table.dynamo.destroy() };
}

function embeddedSalesforce(embedded: NonNullable<LocalStackState['embeddedSalesforce']>): SalesforceSettings {
  return {
    loginUrl: embedded.url,
    apiVersion: DEFAULT_API_VERSION,
    instanceUrl: undefined,
    credentialsSecretArn: undefined,
    credentials: { clientId: embedded.clientId, clientSecret: embedded.clientSecret },
  };
}

/** SALESFORCE_* as the functions read them; else the stack's credentials secret. */
function salesforceFromEnv(env: Env, stackSecretArn: string | undefined): SalesforceSettings {
  const credentials = {
    clientId: nonBlank(env['SALESFORCE_CLIENT_ID']),
    clientSecret: nonBlank(env['SALESFORCE_CLIENT_SECRET']),
    username: nonBlank(env['SALESFORCE_USERNAME']),
    privateKey: nonBlank(env['SALESFORCE_PRIVATE_KEY']),
    instanceUrl: nonBlank(env['SALESFORCE_INSTANCE_URL']),
    accessToken: nonBlank(env['SALESFORCE_ACCESS_TOKEN']),
  };
  const hasCredentials = Object.values(credentials).some((v) => v !== undefined);
  const secretArn = nonBlank(env['SALESFORCE_CREDENTIALS_ARN']) ?? (hasCredentials ? undefined : stackSecretArn);
  if (!hasCredentials && secretArn === undefined) {
    throw new UsageError('No Salesforce credentials: set SALESFORCE_* (as for the functions), or pass --stage/--stack to use the stack\'s secret');
  }
  return {
    loginUrl: nonBlank(env['SALESFORCE_LOGIN_URL']) ?? 'https://login.salesforce.com',
    apiVersion: nonBlank(env['SALESFORCE_API_VERSION']) ?? DEFAULT_API_VERSION,
    instanceUrl: credentials.instanceUrl,
    credentialsSecretArn: secretArn,
    credentials,
  };
}
