/**
 * The billing record: one per billed Salesforce record (an Opportunity today, an Order or Quote
 * tomorrow), kept in the dedup table under `billing#<sobject>:<15-character id>`, never expiring.
 * It is what "billed once" and "trust only what is ours" are decided on:
 *
 *   (none) ──take──▶ pending ──Stripe object created──▶ pending + object ──plan ran──▶ billed
 *     ▲               │ nothing created and Stripe refused: released (deleted)            │
 *     └──────────── re-bill: the object is void / deactivated unpaid ◀────────────────────┘
 *
 * - It is taken with one conditional write BEFORE any Stripe call, holding the mode, the amount
 *   in minor units and the currency the plan bills. Only the request that took it (or one that
 *   takes it over after its lease ran out) runs Stripe steps; every other request for the same
 *   record is told why nothing happens (a mode switch, a re-close, a redelivery days later).
 * - The Stripe object (invoice or payment link) is attached the moment Stripe returns it, before
 *   anything is sent to the customer: a payment can only ever come from a recorded object.
 * - A re-bill is explicit: only once the recorded object can no longer be paid (invoice void or
 *   deleted, payment link deactivated with no completed payment) does a new request replace it;
 *   the released object is kept in `previous` so its late events are recognised, not believed.
 * - Every change is a conditional write on `version`: two writers never both win.
 */
import type { PaymentMode } from '../contracts/statuses.js';

export type BillableObject = 'Opportunity' | 'Quote' | 'Order' | 'Contract';

export type BillingState = 'pending' | 'billed';

export interface BillingRecord {
  readonly sobject: BillableObject;
  /** The record id as the request named it (15 or 18 characters). */
  readonly recordId: string;
  readonly state: BillingState;
  readonly mode: PaymentMode;
  /** What the bill asks for, in minor units of `currency`. */
  readonly amount: number;
  /** Lower-case ISO 4217. */
  readonly currency: string;
  /** The invoice (`in_…`) or payment link (`plink_…`) that bills the record, once Stripe created it. */
  readonly stripeObjectId: string | undefined;
  /** The payment request (`sf:<EventUuid>`) that holds or last held the record. */
  readonly requestId: string;
  /** Milliseconds since the epoch; while pending, until then no other request may take it over. */
  readonly leaseExpiresAt: number | undefined;
  /** Stripe objects of earlier billings that were released (void invoices, deactivated links). */
  readonly previous: readonly string[];
  /** Adopted from an Opportunity billed before billing records existed (amount is the Opportunity's). */
  readonly adopted: boolean;
  /** Optimistic concurrency: every write expects the version it read. */
  readonly version: number;
  /** Milliseconds since the epoch. */
  readonly updatedAt: number;
}

/** Salesforce ids are case-sensitive in their first 15 characters; the 18-character form adds a checksum. */
export function billingKey(sobject: BillableObject, recordId: string): string {
  return `billing#${sobject}:${recordId.slice(0, 15)}`;
}

/** The kind of Stripe object a billing is made of. */
export function objectKind(id: string | undefined): 'invoice' | 'payment_link' | undefined {
  if (id === undefined) return undefined;
  if (id.startsWith('in_')) return 'invoice';
  if (id.startsWith('plink_')) return 'payment_link';
  return undefined;
}
