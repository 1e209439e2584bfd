/**
 * The picklist values the bridge writes: the vocabulary Salesforce admins build reports and Flows
 * on. Shared by the mappers (what an event means), the outbound planner (what an Opportunity
 * already shows), the precedence table and the Salesforce data model. Depends on nothing.
 */
export const OPPORTUNITY_PAYMENT_STATUSES = [
  'Awaiting Payment',
  'Paid',
  /** Its own bill was paid, but for less than was billed, or in another currency (src/billing/trust.ts). */
  'Partially Paid',
  'Payment Failed',
  'Partially Refunded',
  'Refunded',
  'Disputed',
  'Canceled',
] as const;
export type OpportunityPaymentStatus = (typeof OPPORTUNITY_PAYMENT_STATUSES)[number];

export const PAYMENT_STATUSES = [
  'Requires Payment Method',
  'Requires Action',
  'Processing',
  'Succeeded',
  'Failed',
  'Canceled',
  'Partially Refunded',
  'Refunded',
  'Disputed',
  'Dispute Won',
  'Dispute Lost',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const INVOICE_STATUSES = ['Draft', 'Open', 'Paid', 'Uncollectible', 'Void'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

export const SUBSCRIPTION_STATUSES = [
  'Incomplete',
  'Incomplete Expired',
  'Trialing',
  'Active',
  'Past Due',
  'Canceled',
  'Unpaid',
  'Paused',
] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/**
 * Stripe_Subscription_Item__c.Status__c: part of its subscription, taken off it in Stripe, or
 * ended with the subscription (the last two are final).
 */
export const SUBSCRIPTION_ITEM_STATUSES = ['Active', 'Removed', 'Ended'] as const;
export type SubscriptionItemStatus = (typeof SUBSCRIPTION_ITEM_STATUSES)[number];

/**
 * Stripe_Subscription_Change__c.Type__c: how one event moved a subscription's MRR (the movement
 * types of Stripe's billing analytics: new, expansion, contraction, churn, reactivation).
 */
export const SUBSCRIPTION_CHANGE_TYPES = ['New Business', 'Expansion', 'Contraction', 'Churn', 'Reactivation'] as const;
export type SubscriptionChangeType = (typeof SUBSCRIPTION_CHANGE_TYPES)[number];

/**
 * Stripe_Refund__c.Status__c: a refund's `status` (https://docs.stripe.com/api/refunds/object:
 * pending, requires_action, succeeded, failed, canceled).
 */
export const REFUND_STATUSES = ['Pending', 'Requires Action', 'Succeeded', 'Failed', 'Canceled'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

/**
 * How a revenue record is billed: an emailed invoice, a (single-use) payment link, a Checkout
 * Session link, or a Stripe subscription for its recurring products.
 */
export const PAYMENT_MODES = ['invoice', 'payment_link', 'checkout', 'subscription'] as const;
export type PaymentMode = (typeof PAYMENT_MODES)[number];

/** Stripe_Sync_Log__c.Status__c: a command's (or a dead-lettered event's) outcome. */
export const SYNC_LOG_STATUSES = ['Succeeded', 'Failed', 'Skipped', 'Pending'] as const;
export type SyncLogStatus = (typeof SYNC_LOG_STATUSES)[number];

/** Product2.Stripe_Billing_Interval__c: blank is a one-time product (Stripe's `recurring.interval`). */
export const BILLING_INTERVALS = ['day', 'week', 'month', 'year'] as const;
export type BillingInterval = (typeof BILLING_INTERVALS)[number];

/** Product2.Stripe_Usage_Type__c (Stripe's `recurring.usage_type`); blank is licensed. */
export const USAGE_TYPES = ['licensed', 'metered'] as const;

/** How a subscription is paid: Stripe's `collection_method`. */
export const COLLECTION_METHODS = ['send_invoice', 'charge_automatically'] as const;
export type CollectionMethod = (typeof COLLECTION_METHODS)[number];

/** Account.Stripe_Payment_Health__c: the rule is in src/rollups/account-figures.ts and docs/salesforce-setup.md. */
export const PAYMENT_HEALTH = ['Good', 'At Risk', 'Delinquent'] as const;
export type PaymentHealth = (typeof PAYMENT_HEALTH)[number];
