/**
 * A record's line items (or the Opportunity amount) → the lines Stripe bills, in integer minor
 * units computed exactly: 19.99 × 3 is 5997, never 5996.999…; a line's Discount (percent) applied
 * as Salesforce computes TotalPrice. A Quote adds what Salesforce
 * computed on top of its lines: its discount (billed as a coupon), tax and shipping (lines).
 */
import { isPermanent, PermanentError } from '../errors.js';
import { minorUnitDigits, toMajorUnits, toMinorUnits } from '../money.js';
import type { BillingLine, LineCatalog } from '../contracts/billing-plan.js';
import type { BillableLineItem, BillableRecord } from './billable.js';

export type { BillingLine } from '../contracts/billing-plan.js';

/** Stripe shows descriptions on invoices and checkout pages; keep them well inside its limits. */
const MAX_DESCRIPTION = 250;

export class CannotBillError extends PermanentError {
  override readonly name = 'CannotBillError';
}

function describe(record: BillableRecord, name: string | undefined, detail: string | undefined): string {
  const base = name ?? record.name ?? `${record.sobject} ${record.id}`;
  const text = detail === undefined || detail === name ? base : `${base} — ${detail}`;
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION - 1)}…` : text;
}

/** Money errors (too many decimals, not a number) become reasons the rep can act on. */
function minor(value: number, currency: string, what: string): number {
  try {
    return toMinorUnits(value, currency);
  } catch (err) {
    if (isPermanent(err)) {
      throw new CannotBillError(`${what} ${value} cannot be billed in ${currency.toUpperCase()}: ${(err as Error).message}`, {
        code: 'AMOUNT_INVALID',
        cause: err,
      });
    }
    throw err;
  }
}

/** The decimal digits of a quantity as Salesforce sent it: 2.5 → { digits: 25n, scale: 1 }. */
function exactDecimal(value: number): { digits: bigint; scale: number } {
  const text = Math.abs(value) < 1e21 ? String(value) : value.toFixed(0);
  const match = /^(-)?(\d+)(?:\.(\d+))?(?:e-(\d+))?$/.exec(text);
  if (match === null) throw new CannotBillError(`Quantity ${text} is not a decimal number`, { code: 'QUANTITY_INVALID' });
  const [, sign, whole = '0', fraction = '', exponent] = match;
  const scale = fraction.length + Number(exponent ?? 0);
  const digits = BigInt(`${sign ?? ''}${whole}${fraction}`);
  return { digits, scale };
}

/** unit × each factor in minor units, exactly, rounded half away from zero as Salesforce rounds TotalPrice. */
function exactProduct(unitAmount: number, factors: ReadonlyArray<{ digits: bigint; scale: number }>): { total: number; exact: boolean } {
  const product = factors.reduce((p, f) => p * f.digits, BigInt(unitAmount));
  const divisor = 10n ** BigInt(factors.reduce((s, f) => s + f.scale, 0));
  const negative = product < 0n;
  const magnitude = negative ? -product : product;
  let rounded = magnitude / divisor;
  const remainder = magnitude % divisor;
  if (remainder * 2n >= divisor) rounded += 1n;
  const total = Number(negative ? -rounded : rounded);
  if (!Number.isSafeInteger(total)) throw new CannotBillError('Line total out of range', { code: 'AMOUNT_INVALID' });
  return { total, exact: remainder === 0n };
}

/** unit × quantity in minor units, rounded half away from zero as Salesforce rounds TotalPrice. */
function exactTotal(unitAmount: number, quantity: number): number {
  return exactProduct(unitAmount, [exactDecimal(quantity)]).total;
}

/**
 * (1 − Discount/100) as an exact decimal: 7.5 % → 0.925 = { digits: 925n, scale: 3 }. Salesforce's
 * Discount is a percent field (scale 2); 0 to 100 is all a price can lose.
 */
function discountFactor(percent: number, label: string): { digits: bigint; scale: number } {
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw new CannotBillError(`Product "${label}" has a Discount of ${percent} %: it must be 0 to 100`, { code: 'DISCOUNT_INVALID' });
  }
  const { digits, scale } = exactDecimal(percent);
  return { digits: 100n * 10n ** BigInt(scale) - digits, scale: scale + 2 };
}

/** A minor-unit amount as the rep reads it on the record: 999 USD → "9.99", 1500 JPY → "1500". */
function shown(amount: number, currency: string): string {
  return toMajorUnits(amount, currency).toFixed(minorUnitDigits(currency));
}

/**
 * A line with a Discount bills what Salesforce says it is worth, OpportunityLineItem /
 * QuoteLineItem.TotalPrice = Quantity × UnitPrice × (1 − Discount/100) (Object Reference,
 * OpportunityLineItem: "Discount … TotalPrice is adjusted to accommodate the new Discount value,
 * and the UnitPrice is held constant"), rounded half away from zero to the currency's minor unit
 * once, from the exact product. When the discounted unit price is a whole minor unit (10 × 50.00
 * at 10 % off: 45.00) the line keeps its quantity; otherwise (3 × 9.99 at 7.5 % off is 27.72,
 * 9.24075 a unit) it is one unit at the line's total, so no rounding of Stripe's per unit ×
 * quantity can differ from Salesforce's total, and its description says what it is. Never at the
 * catalogue's list Price: priced inline on the synced product.
 */
function discountedLine(record: BillableRecord, item: BillableLineItem, unitAmount: number, quantity: number, percent: number, currency: string): BillingLine {
  const label = item.name ?? 'Product';
  const factor = discountFactor(percent, label);
  const off = `${String(percent)} % off`;
  const perUnit = exactProduct(unitAmount, [factor]);
  if (Number.isInteger(quantity) && perUnit.exact) {
    return {
      lineId: item.id,
      description: describe(record, `${label} at ${shown(unitAmount, currency)}, ${off}`, item.description),
      quantity,
      unitAmount: perUnit.total,
      ...catalogOf(item, perUnit.total, false),
    };
  }
  const { total } = exactProduct(unitAmount, [exactDecimal(quantity), factor]);
  return {
    lineId: item.id,
    description: describe(record, `${quantity} × ${label} at ${shown(unitAmount, currency)}, ${off}`, item.description),
    quantity: 1,
    unitAmount: total,
    ...catalogOf(item, total, false),
  };
}

/**
 * How a line is sold from the catalogue (BillingLine.catalog). The catalogue's Price only when it
 * bills exactly what the line says: a one-time Price whose list amount is the line's unit amount,
 * for a whole quantity. A rep's discount (a sales price under the list price), a fractional
 * quantity folded into one total, or a recurring product billed once are priced inline at the
 * line's own amount on the synced product, so reports still group by product and the money is
 * never the list price's. A negative line has no product (Stripe prices are 0 or more).
 */
function catalogOf(item: BillableLineItem, unitAmount: number, wholeQuantity: boolean): { catalog?: LineCatalog } {
  const price = item.catalogPrice;
  if (price === undefined || unitAmount < 0) return {};
  const atListPrice = wholeQuantity && price.usageType === undefined && price.unitAmount === unitAmount;
  return { catalog: { productId: price.productId, priceId: atListPrice ? price.priceId : undefined } };
}

export function billingLines(opportunity: BillableRecord, currency: string): BillingLine[] {
  if (opportunity.lineItems.length === 0) {
    if (opportunity.amount === undefined || opportunity.amount <= 0) {
      throw new CannotBillError(
        opportunity.sobject === 'Opportunity' ? 'The Opportunity has no Amount and no products to bill' : `The ${opportunity.sobject} has no products to bill`,
        { code: 'NOTHING_TO_BILL' },
      );
    }
    return [
      {
        lineId: 'amount',
        description: describe(opportunity, opportunity.name, undefined),
        quantity: 1,
        unitAmount: minor(opportunity.amount, currency, 'Amount'),
      },
    ];
  }
  return opportunity.lineItems.map((item): BillingLine => {
    const label = item.name ?? 'Product';
    if (item.quantity === undefined || !Number.isFinite(item.quantity) || item.quantity <= 0) {
      throw new CannotBillError(`Product "${label}" has no positive Quantity`, { code: 'QUANTITY_INVALID' });
    }
    if (item.unitPrice === undefined) {
      throw new CannotBillError(`Product "${label}" has no Sales Price`, { code: 'AMOUNT_INVALID' });
    }
    const unitAmount = minor(item.unitPrice, currency, `Sales Price of "${label}"`);
    if (item.discount !== undefined && item.discount !== 0) return discountedLine(opportunity, item, unitAmount, item.quantity, item.discount, currency);
    if (Number.isInteger(item.quantity)) {
      return { lineId: item.id, description: describe(opportunity, item.name, item.description), quantity: item.quantity, unitAmount, ...catalogOf(item, unitAmount, true) };
    }
    // Stripe prices take whole quantities: bill the exact total once and say what it is.
    const total = exactTotal(unitAmount, item.quantity);
    return {
      lineId: item.id,
      description: describe(opportunity, `${item.quantity} × ${label}`, item.description),
      quantity: 1,
      unitAmount: total,
      ...catalogOf(item, total, false),
    };
  });
}

export function totalOf(lines: readonly BillingLine[]): number {
  return lines.reduce((sum, line) => sum + line.unitAmount * line.quantity, 0);
}

/** What a record bills: its lines (tax and shipping included as lines) and a discount off them, minor units. */
export interface RecordBill {
  readonly lines: readonly BillingLine[];
  /** Billed as a one-off `amount_off` coupon: exact, whatever lines Stripe spreads it over. */
  readonly discount: number;
}

/**
 * The lines plus what the record computed on top of them. Tax and shipping are lines of their own
 * with the exact amounts Salesforce shows (Stripe tax rates are percentages and would round
 * differently); the lines are billed after their own Discounts, so the discount is only what the
 * record's TotalPrice takes off beyond them. When the record names its grand total, the bill must come to it to the minor unit.
 */
export function recordBill(record: BillableRecord, currency: string): RecordBill {
  const lines = billingLines(record, currency);
  const adjustments = record.adjustments;
  if (adjustments === undefined) return { lines, discount: 0 };
  const subtotal = totalOf(lines);
  const afterDiscount = adjustments.totalAfterDiscount === undefined ? subtotal : minor(adjustments.totalAfterDiscount, currency, 'Total Price');
  const discount = subtotal - afterDiscount;
  if (discount < 0) {
    throw new CannotBillError(`The ${record.sobject}'s Total Price is more than its lines add up to`, { code: 'DISCOUNT_INVALID' });
  }
  const extra: BillingLine[] = [];
  for (const [lineId, label, value] of [
    ['tax', 'Tax', adjustments.tax],
    ['shipping', 'Shipping and handling', adjustments.shipping],
  ] as const) {
    if (value === undefined || value === 0) continue;
    const amount = minor(value, currency, label);
    if (amount < 0) throw new CannotBillError(`${label} ${value} is negative`, { code: 'AMOUNT_INVALID' });
    extra.push({ lineId, description: label, quantity: 1, unitAmount: amount });
  }
  const all = [...lines, ...extra];
  if (adjustments.grandTotal !== undefined && totalOf(all) - discount !== minor(adjustments.grandTotal, currency, 'Grand Total')) {
    throw new CannotBillError(`The ${record.sobject}'s lines, discount, tax and shipping do not add up to its Grand Total ${adjustments.grandTotal}`, {
      code: 'TOTAL_MISMATCH',
    });
  }
  return { lines: all, discount };
}
