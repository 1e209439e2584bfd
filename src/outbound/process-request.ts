/**
 * One payment request, end to end: dedup claim → read the Opportunity → plan → Stripe → write
 * back. Outcomes: billed (`invoiced`, `payment_link_created`), `duplicate` (seen before or already
 * billed), `rejected` (a permanent problem, written to the Opportunity for the rep), or a thrown
 * error: transient ones so Lambda retries, permanent ones nobody can be told about so the event
 * ends in the outbound DLQ with its reason.
 */
import type { ClaimResult, GuardResult } from '../dedup/event-store.js';
import { guardOf } from '../contracts/salesforce-mutation.js';
import { RANK } from '../contracts/precedence.js';
import { errorCode, errorReason, isPermanent, PermanentError, TransientError } from '../errors.js';
import type { Logger } from '../logging.js';
import type { OpportunityPaymentStatus } from '../contracts/statuses.js';
import { sameOrg } from '../salesforce/org-profile.js';
import type { BillingObjectState, BillingResult, BillPlan, ExecuteHooks, FoundPaymentLink } from '../stripe/outbound-operations.js';
import { parsePaymentRequest, type PaymentRequest } from './payment-request.js';
import { billOnce } from './bill-once.js';
import type { BillingRecordsPort } from './billing-claim.js';
import { planBilling, type FoundInvoice, type PlanSettings } from './plan.js';
import type { OpportunityRecords } from './salesforce-records.js';

export type OutboundOutcome = 'invoiced' | 'payment_link_created' | 'duplicate' | 'rejected' | 'retry';

export interface OutboundResult {
  readonly outcome: Exclude<OutboundOutcome, 'retry'>;
  readonly eventId: string;
  readonly opportunityId: string;
  readonly mode?: string | undefined;
  readonly customerId?: string | undefined;
  readonly invoiceId?: string | undefined;
  readonly invoiceUrl?: string | undefined;
  readonly paymentLinkId?: string | undefined;
  readonly paymentLinkUrl?: string | undefined;
  /** Status in which an earlier run's invoice was found in Stripe and continued, if one was. */
  readonly resumedInvoiceStatus?: FoundInvoice['status'] | undefined;
  /** Why the request was rejected (also written to Stripe_Sync_Error__c). */
  readonly code?: string | undefined;
  readonly reason?: string | undefined;
}

export interface OutboundStore {
  claim(eventId: string, eventType: string): Promise<ClaimResult>;
  advanceGuard(key: string, event: { eventId: string; created: number; rank: number }): Promise<GuardResult>;
  complete(eventId: string, token: string, outcome: string): Promise<boolean>;
  release(eventId: string, token: string): Promise<void>;
}

export interface OutboundPorts {
  readonly store: OutboundStore;
  readonly records: OpportunityRecords;
  readonly billing: {
    execute(plan: BillPlan, hooks: ExecuteHooks): Promise<BillingResult>;
    /** The key is a live-mode key (`sk_live_`, `rk_live_`). */
    isLiveMode(): Promise<boolean>;
    /** Invoices of the customer carrying this Opportunity's id, newest first (drafts with their items). */
    findInvoices(customerId: string, opportunityId: string): Promise<FoundInvoice[]>;
    /** Where a recorded invoice or payment link stands (may the Opportunity be billed again?). */
    inspect(stripeObjectId: string): Promise<BillingObjectState>;
    /** Active payment links carrying this Opportunity's id, newest first, with their totals. */
    findPaymentLinks(opportunityId: string): Promise<FoundPaymentLink[]>;
    deactivatePaymentLink(id: string, idempotencyKey: string): Promise<void>;
  };
  /** The Opportunities' billing records (src/billing). */
  readonly billings: BillingRecordsPort;
  /** Milliseconds a pending billing stays this request's (EVENT_LEASE_SECONDS). */
  readonly leaseMs: number;
  /** What the deployment configures; the currencies come from the org. */
  readonly settings: Pick<PlanSettings, 'daysUntilDue'>;
  readonly logger: Logger;
  readonly now: () => number;
}

