/**
 * customer.subscription.* → Stripe_Subscription__c: the lifecycle fields and MRR, at every API
 * version. Shapes follow the Subscription object (https://docs.stripe.com/api/subscriptions/object)
 * and Stripe's reference fixture (openapi fixtures3.json `subscription`: items with both `price`
 * and the legacy `plan`, `collection_method`, `cancel_at`, `trial_end`, `pause_collection`
 * {behavior, resumes_at}, `schedule`); where a field moved, the version renderer in
 * test/support/stripe-api-versions.ts follows the changelog.
 */
import { describe, expect, it } from 'vitest';
import { sampleEvent, SAMPLE_CREATED, type SampleEventOptions } from '../../src/local/sample-events.js';
import { STRIPE_API_VERSION } from '../../src/stripe/event-schemas.js';
import { atApiVersion, OLD_VERSIONS, type Json } from '../support/stripe-api-versions.js';
import { mapJson, mapped, only } from './helpers.js';

const BASIL = '2025-03-31.basil';
const ALL_VERSIONS = [...OLD_VERSIONS, BASIL, STRIPE_API_VERSION] as const;
const DAY = 86_400;

type Item = Record<string, unknown>;

/** A subscription item as Stripe renders it (price + legacy plan); `unit` in minor units. */
function item(id: string, unit: number, interval: string, options: { count?: number; quantity?: number; metered?: boolean; nickname?: string } = {}): Item {
  const recurring = { interval, interval_count: options.count ?? 1, meter: null, trial_period_days: null, usage_type: options.metered === true ? 'metered' : 'licensed' };
  const price = {
    id: `price_test_${id}`,
    object: 'price',
    currency: 'usd',
    nickname: options.nickname ?? null,
    product: `prod_test_${id}`,
    recurring,
    type: 'recurring',
    unit_amount: unit,
    unit_amount_decimal: String(unit),
  };
  return {
    id: `si_test_${id}`,
    object: 'subscription_item',
    current_period_start: SAMPLE_CREATED,
    current_period_end: SAMPLE_CREATED + 30 * DAY,
    discounts: [],
    plan: { id: price.id, object: 'plan', amount: unit, amount_decimal: String(unit), interval, interval_count: recurring.interval_count, usage_type: recurring.usage_type, product: price.product, nickname: price.nickname },
    price,
    ...(options.metered === true ? {} : { quantity: options.quantity ?? 1 }),
  };
}

function subscriptionJson(type: string, version: string, overrides: Record<string, unknown> = {}, items?: Item[], options: SampleEventOptions = {}): Json {
  const event = sampleEvent(type, { id: 'evt_test_subs0001', objectOverrides: { cancel_at_period_end: false, canceled_at: null, ...overrides }, ...options }) as unknown as Json;
  if (items !== undefined) event['data'].object.items.data = items;
  return atApiVersion(event as never, version);
}

const fieldsOf = (json: Json) => only(mapped(mapJson(json)), 'Stripe_Subscription__c').fields;

describe('lifecycle fields at every API version', () => {
  it.each(ALL_VERSIONS)('%s: period start and end, plan, price, quantity, currency, collection method, MRR', (version) => {
    const fields = fieldsOf(subscriptionJson('customer.subscription.created', version, { collection_method: 'send_invoice', days_until_due: 30 }, [item('pro', 2_000, 'month', { quantity: 3, nickname: 'Pro seats' })]));
    expect(fields).toMatchObject({
      Status__c: 'Active',
      Current_Period_Start__c: new Date(SAMPLE_CREATED * 1000).toISOString(),
      Current_Period_End__c: new Date((SAMPLE_CREATED + 30 * DAY) * 1000).toISOString(),
      Plan__c: 'Pro seats: 3 × 20.00 USD / month',
      Stripe_Price_Id__c: 'price_test_pro',
      Stripe_Product_Id__c: 'prod_test_pro',
      Quantity__c: 3,
      Currency_Code__c: 'USD',
      Collection_Method__c: 'send_invoice',
      MRR__c: 60,
      Cancel_At_Period_End__c: false,
      Cancel_At__c: null,
      Trial_End__c: null,
    });
  });

  it('an item with only the legacy plan (no price) still gives plan and MRR', () => {
    const legacy = item('old', 12_000, 'year');
    delete legacy['price'];
    const fields = fieldsOf(subscriptionJson('customer.subscription.updated', '2022-08-01', {}, [legacy]));
    expect(fields).toMatchObject({ Stripe_Price_Id__c: 'price_test_old', MRR__c: 10, Plan__c: 'prod_test_old: 120.00 USD / year' });
  });
});

