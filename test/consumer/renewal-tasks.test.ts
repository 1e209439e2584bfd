/**
 * Renewal Tasks through the consumer, the dedup table (dynalite) and the Salesforce stand-in
 * (jsforce over HTTP, the integration user's permission set: Edit Tasks and the Task fields'
 * field-level security): one Task per subscription period for the Account owner, whatever the
 * replays, re-sent previews and concurrent batches. Events: the local samples of invoice.upcoming
 * (a preview without an id, 7 days ahead) and customer.subscription.trial_will_end (3 days ahead).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/local/sample-events.js';
import { inboundRecord, startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';

let h: ConsumerHarness;
let seq = 0;
const T = 1_767_225_600; // 2026-01-01T00:00:00Z
const DAY = 86_400;
const OWNER = '005000000000077AAA';

beforeAll(async () => {
  h = await startConsumerHarness();
  h.salesforce.insert('User', { Id: OWNER, Name: 'Renewal Owner' });
});
afterAll(async () => h.close());

/** A customer with an Account owned by OWNER. */
function customer(): { readonly customerId: string; readonly accountId: string } {
  const customerId = `cus_test_renew${(seq += 1)}`;
  return { customerId, accountId: h.salesforce.insert('Account', { Name: `Renewing ${seq}`, Stripe_Customer_Id__c: customerId, OwnerId: OWNER }) };
}

const tasksOf = (accountId: string) => h.salesforce.records('Task').filter((t) => t['WhatId'] === accountId);

/** The preview of the renewal at `periodEnd` (default: 7 days after T), announced at `created`. */
function upcoming(customerId: string, subscription: string, created = T, amount = 120_000, periodEnd = T + 7 * DAY) {
  return sampleEvent('invoice.upcoming', {
    id: `evt_test_upcoming${(seq += 1)}`,
    created,
    customer: customerId,
    subscription,
    metadata: {},
    amount,
    currency: 'eur',
    objectOverrides: { period_end: periodEnd },
  });
}

describe('invoice.upcoming', () => {
  it('creates one Task for the Account owner: "Renewal in 7 days: 1,200.00 EUR", due on the renewal day', async () => {
    const { customerId, accountId } = customer();
    const result = await h.app.handle([inboundRecord(upcoming(customerId, 'sub_test_renew_a'))]);
    expect([...result.outcomes.values()]).toEqual(['applied']);
    expect(tasksOf(accountId)).toEqual([
      expect.objectContaining({
        Subject: 'Renewal in 7 days: 1,200.00 EUR',
        ActivityDate: '2026-01-08',
        OwnerId: OWNER,
        Status: 'Not Started',
        Priority: 'Normal',
        Stripe_Task_Key__c: `renewal:sub_test_renew_a:${T + 7 * DAY}`,
        Description: expect.stringContaining('sub_test_renew_a renews on 2026-01-08'),
      }),
    ]);
  });

  it('once per period: a replay is a duplicate, a re-sent preview of the same period adds nothing, the next period adds one', async () => {
    const { customerId, accountId } = customer();
    const first = upcoming(customerId, 'sub_test_renew_b');
    await h.app.handle([inboundRecord(first)]);
    const replay = await h.app.handle([inboundRecord(first)]);
    expect([...replay.outcomes.values()]).toEqual(['duplicate']);

    // A plan change re-sends the preview of the same renewal, now 6 days out.
    const resent = await h.app.handle([inboundRecord(upcoming(customerId, 'sub_test_renew_b', T + DAY, 150_000))]);
    expect([...resent.outcomes.values()]).toEqual(['skipped']);
    expect(tasksOf(accountId)).toHaveLength(1);

    // A month later: the next renewal (period end 30 days on), a Task of its own.
    await h.app.handle([inboundRecord(upcoming(customerId, 'sub_test_renew_b', T + 30 * DAY, 120_000, T + 37 * DAY))]);
    expect(tasksOf(accountId).map((t) => t['ActivityDate']).sort()).toEqual(['2026-01-08', '2026-02-07']);
  });

  it('two batches at once with two announcements of one period: exactly one Task; the other event is retried or skipped, never a second Task', async () => {
    const { customerId, accountId } = customer();
    const a = upcoming(customerId, 'sub_test_renew_c');
    const b = upcoming(customerId, 'sub_test_renew_c', T + 60);
    const results = await Promise.all([h.app.handle([inboundRecord(a)]), h.app.handle([inboundRecord(b)])]);
    const outcomes = results.flatMap((r) => [...r.outcomes.values()]).sort();
    expect(outcomes[0]).toBe('applied');
    expect(['retry', 'skipped']).toContain(outcomes[1]);
    expect(tasksOf(accountId)).toHaveLength(1);

    // The retried one comes back once the first committed: nothing more to do.
    h.nowMs += 120_000;
    const retried = [...(results[0]?.outcomes.values() ?? [])][0] === 'applied' ? b : a;
    const again = await h.app.handle([inboundRecord(retried)]);
    expect(['skipped', 'duplicate']).toContain([...again.outcomes.values()][0]);
    expect(tasksOf(accountId)).toHaveLength(1);
  });

  it('a batch of ten renewals of a customer this environment has not read yet costs two Salesforce calls: the owners query and the Composite write', async () => {
    const { customerId, accountId } = customer();
    const events = Array.from({ length: 10 }, (_, i) => upcoming(customerId, `sub_test_renew_batch${i}`));
    const calls = h.salesforce.apiCalls;
    const result = await h.app.handle(events.map((e) => inboundRecord(e)));
    expect([...result.outcomes.values()].every((o) => o === 'applied')).toBe(true);
    expect(tasksOf(accountId)).toHaveLength(10);
    expect(h.salesforce.apiCalls - calls).toBe(2);
    expect(result.salesforceApiCalls).toBe(2);
  });

  it('a customer without an Account gets no Task; the event is skipped with the reason', async () => {
    h.logs.clear();
    const result = await h.app.handle([inboundRecord(upcoming('cus_test_nobody', 'sub_test_renew_d'))]);
    expect([...result.outcomes.values()]).toEqual(['skipped']);
    expect(h.logs.withOutcome('skipped').map((l) => l['note'])).toEqual(['no Account in Salesforce for this customer: no Task']);
    expect(h.salesforce.records('Task').some((t) => String(t['Stripe_Task_Key__c']).includes('sub_test_renew_d'))).toBe(false);
  });
});

