/**
 * One bill per deal, before the record's own billing claim (billing-claim.ts): an Opportunity
 * billed through one of its Quotes is not billed again when it is marked Closed Won, a Quote is
 * not billed when its Opportunity (or another Quote of it) was, and an Opportunity invoiced in
 * parts through its Orders is billed neither whole nor by Quote (src/billing/deal.ts).
 *
 * | The deal record…                               | This request…                                  |
 * |-------------------------------------------------|------------------------------------------------|
 * | does not exist                                  | takes it (its record as the holder)            |
 * | names this record                               | goes on (a retry, a re-bill of the same record) |
 * | is billed in parts and this is another Order    | joins the holders                              |
 * | names holders whose bills are all released      | takes it over (void invoice, deactivated link, |
 * | (or that never got a billing record)            | expired Checkout link, never billed)           |
 * | names a holder whose bill stands                | is refused with a reason for the rep           |
 *
 * Taken by a request whose billing then creates nothing (Stripe refused it): given back.
 */
import type { BilledAs, DealHolder, DealRecord, DealRecordsPort } from '../billing/deal.js';
import { sameHolder } from '../billing/deal.js';
import { TransientError } from '../errors.js';
import type { BillingObjectState } from '../stripe/outbound-operations.js';
import type { BillableRecord } from './billable.js';
import { isReleased, type BillingRecordsPort } from './billing-claim.js';

export interface DealScope {
  readonly opportunityId: string;
  readonly billedAs: BilledAs;
  readonly holder: DealHolder;
}

/** The deal a record bills: its own (Opportunity), its Opportunity's (Quote, Order), none (Contract, or no Opportunity). */
export function dealScopeOf(record: BillableRecord): DealScope | undefined {
  const holder = { sobject: record.sobject, recordId: record.id };
  if (record.sobject === 'Opportunity') return { opportunityId: record.id, billedAs: 'whole', holder };
  if (record.sobject === 'Contract' || record.opportunityId === undefined) return undefined;
  return { opportunityId: record.opportunityId, billedAs: record.sobject === 'Order' ? 'parts' : 'whole', holder };
}

export interface DealClaimDeps {
  readonly deals: DealRecordsPort;
  readonly billings: Pick<BillingRecordsPort, 'get'>;
  readonly inspect: (stripeObjectId: string) => Promise<BillingObjectState>;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** A holder gets this long from taking the deal to recording its own billing. */
  readonly leaseMs: number;
}

export type DealClaim =
  | { readonly kind: 'held'; readonly record: DealRecord; readonly taken: boolean }
  | { readonly kind: 'refused'; readonly holder: DealHolder; readonly reason: string };

const MAX_ROUNDS = 4;

type Standing = 'free' | 'busy' | 'billed';

async function standingOf(holder: DealHolder, deal: DealRecord, deps: DealClaimDeps): Promise<Standing> {
  const billing = await deps.billings.get(holder.sobject, holder.recordId);
  // Taken a moment ago, its own billing record may be on its way.
  if (billing === undefined) return deal.updatedAt + deps.leaseMs > deps.now() ? 'busy' : 'free';
  if (billing.state === 'pending') return (billing.leaseExpiresAt ?? 0) > deps.now() ? 'busy' : 'billed';
  if (billing.stripeObjectId === undefined) return 'billed';
  return isReleased(await deps.inspect(billing.stripeObjectId)) ? 'free' : 'billed';
}

function describe(holder: DealHolder): string {
  return `${holder.sobject} ${holder.recordId}`;
}

function refusal(scope: DealScope, deal: DealRecord, holder: DealHolder): string {
  const self = scope.holder.sobject === 'Opportunity' ? 'this Opportunity' : `this ${scope.holder.sobject}'s Opportunity (${scope.opportunityId})`;
  const how = deal.billedAs === 'parts' ? `in parts through its Orders (${describe(holder)} among them)` : `through ${describe(holder)}`;
  const rule =
    'A deal is billed once: by the Opportunity itself or one of its Quotes, or in parts by its Orders.';
  return `Stripe billing refused: ${self} is already billed ${how}. ${rule} Nothing was sent to Stripe. To bill this record instead, void or deactivate that bill in Stripe first.`;
}

/**
 * An Opportunity billed before deal records existed has only its own billing record: a Quote or
 * Order of it treats that as the deal's holder.
 */
async function billedBeforeDeals(scope: DealScope, deps: DealClaimDeps): Promise<DealRecord | undefined> {
  if (scope.holder.sobject === 'Opportunity') return undefined;
  const own = await deps.billings.get('Opportunity', scope.opportunityId);
  if (own === undefined) return undefined;
  return { opportunityId: scope.opportunityId, billedAs: 'whole', holders: [{ sobject: 'Opportunity', recordId: own.recordId }], version: 0, updatedAt: own.updatedAt };
}

export async function claimDeal(scope: DealScope, deps: DealClaimDeps): Promise<DealClaim> {
  let current = await deps.deals.get(scope.opportunityId);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let holders: readonly DealHolder[];
    const known = current ?? (await billedBeforeDeals(scope, deps));
    if (known === undefined) {
      holders = [scope.holder];
    } else if (current !== undefined && current.holders.some((h) => sameHolder(h, scope.holder))) {
      return { kind: 'held', record: current, taken: false };
    } else if (known.billedAs === 'parts' && scope.billedAs === 'parts') {
      holders = [...known.holders, scope.holder];
    } else {
      const deal = known;
      for (const holder of deal.holders) {
        const standing = await standingOf(holder, deal, deps);
        if (standing === 'busy') {
          throw new TransientError(`${describe(holder)} is being billed for the same deal`, { code: 'BILLING_IN_PROGRESS' });
        }
        if (standing === 'billed') return { kind: 'refused', holder, reason: refusal(scope, deal, holder) };
      }
      // Every bill of the deal was released: this record bills it now.
      holders = [scope.holder];
    }
    const write = await deps.deals.put({ opportunityId: scope.opportunityId, billedAs: scope.billedAs, holders }, current);
    if (write.ok) return { kind: 'held', record: write.record, taken: true };
    current = write.current;
  }
  throw new TransientError(`The deal of ${scope.opportunityId} kept changing under this request`, { code: 'BILLING_CONTENDED' });
}

/** Gives back a hold this request took when its billing created nothing; false when it changed meanwhile. */
export async function releaseDeal(scope: DealScope, record: DealRecord, deals: DealRecordsPort): Promise<boolean> {
  const rest = record.holders.filter((h) => !sameHolder(h, scope.holder));
  if (rest.length === 0) return deals.remove(record);
  return (await deals.put({ opportunityId: record.opportunityId, billedAs: record.billedAs, holders: rest }, record)).ok;
}