/** A found invoice may be further along than one just sent (as the inbound flow maps it). */
function statusOf(invoiceStatus: string | undefined): { readonly status: OpportunityPaymentStatus; readonly rank: number } {
  if (invoiceStatus === 'paid') return { status: 'Paid', rank: RANK.SETTLED };
  if (invoiceStatus === 'uncollectible') return { status: 'Payment Failed', rank: RANK.FAILED };
  return { status: 'Awaiting Payment', rank: RANK.OPEN };
}

function syncErrorText(code: string, reason: string): string {
  return `Stripe billing failed: ${reason} [${code}]. Fix it, then mark the Opportunity Closed Won again to retry.`;
}

/** Salesforce error messages may quote field values; only our own and Stripe's reasons are logged. */
function loggableReason(err: unknown): string | undefined {
  return errorCode(err).startsWith('SALESFORCE_') ? undefined : errorReason(err, 300);
}

async function bill(request: PaymentRequest, ports: OutboundPorts): Promise<OutboundResult> {
  const base = { eventId: request.eventId, opportunityId: request.opportunityId };
  const reject = async (mode: string | undefined, code: string, reason: string): Promise<OutboundResult> => {
    await ports.records.recordSyncError(request.opportunityId, syncErrorText(code, reason));
    return { ...base, outcome: 'rejected', mode, code, reason };
  };

  // Known once per cold start: which org this deployment serves, and its currencies.
  const org = await ports.records.orgProfile();
  if (request.sourceOrgId !== undefined && !sameOrg(request.sourceOrgId, org.organizationId)) {
    // Another org's event (a misrouted relay, or a sandbox's relay pointed at production's bus):
    // its ids mean nothing here and nothing is written. Not retried: retrying cannot change the org.
    ports.logger.error({ eventId: request.eventId, sourceOrgId: request.sourceOrgId, organizationId: org.organizationId }, 'payment request from another Salesforce org refused');
    return { ...base, outcome: 'rejected', mode: request.mode, code: 'FOREIGN_ORG', reason: `The event comes from org ${request.sourceOrgId}; this deployment serves ${org.organizationId}` };
  }
  if (org.isSandbox && (await ports.billing.isLiveMode())) {
    // A sandbox refreshed from production keeps production's settings: it must never charge real customers.
    ports.logger.error({ eventId: request.eventId, opportunityId: request.opportunityId, organizationId: org.organizationId }, 'sandbox org with a live Stripe key: billing refused');
    return reject(request.mode, 'SANDBOX_LIVE_KEY', 'This Salesforce org is a sandbox and the bridge holds a live Stripe key; a sandbox bills only in Stripe test mode (sk_test_/rk_test_)');
  }
  const settings: PlanSettings = { ...ports.settings, multiCurrency: org.multiCurrency, corporateCurrency: org.corporateCurrency };

  let opportunity;
  try {
    opportunity = await ports.records.read(request.opportunityId, { multiCurrency: org.multiCurrency });
  } catch (err) {
    // A record we can read but not bill (e.g. too many products) is the rep's to fix.
    if (isPermanent(err) && !errorCode(err).startsWith('SALESFORCE_')) return reject(request.mode, errorCode(err), errorReason(err));
    throw err;
  }
  if (opportunity === undefined) {
    throw new PermanentError(`Opportunity ${request.opportunityId} does not exist or is not visible to the integration user`, {
      code: 'OPPORTUNITY_NOT_FOUND',
    });
  }

  const requested = planBilling(opportunity, request, settings);
  if (requested.kind === 'cannot_bill') return reject(requested.mode, requested.code, requested.reason);

  // One billing per Opportunity, whatever the requests (billing-claim.ts, bill-once.ts).
  const billed = await billOnce(request, opportunity, requested, settings, {
    billings: ports.billings,
    stripe: ports.billing,
    saveCustomerId: (accountId, customerId) => ports.records.saveCustomerId(accountId, customerId),
    logger: ports.logger,
    now: ports.now,
    leaseMs: ports.leaseMs,
  });
  if (billed.kind === 'not_billed') {
    if (billed.outcome === 'rejected') return reject(billed.mode, billed.code, billed.reason);
    await ports.records.recordSyncError(request.opportunityId, billed.reason);
    return { ...base, outcome: 'duplicate', mode: billed.mode, code: billed.code, reason: billed.reason };
  }
  const { plan, result } = billed;

  // The write-back's status passes the same ordering guard as the webhooks' Opportunity updates:
  // a payment that landed meanwhile (this write-back retried after an outage) is never undone.
  const { status, rank } = statusOf(result.invoiceStatus);
  const guard = await ports.store.advanceGuard(guardOf('Opportunity', request.opportunityId), {
    eventId: request.eventId,
    created: request.requestedAt ?? Math.floor(ports.now() / 1000),
    rank,
  });
  const paymentStatus: OpportunityPaymentStatus | undefined = guard.applied ? status : undefined;
  await ports.records.recordBilled(request.opportunityId, {
    invoiceId: result.invoiceId,
    invoiceUrl: result.invoiceUrl,
    paymentLinkId: result.paymentLinkId,
    paymentLinkUrl: result.paymentLinkUrl,
    paymentStatus,
    syncError:
      result.sendFailure === undefined
        ? plan.notice
        : `Invoice ${result.invoiceId ?? ''} is open but Stripe did not email it (${result.sendFailure}). Share the invoice URL or add a billing email in Stripe.`,
  });
  return {
    ...base,
    outcome: plan.mode === 'invoice' ? 'invoiced' : 'payment_link_created',
    mode: plan.mode,
    customerId: result.customerId,
    invoiceId: result.invoiceId,
    invoiceUrl: result.invoiceUrl,
    paymentLinkId: result.paymentLinkId,
    paymentLinkUrl: result.paymentLinkUrl,
    resumedInvoiceStatus: plan.resumedInvoice?.status,
  };
}

