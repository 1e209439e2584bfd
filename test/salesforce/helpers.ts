import type { SalesforceCredentialValues, SalesforceSettings } from '../../src/config.js';
import type { SalesforceMutation } from '../../src/mappers/mutation.js';

export const API_VERSION = '64.0';

export function settingsFor(
  loginUrl: string,
  credentials: SalesforceCredentialValues,
  extra: Partial<Pick<SalesforceSettings, 'credentialsSecretArn' | 'instanceUrl'>> = {},
): SalesforceSettings {
  return {
    loginUrl,
    apiVersion: API_VERSION,
    instanceUrl: extra.instanceUrl ?? credentials.instanceUrl,
    credentials,
    credentialsSecretArn: extra.credentialsSecretArn,
  };
}

export function payment(id: string, fields: SalesforceMutation['fields'] = {}, optionalReferences?: readonly string[]): SalesforceMutation {
  return {
    sobject: 'Stripe_Payment__c',
    key: { field: 'Stripe_Id__c', value: id },
    fields: { Name: id, ...fields },
    ...(optionalReferences === undefined ? {} : { optionalReferences }),
  };
}

export function account(customerId: string, fields: SalesforceMutation['fields'] = {}): SalesforceMutation {
  return {
    sobject: 'Account',
    key: { field: 'Stripe_Customer_Id__c', value: customerId },
    fields: { Name: `Customer ${customerId}`, ...fields },
  };
}

/** The error a Salesforce call rejects with (`{}` when it succeeds). */
export async function requestError(promise: PromiseLike<unknown>): Promise<{ errorCode?: string; message?: string }> {
  try {
    await promise;
    return {};
  } catch (e) {
    return e as { errorCode?: string; message?: string };
  }
}
