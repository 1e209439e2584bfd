/**
 * Onboarding: the first successful payment of an Account (a Stripe payment Succeeded, or an invoice
 * Paid, of its Stripe customer) gives the Account's owner a Task to onboard the new customer.
 *
 * Exactly once per customer, whatever the concurrency and the replays: a claim in the dedup table
 * (`onboarding#<customerId>`, the dedup/run-once lifecycle) decides which event of which batch
 * adds the Task, and the Task is upserted on `Stripe_Task_Key__c = onboarding:<customerId>`, so
 * even a lost claim marker finds the one Task again. The claim is committed once the event's write
 * is applied and released when it fails, so the customer's next payment tries again.
 *
 * The Task rides in the batch's own Composite request beside the payment; its owner (and related
 * Account, when the event named only the customer) come from the Account roll-up's read, in the
 * roll-up's write (src/inbound/task-owners.ts). Without roll-ups the Task keeps the integration
 * user as owner. Events the bridge makes up (backfill, reconcile) describe history, not a first
 * payment, and add no Task.
 */
import type { SalesforceMutation } from '../contracts/salesforce-mutation.js';
import { isSyntheticEventId } from '../contracts/synthetic-events.js';

export const ONBOARDING_TASK_KEY_PREFIX = 'onboarding:';

/** Whether a written record is an onboarding Task (it says nothing about the event being stale or not). */
export const isOnboardingTask = (record: { readonly sobject: string; readonly keyValue?: string }): boolean =>
  record.sobject === 'Task' && record.keyValue?.startsWith(ONBOARDING_TASK_KEY_PREFIX) === true;
/** The dedup table key of a customer's onboarding claim. */
export const onboardingClaimKey = (customerId: string): string => `onboarding#${customerId}`;
export const ONBOARDING_CLAIM_KIND = 'onboarding';

export interface FirstPayment {
  readonly customerId: string;
  /** The PaymentIntent or invoice id that was paid. */
  readonly stripeObjectId: string;
  /** The Account id the event named (metadata), if any. */
  readonly accountId: string | undefined;
  readonly amount: number | undefined;
  readonly currency: string | undefined;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** The successful payment these mutations record for a customer, if any. Pure. */
export function successfulPayment(eventId: string, mutations: readonly SalesforceMutation[]): FirstPayment | undefined {
  if (isSyntheticEventId(eventId)) return undefined;
  for (const m of mutations) {
    const paid =
      (m.sobject === 'Stripe_Payment__c' && m.fields['Status__c'] === 'Succeeded') ||
      (m.sobject === 'Stripe_Invoice__c' && m.fields['Status__c'] === 'Paid' && typeof m.fields['Amount_Paid__c'] === 'number' && m.fields['Amount_Paid__c'] > 0);
    const customerId = text(m.fields['Stripe_Customer_Id__c']);
    if (!paid || customerId === undefined) continue;
    const amount = m.fields[m.sobject === 'Stripe_Invoice__c' ? 'Amount_Paid__c' : 'Amount__c'];
    return {
      customerId,
      stripeObjectId: m.key.value,
      accountId: text(m.fields['Account__c']),
      amount: typeof amount === 'number' ? amount : undefined,
      currency: text(m.fields['Currency_Code__c']),
    };
  }
  return undefined;
}

/** The onboarding Task of a customer's first payment, due `today` (YYYY-MM-DD). Pure. */
export function onboardingTask(payment: FirstPayment, today: string): SalesforceMutation {
  const paid = payment.amount === undefined || payment.currency === undefined ? '' : ` (${payment.amount} ${payment.currency.toUpperCase()})`;
  return {
    sobject: 'Task',
    key: { field: 'Stripe_Task_Key__c', value: `${ONBOARDING_TASK_KEY_PREFIX}${payment.customerId}` },
    fields: {
      Subject: 'Onboard new customer: first Stripe payment received',
      Description:
        `First successful Stripe payment${paid}: ${payment.stripeObjectId}, Stripe customer ${payment.customerId}. ` +
        'Welcome the customer and check they have what they bought. The Stripe bridge creates this Task once per Account.',
      ActivityDate: today,
      Stripe_Customer_Id__c: payment.customerId,
      ...(payment.accountId === undefined ? {} : { WhatId: payment.accountId }),
    },
    // An Account id from metadata that does not exist in this org is dropped: the roll-up names the Account.
    ...(payment.accountId === undefined ? {} : { optionalReferences: ['WhatId'] }),
  };
}
