/**
 * Object permissions (Read, Create, Edit, Delete) for the integration user, whose Minimum Access –
 * API Only Integrations profile grants none: each operation is refused without the one permission
 * Salesforce requires for it and goes through with it.
 *
 * - A query, or a record URL, of an object without Read: the object does not exist for the user,
 *   INVALID_TYPE "sObject type 'X' is not supported." in SOQL (as for an unknown object).
 * - Insert without Create, update without Edit, upsert without Create when it inserts or without
 *   Edit when it updates, delete without Delete: the record fails with
 *   INSUFFICIENT_ACCESS_OR_READONLY "insufficient access rights on object id" — "When a user inserts,
 *   updates, or deletes a record, Salesforce checks … the user's object permissions (CRUD) and their
 *   record-level access (sharing). If either is missing … the operation is rejected with
 *   INSUFFICIENT_ACCESS_OR_READONLY: insufficient access rights on object id"
 *   (https://agentforceaccess.com/blog/insufficient-access-rights-on-object-id).
 * - Bulk API 2.0 ingest: the same per-record error in the job's failedResults (`sf__Error`
 *   `STATUS_CODE:message:fields --`, as salesforce-bulk-ingest.ts renders it).
 */
import { readFileSync } from 'node:fs';
import { Connection } from 'jsforce/core';
import { afterAll, describe, expect, it } from 'vitest';
import { INTEGRATION_PERMISSION_SET_FILE } from '../../src/local/standins/salesforce-access.js';
import { startSalesforceStandIn, type SalesforceStandIn } from '../../src/local/standins/salesforce-standin.js';
import { bulkCsv } from '../../src/salesforce/bulk-csv.js';
import { runIngestJob } from '../../src/salesforce/bulk-ingest.js';
import type { SalesforceSession } from '../../src/salesforce/session.js';
import { objectPermissionFlags, withoutGrant, type ObjectPermissionFlag } from '../support/permission-set-edits.js';
import { API_VERSION } from './helpers.js';

const PACKAGE_XML = readFileSync(INTEGRATION_PERMISSION_SET_FILE, 'utf8');
const OBJECT = 'Stripe_Payment__c';
const ALL: Record<ObjectPermissionFlag, boolean> = { allowRead: true, allowCreate: true, allowEdit: true, allowDelete: true, modifyAllRecords: false, viewAllRecords: false };

const standIns: SalesforceStandIn[] = [];
afterAll(async () => {
  await Promise.all(standIns.map((s) => s.close()));
});

interface Org {
  readonly sf: SalesforceStandIn;
  readonly conn: Connection;
  /** A payment an admin created (Stripe_Id__c pi_existing). */
  readonly existingId: string;
}

async function org(permissionSetXml: string): Promise<Org> {
  const sf = await startSalesforceStandIn({ permissionSetXml });
  standIns.push(sf);
  const existingId = sf.insert(OBJECT, { Name: 'pi_existing', Stripe_Id__c: 'pi_existing', Status__c: 'Processing' });
  return { sf, conn: new Connection({ instanceUrl: sf.url, accessToken: sf.issueToken(), version: API_VERSION }), existingId };
}

/** What one operation came to: ok, or the error code and message Salesforce answered. */
type Outcome = { readonly ok: true } | { readonly ok: false; readonly errorCode: string; readonly message: string; readonly status?: number };

interface WireError {
  readonly statusCode?: string;
  readonly errorCode?: string;
  readonly message: string;
}
interface SaveResultWire {
  readonly success: boolean;
  readonly errors: readonly WireError[];
}