describe('documented situations', () => {
  it('several items, one metered (https://docs.stripe.com/billing/subscriptions/multiple-products): metered is excluded from MRR and quantity', () => {
    const fields = fieldsOf(
      subscriptionJson('customer.subscription.created', STRIPE_API_VERSION, {}, [
        item('base', 120_000, 'year', { nickname: 'Platform' }),
        item('seats', 1_500, 'month', { quantity: 10, nickname: 'Seats' }),
        item('api', 1, 'month', { metered: true, nickname: 'API calls' }),
      ]),
    );
    expect(fields).toMatchObject({
      MRR__c: 100 + 150,
      Quantity__c: 11,
      Plan__c: 'Platform: 1200.00 USD / year; Seats: 10 × 15.00 USD / month; API calls: metered / month',
      Stripe_Price_Id__c: 'price_test_base',
    });
  });

  it('a trial (https://docs.stripe.com/billing/subscriptions/trials): trial end shown, MRR 0 until it converts', () => {
    const trialEnd = SAMPLE_CREATED + 14 * DAY;
    const fields = fieldsOf(subscriptionJson('customer.subscription.created', STRIPE_API_VERSION, { status: 'trialing', trial_start: SAMPLE_CREATED, trial_end: trialEnd }));
    expect(fields).toMatchObject({ Status__c: 'Trialing', Trial_End__c: new Date(trialEnd * 1000).toISOString(), MRR__c: 0 });
  });

  it('paused collection (https://docs.stripe.com/billing/subscriptions/pause-payment): behaviour and resume date shown, MRR 0; resuming clears them', () => {
    const resumes = SAMPLE_CREATED + 60 * DAY;
    const paused = fieldsOf(subscriptionJson('customer.subscription.updated', STRIPE_API_VERSION, { pause_collection: { behavior: 'void', resumes_at: resumes } }));
    expect(paused).toMatchObject({ Status__c: 'Active', Pause_Behavior__c: 'void', Pause_Resumes_At__c: new Date(resumes * 1000).toISOString(), MRR__c: 0 });
    const resumed = fieldsOf(subscriptionJson('customer.subscription.updated', STRIPE_API_VERSION, { pause_collection: null }));
    expect(resumed).toMatchObject({ Pause_Behavior__c: null, Pause_Resumes_At__c: null, MRR__c: 49.99 });
  });

  it('a paused subscription (status paused: trial ended without a payment method) shows Paused with MRR 0', () => {
    expect(fieldsOf(subscriptionJson('customer.subscription.updated', STRIPE_API_VERSION, { status: 'paused' }))).toMatchObject({ Status__c: 'Paused', MRR__c: 0 });
  });

  it('cancel at period end (https://docs.stripe.com/billing/subscriptions/cancel): still Active and earning, with the end date', () => {
    const end = SAMPLE_CREATED + 30 * DAY;
    const fields = fieldsOf(subscriptionJson('customer.subscription.updated', STRIPE_API_VERSION, { cancel_at_period_end: true, cancel_at: end, canceled_at: SAMPLE_CREATED }));
    expect(fields).toMatchObject({ Status__c: 'Active', Cancel_At_Period_End__c: true, Cancel_At__c: new Date(end * 1000).toISOString(), MRR__c: 49.99 });
  });

  it('deleted: Canceled, ended, MRR 0', () => {
    const fields = fieldsOf(subscriptionJson('customer.subscription.deleted', STRIPE_API_VERSION));
    expect(fields).toMatchObject({ Status__c: 'Canceled', Ended_At__c: new Date(SAMPLE_CREATED * 1000).toISOString(), MRR__c: 0 });
  });

  it('upgrade with proration (https://docs.stripe.com/billing/subscriptions/upgrade-downgrade): the new price and quantity, whatever previous_attributes says', () => {
    const json = subscriptionJson('customer.subscription.updated', STRIPE_API_VERSION, {}, [item('premium', 5_000, 'month', { quantity: 2 })]);
    json['data'].previous_attributes = { items: { data: [item('basic', 2_000, 'month', { quantity: 2 })] } };
    expect(fieldsOf(json)).toMatchObject({ Stripe_Price_Id__c: 'price_test_premium', Quantity__c: 2, MRR__c: 100 });
  });

  it('a schedule manages it: the schedule id is shown', () => {
    expect(fieldsOf(subscriptionJson('customer.subscription.updated', STRIPE_API_VERSION, { schedule: 'sub_sched_test_1' }))).toMatchObject({ Stripe_Schedule_Id__c: 'sub_sched_test_1' });
  });
});

