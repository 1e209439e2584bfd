/**
 * Ordering under real concurrency, through the real code paths: 30 events of one Opportunity,
 * its payment and its invoice, shuffled and cut into batches over 5 consumers that run at once
 * (processBatch calls in parallel, as Lambda runs up to maxConcurrency batches), some events
 * delivered twice, the Salesforce stand-in answering with seeded random latency so requests
 * arrive and return in shuffled orders. Every record must end in the state its newest event
 * (contracts/precedence) names, over many seeds. No sleeps: the interleavings come from the
 * stand-in's latency, and each seed replays the same shuffle, batches and latencies. The consumers
 * start cold (all five at once) with the first seed and stay warm for the next ones.
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interpretStripeEvent, type ConsumerApp } from '../../src/inbound/consumer-app.js';
import { sampleEvent } from '../../src/local/sample-events.js';
import type { EventEffect } from '../../src/mappers/mutation.js';
import { mergeKeyOf } from '../../src/salesforce/batch-plan.js';
import { VERSION_FIELD } from '../../src/salesforce/data-model.js';
import { inboundRecord, startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';
import { expectedStates } from '../support/record-model.js';

let h: ConsumerHarness;
/**
 * The five consumers, started cold and at once by the first seed, then kept warm from seed to
 * seed as Lambda keeps its execution environments (each seed has records of its own).
 */
let consumers: ConsumerApp[] | undefined;
const T = 1_767_225_600;
const CONSUMERS = 5;
const SEEDS = Array.from({ length: 12 }, (_, i) => 1000 + i * 7919);

beforeAll(async () => {
  h = await startConsumerHarness();
});
afterAll(async () => h.close());

/** mulberry32: a small seeded generator, so each seed replays the same shuffle. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: readonly T[], next: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** 30 events about one Opportunity: payments, refunds, disputes, checkouts, invoice events. */
function eventMix(seed: number, ids: { opportunity: string; pi: string; invoice: string; link: string }, next: () => number): Stripe.Event[] {
  const metadata = { salesforce_opportunity_id: ids.opportunity };
  const makers: Array<(id: string, created: number) => Stripe.Event> = [
    (id, created) => sampleEvent('payment_intent.processing', { id, created, objectId: ids.pi, metadata }),
    (id, created) => sampleEvent('payment_intent.payment_failed', { id, created, objectId: ids.pi, metadata }),
    (id, created) => sampleEvent('payment_intent.succeeded', { id, created, objectId: ids.pi, metadata }),
    (id, created) => sampleEvent('charge.refunded', { id, created, paymentIntent: ids.pi, amountRefunded: 1000, metadata }),
    (id, created) => sampleEvent('charge.refunded', { id, created, paymentIntent: ids.pi, metadata }),
    (id, created) => sampleEvent('charge.dispute.created', { id, created, paymentIntent: ids.pi, metadata }),
    (id, created) => sampleEvent('checkout.session.expired', { id, created, objectId: `cs_test_${id}`, paymentIntent: null, paymentLink: ids.link, metadata }),
    (id, created) => sampleEvent('checkout.session.completed', { id, created, objectId: `cs_test_${id}`, paymentIntent: ids.pi, paymentLink: ids.link, metadata }),
    (id, created) => sampleEvent('invoice.finalized', { id, created, objectId: ids.invoice, metadata }),
    (id, created) => sampleEvent('invoice.payment_failed', { id, created, objectId: ids.invoice, metadata }),
    (id, created) => sampleEvent('invoice.paid', { id, created, objectId: ids.invoice, metadata }),
  ];
  return Array.from({ length: 30 }, (_, i) => {
    const make = makers[Math.floor(next() * makers.length)] as (typeof makers)[number];
    // A narrow window, so same-second ties between different events happen too.
    return make(`evt_test_c${seed}_${i}`, T + Math.floor(next() * 120));
  });
}

function effectOf(event: Stripe.Event): EventEffect | undefined {
  const { result } = interpretStripeEvent(JSON.parse(JSON.stringify(event)));
  return result.outcome === 'mapped' ? result.effect : undefined;
}

