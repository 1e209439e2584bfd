/**
 * Renewal Opportunities for annual terms (RENEWAL_OPPORTUNITIES=on) through the consumer, the dedup
 * table (dynalite) and the Salesforce stand-in (jsforce over HTTP, the integration user's
 * permission set: create on Opportunity, field-level security on AccountId, Amount, Description
 * and the Stripe fields). Events: the local sample of invoice.upcoming (a preview without an id,
 * 7 days ahead) with one subscription line as Stripe's fixture renders one (test/support/renewal-events.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/local/sample-events.js';
import { inboundRecord, startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';
import { upcomingRenewal } from '../support/renewal-events.js';

let h: ConsumerHarness;
let seq = 0;
const T = 1_767_225_600; // 2026-01-01T00:00:00Z
const DAY = 86_400;
const RENEWAL = T + 7 * DAY; // 2026-01-08
const OWNER = '005000000000088AAA';

beforeAll(async () => {
  h = await startConsumerHarness({ env: { RENEWAL_OPPORTUNITIES: 'on' } });
  h.salesforce.insert('User', { Id: OWNER, Name: 'Renewal Owner' });
});
afterAll(async () => h.close());

function customer(): { readonly customerId: string; readonly accountId: string } {
  const customerId = `cus_test_renewopp${(seq += 1)}`;
  return { customerId, accountId: h.salesforce.insert('Account', { Name: `Annual ${seq}`, Stripe_Customer_Id__c: customerId, OwnerId: OWNER }) };
}

/** The preview of a renewal whose subscription line covers `days` days from the renewal. */
function upcoming(customerId: string, subscription: string, options: { days?: number; created?: number; amount?: number } = {}) {
  return upcomingRenewal({
    id: `evt_test_upopp${(seq += 1)}`,
    created: options.created ?? T,
    customer: customerId,
    subscription,
    subscriptionItem: 'si_test_annual',
    renewal: RENEWAL,
    ...(options.days === undefined ? {} : { termDays: options.days }),
    ...(options.amount === undefined ? {} : { amount: options.amount }),
    customerName: 'Acme Annual',
  });
}

const opportunitiesOf = (accountId: string) => h.salesforce.records('Opportunity').filter((o) => o['AccountId'] === accountId);

