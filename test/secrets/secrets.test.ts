import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConfigError, TransientError } from '../../src/errors.js';
import { CachedSecret, parseJsonSecret, secretsManagerFetcher } from '../../src/secrets.js';

const sm = mockClient(SecretsManagerClient);
// The mock patches the client class for the whole worker: undo it for the files after this one.
afterAll(() => sm.restore());
afterEach(() => sm.reset());
const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:stripe-webhook-AbCdEf';

describe('secrets', () => {
  it('reads a secret once per cold start and again only after refresh()', async () => {
    sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'whsec_test_fake_old' }).resolves({ SecretString: 'whsec_test_fake_new' });
    const secret = new CachedSecret({ arn: ARN });
    expect(await secret.get()).toBe('whsec_test_fake_old');
    expect(await secret.get()).toBe('whsec_test_fake_old');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(secret.refreshable).toBe(true);
    secret.refresh();
    expect(await secret.get()).toBe('whsec_test_fake_new');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('says to fill in a secret that the stack created empty', async () => {
    sm.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "can't find the specified secret value for staging label: AWSCURRENT", $metadata: {} }));
    await expect(secretsManagerFetcher.fetch(ARN)).rejects.toThrow(ConfigError);
    await expect(secretsManagerFetcher.fetch(ARN)).rejects.toThrow(/has no value yet/);
  });

  it('treats an unreachable Secrets Manager as transient and does not cache the failure', async () => {
    sm.on(GetSecretValueCommand).rejectsOnce(new Error('socket hang up')).resolves({ SecretString: 'value' });
    const secret = new CachedSecret({ arn: ARN });
    await expect(secret.get()).rejects.toThrow(TransientError);
    expect(await secret.get()).toBe('value');
  });

  it('prefers a value from the environment and never calls AWS for it', async () => {
    const secret = new CachedSecret({ value: 'whsec_test_fake_env', arn: ARN });
    expect(await secret.get()).toBe('whsec_test_fake_env');
    expect(secret.refreshable).toBe(false);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('parses JSON secrets and rejects anything else without echoing it', () => {
    expect(parseJsonSecret('{"SALESFORCE_CLIENT_ID":"id","n":1}', ARN)).toEqual({ SALESFORCE_CLIENT_ID: 'id' });
    const err = (() => {
      try {
        parseJsonSecret('not-json-secret-value', ARN);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.message).not.toContain('not-json-secret-value');
  });
});
