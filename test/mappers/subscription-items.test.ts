/**
 * Stripe_Subscription_Item__c from customer.subscription.* (what each item sells, removed items,
 * ended subscriptions) and the usage of metered items from invoice.paid / invoice.finalized.
 *
 * Payloads follow Stripe's own: the subscription item of openapi fixtures3.json `subscription`
 * (`si_QXhVnC2h0Jczwc`, price `price_1PgafmB7WZ01zgkW6dKueIc5` on `prod_QXg1hqf4jFNsqG`, monthly,
 * licensed, quantity 1, usd), the Subscription object (https://docs.stripe.com/api/subscriptions/object:
 * items carry `current_period_start`/`_end` since 2025-03-31.basil, the subscription before it),
 * and the invoice line item (https://docs.stripe.com/api/invoice-line-item/object: before basil
 * `subscription_item`, `price`; since basil `parent.subscription_item_details.subscription_item`,
 * `pricing.price_details.price`, `period` {start, end}).
 */
import { describe, expect, it } from 'vitest';
import { isSettled } from '../../src/contracts/precedence.js';
import { mapJson, mapped } from './helpers.js';

const CREATED = 1_790_000_000;
const MONTH = 30 * 86_400;

function price(id: string, product: string, unit: number, usage: 'licensed' | 'metered' = 'licensed') {
  return { id, object: 'price', active: true, currency: 'usd', nickname: null, product, recurring: { interval: 'month', interval_count: 1, meter: usage === 'metered' ? 'mtr_test_61Q8nQMqIFK9fRQmr41CMAXJrFdZ5MnA' : null, usage_type: usage, trial_period_days: null }, type: 'recurring', unit_amount: unit, unit_amount_decimal: String(unit) };
}

