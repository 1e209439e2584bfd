/** Building blocks shared by the per-object mappers: records, amounts, effects. */
import { isVersionedObject, precedenceKey, precedenceOf, STATUS_FIELD } from '../contracts/precedence.js';
import type { OpportunityPaymentStatus } from '../contracts/statuses.js';
import { minorUnitDigits, toMajorUnits } from '../money.js';
import { compact, type SalesforceLinks } from './links.js';
import type { MapResult, OwedMoney, SalesforceFieldValue, SalesforceMutation, SObjectName } from './mutation.js';
import { isoDateTime } from './time.js';

export type Fields = Record<string, SalesforceFieldValue | undefined>;

/** The envelope facts every mapper needs (a subset of a parsed event). */
export interface EventFacts {
  readonly id: string;
  readonly type: string;
  readonly created: number;
  readonly livemode: boolean;
}

/** An upsert on an external id (or an update by `Id`); `effect()` gives it its precedence key. */
export function upsert(
  sobject: SObjectName,
  key: { readonly field: string; readonly value: string },
  fields: Fields,
  optionalReferences: readonly string[] = [],
): SalesforceMutation {
  return {
    sobject,
    key,
    fields: compact(fields) as Record<string, SalesforceFieldValue>,
    ...(optionalReferences.length > 0 ? { optionalReferences } : {}),
    // The bridge never creates standard records it updates by Id; one that is gone is skipped.
    ...(key.field === 'Id' ? { skipIfMissing: true } : {}),
  };
}

/** Fields every Stripe_* record carries: its name, mode and the ordering timestamp. */
export function stripeRecordFields(event: EventFacts, name: string): Fields {
  return {
    Name: name,
    Livemode__c: event.livemode,
    Last_Stripe_Event_At__c: isoDateTime(event.created),
  };
}

export function money(minor: number, currency: string): { readonly Currency_Code__c: string; readonly amount: number } {
  return { Currency_Code__c: currency.toUpperCase(), amount: toMajorUnits(minor, currency) };
}

/** `4999, 'usd'` → `49.99 USD`; keeps the currency's decimals (`50.00 USD`, `5000 JPY`). */
export function formatMoney(minor: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  return `${toMajorUnits(minor, currency).toFixed(digits)} ${currency.toUpperCase()}`;
}

/** `120000, 'eur'` → `1,200.00 EUR`: as a rep reads an amount (thousands grouped). */
export function formatMoneyForPeople(minor: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  const grouped = new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(toMajorUnits(minor, currency));
  return `${grouped} ${currency.toUpperCase()}`;
}

/** Salesforce rejects text longer than the field; 255 is the length of our text fields. */
export function truncate(text: string | null | undefined, max = 255): string | undefined {
  if (text === null || text === undefined || text === '') return undefined;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The payment status the revenue records named in metadata show: the Opportunity, and the Quote,
 * Order or Contract a billing command billed (their objects carry `salesforce_quote_id`, …).
 * Updates by `Id`: these standard records exist already; the bridge never creates them. Whether
 * the event is believed for each is the trust step's to decide (src/billing/trust.ts).
 */
export function revenueRecords(
  links: SalesforceLinks,
  status: OpportunityPaymentStatus | undefined,
  invoice: { readonly id?: string | undefined; readonly url?: string | null | undefined } = {},
): SalesforceMutation[] {
  if (status === undefined && invoice.id === undefined) return [];
  const named: ReadonlyArray<readonly ['Opportunity' | 'Quote' | 'Order' | 'Contract', string | undefined]> = [
    ['Opportunity', links.opportunityId],
    ['Quote', links.quoteId],
    ['Order', links.orderId],
    ['Contract', links.contractId],
  ];
  return named.flatMap(([sobject, id]) =>
    id === undefined
      ? []
      : [
          upsert(sobject, { field: 'Id', value: id }, {
            Stripe_Payment_Status__c: status,
            Stripe_Invoice_Id__c: invoice.id,
            // The Opportunity always showed the invoice URL; an Order only its id (unchanged).
            Stripe_Invoice_Url__c: sobject === 'Order' ? undefined : (invoice.url ?? undefined),
          }),
        ],
  );
}

/**
 * Write-once facts about a record (card brand and last 4, the Opportunity a checkout named) from
 * an event that says nothing about the record's state. They write no status, so they carry no
 * precedence key: facts never change, so no state event may make them stale, and they never make
 * a state event stale either. No `Name` or `Last_Stripe_Event_At__c`: those belong to the state
 * events. (`facet` names the kind of fact for the reader.)
 */
export function factsUpsert(
  sobject: SObjectName,
  key: { readonly field: string; readonly value: string },
  _facet: string,
  fields: Fields,
  optionalReferences: readonly string[] = [],
): SalesforceMutation {
  return upsert(sobject, key, fields, optionalReferences);
}

export function effect(
  event: EventFacts,
  rank: number,
  mutations: readonly SalesforceMutation[],
  reasonWhenEmpty: string,
  links?: SalesforceLinks,
  owed?: OwedMoney,
): MapResult {
  const warnings = links?.ignored ?? [];
  if (mutations.length === 0) {
    return { outcome: 'skipped', reason: [reasonWhenEmpty, ...warnings].join('; ') };
  }
  return {
    outcome: 'mapped',
    effect: {
      eventId: event.id,
      eventType: event.type,
      created: event.created,
      rank,
      mutations: mutations.map((m) => versioned(m, event, rank)),
      ...(warnings.length > 0 ? { warnings } : {}),
      ...(owed === undefined ? {} : { owed }),
    },
  };
}

/**
 * Gives a write its precedence key (contracts/precedence): a write of a record's state by the
 * status it writes; a Case by the failure it reports (an unsettled state of that record, so the
 * same key as the failure's own write). Writes that carry no state stay unversioned.
 */
function versioned(mutation: SalesforceMutation, event: EventFacts, rank: number): SalesforceMutation {
  if (mutation.sobject === 'Case') return { ...mutation, version: precedenceKey({ settled: false, created: event.created, rank, eventId: event.id }) };
  if (!isVersionedObject(mutation.sobject)) return mutation;
  const status = mutation.fields[STATUS_FIELD[mutation.sobject]];
  if (typeof status !== 'string') return mutation;
  return { ...mutation, version: precedenceKey(precedenceOf(mutation.sobject, status, event, rank)) };
}
