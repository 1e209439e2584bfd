/**
 * The pure core of the outbound flow: an Opportunity (with its Account and line items), the
 * requested mode and the settings → the Stripe requests to make, each with its params and a
 * deterministic idempotency key; or why the Opportunity is already billed or cannot be billed.
 *
 * Keys depend only on record ids and the step, so a retried or duplicated payment request sends
 * byte-for-byte the same requests and Stripe replays its first answers instead of creating twins.
 */
import type Stripe from 'stripe';
import { isBridgeError } from '../errors.js';
import { METADATA_KEYS } from '../mappers/links.js';
import { PAYMENT_MODES, type PaymentMode } from '../salesforce/data-model.js';
import { billingLines, CannotBillError, totalOf, type BillingLine } from './billing-lines.js';
import type { BillableAccount, BillableOpportunity } from './opportunity.js';

export interface PlanSettings {
  readonly daysUntilDue: number;
  readonly defaultCurrency: string;
  readonly multiCurrency: boolean;
}

export interface PlanRequest {
  /** `Mode__c` of the platform event; blank falls back to the Opportunity, then `invoice`. */
  readonly mode: string | undefined;
  readonly daysUntilDue: number | undefined;
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
  | {
      readonly kind: 'create_payment_link';
      readonly idempotencyKey: string;
      /** `line_items` are the prices created by the price steps, in this order and quantity. */
      readonly lines: ReadonlyArray<{ readonly lineId: string; readonly quantity: number }>;
      readonly params: Omit<Stripe.PaymentLinkCreateParams, 'line_items'>;
    };

export type BillingPlan =
  | {
      readonly kind: 'bill';
      readonly mode: PaymentMode;
      readonly opportunityId: string;
      readonly accountId: string;
      readonly currency: string;
      /** Minor units. */
      readonly total: number;
      /** The Account's Stripe customer when it already has one (invoice mode). */
      readonly existingCustomerId: string | undefined;
      readonly steps: readonly StripeStep[];
    }
  | { readonly kind: 'already_billed'; readonly mode: PaymentMode; readonly invoiceId: string | undefined; readonly paymentLinkUrl: string | undefined }
  | { readonly kind: 'cannot_bill'; readonly mode: string; readonly code: string; readonly reason: string };

/** Stripe allows at most 250 invoice items per invoice and 20 line items per payment link. */
const MAX_LINES: Readonly<Record<PaymentMode, number>> = { invoice: 250, payment_link: 20 };
const MAX_DAYS_UNTIL_DUE = 999;

export function idempotencyKey(recordId: string, step: string): string {
  return `sfbridge:${recordId}:${step}`;
}

function isPaymentMode(value: string): value is PaymentMode {
  return (PAYMENT_MODES as readonly string[]).includes(value);
}

function resolveMode(request: PlanRequest, opportunity: BillableOpportunity): string {
  return request.mode ?? opportunity.paymentMode ?? 'invoice';
}

function resolveCurrency(opportunity: BillableOpportunity, settings: PlanSettings): string {
  const code = (settings.multiCurrency ? (opportunity.currencyIsoCode ?? settings.defaultCurrency) : settings.defaultCurrency).toLowerCase();
  if (!/^[a-z]{3}$/.test(code)) {
    throw new CannotBillError(`Currency ${code.toUpperCase()} is not an ISO 4217 code Stripe can charge`, { code: 'CURRENCY_UNSUPPORTED' });
  }
  return code;
}

function resolveDaysUntilDue(request: PlanRequest, settings: PlanSettings): number {
  const days = request.daysUntilDue ?? settings.daysUntilDue;
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS_UNTIL_DUE) {
    throw new CannotBillError(`Days until due must be a whole number from 1 to ${MAX_DAYS_UNTIL_DUE}, got ${days}`, {
      code: 'DAYS_UNTIL_DUE_INVALID',
    });
  }
  return days;
}

/** Only what Stripe accepts: a two-letter country code, the first street line apart from the rest. */
function addressOf(account: BillableAccount): Stripe.AddressParam | undefined {
  const { street, city, state, postalCode, country } = account.billingAddress;
  const [line1, ...rest] = (street ?? '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const address: Stripe.AddressParam = {
    ...(line1 === undefined ? {} : { line1 }),
    ...(rest.length === 0 ? {} : { line2: rest.join(', ') }),
    ...(city === undefined ? {} : { city }),
    ...(state === undefined ? {} : { state }),
    ...(postalCode === undefined ? {} : { postal_code: postalCode }),
    ...(country !== undefined && /^[A-Za-z]{2}$/.test(country.trim()) ? { country: country.trim().toUpperCase() } : {}),
  };
  return Object.keys(address).length === 0 ? undefined : address;
}

function customerStep(account: BillableAccount): StripeStep {
  const address = addressOf(account);
  return {
    kind: 'create_customer',
    // Keyed by the Account: two Opportunities of one Account billed at once share one customer.
    idempotencyKey: idempotencyKey(account.id, 'customer'),
    params: {
      ...(account.name === undefined ? {} : { name: account.name }),
      ...(account.billingEmail === undefined ? {} : { email: account.billingEmail }),
      ...(address === undefined ? {} : { address }),
      // The customer belongs to the Account and outlives this Opportunity: no Opportunity link here.
      metadata: { [METADATA_KEYS.account]: account.id },
    },
  };
}

