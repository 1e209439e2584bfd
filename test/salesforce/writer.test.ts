import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/errors.js';
import type { SObjectName } from '../../src/contracts/salesforce-mutation.js';
import type { SalesforceMutation } from '../../src/mappers/mutation.js';
import { createSalesforceSession, type SalesforceSession } from '../../src/salesforce/session.js';
import { SalesforceWriter, type ItemOutcome, type WriteItem } from '../../src/salesforce/writer.js';
import { startSalesforceStandIn, STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET, type SalesforceStandIn } from '../../src/local/standins/salesforce-standin.js';
import { VERSION_FIELD } from '../../src/salesforce/data-model.js';
import { account, API_VERSION, payment, settingsFor } from './helpers.js';

let sf: SalesforceStandIn;
let session: SalesforceSession;
let writer: SalesforceWriter;

beforeEach(async () => {
  sf = await startSalesforceStandIn();
  session = createSalesforceSession(settingsFor(sf.url, { clientId: STANDIN_CLIENT_ID, clientSecret: STANDIN_CLIENT_SECRET }));
  writer = new SalesforceWriter(session, { apiVersion: API_VERSION });
});
afterEach(async () => {
  await sf.close();
});

function item(correlationId: string, ...mutations: SalesforceMutation[]): WriteItem {
  return { correlationId, mutations };
}

function outcome(outcomes: ReadonlyMap<string, ItemOutcome>, id: string): ItemOutcome {
  const found = outcomes.get(id);
  if (found === undefined) throw new Error(`no outcome for ${id}`);
  return found;
}

function failure(o: ItemOutcome): TransientError | PermanentError {
  if (o.ok) throw new Error('expected a failed outcome');
  return o.error;
}

const payments = () => sf.records('Stripe_Payment__c');

/**
 * The Account of a Stripe customer, as an admin created it: the integration user has no Create on
 * Account (the bridge only links and rolls up Accounts), so `account()` mutations update it.
 */
const seedAccount = (customerId: string): string => sf.insert('Account', { Name: `Customer ${customerId}`, Stripe_Customer_Id__c: customerId });