describe('discounts as each version renders them', () => {
  const coupon = { id: 'HALF', object: 'coupon', percent_off: 50, amount_off: null, duration: 'forever' };

  it('2023-10-16: the single `discount` with its coupon expanded halves MRR', () => {
    const json = subscriptionJson('customer.subscription.updated', '2023-10-16');
    json['data'].object.discount = { id: 'di_test_1', object: 'discount', coupon };
    expect(fieldsOf(json)).toMatchObject({ MRR__c: 25 });
  });

  it('clover and later: an expanded discount carries its coupon under source.coupon', () => {
    const json = subscriptionJson('customer.subscription.updated', STRIPE_API_VERSION, { discounts: [{ id: 'di_test_1', object: 'discount', source: { type: 'coupon', coupon } }] });
    expect(fieldsOf(json)).toMatchObject({ MRR__c: 25 });
  });

  it('discount ids alone name no terms: MRR before discounts (documented limit)', () => {
    expect(fieldsOf(subscriptionJson('customer.subscription.updated', STRIPE_API_VERSION, { discounts: ['di_test_1'] }))).toMatchObject({ MRR__c: 49.99 });
  });
});

describe('partial payloads cost a detail, never the event', () => {
  it('items with has_more (only the first ones listed): plan, quantity and MRR are left as they were', () => {
    const json = subscriptionJson('customer.subscription.updated', STRIPE_API_VERSION);
    json['data'].object.items.has_more = true;
    const fields = fieldsOf(json);
    expect(fields).not.toHaveProperty('MRR__c');
    expect(fields).not.toHaveProperty('Plan__c');
    expect(fields).not.toHaveProperty('Quantity__c');
    expect(fields).toMatchObject({ Status__c: 'Active', Stripe_Price_Id__c: 'price_test_sample0001' });
  });

  it('a price of an unexpected shape is dropped, the subscription still written', () => {
    const json = subscriptionJson('customer.subscription.updated', STRIPE_API_VERSION);
    json['data'].object.items.data[0].price = { weird: true };
    json['data'].object.items.data[0].plan = 42;
    expect(fieldsOf(json)).toMatchObject({ Status__c: 'Active', MRR__c: 0 });
  });

  it('JPY and KWD subscriptions write MRR in their own minor units', () => {
    const jpy = subscriptionJson('customer.subscription.created', STRIPE_API_VERSION, {}, [item('jp', 10_000, 'year')], { currency: 'jpy' });
    expect(fieldsOf(jpy)).toMatchObject({ Currency_Code__c: 'JPY', MRR__c: 833 });
    const kwd = subscriptionJson('customer.subscription.created', STRIPE_API_VERSION, {}, [item('kw', 1_500, 'week')], { currency: 'kwd' });
    expect(fieldsOf(kwd)).toMatchObject({ Currency_Code__c: 'KWD', MRR__c: 6.5 });
  });
});
