/**
 * Metadata keys on Stripe objects that name Salesforce records. The outbound flow sets them on
 * everything it creates; the inbound mappers read them back. Depends on nothing.
 */
export const METADATA_KEYS = {
  opportunity: 'salesforce_opportunity_id',
  account: 'salesforce_account_id',
  order: 'salesforce_order_id',
  quote: 'salesforce_quote_id',
  contract: 'salesforce_contract_id',
  /**
   * `invoice`, `payment_link` or `checkout` on a PaymentIntent the bridge's outbound flow caused (through
   * `payment_intent_data.metadata`): its failures are reported by the invoice or checkout events.
   */
  paymentMode: 'salesforce_payment_mode',
} as const;

/** Marks each invoice item and price with its OpportunityLineItem, so a resumed draft can be compared. */
export const LINE_ITEM_METADATA_KEY = 'salesforce_line_item_id';
