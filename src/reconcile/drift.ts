/**
 * The drift report: for every payment, invoice and subscription created in Stripe since a date,
 * what Salesforce should show (computed through the same synthetic events and mappers as the
 * backfill: the object's state, and for a payment its refund and dispute too) against what it
 * shows (one SOQL query per 200 records): a record missing, a status or an amount that differs.
 *
 * `fix` re-applies the Stripe side through the normal pipeline: the same synthetic events,
 * stamped with the time of the report, enqueued for the consumer as the ingress would enqueue a
 * webhook; the precedence keys apply as for any event.
 */
import { comparePrecedence, isVersionedObject, precedenceOf, type Precedence } from '../contracts/precedence.js';
import type { SalesforceFieldValue, SalesforceMutation, SObjectName } from '../contracts/salesforce-mutation.js';
import type { InterpretedEvent } from '../inbound/ports.js';
import type { BackfillPorts } from './backfill.js';
import type { DriftKind } from './drift-kinds.js';
import { KINDS, syntheticEvent, type ObjectKind, type StripeObject } from './stripe-objects.js';

export interface DriftDifference {
  readonly kind: DriftKind;
  readonly sobject: SObjectName;
  readonly stripeId: string;
  /** `record` when Salesforce has no record at all. */
  readonly field: string;
  readonly stripe: SalesforceFieldValue | 'present';
  readonly salesforce: SalesforceFieldValue | 'missing';
}

export interface DriftPorts {
  readonly list: BackfillPorts['list'];
  /** The consumer's reading of an event, its trust step included (trusted-reading.ts). */
  readonly interpret: (json: unknown) => Promise<InterpretedEvent>;
  /** The records of `sobject` whose `Stripe_Id__c` is among `ids`, with these fields. */
  readonly readRecords: (sobject: SObjectName, ids: readonly string[], fields: readonly string[]) => Promise<ReadonlyMap<string, Readonly<Record<string, unknown>>>>;
  /** Enqueues one event as the ingress would (only with `fix`). */
  readonly enqueue?: (event: Record<string, unknown>) => Promise<void>;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

export interface DriftOptions {
  /** Seconds since the epoch. */
  readonly since: number;
  readonly kinds: readonly DriftKind[];
  readonly fix: boolean;
}

export interface DriftReport {
  readonly since: number;
  readonly compared: Partial<Record<DriftKind, number>>;
  readonly differences: readonly DriftDifference[];
  /** Objects whose Stripe side was enqueued (`fix`), and those that could not be. */
  readonly fixed: readonly string[];
  readonly fixFailures: readonly { readonly stripeId: string; readonly reason: string }[];
  readonly stripeListCalls: number;
  readonly salesforceQueries: number;
}

/** The fields compared per record type: presence, status, amounts. */
export const COMPARED_FIELDS: Readonly<Record<DriftKind, { readonly sobject: SObjectName; readonly fields: readonly string[] }>> = {
  payments: { sobject: 'Stripe_Payment__c', fields: ['Status__c', 'Amount__c', 'Amount_Refunded__c', 'Currency_Code__c'] },
  invoices: { sobject: 'Stripe_Invoice__c', fields: ['Status__c', 'Amount_Due__c', 'Amount_Paid__c', 'Amount_Remaining__c', 'Currency_Code__c'] },
  subscriptions: { sobject: 'Stripe_Subscription__c', fields: ['Status__c', 'Cancel_At_Period_End__c'] },
};

/** Records per SOQL query (`Stripe_Id__c IN (…)`), well inside SOQL's 100,000-character limit. */
const QUERY_CHUNK = 200;

const KIND_OF: Readonly<Record<DriftKind, ObjectKind>> = { payments: 'payments', invoices: 'invoices', subscriptions: 'subscriptions' };

export async function driftReport(ports: DriftPorts, options: DriftOptions): Promise<DriftReport> {
  const asOf = Math.floor(ports.now() / 1000);
  const differences: DriftDifference[] = [];
  const compared: Partial<Record<DriftKind, number>> = {};
  const fixed: string[] = [];
  const fixFailures: { stripeId: string; reason: string }[] = [];
  const counters = { stripeListCalls: 0, salesforceQueries: 0 };
  const onListCall = () => {
    counters.stripeListCalls += 1;
  };

  // A payment's record also shows its refund and dispute: read the period's disputes first
  // (disputes of payments made since then are created since then too).
  const disputes = new Map<string, StripeObject>();
  if (options.kinds.includes('payments')) {
    for await (const dispute of ports.list(KINDS.disputes, { createdGte: options.since, startingAfter: undefined, onListCall })) {
      const paymentIntent = idOf(dispute['payment_intent']) ?? idOf((dispute['charge'] as Record<string, unknown> | undefined)?.['payment_intent']);
      if (paymentIntent !== undefined && !disputes.has(paymentIntent)) disputes.set(paymentIntent, dispute);
    }
  }

  for (const kind of options.kinds) {
    const spec = KINDS[KIND_OF[kind]];
    const { sobject, fields } = COMPARED_FIELDS[kind];
    let chunk: StripeObject[] = [];
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return;
      const expected = new Map<string, { fields: Record<string, SalesforceFieldValue>; events: Record<string, unknown>[] }>();
      // All at once: the trust step reads the chunk's billing records in one request.
      const states = await Promise.all(
        chunk.map(async (object) => {
          const events = eventsFor(kind, object, disputes, asOf);
          return { object, events, state: await expectedState(ports, events, sobject, object.id) };
        }),
      );
      for (const { object, events, state } of states) {
        if (state !== undefined) expected.set(object.id, { fields: state, events });
      }
      chunk = [];
      if (expected.size === 0) return;
      counters.salesforceQueries += 1;
      const actual = await ports.readRecords(sobject, [...expected.keys()], fields);
      compared[kind] = (compared[kind] ?? 0) + expected.size;
      for (const [stripeId, { fields: want, events }] of expected) {
        const differing = compare(kind, sobject, stripeId, want, actual.get(stripeId), fields);
        if (differing.length === 0) continue;
        differences.push(...differing);
        if (!options.fix || ports.enqueue === undefined) continue;
        try {
          for (const event of events) await ports.enqueue(event);
          fixed.push(stripeId);
        } catch (err) {
          fixFailures.push({ stripeId, reason: err instanceof Error ? err.message : String(err) });
        }
      }
    };
    for await (const object of ports.list(spec, { createdGte: options.since, startingAfter: undefined, onListCall })) {
      chunk.push(object);
      if (chunk.length >= QUERY_CHUNK) await flush();
    }
    await flush();
  }
  return { since: options.since, compared, differences, fixed, fixFailures, ...counters };
}