/**
 * With roll-ups (the default), once this execution environment has read a customer's Account (any
 * roll-up of a batch touching it), its renewal Tasks need no read of their own: the Task names the
 * Account, and the batch's roll-up reads the Account's OwnerId and assigns the Task in its write.
 */
describe('owner from the roll-up (ACCOUNT_ROLLUPS on)', () => {
  /** A subscription of the customer written: the batch's roll-up reads (and so learns) its Account. */
  async function rolledUp(customerId: string): Promise<void> {
    const event = sampleEvent('customer.subscription.created', { id: `evt_test_sub${(seq += 1)}`, created: T, customer: customerId, objectId: `sub_test_known${seq}`, metadata: {} });
    const result = await h.app.handle([inboundRecord(event)]);
    expect([...result.outcomes.values()]).toEqual(['applied']);
  }

  it('a batch of ten lifecycle events with renewals and a trial end costs two calls (the write carrying the roll-up reads, the roll-up write); every Task goes to the Account owner', async () => {
    const { customerId, accountId } = customer();
    await rolledUp(customerId);
    const trial = (i: number) =>
      sampleEvent('customer.subscription.trial_will_end', { id: `evt_test_trial${(seq += 1)}`, created: T, customer: customerId, objectId: `sub_test_rolled_trial${i}`, metadata: {} });
    const subscription = (i: number) =>
      sampleEvent('customer.subscription.updated', { id: `evt_test_sub${(seq += 1)}`, created: T, customer: customerId, objectId: `sub_test_rolled_sub${i}`, metadata: {} });
    const events = [0, 1, 2, 3].flatMap((i) => [upcoming(customerId, `sub_test_rolled${i}`), subscription(i)]).concat([trial(0), trial(1)]);
    const calls = h.salesforce.apiCalls;
    const requests = h.salesforce.requests.length;
    const result = await h.app.handle(events.map((e) => inboundRecord(e)));
    expect([...result.outcomes.values()]).toEqual(Array(10).fill('applied'));
    expect(h.salesforce.apiCalls - calls).toBe(2);
    // No query of its own: both calls are Composite requests.
    expect(h.salesforce.requests.slice(requests).map((r) => r.path.split('/').pop())).toEqual(['composite', 'composite']);
    const tasks = tasksOf(accountId);
    expect(tasks).toHaveLength(6);
    expect(tasks.every((t) => t['OwnerId'] === OWNER)).toBe(true);
  });

  it('a batch of renewals alone costs two calls too: the write carrying the roll-up reads, then the roll-up write that assigns the owners', async () => {
    const { customerId, accountId } = customer();
    await rolledUp(customerId);
    const calls = h.salesforce.apiCalls;
    const requests = h.salesforce.requests.length;
    const result = await h.app.handle([0, 1, 2].map((i) => inboundRecord(upcoming(customerId, `sub_test_alone${i}`))));
    expect([...result.outcomes.values()]).toEqual(['applied', 'applied', 'applied']);
    expect(h.salesforce.apiCalls - calls).toBe(2);
    expect(h.salesforce.requests.slice(requests).map((r) => r.path.split('/').pop())).toEqual(['composite', 'composite']);
    expect(tasksOf(accountId).map((t) => t['OwnerId'])).toEqual([OWNER, OWNER, OWNER]);
  });

  it('once per period: a replay, a re-sent preview and two concurrent batches with two announcements write one Task', async () => {
    const { customerId, accountId } = customer();
    await rolledUp(customerId);
    const a = upcoming(customerId, 'sub_test_rolled_once');
    const b = upcoming(customerId, 'sub_test_rolled_once', T + 60);
    const results = await Promise.all([h.app.handle([inboundRecord(a)]), h.app.handle([inboundRecord(b)])]);
    const outcomes = results.flatMap((r) => [...r.outcomes.values()]).sort();
    expect(outcomes[0]).toBe('applied');
    expect(['retry', 'skipped']).toContain(outcomes[1]);
    h.nowMs += 120_000;
    expect([...(await h.app.handle([inboundRecord(a)])).outcomes.values()]).toEqual(['duplicate']);
    const resent = await h.app.handle([inboundRecord(upcoming(customerId, 'sub_test_rolled_once', T + DAY, 150_000))]);
    expect([...resent.outcomes.values()]).toEqual(['skipped']);
    expect(tasksOf(accountId)).toEqual([expect.objectContaining({ OwnerId: OWNER, Stripe_Task_Key__c: `renewal:sub_test_rolled_once:${T + 7 * DAY}` })]);
  });

  // Gone for good, Salesforce answers INVALID_CROSS_REFERENCE_KEY on WhatId; in the Recycle Bin,
  // ENTITY_IS_DELETED naming no field ("entity is deleted: []"): the same for the bridge.
  it.each([
    ['purged (INVALID_CROSS_REFERENCE_KEY)', 'purge'],
    ['in the Recycle Bin (ENTITY_IS_DELETED)', 'recycle'],
  ] as const)('an Account deleted since this environment read it, %s: Salesforce refuses the Task, the event is retried (Stripe announces a period once), and the retry reads afresh: no Account, skipped', async (_how, deletion) => {
    const { customerId, accountId } = customer();
    await rolledUp(customerId);
    h.salesforce[deletion]('Account', accountId);
    h.logs.clear();
    const requests = h.salesforce.requests.length;
    const event = upcoming(customerId, 'sub_test_gone');
    const first = await h.app.handle([inboundRecord(event)]);
    // Retried, not acknowledged: acknowledging would lose this period's Task for good.
    expect([...first.outcomes.values()]).toEqual(['retry']);
    expect(first.response.batchItemFailures).toHaveLength(1);
    expect(h.logs.lines.filter((l) => l['level'] === 'warn').map((l) => l['errorCode'])).toContain(deletion === 'purge' ? 'INVALID_CROSS_REFERENCE_KEY' : 'ENTITY_IS_DELETED');
    // Written without a read: the refusal came from the Task write itself.
    expect(h.salesforce.requests.slice(requests).some((r) => r.path.includes('/query'))).toBe(false);
    const taskKey = `renewal:sub_test_gone:${T + 7 * DAY}`;
    expect(h.salesforce.records('Task').some((t) => t['Stripe_Task_Key__c'] === taskKey)).toBe(false);

    // SQS redelivers the same event: the Account is forgotten and the period released, so it is read.
    h.logs.clear();
    const again = await h.app.handle([inboundRecord(event)]);
    expect([...again.outcomes.values()]).toEqual(['skipped']);
    expect(h.logs.withOutcome('skipped').map((l) => l['note'])).toEqual(['no Account in Salesforce for this customer: no Task']);
    expect(h.salesforce.records('Task').some((t) => t['Stripe_Task_Key__c'] === taskKey)).toBe(false);
  });

  it('an Account merged away since this environment read it: the retry finds the surviving Account, which gets the period\'s one Task', async () => {
    const { customerId, accountId } = customer();
    await rolledUp(customerId);
    // A merge: the losing Account goes to the Recycle Bin, the survivor now carries the customer id.
    h.salesforce.recycle('Account', accountId);
    const survivor = h.salesforce.insert('Account', { Name: 'Survivor', Stripe_Customer_Id__c: customerId, OwnerId: OWNER });
    const event = upcoming(customerId, 'sub_test_merged');
    const first = await h.app.handle([inboundRecord(event)]);
    expect([...first.outcomes.values()]).toEqual(['retry']);
    const again = await h.app.handle([inboundRecord(event)]);
    expect([...again.outcomes.values()]).toEqual(['applied']);
    expect(tasksOf(survivor)).toEqual([expect.objectContaining({ OwnerId: OWNER, Stripe_Task_Key__c: `renewal:sub_test_merged:${T + 7 * DAY}` })]);
    // A third delivery (Stripe's own retry) adds nothing.
    const third = await h.app.handle([inboundRecord(event)]);
    expect([...third.outcomes.values()]).toEqual(['duplicate']);
    expect(tasksOf(survivor)).toHaveLength(1);
  });

  it('metadata naming another Account than the customer\'s: that Account\'s owner is read, not the customer Account\'s', async () => {
    const { customerId } = customer();
    await rolledUp(customerId);
    const other = '005000000000078AAA';
    h.salesforce.insert('User', { Id: other, Name: 'Other Owner' });
    const named = h.salesforce.insert('Account', { Name: 'Named in metadata', OwnerId: other });
    const event = sampleEvent('invoice.upcoming', {
      id: `evt_test_upcoming${(seq += 1)}`,
      created: T,
      customer: customerId,
      subscription: 'sub_test_named',
      metadata: { salesforce_account_id: named },
      objectOverrides: { period_end: T + 7 * DAY },
    });
    const result = await h.app.handle([inboundRecord(event)]);
    expect([...result.outcomes.values()]).toEqual(['applied']);
    expect(tasksOf(named)).toEqual([expect.objectContaining({ OwnerId: other })]);
  });
});

