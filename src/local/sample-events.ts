/**
 * Realistic Stripe events for every type the bridge handles, shaped as Stripe sends them to a
 * webhook endpoint on API version 2026-10-28.endive (typed against the `stripe` package).
 * Covers every type in HANDLED_EVENT_TYPES (a test keeps them in step). Used by the tests and
 * by `npm run send-event`. Fake ids only, `customer@example.com`, card
 * `visa`/`4242`. Deterministic given the options: only a missing event id is random.
 */
import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import { STRIPE_API_VERSION } from '../stripe/event-schemas.js';

export const SAMPLE_OPPORTUNITY_ID = '006Ab00000Sample01';
/**
 * A JPY Opportunity of the same Account: the embedded org is multi-currency (corporate USD).
 * Its first 15 characters differ from the other sample's: Salesforce compares ids on those.
 */
export const SAMPLE_JPY_OPPORTUNITY_ID = '006Ab00000JpyOpIAJ';
/** A Closed Won Opportunity with a recurring product and a one-time setup fee (`closed-won-subscription`). */
export const SAMPLE_SUBSCRIPTION_OPPORTUNITY_ID = '006Ab00000SubsOpIA';
/**
 * The local catalogue: the standard price book and one product of each kind the bridge sells
 * (monthly, yearly, one-time, metered), each with its PricebookEntry (the annual plan in USD and
 * EUR). `closed-won-subscription` sells seats and onboarding from it; `sync-product` syncs the
 * annual plan.
 */
export const SAMPLE_PRICEBOOK_ID = '01sAb00000StdPbk01';
export const SAMPLE_CATALOGUE = {
  seats: { productId: '01tAb00000Seats001', entryId: '01uAb00000Seats001' },
  onboarding: { productId: '01tAb00000Onbrd001', entryId: '01uAb00000Onbrd001' },
  annual: { productId: '01tAb00000Annual01', entryId: '01uAb00000AnnUsd01', eurEntryId: '01uAb00000AnnEur01' },
  apiCalls: { productId: '01tAb00000ApiCal01', entryId: '01uAb00000ApiCal01' },
} as const;
/** A paid payment the local `refund` sample refunds: its Stripe_Payment__c and PaymentIntent. */
export const SAMPLE_REFUNDABLE_PAYMENT_ID = 'a01Ab00000Refund01';
export const SAMPLE_REFUNDABLE_PAYMENT_INTENT_ID = 'pi_test_refundable01';
export const SAMPLE_ACCOUNT_ID = '001Ab00000Sample01';
/** The sample Account's owner: failed-payment Tasks go to them. */
export const SAMPLE_ACCOUNT_OWNER_ID = '005Ab00000OwnerAAA';
/**
 * Open invoices of the sample customer (collected by emailed invoice) for the local invoice
 * actions, one each: their Stripe_Invoice__c ids and Stripe ids.
 */
export const SAMPLE_ACTION_INVOICES = {
  send_invoice: { recordId: 'a02Ab00000InvSnd01', stripeId: 'in_test_local_send01' },
  void_invoice: { recordId: 'a02Ab00000InvVod01', stripeId: 'in_test_local_void01' },
  mark_uncollectible: { recordId: 'a02Ab00000InvUnc01', stripeId: 'in_test_local_uncl01' },
} as const;
/** Subscriptions of the sample customer for the local subscription actions: one active, one with its collection paused. */
export const SAMPLE_ACTIVE_SUBSCRIPTION = { recordId: 'a03Ab00000SubAct01', stripeId: 'sub_test_local_active01' } as const;
export const SAMPLE_PAUSED_SUBSCRIPTION = { recordId: 'a03Ab00000SubPau01', stripeId: 'sub_test_local_paused01' } as const;
export const SAMPLE_ORDER_ID = '801Ab00000Sample01';
export const SAMPLE_QUOTE_ID = '0Q0Ab00000Sample01';
export const SAMPLE_CONTRACT_ID = '800Ab00000Sample01';
/** The rep the local platform events name (CreatedById); the seed gives them Stripe_Request_Payment. */
export const SAMPLE_REP_ID = '005Ab00000LocalAAA';
export const SAMPLE_CUSTOMER_ID = 'cus_test_sample0001';
export const SAMPLE_PAYMENT_INTENT_ID = 'pi_test_sample0001';
export const SAMPLE_CHARGE_ID = 'ch_test_sample0001';
export const SAMPLE_INVOICE_ID = 'in_test_sample0001';
export const SAMPLE_SUBSCRIPTION_ID = 'sub_test_sample0001';
export const SAMPLE_CHECKOUT_SESSION_ID = 'cs_test_sample0001';
export const SAMPLE_DISPUTE_ID = 'dp_test_sample0001';
/** 2026-11-01T00:00:00Z: the default `created` of samples. */
export const SAMPLE_CREATED = 1_793_491_200;

