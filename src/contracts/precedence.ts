/**
 * The precedence of states: which of two events a record shows, whatever order they arrive in.
 * One table and one order, read by the mappers (each versioned write carries its key), by
 * Salesforce (a validation rule rejects a write whose key is lower than the record's) and by
 * the outbound planner (an Opportunity whose money arrived is never billed again).
 *
 * The order, highest first:
 * 1. a settled state beats an unsettled one, whatever the timestamps: an Opportunity paid
 *    through one invoice does not go back to "Payment Failed" because another attempt failed, nor
 *    to "Canceled" when an abandoned checkout expires, even if that happened later;
 * 2. then the newer event (`event.created`, seconds) wins: among settled states a refund after a
 *    payment, a dispute after a refund; among unsettled ones a failure after a finalization;
 * 3. then, within the same second, the higher rank: a refund outranks a success, a success a
 *    failure (see RANK);
 * 4. then a deterministic tiebreak on the event id, so that two events of the same second and
 *    rank still resolve the same way in every order.
 *
 * "Settled" is decided per record type by the status the event writes (SETTLED_STATUSES): for an
 * Opportunity, Quote, Order or Contract, money arrived (Paid, Partially Paid, Partially Refunded, Refunded, Disputed); for a
 * Stripe object, it reached an end state (a paid or void invoice, a canceled subscription).
 * A voided invoice therefore settles the Stripe_Invoice__c record but leaves the Opportunity
 * unsettled ("Canceled"): no money arrived, the Opportunity may be billed again, and the new
 * bill's "Awaiting Payment" must show.
 *
 * Depends on nothing: a pure module of the contracts folder.
 */
import type { SObjectName } from './salesforce-mutation.js';

/** Same-second tiebreak between events (higher wins); also tells refunds and disputes apart. */
export const RANK = {
  /** Created, finalized, processing, canceled, expired, subscription/customer updates. */
  OPEN: 10,
  /** A payment attempt failed; the amount is still owed. */
  FAILED: 20,
  /** Paid or succeeded; also terminal record states such as void or a deleted subscription. */
  SETTLED: 30,
  PARTIALLY_REFUNDED: 40,
  DISPUTED: 50,
  DISPUTE_CLOSED: 55,
  REFUNDED: 60,
} as const;

/** Record types whose writes carry a precedence key (`Stripe_Event_Order__c`). */
export const VERSIONED_OBJECTS = ['Opportunity', 'Quote', 'Order', 'Contract', 'Stripe_Payment__c', 'Stripe_Invoice__c', 'Stripe_Subscription__c', 'Stripe_Subscription_Item__c', 'Stripe_Refund__c'] as const;
export type VersionedObject = (typeof VERSIONED_OBJECTS)[number];

/** The field that holds each versioned record's state. */
export const STATUS_FIELD: Readonly<Record<VersionedObject, string>> = {
  Opportunity: 'Stripe_Payment_Status__c',
  Quote: 'Stripe_Payment_Status__c',
  Order: 'Stripe_Payment_Status__c',
  Contract: 'Stripe_Payment_Status__c',
  Stripe_Payment__c: 'Status__c',
  Stripe_Invoice__c: 'Status__c',
  Stripe_Subscription__c: 'Status__c',
  Stripe_Subscription_Item__c: 'Status__c',
  Stripe_Refund__c: 'Status__c',
};

/** Money arrived: the Opportunity (or Quote, Order, Contract) must not be billed again nor shown as unpaid. */
const MONEY_ARRIVED: ReadonlySet<string> = new Set(['Paid', 'Partially Paid', 'Partially Refunded', 'Refunded', 'Disputed']);

/** The settled statuses of each versioned record type: the one table every flow reads. */
export const SETTLED_STATUSES: Readonly<Record<VersionedObject, ReadonlySet<string>>> = {
  Opportunity: MONEY_ARRIVED,
  Quote: MONEY_ARRIVED,
  Order: MONEY_ARRIVED,
  Contract: MONEY_ARRIVED,
  Stripe_Payment__c: new Set(['Succeeded', 'Partially Refunded', 'Refunded', 'Disputed', 'Dispute Won', 'Dispute Lost']),
  Stripe_Invoice__c: new Set(['Paid', 'Void']),
  Stripe_Subscription__c: new Set(['Canceled', 'Incomplete Expired']),
  // An item taken off its subscription, or ended with it, never comes back (Stripe makes a new one).
  Stripe_Subscription_Item__c: new Set(['Removed', 'Ended']),
  // A succeeded refund can still fail later (the bank returns it): only failed and canceled are final.
  Stripe_Refund__c: new Set(['Failed', 'Canceled']),
};

export function isVersionedObject(sobject: SObjectName | string): sobject is VersionedObject {
  return (VERSIONED_OBJECTS as readonly string[]).includes(sobject);
}

/** True when `status` settles a record of this type (see SETTLED_STATUSES). */
export function isSettled(sobject: VersionedObject, status: string | null | undefined): boolean {
  return typeof status === 'string' && SETTLED_STATUSES[sobject].has(status);
}

/** Where an event puts one record, in the terms of the order above. */
export interface Precedence {
  readonly settled: boolean;
  /** `event.created`, seconds since the epoch. */
  readonly created: number;
  /** One of RANK. */
  readonly rank: number;
  /** The event (or platform event) id: the last tiebreak. */
  readonly eventId: string;
}

/** FNV-1a, 32 bits: a stable, well-spread number from an event id (not for security). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

const TIEBREAK_SPAN = 1000;
const RANK_SPAN = 100;
const CREATED_SPAN = 1e10;

/**
 * The precedence as one integer, so that Salesforce can compare it in a validation rule:
 * `settled · created(10 digits) · rank(2) · tiebreak(3)`, at most 16 digits and below 2^53, so
 * it is exact in JavaScript, in JSON and in a Number(18,0) field.
 */
export function precedenceKey(p: Precedence): number {
  if (!Number.isInteger(p.created) || p.created < 0 || p.created >= CREATED_SPAN) {
    throw new RangeError(`event.created out of range: ${p.created}`);
  }
  if (!Number.isInteger(p.rank) || p.rank < 0 || p.rank >= RANK_SPAN) throw new RangeError(`rank out of range: ${p.rank}`);
  const tier = p.settled ? 1 : 0;
  return ((tier * CREATED_SPAN + p.created) * RANK_SPAN + p.rank) * TIEBREAK_SPAN + (fnv1a(p.eventId) % TIEBREAK_SPAN);
}

/** Negative when `a` precedes `b` (b wins), positive when a wins, 0 for equal keys. */
export function comparePrecedence(a: Precedence, b: Precedence): number {
  return precedenceKey(a) - precedenceKey(b);
}

/**
 * The state a record shows after all these writes, in any order and any batching: the one with
 * the highest key. Undefined for none.
 */
export function winner<T extends { readonly precedence: Precedence }>(writes: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const write of writes) {
    if (best === undefined || comparePrecedence(write.precedence, best.precedence) > 0) best = write;
  }
  return best;
}

/** The precedence of one event's write to one record: settled by the status it writes. */
export function precedenceOf(
  sobject: VersionedObject,
  status: string | null | undefined,
  event: { readonly id: string; readonly created: number },
  rank: number,
): Precedence {
  return { settled: isSettled(sobject, status), created: event.created, rank, eventId: event.id };
}
