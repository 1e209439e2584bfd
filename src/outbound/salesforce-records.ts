/**
 * The outbound flow's Salesforce reads and writes, through one cached session (`withSession`
 * renews it once on INVALID_SESSION_ID; every failure comes out classified).
 */
import type { CurrencyOverrides } from '../config.js';
import type { OpportunityPaymentStatus } from '../contracts/statuses.js';
import { VERSION_FIELD } from '../salesforce/data-model.js';
import { isStaleRejection, SalesforcePermanentError } from '../salesforce/errors.js';
import { cachedOrgProfile, readOrgProfile, type OrgProfile } from '../salesforce/org-profile.js';
import { withSession, type SalesforceSession } from '../salesforce/session.js';
import { opportunityQuery, toBillableOpportunity, type BillableOpportunity } from './opportunity.js';

export interface BilledFields {
  readonly invoiceId?: string | undefined;
  readonly invoiceUrl?: string | undefined;
  readonly paymentLinkId?: string | undefined;
  readonly paymentLinkUrl?: string | undefined;
  /**
   * The status with its precedence key (contracts/precedence); Salesforce keeps it only if the
   * Opportunity shows nothing newer. Undefined leaves the status as it is.
   */
  readonly paymentStatus: { readonly status: OpportunityPaymentStatus; readonly version: number } | undefined;
  /** Undefined clears an earlier error. */
  readonly syncError: string | undefined;
}

export interface OpportunityRecords {
  /** The org the bridge serves, read once per cold start (see org-profile.ts). */
  orgProfile(): Promise<OrgProfile>;
  /**
   * Undefined when no Opportunity has that id (deleted, or not visible to the integration user).
   * `CurrencyIsoCode` is read only in multi-currency orgs: elsewhere the field does not exist.
   */
  read(opportunityId: string, options: { readonly multiCurrency: boolean }): Promise<BillableOpportunity | undefined>;
  saveCustomerId(accountId: string, customerId: string): Promise<void>;
  /** Returns false when the status was not applied because the Opportunity shows a newer one. */
  recordBilled(opportunityId: string, fields: BilledFields): Promise<{ readonly statusApplied: boolean }>;
  recordSyncError(opportunityId: string, message: string): Promise<void>;
  /** API calls made so far (for the log line and budgets). */
  readonly apiCalls: number;
}

/** Salesforce's own message behind a classified error (to recognise our rule; never logged). */
function rawMessage(err: Error): string | undefined {
  const data = (err.cause as { data?: { message?: unknown } } | undefined)?.data;
  return typeof data?.message === 'string' ? data.message : undefined;
}

/** Stripe_Sync_Error__c is a long text area of 32,768 characters. */
const MAX_SYNC_ERROR = 32_768;

export function salesforceOpportunityRecords(
  session: SalesforceSession,
  options: { readonly currencyOverrides: CurrencyOverrides; readonly now: () => number },
): OpportunityRecords {
  let apiCalls = 0;
  const orgProfile = cachedOrgProfile(() =>
    readOrgProfile(session, options.currencyOverrides, () => {
      apiCalls += 1;
    }),
  );
  const update = async (sobject: string, record: Record<string, unknown>): Promise<void> => {
    await withSession(session, async (connection) => {
      apiCalls += 1;
      await connection.sobject(sobject).update(record as { Id: string });
    });
  };
  const syncedAt = (): string => new Date(options.now()).toISOString();
  return {
    get apiCalls() {
      return apiCalls;
    },
    orgProfile,
    async read(opportunityId, { multiCurrency }) {
      const soql = opportunityQuery(opportunityId, { multiCurrency });
      const result = await withSession(session, async (connection) => {
        apiCalls += 1;
        return connection.query<Record<string, unknown>>(soql);
      });
      const record = result.records[0];
      return record === undefined ? undefined : toBillableOpportunity(record);
    },
    async saveCustomerId(accountId, customerId) {
      await update('Account', { Id: accountId, Stripe_Customer_Id__c: customerId });
    },
    async recordBilled(opportunityId, fields) {
      const billed = {
        Id: opportunityId,
        ...(fields.invoiceId === undefined ? {} : { Stripe_Invoice_Id__c: fields.invoiceId, Stripe_Invoice_Url__c: fields.invoiceUrl ?? null }),
        ...(fields.paymentLinkUrl === undefined
          ? {}
          : { Stripe_Payment_Link_Id__c: fields.paymentLinkId ?? null, Stripe_Payment_Link_Url__c: fields.paymentLinkUrl }),
        Stripe_Sync_Error__c: fields.syncError === undefined ? null : fields.syncError.slice(0, MAX_SYNC_ERROR),
        Stripe_Last_Synced_At__c: syncedAt(),
      };
      if (fields.paymentStatus === undefined) {
        await update('Opportunity', billed);
        return { statusApplied: false };
      }
      try {
        await update('Opportunity', { ...billed, Stripe_Payment_Status__c: fields.paymentStatus.status, [VERSION_FIELD]: fields.paymentStatus.version });
        return { statusApplied: true };
      } catch (err) {
        if (!(err instanceof SalesforcePermanentError) || !isStaleRejection(err.errorCode, rawMessage(err), err.fields)) throw err;
        // A newer state (a payment that landed meanwhile) stays; the bill's ids are still written.
        await update('Opportunity', billed);
        return { statusApplied: false };
      }
    },
    async recordSyncError(opportunityId, message) {
      await update('Opportunity', {
        Id: opportunityId,
        Stripe_Sync_Error__c: message.slice(0, MAX_SYNC_ERROR),
        Stripe_Last_Synced_At__c: syncedAt(),
      });
    },
  };
}
