/**
 * Renewal Tasks as the integration user sees them: Task has no object permissions, the "Edit
 * Tasks" user permission lets a user create and edit Tasks, and its fields are secured by
 * field-level security named `Task.…` (custom Activity fields included); Subject, WhatId,
 * OwnerId, Status and Priority have none (Status and Priority take the org's defaults). The stand-in
 * enforces the generated permission set; without a grant the write fails as in a real org.
 */
import { readFileSync } from 'node:fs';
import { Connection } from 'jsforce/core';
import { afterAll, describe, expect, it } from 'vitest';
import { INTEGRATION_PERMISSION_SET_FILE } from '../../src/local/standins/salesforce-access.js';
import { startSalesforceStandIn, type SalesforceStandIn } from '../../src/local/standins/salesforce-standin.js';
import { withoutGrant } from '../support/permission-set-edits.js';
import { API_VERSION, requestError } from './helpers.js';

const PACKAGE_XML = readFileSync(INTEGRATION_PERMISSION_SET_FILE, 'utf8');
const standIns: SalesforceStandIn[] = [];
afterAll(async () => {
  await Promise.all(standIns.map((s) => s.close()));
});

async function connect(permissionSetXml: string) {
  const sf = await startSalesforceStandIn({ permissionSetXml });
  standIns.push(sf);
  const ownerId = sf.insert('User', { Name: 'Account Owner' });
  const accountId = sf.insert('Account', { Name: 'Acme', Stripe_Customer_Id__c: 'cus_test_tasks', OwnerId: ownerId });
  const conn = new Connection({ instanceUrl: sf.url, accessToken: sf.issueToken(), version: API_VERSION });
  return { sf, conn, ownerId, accountId };
}

const task = (accountId: string, ownerId: string) => ({
  Stripe_Task_Key__c: 'renewal:sub_test_tasks:1767830400',
  Subject: 'Renewal in 7 days: 1,200.00 EUR',
  Description: 'Stripe subscription sub_test_tasks renews on 2026-01-08 (UTC).',
  ActivityDate: '2026-01-08',
  WhatId: accountId,
  OwnerId: ownerId,
});

describe('Task as the integration user', () => {
  it('with the package permission set: reads the Account owner, upserts the Task on its key (twice: one Task), org defaults for Status and Priority', async () => {
    const { sf, conn, ownerId, accountId } = await connect(PACKAGE_XML);
    const owners = await conn.query<Record<string, unknown>>("SELECT Id, OwnerId FROM Account WHERE Stripe_Customer_Id__c IN ('cus_test_tasks')");
    expect(owners.records[0]).toMatchObject({ Id: accountId, OwnerId: ownerId });
    for (let i = 0; i < 2; i++) await conn.sobject('Task').upsert(task(accountId, ownerId), 'Stripe_Task_Key__c');
    expect(sf.records('Task')).toEqual([expect.objectContaining({ Subject: 'Renewal in 7 days: 1,200.00 EUR', OwnerId: ownerId, Status: 'Not Started', Priority: 'Normal' })]);
  });

  it('without the field-level security of Task.Description: INVALID_FIELD, nothing written', async () => {
    const { sf, conn, ownerId, accountId } = await connect(withoutGrant(PACKAGE_XML, 'fieldPermissions', 'Task.Description'));
    const err = await requestError(conn.sobject('Task').upsert(task(accountId, ownerId), 'Stripe_Task_Key__c'));
    expect(err.errorCode).toBe('INVALID_FIELD');
    expect(sf.records('Task')).toEqual([]);
  });

  it('without Edit Tasks: the Task cannot be written', async () => {
    const withoutEditTask = PACKAGE_XML.replace(/\s*<userPermissions>\s*<enabled>true<\/enabled>\s*<name>EditTask<\/name>\s*<\/userPermissions>/, '');
    expect(withoutEditTask).not.toBe(PACKAGE_XML);
    const { sf, conn, ownerId, accountId } = await connect(withoutEditTask);
    await expect(conn.sobject('Task').upsert(task(accountId, ownerId), 'Stripe_Task_Key__c')).rejects.toThrow();
    expect(sf.records('Task')).toEqual([]);
  });
});
