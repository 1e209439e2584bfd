/**
 * customer.created / updated → the Account named in the customer's metadata learns its Stripe
 * customer id, so objects created elsewhere can link through `Stripe_Customer_Id__c`. Names,
 * emails and addresses stay in Stripe.
 *
 * Only an Account without a Stripe customer is linked: metadata is editable by anyone with access
 * to the Stripe account, and a customer that names an Account already linked to another customer
 * must not move that link. The update itself cannot be made conditional, so Salesforce holds the
 * rule: the package's validation rule `Stripe_Customer_Id_Set_Once` refuses to change a non-blank
 * `Stripe_Customer_Id__c` to another value, in the same transaction as the write (concurrent
 * events cannot race past it). The mutation declares that refusal as expected: the writer skips
 * the Account with a warning instead of dead-lettering the event.
 */
import type { StripeEventOf } from '../stripe/event-schemas.js';
import { checkSalesforceId, METADATA_KEYS } from './links.js';
import type { MapResult } from './mutation.js';
import { RANK } from './ranks.js';
import { effect, upsert } from './records.js';

/** The error Salesforce answers when a validation rule refuses a save (SaveResult statusCode). */
export const VALIDATION_RULE_REFUSAL = 'FIELD_CUSTOM_VALIDATION_EXCEPTION';

export function mapCustomerEvent(event: StripeEventOf<'customer.created' | 'customer.updated'>): MapResult {
  const customer = event.data.object;
  const account = checkSalesforceId(customer.metadata?.[METADATA_KEYS.account], 'account');
  if (account.id === undefined) {
    return { outcome: 'skipped', reason: account.reason ?? 'customer names no Salesforce Account' };
  }
  const update = {
    ...upsert('Account', { field: 'Id', value: account.id }, { Stripe_Customer_Id__c: customer.id }),
    skipIfRefused: { errorCode: VALIDATION_RULE_REFUSAL, field: 'Stripe_Customer_Id__c' },
  };
  return effect(event, RANK.OPEN, [update], 'nothing to write');
}