export interface SampleEventOptions {
  readonly id?: string;
  readonly created?: number;
  readonly livemode?: boolean;
  /** The id of `data.object` (default: a fixed `…_test_sample0001` id of its kind). */
  readonly objectId?: string;
  /** Metadata of `data.object` (default: links to SAMPLE_OPPORTUNITY_ID and SAMPLE_ACCOUNT_ID). */
  readonly metadata?: Record<string, string>;
  /** Minor units (default 4999). */
  readonly amount?: number;
  /** Lower-case ISO code (default `usd`). */
  readonly currency?: string;
  /** Customer id; `null` for a guest payment (default SAMPLE_CUSTOMER_ID). */
  readonly customer?: string | null;
  /** The PaymentIntent a charge, dispute or session refers to (default SAMPLE_PAYMENT_INTENT_ID). */
  readonly paymentIntent?: string | null;
  /** charge.refunded: the amount refunded so far (default: all of it; charge.succeeded: none). */
  readonly amountRefunded?: number;
  /** checkout.session.*: the payment link the session came from (default none). */
  readonly paymentLink?: string | null;
  /** invoice.*: the subscription that billed it (default none: a one-off invoice). */
  readonly subscription?: string | null;
  /** Shallow overrides of `data.object` fields, applied last (e.g. `{ status: 'lost' }`). */
  readonly objectOverrides?: Record<string, unknown>;
}

interface Context {
  readonly created: number;
  readonly livemode: boolean;
  readonly objectId: string | undefined;
  readonly metadata: Record<string, string>;
  readonly amount: number;
  readonly currency: string;
  readonly customer: string | null;
  readonly paymentIntent: string | null;
  readonly options: SampleEventOptions;
}

type EventOf<T extends Stripe.Event.Type> = Extract<Stripe.Event, { type: T }>;
type DataObjectOf<T extends Stripe.Event.Type> = EventOf<T>['data']['object'];
type Builders = { readonly [T in SampleEventType]: (ctx: Context) => DataObjectOf<T> };

export type SampleEventType =
  | 'checkout.session.completed'
  | 'checkout.session.async_payment_succeeded'
  | 'checkout.session.async_payment_failed'
  | 'checkout.session.expired'
  | 'payment_intent.succeeded'
  | 'payment_intent.payment_failed'
  | 'payment_intent.processing'
  | 'payment_intent.canceled'
  | 'charge.succeeded'
  | 'charge.refunded'
  | 'refund.created'
  | 'refund.updated'
  | 'refund.failed'
  | 'charge.refund.updated'
  | 'charge.dispute.created'
  | 'charge.dispute.closed'
  | 'invoice.finalized'
  | 'invoice.paid'
  | 'invoice.payment_failed'
  | 'invoice.voided'
  | 'invoice.marked_uncollectible'
  | 'customer.subscription.created'
  | 'customer.subscription.updated'
  | 'customer.subscription.deleted'
  | 'customer.subscription.trial_will_end'
  | 'invoice.upcoming'
  | 'customer.created'
  | 'customer.updated';

const HOUR = 3600;

/** On the wire Stripe sends decimals as strings; the SDK's type is the wrapper it parses them into. */
const wireDecimal = (value: string): Stripe.Decimal => value as unknown as Stripe.Decimal;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------- charges and payments

