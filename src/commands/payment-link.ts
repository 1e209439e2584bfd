/** `payment_link`: a single-use Stripe payment link for the record's lines (no discounts: payment links take no coupons). */
import { BILLING_WRITE_BACK_DOC, billingCommand } from './billing-command.js';

export const paymentLinkCommand = billingCommand('payment_link', {
  effect: 'one price per line and a payment link with them',
  idempotency: 'sfbridge:<recordId>:price:<lineId>, sfbridge:<recordId>:payment_link',
  writeBack: `Stripe_Payment_Link_Id__c, Stripe_Payment_Link_Url__c; ${BILLING_WRITE_BACK_DOC}`,
});
