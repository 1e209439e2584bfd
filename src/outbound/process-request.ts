/**
 * Billing one revenue record (the `invoice`, `payment_link` and `checkout` commands on an
 * Opportunity, Quote, Order or Contract): read the record → plan → Stripe → write back.
 * Outcomes: billed (`invoiced`, `payment_link_created`, `checkout_created`), `duplicate`
 * (already billed), `rejected` (a permanent problem, written to the record for the rep), or a
 * thrown error: transient ones so Lambda retries. The dispatcher (src/commands) runs it inside the
 * shared idempotency lifecycle (dedup/run-once) and logs the outcome.
 */
import { isVersionedObject, precedenceKey, precedenceOf, RANK } from '../contracts/precedence.js';
import type { IdempotencyStore } from '../dedup/run-once.js';
import { errorCode, errorReason, isPermanent, PermanentError } from '../errors.js';
import type { Logger } from '../logging.js';
import { toMajorUnits } from '../money.js';
import type { OpportunityPaymentStatus } from '../contracts/statuses.js';
import type { BillingObjectState, BillingResult, BillPlan, ExecuteHooks, FoundPaymentLink } from '../stripe/outbound-operations.js';
import type { BillableObject } from './billable.js';
import { billOnce } from './bill-once.js';
import type { DealRecordsPort } from '../billing/deal.js';
import type { BillingRecordsPort } from './billing-claim.js';
import { planRequestOf } from './plan-request.js';
import { isPaymentMode, planBilling, resolveCurrency, type FoundInvoice, type PlanRequest, type PlanSettings } from './plan.js';
import { catalogObjectsOf, priceRecordLines } from './catalog-prices.js';
import { reactivateCatalog, type CatalogPorts } from '../catalog/sync.js';
import type { OpportunityRecords } from './salesforce-records.js';
import type { RetryResult } from '../sync-log/retry.js';

/** `succeeded`: a service command (refund, portal_link, …) did what it was asked; `message` says what. */
export type OutboundOutcome = 'invoiced' | 'payment_link_created' | 'checkout_created' | 'subscription_created' | 'succeeded' | 'duplicate' | 'rejected' | 'retry';

export interface OutboundResult {
  readonly outcome: Exclude<OutboundOutcome, 'retry'>;
  readonly eventId: string;
  readonly recordId: string;
  readonly mode?: string | undefined;
  readonly customerId?: string | undefined;
  readonly invoiceId?: string | undefined;
  readonly invoiceUrl?: string | undefined;
  readonly paymentLinkId?: string | undefined;
  readonly paymentLinkUrl?: string | undefined;
  readonly checkoutSessionId?: string | undefined;
  readonly checkoutUrl?: string | undefined;
  readonly subscriptionId?: string | undefined;
  /** Status in which an earlier run's invoice was found in Stripe and continued, if one was. */
  readonly resumedInvoiceStatus?: FoundInvoice['status'] | undefined;
  /** Why the request was rejected (also written to Stripe_Sync_Error__c). */
  readonly code?: string | undefined;
  readonly reason?: string | undefined;
  /** Service commands: what happened, for the requester (Stripe_Sync_Log__c.Message__c). */
  readonly message?: string | undefined;
  /** Service commands: the Stripe object acted on or created (re_…, bps_…, in_…, sub_…). */
  readonly stripeObjectId?: string | undefined;
  /** Service commands: the link to send (a secret: never logged, only written to Salesforce). */
  readonly stripeUrl?: string | undefined;
}

/** The idempotency store the outbound lifecycle runs on (the consumer's, dedup/run-once.ts). */
export type OutboundStore = IdempotencyStore;

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
  /** Which record bills each deal (src/billing/deal.ts). */
  readonly deals: DealRecordsPort;
  /** Milliseconds a pending billing stays this request's (EVENT_LEASE_SECONDS). */
  readonly leaseMs: number;
  /**
   * The catalogue sync (src/catalog): a subscription's products and prices are synced before it
   * is planned. Undefined: lines are priced inline, as before the catalogue existed.
   */
  readonly catalog?: CatalogPorts | undefined;
  /** What the deployment configures; the currencies come from the org. */
  readonly settings: Pick<PlanSettings, 'daysUntilDue'>;
  /**
   * Retries a dead-lettered inbound event (sync-log/retry.ts): the `retry` command. Undefined when
   * the deployment did not give the outbound function the inbound queue and DLQ.
   */
  readonly retryDeadLetter?: ((eventId: string, requestedBy: string | undefined) => Promise<RetryResult>) | undefined;
  readonly logger: Logger;
  readonly now: () => number;
}