function sampleCard(): Stripe.Charge.PaymentMethodDetails.Card {
  return {
    amount_authorized: null,
    authorization_code: '123456',
    brand: 'visa',
    checks: { address_line1_check: null, address_postal_code_check: 'pass', cvc_check: 'pass' },
    country: 'US',
    electronic_commerce_indicator: null,
    exp_month: 12,
    exp_year: 2034,
    fingerprint: 'fakeFingerprint01',
    funding: 'credit',
    installments: null,
    last4: '4242',
    mandate: null,
    network: 'visa',
    network_transaction_id: 'fake_network_txn_01',
    regulated_status: 'unregulated',
    three_d_secure: null,
    transaction_link_id: null,
    wallet: null,
  };
}

/** A refund of the sample charge (refund.* events; a charge embeds its refunds in old API versions). */
function sampleRefund(ctx: Context, options: { readonly chargeId: string; readonly amount: number; readonly status: string }): Stripe.Refund {
  return {
    id: options.chargeId === SAMPLE_CHARGE_ID ? 're_test_sample0001' : `re_${options.chargeId}`,
    object: 'refund',
    amount: options.amount,
    balance_transaction: 'txn_test_sample0002',
    charge: options.chargeId,
    created: ctx.created,
    currency: ctx.currency,
    customer: ctx.customer,
    customer_account: null,
    destination_details: { card: { type: 'refund' }, type: 'card' },
    ...(options.status === 'failed' ? { failure_reason: 'expired_or_canceled_card' } : {}),
    metadata: {},
    payment_intent: ctx.paymentIntent,
    payment_method: 'pm_test_sample0001',
    reason: 'requested_by_customer',
    receipt_number: null,
    source_transfer_reversal: null,
    status: options.status,
    transfer_reversal: null,
  };
}

/** The refund events carry the refund; its metadata is what the `refund` command set. */
function sampleRefundEvent(ctx: Context, status: string): Stripe.Refund {
  return { ...sampleRefund(ctx, { chargeId: SAMPLE_CHARGE_ID, amount: ctx.amount, status }), ...(ctx.objectId === undefined ? {} : { id: ctx.objectId }), metadata: ctx.metadata };
}

function sampleCharge(ctx: Context, options: { readonly amountRefunded: number }): Stripe.Charge {
  const id = ctx.objectId ?? SAMPLE_CHARGE_ID;
  const refunds: Stripe.Refund[] = options.amountRefunded > 0 ? [sampleRefund(ctx, { chargeId: id, amount: options.amountRefunded, status: 'succeeded' })] : [];
  return {
    id,
    object: 'charge',
    amount: ctx.amount,
    amount_captured: ctx.amount,
    amount_refunded: options.amountRefunded,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: 'txn_test_sample0001',
    billing_details: {
      address: { city: null, country: 'US', line1: null, line2: null, postal_code: '94103', state: null },
      email: 'customer@example.com',
      name: null,
      phone: null,
      tax_id: null,
    },
    calculated_statement_descriptor: 'SAMPLE BRIDGE',
    captured: true,
    created: ctx.created - HOUR,
    currency: ctx.currency,
    customer: ctx.customer,
    description: null,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    fraud_details: {},
    livemode: ctx.livemode,
    metadata: ctx.metadata,
    on_behalf_of: null,
    outcome: {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: 'approved_by_network',
      reason: null,
      risk_level: 'normal',
      seller_message: 'Payment complete.',
      type: 'authorized',
    },
    paid: true,
    payment_intent: ctx.paymentIntent,
    payment_method: 'pm_test_sample0001',
    payment_method_details: { card: sampleCard(), type: 'card' },
    receipt_email: null,
    receipt_number: null,
    receipt_url: `https://pay.stripe.com/receipts/payment/fake_receipt_${id}`,
    refunded: options.amountRefunded >= ctx.amount,
    refunds: { object: 'list', data: refunds, has_more: false, url: `/v1/charges/${id}/refunds` },
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'succeeded',
    transfer_data: null,
    transfer_group: null,
  };
}

