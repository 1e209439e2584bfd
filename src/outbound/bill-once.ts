/**
 * The Stripe side of a payment request, under the Opportunity's billing record: claim the record
 * (billing-claim.ts), run the plan (continuing what an earlier run left), attach the invoice or
 * payment link to the record the moment Stripe returns it, mark the record billed. What a
 * request may not do (billed already, Stripe refused) comes back as a result for the rep; a
 * transient failure is thrown with the record still pending, so the retry continues it.
 */
import type { BillingRecord } from '../billing/record.js';
import { errorCode, errorReason, isPermanent, TransientError } from '../errors.js';
import type { Logger } from '../logging.js';
import type { BillingObjectState, BillingResult, BillPlan, ExecuteHooks, FoundPaymentLink } from '../stripe/outbound-operations.js';
import type { DealRecordsPort } from '../billing/deal.js';
import { claimBilling, type BillingRecordsPort } from './billing-claim.js';
import { claimDeal, dealScopeOf, releaseDeal, type DealClaim } from './deal-claim.js';
import type { BillableRecord } from './billable.js';
import type { BillingRequest } from './process-request.js';
import { planRequestOf } from './plan-request.js';
import { forBillingGeneration, idempotencyKey, planBilling, resumeBilling, shownBilling, type FoundInvoice, type PlanSettings } from './plan.js';

export interface BillOncePorts {
  readonly billings: BillingRecordsPort;
  /** One bill per deal: the Opportunity, or one of its Quotes, or its Orders (deal-claim.ts). */
  readonly deals: DealRecordsPort;
  readonly stripe: {
    execute(plan: BillPlan, hooks: ExecuteHooks): Promise<BillingResult>;
    /** Invoices of the customer carrying this Opportunity's id, newest first (drafts with their items). */
    findInvoices(customerId: string, opportunityId: string): Promise<FoundInvoice[]>;
    /** Where a recorded invoice or payment link stands. */
    inspect(stripeObjectId: string): Promise<BillingObjectState>;
    /** Active payment links carrying this Opportunity's id, newest first, with their totals. */
    findPaymentLinks(opportunityId: string): Promise<FoundPaymentLink[]>;
    deactivatePaymentLink(id: string, idempotencyKey: string): Promise<void>;
  };
  readonly saveCustomerId: (accountId: string, customerId: string) => Promise<void>;
  /** Reactivates the record's catalogue prices and products when Stripe refuses a step for one archived outside the bridge (ExecuteHooks.onCatalogRefused). */
  readonly reactivateCatalog?: (() => Promise<void>) | undefined;
  readonly logger: Logger;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** How long a pending billing is this request's before another may finish it. */
  readonly leaseMs: number;
}

export type BillOnce =
  | { readonly kind: 'billed'; readonly plan: BillPlan; readonly result: BillingResult; readonly record: BillingRecord }
  /** Nothing was billed; `code` and `reason` are for the rep. */
  | { readonly kind: 'not_billed'; readonly outcome: 'duplicate' | 'rejected'; readonly mode: string; readonly code: string; readonly reason: string };

