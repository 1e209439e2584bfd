/**
 * One Bulk API 2.0 ingest job through jsforce's bulk2 API against the stand-in, as the Bulk API 2.0
 * and Bulk API Developer Guide documents it: Create a Job (POST /jobs/ingest), Upload Job Data
 * (PUT …/batches, 201), Upload Complete (PATCH state UploadComplete), Get Job Info until
 * JobComplete ("Job States"), Get Job Successful / Failed / Unprocessed Record Results (CSV with
 * `sf__Id`, `sf__Created` / `sf__Error`). Rows: "Valid CSV Record Rows" (quotes, `#N/A` for null, an
 * empty value leaves the field), "Relationship Fields in a Header Row" (`Account__r.Stripe_Customer_Id__c`).
 * `sf__Error` as a real org renders it: `REQUIRED_FIELD_MISSING:Required fields are missing:
 * [Name]:Name --` (jsforce's bulk2 integration test).
 */
import { readFileSync } from 'node:fs';
import { Connection } from 'jsforce/core';
import { afterEach, describe, expect, it } from 'vitest';
import { INTEGRATION_PERMISSION_SET_FILE } from '../../src/local/standins/salesforce-access.js';
import { startSalesforceStandIn, type SalesforceStandIn } from '../../src/local/standins/salesforce-standin.js';
import { bulkCsv, parseBulkError } from '../../src/salesforce/bulk-csv.js';
import { runIngestJob } from '../../src/salesforce/bulk-ingest.js';
import { OLDER_EVENT_RULE, VERSION_FIELD } from '../../src/salesforce/data-model.js';
import { isStaleRejection } from '../../src/salesforce/errors.js';
import type { SalesforceSession } from '../../src/salesforce/session.js';
import { readOnlyGrant, withoutGrant } from '../support/permission-set-edits.js';
import { API_VERSION } from './helpers.js';

const PACKAGE_XML = readFileSync(INTEGRATION_PERMISSION_SET_FILE, 'utf8');
const standIns: SalesforceStandIn[] = [];
afterEach(async () => {
  await Promise.all(standIns.splice(0).map((s) => s.close()));
});

async function org(permissionSetXml?: string) {
  const sf = await startSalesforceStandIn(permissionSetXml === undefined ? {} : { permissionSetXml });
  standIns.push(sf);
  const connection = new Connection({ instanceUrl: sf.url, accessToken: sf.issueToken(), version: API_VERSION });
  const session: SalesforceSession = { connection: async () => connection, renew: async () => connection, logins: 0 };
  let calls = 0;
  const sleeps: number[] = [];
  const deps = {
    session,
    countCall: () => {
      calls += 1;
    },
    sleep: async (ms: number) => {
      sleeps.push(ms);
    },
    now: () => 0,
  };
  return { sf, deps, calls: () => calls, sleeps };
}

const noLookup = (): undefined => undefined;