describe('RENEWAL_OPPORTUNITIES=on', () => {
  it('a yearly renewal: one Opportunity closing on the renewal day, worth the upcoming invoice, stage Prospecting, for the Account owner, beside its Task', async () => {
    const { customerId, accountId } = customer();
    const result = await h.app.handle([inboundRecord(upcoming(customerId, 'sub_test_annual_a'))]);
    expect([...result.outcomes.values()]).toEqual(['applied']);
    expect(opportunitiesOf(accountId)).toEqual([
      expect.objectContaining({
        Name: 'Acme Annual renewal 2026-01-08',
        CloseDate: '2026-01-08',
        StageName: 'Prospecting',
        Amount: 12_000,
        OwnerId: OWNER,
        Stripe_Renewal_Key__c: `renewal:sub_test_annual_a:${RENEWAL}`,
        Description: expect.stringContaining('https://dashboard.stripe.com/test/subscriptions/sub_test_annual_a'),
      }),
    ]);
    expect(h.salesforce.records('Task').filter((t) => t['WhatId'] === accountId)).toHaveLength(1);
  });

  it('a monthly renewal: its Task, no Opportunity', async () => {
    const { customerId, accountId } = customer();
    await h.app.handle([inboundRecord(upcoming(customerId, 'sub_test_monthly', { days: 31 }))]);
    expect(opportunitiesOf(accountId)).toEqual([]);
    expect(h.salesforce.records('Task').filter((t) => t['WhatId'] === accountId)).toHaveLength(1);
  });

  it('once per period: a replay is a duplicate, a re-sent preview with a new amount changes nothing (what a rep set stays), the next year adds one', async () => {
    const { customerId, accountId } = customer();
    const first = upcoming(customerId, 'sub_test_annual_b');
    await h.app.handle([inboundRecord(first)]);
    // A rep works the Opportunity.
    const [created] = opportunitiesOf(accountId);
    const connection = await h.app.session.connection();
    await connection.sobject('Opportunity').update({ Id: String(created?.['Id']), StageName: 'Negotiation', Amount: 11_000 });

    expect([...(await h.app.handle([inboundRecord(first)])).outcomes.values()]).toEqual(['duplicate']);
    const resent = await h.app.handle([inboundRecord(upcoming(customerId, 'sub_test_annual_b', { created: T + DAY, amount: 1_500_000 }))]);
    expect([...resent.outcomes.values()]).toEqual(['skipped']);
    expect(opportunitiesOf(accountId)).toEqual([expect.objectContaining({ StageName: 'Negotiation', Amount: 11_000 })]);
  });

  it('create-only in Salesforce itself: announced again once the period claim expired (DEDUP_TTL_DAYS), the Opportunity keeps what the rep set; its Task is upserted again, still one', async () => {
    const { customerId, accountId } = customer();
    await h.app.handle([inboundRecord(upcoming(customerId, 'sub_test_annual_late'))]);
    const [created] = opportunitiesOf(accountId);
    const rep = '005000000000089AAA';
    h.salesforce.insert('User', { Id: rep, Name: 'Renewal Rep' });
    const connection = await h.app.session.connection();
    await connection.sobject('Opportunity').update({ Id: String(created?.['Id']), StageName: 'Negotiation', Amount: 11_000, CloseDate: '2026-02-01', OwnerId: rep });

    // 40 days on, past the claim's 35-day TTL: the period is no longer claimed, a plan change re-sends the preview.
    h.nowMs += 40 * DAY * 1000;
    const later = await h.app.handle([inboundRecord(upcoming(customerId, 'sub_test_annual_late', { created: T + 40 * DAY, amount: 1_500_000 }))]);
    expect([...later.outcomes.values()]).toEqual(['applied']);
    expect(opportunitiesOf(accountId)).toEqual([
      expect.objectContaining({ Id: created?.['Id'], StageName: 'Negotiation', Amount: 11_000, CloseDate: '2026-02-01', OwnerId: rep }),
    ]);
    expect(h.salesforce.records('Task').filter((t) => t['WhatId'] === accountId)).toHaveLength(1);
  });

  it('two batches at once with two announcements of one renewal: exactly one Opportunity', async () => {
    const { customerId, accountId } = customer();
    const a = upcoming(customerId, 'sub_test_annual_c');
    const b = upcoming(customerId, 'sub_test_annual_c', { created: T + 60 });
    const results = await Promise.all([h.app.handle([inboundRecord(a)]), h.app.handle([inboundRecord(b)])]);
    const outcomes = results.flatMap((r) => [...r.outcomes.values()]).sort();
    expect(outcomes[0]).toBe('applied');
    expect(['retry', 'skipped']).toContain(outcomes[1]);
    h.nowMs += 120_000;
    const retried = [...(results[0]?.outcomes.values() ?? [])][0] === 'applied' ? b : a;
    await h.app.handle([inboundRecord(retried)]);
    expect(opportunitiesOf(accountId)).toHaveLength(1);
  });

  it('a customer whose Account a roll-up read: no read of its own, the roll-up assigns the Opportunity and the Task to the Account owner', async () => {
    const { customerId, accountId } = customer();
    const subscription = sampleEvent('customer.subscription.created', { id: `evt_test_sub${(seq += 1)}`, created: T, customer: customerId, objectId: 'sub_test_annual_known', metadata: {} });
    await h.app.handle([inboundRecord(subscription)]);
    const requests = h.salesforce.requests.length;
    const result = await h.app.handle([inboundRecord(upcoming(customerId, 'sub_test_annual_known'))]);
    expect([...result.outcomes.values()]).toEqual(['applied']);
    expect(h.salesforce.requests.slice(requests).some((r) => r.path.includes('/query'))).toBe(false);
    expect(opportunitiesOf(accountId)).toEqual([expect.objectContaining({ OwnerId: OWNER, Stripe_Customer_Id__c: customerId })]);
    expect(h.salesforce.records('Task').filter((t) => t['WhatId'] === accountId)).toEqual([expect.objectContaining({ OwnerId: OWNER })]);
  });

  it('an Account remembered from a roll-up and an Opportunity of the period there already (DUPLICATE_VALUE, left as it is): applied, not retried; the Task written', async () => {
    const { customerId, accountId } = customer();
    const subscription = sampleEvent('customer.subscription.created', { id: `evt_test_sub${(seq += 1)}`, created: T, customer: customerId, objectId: 'sub_test_annual_taken', metadata: {} });
    await h.app.handle([inboundRecord(subscription)]);
    const rep = h.salesforce.insert('Opportunity', {
      Name: 'Rep renewal',
      AccountId: accountId,
      StageName: 'Negotiation',
      CloseDate: '2026-01-08',
      Stripe_Renewal_Key__c: `renewal:sub_test_annual_taken:${RENEWAL}`,
    });
    const requests = h.salesforce.requests.length;
    const result = await h.app.handle([inboundRecord(upcoming(customerId, 'sub_test_annual_taken'))]);
    // The Account came from this environment's memory (no owners query): the path that retries when it is gone.
    expect(h.salesforce.requests.slice(requests).some((r) => r.path.includes('/query'))).toBe(false);
    expect([...result.outcomes.values()]).toEqual(['applied']);
    expect(result.response.batchItemFailures).toEqual([]);
    expect(opportunitiesOf(accountId)).toEqual([expect.objectContaining({ Id: rep, Name: 'Rep renewal', StageName: 'Negotiation' })]);
    expect(h.salesforce.records('Task').filter((t) => t['WhatId'] === accountId)).toEqual([expect.objectContaining({ OwnerId: OWNER })]);
  });

  it('a customer without an Account: no Opportunity and no Task', async () => {
    const result = await h.app.handle([inboundRecord(upcoming('cus_test_annual_nobody', 'sub_test_annual_d'))]);
    expect([...result.outcomes.values()]).toEqual(['skipped']);
    expect(h.salesforce.records('Opportunity').some((o) => String(o['Stripe_Renewal_Key__c']).includes('sub_test_annual_d'))).toBe(false);
  });
});

