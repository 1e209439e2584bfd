/**
 * Order-independent precedence, as a property: for every arrival order of an event set and every
 * way of cutting that order into consumer batches, each record ends in the same state — the one
 * the precedence order names (contracts/precedence) — and never in an older one. The events go
 * through the real schemas and mappers; Salesforce is the pure model of the package's rules
 * (test/support/record-model.ts, checked against the stand-in and the package elsewhere).
 */
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { interpretStripeEvent } from '../../src/inbound/consumer-app.js';
import { sampleEvent } from '../../src/local/sample-events.js';
import type { EventEffect } from '../../src/mappers/mutation.js';
import { mergeKeyOf } from '../../src/salesforce/batch-plan.js';
import { VERSION_FIELD } from '../../src/salesforce/data-model.js';
import { expectedStates, memoizedMerge, play } from '../support/record-model.js';

const T = 1_767_225_600;
const OPP = '006Ab00000Perm0001';
const PI = 'pi_test_perm0001';
const INVOICE = 'in_test_perm0001';
const metadata = { salesforce_opportunity_id: OPP };

function effectOf(event: Stripe.Event): EventEffect {
  const { result } = interpretStripeEvent(JSON.parse(JSON.stringify(event)));
  if (result.outcome !== 'mapped') throw new Error(`${event.type} was skipped: ${result.reason}`);
  return result.effect;
}

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

/** Every way to cut a sequence into consecutive, non-empty batches (2^(n-1) of them). */
function batchings<T>(sequence: readonly T[]): T[][][] {
  const out: T[][][] = [];
  for (let cuts = 0; cuts < 2 ** Math.max(0, sequence.length - 1); cuts++) {
    const batches: T[][] = [[]];
    sequence.forEach((item, index) => {
      if (index > 0 && (cuts >> (index - 1)) & 1) batches.push([]);
      (batches.at(-1) as T[]).push(item);
    });
    out.push(batches);
  }
  return out;
}

const key = (sobject: string, value: string) => mergeKeyOf(sobject, sobject === 'Opportunity' ? 'Id' : 'Stripe_Id__c', value);

/** Plays every order × batching and returns the distinct end states of the records asked for. */
function endStates(effects: readonly EventEffect[], records: readonly string[]): Set<string> {
  const seen = new Set<string>();
  // Every order × batching is still played; a batch that recurs is merged once.
  const merge = memoizedMerge();
  for (const order of permutations(effects)) {
    for (const batches of batchings(order)) {
      const state = play(batches, merge);
      seen.add(JSON.stringify(records.map((r) => [state.get(r)?.['Status__c'] ?? state.get(r)?.['Stripe_Payment_Status__c'], state.get(r)?.[VERSION_FIELD]])));
    }
  }
  return seen;
}

describe('order-independent precedence (every permutation × every batching)', () => {
  it('ends Paid when a newer checkout.session.expired meets an older payment_intent.succeeded (issue example)', () => {
    const effects = [
      sampleEvent('invoice.finalized', { id: 'evt_p_fin', created: T - 100, objectId: INVOICE, metadata }),
      sampleEvent('payment_intent.processing', { id: 'evt_p_proc', created: T - 10, objectId: PI, metadata }),
      sampleEvent('payment_intent.payment_failed', { id: 'evt_p_fail', created: T, objectId: PI, metadata }),
      sampleEvent('payment_intent.succeeded', { id: 'evt_p_ok', created: T + 10, objectId: PI, metadata }),
      sampleEvent('checkout.session.expired', { id: 'evt_p_exp', created: T + 600, objectId: 'cs_test_other0001', paymentIntent: null, metadata }),
      sampleEvent('invoice.payment_failed', { id: 'evt_p_infail', created: T + 20, objectId: INVOICE, metadata }),
    ].map(effectOf);
    const records = [key('Opportunity', OPP), key('Stripe_Payment__c', PI), key('Stripe_Invoice__c', INVOICE)];
    const expected = expectedStates(effects);
    expect(records.map((r) => expected.get(r)?.status)).toEqual(['Paid', 'Succeeded', 'Open']);

    const states = endStates(effects, records);

    expect(states).toEqual(new Set([JSON.stringify(records.map((r) => [expected.get(r)?.status, expected.get(r)?.version]))]));
  });

  it('keeps refunds and disputes as the newer settled states, whatever arrives late', () => {
    const effects = [
      sampleEvent('payment_intent.succeeded', { id: 'evt_r_ok', created: T, objectId: PI, metadata }),
      sampleEvent('charge.refunded', { id: 'evt_r_part', created: T + 100, paymentIntent: PI, amountRefunded: 1000, metadata }),
      sampleEvent('charge.dispute.created', { id: 'evt_r_disp', created: T + 200, paymentIntent: PI, metadata }),
      sampleEvent('payment_intent.payment_failed', { id: 'evt_r_fail', created: T + 300, objectId: PI, metadata }),
      sampleEvent('checkout.session.expired', { id: 'evt_r_exp', created: T + 400, objectId: 'cs_test_other0002', paymentIntent: null, metadata }),
      sampleEvent('charge.dispute.closed', { id: 'evt_r_lost', created: T + 500, paymentIntent: PI, metadata, objectOverrides: { status: 'lost' } }),
    ].map(effectOf);
    const records = [key('Opportunity', OPP), key('Stripe_Payment__c', PI)];
    const expected = expectedStates(effects);
    // The disputes name only the charge (not expanded here), so they move the payment, not the
    // Opportunity; the late failure and the expired session move neither.
    expect(records.map((r) => expected.get(r)?.status)).toEqual(['Partially Refunded', 'Dispute Lost']);

    expect(endStates(effects, records)).toEqual(new Set([JSON.stringify(records.map((r) => [expected.get(r)?.status, expected.get(r)?.version]))]));
  });

  it('settles a same-second tie by rank in every order (a refund over a success of the same second)', () => {
    const effects = [
      sampleEvent('payment_intent.succeeded', { id: 'evt_t_ok', created: T, objectId: PI, metadata }),
      sampleEvent('charge.refunded', { id: 'evt_t_ref', created: T, paymentIntent: PI, metadata }),
      sampleEvent('payment_intent.payment_failed', { id: 'evt_t_fail', created: T, objectId: PI, metadata }),
      sampleEvent('invoice.voided', { id: 'evt_t_void', created: T + 50, objectId: INVOICE, metadata }),
    ].map(effectOf);
    const records = [key('Opportunity', OPP), key('Stripe_Payment__c', PI), key('Stripe_Invoice__c', INVOICE)];
    const expected = expectedStates(effects);
    // A voided invoice settles the invoice record but leaves the Opportunity to the refund.
    expect(records.map((r) => expected.get(r)?.status)).toEqual(['Refunded', 'Refunded', 'Void']);
    expect(endStates(effects, records).size).toBe(1);
  });

  it('detects an order-dependent rule (the property itself can fail)', () => {
    // Without precedence keys, the last batch wins: different orders end differently.
    const effects = [
      sampleEvent('payment_intent.succeeded', { id: 'evt_n_ok', created: T, objectId: PI, metadata }),
      sampleEvent('payment_intent.payment_failed', { id: 'evt_n_fail', created: T + 10, objectId: PI, metadata }),
    ]
      .map(effectOf)
      .map((e) => ({ ...e, mutations: e.mutations.map(({ version: _version, ...m }) => m) }));
    expect(endStates(effects, [key('Stripe_Payment__c', PI)]).size).toBe(2);
  });
});
