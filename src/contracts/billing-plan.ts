/**
 * A billing plan as data: the Stripe requests the outbound planner decides on and the Stripe
 * adapter executes, and what an earlier run left in Stripe. Shared by both sides so neither
 * imports the other. Depends on nothing but Stripe's parameter types.
 */
import type Stripe from 'stripe';
import type { PaymentMode } from './statuses.js';

export interface BillingLine {
  /** The line item id, `amount` for the single line of an Opportunity without items, `tax` or `shipping`. */
  readonly lineId: string;
  readonly description: string;
  /** A whole quantity; a fractional one is folded into a single line of quantity 1. */
  readonly quantity: number;
  /** Minor units per unit; negative for a discount line. */
  readonly unitAmount: number;
  /**
   * How the line is sold from the catalogue (src/catalog), when its price book entry was synced:
   * on the Stripe product of its Product2 and, when it sells at the entry's one-time list price,
   * at the catalogue's Price. Undefined: priced inline as a product of its own (a line without a
   * product, tax, shipping, an Amount).
   */
  readonly catalog?: LineCatalog | undefined;
}

export interface LineCatalog {
  readonly productId: string;
  /** The catalogue's one-time Price; undefined when the line bills another price than the list price (priced inline on the product). */
  readonly priceId: string | undefined;
}

export type StripeStep =
  | { readonly kind: 'create_customer'; readonly idempotencyKey: string; readonly params: Stripe.CustomerCreateParams }
  | {
      readonly kind: 'create_invoice';
      readonly idempotencyKey: string;
      /** `customer` is filled in from the Account or the customer step. */
      readonly params: Omit<Stripe.InvoiceCreateParams, 'customer'>;
    }
  | {
      readonly kind: 'create_invoice_item';
      readonly idempotencyKey: string;
      readonly line: BillingLine;
      readonly currency: string;
      readonly metadata: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'finalize_invoice'; readonly idempotencyKey: string }
  | { readonly kind: 'send_invoice'; readonly idempotencyKey: string }
  | { readonly kind: 'create_price'; readonly idempotencyKey: string; readonly lineId: string; readonly params: Stripe.PriceCreateParams }
  /** The record's discount as a one-off coupon; the invoice or Checkout Session applies it (`discounts[]`). */
  | { readonly kind: 'create_coupon'; readonly idempotencyKey: string; readonly params: Stripe.CouponCreateParams }
  /** A Checkout Session an earlier request issued for the record: expired so only one link can be paid. */
  | { readonly kind: 'expire_checkout_session'; readonly idempotencyKey: string; readonly sessionId: string }
  | {
      readonly kind: 'create_checkout_session';
      readonly idempotencyKey: string;
      /** `customer` and `discounts` are filled in from the customer and coupon steps. */
      readonly params: Omit<Stripe.Checkout.SessionCreateParams, 'customer' | 'discounts'>;
    }
  /**
   * A Product2 as a Stripe product with an id the bridge chooses (`sfprod_<Product2 id>`), so it
   * is created once ever: a second create is refused by Stripe as existing, which is success.
   */
  | { readonly kind: 'ensure_product'; readonly idempotencyKey: string; readonly params: Stripe.ProductCreateParams & { readonly id: string } }
  | {
      readonly kind: 'create_subscription';
      readonly idempotencyKey: string;
      /** `customer` and `discounts` are filled in from the customer and coupon steps. */
      readonly params: Omit<Stripe.SubscriptionCreateParams, 'customer' | 'discounts'>;
      /** Keys to finalize and email its first invoice now (send_invoice; Stripe would wait an hour). */
      readonly finalizeKey: string | undefined;
      readonly sendKey: string | undefined;
    }
  | {
      readonly kind: 'create_payment_link';
      readonly idempotencyKey: string;
      /** `line_items`, in this order and quantity: the catalogue's Price (`priceId`), else the one its price step created. */
      readonly lines: ReadonlyArray<{ readonly lineId: string; readonly quantity: number; readonly priceId?: string | undefined }>;
      readonly params: Omit<Stripe.PaymentLinkCreateParams, 'line_items'>;
    };

/**
 * An invoice an earlier run created for this Opportunity, as the lookup on the Account's Stripe
 * customer found it (`metadata.salesforce_opportunity_id`). Plain data: the planner stays pure.
 */
export interface FoundInvoice {
  readonly id: string;
  readonly status: 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';
  readonly currency: string;
  readonly hostedInvoiceUrl: string | undefined;
  /** Seconds since the epoch; undefined while the invoice is a draft. */
  readonly finalizedAt: number | undefined;
  /** The invoice items on a draft (empty for finalized invoices: they are never touched). */
  readonly items: ReadonlyArray<FoundInvoiceItem>;
}

export interface FoundInvoiceItem {
  /** `metadata.salesforce_line_item_id`; undefined for an item the bridge did not create. */
  readonly lineId: string | undefined;
  readonly quantity: number;
  /** Minor units, quantity × unit amount. */
  readonly amount: number;
}

/** The invoice a plan continues instead of creating one. */
export interface ResumedInvoice {
  readonly id: string;
  readonly status: FoundInvoice['status'];
  readonly hostedInvoiceUrl: string | undefined;
}

export type BillingPlan =
  | {
      readonly kind: 'bill';
      readonly mode: PaymentMode;
      /** The billed record (any revenue object; the name is the Opportunity flow's). */
      readonly opportunityId: string;
      readonly sobject?: string | undefined;
      readonly accountId: string;
      readonly currency: string;
      /** Minor units. */
      readonly total: number;
      /** The Account's Stripe customer when it already has one (invoice mode). */
      readonly existingCustomerId: string | undefined;
      /** Set when an earlier run's invoice was found in Stripe: the steps continue it. */
      readonly resumedInvoice?: ResumedInvoice | undefined;
      /**
       * Set when the billing record already holds the payment link an earlier run created for
       * this billing: it is read back from Stripe, never created a second time.
       */
      readonly resumedPaymentLink?: string | undefined;
      /** Told to the rep in `Stripe_Sync_Error__c` although billing succeeded. */
      readonly notice?: string | undefined;
      readonly steps: readonly StripeStep[];
    }
  | { readonly kind: 'cannot_bill'; readonly mode: string; readonly code: string; readonly reason: string };
