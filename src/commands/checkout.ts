/**
 * `checkout`: a Stripe Checkout Session for the record (hosted payment page, bound to the
 * Account's customer). It expires 30 minutes to 24 hours after the request (`Options__c`
 * `{"expiresInHours": n}`, default 24: Stripe's limits); asking again issues a new link and
 * expires the previous one, so only one can be paid.
 */
import { BILLING_WRITE_BACK_DOC, billingCommand } from './billing-command.js';

export const checkoutCommand = billingCommand('checkout', {
  effect:
    "customer (once per Account), the lines' products synced to the Stripe catalogue (src/catalog), coupon for a discount, previous session expired, a Checkout Session (payment mode) with one line per product (its entry's Stripe price at the one-time list price, else its own price on the synced product), tax and shipping",
  idempotency: "the catalogue's (sfbridge:<Product2Id>:product, sfbridge:<PricebookEntryId>:price:<definition>), sfbridge:<recordId>:checkout:<eventId> (one session per request), …:expire:<sessionId>, …:coupon:<amount><currency>",
  writeBack: `Stripe_Checkout_Session_Id__c, Stripe_Checkout_Url__c, Stripe_Checkout_Expires_At__c; ${BILLING_WRITE_BACK_DOC}`,
});