export async function processPaymentRequest(event: unknown, ports: OutboundPorts): Promise<OutboundResult> {
  const started = ports.now();
  const callsBefore = ports.records.apiCalls;
  const log = (fields: Record<string, unknown>, level: 'info' | 'warn' | 'error' = 'info'): void => {
    ports.logger[level]({ ...fields, durationMs: ports.now() - started }, 'payment request');
  };

  let request: PaymentRequest;
  try {
    request = parsePaymentRequest(event);
  } catch (err) {
    log({ outcome: 'rejected', code: errorCode(err), reason: errorReason(err, 300) }, 'error');
    throw err;
  }
  const ids = { eventId: request.eventId, opportunityId: request.opportunityId, mode: request.mode };

  let claim: ClaimResult;
  try {
    claim = await ports.store.claim(request.eventId, request.detailType);
  } catch (err) {
    log({ ...ids, outcome: 'retry', code: errorCode(err) }, 'warn');
    throw err;
  }
  if (claim.status === 'completed') {
    log({ ...ids, outcome: 'duplicate', previousOutcome: claim.outcome });
    return { outcome: 'duplicate', eventId: request.eventId, opportunityId: request.opportunityId };
  }
  if (claim.status === 'in_progress') {
    // Another attempt holds the lease (or crashed holding it): retry after it ends or expires.
    log({ ...ids, outcome: 'retry', code: 'EVENT_IN_PROGRESS' }, 'warn');
    throw new TransientError(`Payment request ${request.eventId} is being processed by another attempt`, {
      code: 'EVENT_IN_PROGRESS',
      details: { leaseExpiresAt: claim.leaseExpiresAt },
    });
  }

  let result: OutboundResult;
  try {
    result = await bill(request, ports);
  } catch (err) {
    // Give the claim back so the retry (Lambda's, or a DLQ replay) can run at once.
    await ports.store.release(request.eventId, claim.token).catch((releaseError: unknown) => {
      ports.logger.warn({ ...ids, code: errorCode(releaseError) }, 'could not release the claim; it expires with its lease');
    });
    const permanent = isPermanent(err);
    log({ ...ids, outcome: permanent ? 'rejected' : 'retry', code: errorCode(err), reason: loggableReason(err), deadLetter: permanent }, permanent ? 'error' : 'warn');
    throw err;
  }

  await ports.store.complete(request.eventId, claim.token, result.outcome);
  log({
    ...ids,
    mode: result.mode ?? request.mode,
    outcome: result.outcome,
    customerId: result.customerId,
    invoiceId: result.invoiceId,
    paymentLinkId: result.paymentLinkId,
    resumedInvoiceStatus: result.resumedInvoiceStatus,
    code: result.code,
    reason: result.reason,
    salesforceApiCalls: ports.records.apiCalls - callsBefore,
  });
  return result;
}
