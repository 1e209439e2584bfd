/**
 * The precedence order as a pure function (src/contracts/precedence.ts): settled beats unsettled
 * whatever the timestamps, then newer wins, then rank, then a stable tiebreak; one integer key
 * that Salesforce can compare exactly.
 */
import { describe, expect, it } from 'vitest';
import {
  comparePrecedence,
  isSettled,
  precedenceKey,
  precedenceOf,
  RANK,
  SETTLED_STATUSES,
  VERSIONED_OBJECTS,
  winner,
  type Precedence,
} from '../../src/contracts/precedence.js';
import { INVOICE_STATUSES, OPPORTUNITY_PAYMENT_STATUSES, PAYMENT_STATUSES, REFUND_STATUSES, SUBSCRIPTION_ITEM_STATUSES, SUBSCRIPTION_STATUSES } from '../../src/contracts/statuses.js';

const T = 1_767_225_600;
const p = (settled: boolean, created: number, rank: number, eventId = 'evt_a'): Precedence => ({ settled, created, rank, eventId });

/** Every ordering of `items` (Heap's algorithm). */
function permutations<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  const a = [...items];
  const c = a.map(() => 0);
  out.push([...a]);
  let i = 0;
  while (i < a.length) {
    if ((c[i] ?? 0) < i) {
      const j = i % 2 === 0 ? 0 : (c[i] ?? 0);
      [a[j], a[i]] = [a[i] as T, a[j] as T];
      out.push([...a]);
      c[i] = (c[i] ?? 0) + 1;
      i = 0;
    } else {
      c[i] = 0;
      i += 1;
    }
  }
  return out;
}

describe('the precedence order', () => {
  it('puts a settled state above an unsettled one, however much newer the unsettled one is', () => {
    expect(comparePrecedence(p(true, T, RANK.SETTLED), p(false, T + 86_400 * 365, RANK.OPEN))).toBeGreaterThan(0);
    expect(comparePrecedence(p(true, T, RANK.SETTLED), p(false, T + 60, RANK.FAILED))).toBeGreaterThan(0);
  });

  it('lets the newer event win within a tier, settled or not', () => {
    expect(comparePrecedence(p(true, T + 1, RANK.SETTLED), p(true, T, RANK.REFUNDED))).toBeGreaterThan(0);
    expect(comparePrecedence(p(false, T + 1, RANK.OPEN), p(false, T, RANK.FAILED))).toBeGreaterThan(0);
  });

  it('breaks a same-second tie by rank, then by event id, the same way every time', () => {
    expect(comparePrecedence(p(true, T, RANK.REFUNDED), p(true, T, RANK.SETTLED))).toBeGreaterThan(0);
    expect(comparePrecedence(p(false, T, RANK.FAILED), p(false, T, RANK.OPEN))).toBeGreaterThan(0);
    const a = p(false, T, RANK.OPEN, 'evt_1NBUnA2eZvKYlo2CJ0sp1x8k');
    const b = p(false, T, RANK.OPEN, 'evt_1NBUnA2eZvKYlo2CKq9fSj2L');
    expect(comparePrecedence(a, b)).not.toBe(0);
    expect(Math.sign(comparePrecedence(a, b))).toBe(-Math.sign(comparePrecedence(b, a)));
    expect(precedenceKey(a)).toBe(precedenceKey({ ...a }));
  });

  it('encodes settled · created · rank · tiebreak as a safe integer of at most 16 digits', () => {
    const key = precedenceKey(p(true, T, RANK.REFUNDED, 'evt_x'));
    expect(String(key).slice(0, 13)).toBe(`1${T}${RANK.REFUNDED}`);
    const largest = precedenceKey(p(true, 9_999_999_999, 99, 'evt_x'));
    expect(Number.isSafeInteger(largest)).toBe(true);
    expect(String(largest)).toHaveLength(16);
    expect(precedenceKey(p(false, T, RANK.OPEN))).toBeLessThan(1e15);
    expect(() => precedenceKey(p(false, 1.5, RANK.OPEN))).toThrow(RangeError);
    expect(() => precedenceKey(p(false, T, 100))).toThrow(RangeError);
  });

  it('picks the same winner from every ordering of a set of writes', () => {
    const writes = [
      { name: 'succeeded', precedence: p(true, T, RANK.SETTLED, 'evt_s') },
      { name: 'expired (newer)', precedence: p(false, T + 600, RANK.OPEN, 'evt_e') },
      { name: 'failed', precedence: p(false, T - 60, RANK.FAILED, 'evt_f') },
      { name: 'refunded', precedence: p(true, T + 60, RANK.REFUNDED, 'evt_r') },
      { name: 'late success', precedence: p(true, T + 30, RANK.SETTLED, 'evt_l') },
    ];
    const winners = new Set(permutations(writes).map((order) => winner(order)?.name));
    expect(winners).toEqual(new Set(['refunded']));
    expect(winner([])).toBeUndefined();
  });
});

describe('the settled table', () => {
  const picklists = {
    Opportunity: OPPORTUNITY_PAYMENT_STATUSES,
    Quote: OPPORTUNITY_PAYMENT_STATUSES,
    Order: OPPORTUNITY_PAYMENT_STATUSES,
    Contract: OPPORTUNITY_PAYMENT_STATUSES,
    Stripe_Payment__c: PAYMENT_STATUSES,
    Stripe_Invoice__c: INVOICE_STATUSES,
    Stripe_Subscription__c: SUBSCRIPTION_STATUSES,
    Stripe_Subscription_Item__c: SUBSCRIPTION_ITEM_STATUSES,
    Stripe_Refund__c: REFUND_STATUSES,
  } as const;

  it.each(VERSIONED_OBJECTS)('names only picklist values of %s', (sobject) => {
    for (const status of SETTLED_STATUSES[sobject]) expect(picklists[sobject] as readonly string[]).toContain(status);
  });

  it('settles an Opportunity only when money arrived: Canceled (a voided invoice) can be billed again', () => {
    expect(OPPORTUNITY_PAYMENT_STATUSES.filter((s) => isSettled('Opportunity', s))).toEqual(['Paid', 'Partially Paid', 'Partially Refunded', 'Refunded', 'Disputed']);
    expect(isSettled('Opportunity', 'Canceled')).toBe(false);
    expect(isSettled('Stripe_Invoice__c', 'Void')).toBe(true);
    expect(isSettled('Opportunity', undefined)).toBe(false);
  });

  it('derives a write’s tier from the status it writes', () => {
    const event = { id: 'evt_1', created: T };
    expect(precedenceOf('Stripe_Invoice__c', 'Void', event, RANK.SETTLED).settled).toBe(true);
    expect(precedenceOf('Opportunity', 'Canceled', event, RANK.SETTLED).settled).toBe(false);
    expect(precedenceOf('Stripe_Payment__c', 'Processing', event, RANK.OPEN)).toEqual({ settled: false, created: T, rank: RANK.OPEN, eventId: 'evt_1' });
  });
});