async function raw(o: Org, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${o.sf.url}/services/data/v${API_VERSION}${path}`, {
    method,
    headers: { authorization: `Bearer ${o.conn.accessToken ?? ''}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** A single-record reply: 2xx, or a 4xx error array. */
function single(reply: { status: number; body: unknown }): Outcome {
  if (reply.status < 300) return { ok: true };
  const [error] = reply.body as WireError[];
  return { ok: false, status: reply.status, errorCode: error?.errorCode ?? error?.statusCode ?? '', message: error?.message ?? '' };
}

/** An sObject Collections reply: the first record's SaveResult. */
function collection(reply: { status: number; body: unknown }): Outcome {
  if (reply.status >= 300) return single(reply);
  const [result] = reply.body as SaveResultWire[];
  if (result?.success === true) return { ok: true };
  return { ok: false, errorCode: result?.errors[0]?.statusCode ?? '', message: result?.errors[0]?.message ?? '' };
}

const record = (stripeId: string, fields: Record<string, unknown> = {}) => ({ attributes: { type: OBJECT }, Name: stripeId, Stripe_Id__c: stripeId, ...fields });

const REFUSED = { ok: false, errorCode: 'INSUFFICIENT_ACCESS_OR_READONLY', message: 'insufficient access rights on object id' } as const;

interface Row {
  readonly operation: string;
  /** The permission set without what the operation needs (the rest of the object's permissions kept). */
  readonly without: string;
  readonly run: (o: Org) => Promise<Outcome>;
  readonly refused: Outcome;
}

const ROWS: readonly Row[] = [
  {
    operation: 'query (SOQL)',
    without: withoutGrant(PACKAGE_XML, 'objectPermissions', OBJECT),
    run: async (o) => single(await raw(o, 'GET', `/query?q=${encodeURIComponent(`SELECT Id FROM ${OBJECT}`)}`)),
    refused: { ok: false, status: 400, errorCode: 'INVALID_TYPE', message: `sObject type '${OBJECT}' is not supported.` },
  },
  {
    operation: 'read by Id (sObject Rows)',
    without: withoutGrant(PACKAGE_XML, 'objectPermissions', OBJECT),
    run: async (o) => single(await raw(o, 'GET', `/sobjects/${OBJECT}/${o.existingId}`)),
    refused: { ok: false, status: 404, errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' },
  },
  {
    operation: 'insert (sObject Basic Information POST)',
    without: objectPermissionFlags(PACKAGE_XML, OBJECT, { ...ALL, allowCreate: false }),
    run: async (o) => single(await raw(o, 'POST', `/sobjects/${OBJECT}`, { Name: 'pi_new', Stripe_Id__c: 'pi_new' })),
    refused: { ...REFUSED, status: 400 },
  },
  {
    operation: 'insert (sObject Collections POST)',
    without: objectPermissionFlags(PACKAGE_XML, OBJECT, { ...ALL, allowCreate: false }),
    run: async (o) => collection(await raw(o, 'POST', '/composite/sobjects', { allOrNone: false, records: [record('pi_new')] })),
    refused: REFUSED,
  },
  {
    operation: 'update (sObject Rows PATCH)',
    without: objectPermissionFlags(PACKAGE_XML, OBJECT, { ...ALL, allowEdit: false, allowDelete: false }),
    run: async (o) => single(await raw(o, 'PATCH', `/sobjects/${OBJECT}/${o.existingId}`, { Status__c: 'Succeeded' })),
    refused: { ...REFUSED, status: 400 },
  },
  {
    operation: 'update (sObject Collections PATCH)',
    without: objectPermissionFlags(PACKAGE_XML, OBJECT, { ...ALL, allowEdit: false, allowDelete: false }),
    run: async (o) => collection(await raw(o, 'PATCH', '/composite/sobjects', { allOrNone: false, records: [{ attributes: { type: OBJECT }, Id: o.existingId, Status__c: 'Succeeded' }] })),
    refused: REFUSED,
  },
  {
    operation: 'upsert that inserts (sObject Collections)',
    without: objectPermissionFlags(PACKAGE_XML, OBJECT, { ...ALL, allowCreate: false }),
    run: async (o) => collection(await raw(o, 'PATCH', `/composite/sobjects/${OBJECT}/Stripe_Id__c`, { allOrNone: false, records: [record('pi_new')] })),
    refused: REFUSED,
  },
  {
    operation: 'upsert that updates (sObject Collections)',
    without: objectPermissionFlags(PACKAGE_XML, OBJECT, { ...ALL, allowEdit: false, allowDelete: false }),
    run: async (o) => collection(await raw(o, 'PATCH', `/composite/sobjects/${OBJECT}/Stripe_Id__c`, { allOrNone: false, records: [record('pi_existing', { Status__c: 'Succeeded' })] })),
    refused: REFUSED,
  },
  {
    operation: 'upsert that inserts (sObject Rows by External ID)',
    without: objectPermissionFlags(PACKAGE_XML, OBJECT, { ...ALL, allowCreate: false }),
    run: async (o) => single(await raw(o, 'PATCH', `/sobjects/${OBJECT}/Stripe_Id__c/pi_new`, { Name: 'pi_new' })),
    refused: { ...REFUSED, status: 400 },
  },
  {
    operation: 'insert inside Composite',
    without: objectPermissionFlags(PACKAGE_XML, OBJECT, { ...ALL, allowCreate: false }),
    run: async (o) => {
      const reply = await raw(o, 'POST', '/composite', {
        compositeRequest: [{ method: 'POST', url: `/services/data/v${API_VERSION}/sobjects/${OBJECT}`, referenceId: 'p', body: { Name: 'pi_new', Stripe_Id__c: 'pi_new' } }],
      });
      const [sub] = (reply.body as { compositeResponse: Array<{ httpStatusCode: number; body: unknown }> }).compositeResponse;
      return single({ status: sub?.httpStatusCode ?? 0, body: sub?.body });
    },
    refused: { ...REFUSED, status: 400 },
  },
  {
    operation: 'delete (sObject Rows DELETE)',
    without: objectPermissionFlags(PACKAGE_XML, OBJECT, { ...ALL, allowDelete: false }),
    run: async (o) => single(await raw(o, 'DELETE', `/sobjects/${OBJECT}/${o.existingId}`)),
    refused: { ...REFUSED, status: 400 },
  },
  {
    operation: 'delete (sObject Collections DELETE)',
    without: objectPermissionFlags(PACKAGE_XML, OBJECT, { ...ALL, allowDelete: false }),
    run: async (o) => collection(await raw(o, 'DELETE', `/composite/sobjects?ids=${o.existingId}&allOrNone=false`)),
    refused: REFUSED,
  },
  {
    operation: 'insert (Bulk API 2.0 ingest job)',
    without: objectPermissionFlags(PACKAGE_XML, OBJECT, { ...ALL, allowCreate: false }),
    run: async (o) => {
      const session: SalesforceSession = { connection: async () => o.conn, renew: async () => o.conn, logins: 0 };
      const { csv } = bulkCsv([{ key: 'pi_new', fields: { Name: 'pi_new', Stripe_Id__c: 'pi_new' } }], () => undefined);
      const result = await runIngestJob(
        { object: OBJECT, operation: 'upsert', externalIdFieldName: 'Stripe_Id__c', csv },
        { session, countCall: () => undefined, sleep: async () => undefined, now: () => 0 },
      );
      const failed = result.failed[0];
      if (failed === undefined) return { ok: true };
      const [errorCode = '', message = ''] = (failed['sf__Error'] ?? '').split(':');
      return { ok: false, errorCode, message };
    },
    refused: REFUSED,
  },
];

describe('object permissions of the integration user (stand-in)', () => {
  it.each(ROWS)('$operation: refused without the permission', async ({ without, run, refused }) => {
    const o = await org(without);
    expect(await run(o)).toEqual(refused);
    // Nothing changed: the admin's view still holds the one payment, as it was.
    expect(o.sf.records(OBJECT)).toEqual([expect.objectContaining({ Stripe_Id__c: 'pi_existing', Status__c: 'Processing' })]);
  });

  it.each(ROWS)('$operation: goes through with it', async ({ run }) => {
    const o = await org(objectPermissionFlags(PACKAGE_XML, OBJECT, ALL));
    expect(await run(o)).toEqual({ ok: true });
  });

  it('Edit alone does not insert and Create alone does not update: an upsert needs the one its match calls for', async () => {
    const createOnly = await org(objectPermissionFlags(PACKAGE_XML, OBJECT, { ...ALL, allowEdit: false, allowDelete: false }));
    const upsert = (o: Org, ids: string[]) =>
      raw(o, 'PATCH', `/composite/sobjects/${OBJECT}/Stripe_Id__c`, { allOrNone: false, records: ids.map((id) => record(id, { Status__c: 'Succeeded' })) });
    const mixed = (await upsert(createOnly, ['pi_new', 'pi_existing'])).body as SaveResultWire[];
    expect(mixed.map((r) => r.success)).toEqual([true, false]);
    expect(mixed[1]?.errors[0]).toMatchObject({ statusCode: 'INSUFFICIENT_ACCESS_OR_READONLY' });

    const editOnly = await org(objectPermissionFlags(PACKAGE_XML, OBJECT, { ...ALL, allowCreate: false, allowDelete: false }));
    const other = (await upsert(editOnly, ['pi_new', 'pi_existing'])).body as SaveResultWire[];
    expect(other.map((r) => r.success)).toEqual([false, true]);
  });

  it('a deleted record goes to the Recycle Bin: a lookup to it is refused with ENTITY_IS_DELETED, to a purged one with INVALID_CROSS_REFERENCE_KEY', async () => {
    const o = await org(PACKAGE_XML);
    const accountId = o.sf.insert('Account', { Name: 'Acme' });
    o.sf.recycle('Account', accountId);
    const task = { attributes: { type: 'Task' }, Subject: 'Renewal', WhatId: accountId, Stripe_Task_Key__c: 'k1' };
    const binned = (await raw(o, 'PATCH', '/composite/sobjects/Task/Stripe_Task_Key__c', { records: [task] })).body as SaveResultWire[];
    expect(binned[0]).toEqual({ success: false, errors: [{ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }] });
    expect(single(await raw(o, 'GET', `/query?q=${encodeURIComponent('SELECT Id FROM Account')}`))).toEqual({ ok: true });
    expect(o.sf.records('Account')).toEqual([]);

    o.sf.purge('Account', accountId);
    const purged = (await raw(o, 'PATCH', '/composite/sobjects/Task/Stripe_Task_Key__c', { records: [task] })).body as SaveResultWire[];
    expect(purged[0]?.errors[0]).toMatchObject({ statusCode: 'INVALID_CROSS_REFERENCE_KEY', fields: ['WhatId'] });
  });
});