describe('configuration', () => {
  it('off by default: a yearly renewal writes its Task and no Opportunity', async () => {
    const other = await startConsumerHarness();
    try {
      const accountId = other.salesforce.insert('Account', { Name: 'Default', Stripe_Customer_Id__c: 'cus_test_annual_default' });
      await other.app.handle([inboundRecord(upcoming('cus_test_annual_default', 'sub_test_annual_default'))]);
      expect(other.salesforce.records('Opportunity').filter((o) => o['AccountId'] === accountId)).toEqual([]);
      expect(other.salesforce.records('Task').filter((t) => t['WhatId'] === accountId)).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('RENEWAL_OPPORTUNITY_STAGE sets the stage; with RENEWAL_TASKS=off the Opportunity alone is written, once', async () => {
    const other = await startConsumerHarness({ env: { RENEWAL_OPPORTUNITIES: 'on', RENEWAL_OPPORTUNITY_STAGE: 'Qualification', RENEWAL_TASKS: 'off' } });
    try {
      const accountId = other.salesforce.insert('Account', { Name: 'Staged', Stripe_Customer_Id__c: 'cus_test_annual_staged' });
      const event = upcoming('cus_test_annual_staged', 'sub_test_annual_staged');
      await other.app.handle([inboundRecord(event)]);
      await other.app.handle([inboundRecord(upcoming('cus_test_annual_staged', 'sub_test_annual_staged', { created: T + DAY }))]);
      expect(other.salesforce.records('Opportunity').filter((o) => o['AccountId'] === accountId)).toEqual([expect.objectContaining({ StageName: 'Qualification' })]);
      expect(other.salesforce.records('Task').filter((t) => t['WhatId'] === accountId)).toEqual([]);
      // A monthly renewal with Tasks off: nothing to write.
      const monthly = await other.app.handle([inboundRecord(upcoming('cus_test_annual_staged', 'sub_test_monthly_staged', { days: 30 }))]);
      expect([...monthly.outcomes.values()]).toEqual(['skipped']);
    } finally {
      await other.close();
    }
  });
});