/** Runs one consumer's batches in order; a message reported for retry is delivered again. */
async function consume(app: ConsumerApp, batches: readonly Stripe.Event[][]): Promise<string[]> {
  const outcomes: string[] = [];
  for (const batch of batches) {
    let pending = batch.map((event) => ({ event, receiveCount: 1 }));
    while (pending.length > 0) {
      const records = pending.map((p) => inboundRecord(p.event, { receiveCount: p.receiveCount }));
      const summary = await app.handle(records);
      const retry = new Set(summary.response.batchItemFailures.map((f) => f.itemIdentifier));
      records.forEach((r) => {
        if (!retry.has(r.messageId)) outcomes.push(summary.outcomes.get(r.messageId) ?? 'missing');
      });
      pending = pending.filter((_, i) => retry.has(records[i]?.messageId as string)).map((p) => ({ ...p, receiveCount: p.receiveCount + 1 }));
    }
  }
  return outcomes;
}

describe('30 events of one record over 5 concurrent consumers', () => {
  it.each(SEEDS)('seed %i ends every record in its newest state', async (seed) => {
    const next = random(seed);
    const opportunity = h.salesforce.insert('Opportunity', { Name: `Race ${seed}`, StageName: 'Closed Won', Amount: 49.99 });
    const ids = { opportunity, pi: `pi_test_race${seed}`, invoice: `in_test_race${seed}`, link: `plink_test_race${seed}` };
    // The Opportunity's bill is a payment link, paid through Checkout by the PaymentIntent: the
    // invoice events name the Opportunity too but are not its bill (src/billing/trust.ts), so
    // they move the invoice record and not the Opportunity.
    await h.bill(opportunity, { stripeObjectId: ids.link, paymentIntents: [ids.pi] });
    const events = eventMix(seed, ids, next);
    // At-least-once: a few events arrive twice, possibly at two consumers at the same time.
    const deliveries = shuffle([...events, ...events.slice(0, 5)], next);
    const batches: Stripe.Event[][] = [];
    for (let i = 0; i < deliveries.length; ) {
      const size = 1 + Math.floor(next() * 6);
      batches.push(deliveries.slice(i, i + size));
      i += size;
    }
    const perConsumer = Array.from({ length: CONSUMERS }, (_, k) => batches.filter((_, b) => b % CONSUMERS === k));
    const apps = (consumers ??= Array.from({ length: CONSUMERS }, () => h.coldStart()));
    h.salesforce.jitter = { seed, maxMs: 6 };
    let outcomes: string[][];
    try {
      outcomes = await Promise.all(apps.map((app, k) => consume(app, perConsumer[k] as Stripe.Event[][])));
    } finally {
      h.salesforce.jitter = undefined;
    }

    expect(outcomes.flat().filter((o) => o === 'dead_lettered' || o === 'missing')).toEqual([]);
    expect(outcomes.flat()).toHaveLength(deliveries.length);
    const effects = events.map((event) => ({ event, effect: effectOf(event) }));
    const expected = expectedStates(effects.flatMap((e) => e.effect ?? []));
    const expectedOpportunity = expectedStates(effects.filter((e) => !e.event.type.startsWith('invoice.')).flatMap((e) => e.effect ?? []));
    const checks: Array<[string, string, string, string]> = [
      ['Opportunity', 'Id', opportunity, 'Stripe_Payment_Status__c'],
      ['Stripe_Payment__c', 'Stripe_Id__c', ids.pi, 'Status__c'],
      ['Stripe_Invoice__c', 'Stripe_Id__c', ids.invoice, 'Status__c'],
    ];
    for (const [sobject, keyField, keyValue, statusField] of checks) {
      const want = (sobject === 'Opportunity' ? expectedOpportunity : expected).get(mergeKeyOf(sobject, keyField, keyValue));
      const row = h.salesforce.records(sobject).find((r) => r[keyField] === keyValue);
      if (want === undefined) continue;
      expect({ sobject, status: row?.[statusField], version: row?.[VERSION_FIELD] }).toEqual({ sobject, status: want.status, version: want.version });
    }
  });
});