/** fixtures3.json's item, and a second one: a metered product synced from a Product2. */
const FIXTURE_ITEM = { id: 'si_QXhVnC2h0Jczwc', object: 'subscription_item', created: 1721954054, discounts: [], metadata: {}, price: price('price_1PgafmB7WZ01zgkW6dKueIc5', 'prod_QXg1hqf4jFNsqG', 1500), quantity: 1, subscription: 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw' };
const METERED_ITEM = { id: 'si_QXhVmeteredCalls', object: 'subscription_item', created: 1721954054, discounts: [], metadata: {}, price: price('price_test_calls', 'sfprod_01t5g000000AbCdAAK', 5, 'metered'), subscription: 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw' };

function subscriptionEvent(type: string, items: object[], options: { basil?: boolean; previous?: object; status?: string; created?: number } = {}) {
  const basil = options.basil ?? true;
  const period = { current_period_start: CREATED, current_period_end: CREATED + MONTH };
  return {
    id: `evt_test_items_${type}_${options.created ?? CREATED}`,
    object: 'event',
    api_version: basil ? '2025-03-31.basil' : '2024-06-20',
    created: options.created ?? CREATED,
    livemode: false,
    type,
    data: {
      object: {
        id: 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw',
        object: 'subscription',
        collection_method: 'charge_automatically',
        currency: 'usd',
        customer: 'cus_QXg1o8vcGmoR32',
        ...(basil ? {} : period),
        items: { object: 'list', data: items.map((i) => ({ ...i, ...(basil ? period : {}) })), has_more: false },
        metadata: {},
        status: options.status ?? 'active',
        start_date: CREATED,
      },
      ...(options.previous === undefined ? {} : { previous_attributes: options.previous }),
    },
  };
}

const itemsOf = (json: unknown) => mapped(mapJson(json)).mutations.filter((m) => m.sobject === 'Stripe_Subscription_Item__c');

describe('subscription items from customer.subscription.*', () => {
  it.each([
    ['2025-03-31.basil (periods on the items)', true],
    ['2024-06-20 (the period on the subscription)', false],
  ])('a subscription with several items → one record each, under the subscription, at %s', (_label, basil) => {
    const items = itemsOf(subscriptionEvent('customer.subscription.created', [FIXTURE_ITEM, METERED_ITEM], { basil }));

    expect(items.map((m) => m.key)).toEqual([
      { field: 'Stripe_Id__c', value: 'si_QXhVnC2h0Jczwc' },
      { field: 'Stripe_Id__c', value: 'si_QXhVmeteredCalls' },
    ]);
    expect(items[0]!.fields).toMatchObject({
      Name: 'si_QXhVnC2h0Jczwc',
      Status__c: 'Active',
      Subscription__r: { Stripe_Id__c: 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw' },
      Stripe_Price_Id__c: 'price_1PgafmB7WZ01zgkW6dKueIc5',
      Stripe_Product_Id__c: 'prod_QXg1hqf4jFNsqG',
      Quantity__c: 1,
      Unit_Amount__c: 15,
      Currency_Code__c: 'USD',
      Interval__c: 'month',
      Interval_Count__c: 1,
      Usage_Type__c: 'licensed',
      Current_Period_Start__c: new Date(CREATED * 1000).toISOString(),
      Current_Period_End__c: new Date((CREATED + MONTH) * 1000).toISOString(),
      Removed_At__c: null,
    });
    // A product not synced from Salesforce names no Product2.
    expect(items[0]!.fields).not.toHaveProperty('Product__c');
    // The metered item: no quantity, its Product2 from the sfprod_ id, dropped if that Product2 is gone.
    expect(items[1]!.fields).toMatchObject({ Usage_Type__c: 'metered', Quantity__c: null, Product__c: '01t5g000000AbCdAAK', Unit_Amount__c: 0.05 });
    expect(items[1]!.optionalReferences).toEqual(['Product__c']);
    // Written with the event's precedence key, like the subscription.
    expect(items.every((m) => typeof m.version === 'number')).toBe(true);
  });

  it('an item removed in Stripe (in previous_attributes, gone from the items) is marked Removed, a settled state', () => {
    const event = subscriptionEvent('customer.subscription.updated', [FIXTURE_ITEM], { previous: { items: { object: 'list', data: [FIXTURE_ITEM, METERED_ITEM], has_more: false } } });
    const items = itemsOf(event);

    const removed = items.find((m) => m.key.value === 'si_QXhVmeteredCalls');
    expect(removed?.fields).toMatchObject({ Status__c: 'Removed', Removed_At__c: new Date(CREATED * 1000).toISOString(), Subscription__r: { Stripe_Id__c: 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw' } });
    expect(items.find((m) => m.key.value === 'si_QXhVnC2h0Jczwc')?.fields.Status__c).toBe('Active');
    expect(isSettled('Stripe_Subscription_Item__c', 'Removed')).toBe(true);
    // Settled outranks any later Active: a late or replayed older event cannot bring it back.
    const older = itemsOf(subscriptionEvent('customer.subscription.updated', [FIXTURE_ITEM, METERED_ITEM], { created: CREATED + 60 })).find((m) => m.key.value === 'si_QXhVmeteredCalls');
    expect(removed!.version!).toBeGreaterThan(older!.version!);
  });

  it('every item of a deleted subscription is Ended', () => {
    const items = itemsOf(subscriptionEvent('customer.subscription.deleted', [FIXTURE_ITEM, METERED_ITEM], { status: 'canceled' }));
    expect(items.map((m) => m.fields.Status__c)).toEqual(['Ended', 'Ended']);
  });

  it('a list cut short (has_more) infers no removal', () => {
    const event = subscriptionEvent('customer.subscription.updated', [FIXTURE_ITEM], { previous: { items: { data: [FIXTURE_ITEM, METERED_ITEM] } } });
    (event.data.object.items as { has_more: boolean }).has_more = true;
    expect(itemsOf(event).map((m) => m.key.value)).toEqual(['si_QXhVnC2h0Jczwc']);
  });
});

describe('metered usage from the invoice of a closed period', () => {
  function invoiceEvent(type: string, lines: object[], basil: boolean) {
    return {
      id: `evt_test_usage_${type}_${basil ? 'b' : 'l'}`,
      object: 'event',
      api_version: basil ? '2025-03-31.basil' : '2024-06-20',
      created: CREATED + MONTH + 3600,
      livemode: false,
      type,
      data: {
        object: {
          id: 'in_1PgcUsageInvoice',
          object: 'invoice',
          amount_due: 12_500 + 1500,
          amount_paid: type === 'invoice.paid' ? 14_000 : 0,
          amount_remaining: type === 'invoice.paid' ? 0 : 14_000,
          total: 14_000,
          currency: 'usd',
          customer: 'cus_QXg1o8vcGmoR32',
          billing_reason: 'subscription_cycle',
          period_start: CREATED,
          period_end: CREATED + MONTH,
          status: type === 'invoice.paid' ? 'paid' : 'open',
          ...(basil
            ? { parent: { type: 'subscription_details', subscription_details: { subscription: 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw', metadata: {} } } }
            : { subscription: 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw' }),
          lines: { object: 'list', data: lines, has_more: false },
        },
      },
    };
  }
  const closed = { start: CREATED, end: CREATED + MONTH };
  const next = { start: CREATED + MONTH, end: CREATED + 2 * MONTH };

  it('before basil: the line of the metered item (its price says metered) → Usage_Quantity__c', () => {
    const lines = [
      { id: 'il_1', object: 'line_item', amount: 12_500, quantity: 2500, period: closed, subscription_item: 'si_QXhVmeteredCalls', price: price('price_test_calls', 'sfprod_01t5g000000AbCdAAK', 5, 'metered'), description: 'Usage' },
      { id: 'il_2', object: 'line_item', amount: 1500, quantity: 1, period: next, subscription_item: 'si_QXhVnC2h0Jczwc', price: FIXTURE_ITEM.price, description: '1 × seat' },
    ];
    const items = itemsOf(invoiceEvent('invoice.paid', lines, false));
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      key: { field: 'Stripe_Id__c', value: 'si_QXhVmeteredCalls' },
      fields: {
        Usage_Quantity__c: 2500,
        Usage_Period_Start__c: new Date(closed.start * 1000).toISOString(),
        Usage_Period_End__c: new Date(closed.end * 1000).toISOString(),
        Usage_Invoice_Id__c: 'in_1PgcUsageInvoice',
        Subscription__r: { Stripe_Id__c: 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw' },
      },
      optionalReferences: ['Subscription__r'],
    });
    // Usage is a fact about a closed period: no status, no precedence key.
    expect(items[0]!.version).toBeUndefined();
    expect(items[0]!.fields).not.toHaveProperty('Status__c');
  });

  it('since basil: the line billing the invoice\'s closed period (in arrears) is the usage; the licensed line of the next period is not', () => {
    const lines = [
      { id: 'il_1', object: 'line_item', amount: 12_500, quantity: 2500, period: closed, parent: { type: 'subscription_item_details', subscription_item_details: { subscription_item: 'si_QXhVmeteredCalls', subscription: 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw' } }, pricing: { type: 'price_details', price_details: { price: 'price_test_calls', product: 'sfprod_01t5g000000AbCdAAK' } } },
      { id: 'il_2', object: 'line_item', amount: 1500, quantity: 1, period: next, parent: { type: 'subscription_item_details', subscription_item_details: { subscription_item: 'si_QXhVnC2h0Jczwc', subscription: 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw' } }, pricing: { type: 'price_details', price_details: { price: 'price_1PgafmB7WZ01zgkW6dKueIc5', product: 'prod_QXg1hqf4jFNsqG' } } },
    ];
    const items = itemsOf(invoiceEvent('invoice.finalized', lines, true));
    expect(items.map((m) => [m.key.value, m.fields.Usage_Quantity__c])).toEqual([['si_QXhVmeteredCalls', 2500]]);
  });

  it('an invoice.payment_failed writes no usage (the finalized event did)', () => {
    const lines = [{ id: 'il_1', object: 'line_item', amount: 12_500, quantity: 2500, period: closed, subscription_item: 'si_QXhVmeteredCalls', price: price('price_test_calls', 'sfprod_01t5g000000AbCdAAK', 5, 'metered') }];
    expect(itemsOf(invoiceEvent('invoice.payment_failed', lines, false))).toEqual([]);
  });
});