describe('metadata naming an Account that does not exist', () => {
  /** A well-formed Account id (prefix 001) that names no record: deleted, merged away, or from another org. */
  const GONE = '001000000000999AAA';

  function namingGone(customerId: string, subscription: string) {
    return sampleEvent('invoice.upcoming', {
      id: `evt_test_upcoming${(seq += 1)}`,
      created: T,
      customer: customerId,
      subscription,
      metadata: { salesforce_account_id: GONE },
      objectOverrides: { period_end: T + 7 * DAY },
    });
  }

  it("alone in its batch: the Task goes to the customer's Account, as when another event of the batch names the customer", async () => {
    const { customerId, accountId } = customer();
    const result = await h.app.handle([inboundRecord(namingGone(customerId, 'sub_test_gone_alone'))]);
    expect([...result.outcomes.values()]).toEqual(['applied']);
    expect(tasksOf(accountId)).toEqual([expect.objectContaining({ OwnerId: OWNER, Stripe_Task_Key__c: `renewal:sub_test_gone_alone:${T + 7 * DAY}` })]);
  });

  it('with a neighbour that names the customer: the same Task (the outcome does not depend on the batch)', async () => {
    const { customerId, accountId } = customer();
    const result = await h.app.handle([inboundRecord(namingGone(customerId, 'sub_test_gone_pair')), inboundRecord(upcoming(customerId, 'sub_test_gone_other'))]);
    expect([...result.outcomes.values()]).toEqual(['applied', 'applied']);
    expect(tasksOf(accountId).map((t) => t['Stripe_Task_Key__c']).sort()).toEqual([`renewal:sub_test_gone_other:${T + 7 * DAY}`, `renewal:sub_test_gone_pair:${T + 7 * DAY}`]);
  });
});

