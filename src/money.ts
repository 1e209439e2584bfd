/**
 * Money stays in integer minor units until the last step. Stripe's API amounts use the
 * currency's minor unit: none for zero-decimal currencies (JPY), three digits for KWD & co.
 * (https://docs.stripe.com/currencies). Salesforce currency fields hold major units.
 */
import { PermanentError } from './errors.js';

const ZERO_DECIMAL = new Set([
  'bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf',
]);
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** Digits after the decimal point in Stripe API amounts for this ISO currency code. */
export function minorUnitDigits(currency: string): number {
  const code = currency.toLowerCase();
  if (!/^[a-z]{3}$/.test(code)) {
    throw new PermanentError(`Not an ISO 4217 currency code: ${currency}`, { code: 'CURRENCY_INVALID' });
  }
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}

/** Stripe minor units → the major-unit number a Salesforce currency field expects. */
export function toMajorUnits(minor: number, currency: string): number {
  if (!Number.isSafeInteger(minor)) {
    throw new PermanentError(`Amount is not an integer in minor units: ${minor}`, { code: 'AMOUNT_INVALID' });
  }
  // Dividing an integer by a power of ten yields the double nearest to the exact decimal,
  // which JSON prints as that decimal (1999 / 100 → 19.99).
  return minor / 10 ** minorUnitDigits(currency);
}

/**
 * A Salesforce decimal in major units → integer minor units, exactly (no float multiplication:
 * 19.99 * 100 is 1998.9999999999998). Rejects amounts with more digits than the currency has.
 */
export function toMinorUnits(major: number | string, currency: string): number {
  const digits = minorUnitDigits(currency);
  const text = typeof major === 'number' ? numberToPlainString(withoutFloatNoise(major, digits)) : major.trim();
  const match = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text);
  if (match === null) {
    throw new PermanentError(`Not a decimal amount: ${text}`, { code: 'AMOUNT_INVALID' });
  }
  const [, sign, whole = '0', fraction = ''] = match;
  const significant = fraction.replace(/0+$/, '');
  if (significant.length > digits) {
    throw new PermanentError(`${text} ${currency.toUpperCase()} has more than ${digits} decimal digits`, {
      code: 'AMOUNT_PRECISION',
    });
  }
  const minor = Number(whole + significant.padEnd(digits, '0'));
  if (!Number.isSafeInteger(minor)) {
    throw new PermanentError(`Amount out of range: ${text}`, { code: 'AMOUNT_INVALID' });
  }
  return sign === '-' ? -minor : minor;
}

/**
 * 0.1 + 0.2 is 0.30000000000000004: float noise, not a third decimal. Snap a number to the
 * currency's digits only when it is within a rounding error of them; a real 1.999 USD stays and
 * is refused.
 */
function withoutFloatNoise(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  const snapped = Number(value.toFixed(digits));
  return Math.abs(value - snapped) <= Number.EPSILON * Math.max(1, Math.abs(value)) * 8 ? snapped : value;
}

function numberToPlainString(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  // toString gives the shortest round-tripping decimal; avoid exponent notation for tiny/huge values.
  const text = value.toString();
  return /e/i.test(text) ? value.toFixed(20).replace(/\.?0+$/, '') : text;
}
