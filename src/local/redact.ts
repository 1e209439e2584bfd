/**
 * What the local views may show of a Salesforce record: ids, statuses, amounts, dates, links and
 * reasons, never names, emails, addresses or free text (a page without a login must not become a
 * way to read personal data, even sample data: the same views serve a real org's records' ids).
 */
import { DATA_MODEL } from '../salesforce/data-model.js';

const PERSONAL = /^(Name|Subject|Description|Phone|Email|Fax|Website)$|Email|^(Billing|Shipping|Mailing)|FirstName|LastName/;
/** Free text the bridge itself writes as a reason, not personal data. */
const REASONS = new Set(['Stripe_Sync_Error__c', 'Failure_Message__c']);

export function isShownField(sobject: string, field: string): boolean {
  if (field === 'attributes') return false;
  if (REASONS.has(field)) return true;
  if (PERSONAL.test(field)) return false;
  const type = DATA_MODEL[sobject]?.[field]?.type;
  return type !== 'email' && type !== 'textarea';
}

export function redactRecord(sobject: string, record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([field]) => isShownField(sobject, field)));
}