type PaymentIntentState = 'succeeded' | 'payment_failed' | 'processing' | 'canceled';

function samplePaymentIntent(ctx: Context, state: PaymentIntentState): Stripe.PaymentIntent {
  const failed = state === 'payment_failed';
  return {
    id: ctx.objectId ?? ctx.paymentIntent ?? SAMPLE_PAYMENT_INTENT_ID,
    object: 'payment_intent',
    allowed_payment_method_types: null,
    amount: ctx.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: state === 'succeeded' ? ctx.amount : 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: { allow_redirects: 'always', enabled: true },
    canceled_at: state === 'canceled' ? ctx.created : null,
    cancellation_reason: state === 'canceled' ? 'abandoned' : null,
    capture_method: 'automatic_async',
    client_secret: null,
    confirmation_method: 'automatic',
    created: ctx.created - HOUR,
    currency: ctx.currency,
    customer: ctx.customer,
    customer_account: null,
    description: null,
    excluded_payment_method_types: null,
    last_payment_error: failed
      ? {
          charge: SAMPLE_CHARGE_ID,
          code: 'card_declined',
          decline_code: 'insufficient_funds',
          doc_url: 'https://docs.stripe.com/error-codes/card-declined',
          message: 'Your card has insufficient funds.',
          type: 'card_error',
        }
      : null,
    latest_charge: state === 'canceled' || state === 'processing' ? null : SAMPLE_CHARGE_ID,
    livemode: ctx.livemode,
    managed_payments: null,
    metadata: ctx.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: failed || state === 'canceled' ? null : 'pm_test_sample0001',
    payment_method_configuration_details: null,
    payment_method_options: {
      card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' },
    },
    payment_method_types: state === 'processing' ? ['us_bank_account'] : ['card'],
    payment_record: null,
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status:
      state === 'succeeded'
        ? 'succeeded'
        : state === 'processing'
          ? 'processing'
          : state === 'canceled'
            ? 'canceled'
            : 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
  };
}

function sampleDispute(ctx: Context, status: Stripe.Dispute.Status): Stripe.Dispute {
  const evidence: Stripe.Dispute.Evidence = {
    access_activity_log: null,
    billing_address: null,
    cancellation_policy: null,
    cancellation_policy_disclosure: null,
    cancellation_rebuttal: null,
    customer_communication: null,
    customer_email_address: null,
    customer_name: null,
    customer_purchase_ip: null,
    customer_signature: null,
    duplicate_charge_documentation: null,
    duplicate_charge_explanation: null,
    duplicate_charge_id: null,
    enhanced_evidence: {},
    product_description: null,
    receipt: null,
    refund_policy: null,
    refund_policy_disclosure: null,
    refund_refusal_explanation: null,
    service_date: null,
    service_documentation: null,
    shipping_address: null,
    shipping_carrier: null,
    shipping_date: null,
    shipping_documentation: null,
    shipping_tracking_number: null,
    uncategorized_file: null,
    uncategorized_text: null,
  };
  return {
    id: ctx.objectId ?? SAMPLE_DISPUTE_ID,
    object: 'dispute',
    amount: ctx.amount,
    balance_transactions: [],
    charge: SAMPLE_CHARGE_ID,
    created: ctx.created,
    currency: ctx.currency,
    enhanced_eligibility_types: [],
    evidence,
    evidence_details: {
      due_by: ctx.created + 7 * DAY,
      enhanced_eligibility: {},
      has_evidence: false,
      past_due: false,
      submission_count: 0,
      submission_method: 'not_submitted',
    },
    intended_submission_method: null,
    is_charge_refundable: false,
    livemode: ctx.livemode,
    metadata: {},
    payment_intent: ctx.paymentIntent,
    payment_method_details: {
      card: { brand: 'visa', case_type: 'chargeback', network: 'visa', network_reason_code: '10.4' },
      type: 'card',
    },
    reason: 'fraudulent',
    status,
  };
}

