/**
 * customer.subscription.* → Stripe_Subscription_Change__c: one record per event that moved MRR,
 * derived from the event alone (its object and its `previous_attributes`).
 *
 * Sources: the subscription and its item are Stripe's reference fixture (openapi fixtures3.json
 * `subscription`: `sub_1Pgc6rB7WZ01zgkWNy0Cn5nw`, customer `cus_QXg1o8vcGmoR32`, item
 * `si_QXhVnC2h0Jczwc` on price `price_1PgafmB7WZ01zgkW6dKueIc5`, 2000 usd a month, quantity 1,
 * `pause_collection` {behavior: mark_uncollectible, resumes_at: null}), trimmed to the fields the
 * bridge reads. `previous_attributes` as the Event object documents it: the previous values of the
 * changed top-level fields, a changed sub-array rendered whole
 * (https://docs.stripe.com/changelog/2017-05-25/events-previous-attributes-render-complete-sub-array),
 * nested hashes as their differences (https://docs.stripe.com/changelog/2015-01-26/events-previous-attributes-render-differences).
 * The upgrade example is Stripe's own ("if a customer signs up on May 1 for a 100 USD price … on
 * May 15 they switch to a 200 USD price", https://docs.stripe.com/api/subscriptions/update): MRR
 * moves by the price difference the day of the switch, whatever the proration invoices.
 */
import { describe, expect, it } from 'vitest';
import { isSyntheticEventId } from '../../src/contracts/synthetic-events.js';
import type { SalesforceMutation } from '../../src/mappers/mutation.js';
import { syntheticEvent } from '../../src/reconcile/stripe-objects.js';
import { mapJson, mapped, only } from './helpers.js';

type Json = Record<string, unknown>;
const CREATED = 1_764_662_400; // 2025-12-02T08:00:00Z
const SUB = 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw';

/** fixtures3.json `subscription.items.data[0]`, with the quantity, unit amount and currency of each case. */
function fixtureItem(options: { quantity?: number; unit?: number; currency?: string; interval?: string; id?: string } = {}): Json {
  const unit = options.unit ?? 2000;
  return {
    created: 1721954054,
    discounts: [],
    id: options.id ?? 'si_QXhVnC2h0Jczwc',
    metadata: {},
    object: 'subscription_item',
    price: {
      active: true,
      billing_scheme: 'per_unit',
      created: 1721948530,
      currency: options.currency ?? 'usd',
      id: options.id === undefined ? 'price_1PgafmB7WZ01zgkW6dKueIc5' : `price_${options.id}`,
      livemode: false,
      nickname: null,
      object: 'price',
      product: 'prod_QXg1hqf4jFNsqG',
      recurring: { interval: options.interval ?? 'month', interval_count: 1, meter: null, usage_type: 'licensed', trial_period_days: null },
      type: 'recurring',
      unit_amount: unit,
      unit_amount_decimal: String(unit),
    },
    quantity: options.quantity ?? 1,
    subscription: SUB,
    tax_rates: [],
    current_period_end: CREATED + 30 * 86_400,
    current_period_start: CREATED,
  };
}

/** fixtures3.json `subscription`, trimmed, with this case's state. */
function subscription(overrides: Json = {}, items: Json[] = [fixtureItem()]): Json {
  return {
    id: SUB,
    object: 'subscription',
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    collection_method: 'charge_automatically',
    created: 1234567890,
    currency: 'usd',
    customer: 'cus_QXg1o8vcGmoR32',
    discounts: [],
    ended_at: null,
    items: { data: items, has_more: false, object: 'list', url: `/v1/subscription_items?subscription=${SUB}` },
    livemode: false,
    metadata: { salesforce_account_id: '001000000000001AAA' },
    pause_collection: null,
    schedule: null,
    start_date: 1234567890,
    status: 'active',
    trial_end: null,
    ...overrides,
  };
}

function event(type: string, object: Json, previous?: Json, id = 'evt_test_change0001', created = CREATED): Json {
  return {
    id,
    object: 'event',
    api_version: '2025-03-31.basil',
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: previous === undefined ? { object } : { object, previous_attributes: previous },
  };
}

/** The change record of the event, or undefined when it wrote none. */
function change(json: Json): SalesforceMutation | undefined {
  const effect = mapped(mapJson(json));
  only(effect, 'Stripe_Subscription__c');
  const changes = effect.mutations.filter((m) => m.sobject === 'Stripe_Subscription_Change__c');
  expect(changes.length).toBeLessThanOrEqual(1);
  return changes[0];
}

function movement(json: Json): { type: unknown; before: unknown; after: unknown; delta: unknown } | undefined {
  const record = change(json);
  if (record === undefined) return undefined;
  const f = record.fields;
  return { type: f['Type__c'], before: f['MRR_Before__c'], after: f['MRR_After__c'], delta: f['MRR_Delta__c'] };
}

