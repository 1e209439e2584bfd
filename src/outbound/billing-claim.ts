/**
 * One billing per Opportunity: before any Stripe call, a payment request takes the Opportunity's
 * billing record (src/billing/record.ts) with a conditional write, or finds out why it may not.
 *
 * | The record…                                   | This request…                                           |
 * |-----------------------------------------------|---------------------------------------------------------|
 * | does not exist                                | takes it (pending, its mode, amount, currency) and bills |
 * | is its own (an earlier attempt of this event) | continues it in the record's mode                       |
 * | is pending under another request, lease live | retries later (`BILLING_IN_PROGRESS`)                    |
 * | is pending, the other request's lease expired | takes it over and finishes it in the record's mode      |
 * | is billed, its invoice void/deleted or its    | re-bills: the old object moves to `previous`            |
 * | link deactivated without a completed payment  |                                                         |
 * | is billed and still payable, or paid          | does nothing and says why in Stripe_Sync_Error__c       |
 *
 * So a mode switch, a re-close after Closed Lost, or a redelivery days after Stripe forgot the
 * idempotency keys finds the record and explains itself; re-billing is the rep's explicit act
 * (void the invoice or deactivate the link in Stripe, then request again). An Opportunity billed
 * before billing records existed is adopted from its own fields (its invoice or link id).
 */
import { formatMoney } from '../billing/payment-facts.js';
import type { BillingRecord } from '../billing/record.js';
import { objectKind, type BillableObject } from '../billing/record.js';
import type { BillingFields, BillingWrite } from '../billing/store.js';
import type { PaymentMode } from '../contracts/statuses.js';
import { TransientError } from '../errors.js';
import type { BillingObjectState, BillPlan } from '../stripe/outbound-operations.js';
import type { ShownBilling } from './plan.js';

export interface BillingRecordsPort {
  get(sobject: BillableObject, recordId: string): Promise<BillingRecord | undefined>;
  create(fields: BillingFields): Promise<BillingWrite>;
  update(current: BillingRecord, changes: Partial<BillingFields>): Promise<BillingWrite>;
  remove(current: BillingRecord): Promise<boolean>;
}

export interface ClaimInput {
  /** The payment request's dedup identity (`sf:<EventUuid>`). */
  readonly requestId: string;
  /** The plan for the requested mode: its mode, total and currency are what a new billing holds. */
  readonly plan: BillPlan;
  /** What the Opportunity's own fields show (legacy billings are adopted from them). */
  readonly shown: ShownBilling | undefined;
}

export interface ClaimDeps {
  readonly records: BillingRecordsPort;
  /** Reads the recorded invoice or payment link from Stripe (is it still payable?). */
  readonly inspect: (stripeObjectId: string) => Promise<BillingObjectState>;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly leaseMs: number;
}

export type Claim =
  /**
   * This request holds the record: bill in `mode`. `resumed`: the billing was under way before
   * (an earlier attempt, or a request that stopped), so Stripe may hold what it created.
   */
  | { readonly kind: 'billing'; readonly record: BillingRecord; readonly mode: PaymentMode; readonly resumed: boolean; readonly notice?: string | undefined }
  /** Billed already and still payable (or paid): nothing happens; `reason` is for the rep. */
  | { readonly kind: 'billed'; readonly record: BillingRecord | undefined; readonly reason: string }
  /** Another request is billing it right now. */
  | { readonly kind: 'busy'; readonly record: BillingRecord };

/** Who holds an adopted record: no payment request, the Opportunity's own fields. */
export const ADOPTED_REQUEST = 'adopted';

/** A few lost races in a row mean heavy contention: let the caller retry later. */
const MAX_ROUNDS = 4;

const MODE_LABEL: Readonly<Record<PaymentMode, string>> = { invoice: 'an invoice', payment_link: 'a payment link', checkout: 'a Checkout link', subscription: 'a subscription' };

function money(amount: number, currency: string): string {
  return formatMoney({ amount, currency });
}

/** Nothing of it can be paid any more, and nothing was: the record may bill again. */
export function isReleased(state: BillingObjectState): boolean {
  if (state.kind === 'invoice') return state.status === 'void' || state.status === 'deleted';
  // An expired session can no longer be paid (a completed one was).
  if (state.kind === 'checkout') return state.status === 'expired';
  return !state.active && state.completedSessions === 0;
}

function billedReason(record: BillingRecord, state: BillingObjectState | undefined, requested: PaymentMode): string {
  const asked = `This request for ${MODE_LABEL[requested]} was not acted on: a record is billed once.`;
  const amount = record.adopted ? '' : `, ${money(record.amount, record.currency)}`;
  if (state === undefined) return `Stripe billing refused: this record is already billed${amount}. ${asked}`;
  if (state.kind === 'invoice') {
    if (state.status === 'paid') return `Stripe billing refused: this record is already billed by invoice ${state.id}${amount}, which is paid. ${asked}`;
    return (
      `Stripe billing refused: this record is already billed by invoice ${state.id} (${state.status}${amount}). ${asked} ` +
      `To bill it again, void invoice ${state.id} in Stripe (or delete it while it is a draft), then request payment again.`
    );
  }
  if (state.kind === 'checkout') {
    if (state.status === 'complete') return `Stripe billing refused: this record is already billed by Checkout link ${state.id}${amount}, which was paid. ${asked}`;
    return (
      `Stripe billing refused: this record is already billed by Checkout link ${state.id} (open${amount}). ${asked} ` +
      `To bill it another way, let the link expire (or expire it in Stripe), then request payment again; to send a new link, request checkout again.`
    );
  }
  if (state.completedSessions > 0) {
    return `Stripe billing refused: this record is already billed by payment link ${state.id}${amount}, which was paid. ${asked}`;
  }
  return (
    `Stripe billing refused: this record is already billed by payment link ${state.id} (not paid yet${amount}). ${asked} ` +
    `To bill it again, deactivate payment link ${state.id} in Stripe, then request payment again.`
  );
}

