/** The stand-in answers like Salesforce REST does; jsforce is the client, as in production. */
import { Connection } from 'jsforce/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceStandIn, type SalesforceStandIn } from '../../src/local/standins/salesforce-standin.js';
import { OLDER_EVENT_RULE, SUPERSEDED_FAILURE_RULE, VERSION_FIELD } from '../../src/salesforce/data-model.js';
import { API_VERSION, requestError } from './helpers.js';

let sf: SalesforceStandIn;
let conn: Connection;
let opportunityId: string;

beforeAll(async () => {
  sf = await startSalesforceStandIn();
  conn = new Connection({ instanceUrl: sf.url, accessToken: sf.issueToken(), version: API_VERSION });
  const accountId = sf.insert('Account', { Name: 'Acme', Stripe_Customer_Id__c: 'cus_acme' });
  opportunityId = sf.insert('Opportunity', { Name: 'Acme deal', AccountId: accountId, Amount: 300, StageName: 'Closed Won' });
  sf.insert('OpportunityLineItem', { OpportunityId: opportunityId, Quantity: 2, UnitPrice: 100, Description: 'Seats' });
  sf.insert('OpportunityLineItem', { OpportunityId: opportunityId, Quantity: 1, UnitPrice: 100, Description: 'Setup' });
  sf.insert('Opportunity', { Name: 'Lonely deal', StageName: 'Prospecting' });
});
afterAll(async () => {
  await sf.close();
});