describe('MRR movements of customer.subscription.updated', () => {
  it('upgrade with proration, quantity 1 → 3 of the fixture price: Expansion +40.00 USD, keyed by the event', () => {
    const json = event('customer.subscription.updated', subscription({}, [fixtureItem({ quantity: 3 })]), {
      items: { data: [fixtureItem({ quantity: 1 })] },
    });
    const record = change(json);
    expect(record?.key).toEqual({ field: 'Stripe_Event_Id__c', value: 'evt_test_change0001' });
    expect(record?.version).toBeUndefined();
    expect(record?.fields).toMatchObject({
      Name: 'Expansion +40.00 USD',
      Type__c: 'Expansion',
      MRR_Before__c: 20,
      MRR_After__c: 60,
      MRR_Delta__c: 40,
      Currency_Code__c: 'USD',
      Effective_Date__c: '2025-12-02',
      Changed_At__c: '2025-12-02T08:00:00.000Z',
      Stripe_Event_Type__c: 'customer.subscription.updated',
      Stripe_Subscription__r: { Stripe_Id__c: SUB },
      Stripe_Subscription_Id__c: SUB,
      Stripe_Customer_Id__c: 'cus_QXg1o8vcGmoR32',
      Account__c: '001000000000001AAA',
      Livemode__c: false,
    });
    expect(record?.optionalReferences).toEqual(expect.arrayContaining(['Account__c', 'Stripe_Subscription__r']));
  });

  it("Stripe's documented upgrade, a 100 USD price switched to a 200 USD price: Expansion +100.00", () => {
    const json = event('customer.subscription.updated', subscription({}, [fixtureItem({ unit: 20_000, id: 'pro' })]), {
      items: { data: [fixtureItem({ unit: 10_000, id: 'basic' })] },
    });
    expect(movement(json)).toEqual({ type: 'Expansion', before: 100, after: 200, delta: 100 });
  });

  it('downgrade, 200 USD → 100 USD: Contraction -100.00, named with the sign', () => {
    const json = event('customer.subscription.updated', subscription({}, [fixtureItem({ unit: 10_000, id: 'basic' })]), {
      items: { data: [fixtureItem({ unit: 20_000, id: 'pro' })] },
    });
    expect(movement(json)).toEqual({ type: 'Contraction', before: 200, after: 100, delta: -100 });
    expect(change(json)?.fields['Name']).toBe('Contraction -100.00 USD');
  });

  it('monthly → yearly at the same monthly value moves nothing; at a yearly discount it contracts', () => {
    const same = event('customer.subscription.updated', subscription({}, [fixtureItem({ unit: 24_000, interval: 'year', id: 'yearly' })]), {
      items: { data: [fixtureItem({ unit: 2000 })] },
    });
    expect(change(same)).toBeUndefined();
    const cheaper = event('customer.subscription.updated', subscription({}, [fixtureItem({ unit: 19_200, interval: 'year', id: 'yearly' })]), {
      items: { data: [fixtureItem({ unit: 2000 })] },
    });
    expect(movement(cheaper)).toEqual({ type: 'Contraction', before: 20, after: 16, delta: -4 });
  });

  it('status active → canceled: Churn to 0', () => {
    const json = event('customer.subscription.updated', subscription({ status: 'canceled', canceled_at: CREATED, ended_at: CREATED }), { status: 'active' });
    expect(movement(json)).toEqual({ type: 'Churn', before: 20, after: 0, delta: -20 });
  });

  it('collection paused (the fixture pause_collection): Churn; resumed: Reactivation', () => {
    const paused = { behavior: 'mark_uncollectible', resumes_at: null };
    expect(movement(event('customer.subscription.updated', subscription({ pause_collection: paused }), { pause_collection: null }))).toEqual({
      type: 'Churn',
      before: 20,
      after: 0,
      delta: -20,
    });
    expect(movement(event('customer.subscription.updated', subscription(), { pause_collection: paused }))).toEqual({
      type: 'Reactivation',
      before: 0,
      after: 20,
      delta: 20,
    });
  });

  it.each([['paused'], ['canceled'], ['unpaid']])('status %s → active: Reactivation', (previous) => {
    expect(movement(event('customer.subscription.updated', subscription(), { status: previous }))?.type).toBe('Reactivation');
  });

  it.each([['trialing'], ['incomplete']])('status %s → active (first paying period): New Business', (previous) => {
    expect(movement(event('customer.subscription.updated', subscription(), { status: previous }))).toEqual({ type: 'New Business', before: 0, after: 20, delta: 20 });
  });

  it('past_due → active, cancel_at_period_end set, metadata or period changes: no MRR movement, no record', () => {
    expect(change(event('customer.subscription.updated', subscription(), { status: 'past_due' }))).toBeUndefined();
    expect(change(event('customer.subscription.updated', subscription({ cancel_at_period_end: true }), { cancel_at_period_end: false }))).toBeUndefined();
    expect(change(event('customer.subscription.updated', subscription(), { metadata: { plan: 'old' } }))).toBeUndefined();
    expect(change(event('customer.subscription.updated', subscription(), { current_period_end: CREATED, current_period_start: CREATED - 30 * 86_400 }))).toBeUndefined();
    expect(change(event('customer.subscription.updated', subscription()))).toBeUndefined();
  });

  it('a cut-short item list (has_more) or an unreadable previous shape writes no record', () => {
    const cut = subscription({ items: { data: [fixtureItem({ quantity: 3 })], has_more: true, object: 'list' } });
    expect(change(event('customer.subscription.updated', cut, { items: { data: [fixtureItem()] } }))).toBeUndefined();
    expect(change(event('customer.subscription.updated', subscription(), { items: 'not a list' }))).toBeUndefined();
  });

  it('amounts in the currency: 0 decimals (JPY) and 3 decimals (KWD)', () => {
    const jpy = event('customer.subscription.updated', subscription({ currency: 'jpy' }, [fixtureItem({ unit: 1500, quantity: 2, currency: 'jpy' })]), {
      items: { data: [fixtureItem({ unit: 1500, quantity: 1, currency: 'jpy' })] },
    });
    expect(change(jpy)?.fields).toMatchObject({ MRR_Delta__c: 1500, Currency_Code__c: 'JPY', Name: 'Expansion +1500 JPY' });
    const kwd = event('customer.subscription.updated', subscription({ currency: 'kwd' }, [fixtureItem({ unit: 12_345, interval: 'year', currency: 'kwd', id: 'y' })]), {
      items: { data: [fixtureItem({ unit: 1_000, currency: 'kwd' })] },
    });
    // 12.345 KWD a year = 1.029 (1.02875 half up) a month; before 1.000.
    expect(change(kwd)?.fields).toMatchObject({ MRR_Before__c: 1, MRR_After__c: 1.029, MRR_Delta__c: 0.029, Name: 'Expansion +0.029 KWD' });
  });
});

