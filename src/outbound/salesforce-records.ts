/**
 * The outbound flow's Salesforce reads and writes, through one cached session (`withSession`
 * renews it once on INVALID_SESSION_ID; every failure comes out classified).
 */
import type { CurrencyOverrides } from '../config.js';
import type { OpportunityPaymentStatus } from '../contracts/statuses.js';
import { cachedOrgProfile, readOrgProfile, type OrgProfile } from '../salesforce/org-profile.js';
import { withSession, type SalesforceSession } from '../salesforce/session.js';
import { opportunityQuery, toBillableOpportunity, type BillableOpportunity } from './opportunity.js';

export interface BilledFields {
  readonly invoiceId?: string | undefined;
  readonly invoiceUrl?: string | undefined;
  readonly paymentLinkId?: string | undefined;
  readonly paymentLinkUrl?: string | undefined;
  /** Undefined leaves the status as it is (a webhook already settled it). */
  readonly paymentStatus: OpportunityPaymentStatus | undefined;
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
  recordBilled(opportunityId: string, fields: BilledFields): Promise<void>;
  recordSyncError(opportunityId: string, message: string): Promise<void>;
  /** API calls made so far (for the log line and budgets). */
  readonly apiCalls: number;
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
      await update('Opportunity', {
        Id: opportunityId,
        ...(fields.invoiceId === undefined ? {} : { Stripe_Invoice_Id__c: fields.invoiceId, Stripe_Invoice_Url__c: fields.invoiceUrl ?? null }),
        ...(fields.paymentLinkUrl === undefined
          ? {}
          : { Stripe_Payment_Link_Id__c: fields.paymentLinkId ?? null, Stripe_Payment_Link_Url__c: fields.paymentLinkUrl }),
        ...(fields.paymentStatus === undefined ? {} : { Stripe_Payment_Status__c: fields.paymentStatus }),
        Stripe_Sync_Error__c: fields.syncError === undefined ? null : fields.syncError.slice(0, MAX_SYNC_ERROR),
        Stripe_Last_Synced_At__c: syncedAt(),
      });
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
