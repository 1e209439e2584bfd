/**
 * `subscription`: a Stripe subscription for the record's recurring products (Product2 with a
 * Stripe Billing Interval), its one-time products on the first invoice. Collection by emailed
 * invoice (`send_invoice`, default) or by card through a Checkout Session in subscription mode
 * (`charge_automatically`; `Options__c` `{"collectionMethod": …}` or the Opportunity's
 * Stripe_Collection_Method__c). Billed once per record, like every billing command
 * (src/outbound/subscription-plan.ts, docs/subscriptions.md).
 */
import { BILLING_WRITE_BACK_DOC, billingCommand } from './billing-command.js';

export const subscriptionCommand = billingCommand('subscription', {
  effect:
    'customer (once per Account), the lines\' products synced to the Stripe catalogue (src/catalog: a product per Product2, a price per PricebookEntry, a meter per metered product), coupon for a discount; send_invoice: a subscription (recurring lines as items, one-time lines as add_invoice_items, start date, trial, term), its first invoice finalized and sent; charge_automatically: a Checkout Session in subscription mode',
  idempotency: 'the catalogue\'s (sfbridge:<Product2Id>:product, sfbridge:<PricebookEntryId>:price:<definition>, …), sfbridge:<recordId>:subscription, …:subscription_finalize, …:subscription_send, …:subscription_checkout:<eventId>, …:coupon:<amount><currency>',
  writeBack: `Stripe_Subscription_Id__c, Stripe_Invoice_Id__c, Stripe_Invoice_Url__c (send_invoice) or Stripe_Checkout_Session_Id__c, Stripe_Checkout_Url__c, Stripe_Checkout_Expires_At__c (charge_automatically); ${BILLING_WRITE_BACK_DOC}`,
});