/** The synthetic events an object's record reflects: its own state, and a payment's refund and dispute. */
function eventsFor(kind: DriftKind, object: StripeObject, disputes: ReadonlyMap<string, StripeObject>, asOf: number): Record<string, unknown>[] {
  const spec = KINDS[KIND_OF[kind]];
  const decision = spec.eventType(object);
  if ('skip' in decision) return [];
  const events = [syntheticEvent(decision.type, spec.eventObject(object), asOf, 'reconcile')];
  if (kind !== 'payments') return events;
  const charge = object['latest_charge'];
  if (typeof charge === 'object' && charge !== null && Number((charge as Record<string, unknown>)['amount_refunded'] ?? 0) > 0) {
    events.push(syntheticEvent('charge.refunded', charge as StripeObject, asOf, 'reconcile'));
  }
  const dispute = disputes.get(object.id);
  if (dispute !== undefined) {
    const type = KINDS.disputes.eventType(dispute);
    if ('type' in type) events.push(syntheticEvent(type.type, dispute, asOf, 'reconcile'));
  }
  return events;
}

/**
 * The fields the record shows once every event applied: the writes merged lowest precedence
 * first, as the precedence keys order writes of the same second (a refund outranks the payment).
 */
async function expectedState(ports: DriftPorts, events: readonly Record<string, unknown>[], sobject: SObjectName, stripeId: string): Promise<Record<string, SalesforceFieldValue> | undefined> {
  const writes: Array<{ precedence: Precedence; mutation: SalesforceMutation }> = [];
  for (const interpreted of await Promise.all(events.map((event) => ports.interpret(event)))) {
    const { envelope, result } = interpreted;
    if (result.outcome !== 'mapped') continue;
    for (const mutation of result.effect.mutations) {
      if (mutation.sobject !== sobject || mutation.key.value !== stripeId || !isVersionedObject(sobject)) continue;
      const status = mutation.fields['Status__c'];
      writes.push({ precedence: precedenceOf(sobject, typeof status === 'string' ? status : undefined, envelope, result.effect.rank), mutation });
    }
  }
  if (writes.length === 0) return undefined;
  writes.sort((a, b) => comparePrecedence(a.precedence, b.precedence));
  return Object.assign({}, ...writes.map((w) => w.mutation.fields)) as Record<string, SalesforceFieldValue>;
}

function compare(
  kind: DriftKind,
  sobject: SObjectName,
  stripeId: string,
  want: Readonly<Record<string, SalesforceFieldValue>>,
  found: Readonly<Record<string, unknown>> | undefined,
  fields: readonly string[],
): DriftDifference[] {
  if (found === undefined) return [{ kind, sobject, stripeId, field: 'record', stripe: 'present', salesforce: 'missing' }];
  const out: DriftDifference[] = [];
  for (const field of fields) {
    if (!(field in want)) continue;
    const expected = want[field] ?? null;
    const actual = (found[field] ?? null) as SalesforceFieldValue;
    if (!same(expected, actual)) out.push({ kind, sobject, stripeId, field, stripe: expected, salesforce: actual });
  }
  return out;
}

function same(a: SalesforceFieldValue, b: SalesforceFieldValue): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) < 1e-9;
  return a === b;
}

function idOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string') return (value as { id: string }).id;
  return undefined;
}
