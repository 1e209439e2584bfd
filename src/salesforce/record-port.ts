/**
 * Generic record access for the service commands (commands/service-ports.ts), through the
 * outbound function's cached session: every failure comes out classified (withSession).
 */

export type SalesforceRow = Readonly<Record<string, unknown>>;

export interface ServiceRecords {
  /** The rows of one SOQL query (first page: the service commands read a handful). */
  query(soql: string): Promise<SalesforceRow[]>;
  /**
   * Upserts one record on an external id. `stale` when Salesforce refused it because the record
   * already shows a newer state (the precedence rule, contracts/precedence).
   */
  upsert(sobject: string, externalIdField: string, record: Readonly<Record<string, unknown>>): Promise<'applied' | 'stale'>;
  update(sobject: string, record: Readonly<Record<string, unknown>> & { readonly Id: string }): Promise<void>;
  /**
   * The key prefix of an object's record ids (its describe's `keyPrefix`): fixed for standard
   * objects, chosen per org for custom ones. Read once per cold start.
   */
  keyPrefix(sobject: string): Promise<string | undefined>;
}
import { isStaleRejection, rawMessage, SalesforcePermanentError } from './errors.js';
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
