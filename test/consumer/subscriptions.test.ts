/**
 * Subscription events through the consumer and the Salesforce stand-in (jsforce over HTTP, the
 * integration user's field-level security): a plan change emits several events at once
 * (https://docs.stripe.com/billing/subscriptions/webhooks: customer.subscription.updated on every
 * change), delivered in any order, batched or not, and replayed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/local/sample-events.js';
import { inboundRecord, startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';

let h: ConsumerHarness;
let seq = 0;
const id = (prefix: string) => `${prefix}_test_subs${(seq += 1)}`;
const T = 1_767_225_600;

beforeAll(async () => {
  h = await startConsumerHarness();
});
afterAll(async () => h.close());

const subscription = (stripeId: string) => h.salesforce.records('Stripe_Subscription__c').find((r) => r['Stripe_Id__c'] === stripeId);

/** customer.subscription.updated for `subscriptionId` at `created`, one item of `unit` × `quantity` a month. */
function change(subscriptionId: string, created: number, unit: number, quantity: number) {
  const event = sampleEvent('customer.subscription.updated', {
    id: id('evt'),
    created,
    objectId: subscriptionId,
    amount: unit,
    objectOverrides: { cancel_at_period_end: false, canceled_at: null },
  });
  const object = event.data.object as unknown as { items: { data: { quantity: number; price: { id: string } }[] } };
  const first = object.items.data[0];
  if (first === undefined) throw new Error('sample subscription without an item');
  first.quantity = quantity;
  first.price.id = `price_test_${unit}`;
  return event;
}

describe('a plan change burst', () => {
  const permutations = [
    ['in order, one by one', [0, 1, 2], false],
    ['newest first, one by one', [2, 1, 0], false],
    ['shuffled, one batch', [1, 2, 0], true],
  ] as const;

  it.each(permutations)('%s: the newest state wins (MRR, price, quantity)', async (_name, order, batched) => {
    const sub = id('sub');
    const events = [change(sub, T, 2_000, 1), change(sub, T + 1, 5_000, 1), change(sub, T + 2, 5_000, 3)];
    const sequence = order.map((i) => events[i]!);
    if (batched) await h.app.handle(sequence.map((e) => inboundRecord(e)));
    else for (const event of sequence) await h.app.handle([inboundRecord(event)]);

    expect(subscription(sub)).toMatchObject({ MRR__c: 150, Quantity__c: 3, Stripe_Price_Id__c: 'price_test_5000', Currency_Code__c: 'USD', Status__c: 'Active' });
  });

  it('a replay of every event changes nothing', async () => {
    const sub = id('sub');
    const events = [change(sub, T, 2_000, 1), change(sub, T + 5, 3_000, 2)];
    for (const event of events) await h.app.handle([inboundRecord(event)]);
    const before = { ...subscription(sub) };
    const calls = h.salesforce.apiCalls;

    const replay = await h.app.handle(events.map((e) => inboundRecord(e)));

    expect([...replay.outcomes.values()]).toEqual(['duplicate', 'duplicate']);
    expect(h.salesforce.apiCalls).toBe(calls);
    expect(subscription(sub)).toEqual(before);
  });

  it('a late update never brings a deleted subscription back', async () => {
    const sub = id('sub');
    const deleted = sampleEvent('customer.subscription.deleted', { id: id('evt'), created: T, objectId: sub });
    await h.app.handle([inboundRecord(deleted)]);
    await h.app.handle([inboundRecord(change(sub, T + 60, 9_000, 1))]);
    expect(subscription(sub)).toMatchObject({ Status__c: 'Canceled', MRR__c: 0 });
  });
});

