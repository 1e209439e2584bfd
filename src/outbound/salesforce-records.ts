/**
 * The outbound flow's Salesforce reads and writes, through one cached session (`withSession`
 * renews it once on INVALID_SESSION_ID; every failure comes out classified).
 */
import type { CurrencyOverrides } from '../config.js';
import { errorCode } from '../errors.js';
import type { OpportunityPaymentStatus } from '../contracts/statuses.js';
import { VERSION_FIELD } from '../salesforce/data-model.js';
import { isStaleRejection, rawMessage, SalesforcePermanentError } from '../salesforce/errors.js';
import { cachedOrgProfile, readOrgProfile, type OrgProfile } from '../salesforce/org-profile.js';
import { withSession, type SalesforceSession } from '../salesforce/session.js';
import type { BillableObject, BillableRecord } from './billable.js';
import { contractLinesQuery, contractQuery, toBillableContract } from './contract.js';
import { opportunityQuery, toBillableOpportunity } from './opportunity.js';
import { orderQuery, toBillableOrder } from './order.js';
import { quoteQuery, toBillableQuote } from './quote.js';

export interface BilledFields {
  readonly invoiceId?: string | undefined;
  readonly invoiceUrl?: string | undefined;
  readonly paymentLinkId?: string | undefined;
  readonly paymentLinkUrl?: string | undefined;
  readonly checkoutSessionId?: string | undefined;
  readonly checkoutUrl?: string | undefined;
  /** Seconds since the epoch. */
  readonly checkoutExpiresAt?: number | undefined;
  readonly subscriptionId?: string | undefined;
  /** What the bill asks for, in major units of the record's currency (Stripe_Amount_Billed__c). */
  readonly amountBilled?: number | undefined;
  /**
   * The status, with its precedence key on the records whose webhooks write a status too
   * (contracts/precedence: Opportunity, Order); Salesforce then keeps it only if the record shows
   * nothing newer. Undefined leaves the status as it is.
   */
  readonly paymentStatus: { readonly status: OpportunityPaymentStatus; readonly version: number | undefined } | undefined;
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
  read(sobject: BillableObject, recordId: string, options: { readonly multiCurrency: boolean }): Promise<BillableRecord | undefined>;
  saveCustomerId(accountId: string, customerId: string): Promise<void>;
  /** `statusApplied` is false when the record already showed a newer status (it is kept). */
  recordBilled(sobject: BillableObject, recordId: string, fields: BilledFields): Promise<{ readonly statusApplied: boolean }>;
  recordSyncError(sobject: BillableObject, recordId: string, message: string): Promise<void>;
  /** Runs a query and answers its number of rows (the permission check). */
  count(soql: string): Promise<number>;
  /** Upserts one Stripe_Sync_Log__c on Event_Id__c. */
  upsertSyncLog(fields: Readonly<Record<string, unknown>>): Promise<void>;
  /** The Event_Id__c of a Stripe_Sync_Log__c record; undefined when there is no such record. */
  syncLogEventId(recordId: string): Promise<string | undefined>;
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
  const query = async (soql: string): Promise<Array<Record<string, unknown>>> =>
    (
      await withSession(session, async (connection) => {
        apiCalls += 1;
        return connection.query<Record<string, unknown>>(soql);
      })
    ).records;
  const syncedAt = (): string => new Date(options.now()).toISOString();
  return {
    get apiCalls() {
      return apiCalls;
    },
    orgProfile,
    async read(sobject, recordId, { multiCurrency }) {
      const options = { multiCurrency };
      if (sobject === 'Contract') {
        const contract = (await query(contractQuery(recordId, options)))[0];
        return contract === undefined ? undefined : toBillableContract(contract, await query(contractLinesQuery(recordId)));
      }
      const soql = sobject === 'Opportunity' ? opportunityQuery(recordId, options) : sobject === 'Quote' ? quoteQuery(recordId, options) : orderQuery(recordId, options);
      const record = (await query(soql))[0];
      if (record === undefined) return undefined;
      return sobject === 'Opportunity' ? toBillableOpportunity(record) : sobject === 'Quote' ? toBillableQuote(record) : toBillableOrder(record);
    },
    async count(soql) {
      return (await query(soql)).length;
    },
    async syncLogEventId(recordId) {
      // The id was checked against RECORD_ID (alphanumerics only) by the dispatcher.
      const record = (await query(`SELECT Event_Id__c FROM Stripe_Sync_Log__c WHERE Id = '${recordId}'`))[0];
      return record === undefined ? undefined : String(record['Event_Id__c'] ?? '');
    },
    async upsertSyncLog(fields) {
      const upsert = (record: Readonly<Record<string, unknown>>): Promise<void> =>
        withSession(session, async (connection) => {
          apiCalls += 1;
          const result = await connection.sobject('Stripe_Sync_Log__c').upsert(record as { Event_Id__c: string }, 'Event_Id__c');
          if (!result.success) throw new Error('Stripe_Sync_Log__c upsert failed');
        });
      try {
        await upsert(fields);
      } catch (err) {
        // A requester that is no user of this org (deleted, or a made-up id): log without the lookup.
        if (fields['Requested_By__c'] === null || !errorCode(err).includes('INVALID_CROSS_REFERENCE_KEY')) throw err;
        await upsert({ ...fields, Requested_By__c: null });
      }
    },
    async saveCustomerId(accountId, customerId) {
      await update('Account', { Id: accountId, Stripe_Customer_Id__c: customerId });
    },
    async recordBilled(sobject, recordId, fields) {
      const billed = {
        Id: recordId,
        ...(fields.invoiceId === undefined ? {} : { Stripe_Invoice_Id__c: fields.invoiceId, Stripe_Invoice_Url__c: fields.invoiceUrl ?? null }),
        ...(fields.paymentLinkUrl === undefined
          ? {}
          : { Stripe_Payment_Link_Id__c: fields.paymentLinkId ?? null, Stripe_Payment_Link_Url__c: fields.paymentLinkUrl }),
        ...(fields.amountBilled === undefined ? {} : { Stripe_Amount_Billed__c: fields.amountBilled }),
        ...(fields.checkoutUrl === undefined
          ? {}
          : {
              Stripe_Checkout_Session_Id__c: fields.checkoutSessionId ?? null,
              Stripe_Checkout_Url__c: fields.checkoutUrl,
              Stripe_Checkout_Expires_At__c: fields.checkoutExpiresAt === undefined ? null : new Date(fields.checkoutExpiresAt * 1000).toISOString(),
            }),
        ...(fields.subscriptionId === undefined ? {} : { Stripe_Subscription_Id__c: fields.subscriptionId }),
        Stripe_Sync_Error__c: fields.syncError === undefined ? null : fields.syncError.slice(0, MAX_SYNC_ERROR),
        Stripe_Last_Synced_At__c: syncedAt(),
      };
      const status = fields.paymentStatus;
      if (status === undefined) {
        await update(sobject, billed);
        return { statusApplied: false };
      }
      try {
        await update(sobject, { ...billed, Stripe_Payment_Status__c: status.status, ...(status.version === undefined ? {} : { [VERSION_FIELD]: status.version }) });
        return { statusApplied: true };
      } catch (err) {
        if (!(err instanceof SalesforcePermanentError) || !isStaleRejection(err.errorCode, rawMessage(err), err.fields)) throw err;
        // A newer state (a payment that landed meanwhile) stays; the bill's ids are still written.
        await update(sobject, billed);
        return { statusApplied: false };
      }
    },
    async recordSyncError(sobject, recordId, message) {
      await update(sobject, {
        Id: recordId,
        Stripe_Sync_Error__c: message.slice(0, MAX_SYNC_ERROR),
        Stripe_Last_Synced_At__c: syncedAt(),
      });
    },
  };
}
