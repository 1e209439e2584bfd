/**
 * The stand-in answers as the bridge's integration user would be answered in a real org: the
 * Minimum Access – API Only Integrations profile grants nothing, so what the package's permission
 * set does not grant is not there. Salesforce uses one message for a missing field and for a
 * field hidden by field-level security: "INVALID_FIELD: No such column 'X' on entity 'Y'"
 * (https://salesforcedictionary.com/errors/invalid-field-no-such-column; on writes "No such column
 * 'npsp__Batch_Number__c' on sobject of type npe01__OppPayment__c" for a field without access,
 * https://help.wegive.com/how-to-check-and-update-salesforce-field-level-permissions-for-the-system-administrator-profile).
 */
import { readFileSync } from 'node:fs';
import { Connection } from 'jsforce/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTEGRATION_PERMISSION_SET_FILE } from '../../src/local/standins/salesforce-access.js';
import { readOnlyGrant, withoutGrant } from '../support/permission-set-edits.js';
import { startSalesforceStandIn, type SalesforceStandIn } from '../../src/local/standins/salesforce-standin.js';
import { API_VERSION, requestError } from './helpers.js';

const PACKAGE_XML = readFileSync(INTEGRATION_PERMISSION_SET_FILE, 'utf8');

const standIns: SalesforceStandIn[] = [];
async function connect(permissionSetXml?: string): Promise<{ sf: SalesforceStandIn; conn: Connection; opportunityId: string }> {
  const sf = await startSalesforceStandIn(permissionSetXml === undefined ? {} : { permissionSetXml });
  standIns.push(sf);
  const accountId = sf.insert('Account', { Name: 'Acme', BillingCity: 'Berlin' });
  const opportunityId = sf.insert('Opportunity', { Name: 'Acme deal', AccountId: accountId, Amount: 300, StageName: 'Closed Won' });
  sf.insert('OpportunityLineItem', { OpportunityId: opportunityId, Quantity: 2, UnitPrice: 100, TotalPrice: 200, Description: 'Seats' });
  const conn = new Connection({ instanceUrl: sf.url, accessToken: sf.issueToken(), version: API_VERSION });
  return { sf, conn, opportunityId };
}

let pkg: Awaited<ReturnType<typeof connect>>;
beforeAll(async () => {
  pkg = await connect();
});
afterAll(async () => {
  await Promise.all(standIns.map((s) => s.close()));
});