/** A found invoice may be further along than one just sent (as the inbound flow maps it). */
function statusOf(invoiceStatus: string | undefined): { readonly status: OpportunityPaymentStatus; readonly rank: number } {
  if (invoiceStatus === 'paid') return { status: 'Paid', rank: RANK.SETTLED };
  if (invoiceStatus === 'uncollectible') return { status: 'Payment Failed', rank: RANK.FAILED };
  return { status: 'Awaiting Payment', rank: RANK.OPEN };
}

/** What to bill: the record and how, as the dispatcher resolved it from the command. */
export interface BillingRequest {
  readonly eventId: string;
  readonly sobject: BillableObject;
  readonly recordId: string;
  /** `invoice`, `payment_link`, `checkout`; undefined lets the Opportunity's Stripe_Payment_Mode__c decide. */
  readonly mode: string | undefined;
  readonly daysUntilDue: number | undefined;
  readonly checkoutHours: number | undefined;
  /** Where Checkout sends the payer after paying or on its back button (`Options__c`). */
  readonly checkoutPages?: PlanRequest['checkoutPages'];
  /** `subscription`: Options__c.collectionMethod. */
  readonly collectionMethod?: string | undefined;
  /** Seconds since the epoch. */
  readonly requestedAt: number | undefined;
}

/** How the rep retries after fixing the problem, per object (the shipped Flows' triggers). */
const RETRY_HINT: Readonly<Record<BillableObject, string>> = {
  Opportunity: 'mark the Opportunity Closed Won again',
  Quote: 'request the Stripe link for the Quote again',
  Order: 'request the Stripe invoice for the Order again',
  Contract: 'request Stripe billing for the Contract again',
};

export function syncErrorText(sobject: BillableObject, code: string, reason: string): string {
  return `Stripe billing failed: ${reason} [${code}]. Fix it, then ${RETRY_HINT[sobject]} to retry.`;
}

const OUTCOME: Readonly<Record<string, Exclude<OutboundOutcome, 'retry' | 'duplicate' | 'rejected'>>> = {
  invoice: 'invoiced',
  payment_link: 'payment_link_created',
  checkout: 'checkout_created',
  subscription: 'subscription_created',
};

