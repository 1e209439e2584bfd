/**
 * Trust only what is ours (issue 10, finding 4). Stripe metadata is written by whoever creates
 * the object: a PaymentIntent of 0.01 USD can name a 250,000 USD Opportunity. So an Opportunity's
 * (and an Order's) payment state changes only for the Stripe object that billed it, as its
 * billing record (record.ts) says:
 *
 * | The event's object…                                              | The Opportunity…                                  |
 * |------------------------------------------------------------------|---------------------------------------------------|
 * | is its recorded invoice, payment link or Checkout Session, or a   | takes the status; "Paid" only when the amount     |
 * | Checkout Session / PaymentIntent / charge / dispute from it       | received in its currency covers what was billed,  |
 * |                                                                  | else "Partially Paid" (with both amounts)          |
 * | belongs to an earlier, released billing (void invoice, old link)  | is left alone (history, not news)                 |
 * | is anything else, or the Opportunity was never billed by the bridge | keeps its status; `Stripe_Sync_Error__c` says which payment named it and why it was not believed |
 *
 * The payment's own record (Stripe_Payment__c, Stripe_Invoice__c) is written and linked as
 * before: the money is real, only its meaning for the Opportunity is not. A Quote, Order or
 * Contract (billed by a command, issue 11) is judged the same way by its own bill; an Order
 * without one by the bill of the Opportunity the same event names. Pure: the caller loads
 * the records and the payment link a PaymentIntent came from.
 */
import type { SalesforceFieldValue, SalesforceMutation } from '../contracts/salesforce-mutation.js';
import type { MapResult } from '../mappers/mutation.js';
import { toMajorUnits } from '../money.js';
import { formatMoney, type Money, type PaymentFacts } from './payment-facts.js';
import { billingKey, type BillableObject, type BillingRecord } from './record.js';

export type Verdict =
  | { readonly kind: 'ours' }
  /** Ours, paid, but for less than billed (or in another currency). */
  | { readonly kind: 'short'; readonly received: Money; readonly billed: Money }
  /** An object of an earlier, released billing of the record. */
  | { readonly kind: 'earlier'; readonly objectId: string }
  | { readonly kind: 'foreign'; readonly reason: string };

export interface TrustInput {
  readonly facts: PaymentFacts;
  /** Billing records by billingKey (only those that exist). */
  readonly billings: ReadonlyMap<string, BillingRecord>;
  /**
   * Where the event's PaymentIntent came from: its Checkout Session's `payment_link`, or else the
   * Checkout Session itself (the `checkout` command's bill); null when it came from neither,
   * undefined when nobody could ask Stripe.
   */
  readonly paymentLinkOfIntent?: string | null | undefined;
}

export interface TrustNote {
  readonly sobject: BillableObject;
  readonly recordId: string;
  readonly verdict: Verdict['kind'];
  readonly reason?: string;
}

const BILLABLE: ReadonlySet<string> = new Set<BillableObject>(['Opportunity', 'Quote', 'Order', 'Contract']);

function isBillable(sobject: string): sobject is BillableObject {
  return BILLABLE.has(sobject);
}

/** A mutation of a revenue record (Opportunity, Quote, Order, Contract) named by the event (updates by Id: the bridge never creates them). */
export function namedRecord(mutation: SalesforceMutation): { readonly sobject: BillableObject; readonly recordId: string } | undefined {
  if (!isBillable(mutation.sobject) || mutation.key.field !== 'Id') return undefined;
  return { sobject: mutation.sobject, recordId: mutation.key.value };
}

/** Every revenue record an interpreted event would change. */
export function namedRecords(result: MapResult): Array<{ readonly sobject: BillableObject; readonly recordId: string }> {
  if (result.outcome !== 'mapped') return [];
  return result.effect.mutations.flatMap((m) => {
    const named = namedRecord(m);
    return named === undefined ? [] : [named];
  });
}

function describeObject(facts: PaymentFacts): string {
  const what = { invoice: 'invoice', 'checkout.session': 'Checkout Session', payment_intent: 'payment', charge: 'charge', dispute: 'dispute' }[facts.kind] ?? facts.kind;
  const amount = facts.received === undefined ? '' : ` (${formatMoney(facts.received)})`;
  return `${what} ${facts.objectId ?? ''}${amount}`.trim();
}

function describeBill(record: BillingRecord | undefined): string {
  if (record === undefined) return 'the bridge has not billed it';
  const object = record.stripeObjectId ?? `a ${record.mode.replace('_', ' ')} being created`;
  return `its bill is ${object}, ${formatMoney({ amount: record.amount, currency: record.currency })}`;
}

/** Statuses that say money arrived: what a superseded Checkout Session may still report. */
const MONEY_STATUSES: ReadonlySet<SalesforceFieldValue | undefined> = new Set(['Paid', 'Partially Refunded', 'Refunded', 'Disputed']);

/** Billed by link or Checkout: which one a PaymentIntent came from takes a question to Stripe. */
export function paidThroughCheckout(record: BillingRecord | undefined): boolean {
  return record?.mode === 'payment_link' || record?.mode === 'checkout';
}