describe('MRR changes (Stripe_Subscription_Change__c)', () => {
  const changes = (stripeId: string) => h.salesforce.records('Stripe_Subscription_Change__c').filter((r) => r['Stripe_Subscription_Id__c'] === stripeId);
  const sumOfDeltas = (stripeId: string) => Math.round(changes(stripeId).reduce((total, r) => total + Number(r['MRR_Delta__c']), 0) * 100) / 100;

  /** Linked through its customer, whose Account the harness has (the sample metadata names records it does not). */
  function byCustomer<E extends { data: { object: unknown } }>(event: E): E {
    (event.data.object as { metadata: Record<string, string> }).metadata = {};
    return event;
  }

  /** `change()` with the item's quantity and price before the event in `previous_attributes` (Stripe renders a changed list whole). */
  function moved(subscriptionId: string, created: number, before: { unit: number; quantity: number }, after: { unit: number; quantity: number }) {
    const previous = change(subscriptionId, created, before.unit, before.quantity);
    const event = byCustomer(change(subscriptionId, created, after.unit, after.quantity));
    (event.data as { previous_attributes?: unknown }).previous_attributes = { items: { data: (previous.data.object as { items: { data: unknown[] } }).items.data } };
    return event;
  }

  it('created, upgraded, downgraded, canceled: one record each, linked, and the deltas sum to the MRR', async () => {
    const sub = id('sub');
    const created = byCustomer(sampleEvent('customer.subscription.created', { id: id('evt'), created: T, objectId: sub, amount: 2_000, objectOverrides: { cancel_at_period_end: false, canceled_at: null } }));
    const up = moved(sub, T + 10, { unit: 2_000, quantity: 1 }, { unit: 2_000, quantity: 3 });
    const down = moved(sub, T + 20, { unit: 2_000, quantity: 3 }, { unit: 2_000, quantity: 2 });
    for (const event of [created, up, down]) await h.app.handle([inboundRecord(event)]);

    expect(changes(sub).map((r) => [r['Type__c'], r['MRR_Delta__c']])).toEqual([
      ['New Business', 20],
      ['Expansion', 40],
      ['Contraction', -20],
    ]);
    expect(sumOfDeltas(sub)).toBe(subscription(sub)?.['MRR__c']);
    const parent = subscription(sub)?.['Id'];
    expect(changes(sub).every((r) => r['Stripe_Subscription__c'] === parent && typeof r['Account__c'] === 'string')).toBe(true);

    // Canceled at its 2 seats: the deleted event carries the items as they were.
    const deleted = byCustomer(sampleEvent('customer.subscription.deleted', { id: id('evt'), created: T + 30, objectId: sub, amount: 2_000 }));
    (deleted.data.object as { items: { data: { quantity: number }[] } }).items.data[0]!.quantity = 2;
    await h.app.handle([inboundRecord(deleted)]);
    expect(changes(sub).at(-1)).toMatchObject({ Type__c: 'Churn', MRR_Before__c: 40, MRR_After__c: 0, MRR_Delta__c: -40 });
    expect(sumOfDeltas(sub)).toBe(0);
  });

  it('an older event arriving after a newer one: the subscription keeps the newer state, the older change is still recorded, once', async () => {
    const sub = id('sub');
    const up = moved(sub, T + 10, { unit: 2_000, quantity: 1 }, { unit: 2_000, quantity: 3 });
    const down = moved(sub, T + 20, { unit: 2_000, quantity: 3 }, { unit: 2_000, quantity: 2 });
    await h.app.handle([inboundRecord(down)]);
    const late = await h.app.handle([inboundRecord(up), inboundRecord(up)]);

    expect([...late.outcomes.values()]).toEqual(['applied', 'duplicate']);
    expect(subscription(sub)).toMatchObject({ Quantity__c: 2, MRR__c: 40 });
    expect(changes(sub).map((r) => [r['Stripe_Event_Id__c'], r['Type__c'], r['MRR_Delta__c']])).toEqual([
      [down.id, 'Contraction', -20],
      [up.id, 'Expansion', 40],
    ]);

    const replay = await h.app.handle([inboundRecord(up), inboundRecord(down)]);
    expect([...replay.outcomes.values()]).toEqual(['duplicate', 'duplicate']);
    expect(changes(sub)).toHaveLength(2);
  });

  it('a batch of ten subscription changes is one Composite request (subscriptions and their changes together)', async () => {
    // Roll-ups off: their reads and updates are their own requests (README, Performance).
    const quiet = await startConsumerHarness({ env: { ACCOUNT_ROLLUPS: 'off' } });
    try {
      const events = Array.from({ length: 10 }, (_, i) => moved(id('sub'), T + i, { unit: 2_000, quantity: 1 }, { unit: 2_000, quantity: 2 }));
      await quiet.app.session.connection();
      const calls = quiet.salesforce.apiCalls;
      const result = await quiet.app.handle(events.map((e) => inboundRecord(e)));
      expect([...result.outcomes.values()].every((o) => o === 'applied')).toBe(true);
      expect(quiet.salesforce.records('Stripe_Subscription_Change__c')).toHaveLength(10);
      expect(quiet.salesforce.apiCalls - calls).toBe(1);
    } finally {
      await quiet.close();
    }
  });
});
