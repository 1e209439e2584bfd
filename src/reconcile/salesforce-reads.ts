/** The drift report's Salesforce reads: records by their Stripe id, one SOQL query per chunk. */
import type { SObjectName } from '../contracts/salesforce-mutation.js';
import { withSession, type SalesforceSession } from '../salesforce/session.js';
import type { DriftPorts } from './drift.js';

/** Stripe ids are letters, digits and underscores; anything else is not queried. */
const STRIPE_ID = /^[A-Za-z0-9_]+$/;

export function salesforceRecordReader(session: SalesforceSession): DriftPorts['readRecords'] {
  return async (sobject: SObjectName, ids, fields) => {
    const safe = ids.filter((id) => STRIPE_ID.test(id));
    if (safe.length === 0) return new Map();
    const soql = `SELECT Stripe_Id__c, ${fields.join(', ')} FROM ${sobject} WHERE Stripe_Id__c IN (${safe.map((id) => `'${id}'`).join(', ')})`;
    const result = await withSession(session, async (connection) => connection.query<Record<string, unknown>>(soql, { autoFetch: true, maxFetch: safe.length }));
    const records = new Map<string, Readonly<Record<string, unknown>>>();
    for (const record of result.records) {
      const id = record['Stripe_Id__c'];
      if (typeof id === 'string') records.set(id, record);
    }
    return records;
  };
}