describe('Bulk API 2.0 ingest job against the stand-in', () => {
  it('upserts by external id: created and updated rows, values as CSV carries them, every request counted', async () => {
    const { sf, deps, calls, sleeps } = await org();
    sf.bulkPollsInProgress = 2;
    const accountId = sf.insert('Account', { Name: 'Acme', Stripe_Customer_Id__c: 'cus_bulk_1' });
    sf.insert('Stripe_Payment__c', { Name: 'pi_old', Stripe_Id__c: 'pi_old', Status__c: 'Processing', Failure_Message__c: 'was declined', Card_Brand__c: 'visa' });
    const { csv } = bulkCsv(
      [
        { key: 'pi_new', fields: { Name: 'pi_new', Stripe_Id__c: 'pi_new', Amount__c: 20.5, Livemode__c: false, Failure_Message__c: 'Declined, "insufficient funds"\nretry later', Account__r: { Stripe_Customer_Id__c: 'cus_bulk_1' } } },
        { key: 'pi_old', fields: { Name: 'pi_old', Stripe_Id__c: 'pi_old', Status__c: 'Succeeded', Failure_Message__c: null } },
      ],
      noLookup,
    );
    const before = sf.apiCalls;

    const result = await runIngestJob({ object: 'Stripe_Payment__c', operation: 'upsert', externalIdFieldName: 'Stripe_Id__c', csv }, deps);

    expect(result).toMatchObject({ state: 'JobComplete', failed: [], unprocessed: [] });
    expect(result.successful.map((r) => [r['Stripe_Id__c'], r['sf__Created']])).toEqual([
      ['pi_new', 'true'],
      ['pi_old', 'false'],
    ]);
    const rows = new Map(sf.records('Stripe_Payment__c').map((r) => [r['Stripe_Id__c'], r]));
    expect(rows.get('pi_new')).toMatchObject({ Amount__c: 20.5, Livemode__c: false, Account__c: accountId, Failure_Message__c: 'Declined, "insufficient funds"\nretry later' });
    // #N/A set the field to null; the empty Card_Brand__c cell left it as it was.
    expect(rows.get('pi_old')).toMatchObject({ Status__c: 'Succeeded', Failure_Message__c: null, Card_Brand__c: 'visa' });
    // create, upload, close, three polls (two InProgress), successful results: failed and unprocessed were empty.
    expect(calls()).toBe(7);
    expect(sf.apiCalls - before).toBe(calls());
    expect(sleeps).toEqual([1000, 2000, 4000]);
    const paths = sf.requests.slice(-7).map((r) => `${r.method} ${r.path.replace(/^.*\/jobs\/ingest/, '').replace(/\/750\w+/, '/<job>')}`);
    expect(paths).toEqual(['POST ', 'PUT /<job>/batches', 'PATCH /<job>', 'GET /<job>', 'GET /<job>', 'GET /<job>', 'GET /<job>/successfulResults']);
  });

  it('refuses a row older than the record through the precedence rule, in failedResults, readable as stale', async () => {
    const { sf, deps } = await org();
    sf.insert('Stripe_Invoice__c', { Name: 'in_1', Stripe_Id__c: 'in_1', Status__c: 'Paid', [VERSION_FIELD]: 200 });
    const { csv } = bulkCsv(
      [
        { key: 'in_1', fields: { Name: 'in_1', Stripe_Id__c: 'in_1', Status__c: 'Open', [VERSION_FIELD]: 100 } },
        { key: 'in_2', fields: { Name: 'in_2', Stripe_Id__c: 'in_2', Status__c: 'Open', [VERSION_FIELD]: 100 } },
      ],
      noLookup,
    );

    const result = await runIngestJob({ object: 'Stripe_Invoice__c', operation: 'upsert', externalIdFieldName: 'Stripe_Id__c', csv }, deps);

    expect(result.successful.map((r) => r['Stripe_Id__c'])).toEqual(['in_2']);
    expect(result.failed).toHaveLength(1);
    const error = result.failed[0]?.['sf__Error'] ?? '';
    expect(error).toBe(`FIELD_CUSTOM_VALIDATION_EXCEPTION:${OLDER_EVENT_RULE.errorMessage}:${VERSION_FIELD} --`);
    const parsed = parseBulkError(error);
    expect(parsed).toEqual({ errorCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: OLDER_EVENT_RULE.errorMessage, fields: [VERSION_FIELD] });
    expect(isStaleRejection(parsed.errorCode, parsed.message, parsed.fields)).toBe(true);
    expect(sf.records('Stripe_Invoice__c').find((r) => r['Stripe_Id__c'] === 'in_1')).toMatchObject({ Status__c: 'Paid' });
  });

  it('applies field-level security: a read-only field fails its row; a hidden column fails the job, every row unprocessed', async () => {
    const readOnly = await org(readOnlyGrant(PACKAGE_XML, 'Stripe_Payment__c.Failure_Message__c'));
    const rows = [{ key: 'pi_1', fields: { Name: 'pi_1', Stripe_Id__c: 'pi_1', Failure_Message__c: 'declined' } }];
    const refused = await runIngestJob({ object: 'Stripe_Payment__c', operation: 'upsert', externalIdFieldName: 'Stripe_Id__c', csv: bulkCsv(rows, noLookup).csv }, readOnly.deps);
    expect(refused.state).toBe('JobComplete');
    expect(parseBulkError(refused.failed[0]?.['sf__Error'] ?? '')).toMatchObject({ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['Failure_Message__c'] });

    const hidden = await org(withoutGrant(PACKAGE_XML, 'fieldPermissions', 'Stripe_Payment__c.Failure_Message__c'));
    const failed = await runIngestJob({ object: 'Stripe_Payment__c', operation: 'upsert', externalIdFieldName: 'Stripe_Id__c', csv: bulkCsv(rows, noLookup).csv }, hidden.deps);
    expect(failed).toMatchObject({ state: 'Failed', errorMessage: 'InvalidBatch : Field name not found : Failure_Message__c', successful: [] });
    expect(failed.unprocessed.map((r) => r['Stripe_Id__c'])).toEqual(['pi_1']);
    expect(hidden.sf.records('Stripe_Payment__c')).toHaveLength(0);
  });

  it('updates by Id, and refuses an upsert on a field that is no external id when the job is created', async () => {
    const { sf, deps } = await org();
    const opportunityId = sf.insert('Opportunity', { Name: 'Deal', StageName: 'Closed Won' });
    const { csv } = bulkCsv([{ key: opportunityId, fields: { Stripe_Payment_Status__c: 'Paid', Id: opportunityId } }], noLookup);
    const updated = await runIngestJob({ object: 'Opportunity', operation: 'update', csv }, deps);
    expect(updated.successful.map((r) => r['Id'])).toEqual([opportunityId]);
    expect(sf.records('Opportunity')[0]).toMatchObject({ Stripe_Payment_Status__c: 'Paid' });

    await expect(runIngestJob({ object: 'Stripe_Payment__c', operation: 'upsert', externalIdFieldName: 'Name', csv: 'Name\nx\n' }, deps)).rejects.toMatchObject({
      errorCode: 'INVALIDJOB',
    });
  });
});
