/** `invoice`: a Stripe invoice for the record's lines, finalized and emailed by Stripe. */
import { BILLING_WRITE_BACK_DOC, billingCommand } from './billing-command.js';

export const invoiceCommand = billingCommand('invoice', {
  effect: 'customer (once per Account), coupon for a discount, draft invoice with one item per line (tax and shipping as items), finalized and sent',
  idempotency: 'sfbridge:<recordId>:invoice, …:item:<lineId>, …:coupon:<amount><currency>, …:finalize, …:send; customer sfbridge:<AccountId>:customer',
  writeBack: `Stripe_Invoice_Id__c, Stripe_Invoice_Url__c; ${BILLING_WRITE_BACK_DOC}`,
});
