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
