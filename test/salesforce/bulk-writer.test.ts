/**
 * The Bulk API 2.0 writer against the stand-in: large groups by job, small ones through Composite,
 * per-item outcomes as the Composite writer gives them; a job Salesforce refuses to create falls
 * back to Composite, a Salesforce that does not answer fails the items as transient (retried later).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSalesforceStandIn, STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET, type SalesforceStandIn } from '../../src/local/standins/salesforce-standin.js';
import { BulkWriter } from '../../src/salesforce/bulk-writer.js';
import { VERSION_FIELD } from '../../src/salesforce/data-model.js';
import { createSalesforceSession } from '../../src/salesforce/session.js';
import { SalesforceWriter, type WriteItem } from '../../src/salesforce/writer.js';
import { account, API_VERSION, payment, settingsFor } from './helpers.js';

let sf: SalesforceStandIn;
let writer: BulkWriter;
beforeEach(async () => {
  sf = await startSalesforceStandIn();
  const session = createSalesforceSession(settingsFor(sf.url, { clientId: STANDIN_CLIENT_ID, clientSecret: STANDIN_CLIENT_SECRET }));
  writer = new BulkWriter(session, new SalesforceWriter(session, { apiVersion: API_VERSION }), { threshold: 3, sleep: async () => undefined, now: () => 0 });
});
afterEach(async () => {
  await sf.close();
});

/** Three payments of one customer (one group of 3: a job) and the customer's Account (a group of 1: Composite). */
function items(): WriteItem[] {
  return ['pi_1', 'pi_2', 'pi_3'].map((id, i) => ({
    correlationId: `evt_${i}`,
    mutations: [account('cus_w'), { ...payment(id, { Account__r: { Stripe_Customer_Id__c: 'cus_w' }, Status__c: 'Succeeded' }), version: 100 }],
  }));
}
const jobsCreated = () => sf.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/jobs/ingest')).length;
const composites = () => sf.requests.filter((r) => r.path.endsWith('/composite')).length;

describe('BulkWriter', () => {
  it('writes the large group by a job after the small one through Composite, and reports each item', async () => {
    // The integration user may not create Accounts: the customer's Account exists, the bridge updates it.
    sf.insert('Account', { Name: 'W', Stripe_Customer_Id__c: 'cus_w' });
    sf.insert('Stripe_Payment__c', { Name: 'pi_3', Stripe_Id__c: 'pi_3', Status__c: 'Refunded', [VERSION_FIELD]: 900 });

    const result = await writer.write(items());

    expect(jobsCreated()).toBe(1);
    expect(composites()).toBe(1);
    const accountId = sf.records('Account')[0]?.['Id'];
    expect(sf.records('Stripe_Payment__c').filter((p) => p['Status__c'] === 'Succeeded').map((p) => [p['Stripe_Id__c'], p['Account__c']])).toEqual([
      ['pi_1', accountId],
      ['pi_2', accountId],
    ]);
    expect(result.outcomes.get('evt_0')).toMatchObject({ ok: true, records: expect.arrayContaining([expect.objectContaining({ sobject: 'Stripe_Payment__c', keyValue: 'pi_1', created: true })]) });
    // pi_3 already shows a newer state: stale, not a failure.
    expect(result.outcomes.get('evt_2')).toMatchObject({ ok: true, records: expect.arrayContaining([expect.objectContaining({ keyValue: 'pi_3', stale: true })]) });
    expect(result.apiCalls).toBe(sf.requests.filter((r) => r.path.startsWith('/services/data')).length);
  });

  it('writes through Composite when Salesforce refuses the job, and fails the items as transient when it does not answer', async () => {
    sf.insert('Account', { Name: 'W', Stripe_Customer_Id__c: 'cus_w' });
    const paymentsOnly = (version: number): WriteItem[] =>
      items().map((i) => ({ ...i, mutations: i.mutations.filter((m) => m.sobject === 'Stripe_Payment__c').map((m) => ({ ...m, version })) }));
    // The job is the first request: refused, its payments go through Composite.
    sf.failNextRequests(1, 400, 'INVALIDJOB');
    const refused = await writer.write(paymentsOnly(100));
    expect([...refused.outcomes.values()].every((o) => o.ok)).toBe(true);
    expect(sf.records('Stripe_Payment__c')).toHaveLength(3);
    expect(composites()).toBe(1);

    sf.failNextRequests(1, 503, 'SERVER_UNAVAILABLE');
    const down = await writer.write(paymentsOnly(200));
    const outcome = down.outcomes.get('evt_1');
    expect(outcome?.ok).toBe(false);
    expect(outcome?.ok === false && outcome.error.kind).toBe('transient');
    // Nothing re-sent: Salesforce is down, the items are retried later.
    expect(composites()).toBe(1);
  });
});