describe('Salesforce stand-in as the integration user', () => {
  it('reads what the package grants: standard fields, a compound address component, fields without FLS', async () => {
    const result = await pkg.conn.query<Record<string, any>>(
      `SELECT Id, Name, Amount, StageName, Account.Name, Account.BillingCity, (SELECT Name, Quantity, Description FROM OpportunityLineItems) FROM Opportunity WHERE Id = '${pkg.opportunityId}'`,
    );
    expect(result.records[0]).toMatchObject({ Name: 'Acme deal', Amount: 300, StageName: 'Closed Won', Account: { BillingCity: 'Berlin' } });
    expect(result.records[0]?.OpportunityLineItems.records[0]).toMatchObject({ Quantity: 2, Description: 'Seats' });
  });

  it('answers INVALID_FIELD for a field the permission set does not grant, in SOQL and in writes', async () => {
    const column = await requestError(pkg.conn.query(`SELECT Id, (SELECT TotalPrice FROM OpportunityLineItems) FROM Opportunity`));
    expect(column).toMatchObject({ errorCode: 'INVALID_FIELD', message: expect.stringContaining("No such column 'TotalPrice' on entity 'OpportunityLineItem'") });
    const write = await requestError(pkg.conn.sobject('Case').create({ Subject: 'x', Origin: 'Web' }));
    expect(write).toMatchObject({ errorCode: 'INVALID_FIELD', message: "No such column 'Origin' on sobject of type Case" });
  });

  it('answers INVALID_FIELD_FOR_INSERT_UPDATE for a field granted read only', async () => {
    const err = await requestError(pkg.conn.sobject('Opportunity').update({ Id: pkg.opportunityId, Stripe_Payment_Mode__c: 'invoice' }));
    expect(err.errorCode).toBe('INVALID_FIELD_FOR_INSERT_UPDATE');
    expect(err.message).toContain('Unable to update fields: Stripe_Payment_Mode__c');
  });

  it('follows the permission set it is given: a removed field grant is a missing column', async () => {
    const { conn, opportunityId } = await connect(withoutGrant(PACKAGE_XML, 'fieldPermissions', 'Opportunity.Amount'));
    const err = await requestError(conn.query(`SELECT Id, Amount FROM Opportunity WHERE Id = '${opportunityId}'`));
    expect(err).toMatchObject({ errorCode: 'INVALID_FIELD', message: expect.stringContaining("No such column 'Amount' on entity 'Opportunity'") });
  });

  it('hides an object the permission set does not grant, and its line items with it', async () => {
    const { conn } = await connect(withoutGrant(PACKAGE_XML, 'objectPermissions', 'Opportunity'));
    const parent = await requestError(conn.query('SELECT Id FROM Opportunity'));
    expect(parent).toMatchObject({ errorCode: 'INVALID_TYPE', message: "sObject type 'Opportunity' is not supported." });
    const lines = await requestError(conn.query('SELECT Id FROM OpportunityLineItem'));
    expect(lines.errorCode).toBe('INVALID_TYPE');
  });

  it('refuses a relationship write through a lookup the user cannot edit', async () => {
    const { conn } = await connect(readOnlyGrant(PACKAGE_XML, 'Stripe_Payment__c.Account__c'));
    const results = (await conn.request({
      method: 'PATCH',
      url: `/services/data/v${API_VERSION}/composite/sobjects/Stripe_Payment__c/Stripe_Id__c`,
      body: JSON.stringify({ records: [{ attributes: { type: 'Stripe_Payment__c' }, Stripe_Id__c: 'pi_1', Account__r: { Stripe_Customer_Id__c: 'cus_1' } }] }),
      headers: { 'content-type': 'application/json' },
    })) as Array<{ success: boolean; errors: Array<{ statusCode: string; fields: string[] }> }>;
    expect(results[0]).toMatchObject({ success: false, errors: [{ statusCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['Account__c'] }] });
  });

  // CaseComment has no object or field permissions of its own: its access follows the parent Case
  // (Object Reference, CaseComment; src/salesforce/integration-access.ts), so the bridge can
  // comment on a Case exactly when it can edit the Case.
  it('creates an internal CaseComment on a Case it can edit, and refuses it when the Case is read only', async () => {
    const comment = (conn: Connection, parentId: string) =>
      conn.request({
        method: 'POST',
        url: `/services/data/v${API_VERSION}/composite/sobjects`,
        body: JSON.stringify({ allOrNone: false, records: [{ attributes: { type: 'CaseComment' }, ParentId: parentId, CommentBody: 'Paid in Stripe', IsPublished: false }] }),
        headers: { 'content-type': 'application/json' },
      }) as Promise<Array<{ success: boolean; errors: Array<{ statusCode: string; fields: string[] }> }>>;
    const caseId = pkg.sf.insert('Case', { Subject: 'Stripe payment failed' });
    expect((await comment(pkg.conn, caseId))[0]).toMatchObject({ success: true });
    expect(pkg.sf.records('CaseComment').filter((c) => c.ParentId === caseId)).toEqual([expect.objectContaining({ CommentBody: 'Paid in Stripe', IsPublished: false })]);

    const readOnlyCase = PACKAGE_XML.replace(
      /<allowCreate>true<\/allowCreate>(\s*<allowDelete>false<\/allowDelete>\s*)<allowEdit>true<\/allowEdit>(\s*<allowRead>true<\/allowRead>\s*<modifyAllRecords>false<\/modifyAllRecords>\s*<object>Case<\/object>)/,
      '<allowCreate>false</allowCreate>$1<allowEdit>false</allowEdit>$2',
    );
    expect(readOnlyCase).not.toBe(PACKAGE_XML);
    const other = await connect(readOnlyCase);
    const otherCase = other.sf.insert('Case', { Subject: 'Stripe payment failed' });
    const refused = (await comment(other.conn, otherCase))[0];
    expect(refused?.success).toBe(false);
    // Object permissions come first: without Edit on the Case, no Create on its comments.
    expect(refused?.errors.map((e) => e.statusCode)).toEqual(['INSUFFICIENT_ACCESS_OR_READONLY']);
    expect(other.sf.records('CaseComment')).toEqual([]);
  });
});
