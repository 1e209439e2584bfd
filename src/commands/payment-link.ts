/** `payment_link`: a single-use Stripe payment link for the record's lines (no discounts: payment links take no coupons). */
import { BILLING_WRITE_BACK_DOC, billingCommand } from './billing-command.js';

export const paymentLinkCommand = billingCommand('payment_link', {
  effect:
    "the lines' products synced to the Stripe catalogue (src/catalog); a line at its entry's one-time list price uses the entry's Stripe price, any other line gets a price of its own (on the synced product when it has one); a payment link with them",
  idempotency: "the catalogue's (sfbridge:<Product2Id>:product, sfbridge:<PricebookEntryId>:price:<definition>), sfbridge:<recordId>:price:<lineId>, sfbridge:<recordId>:payment_link",
  writeBack: `Stripe_Payment_Link_Id__c, Stripe_Payment_Link_Url__c; ${BILLING_WRITE_BACK_DOC}`,
});
