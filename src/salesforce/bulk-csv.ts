/**
 * Records as Bulk API 2.0 CSV, and Salesforce's per-row errors read back. Pure.
 *
 * "Prepare CSV Files", "Valid CSV Record Rows" and "Relationship Fields in a Header Row" (Bulk API
 * 2.0 and Bulk API Developer Guide): the header names each field by API name; a lookup by external
 * id is the column `RelationshipName.IndexedFieldName` (`Account__r.Stripe_Customer_Id__c`); a value
 * with a comma, a quote or a line break is quoted, quotes doubled; an empty value leaves the field
 * as it is (what leaving a key out of a JSON record does), `#N/A` sets it to null.
 */
import type { SalesforceFieldValue } from '../contracts/salesforce-mutation.js';

/** Bulk API 2.0's null ("Valid CSV Record Rows"). */
export const BULK_NULL = '#N/A';

export interface BulkRow {
  /** The record's key value as it goes in the key column: what its results are matched on. */
  readonly key: string;
  readonly fields: Readonly<Record<string, SalesforceFieldValue | undefined>>;
}

function cell(value: SalesforceFieldValue | undefined): string {
  if (value === undefined) return '';
  // Salesforce stores an empty text as null; in a CSV an empty cell would mean "leave it".
  if (value === null || value === '') return BULK_NULL;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value;
  return Object.values(value)[0] ?? BULK_NULL;
}

function quote(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A relationship value `{ Stripe_Customer_Id__c: 'cus_1' }` is the column `<field>.Stripe_Customer_Id__c`. */
function columnOf(field: string, value: SalesforceFieldValue | undefined): string {
  if (typeof value === 'object' && value !== null) return `${field}.${Object.keys(value)[0] ?? ''}`;
  return field;
}

/**
 * One CSV for one object's job: the union of every row's fields as columns (in first-seen order),
 * a row's missing fields left empty. A relationship written by reference in one row and set to
 * null in another shares no column; null then goes to the lookup field itself (`lookupOf`).
 */
export function bulkCsv(rows: readonly BulkRow[], lookupOf: (relationship: string) => string | undefined): { readonly header: readonly string[]; readonly csv: string } {
  const columns = new Map<string, number>();
  const cellsOf = rows.map((row) => {
    const cells = new Map<string, string>();
    for (const [field, value] of Object.entries(row.fields)) {
      const relationshipNull = value === null && lookupOf(field) !== undefined;
      const column = relationshipNull ? (lookupOf(field) as string) : columnOf(field, value);
      if (!columns.has(column)) columns.set(column, columns.size);
      cells.set(column, cell(value));
    }
    return cells;
  });
  const header = [...columns.keys()];
  const lines = [header.map(quote).join(','), ...cellsOf.map((cells) => header.map((c) => quote(cells.get(c) ?? '')).join(','))];
  return { header, csv: `${lines.join('\n')}\n` };
}

export interface BulkRowError {
  readonly errorCode: string;
  readonly message: string;
  readonly fields: readonly string[];
}

/**
 * `sf__Error` as Salesforce writes it: `STATUS_CODE:message:fields --`, e.g.
 * `REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --` (jsforce's bulk2 test
 * against a real org), the fields part empty when the error names none.
 */
export function parseBulkError(text: string): BulkRowError {
  const colon = text.indexOf(':');
  if (colon <= 0 || !/^[A-Z0-9_]+$/.test(text.slice(0, colon))) return { errorCode: 'UNKNOWN_RECORD_ERROR', message: text, fields: [] };
  const errorCode = text.slice(0, colon);
  let rest = text.slice(colon + 1);
  let fields: string[] = [];
  if (rest.endsWith(' --')) {
    rest = rest.slice(0, -3);
    const last = rest.lastIndexOf(':');
    if (last >= 0 && /^[A-Za-z0-9_,.]*$/.test(rest.slice(last + 1))) {
      fields = rest.slice(last + 1).split(',').filter((f) => f !== '');
      rest = rest.slice(0, last);
    }
  }
  return { errorCode, message: rest, fields };
}
