/**
 * The bridge knows the org it serves: events another org published are refused, and a sandbox
 * never bills with a live Stripe key. The org is read once per cold start from `Organization`
 * (Id, IsSandbox) through jsforce against the stand-in.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_STANDIN_ORGANIZATION } from '../../src/local/standins/salesforce-standin.js';
import { paymentRequestEvent, seedOpportunity, startOutboundHarness, type OutboundHarness } from './harness.js';

let h: OutboundHarness;

beforeAll(async () => {
  h = await startOutboundHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.reset();
  h.coldStart();
});

const opportunity = (id: string) => h.salesforce.records('Opportunity').find((o) => o.Id === id) ?? {};

describe('the org the bridge serves', () => {
  it('refuses a platform event whose source names another org: nothing read, written or billed, and no retry', async () => {
    const { opportunityId } = seedOpportunity(h.salesforce);
    const event = { ...paymentRequestEvent(opportunityId), source: 'aws.partner/salesforce.com/00DZz000000OtherAA/0YLZz0000000001GAA' };
    const stripeBefore = h.stripe.requests.length;

    const result = await h.app.handle(event);

    expect(result).toMatchObject({ outcome: 'rejected', code: 'FOREIGN_ORG' });
    expect(h.stripe.requests.length).toBe(stripeBefore);
    expect(opportunity(opportunityId).Stripe_Sync_Error__c).toBeUndefined();
    expect(h.salesforce.requests.some((r) => r.path.includes('/sobjects/Opportunity/') && r.path.endsWith(opportunityId))).toBe(false);
    expect(h.logs.lines.find((l) => l.message === 'command from another Salesforce org refused')).toMatchObject({
      sourceOrgId: '00DZz000000OtherAA',
      organizationId: DEFAULT_STANDIN_ORGANIZATION.id,
    });
    // Acknowledged (returned, not thrown): a retry could not make it this org's event.
    expect(await h.app.handle(event)).toMatchObject({ outcome: 'duplicate' });
  });

  it('accepts the 15-character form of its own org id', async () => {
    const { opportunityId } = seedOpportunity(h.salesforce);
    const own15 = DEFAULT_STANDIN_ORGANIZATION.id.slice(0, 15);
    const result = await h.app.handle({ ...paymentRequestEvent(opportunityId), source: `aws.partner/salesforce.com/${own15}/0YLAb0000000001GAA` });
    expect(result.outcome).toBe('invoiced');
  });

  it('never bills from a sandbox with a live key: the rep is told, the log says why, Stripe is not called', async () => {
    h.salesforce.setOrganization({ isSandbox: true });
    h.coldStart({ STRIPE_SECRET_KEY: 'rk_live_fake_not_a_real_key' });
    const { opportunityId } = seedOpportunity(h.salesforce);
    const stripeBefore = h.stripe.requests.length;

    const result = await h.app.handle(paymentRequestEvent(opportunityId));

    expect(result).toMatchObject({ outcome: 'rejected', code: 'SANDBOX_LIVE_KEY' });
    expect(h.stripe.requests.length).toBe(stripeBefore);
    expect(String(opportunity(opportunityId).Stripe_Sync_Error__c)).toMatch(/sandbox.*live Stripe key/);
    expect(h.logs.lines.find((l) => l.message === 'sandbox org with a live Stripe key: billing refused')).toMatchObject({ recordId: opportunityId });
    expect(h.logs.raw.join('\n')).not.toContain('rk_live_fake_not_a_real_key');
  });

  it('bills from a sandbox with a test key', async () => {
    h.salesforce.setOrganization({ isSandbox: true });
    h.coldStart();
    const { opportunityId } = seedOpportunity(h.salesforce);
    expect((await h.app.handle(paymentRequestEvent(opportunityId))).outcome).toBe('invoiced');
  });

  it('reads the org again on the next request when Salesforce was down at cold start', async () => {
    const { opportunityId } = seedOpportunity(h.salesforce);
    const event = paymentRequestEvent(opportunityId);
    h.salesforce.failNextRequests(2, 403, 'REQUEST_LIMIT_EXCEEDED');

    await expect(h.app.handle(event)).rejects.toMatchObject({ kind: 'transient' });
    expect((await h.app.handle(event)).outcome).toBe('invoiced');
  });
});
