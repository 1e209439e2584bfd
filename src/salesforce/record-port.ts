/**
 * Generic record access for the service commands (commands/service-ports.ts), through the
 * outbound function's cached session: every failure comes out classified (withSession).
 */
import type { ServiceRecords } from '../commands/service-ports.js';
import { rawMessage } from '../outbound/salesforce-records.js';
import { isStaleRejection, SalesforcePermanentError } from './errors.js';
import { withSession, type SalesforceSession } from './session.js';

export function salesforceServiceRecords(session: SalesforceSession): ServiceRecords {
  const prefixes = new Map<string, Promise<string | undefined>>();
  return {
    async query(soql) {
      return (await withSession(session, async (connection) => connection.query<Record<string, unknown>>(soql))).records;
    },
    async upsert(sobject, externalIdField, record) {
      try {
        await withSession(session, async (connection) => {
          const result = await connection.sobject(sobject).upsert(record as Record<string, unknown> & { [key: string]: unknown }, externalIdField);
          if (!result.success) throw new Error(`${sobject} upsert failed`);
        });
        return 'applied';
      } catch (err) {
        if (err instanceof SalesforcePermanentError && isStaleRejection(err.errorCode, rawMessage(err), err.fields)) return 'stale';
        throw err;
      }
    },
    async update(sobject, record) {
      await withSession(session, async (connection) => {
        await connection.sobject(sobject).update(record as { Id: string });
      });
    },
    keyPrefix(sobject) {
      let prefix = prefixes.get(sobject);
      if (prefix === undefined) {
        prefix = withSession(session, async (connection) => (await connection.sobject(sobject).describe()).keyPrefix ?? undefined);
        prefixes.set(sobject, prefix);
        // A failed describe is not an answer: the next command asks again.
        prefix.catch(() => prefixes.delete(sobject));
      }
      return prefix;
    },
  };
}