// ---------------------------------------------------------------- invoices and subscriptions

type InvoiceState = 'finalized' | 'paid' | 'payment_failed' | 'voided' | 'marked_uncollectible';

const INVOICE_STATUS: Readonly<Record<InvoiceState, Stripe.Invoice.Status>> = {
  finalized: 'open',
  paid: 'paid',
  payment_failed: 'open',
  voided: 'void',
  marked_uncollectible: 'uncollectible',
};

function sampleInvoice(ctx: Context, state: InvoiceState): Stripe.Invoice {
  const id = ctx.objectId ?? SAMPLE_INVOICE_ID;
  const paid = state === 'paid';
  const finalizedAt = ctx.created - DAY;
  const subscription = ctx.options.subscription ?? null;
  const line: Stripe.InvoiceLineItem = {
    id: 'il_test_sample0001',
    object: 'line_item',
    amount: ctx.amount,
    currency: ctx.currency,
    description: '1 × Bridge Sample Plan',
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: id,
    livemode: ctx.livemode,
    metadata: {},
    parent: null,
    period: { end: ctx.created + 30 * DAY, start: ctx.created },
    pretax_credit_amounts: [],
    pricing: {
      price_details: { price: 'price_test_sample0001', product: 'prod_test_sample0001' },
      type: 'price_details',
      unit_amount_decimal: wireDecimal(String(ctx.amount)),
    },
    quantity: 1,
    quantity_decimal: wireDecimal('1'),
    subscription,
    subtotal: ctx.amount,
    taxes: [],
  };
  return {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Bridge Sample Inc.',
    account_tax_ids: null,
    amount_due: ctx.amount,
    amount_overpaid: 0,
    amount_paid: paid ? ctx.amount : 0,
    amount_remaining: paid || state === 'voided' ? 0 : ctx.amount,
    amount_shipping: 0,
    application: null,
    attempt_count: state === 'payment_failed' ? 1 : paid ? 1 : 0,
    attempted: state === 'payment_failed' || paid,
    auto_advance: state === 'finalized' || state === 'payment_failed',
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: subscription === null ? 'manual' : 'subscription_cycle',
    collection_method: subscription === null ? 'send_invoice' : 'charge_automatically',
    created: finalizedAt - HOUR,
    currency: ctx.currency,
    custom_fields: null,
    customer: ctx.customer,
    customer_account: null,
    customer_address: null,
    customer_email: 'customer@example.com',
    customer_name: 'Sample Customer Ltd',
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: subscription === null ? finalizedAt + 30 * DAY : null,
    effective_at: finalizedAt,
    ending_balance: 0,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: `https://invoice.stripe.com/i/acct_test_fake/test_fake_${id}?s=ap`,
    invoice_pdf: `https://pay.stripe.com/invoice/acct_test_fake/test_fake_${id}/pdf?s=ap`,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: 'list', data: [line], has_more: false, url: `/v1/invoices/${id}/lines` },
    livemode: ctx.livemode,
    metadata: ctx.metadata,
    next_payment_attempt: state === 'payment_failed' ? ctx.created + 3 * DAY : null,
    number: 'SAMPLE-0001',
    on_behalf_of: null,
    parent:
      subscription === null
        ? null
        : {
            quote_details: null,
            subscription_details: { metadata: ctx.metadata, subscription },
            type: 'subscription_details',
          },
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: finalizedAt,
    period_start: finalizedAt,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: INVOICE_STATUS[state],
    status_transitions: {
      finalized_at: finalizedAt,
      marked_uncollectible_at: state === 'marked_uncollectible' ? ctx.created : null,
      paid_at: paid ? ctx.created : null,
      voided_at: state === 'voided' ? ctx.created : null,
    },
    subtotal: ctx.amount,
    subtotal_excluding_tax: ctx.amount,
    test_clock: null,
    total: ctx.amount,
    total_discount_amounts: [],
    total_excluding_tax: ctx.amount,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: finalizedAt,
  };
}