export async function billRecord(request: BillingRequest, ports: OutboundPorts): Promise<OutboundResult> {
  const base = { eventId: request.eventId, recordId: request.recordId };
  const { sobject } = request;
  const reject = async (mode: string | undefined, code: string, reason: string): Promise<OutboundResult> => {
    await ports.records.recordSyncError(sobject, request.recordId, syncErrorText(sobject, code, reason));
    return { ...base, outcome: 'rejected', mode, code, reason };
  };

  // Known once per cold start: which org this deployment serves, and its currencies.
  const org = await ports.records.orgProfile();
  if (org.isSandbox && (await ports.billing.isLiveMode())) {
    // A sandbox refreshed from production keeps production's settings: it must never charge real customers.
    ports.logger.error({ eventId: request.eventId, recordId: request.recordId, organizationId: org.organizationId }, 'sandbox org with a live Stripe key: billing refused');
    return reject(request.mode, 'SANDBOX_LIVE_KEY', 'This Salesforce org is a sandbox and the bridge holds a live Stripe key; a sandbox bills only in Stripe test mode (sk_test_/rk_test_)');
  }
  const settings: PlanSettings = { ...ports.settings, multiCurrency: org.multiCurrency, corporateCurrency: org.corporateCurrency };

  let opportunity;
  try {
    opportunity = await ports.records.read(sobject, request.recordId, { multiCurrency: org.multiCurrency });
  } catch (err) {
    // A record we can read but not bill (e.g. too many products) is the rep's to fix.
    if (isPermanent(err) && !errorCode(err).startsWith('SALESFORCE_')) return reject(request.mode, errorCode(err), errorReason(err));
    throw err;
  }
  if (opportunity === undefined) {
    throw new PermanentError(`${sobject} ${request.recordId} does not exist or is not visible to the integration user`, {
      code: 'RECORD_NOT_FOUND',
    });
  }

  // Product2 is the source of truth for what is sold: every mode bills the catalogue's products
  // and prices, so the products the record's lines need are synced first (src/catalog).
  const mode = request.mode ?? opportunity.paymentMode ?? 'invoice';
  if (ports.catalog !== undefined && isPaymentMode(mode)) {
    try {
      opportunity = await priceRecordLines(opportunity, resolveCurrency(opportunity, settings), request.eventId, ports.catalog);
    } catch (err) {
      if (isPermanent(err) && !errorCode(err).startsWith('SALESFORCE_')) return reject(mode, errorCode(err), errorReason(err));
      throw err;
    }
  }

  const requested = planBilling(opportunity, planRequestOf(request, ports.now), settings);
  const { catalog } = ports;
  if (requested.kind === 'cannot_bill') return reject(requested.mode, requested.code, requested.reason);

  // One billing per record, whatever the requests (billing-claim.ts, bill-once.ts).
  const billed = await billOnce(request, opportunity, requested, settings, {
    billings: ports.billings,
    deals: ports.deals,
    stripe: ports.billing,
    saveCustomerId: (accountId, customerId) => ports.records.saveCustomerId(accountId, customerId),
    ...(catalog === undefined ? {} : { reactivateCatalog: () => reactivateCatalog(catalogObjectsOf(opportunity), request.eventId, catalog) }),
    logger: ports.logger,
    now: ports.now,
    leaseMs: ports.leaseMs,
  });
  if (billed.kind === 'not_billed') {
    if (billed.outcome === 'rejected') return reject(billed.mode, billed.code, billed.reason);
    await ports.records.recordSyncError(sobject, request.recordId, billed.reason);
    return { ...base, outcome: 'duplicate', mode: billed.mode, code: billed.code, reason: billed.reason };
  }
  const { plan, result } = billed;

  // The write-back's status carries a precedence key at the platform event's time on the records
  // webhooks also write (Opportunity, Order): Salesforce rejects it when a newer state (a payment
  // that landed meanwhile, this write-back retried after an outage) is already there, and the ids
  // and URLs are then written without it (contracts/precedence, docs/consistency.md). Quotes and
  // Contracts get their status from this write-back only.
  const { status, rank } = statusOf(result.invoiceStatus);
  const event = { id: request.eventId, created: request.requestedAt ?? Math.floor(ports.now() / 1000) };
  const version = isVersionedObject(sobject) ? precedenceKey(precedenceOf(sobject, status, event, rank)) : undefined;
  await ports.records.recordBilled(sobject, request.recordId, {
    invoiceId: result.invoiceId,
    invoiceUrl: result.invoiceUrl,
    paymentLinkId: result.paymentLinkId,
    paymentLinkUrl: result.paymentLinkUrl,
    amountBilled: toMajorUnits(plan.total, plan.currency),
    checkoutSessionId: result.checkoutSessionId,
    checkoutUrl: result.checkoutUrl,
    checkoutExpiresAt: result.checkoutExpiresAt,
    subscriptionId: result.subscriptionId,
    paymentStatus: { status, version },
    syncError:
      result.sendFailure === undefined
        ? plan.notice
        : `Invoice ${result.invoiceId ?? ''} is open but Stripe did not email it (${result.sendFailure}). Share the invoice URL or add a billing email in Stripe.`,
  });
  return {
    ...base,
    outcome: OUTCOME[plan.mode] ?? 'invoiced',
    mode: plan.mode,
    customerId: result.customerId,
    invoiceId: result.invoiceId,
    invoiceUrl: result.invoiceUrl,
    paymentLinkId: result.paymentLinkId,
    paymentLinkUrl: result.paymentLinkUrl,
    checkoutSessionId: result.checkoutSessionId,
    checkoutUrl: result.checkoutUrl,
    subscriptionId: result.subscriptionId,
    resumedInvoiceStatus: plan.resumedInvoice?.status,
  };
}