describe('customer.subscription.trial_will_end', () => {
  it('creates "Trial ends in 3 days" for the Account owner, once', async () => {
    const { customerId, accountId } = customer();
    const event = sampleEvent('customer.subscription.trial_will_end', { id: `evt_test_trial${(seq += 1)}`, created: T, customer: customerId, objectId: 'sub_test_trial_a', metadata: {} });
    await h.app.handle([inboundRecord(event)]);
    await h.app.handle([inboundRecord(event)]);
    expect(tasksOf(accountId)).toEqual([expect.objectContaining({ Subject: 'Trial ends in 3 days', ActivityDate: '2026-01-04', OwnerId: OWNER })]);
  });
});

describe('configuration', () => {
  it('RENEWAL_TASKS=off: no Task, the event is skipped', async () => {
    for (const [env, trialTasks] of [[{ RENEWAL_TASKS: 'off' }, 0]] as const) {
      const other = await startConsumerHarness({ env });
      try {
        const accountId = other.salesforce.insert('Account', { Name: 'Configured', Stripe_Customer_Id__c: 'cus_test_configured' });
        const renewal = sampleEvent('invoice.upcoming', { id: 'evt_test_config_up', created: T, customer: 'cus_test_configured', subscription: 'sub_test_config', metadata: {} });
        const trial = sampleEvent('customer.subscription.trial_will_end', { id: 'evt_test_config_trial', created: T, customer: 'cus_test_configured', objectId: 'sub_test_config', metadata: {} });
        const result = await other.app.handle([inboundRecord(renewal), inboundRecord(trial)]);
        expect([...result.outcomes.values()][0]).toBe('skipped');
        expect(other.salesforce.records('Task').filter((t) => t['WhatId'] === accountId)).toHaveLength(trialTasks);
      } finally {
        await other.close();
      }
    }
  });

  it('ACCOUNT_ROLLUPS=off: the owners are read before the write (no roll-up to assign them), even for an Account a batch touched before', async () => {
    const other = await startConsumerHarness({ env: { ACCOUNT_ROLLUPS: 'off' } });
    try {
      other.salesforce.insert('User', { Id: OWNER, Name: 'Renewal Owner' });
      const accountId = other.salesforce.insert('Account', { Name: 'No roll-ups', Stripe_Customer_Id__c: 'cus_test_norollups', OwnerId: OWNER });
      const created = sampleEvent('customer.subscription.created', { id: 'evt_test_norollups_sub', created: T, customer: 'cus_test_norollups', objectId: 'sub_test_norollups', metadata: {} });
      await other.app.handle([inboundRecord(created)]);
      const requests = other.salesforce.requests.length;
      const renewal = sampleEvent('invoice.upcoming', { id: 'evt_test_norollups_up', created: T, customer: 'cus_test_norollups', subscription: 'sub_test_norollups', metadata: {} });
      const result = await other.app.handle([inboundRecord(renewal)]);
      expect([...result.outcomes.values()]).toEqual(['applied']);
      expect(other.salesforce.requests.slice(requests).map((r) => (r.path.includes('/query') ? 'query' : r.path.split('/').pop()))).toEqual(['query', 'composite']);
      expect(other.salesforce.records('Task').filter((t) => t['WhatId'] === accountId)).toEqual([expect.objectContaining({ OwnerId: OWNER })]);
    } finally {
      await other.close();
    }
  });

  it('RENEWAL_TASK_DAYS=3: a renewal Stripe announces 7 days out still gets its Task, due 3 days before the renewal; a trial 3 days out is due on its day', async () => {
    const other = await startConsumerHarness({ env: { RENEWAL_TASK_DAYS: '3' } });
    try {
      const accountId = other.salesforce.insert('Account', { Name: 'Lead time', Stripe_Customer_Id__c: 'cus_test_lead_time' });
      const renewal = sampleEvent('invoice.upcoming', { id: 'evt_test_lead_up', created: T, customer: 'cus_test_lead_time', subscription: 'sub_test_lead', metadata: {} });
      const trial = sampleEvent('customer.subscription.trial_will_end', { id: 'evt_test_lead_trial', created: T, customer: 'cus_test_lead_time', objectId: 'sub_test_lead', metadata: {} });
      const result = await other.app.handle([inboundRecord(renewal), inboundRecord(trial)]);
      expect(result.response.batchItemFailures).toEqual([]);
      const tasks = other.salesforce.records('Task').filter((t) => t['WhatId'] === accountId);
      const renewalDay = (renewal.data.object as { period_end: number }).period_end;
      expect(tasks.find((t) => String(t['Subject']).startsWith('Renewal in 7 days'))).toMatchObject({
        ActivityDate: new Date((renewalDay - 3 * 86_400) * 1000).toISOString().slice(0, 10),
      });
      expect(tasks.find((t) => t['Subject'] === 'Trial ends in 3 days')).toMatchObject({ ActivityDate: '2026-01-04' });
    } finally {
      await other.close();
    }
  });
});