export async function billOnce(
  request: BillingRequest,
  opportunity: BillableRecord,
  requested: BillPlan,
  settings: PlanSettings,
  ports: BillOncePorts,
): Promise<BillOnce> {
  const rejected = (mode: string, code: string, reason: string): BillOnce => ({ kind: 'not_billed', outcome: 'rejected', mode, code, reason });

  const scope = dealScopeOf(opportunity);
  let deal: DealClaim | undefined;
  if (scope !== undefined) {
    deal = await claimDeal(scope, { deals: ports.deals, billings: ports.billings, inspect: (id) => ports.stripe.inspect(id), now: ports.now, leaseMs: ports.leaseMs });
    if (deal.kind === 'refused') return { kind: 'not_billed', outcome: 'duplicate', mode: requested.mode, code: 'DEAL_ALREADY_BILLED', reason: deal.reason };
  }
  // Nothing of this billing exists: the deal this request took is given back too.
  const releaseDealHold = async (): Promise<void> => {
    if (scope === undefined || deal?.kind !== 'held' || !deal.taken) return;
    if (!(await releaseDeal(scope, deal.record, ports.deals))) ports.logger.warn({ opportunityId: scope.opportunityId }, 'deal record changed before it could be released');
  };

  let claim;
  try {
    claim = await claimBilling(
      { requestId: request.eventId, plan: requested, shown: shownBilling(opportunity) },
      { records: ports.billings, inspect: (id) => ports.stripe.inspect(id), now: ports.now, leaseMs: ports.leaseMs },
    );
  } catch (err) {
    if (!isPermanent(err)) throw err;
    await releaseDealHold();
    return rejected(requested.mode, errorCode(err), errorReason(err));
  }
  if (claim.kind === 'busy') {
    throw new TransientError(`Another payment request (${claim.record.requestId}) is billing ${requested.opportunityId}`, {
      code: 'BILLING_IN_PROGRESS',
      details: { leaseExpiresAt: claim.record.leaseExpiresAt },
    });
  }
  if (claim.kind === 'billed') {
    return { kind: 'not_billed', outcome: 'duplicate', mode: requested.mode, code: 'ALREADY_BILLED', reason: claim.reason };
  }

  let record = claim.record;
  // Nothing of this billing exists in Stripe yet: give the record back so the rep's fix can bill.
  const release = async (): Promise<void> => {
    if (record.stripeObjectId !== undefined) return;
    if (await ports.billings.remove(record)) {
      await releaseDealHold();
    } else {
      ports.logger.warn({ opportunityId: requested.opportunityId }, 'billing record changed before it could be released');
    }
  };
  const fail = async (mode: string, code: string, reason: string): Promise<BillOnce> => {
    await release();
    return rejected(mode, code, reason);
  };

  // A billing already under way is finished in its own mode, whatever this request asked for.
  const inMode = claim.mode === requested.mode ? requested : planBilling(opportunity, { ...planRequestOf(request, ports.now), mode: claim.mode }, settings);
  if (inMode.kind === 'cannot_bill') return fail(inMode.mode, inMode.code, inMode.reason);
  let plan: BillPlan = { ...forBillingGeneration(inMode, record.previous.length), notice: claim.notice };

  const attach = async (stripeObjectId: string): Promise<void> => {
    if (record.stripeObjectId === stripeObjectId) return;
    const write = await ports.billings.update(record, { stripeObjectId });
    if (!write.ok) {
      // Another request took the billing over (this one outlived its lease): it finishes the same plan.
      throw new TransientError(`The billing record of ${plan.opportunityId} was taken over`, { code: 'BILLING_TAKEN_OVER' });
    }
    record = write.record;
  };

  try {
    if (plan.mode === 'payment_link') {
      plan = await continuePaymentLink(plan, record, claim.resumed, attach, ports);
    } else if (plan.existingCustomerId !== undefined) {
      // No invoice id on the Opportunity does not mean Stripe has none: an earlier run may have
      // died before recording it, and its idempotency keys may have expired since (a late replay).
      // An Account without a customer cannot have one: the customer id is saved before any invoice.
      const found = await ports.stripe.findInvoices(plan.existingCustomerId, plan.opportunityId);
      // Invoices of released billings are history, not something to continue.
      const released = new Set(record.previous);
      const resumed = resumeBilling(plan, found.filter((i) => !released.has(i.id)), Math.floor(ports.now() / 1000));
      if (resumed.kind === 'cannot_bill') return await fail(resumed.mode, resumed.code, resumed.reason);
      plan =
        record.state === 'billed'
          ? // This request finished the Stripe side before (sent included): only the write-back is left.
            { ...resumed, steps: resumed.steps.filter((step) => step.kind !== 'send_invoice'), notice: claim.notice }
          : { ...resumed, notice: [claim.notice, resumed.notice].filter((n) => n !== undefined).join(' ') || undefined };
    }
  } catch (err) {
    if (isPermanent(err)) return fail(plan.mode, errorCode(err), errorReason(err));
    throw err;
  }

  let result: BillingResult;
  try {
    result = await ports.stripe.execute(plan, {
      onCustomerCreated: (customerId) => ports.saveCustomerId(plan.accountId, customerId),
      onBillingObject: attach,
      ...(ports.reactivateCatalog === undefined ? {} : { onCatalogRefused: ports.reactivateCatalog }),
    });
  } catch (err) {
    if (isPermanent(err)) return fail(plan.mode, errorCode(err), errorReason(err));
    throw err;
  }

  const done = await ports.billings.update(record, { state: 'billed', leaseExpiresAt: undefined });
  if (done.ok) {
    record = done.record;
  } else {
    // Taken over at the last moment: the other request finishes the same (idempotent) plan.
    ports.logger.warn({ opportunityId: plan.opportunityId }, 'billing record taken over before it was marked billed');
  }
  return { kind: 'billed', plan, result, record };
}

/**
 * A payment link billing continues what exists: the link the record holds is read back; a
 * continued billing without one may have created a link it could not record (the process died
 * between Stripe's answer and the record), so the Opportunity's active links are looked up: the
 * newest that charges what the plan charges is adopted, every other one is deactivated (a link
 * superseded by another must not stay payable).
 */
async function continuePaymentLink(
  plan: BillPlan,
  record: BillingRecord,
  resumed: boolean,
  attach: (id: string) => Promise<void>,
  ports: BillOncePorts,
): Promise<BillPlan> {
  if (record.stripeObjectId !== undefined) return { ...plan, resumedPaymentLink: record.stripeObjectId, steps: [] };
  if (!resumed) return plan;
  const released = new Set(record.previous);
  const found = (await ports.stripe.findPaymentLinks(plan.opportunityId)).filter((link) => !released.has(link.id));
  const match = found.find((link) => link.currency === plan.currency && link.total === plan.total);
  for (const link of found) {
    if (link !== match) await ports.stripe.deactivatePaymentLink(link.id, idempotencyKey(plan.opportunityId, `deactivate:${link.id}`));
  }
  if (match === undefined) return plan;
  await attach(match.id);
  return { ...plan, resumedPaymentLink: match.id, steps: [] };
}