describe('SalesforceWriter', () => {
  it('upserts new and existing records in one Composite call and reports ids and created flags', async () => {
    const existing = sf.insert('Stripe_Payment__c', { Stripe_Id__c: 'pi_old', Status__c: 'Processing' });
    const result = await writer.write([item('m1', payment('pi_old', { Status__c: 'Succeeded' })), item('m2', payment('pi_new', { Amount__c: 12.5 }))]);

    expect(result.apiCalls).toBe(1);
    expect(outcome(result.outcomes, 'm1')).toEqual({
      ok: true,
      records: [{ sobject: 'Stripe_Payment__c', keyField: 'Stripe_Id__c', keyValue: 'pi_old', id: existing, created: false }],
    });
    const created = outcome(result.outcomes, 'm2');
    expect(created.ok && created.records[0]?.created).toBe(true);
    expect(payments().find((p) => p.Stripe_Id__c === 'pi_old')?.Status__c).toBe('Succeeded');
    expect(payments().find((p) => p.Stripe_Id__c === 'pi_new')?.Amount__c).toBe(12.5);
    expect(sf.requests.filter((r) => r.path.startsWith('/services/data'))).toEqual([{ method: 'POST', path: `/services/data/v${API_VERSION}/composite` }]);
  });

  it('merges mutations of the same record from several items into one record, later fields winning', async () => {
    const result = await writer.write([
      item('m1', payment('pi_1', { Status__c: 'Processing', Amount__c: 10 })),
      item('m2', payment('pi_1', { Status__c: 'Succeeded', Card_Brand__c: 'visa' })),
    ]);
    expect(result.outcomes.get('m1')?.ok).toBe(true);
    expect(result.outcomes.get('m2')?.ok).toBe(true);
    expect(payments()).toHaveLength(1);
    expect(payments()[0]).toMatchObject({ Stripe_Id__c: 'pi_1', Status__c: 'Succeeded', Amount__c: 10, Card_Brand__c: 'visa' });

    // Unmerged, the same two records in one Collections request are both rejected by Salesforce.
    const conn = await session.connection();
    const raw = await conn.request<Array<{ success: boolean; errors: Array<{ statusCode: string; message: string }> }>>({
      method: 'PATCH',
      url: `/services/data/v${API_VERSION}/composite/sobjects/Stripe_Payment__c/Stripe_Id__c`,
      body: JSON.stringify({
        allOrNone: false,
        records: [
          { attributes: { type: 'Stripe_Payment__c' }, Stripe_Id__c: 'pi_2', Status__c: 'Processing' },
          { attributes: { type: 'Stripe_Payment__c' }, Stripe_Id__c: 'pi_2', Status__c: 'Succeeded' },
        ],
      }),
      headers: { 'content-type': 'application/json' },
    });
    expect(raw.map((r) => r.success)).toEqual([false, false]);
    expect(raw[0]?.errors[0]?.statusCode).toBe('DUPLICATE_VALUE');
    expect(raw[0]?.errors[0]?.message).toContain('Duplicate external id specified');
  });

  it('writes 250 records in at most 2 API calls with every result mapped back', async () => {
    const items = Array.from({ length: 250 }, (_, i) => item(`m${i}`, payment(`pi_${i}`, { Amount__c: i })));
    const result = await writer.write(items);
    expect(result.apiCalls).toBeLessThanOrEqual(2);
    expect(sf.apiCalls).toBe(result.apiCalls);
    expect(payments()).toHaveLength(250);
    const byKey = new Map(payments().map((p) => [p.Stripe_Id__c, p.Id]));
    for (let i = 0; i < 250; i++) {
      const o = outcome(result.outcomes, `m${i}`);
      expect(o.ok).toBe(true);
      expect(o.records[0]?.id).toBe(byKey.get(`pi_${i}`));
    }
  });

  it('fails exactly the items whose records failed: validation rule permanent, row lock transient', async () => {
    sf.failRecord('Stripe_Payment__c', 'pi_rule', 'FIELD_CUSTOM_VALIDATION_EXCEPTION', 'Amount must be positive');
    sf.failRecord('Stripe_Payment__c', 'pi_lock', 'UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access to this record', 1);
    seedAccount('cus_ok2');
    const result = await writer.write([
      item('ok1', payment('pi_ok1')),
      item('rule', payment('pi_rule')),
      item('lock', payment('pi_lock')),
      item('ok2', account('cus_ok2')),
    ]);
    expect(result.apiCalls).toBe(1);
    expect(outcome(result.outcomes, 'ok1').ok).toBe(true);
    expect(outcome(result.outcomes, 'ok2').ok).toBe(true);
    const rule = failure(outcome(result.outcomes, 'rule'));
    expect(rule).toBeInstanceOf(PermanentError);
    expect(rule.code).toBe('SALESFORCE_FIELD_CUSTOM_VALIDATION_EXCEPTION');
    const lock = failure(outcome(result.outcomes, 'lock'));
    expect(lock).toBeInstanceOf(TransientError);
    expect(lock.code).toBe('SALESFORCE_UNABLE_TO_LOCK_ROW');

    // The lock was momentary: the retried item now goes through.
    const retry = await writer.write([item('lock', payment('pi_lock'))]);
    expect(outcome(retry.outcomes, 'lock').ok).toBe(true);
  });

  it('makes an item permanent when one of its records failed permanently and another transiently', async () => {
    sf.failRecord('Stripe_Payment__c', 'pi_lock2', 'UNABLE_TO_LOCK_ROW');
    seedAccount('cus_fine');
    const result = await writer.write([
      item('both', payment('pi_lock2'), payment('pi_bad', { Status__c: 'Not A Status' }), account('cus_fine')),
    ]);
    const o = outcome(result.outcomes, 'both');
    expect(failure(o).code).toBe('SALESFORCE_INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    expect(o.records.find((r) => r.keyValue === 'cus_fine')?.id).toMatch(/^001/);
    expect(o.records.find((r) => r.keyValue === 'pi_bad')?.id).toBeUndefined();
  });

  it('fails every record of a subrequest with an unknown field permanently, leaving other subrequests alone', async () => {
    seedAccount('cus_a');
    const result = await writer.write([
      item('p1', payment('pi_a')),
      item('p2', payment('pi_b', { No_Such_Field__c: 'x' })),
      item('acct', account('cus_a')),
    ]);
    for (const id of ['p1', 'p2']) {
      const error = failure(outcome(result.outcomes, id));
      expect(error).toBeInstanceOf(PermanentError);
      expect(error.code).toBe('SALESFORCE_INVALID_FIELD');
      expect(error.message).toContain('No_Such_Field__c');
    }
    expect(outcome(result.outcomes, 'acct').ok).toBe(true);
    expect(payments()).toHaveLength(0);
  });

  it('fails every item transiently on REQUEST_LIMIT_EXCEEDED and stops sending', async () => {
    sf.failNextRequests(1, 403, 'REQUEST_LIMIT_EXCEEDED');
    // 6 Collections requests need two Composite calls; the second is not even tried.
    const items = Array.from({ length: 1200 }, (_, i) => item(`m${i}`, payment(`pi_${i}`)));
    const result = await writer.write(items);
    expect(result.apiCalls).toBe(1);
    expect(sf.apiCalls).toBe(1);
    for (const o of result.outcomes.values()) {
      const error = failure(o);
      expect(error).toBeInstanceOf(TransientError);
      expect(error.code).toBe('SALESFORCE_REQUEST_LIMIT_EXCEEDED');
    }
    expect(result.outcomes.size).toBe(1200);
  });

  it('treats a 503 on the Composite call as transient for all', async () => {
    sf.failNextRequests(1, 503, 'SERVER_UNAVAILABLE');
    const result = await writer.write([item('m1', payment('pi_1')), item('m2', account('cus_1'))]);
    for (const o of result.outcomes.values()) expect(failure(o).kind).toBe('transient');
  });

  it('renews an expired session exactly once and resends the whole Composite', async () => {
    await writer.write([item('warm', account('cus_warm'))]);
    expect(sf.logins).toBe(1);
    sf.expireSessions();
    const items = Array.from({ length: 1100 }, (_, i) => item(`m${i}`, payment(`pi_${i}`)));
    const result = await writer.write(items);
    expect(sf.logins).toBe(2);
    // 401 + resend of the first Composite, then the second Composite on the new session.
    expect(result.apiCalls).toBe(3);
    expect([...result.outcomes.values()].every((o) => o.ok)).toBe(true);
    expect(payments()).toHaveLength(1100);
  });

  it('reports a transient error for all when the renewed session is rejected again', async () => {
    const token = sf.issueToken();
    const ready = createSalesforceSession(settingsFor(sf.url, { instanceUrl: sf.url, accessToken: token }));
    sf.expireSessions();
    const result = await new SalesforceWriter(ready, { apiVersion: API_VERSION }).write([item('m1', payment('pi_1'))]);
    expect(result.apiCalls).toBe(2);
    const error = failure(outcome(result.outcomes, 'm1'));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.code).toBe('SALESFORCE_INVALID_SESSION_ID');
  });

  it('writes Accounts before records that reference them in the same batch', async () => {
    // customer.created links the Account (by Id) while a payment of that customer references it by the new key.
    const accountId = sf.insert('Account', { Name: 'Acme' });
    const result = await writer.write([
      item('pay', payment('pi_linked', { Account__r: { Stripe_Customer_Id__c: 'cus_new' } })),
      item('cust', { sobject: 'Account', key: { field: 'Id', value: accountId }, fields: { Stripe_Customer_Id__c: 'cus_new' } }),
    ]);
    expect([...result.outcomes.values()].every((o) => o.ok)).toBe(true);
    expect(payments()[0]?.Account__c).toBe(accountId);
  });

  it('re-sends a record without an optional reference whose target does not exist', async () => {
    const result = await writer.write([
      item('optional', payment('pi_orphan', { Amount__c: 5, Account__r: { Stripe_Customer_Id__c: 'cus_missing' } }, ['Account__r'])),
      item('required', payment('pi_strict', { Account__r: { Stripe_Customer_Id__c: 'cus_missing' } })),
      item('fine', payment('pi_fine')),
    ]);
    expect(result.apiCalls).toBe(2);
    expect(outcome(result.outcomes, 'optional').ok).toBe(true);
    expect(outcome(result.outcomes, 'fine').ok).toBe(true);
    const strict = failure(outcome(result.outcomes, 'required'));
    expect(strict.code).toBe('SALESFORCE_INVALID_FIELD');
    expect(strict.message).toContain('Foreign key external ID: cus_missing');
    expect(payments().find((p) => p.Stripe_Id__c === 'pi_orphan')).toMatchObject({ Amount__c: 5 });
    expect(payments().find((p) => p.Stripe_Id__c === 'pi_orphan')?.Account__c).toBeUndefined();
    expect(payments().some((p) => p.Stripe_Id__c === 'pi_strict')).toBe(false);
  });

  it('keeps a reference optional only if every merged mutation allowed dropping it; isolation then saves the item that allowed it', async () => {
    const result = await writer.write([
      item('a', payment('pi_m', { Amount__c: 7, Account__r: { Stripe_Customer_Id__c: 'cus_gone' } }, ['Account__r'])),
      item('b', payment('pi_m', { Account__r: { Stripe_Customer_Id__c: 'cus_gone' } })),
    ]);
    // The merged record fails (b requires the reference); alone, a is re-sent without it.
    expect(result.apiCalls).toBe(3);
    expect(outcome(result.outcomes, 'a').ok).toBe(true);
    expect(failure(outcome(result.outcomes, 'b')).code).toBe('SALESFORCE_INVALID_FIELD');
    expect(payments().find((p) => p.Stripe_Id__c === 'pi_m')).toMatchObject({ Amount__c: 7 });
  });

  it('updates records by Id through a Collections update', async () => {
    const opp = sf.insert('Opportunity', { Name: 'Deal', StageName: 'Closed Won' });
    const order = sf.insert('Order', {});
    const result = await writer.write([
      item('o1', { sobject: 'Opportunity', key: { field: 'Id', value: opp }, fields: { Stripe_Payment_Status__c: 'Paid' } }),
      item('o2', { sobject: 'Order', key: { field: 'Id', value: order }, fields: { Stripe_Payment_Status__c: 'Wrong' } }),
    ]);
    expect(result.apiCalls).toBe(1);
    expect(outcome(result.outcomes, 'o1')).toEqual({
      ok: true,
      records: [{ sobject: 'Opportunity', keyField: 'Id', keyValue: opp, id: opp, created: undefined }],
    });
    expect(failure(outcome(result.outcomes, 'o2')).code).toBe('SALESFORCE_INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    expect(sf.records('Opportunity')[0]?.Stripe_Payment_Status__c).toBe('Paid');
    expect(sf.requests.at(-1)?.path).toBe(`/services/data/v${API_VERSION}/composite`);
  });

  it('skips a record Salesforce refuses in the way its mutations declared expected, and fails it otherwise', async () => {
    const linked = sf.insert('Account', { Name: 'Linked', Stripe_Customer_Id__c: 'cus_owner' });
    const link = (customerId: string, expected: boolean): SalesforceMutation => ({
      sobject: 'Account',
      key: { field: 'Id', value: linked },
      fields: { Stripe_Customer_Id__c: customerId },
      ...(expected ? { skipIfRefused: { errorCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', field: 'Stripe_Customer_Id__c' } } : {}),
    });
    const skipped = await writer.write([item('declared', link('cus_other', true))]);
    expect(outcome(skipped.outcomes, 'declared').ok).toBe(true);
    // Merged with a mutation that did not declare it, the refusal is a failure again; isolation then
    // writes each alone: the one that declared it is skipped, the other fails.
    const mixed = await writer.write([item('x', link('cus_other', true)), item('y', link('cus_other', false))]);
    expect(outcome(mixed.outcomes, 'x').ok).toBe(true);
    expect(failure(outcome(mixed.outcomes, 'y')).code).toBe('SALESFORCE_FIELD_CUSTOM_VALIDATION_EXCEPTION');
    expect(sf.records('Account').find((a) => a.Id === linked)?.Stripe_Customer_Id__c).toBe('cus_owner');
  });

  it('inserts a createOnly record, and leaves one whose unique key exists as it is (DUPLICATE_VALUE): not created, not a failure, never updated', async () => {
    const kept = sf.insert('Stripe_Payment__c', { Name: 'pi_kept', Stripe_Id__c: 'pi_kept', Status__c: 'Succeeded' });
    const result = await writer.write([
      item('again', { ...payment('pi_kept', { Status__c: 'Processing' }), createOnly: true }),
      item('fresh', { ...payment('pi_fresh', { Status__c: 'Processing' }), createOnly: true }),
      item('upsert', payment('pi_kept_too', { Status__c: 'Processing' })),
    ]);
    expect(result.apiCalls).toBe(1);
    expect(outcome(result.outcomes, 'again')).toEqual({
      ok: true,
      records: [{ sobject: 'Stripe_Payment__c', keyField: 'Stripe_Id__c', keyValue: 'pi_kept', id: kept, created: false }],
    });
    const fresh = outcome(result.outcomes, 'fresh');
    expect(fresh.ok && fresh.records[0]?.created).toBe(true);
    expect(payments().filter((p) => p.Stripe_Id__c === 'pi_kept')).toEqual([expect.objectContaining({ Id: kept, Status__c: 'Succeeded' })]);
    expect(payments().find((p) => p.Stripe_Id__c === 'pi_fresh')?.Status__c).toBe('Processing');
  });

  it('a createOnly record merged from two items and refused: each inserted alone (sObject Rows POST), the first creates it, the second finds it there', async () => {
    sf.addValidationRule('Stripe_Payment__c', { message: 'Amount too high', field: 'Amount__c', rejects: (r) => Number(r['Amount__c']) > 100 });
    const result = await writer.write([
      item('x', { ...payment('pi_iso', { Amount__c: 10 }), createOnly: true }),
      item('y', { ...payment('pi_iso', { Amount__c: 500 }), createOnly: true }),
    ]);
    const x = outcome(result.outcomes, 'x');
    const y = outcome(result.outcomes, 'y');
    expect(x.ok && x.records[0]?.created).toBe(true);
    expect(y.ok && y.records[0]?.created).toBe(false);
    expect(payments().filter((p) => p.Stripe_Id__c === 'pi_iso')).toEqual([expect.objectContaining({ Amount__c: 10 })]);
    expect(sf.requests.filter((r) => r.path.startsWith('/services/data'))).toHaveLength(2);
  });

  it('writes six object kinds and the reads that must see them in one Composite call, records of small groups alone', async () => {
    const opp = sf.insert('Opportunity', { Name: 'Deal', StageName: 'Closed Won' });
    sf.insert('Account', { Name: 'Known', Stripe_Customer_Id__c: 'cus_six' });
    const upsert = (sobject: SObjectName, id: string, fields: SalesforceMutation['fields'] = {}): SalesforceMutation => ({
      sobject,
      key: { field: 'Stripe_Id__c', value: id },
      fields: { Name: id, ...fields },
    });
    sf.failRecord('Stripe_Refund__c', 're_bad', 'FIELD_CUSTOM_VALIDATION_EXCEPTION', 'refused by a rule');
    const calls = sf.apiCalls;
    const result = await writer.write(
      [
        item('pay', payment('pi_six', { Account__r: { Stripe_Customer_Id__c: 'cus_six' } }), { sobject: 'Opportunity', key: { field: 'Id', value: opp }, fields: { Stripe_Payment_Status__c: 'Paid' } }),
        item('inv', upsert('Stripe_Invoice__c', 'in_six', { Status__c: 'Paid' })),
        item('sub', upsert('Stripe_Subscription__c', 'sub_six', { Status__c: 'Active' })),
        item('ref', upsert('Stripe_Refund__c', 're_six')),
        item('bad', upsert('Stripe_Refund__c', 're_bad')),
        item('case', { sobject: 'Case', key: { field: 'Stripe_Event_Id__c', value: 'evt_six' }, fields: { Subject: 'Payment failed' } }),
        item('acct', account('cus_six')),
      ],
      { reads: [{ referenceId: 'afterWrite', soql: "SELECT Id, Stripe_Id__c FROM Stripe_Payment__c WHERE Stripe_Id__c = 'pi_six'" }] },
    );
    // One HTTP call to Salesforce for 7 groups (over Composite's 5 Collections) plus the query.
    expect(result.apiCalls).toBe(1);
    expect(sf.apiCalls - calls).toBe(1);
    for (const id of ['pay', 'inv', 'sub', 'ref', 'case', 'acct']) expect([id, outcome(result.outcomes, id)]).toEqual([id, expect.objectContaining({ ok: true })]);
    // A record alone keeps per-record failure isolation: only its item fails.
    expect(failure(outcome(result.outcomes, 'bad')).code).toBe('SALESFORCE_FIELD_CUSTOM_VALIDATION_EXCEPTION');
    const answer = result.reads?.get('afterWrite');
    expect(answer?.httpStatusCode).toBe(200);
    expect((answer?.body as { records: unknown[] }).records).toHaveLength(1);
    expect(payments()[0]?.Account__c).toBe(sf.records('Account')[0]?.Id);
    expect(sf.records('Stripe_Refund__c').map((r) => r.Stripe_Id__c)).toEqual(['re_six']);
    const created = outcome(result.outcomes, 'inv');
    expect(created.ok && created.records[0]?.created).toBe(true);
  });

  it('re-sends a record that travelled alone without its missing optional reference', async () => {
    const upsert = (sobject: SObjectName, id: string): SalesforceMutation => ({ sobject, key: { field: 'Stripe_Id__c', value: id }, fields: { Name: id } });
    const result = await writer.write(
      [
        item('orphan', payment('pi_alone', { Amount__c: 3, Account__r: { Stripe_Customer_Id__c: 'cus_nowhere' } }, ['Account__r'])),
        item('i', upsert('Stripe_Invoice__c', 'in_x')),
        item('s', upsert('Stripe_Subscription__c', 'sub_x')),
        item('r', upsert('Stripe_Refund__c', 're_x')),
        item('a', account('cus_x')),
      ],
      { reads: [{ referenceId: 'q', soql: 'SELECT Id FROM Account' }] },
    );
    // The batch with the read in one call, then the orphan again without Account__r, then the read again (it ran before the re-send).
    expect(result.apiCalls).toBe(3);
    expect(outcome(result.outcomes, 'orphan').ok).toBe(true);
    expect(payments().find((p) => p.Stripe_Id__c === 'pi_alone')).toMatchObject({ Amount__c: 3 });
    expect(result.reads?.get('q')?.httpStatusCode).toBe(200);
  });

  it('answers items without mutations as ok without calling Salesforce', async () => {
    const result = await writer.write([item('empty')]);
    expect(result).toEqual({ outcomes: new Map([['empty', { ok: true, records: [] }]]), apiCalls: 0 });
    expect(sf.apiCalls).toBe(0);
  });

  describe('precedence keys', () => {
    const versioned = (id: string, status: string, version: number, fields: SalesforceMutation['fields'] = {}): SalesforceMutation => ({
      ...payment(id, { Status__c: status, ...fields }),
      version,
    });
    const row = (id: string) => payments().find((p) => p.Stripe_Id__c === id);

    it('writes the key with the record and reports an older write as stale, not failed', async () => {
      await writer.write([item('new', versioned('pi_v', 'Refunded', 300))]);
      const result = await writer.write([item('old', versioned('pi_v', 'Succeeded', 200)), item('other', payment('pi_other'))]);

      expect(outcome(result.outcomes, 'old')).toEqual({
        ok: true,
        records: [{ sobject: 'Stripe_Payment__c', keyField: 'Stripe_Id__c', keyValue: 'pi_v', id: row('pi_v')?.Id, created: undefined, stale: true }],
      });
      expect(outcome(result.outcomes, 'other').ok).toBe(true);
      expect(row('pi_v')).toMatchObject({ Status__c: 'Refunded', [VERSION_FIELD]: 300 });
      // The same event again (a retry) passes: equal keys are not older.
      const again = await writer.write([item('retry', versioned('pi_v', 'Refunded', 300))]);
      expect(outcome(again.outcomes, 'retry').records[0]?.stale).toBeUndefined();
    });

    it('merges one record in key order, whatever the order of the items: the highest key wins and is written', async () => {
      const result = await writer.write([
        item('newest', versioned('pi_order', 'Refunded', 900, { Amount_Refunded__c: 49.99 })),
        item('older', versioned('pi_order', 'Succeeded', 100, { Paid_At__c: '2026-01-01T00:00:00.000Z', Amount_Refunded__c: 0 })),
        item('middle', versioned('pi_order', 'Failed', 500)),
      ]);
      expect(result.apiCalls).toBe(1);
      expect(row('pi_order')).toMatchObject({ Status__c: 'Refunded', Amount_Refunded__c: 49.99, Paid_At__c: '2026-01-01T00:00:00.000Z', [VERSION_FIELD]: 900 });
    });

    it('isolates a merged record Salesforce rejects: only the item that causes it fails, the newest valid one stays', async () => {
      const result = await writer.write([
        item('good-old', versioned('pi_iso', 'Processing', 100)),
        // A field the newest item does not overwrite, so the merged record carries the bad value.
        item('bad', versioned('pi_iso', 'Failed', 200, { Card_Last4__c: '424242' })),
        item('good-new', versioned('pi_iso', 'Succeeded', 300)),
        item('bystander', payment('pi_bystander')),
      ]);

      expect(outcome(result.outcomes, 'good-old').ok).toBe(true);
      expect(outcome(result.outcomes, 'good-new').ok).toBe(true);
      expect(outcome(result.outcomes, 'bystander').ok).toBe(true);
      expect(failure(outcome(result.outcomes, 'bad')).code).toBe('SALESFORCE_STRING_TOO_LONG');
      expect(row('pi_iso')).toMatchObject({ Status__c: 'Succeeded', [VERSION_FIELD]: 300 });
      expect(row('pi_iso')?.Card_Last4__c).toBeUndefined();
      // One Composite for the batch, one with the three versions alone, lowest key first.
      expect(result.apiCalls).toBe(2);
      const isolation = sf.requests.filter((r) => r.path.startsWith('/services/data')).at(-1);
      expect(isolation).toEqual({ method: 'POST', path: `/services/data/v${API_VERSION}/composite` });
    });

    it('does not isolate a record with a single contributor, nor a transient failure', async () => {
      sf.failRecord('Stripe_Payment__c', 'pi_locked', 'UNABLE_TO_LOCK_ROW', 'locked');
      const result = await writer.write([item('a', versioned('pi_locked', 'Processing', 1)), item('b', versioned('pi_locked', 'Succeeded', 2)), item('c', versioned('pi_bad1', 'Nope', 1))]);
      expect(result.apiCalls).toBe(1);
      expect(failure(outcome(result.outcomes, 'a')).code).toBe('SALESFORCE_UNABLE_TO_LOCK_ROW');
      expect(failure(outcome(result.outcomes, 'c')).code).toBe('SALESFORCE_INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
      sf.clearFailures();
    });
  });
});