describe('created and deleted', () => {
  it('created active: New Business from 0; created trialing or incomplete: no record yet', () => {
    expect(movement(event('customer.subscription.created', subscription()))).toEqual({ type: 'New Business', before: 0, after: 20, delta: 20 });
    expect(change(event('customer.subscription.created', subscription({ status: 'trialing', trial_end: CREATED + 14 * 86_400 })))).toBeUndefined();
    expect(change(event('customer.subscription.created', subscription({ status: 'incomplete' })))).toBeUndefined();
  });

  it('deleted (canceled at once or at period end): Churn of what it earned', () => {
    const json = event('customer.subscription.deleted', subscription({ status: 'canceled', canceled_at: CREATED, ended_at: CREATED }, [fixtureItem({ quantity: 3 })]));
    expect(movement(json)).toEqual({ type: 'Churn', before: 60, after: 0, delta: -60 });
    expect(change(json)?.fields['Stripe_Event_Type__c']).toBe('customer.subscription.deleted');
  });

  it('deleted during its trial, while paused, or after an incomplete start: it earned nothing, no record', () => {
    const trial = subscription({ status: 'canceled', canceled_at: CREATED, ended_at: CREATED, trial_end: CREATED + 3 * 86_400 });
    expect(change(event('customer.subscription.deleted', trial))).toBeUndefined();
    const paused = subscription({ status: 'canceled', canceled_at: CREATED, ended_at: CREATED, pause_collection: { behavior: 'void', resumes_at: null } });
    expect(change(event('customer.subscription.deleted', paused))).toBeUndefined();
    expect(change(event('customer.subscription.deleted', subscription({ status: 'incomplete_expired', ended_at: CREATED })))).toBeUndefined();
  });

  it('the backfill and the reconciler describe states, not movements: their made-up events write no record', () => {
    const canceled = subscription({ status: 'canceled', canceled_at: CREATED, ended_at: CREATED });
    for (const source of ['backfill', 'reconcile'] as const) {
      const made = syntheticEvent('customer.subscription.deleted', canceled as { id: string }, CREATED, source);
      expect(isSyntheticEventId(String(made['id']))).toBe(true);
      expect(change(made as Json)).toBeUndefined();
    }
    expect(isSyntheticEventId('evt_1Pgc76B7WZ01zgkWwyRHS12y')).toBe(false);
  });
});

describe('out of order', () => {
  it('each event records its own movement, so the deltas add up to the MRR whatever order they arrive in', () => {
    // 1 seat → 3 seats (10:00), then 3 → 2 (11:00); delivered newest first.
    const up = event('customer.subscription.updated', subscription({}, [fixtureItem({ quantity: 3 })]), { items: { data: [fixtureItem({ quantity: 1 })] } }, 'evt_test_up', CREATED);
    const down = event('customer.subscription.updated', subscription({}, [fixtureItem({ quantity: 2 })]), { items: { data: [fixtureItem({ quantity: 3 })] } }, 'evt_test_down', CREATED + 3600);
    const arrived = [down, up].map((json) => change(json));
    expect(arrived.map((r) => [r?.key.value, r?.fields['Type__c'], r?.fields['MRR_Delta__c']])).toEqual([
      ['evt_test_down', 'Contraction', -20],
      ['evt_test_up', 'Expansion', 40],
    ]);
    const sum = arrived.reduce((total, r) => total + Number(r?.fields['MRR_Delta__c']), 0);
    // From 20.00 (1 seat) to 40.00 (2 seats).
    expect(sum).toBe(20);
  });
});