function shownReason(shown: ShownBilling): string {
  if (shown.settledStatus !== undefined) {
    return `Stripe billing refused: this record shows Stripe payment status "${shown.settledStatus}": the money arrived another way. Nothing was done.`;
  }
  return 'Stripe billing refused: this record already shows a Stripe payment link. Nothing was done.';
}

export async function claimBilling(input: ClaimInput, deps: ClaimDeps): Promise<Claim> {
  const { requestId, plan } = input;
  const lease = (): number => deps.now() + deps.leaseMs;
  const held = { requestId, leaseExpiresAt: lease() };
  const sobject: BillableObject = (plan.sobject as BillableObject | undefined) ?? 'Opportunity';
  let current = await deps.records.get(sobject, plan.opportunityId);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let write: BillingWrite;
    if (current === undefined) {
      const legacyObject = input.shown?.stripeObjectId;
      const legacyMode = objectKind(legacyObject);
      if (input.shown !== undefined && (legacyObject === undefined || legacyMode === undefined)) {
        return { kind: 'billed', record: undefined, reason: shownReason(input.shown) };
      }
      write = await deps.records.create({
        sobject,
        recordId: plan.opportunityId,
        ...(legacyMode === undefined
          ? { state: 'pending', mode: plan.mode, stripeObjectId: undefined, ...held, adopted: false }
          : // Billed before billing records existed: adopted as billed by what the Opportunity shows.
            { state: 'billed', mode: legacyMode, stripeObjectId: legacyObject, requestId: ADOPTED_REQUEST, leaseExpiresAt: undefined, adopted: true }),
        amount: plan.total,
        currency: plan.currency,
        previous: [],
      });
      if (write.ok && write.record.state === 'pending') return { kind: 'billing', record: write.record, mode: plan.mode, resumed: false };
    } else if (current.requestId === requestId) {
      // An earlier attempt of this very request: continue what it started, in its mode.
      write = await deps.records.update(current, current.state === 'pending' ? { leaseExpiresAt: lease() } : {});
      if (write.ok) return { kind: 'billing', record: write.record, mode: current.mode, resumed: true };
    } else if (current.state === 'pending') {
      if ((current.leaseExpiresAt ?? 0) > deps.now()) return { kind: 'busy', record: current };
      // The request that took it stopped before finishing: finish its billing, in its mode.
      write = await deps.records.update(current, { ...held, amount: plan.total, currency: plan.currency });
      const notice =
        current.mode === plan.mode
          ? undefined
          : `A billing by ${MODE_LABEL[current.mode]} was under way for this record; it was completed and this request for ${MODE_LABEL[plan.mode]} was not acted on.`;
      if (write.ok) return { kind: 'billing', record: write.record, mode: current.mode, resumed: true, notice };
    } else if (current.mode === 'checkout' && plan.mode === 'checkout' && input.shown?.settledStatus === undefined) {
      // A Checkout link is re-issued on request while the record is unpaid: the plan expires the
      // previous session first, so only one link can ever be paid. The previous session joins
      // `previous`: a payment it took just before it expired still counts (billing/trust.ts).
      const previous = current.stripeObjectId === undefined || current.previous.includes(current.stripeObjectId) ? current.previous : [...current.previous, current.stripeObjectId];
      write = await deps.records.update(current, { state: 'pending', ...held, amount: plan.total, currency: plan.currency, previous });
      if (write.ok) return { kind: 'billing', record: write.record, mode: plan.mode, resumed: false };
    } else {
      const state = current.stripeObjectId === undefined ? undefined : await deps.inspect(current.stripeObjectId);
      if (state === undefined || !isReleased(state)) return { kind: 'billed', record: current, reason: billedReason(current, state, plan.mode) };
      // The rep released the bill (void invoice, deactivated unpaid link): this request bills anew.
      write = await deps.records.update(current, {
        state: 'pending',
        mode: plan.mode,
        amount: plan.total,
        currency: plan.currency,
        stripeObjectId: undefined,
        ...held,
        previous: [...current.previous, state.id],
        adopted: false,
      });
      if (write.ok) return { kind: 'billing', record: write.record, mode: plan.mode, resumed: false };
    }
    current = write.ok ? write.record : write.current;
  }
  throw new TransientError(`The billing record of ${plan.opportunityId} kept changing under this request`, { code: 'BILLING_CONTENDED' });
}