function patch(url: string, body: unknown): Promise<unknown> {
  return conn.request({ method: 'PATCH', url, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

describe('Salesforce stand-in', () => {
  it('issues 18-character ids with the object key prefix', () => {
    expect(opportunityId).toMatch(/^006[a-zA-Z0-9]{15}$/);
  });

  it('answers SOQL with parent fields and a child subquery', async () => {
    const result = await conn.query<Record<string, any>>(
      `SELECT Id, Name, Amount, Account.Name, Account.Stripe_Customer_Id__c, (SELECT Id, Quantity, UnitPrice, Description FROM OpportunityLineItems) FROM Opportunity WHERE Id = '${opportunityId}'`,
    );
    expect(result.totalSize).toBe(1);
    const opp = result.records[0] as Record<string, any>;
    expect(opp.attributes).toEqual({ type: 'Opportunity', url: `/services/data/v${API_VERSION}/sobjects/Opportunity/${opportunityId}` });
    expect(opp.Amount).toBe(300);
    expect(opp.Account).toMatchObject({ attributes: { type: 'Account' }, Name: 'Acme', Stripe_Customer_Id__c: 'cus_acme' });
    expect(opp.OpportunityLineItems.totalSize).toBe(2);
    expect(opp.OpportunityLineItems.records.map((l: any) => l.Description)).toEqual(['Seats', 'Setup']);
  });

  it('returns null for a missing parent and an empty child relationship, and filters with IN', async () => {
    const result = await conn.query<Record<string, any>>(
      "SELECT Name, Account.Name, (SELECT Id FROM OpportunityLineItems) FROM Opportunity WHERE Name IN ('Lonely deal', 'Nobody')",
    );
    expect(result.records).toHaveLength(1);
    expect(result.records[0]).toMatchObject({ Name: 'Lonely deal', Account: null, OpportunityLineItems: null });
  });

  it('rejects an unknown column in SOQL with INVALID_FIELD', async () => {
    const err = await requestError(conn.query('SELECT Id, Bogus__c FROM Opportunity'));
    expect(err.errorCode).toBe('INVALID_FIELD');
    expect(err.message).toContain("No such column 'Bogus__c'");
  });

  it('answers an unknown API version with 404 NOT_FOUND', async () => {
    const err = await requestError(conn.request('/services/data/v12.0/sobjects/Account'));
    expect(err.errorCode).toBe('NOT_FOUND');
  });

  it('answers an unknown token with 401 INVALID_SESSION_ID', async () => {
    const stranger = new Connection({ instanceUrl: sf.url, accessToken: 'not-a-token', version: API_VERSION });
    const err = await requestError(stranger.query('SELECT Id FROM Account'));
    expect(err.errorCode).toBe('INVALID_SESSION_ID');
  });

  it('reports per-record validation errors the way Salesforce does', async () => {
    const results = (await patch(`/services/data/v${API_VERSION}/composite/sobjects/Stripe_Payment__c/Stripe_Id__c`, {
      allOrNone: false,
      records: [
        { attributes: { type: 'Stripe_Payment__c' }, Stripe_Id__c: 'pi_v1', Status__c: 'Nope' },
        { attributes: { type: 'Stripe_Payment__c' }, Stripe_Id__c: 'pi_v2', Card_Last4__c: '12345' },
        { attributes: { type: 'Stripe_Payment__c' }, Stripe_Id__c: 'pi_v3', Account__r: { Stripe_Customer_Id__c: 'cus_none' } },
        { attributes: { type: 'Stripe_Payment__c' }, Stripe_Id__c: 'pi_v4', Account__r: { Stripe_Customer_Id__c: 'cus_acme' }, Livemode__c: false },
      ],
    })) as Array<{ success: boolean; created?: boolean; errors: Array<{ statusCode: string; message: string; fields: string[] }> }>;
    expect(results[0]?.errors[0]).toMatchObject({ statusCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', fields: ['Status__c'] });
    expect(results[1]?.errors[0]).toMatchObject({ statusCode: 'STRING_TOO_LONG', fields: ['Card_Last4__c'] });
    expect(results[2]?.errors[0]).toEqual({
      statusCode: 'INVALID_FIELD',
      message: 'Foreign key external ID: cus_none not found for field Stripe_Customer_Id__c in entity Account',
      fields: [],
    });
    expect(results[3]).toMatchObject({ success: true, created: true });
    const acme = sf.records('Account').find((a) => a.Stripe_Customer_Id__c === 'cus_acme');
    expect(sf.records('Stripe_Payment__c').find((p) => p.Stripe_Id__c === 'pi_v4')?.Account__c).toBe(acme?.Id);
  });

  it('fails a whole Collections request on an unknown field or a value JSON cannot hold', async () => {
    const url = `/services/data/v${API_VERSION}/composite/sobjects/Stripe_Payment__c/Stripe_Id__c`;
    const unknown = await requestError(patch(url, { records: [{ attributes: { type: 'Stripe_Payment__c' }, Stripe_Id__c: 'pi_x', Nope__c: 1 }] }));
    expect(unknown).toMatchObject({ errorCode: 'INVALID_FIELD', message: "No such column 'Nope__c' on sobject of type Stripe_Payment__c" });
    const badNumber = await requestError(patch(url, { records: [{ attributes: { type: 'Stripe_Payment__c' }, Stripe_Id__c: 'pi_x', Amount__c: 'ten' }] }));
    expect(badNumber.errorCode).toBe('JSON_PARSER_ERROR');
    expect(sf.records('Stripe_Payment__c').some((p) => p.Stripe_Id__c === 'pi_x')).toBe(false);
  });

  it('refuses read-only fields and record ids as an upsert key', async () => {
    const lineItem = await requestError(
      conn.request({
        method: 'POST',
        url: `/services/data/v${API_VERSION}/sobjects/OpportunityLineItem`,
        body: JSON.stringify({ OpportunityId: opportunityId, Name: 'Seats' }),
        headers: { 'content-type': 'application/json' },
      }),
    );
    expect(lineItem.errorCode).toBe('INVALID_FIELD_FOR_INSERT_UPDATE');
    const byId = await requestError(patch(`/services/data/v${API_VERSION}/composite/sobjects/Opportunity/Id`, { records: [] }));
    expect(byId.errorCode).toBe('INVALID_FIELD');
  });

  it('updates a single record by Id the way jsforce sends it, rejecting bad values with the record error code', async () => {
    const result = await conn.sobject('Opportunity').update({ Id: opportunityId, Stripe_Payment_Status__c: 'Paid' });
    expect(result).toMatchObject({ id: opportunityId, success: true });
    expect(sf.records('Opportunity').find((o) => o.Id === opportunityId)?.Stripe_Payment_Status__c).toBe('Paid');
    const err = await requestError(conn.sobject('Opportunity').update({ Id: opportunityId, Stripe_Payment_Status__c: 'Maybe' }));
    expect(err.errorCode).toBe('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
  });

  it("runs the package's validation rules on save: a Stripe customer id is set once (cleared and set again explicitly)", async () => {
    const accountId = sf.insert('Account', { Name: 'Set once' });
    const update = (value: string | null) =>
      patch(`/services/data/v${API_VERSION}/composite/sobjects`, {
        allOrNone: false,
        records: [{ attributes: { type: 'Account' }, Id: accountId, Stripe_Customer_Id__c: value }],
      }) as Promise<Array<{ success: boolean; errors: Array<{ statusCode: string; fields: string[] }> }>>;
    expect((await update('cus_first'))[0]?.success).toBe(true);
    expect((await update('cus_first'))[0]?.success).toBe(true);
    const moved = (await update('cus_second'))[0];
    expect(moved?.success).toBe(false);
    expect(moved?.errors[0]).toMatchObject({ statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', fields: ['Stripe_Customer_Id__c'] });
    expect(sf.records('Account').find((a) => a.Id === accountId)?.Stripe_Customer_Id__c).toBe('cus_first');
    const single = await requestError(conn.sobject('Account').update({ Id: accountId, Stripe_Customer_Id__c: 'cus_second' }));
    expect(single.errorCode).toBe('FIELD_CUSTOM_VALIDATION_EXCEPTION');
    expect((await update(null))[0]?.success).toBe(true);
    expect((await update('cus_second'))[0]?.success).toBe(true);
  });

  it('enforces the Composite limit of 5 Collections subrequests and counts a Composite as one call', async () => {
    const sub = (i: number) => ({
      method: 'PATCH',
      referenceId: `r${i}`,
      url: `/services/data/v${API_VERSION}/composite/sobjects/Account/Stripe_Customer_Id__c`,
      body: { records: [{ attributes: { type: 'Account' }, Stripe_Customer_Id__c: `cus_c${i}`, Name: `C${i}` }] },
    });
    const before = sf.apiCalls;
    const err = await requestError(conn.requestPost(`/services/data/v${API_VERSION}/composite`, { compositeRequest: [0, 1, 2, 3, 4, 5].map(sub) }));
    expect(err.errorCode).toBe('INVALID_BATCH_REQUEST');
    const ok = (await conn.requestPost(`/services/data/v${API_VERSION}/composite`, { compositeRequest: [0, 1, 2, 3, 4].map(sub) })) as {
      compositeResponse: Array<{ httpStatusCode: number; referenceId: string }>;
    };
    expect(ok.compositeResponse.map((r) => [r.referenceId, r.httpStatusCode])).toEqual([0, 1, 2, 3, 4].map((i) => [`r${i}`, 200]));
    expect(sf.apiCalls - before).toBe(2);
  });

  it('rolls back every subrequest of an allOrNone Composite when one fails', async () => {
    const res = (await conn.requestPost(`/services/data/v${API_VERSION}/composite`, {
      allOrNone: true,
      compositeRequest: [
        {
          method: 'PATCH',
          referenceId: 'good',
          // A record the integration user may create (it may not create Accounts: INSUFFICIENT_ACCESS_OR_READONLY).
          url: `/services/data/v${API_VERSION}/composite/sobjects/Stripe_Payment__c/Stripe_Id__c`,
          body: { records: [{ attributes: { type: 'Stripe_Payment__c' }, Stripe_Id__c: 'pi_rollback', Status__c: 'Succeeded' }] },
        },
        {
          method: 'PATCH',
          referenceId: 'bad',
          url: `/services/data/v${API_VERSION}/composite/sobjects/Account/Stripe_Customer_Id__c`,
          body: { records: [{ attributes: { type: 'Account' }, Stripe_Customer_Id__c: 'cus_rollback2', Bogus__c: 'x' }] },
        },
      ],
    })) as { compositeResponse: Array<{ httpStatusCode: number; body: Array<{ errorCode: string }> }> };
    expect(res.compositeResponse.map((r) => r.body[0]?.errorCode)).toEqual(['PROCESSING_HALTED', 'INVALID_FIELD']);
    expect(sf.records('Stripe_Payment__c').some((p) => p.Stripe_Id__c === 'pi_rollback')).toBe(false);
  });

  // "If the Composite request has allOrNone set to true, then the all-or-none behavior also applies
  // to each of the sObject Collections subrequests, overriding the value of allOrNone in the
  // subrequests" (REST API Developer Guide, "allOrNone Parameters in Composite and Collections
  // Requests"): a record that fails inside a Collections subrequest rolls back the whole Composite.
  it('applies an allOrNone Composite to its Collections subrequests: one failed record rolls back every subrequest', async () => {
    const upsert = (referenceId: string, keys: string[]) => ({
      method: 'PATCH',
      referenceId,
      url: `/services/data/v${API_VERSION}/composite/sobjects/Stripe_Payment__c/Stripe_Id__c`,
      body: { allOrNone: false, records: keys.map((key) => ({ attributes: { type: 'Stripe_Payment__c' }, Stripe_Id__c: key, Status__c: 'Succeeded' })) },
    });
    const res = (await conn.requestPost(`/services/data/v${API_VERSION}/composite`, {
      allOrNone: true,
      // The first subrequest saves; in the second the duplicated key fails its two records (DUPLICATE_EXTERNAL_ID).
      compositeRequest: [upsert('first', ['pi_outer_first']), upsert('second', ['pi_outer_good', 'pi_outer_dup', 'pi_outer_dup'])],
    })) as { compositeResponse: Array<{ httpStatusCode: number; body: Array<{ errorCode?: string; success?: boolean }> }> };
    const outer = () => sf.records('Stripe_Payment__c').map((p) => String(p.Stripe_Id__c)).filter((k) => k.startsWith('pi_outer_')).sort();
    expect(res.compositeResponse[0]).toMatchObject({ httpStatusCode: 400, body: [{ errorCode: 'PROCESSING_HALTED' }] });
    expect(res.compositeResponse[1]?.body.map((r) => r.success)).toEqual([false, false, false]);
    expect(outer()).toEqual([]);

    // Without the Composite's allOrNone, each Collections subrequest keeps its own (false): the good records stay.
    await conn.requestPost(`/services/data/v${API_VERSION}/composite`, {
      allOrNone: false,
      compositeRequest: [upsert('first', ['pi_outer_first']), upsert('second', ['pi_outer_good', 'pi_outer_dup', 'pi_outer_dup'])],
    });
    expect(outer()).toEqual(['pi_outer_first', 'pi_outer_good']);
  });

  // Validation rules answer FIELD_CUSTOM_VALIDATION_EXCEPTION with the rule's error message and its
  // error location in `fields`, per record in Collections results (SaveResult errors), and as the
  // error body of a single-record save (REST API "Status Codes and Error Responses").
  it('enforces the package precedence rule: a lower Stripe event key than the record holds is rejected', async () => {
    const url = `/services/data/v${API_VERSION}/composite/sobjects/Stripe_Payment__c/Stripe_Id__c`;
    const save = (status: string, version: number) =>
      patch(url, { allOrNone: false, records: [{ attributes: { type: 'Stripe_Payment__c' }, Stripe_Id__c: 'pi_rule', Status__c: status, [VERSION_FIELD]: version }] }) as Promise<
        Array<{ success: boolean; errors: Array<{ statusCode: string; message: string; fields: string[] }> }>
      >;
    expect((await save('Succeeded', 200))[0]?.success).toBe(true);
    const older = await save('Failed', 100);
    expect(older[0]).toMatchObject({ success: false, errors: [{ statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: OLDER_EVENT_RULE.errorMessage, fields: [VERSION_FIELD] }] });
    expect((await save('Succeeded', 200))[0]?.success).toBe(true);
    expect((await save('Refunded', 300))[0]?.success).toBe(true);
    expect(sf.records('Stripe_Payment__c').find((r) => r.Stripe_Id__c === 'pi_rule')).toMatchObject({ Status__c: 'Refunded', [VERSION_FIELD]: 300 });
    // A save that leaves the key alone (a user, a Flow) passes.
    const id = sf.records('Stripe_Payment__c').find((r) => r.Stripe_Id__c === 'pi_rule')?.Id as string;
    await patch(`/services/data/v${API_VERSION}/sobjects/Stripe_Payment__c/${id}`, { Card_Brand__c: 'visa' });
    const single = await requestError(patch(`/services/data/v${API_VERSION}/sobjects/Stripe_Payment__c/${id}`, { [VERSION_FIELD]: 1 }));
    expect(single).toMatchObject({ errorCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', data: { message: OLDER_EVENT_RULE.errorMessage, fields: [VERSION_FIELD] } });
  });

  it('opens no Case for a failure whose payment already holds a newer key, and derives IsClosed from Status', async () => {
    sf.insert('Stripe_Payment__c', { Stripe_Id__c: 'pi_case', Status__c: 'Succeeded', [VERSION_FIELD]: 500 });
    const url = `/services/data/v${API_VERSION}/composite/sobjects/Case/Stripe_Event_Id__c`;
    const open = (eventId: string, version: number) =>
      patch(url, {
        allOrNone: false,
        records: [{ attributes: { type: 'Case' }, Stripe_Event_Id__c: eventId, Subject: 'failed', Stripe_Payment__r: { Stripe_Id__c: 'pi_case' }, [VERSION_FIELD]: version }],
      }) as Promise<Array<{ success: boolean; errors: Array<{ statusCode: string; message: string }> }>>;
    expect((await open('evt_old_failure', 400))[0]).toMatchObject({ success: false, errors: [{ statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: SUPERSEDED_FAILURE_RULE.errorMessage }] });
    expect((await open('evt_new_failure', 600))[0]?.success).toBe(true);
    const created = sf.records('Case').find((c) => c.Stripe_Event_Id__c === 'evt_new_failure');
    expect(created?.Stripe_Payment__c).toBe(sf.records('Stripe_Payment__c').find((r) => r.Stripe_Id__c === 'pi_case')?.Id);
    await patch(`/services/data/v${API_VERSION}/sobjects/Case/${created?.Id as string}`, { Status: 'Closed' });
    expect(sf.records('Case').find((c) => c.Id === created?.Id)?.IsClosed).toBe(true);
  });
});

/**
 * The org's own facts, as Salesforce answers them:
 * - `Organization` is one queryable row with Id, DefaultCurrencyIsoCode, IsSandbox
 *   (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_organization.htm);
 * - `GET /sobjects/Opportunity/describe` lists the fields the org has
 *   (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_describe.htm);
 *   `CurrencyIsoCode` exists only once multi-currency is enabled (Object Reference, Opportunity).
 */
describe('Salesforce stand-in: the org', () => {
  it('plays a single-currency org by default: no CurrencyIsoCode in the describe, INVALID_FIELD in a query', async () => {
    const describe = await conn.sobject('Opportunity').describe();
    expect(describe.fields.map((f) => f.name)).toContain('Amount');
    expect(describe.fields.map((f) => f.name)).not.toContain('CurrencyIsoCode');
    expect(describe.fields.find((f) => f.name === 'Stripe_Payment_Status__c')).toMatchObject({ type: 'picklist', restrictedPicklist: true, custom: true });
    expect(await requestError(conn.query('SELECT Id, CurrencyIsoCode FROM Opportunity'))).toMatchObject({ errorCode: 'INVALID_FIELD' });
    const org = await conn.query<Record<string, unknown>>('SELECT Id, DefaultCurrencyIsoCode, IsSandbox FROM Organization LIMIT 1');
    expect(org.records).toEqual([
      { attributes: { type: 'Organization', url: expect.stringContaining('/sobjects/Organization/00D') }, Id: '00DAb0000000001EAA', DefaultCurrencyIsoCode: 'USD', IsSandbox: false },
    ]);
  });

  it('plays a multi-currency sandbox when told to', async () => {
    const other = await startSalesforceStandIn({ organization: { multiCurrency: true, isSandbox: true, defaultCurrencyIsoCode: 'JPY' } });
    try {
      const c = new Connection({ instanceUrl: other.url, accessToken: other.issueToken(), version: API_VERSION });
      const id = other.insert('Opportunity', { Name: 'Yen deal', CurrencyIsoCode: 'JPY', Amount: 1500 });
      expect((await c.sobject('Opportunity').describe()).fields.map((f) => f.name)).toContain('CurrencyIsoCode');
      expect((await c.query<Record<string, unknown>>(`SELECT CurrencyIsoCode FROM Opportunity WHERE Id = '${id}'`)).records[0]).toMatchObject({ CurrencyIsoCode: 'JPY' });
      expect((await c.query<Record<string, unknown>>('SELECT DefaultCurrencyIsoCode, IsSandbox FROM Organization')).records[0]).toMatchObject({
        DefaultCurrencyIsoCode: 'JPY',
        IsSandbox: true,
      });
    } finally {
      await other.close();
    }
  });
});
