/**
 * What a Stripe event says about money and where it came from, read leniently from the event
 * JSON (every API version since 2022-08-01): the invoice, payment link and PaymentIntent it
 * belongs to, and the amount received. The trust step (trust.ts) compares these with the
 * billing record of the Opportunity the event names.
 */
import { toMajorUnits, minorUnitDigits } from '../money.js';

export interface Money {
  /** Minor units. */
  readonly amount: number;
  /** Lower-case ISO 4217. */
  readonly currency: string;
}

export interface PaymentFacts {
  /** `invoice`, `checkout.session`, `payment_intent`, `charge`, `dispute` or whatever else Stripe sent. */
  readonly kind: string;
  readonly objectId: string | undefined;
  /** The invoice the object is (or, at API versions before 2025-03-31, belongs to). */
  readonly invoiceId: string | undefined;
  /** The payment link a Checkout Session came from. */
  readonly paymentLinkId: string | undefined;
  readonly paymentIntentId: string | undefined;
  /** What Stripe received, when the event says. */
  readonly received: Money | undefined;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An id, or an expanded object's id. */
function idOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  return isRecord(value) && typeof value['id'] === 'string' ? value['id'] : undefined;
}

function int(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}

function money(amount: number | undefined, currency: unknown): Money | undefined {
  return amount === undefined || typeof currency !== 'string' ? undefined : { amount, currency: currency.toLowerCase() };
}

/** Captured minus refunded: what a charge still holds. */
function chargeReceived(charge: Json): Money | undefined {
  const captured = int(charge['amount_captured']) ?? int(charge['amount']);
  return money(captured === undefined ? undefined : captured - (int(charge['amount_refunded']) ?? 0), charge['currency']);
}

/**
 * An invoice's amount received: `amount_paid`, plus customer credit the invoice used (a negative
 * starting balance that the invoice reduced), or the total when it was marked paid out of band.
 */
function invoiceReceived(invoice: Json): Money | undefined {
  if (invoice['paid_out_of_band'] === true) return money(int(invoice['total']), invoice['currency']);
  const paid = int(invoice['amount_paid']);
  const starting = int(invoice['starting_balance']);
  const ending = int(invoice['ending_balance']);
  const credit = starting !== undefined && ending !== undefined && starting < 0 ? Math.max(0, ending - starting) : 0;
  return money(paid === undefined ? undefined : paid + credit, invoice['currency']);
}

export function paymentFacts(event: unknown): PaymentFacts {
  const data = isRecord(event) ? event['data'] : undefined;
  const object = isRecord(data) && isRecord(data['object']) ? data['object'] : {};
  const kind = typeof object['object'] === 'string' ? object['object'] : 'unknown';
  const base = { kind, objectId: idOf(object['id']), invoiceId: undefined, paymentLinkId: undefined, paymentIntentId: undefined, received: undefined };
  switch (kind) {
    case 'invoice':
      return { ...base, invoiceId: base.objectId, received: invoiceReceived(object) };
    case 'checkout.session':
      return {
        ...base,
        invoiceId: idOf(object['invoice']),
        paymentLinkId: idOf(object['payment_link']),
        paymentIntentId: idOf(object['payment_intent']),
        received: object['payment_status'] === 'paid' ? money(int(object['amount_total']), object['currency']) : undefined,
      };
    case 'payment_intent':
      return { ...base, invoiceId: idOf(object['invoice']), paymentIntentId: base.objectId, received: money(int(object['amount_received']), object['currency']) };
    case 'charge':
      return { ...base, invoiceId: idOf(object['invoice']), paymentIntentId: idOf(object['payment_intent']), received: chargeReceived(object) };
    case 'dispute': {
      const charge = isRecord(object['charge']) ? object['charge'] : undefined;
      return {
        ...base,
        invoiceId: charge === undefined ? undefined : idOf(charge['invoice']),
        paymentIntentId: idOf(object['payment_intent']) ?? (charge === undefined ? undefined : idOf(charge['payment_intent'])),
        received: charge === undefined ? money(int(object['amount']), object['currency']) : chargeReceived(charge),
      };
    }
    default:
      return base;
  }
}

/** `4999, 'usd'` → `49.99 USD` (the currency's own decimals). */
export function formatMoney(value: Money): string {
  return `${toMajorUnits(value.amount, value.currency).toFixed(minorUnitDigits(value.currency))} ${value.currency.toUpperCase()}`;
}
