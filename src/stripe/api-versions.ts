/**
 * Where the fields the bridge reads live at each Stripe API version. A webhook payload is rendered
 * at its endpoint's API version, frozen when the endpoint was created, so one account can send
 * 2022-era and current shapes side by side; each function reads a moved field wherever the
 * event's version put it. Sources (Stripe API changelog):
 * - 2022-11-15, "Removes the charges attribute from the PaymentIntent object"
 *   https://docs.stripe.com/changelog/2022-11-15/removes-charges-attribute-paymentintent
 * - 2025-03-31.basil, "Invoicing resources now specify how they were generated" (`parent`)
 *   https://docs.stripe.com/changelog/basil/2025-03-31/adds-new-parent-field-to-invoicing-objects
 * - 2025-03-31.basil, "Adds support for multiple (partial) payments on invoices" (`payments`;
 *   `payment_intent`, `charge`, `paid` removed from Invoice, `invoice` from PaymentIntent and Charge)
 *   https://docs.stripe.com/changelog/basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices
 * - 2025-03-31.basil, "Adds subscription item-level billing periods and removes subscription-level periods"
 *   https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-current-period-start-and-end
 */
import type { StripeEmbeddedCharge, StripeInvoice, StripePaymentIntent, StripeSubscription } from './event-schemas.js';

type Expandable = string | { readonly id: string } | null | undefined;
type Metadata = Readonly<Record<string, string>> | null | undefined;

/** The id of an expandable reference (an id, or the expanded object). */
export function idOf(value: Expandable): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value : value.id;
}

export interface InvoiceSubscription {
  readonly id: string | undefined;
  /** The subscription's metadata as Stripe copied it onto the invoice. */
  readonly metadata: Metadata;
}

/** basil and later: `parent.subscription_details`; before: `subscription` + `subscription_details`. */
export function invoiceSubscription(invoice: StripeInvoice): InvoiceSubscription {
  const details = invoice.parent?.subscription_details;
  return {
    id: idOf(details?.subscription) ?? idOf(invoice.subscription),
    metadata: details?.metadata ?? invoice.subscription_details?.metadata,
  };
}

type InvoicePayments = Pick<StripeInvoice, 'payment_intent' | 'payments'>;

/**
 * The PaymentIntent that paid an invoice. Before basil: `payment_intent`. From basil on: the
 * `payments` list, which webhooks leave out (it is includable: the consumer fetches the invoice
 * with `expand[]=payments` where it needs it); the paid payment first, else the first listed.
 */
export function invoicePaymentIntentId(invoice: InvoicePayments): string | undefined {
  const legacy = idOf(invoice.payment_intent);
  if (legacy !== undefined) return legacy;
  const payments = invoice.payments?.data ?? [];
  const paid = payments.find((p) => p.status === 'paid' && idOf(p.payment?.payment_intent) !== undefined);
  return idOf((paid ?? payments.find((p) => idOf(p.payment?.payment_intent) !== undefined))?.payment?.payment_intent);
}

/** Before basil: `current_period_end` on the subscription; from basil on: the latest of its items'. */
export function subscriptionPeriodEnd(subscription: StripeSubscription): number | undefined {
  const ends = (subscription.items?.data ?? [])
    .map((item) => item.current_period_end)
    .filter((end): end is number => typeof end === 'number');
  if (ends.length > 0) return Math.max(...ends);
  return subscription.current_period_end ?? undefined;
}

/**
 * The PaymentIntent's latest charge when the payload carries it: an expanded `latest_charge`, or
 * (before 2022-11-15) the `charges` list, newest first. Webhooks at later versions name the
 * charge by id only; `charge.succeeded` carries its card details instead.
 */
export function paymentIntentCharge(pi: StripePaymentIntent): StripeEmbeddedCharge | undefined {
  if (typeof pi.latest_charge === 'object' && pi.latest_charge !== null) return pi.latest_charge;
  const charges = pi.charges?.data ?? [];
  const latestId = idOf(pi.latest_charge);
  return (
    charges.find((c) => latestId !== undefined && c.id === latestId) ??
    charges.find((c) => c.status === 'succeeded') ??
    charges[0]
  );
}
