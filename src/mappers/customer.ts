/**
 * customer.created / updated → the Account named in the customer's metadata learns its Stripe
 * customer id, so objects created elsewhere can link through `Stripe_Customer_Id__c`. Names,
 * emails and addresses stay in Stripe.
 */
import type { StripeEventOf } from '../stripe/event-schemas.js';
import { METADATA_KEYS, salesforceId } from './links.js';
import type { MapResult } from './mutation.js';
import { RANK } from './ranks.js';
import { effect, upsert } from './records.js';

export function mapCustomerEvent(event: StripeEventOf<'customer.created' | 'customer.updated'>): MapResult {
  const customer = event.data.object;
  const accountId = salesforceId(customer.metadata[METADATA_KEYS.account]);
  if (accountId === undefined) return { outcome: 'skipped', reason: 'customer names no Salesforce Account' };
  const account = upsert('Account', { field: 'Id', value: accountId }, { Stripe_Customer_Id__c: customer.id });
  return effect(event, RANK.OPEN, [account], 'nothing to write');
}