function samplePrice(ctx: Context): Stripe.Price {
  return {
    id: 'price_test_sample0001',
    object: 'price',
    active: true,
    billing_scheme: 'per_unit',
    created: ctx.created - 90 * DAY,
    currency: ctx.currency,
    custom_unit_amount: null,
    livemode: ctx.livemode,
    lookup_key: null,
    metadata: {},
    nickname: null,
    product: 'prod_test_sample0001',
    recurring: { interval: 'month', interval_count: 1, meter: null, trial_period_days: null, usage_type: 'licensed' },
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: 'recurring',
    unit_amount: ctx.amount,
    unit_amount_decimal: wireDecimal(String(ctx.amount)),
  };
}

function samplePlan(ctx: Context): Stripe.Plan {
  return {
    id: 'price_test_sample0001',
    object: 'plan',
    active: true,
    amount: ctx.amount,
    amount_decimal: wireDecimal(String(ctx.amount)),
    billing_scheme: 'per_unit',
    created: ctx.created - 90 * DAY,
    currency: ctx.currency,
    interval: 'month',
    interval_count: 1,
    livemode: ctx.livemode,
    metadata: {},
    meter: null,
    nickname: null,
    product: 'prod_test_sample0001',
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: 'licensed',
  };
}

/**
 * The invoice a subscription will create at its renewal, announced 7 days ahead: a preview,
 * without an id ("The received Invoice object will
 * not have an invoice ID", https://docs.stripe.com/api/events/types#event_types-invoice.upcoming).
 */
function sampleUpcomingInvoice(ctx: Context): Stripe.Invoice {
  const renewal = ctx.created + 7 * DAY;
  const draft = sampleInvoice({ ...ctx, created: renewal + DAY, options: { ...ctx.options, subscription: ctx.options.subscription ?? SAMPLE_SUBSCRIPTION_ID } }, 'finalized');
  const { id: _previewHasNoId, ...preview } = draft;
  return {
    ...preview,
    amount_due: ctx.amount,
    amount_remaining: ctx.amount,
    billing_reason: 'upcoming',
    created: renewal,
    due_date: null,
    hosted_invoice_url: null,
    next_payment_attempt: renewal + HOUR,
    number: null,
    period_end: renewal,
    period_start: renewal - 30 * DAY,
    status: 'draft',
  } as Stripe.Invoice;
}

type SubscriptionState = 'created' | 'updated' | 'deleted';

function sampleSubscription(ctx: Context, state: SubscriptionState): Stripe.Subscription {
  const id = ctx.objectId ?? SAMPLE_SUBSCRIPTION_ID;
  const start = state === 'created' ? ctx.created : ctx.created - 10 * DAY;
  const item: Stripe.SubscriptionItem = {
    id: 'si_test_sample0001',
    object: 'subscription_item',
    billing_thresholds: null,
    created: start,
    current_period_end: start + 30 * DAY,
    current_period_start: start,
    current_trial: null,
    discounts: [],
    metadata: {},
    plan: samplePlan(ctx),
    price: samplePrice(ctx),
    quantity: 1,
    subscription: id,
    tax_rates: [],
  };
  const deleted = state === 'deleted';
  return {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: start,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'flexible', updated_at: start },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: state === 'updated',
    canceled_at: deleted || state === 'updated' ? ctx.created : null,
    cancellation_details: {
      comment: null,
      feedback: null,
      feedback_option: null,
      reason: deleted || state === 'updated' ? 'cancellation_requested' : null,
    },
    collection_method: 'charge_automatically',
    created: start,
    currency: ctx.currency,
    customer: ctx.customer ?? SAMPLE_CUSTOMER_ID,
    customer_account: null,
    days_until_due: null,
    default_payment_method: 'pm_test_sample0001',
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    ended_at: deleted ? ctx.created : null,
    invoice_settings: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: { type: 'self' } },
    items: { object: 'list', data: [item], has_more: false, url: `/v1/subscription_items?subscription=${id}` },
    latest_invoice: SAMPLE_INVOICE_ID,
    livemode: ctx.livemode,
    managed_payments: null,
    metadata: ctx.metadata,
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: start,
    status: deleted ? 'canceled' : 'active',
    test_clock: null,
    transfer_data: null,
    trial_end: null,
    trial_settings: { end_behavior: { billing_cycle_anchor: 'unchanged', missing_payment_method: 'create_invoice' } },
    trial_start: null,
  };
}

