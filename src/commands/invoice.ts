/** `invoice`: a Stripe invoice for the record's lines, finalized and emailed by Stripe. */
import { BILLING_WRITE_BACK_DOC, billingCommand } from './billing-command.js';

export const invoiceCommand = billingCommand('invoice', {
  effect:
    "customer (once per Account), the lines' products synced to the Stripe catalogue (src/catalog), coupon for a discount, draft invoice with one item per line (at its entry's Stripe price when sold at the one-time list price, else its own price on the synced product; tax and shipping as items), finalized and sent",
  idempotency: "the catalogue's (sfbridge:<Product2Id>:product, sfbridge:<PricebookEntryId>:price:<definition>), sfbridge:<recordId>:invoice, …:item:<lineId>, …:coupon:<amount><currency>, …:finalize, …:send; customer sfbridge:<AccountId>:customer",
  writeBack: `Stripe_Invoice_Id__c, Stripe_Invoice_Url__c; ${BILLING_WRITE_BACK_DOC}`,
});
