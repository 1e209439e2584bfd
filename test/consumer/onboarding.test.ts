/**
 * Onboarding through the real paths (dynalite, jsforce over HTTP to the Salesforce stand-in with the
 * package's permission set, Account roll-ups on): an Account's first successful payment gives its
 * owner one onboarding Task, related to the Account; later payments, replays and two consumers
 * holding first payments of the same customer at once add none; ONBOARDING_TASKS=off adds none;
 * made-up backfill events add none.
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/local/sample-events.js';
import { inboundRecord, startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';

let h: ConsumerHarness;
let seq = 0;
const next = () => (seq += 1);
const OWNER = '005Ab00000000ONBAA';

beforeAll(async () => {
  h = await startConsumerHarness();
  h.salesforce.insert('User', { Id: OWNER, Name: 'Account Owner' });
});
afterAll(async () => h.close());

function account(): { accountId: string; customerId: string } {
  const customerId = `cus_test_onboarding${next()}`;
  const accountId = h.salesforce.insert('Account', { Name: `Onboarding ${customerId}`, OwnerId: OWNER, Stripe_Customer_Id__c: customerId });
  return { accountId, customerId };
}

const onboardingTasks = (customerId: string) => h.salesforce.records('Task').filter((t) => t['Stripe_Task_Key__c'] === `onboarding:${customerId}`);

const payment = (customerId: string, id = `evt_test_onboarding${next()}`): Stripe.Event =>
  sampleEvent('payment_intent.succeeded', { id, customer: customerId, objectId: `pi_test_onboarding${next()}`, metadata: {}, amount: 12_500 });

async function deliver(app: ConsumerHarness['app'], events: readonly Stripe.Event[]): Promise<void> {
  const summary = await app.handle(events.map((e) => inboundRecord(e)));
  expect(summary.response.batchItemFailures).toEqual([]);
}

describe('the first successful payment of an Account', () => {
  it('gives the Account owner one onboarding Task, related to the Account', async () => {
    const { accountId, customerId } = account();
    await deliver(h.app, [payment(customerId)]);
    const tasks = onboardingTasks(customerId);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      Subject: 'Onboard new customer: first Stripe payment received',
      OwnerId: OWNER,
      WhatId: accountId,
      Stripe_Customer_Id__c: customerId,
      IsClosed: false,
    });
    expect(String(tasks[0]?.['Description'])).toContain('125 USD');
  });

  it('adds none for later payments, a replayed first payment, or after a cold start', async () => {
    const { customerId } = account();
    const first = payment(customerId);
    await deliver(h.app, [first]);
    await deliver(h.app, [payment(customerId), payment(customerId)]);
    await h.app.handle([inboundRecord(first, { receiveCount: 2 })]);
    await deliver(h.coldStart(), [payment(customerId)]);
    expect(onboardingTasks(customerId)).toHaveLength(1);
  });

  it('adds one when two consumers hold first payments of the same customer at once', async () => {
    const { customerId } = account();
    const apps = [h.app, h.coldStart()];
    await Promise.all(apps.map((app) => deliver(app, [payment(customerId)])));
    expect(onboardingTasks(customerId)).toHaveLength(1);
  });

  it('adds none for a failed payment or a made-up backfill event', async () => {
    const { customerId } = account();
    await deliver(h.app, [sampleEvent('payment_intent.payment_failed', { id: `evt_test_onboarding${next()}`, customer: customerId, metadata: {} })]);
    await deliver(h.app, [payment(customerId, `evt_backfill_onboarding${next()}`)]);
    expect(onboardingTasks(customerId)).toHaveLength(0);
  });
});

describe('ONBOARDING_TASKS=off', () => {
  it('adds no onboarding Task', async () => {
    const off = await startConsumerHarness({ env: { ONBOARDING_TASKS: 'off' } });
    try {
      const customerId = `cus_test_onboardingoff${next()}`;
      off.salesforce.insert('Account', { Name: 'Off', Stripe_Customer_Id__c: customerId });
      const summary = await off.app.handle([inboundRecord(payment(customerId))]);
      expect([...summary.outcomes.values()]).toEqual(['applied']);
      expect(off.salesforce.records('Task')).toHaveLength(0);
    } finally {
      await off.close();
    }
  });
});
