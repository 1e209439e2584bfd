import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.js';
import { minorUnitDigits, toMajorUnits, toMinorUnits } from '../../src/money.js';

describe('money in minor units', () => {
  it('knows zero-, two- and three-decimal currencies', () => {
    expect([minorUnitDigits('JPY'), minorUnitDigits('usd'), minorUnitDigits('KWD')]).toEqual([0, 2, 3]);
  });

  it('converts Salesforce decimals exactly (19.99 × 3 is 5997, not 5996.999…)', () => {
    expect(toMinorUnits(19.99, 'usd') * 3).toBe(5997);
    expect(toMinorUnits(0.1 + 0.2, 'eur')).toBe(30); // float noise, not a third decimal
    expect(toMinorUnits('1234.5', 'usd')).toBe(123450);
    expect(toMinorUnits(5000, 'jpy')).toBe(5000);
    expect(toMinorUnits(12.345, 'kwd')).toBe(12345);
    expect(toMinorUnits(2.5, 'gbp')).toBe(250);
    expect(toMinorUnits(-12.5, 'usd')).toBe(-1250);
  });

  it('refuses amounts finer than the currency allows instead of rounding money', () => {
    expect(() => toMinorUnits(10.5, 'jpy')).toThrow(PermanentError);
    expect(() => toMinorUnits(1.999, 'usd')).toThrow(/more than 2 decimal digits/);
    expect(() => toMinorUnits('abc', 'usd')).toThrow(PermanentError);
    expect(() => toMinorUnits(1, 'dollars')).toThrow(/ISO 4217/);
  });

  it('converts Stripe minor units to major units for Salesforce', () => {
    expect(toMajorUnits(4999, 'usd')).toBe(49.99);
    expect(toMajorUnits(5000, 'jpy')).toBe(5000);
    expect(toMajorUnits(12345, 'kwd')).toBe(12.345);
    expect(() => toMajorUnits(1.5, 'usd')).toThrow(PermanentError);
  });
});