// ---------------------------------------------------------------- checkout and customers

type SessionState = 'completed' | 'async_payment_succeeded' | 'async_payment_failed' | 'expired';

function sampleCheckoutSession(ctx: Context, state: SessionState): Stripe.Checkout.Session {
  const id = ctx.objectId ?? SAMPLE_CHECKOUT_SESSION_ID;
  const expired = state === 'expired';
  const paid = state === 'completed' || state === 'async_payment_succeeded';
  return {
    id,
    object: 'checkout.session',
    adaptive_pricing: { enabled: false },
    after_expiration: null,
    allow_promotion_codes: null,
    allowed_payment_method_types: null,
    amount_subtotal: ctx.amount,
    amount_total: ctx.amount,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: null,
    client_reference_id: null,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: ctx.created - HOUR,
    currency: ctx.currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: ctx.customer,
    customer_account: null,
    customer_creation: 'if_required',
    customer_details: expired
      ? null
      : {
          address: { city: null, country: 'US', line1: null, line2: null, postal_code: '94103', state: null },
          business_name: null,
          email: 'customer@example.com',
          individual_name: null,
          name: null,
          phone: null,
          tax_exempt: 'none',
          tax_ids: [],
        },
    customer_email: null,
    discounts: [],
    expires_at: ctx.created + (expired ? 0 : 23 * HOUR),
    integration_identifier: null,
    invoice: null,
    invoice_creation: null,
    livemode: ctx.livemode,
    locale: null,
    managed_payments: null,
    metadata: ctx.metadata,
    mode: 'payment',
    origin_context: null,
    payment_intent: expired ? null : ctx.paymentIntent,
    payment_link: ctx.options.paymentLink ?? null,
    payment_method_collection: 'if_required',
    payment_method_configuration_details: null,
    payment_method_options: {},
    payment_method_types: state.startsWith('async') ? ['us_bank_account'] : ['card'],
    payment_status: paid ? 'paid' : 'unpaid',
    permissions: null,
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: expired ? 'expired' : 'complete',
    submit_type: null,
    subscription: null,
    success_url: 'https://example.com/thank-you',
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted',
    url: null,
    wallet_options: null,
  };
}

