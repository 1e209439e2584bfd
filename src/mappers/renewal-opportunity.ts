/**
 * The renewal Opportunity of an annual term (RENEWAL_OPPORTUNITIES, off by default): when Stripe
 * announces the renewal of a subscription billed yearly or longer (`invoice.upcoming`), sales gets
 * an Opportunity to work it — closing on the renewal day, worth the upcoming invoice, in the stage
 * the admin chose (RENEWAL_OPPORTUNITY_STAGE), owned by the Account owner. Pure.
 *
 * Once per renewal period, and never overwritten: inserted (createOnly, never upserted) with
 * `Stripe_Renewal_Key__c` (unique external id), the period key its Task uses too
 * (`renewal:<sub_…>:<period end>`), in the event's write of the period the consumer claimed
 * (src/inbound/renewal-tasks.ts). The claim spares the write; Salesforce's unique index is what
 * makes it create-only: an insert of a key that exists is refused (DUPLICATE_VALUE) and the writer
 * leaves that Opportunity as it is, whenever the period is announced again (a plan change re-sends
 * the preview; the claim lives DEDUP_TTL_DAYS). So the stage, amount, close date, name and owner a
 * rep sets are theirs.
 */
import { toMajorUnits } from '../money.js';
import type { OrgCurrencies } from '../salesforce/org-profile.js';
import { stripeDashboardPage } from '../stripe/dashboard.js';
import type { RenewalReminder, SalesforceMutation } from './mutation.js';
import { formatMoneyForPeople, upsert } from './records.js';
import { ACCOUNT_GONE, type ReminderAccount } from './renewal.js';
import { isoDate } from './time.js';

export interface RenewalOpportunitySettings {
  /** StageName of new renewal Opportunities (a value of the org's Stage picklist). */
  readonly stage: string;
}


/** Opportunity.Name holds 120 characters. */
const NAME_LENGTH = 120;

/** The Opportunity, or undefined when the reminder is no renewal of a term of a year or longer. */
export function renewalOpportunity(
  reminder: RenewalReminder,
  account: ReminderAccount,
  settings: RenewalOpportunitySettings,
  org: OrgCurrencies,
): SalesforceMutation | undefined {
  const renewal = reminder.renewal;
  if (reminder.kind !== 'renewal' || renewal === undefined || !renewal.annualTerm) return undefined;
  const closeDate = isoDate(reminder.dueAt);
  const { minor, currency } = renewal.amountDue;
  // Amount is a currency field: in the record's currency (multi-currency orgs), else the corporate
  // one. A single-currency org billed in another currency gets no Amount rather than a wrong one.
  const amountFits = org.multiCurrency || currency.toLowerCase() === org.corporateCurrency.toLowerCase();
  const money = formatMoneyForPeople(minor, currency);
  return {
    ...upsert('Opportunity', { field: 'Stripe_Renewal_Key__c', value: reminder.key }, {
      Name: `${renewal.customerName ?? reminder.subscriptionId} renewal ${closeDate}`.slice(0, NAME_LENGTH),
      AccountId: account.accountId,
      CloseDate: closeDate,
      StageName: settings.stage,
      Amount: amountFits ? toMajorUnits(minor, currency) : undefined,
      CurrencyIsoCode: org.multiCurrency ? currency.toUpperCase() : undefined,
      Description:
        `Renewal of Stripe subscription ${reminder.subscriptionId} on ${closeDate} (UTC); upcoming invoice ${money}` +
        `${amountFits ? '' : ' (not in the org currency: no Amount)'}. ${stripeDashboardPage('subscriptions', reminder.subscriptionId, renewal.livemode)}`,
      ...('ownerId' in account
        ? { OwnerId: account.ownerId }
        : // The customer: the batch's roll-up reads its Account and assigns the owner (src/inbound/task-owners.ts).
          { Stripe_Customer_Id__c: account.ownerFromRollupOf }),
    }),
    // Create-only in Salesforce itself: an existing Opportunity of the period is never written again.
    createOnly: true,
    // An Account deleted since it was found: no Opportunity, the record is skipped (as its Task).
    skipIfRefused: { errorCode: ACCOUNT_GONE, field: 'AccountId' },
  };
}