function invoiceSteps(opportunityId: string, currency: string, daysUntilDue: number, lines: readonly BillingLine[], metadata: Record<string, string>): StripeStep[] {
  return [
    {
      kind: 'create_invoice',
      idempotencyKey: idempotencyKey(opportunityId, 'invoice'),
      params: {
        currency,
        collection_method: 'send_invoice',
        days_until_due: daysUntilDue,
        // Only our own items, and no automatic finalization of a draft a crash left half-filled.
        pending_invoice_items_behavior: 'exclude',
        auto_advance: false,
        metadata,
      },
    },
    ...lines.map(
      (line): StripeStep => ({
        kind: 'create_invoice_item',
        idempotencyKey: idempotencyKey(opportunityId, `item:${line.lineId}`),
        line,
        currency,
        metadata: { ...metadata, salesforce_line_item_id: line.lineId },
      }),
    ),
    { kind: 'finalize_invoice', idempotencyKey: idempotencyKey(opportunityId, 'finalize') },
    { kind: 'send_invoice', idempotencyKey: idempotencyKey(opportunityId, 'send') },
  ];
}

function paymentLinkSteps(opportunityId: string, currency: string, lines: readonly BillingLine[], metadata: Record<string, string>): StripeStep[] {
  const negative = lines.find((l) => l.unitAmount < 0);
  if (negative !== undefined) {
    throw new CannotBillError(`A payment link cannot carry the negative line "${negative.description}"; bill this Opportunity by invoice`, {
      code: 'NEGATIVE_LINE',
    });
  }
  return [
    ...lines.map(
      (line): StripeStep => ({
        kind: 'create_price',
        idempotencyKey: idempotencyKey(opportunityId, `price:${line.lineId}`),
        lineId: line.lineId,
        params: {
          currency,
          unit_amount: line.unitAmount,
          product_data: { name: line.description, metadata },
          metadata: { ...metadata, salesforce_line_item_id: line.lineId },
        },
      }),
    ),
    {
      kind: 'create_payment_link',
      idempotencyKey: idempotencyKey(opportunityId, 'payment_link'),
      lines: lines.map((l) => ({ lineId: l.lineId, quantity: l.quantity })),
      // Checkout Sessions copy the link's metadata; PaymentIntents need their own copy. The mode
      // marks them as ours: a declined card the payer retries on the page opens no Case.
      params: { metadata, payment_intent_data: { metadata: { ...metadata, [METADATA_KEYS.paymentMode]: 'payment_link' } } },
    },
  ];
}

export function planBilling(opportunity: BillableOpportunity, request: PlanRequest, settings: PlanSettings): BillingPlan {
  const mode = resolveMode(request, opportunity);
  if (!isPaymentMode(mode)) {
    return { kind: 'cannot_bill', mode, code: 'MODE_UNSUPPORTED', reason: `Payment mode "${mode}" is not one of ${PAYMENT_MODES.join(', ')}` };
  }
  // Stripe's idempotency keys expire after 24 hours; the Opportunity's own fields never do.
  if (opportunity.stripeInvoiceId !== undefined || opportunity.stripePaymentLinkUrl !== undefined) {
    return { kind: 'already_billed', mode, invoiceId: opportunity.stripeInvoiceId, paymentLinkUrl: opportunity.stripePaymentLinkUrl };
  }
  try {
    const account = opportunity.account;
    if (account === undefined) {
      throw new CannotBillError('The Opportunity has no Account to bill', { code: 'ACCOUNT_MISSING' });
    }
    const currency = resolveCurrency(opportunity, settings);
    const lines = billingLines(opportunity, currency);
    if (lines.length > MAX_LINES[mode]) {
      throw new CannotBillError(`Stripe takes at most ${MAX_LINES[mode]} lines per ${mode.replace('_', ' ')}; this Opportunity has ${lines.length}`, {
        code: 'TOO_MANY_LINES',
      });
    }
    const total = totalOf(lines);
    if (total <= 0) {
      throw new CannotBillError('The Opportunity totals zero or less: nothing to bill', { code: 'NOTHING_TO_BILL' });
    }
    const metadata = { [METADATA_KEYS.opportunity]: opportunity.id, [METADATA_KEYS.account]: account.id };
    if (mode === 'payment_link') {
      // A payment link cannot be bound to a customer: Checkout collects the payer's details.
      const steps = paymentLinkSteps(opportunity.id, currency, lines, metadata);
      return { kind: 'bill', mode, opportunityId: opportunity.id, accountId: account.id, currency, total, existingCustomerId: undefined, steps };
    }
    const daysUntilDue = resolveDaysUntilDue(request, settings);
    const steps = [
      ...(account.stripeCustomerId === undefined ? [customerStep(account)] : []),
      ...invoiceSteps(opportunity.id, currency, daysUntilDue, lines, metadata),
    ];
    return { kind: 'bill', mode, opportunityId: opportunity.id, accountId: account.id, currency, total, existingCustomerId: account.stripeCustomerId, steps };
  } catch (err) {
    if (err instanceof CannotBillError || (isBridgeError(err) && err.kind === 'permanent')) {
      return { kind: 'cannot_bill', mode, code: (err as CannotBillError).code, reason: (err as Error).message };
    }
    throw err;
  }
}