export function verdictFor(input: TrustInput, record: BillingRecord | undefined, status: SalesforceFieldValue | undefined): Verdict {
  const { facts } = input;
  const sources = [
    facts.invoiceId,
    facts.paymentLinkId,
    // A Checkout Session the bridge created itself (the `checkout` command) is the bill.
    facts.kind === 'checkout.session' ? facts.objectId : undefined,
    input.paymentLinkOfIntent ?? undefined,
  ].filter((s): s is string => s !== undefined);
  const ours = (): Verdict => {
    const received = facts.received;
    const billed = { amount: record?.amount ?? 0, currency: record?.currency ?? '' };
    if (status === 'Paid' && received !== undefined && (received.currency !== billed.currency || received.amount < billed.amount)) {
      return { kind: 'short', received, billed };
    }
    return { kind: 'ours' };
  };
  if (record !== undefined && record.stripeObjectId !== undefined && sources.includes(record.stripeObjectId)) return ours();
  const earlier = record?.previous.find((id) => sources.includes(id));
  // A re-issued Checkout link expired the previous session, but one paid just before still paid
  // this record: its money counts; its expiry or failure is history (the new link is out).
  if (earlier !== undefined && earlier.startsWith('cs_') && MONEY_STATUSES.has(status)) return ours();
  if (earlier !== undefined) return { kind: 'earlier', objectId: earlier };
  const unchecked = paidThroughCheckout(record) && facts.paymentIntentId !== undefined && facts.paymentLinkId === undefined && input.paymentLinkOfIntent === undefined;
  return {
    kind: 'foreign',
    reason:
      `Stripe ${describeObject(facts)} names this record but is not its bill (${describeBill(record)})` +
      (unchecked ? '; where the payment came from could not be checked with Stripe' : '') +
      ': its payment status was not changed.',
  };
}

/**
 * The same write, without its state: a sync error is no news about the payment status, so it
 * carries no precedence key (contracts/precedence) and can neither win nor lose against one.
 */
function syncErrorOnly(mutation: SalesforceMutation, message: string): SalesforceMutation {
  const { version: _stateKey, ...write } = mutation;
  return { ...write, fields: { Stripe_Sync_Error__c: message } };
}

function major(value: Money): number {
  return toMajorUnits(value.amount, value.currency);
}

/** Applies the verdicts to an event's Opportunity and Order writes; everything else passes untouched. */
export function applyTrust(result: MapResult, input: TrustInput): { readonly result: MapResult; readonly notes: readonly TrustNote[] } {
  if (result.outcome !== 'mapped') return { result, notes: [] };
  const notes: TrustNote[] = [];
  const opportunity = result.effect.mutations.find((m) => namedRecord(m)?.sobject === 'Opportunity');
  const opportunityRecord = opportunity === undefined ? undefined : input.billings.get(billingKey('Opportunity', opportunity.key.value));
  const mutations: SalesforceMutation[] = [];
  for (const mutation of result.effect.mutations) {
    const named = namedRecord(mutation);
    if (named === undefined) {
      mutations.push(mutation);
      continue;
    }
    const status = mutation.fields['Stripe_Payment_Status__c'];
    // An Order billed by the Opportunity named with it (no bill of its own) is judged by that bill.
    const record = input.billings.get(billingKey(named.sobject, named.recordId)) ?? (named.sobject === 'Order' ? opportunityRecord : undefined);
    const verdict = verdictFor(input, record, status);
    notes.push({ ...named, verdict: verdict.kind, ...(verdict.kind === 'foreign' ? { reason: verdict.reason } : {}) });
    if (verdict.kind === 'ours') {
      const paid = status === 'Paid' && input.facts.received !== undefined;
      mutations.push(paid ? { ...mutation, fields: { ...mutation.fields, Stripe_Amount_Paid__c: major(input.facts.received as Money) } } : mutation);
    } else if (verdict.kind === 'short') {
      const sameCurrency = verdict.received.currency === verdict.billed.currency;
      const amounts: Record<string, SalesforceFieldValue> = {
        Stripe_Amount_Billed__c: major(verdict.billed),
        Stripe_Amount_Paid__c: sameCurrency ? major(verdict.received) : 0,
        ...(sameCurrency
          ? {}
          : { Stripe_Sync_Error__c: `Stripe received ${formatMoney(verdict.received)} for a bill of ${formatMoney(verdict.billed)}: another currency, so the bill is not paid in full.` }),
      };
      mutations.push({ ...mutation, fields: { ...mutation.fields, Stripe_Payment_Status__c: 'Partially Paid', ...amounts } });
    } else if (verdict.kind === 'foreign') {
      mutations.push(syncErrorOnly(mutation, verdict.reason));
    }
    // An earlier billing's object: no write.
  }
  if (mutations.length === 0) return { result: { outcome: 'skipped', reason: 'names only records whose bill it is not' }, notes };
  return { result: { outcome: 'mapped', effect: { ...result.effect, mutations } }, notes };
}