function sampleCustomer(ctx: Context): Stripe.Customer {
  return {
    id: ctx.objectId ?? ctx.customer ?? SAMPLE_CUSTOMER_ID,
    object: 'customer',
    address: null,
    balance: 0,
    created: ctx.created,
    currency: ctx.currency,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: 'customer@example.com',
    invoice_prefix: 'SAMPLE',
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: ctx.livemode,
    metadata: ctx.metadata,
    name: 'Sample Customer Ltd',
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

const BUILDERS: Builders = {
  'checkout.session.completed': (ctx) => sampleCheckoutSession(ctx, 'completed'),
  'checkout.session.async_payment_succeeded': (ctx) => sampleCheckoutSession(ctx, 'async_payment_succeeded'),
  'checkout.session.async_payment_failed': (ctx) => sampleCheckoutSession(ctx, 'async_payment_failed'),
  'checkout.session.expired': (ctx) => sampleCheckoutSession(ctx, 'expired'),
  'payment_intent.succeeded': (ctx) => samplePaymentIntent(ctx, 'succeeded'),
  'payment_intent.payment_failed': (ctx) => samplePaymentIntent(ctx, 'payment_failed'),
  'payment_intent.processing': (ctx) => samplePaymentIntent(ctx, 'processing'),
  'payment_intent.canceled': (ctx) => samplePaymentIntent(ctx, 'canceled'),
  'charge.succeeded': (ctx) => sampleCharge(ctx, { amountRefunded: 0 }),
  'charge.refunded': (ctx) => sampleCharge(ctx, { amountRefunded: ctx.options.amountRefunded ?? ctx.amount }),
  'refund.created': (ctx) => sampleRefundEvent(ctx, 'pending'),
  'refund.updated': (ctx) => sampleRefundEvent(ctx, 'succeeded'),
  'refund.failed': (ctx) => sampleRefundEvent(ctx, 'failed'),
  'charge.refund.updated': (ctx) => sampleRefundEvent(ctx, 'succeeded'),
  'charge.dispute.created': (ctx) => sampleDispute(ctx, 'needs_response'),
  'charge.dispute.closed': (ctx) => sampleDispute(ctx, 'won'),
  'invoice.finalized': (ctx) => sampleInvoice(ctx, 'finalized'),
  'invoice.paid': (ctx) => sampleInvoice(ctx, 'paid'),
  'invoice.payment_failed': (ctx) => sampleInvoice(ctx, 'payment_failed'),
  'invoice.voided': (ctx) => sampleInvoice(ctx, 'voided'),
  'invoice.marked_uncollectible': (ctx) => sampleInvoice(ctx, 'marked_uncollectible'),
  'customer.subscription.created': (ctx) => sampleSubscription(ctx, 'created'),
  'customer.subscription.updated': (ctx) => sampleSubscription(ctx, 'updated'),
  'customer.subscription.deleted': (ctx) => sampleSubscription(ctx, 'deleted'),
  // Three days before the trial ends (https://docs.stripe.com/api/events/types#event_types-customer.subscription.trial_will_end).
  'customer.subscription.trial_will_end': (ctx) => ({
    ...sampleSubscription(ctx, 'created'),
    status: 'trialing',
    trial_start: ctx.created - 11 * DAY,
    trial_end: ctx.created + 3 * DAY,
  }),
  'invoice.upcoming': (ctx) => sampleUpcomingInvoice(ctx),
  'customer.created': (ctx) => sampleCustomer(ctx),
  'customer.updated': (ctx) => sampleCustomer(ctx),
};

/** Every type `sampleEvent` can build: exactly the handled ones. */
export const SAMPLE_EVENT_TYPES = Object.keys(BUILDERS) as readonly SampleEventType[];

function isSampleEventType(type: string): type is SampleEventType {
  return Object.hasOwn(BUILDERS, type);
}

function defaultMetadata(type: SampleEventType): Record<string, string> {
  if (type.startsWith('customer.') && !type.startsWith('customer.subscription.')) {
    return { salesforce_account_id: SAMPLE_ACCOUNT_ID };
  }
  return { salesforce_opportunity_id: SAMPLE_OPPORTUNITY_ID, salesforce_account_id: SAMPLE_ACCOUNT_ID };
}

/** A Stripe event of `type` as a webhook endpoint on API 2026-10-28.endive receives it. */
export function sampleEvent(type: string, options: SampleEventOptions = {}): Stripe.Event {
  if (!isSampleEventType(type)) {
    throw new Error(`No sample for Stripe event type "${type}"; known: ${SAMPLE_EVENT_TYPES.join(', ')}`);
  }
  const ctx: Context = {
    created: options.created ?? SAMPLE_CREATED,
    livemode: options.livemode ?? false,
    objectId: options.objectId,
    metadata: options.metadata ?? defaultMetadata(type),
    amount: options.amount ?? 4999,
    currency: options.currency ?? 'usd',
    customer: options.customer === undefined ? SAMPLE_CUSTOMER_ID : options.customer,
    paymentIntent: options.paymentIntent === undefined ? SAMPLE_PAYMENT_INTENT_ID : options.paymentIntent,
    options,
  };
  const object = { ...BUILDERS[type](ctx), ...options.objectOverrides };
  const event = {
    id: options.id ?? `evt_test_${randomBytes(12).toString('hex')}`,
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created: ctx.created,
    data: { object },
    livemode: ctx.livemode,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
  // Each builder returns exactly its event type's object; the union cannot follow the lookup.
  return event as Stripe.Event;
}
