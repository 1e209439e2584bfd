/**
 * Renewal Tasks (issue 12): the reminders the mappers read from `invoice.upcoming` and
 * `customer.subscription.trial_will_end` become one Task per subscription period for the
 * Account owner, riding in the batch's own Composite write.
 *
 * Exactly once per period, whatever the redeliveries, replays, re-sent previews and concurrent
 * consumers: the period's key is claimed in the dedup table with the same run-once lifecycle as
 * events and Case comments (`task:<key>`), committed once the Task is written, released when the
 * write failed. An event whose period another consumer holds right now is retried (if the holder
 * fails, the retry creates the Task); one whose period already has its Task writes nothing more.
 * The Task itself is upserted on the period key, so a write whose commit was lost cannot add a
 * second Task either.
 *
 * The owner costs no call of its own when the batch has roll-ups (ACCOUNT_ROLLUPS, the default)
 * and this execution environment knows the customer's Account (account-directory.ts, learned
 * from every roll-up read): the Task names that Account and carries the customer, so the batch's
 * roll-up reads the Account with its OwnerId and assigns the Task in the roll-up's own write
 * (task-owners.ts), like failed-payment Tasks. Otherwise (roll-ups off, a customer not seen yet,
 * or metadata naming another Account) the owner is read before the write: one SOQL query per
 * batch (by Account Id when the subscription's metadata names it, else by Stripe customer id;
 * two when a batch has both; one more, by customer, when the metadata's Account is gone, whose
 * customer's Account then gets the Task). No Account, no Task: an unknown customer is read first, and a
 * known Account deleted since is refused by Salesforce (renewalTask) and the event retried, to be
 * read afresh (process-batch.ts `rememberedAccountGone`). A reminder Stripe announces
 * further out than RENEWAL_TASK_DAYS is still created (never lost to a setting), due
 * RENEWAL_TASK_DAYS before the renewal.
 */
import type { Idempotency } from '../dedup/run-once.js';
import type { AccountDirectory } from './account-directory.js';
import { errorCode, TransientError } from '../errors.js';
import type { Logger } from '../logging.js';
import type { RenewalReminder, SalesforceMutation } from '../mappers/mutation.js';
import { renewalTask, type ReminderAccount } from '../mappers/renewal.js';
import type { OrgCurrencies } from '../salesforce/org-profile.js';
import { renewalOpportunity, type RenewalOpportunitySettings } from '../mappers/renewal-opportunity.js';

export interface AccountOwnerRow {
  readonly Id: string;
  readonly OwnerId: string;
  readonly Stripe_Customer_Id__c?: string | null;
}

/** A row of the owners query; nothing when Salesforce answered another shape. */
export function accountOwnerRow(row: Readonly<Record<string, unknown>>): AccountOwnerRow[] {
  const { Id: id, OwnerId: ownerId, Stripe_Customer_Id__c: customerId } = row;
  if (typeof id !== 'string' || typeof ownerId !== 'string') return [];
  return [{ Id: id, OwnerId: ownerId, ...(typeof customerId === 'string' ? { Stripe_Customer_Id__c: customerId } : {}) }];
}

export interface RenewalTaskPorts {
  /** The lead time (RENEWAL_TASK_DAYS): a Task announced earlier is due this many days before; undefined: no Tasks (RENEWAL_TASKS=off). */
  readonly leadDays: number | undefined;
  /**
   * Renewal Opportunities of annual terms (RENEWAL_OPPORTUNITIES=on), riding with the Task under
   * the same period claim: the stage, and the org's currencies (read once per cold start).
   */
  readonly opportunities?: { readonly settings: RenewalOpportunitySettings; readonly org: () => Promise<OrgCurrencies> } | undefined;
  /** Runs one SOQL query (1 API call). */
  readonly query: (soql: string) => Promise<readonly AccountOwnerRow[]>;
  /** With roll-ups: the customers' Accounts as last read, whose Tasks the roll-up assigns. */
  readonly accounts?: AccountDirectory | undefined;
}

export interface ReminderItem {
  readonly messageId: string;
  readonly reminder: RenewalReminder;
}

export type ReminderDecision =
  /** Add the Task (and the renewal Opportunity) to the event's write; commit or release the claim with the event. */
  | {
      readonly kind: 'task';
      readonly mutations: readonly SalesforceMutation[];
      /**
       * `accountRemembered`: the Account came from this environment's memory (account-directory.ts),
       * not a read of this batch; if Salesforce refuses it as gone, the event is retried so that a
       * fresh read finds where the customer is now (Stripe announces a period once: no Task lost).
       */
      readonly claim: { readonly key: string; readonly token: string; readonly accountRemembered?: true };
    }
  /** No Task, for the reason given; the event goes on with its other writes. */
  | { readonly kind: 'none'; readonly note: string }
  /** The event is retried (another consumer holds its period, or the owner could not be read). */
  | { readonly kind: 'retry'; readonly error: unknown };

export const TASK_CLAIM_KIND = 'renewal.task';

export function taskClaimKey(reminder: RenewalReminder): string {
  return `task:${reminder.key}`;
}

const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * Decides each reminder of a batch: claims its period, reads the owners, builds the Tasks.
 * `ports` undefined: renewal Tasks are off (RENEWAL_TASKS=off).
 */
export async function decideReminders(
  items: readonly ReminderItem[],
  ports: RenewalTaskPorts | undefined,
  lifecycle: Idempotency,
  logger: Logger,
): Promise<{ readonly decisions: ReadonlyMap<string, ReminderDecision>; readonly apiCalls: number }> {
  const decisions = new Map<string, ReminderDecision>();
  if (items.length === 0) return { decisions, apiCalls: 0 };
  const wanted = items.filter((item) => {
    if (ports !== undefined && (ports.leadDays !== undefined || opportunityWanted(item.reminder, ports))) return true;
    decisions.set(item.messageId, { kind: 'none', note: 'renewal Tasks are off (RENEWAL_TASKS=off)' });
    return false;
  });
  if (ports === undefined || wanted.length === 0) return { decisions, apiCalls: 0 };

  let org: OrgCurrencies | undefined;
  if (ports.opportunities !== undefined && wanted.some((item) => opportunityWanted(item.reminder, ports))) {
    try {
      org = await ports.opportunities.org();
    } catch (error) {
      logger.warn({ errorCode: errorCode(error), reminders: wanted.length }, 'renewal Opportunities: org currencies not read; events retried');
      for (const item of wanted) decisions.set(item.messageId, { kind: 'retry', error });
      return { decisions, apiCalls: 0 };
    }
  }
  const followUps = (reminder: RenewalReminder, account: ReminderAccount): SalesforceMutation[] => {
    const opportunity = ports.opportunities === undefined || org === undefined ? undefined : renewalOpportunity(reminder, account, ports.opportunities.settings, org);
    return [...(ports.leadDays === undefined ? [] : [renewalTask(reminder, account, ports.leadDays)]), ...(opportunity === undefined ? [] : [opportunity])];
  };

  const claimed: Array<ReminderItem & { readonly token: string }> = [];
  await Promise.all(
    wanted.map(async (item) => {
      const { reminder } = item;
      if (reminder.accountId === undefined && reminder.customerId === undefined) {
        decisions.set(item.messageId, { kind: 'none', note: 'no Account or customer to assign the Task to' });
        return;
      }
      try {
        const claim = await lifecycle.claim(taskClaimKey(reminder), TASK_CLAIM_KIND);
        if (claim.status === 'claimed') claimed.push({ ...item, token: claim.token });
        else if (claim.status === 'completed') decisions.set(item.messageId, { kind: 'none', note: 'the Task of this period exists already' });
        else decisions.set(item.messageId, { kind: 'retry', error: inProgress(reminder) });
      } catch (error) {
        decisions.set(item.messageId, { kind: 'retry', error });
      }
    }),
  );
  if (claimed.length === 0) return { decisions, apiCalls: 0 };

  const toRead: typeof claimed = [];
  for (const c of claimed) {
    const accountId = knownAccount(c.reminder, ports.accounts);
    if (accountId === undefined || c.reminder.customerId === undefined) toRead.push(c);
    else {
      const mutations = followUps(c.reminder, { accountId, ownerFromRollupOf: c.reminder.customerId });
      decisions.set(c.messageId, { kind: 'task', mutations, claim: { key: taskClaimKey(c.reminder), token: c.token, accountRemembered: true } });
    }
  }
  if (toRead.length === 0) return { decisions, apiCalls: 0 };
  return withOwnersRead(toRead, decisions, ports, followUps, lifecycle, logger);
}

/** A renewal Opportunity is on, and this is the renewal of a term of a year or longer. */
function opportunityWanted(reminder: RenewalReminder, ports: RenewalTaskPorts): boolean {
  return ports.opportunities !== undefined && reminder.kind === 'renewal' && reminder.renewal?.annualTerm === true;
}

/** The Account the directory knows for the reminder's customer, when it is the one the reminder is for. */
function knownAccount(reminder: RenewalReminder, directory: AccountDirectory | undefined): string | undefined {
  if (directory === undefined || reminder.customerId === undefined) return undefined;
  const known = directory.accountOf(reminder.customerId);
  // Metadata naming another Account than the customer's: its owner is read (the roll-up reads the customer's).
  if (known === undefined || (reminder.accountId !== undefined && reminder.accountId.slice(0, 15) !== known.slice(0, 15))) return undefined;
  return known;
}

async function withOwnersRead(
  claimed: ReadonlyArray<ReminderItem & { readonly token: string }>,
  decisions: Map<string, ReminderDecision>,
  ports: RenewalTaskPorts,
  followUps: (reminder: RenewalReminder, account: ReminderAccount) => SalesforceMutation[],
  lifecycle: Idempotency,
  logger: Logger,
): Promise<{ readonly decisions: ReadonlyMap<string, ReminderDecision>; readonly apiCalls: number }> {
  let accounts: { readonly byId: ReadonlyMap<string, ReminderAccount>; readonly byCustomer: ReadonlyMap<string, ReminderAccount>; readonly apiCalls: number };
  try {
    accounts = await readOwners(claimed.map((c) => c.reminder), ports);
  } catch (error) {
    await Promise.all(claimed.map((c) => lifecycle.release(taskClaimKey(c.reminder), c.token)));
    logger.warn({ errorCode: errorCode(error), reminders: claimed.length }, 'renewal Tasks: Account owners not read; events retried');
    for (const c of claimed) decisions.set(c.messageId, { kind: 'retry', error });
    return { decisions, apiCalls: 0 };
  }
  await Promise.all(
    claimed.map(async (c) => {
      const { reminder } = c;
      const account =
        (reminder.accountId === undefined ? undefined : accounts.byId.get(reminder.accountId.slice(0, 15))) ??
        (reminder.customerId === undefined ? undefined : accounts.byCustomer.get(reminder.customerId));
      if (account === undefined) {
        // Nothing was done: a later announcement of the period may find the Account.
        await lifecycle.release(taskClaimKey(reminder), c.token);
        decisions.set(c.messageId, { kind: 'none', note: 'no Account in Salesforce for this customer: no Task' });
        return;
      }
      decisions.set(c.messageId, { kind: 'task', mutations: followUps(reminder, account), claim: { key: taskClaimKey(reminder), token: c.token } });
    }),
  );
  return { decisions, apiCalls: accounts.apiCalls };
}

function inProgress(reminder: RenewalReminder): TransientError {
  return new TransientError(`Another consumer is creating the Task of ${reminder.key}`, { code: 'RENEWAL_TASK_IN_PROGRESS' });
}

async function readOwners(reminders: readonly RenewalReminder[], ports: RenewalTaskPorts) {
  const ids = [...new Set(reminders.flatMap((r) => (r.accountId === undefined ? [] : [r.accountId])))];
  const customers = [...new Set(reminders.flatMap((r) => (r.accountId === undefined && r.customerId !== undefined ? [r.customerId] : [])))];
  const select = 'SELECT Id, OwnerId, Stripe_Customer_Id__c FROM Account WHERE';
  const byCustomer = (list: readonly string[]) => (list.length === 0 ? [] : ports.query(`${select} Stripe_Customer_Id__c IN (${list.map(quote).join(', ')})`));
  const [byIdRows, byCustomerRows] = await Promise.all([
    ids.length === 0 ? [] : ports.query(`${select} Id IN (${ids.map(quote).join(', ')})`),
    byCustomer(customers),
  ]);
  // Metadata naming an Account that is gone (deleted, merged away, another org's): the customer's
  // Account gets the Task, as it would if another event of the batch had named the customer. One
  // more query, only then, so the outcome never depends on what else the batch holds.
  const found = new Set(byIdRows.map((row) => row.Id.slice(0, 15)));
  const queried = new Set([...customers, ...byCustomerRows.flatMap((row) => (typeof row.Stripe_Customer_Id__c === 'string' ? [row.Stripe_Customer_Id__c] : []))]);
  const fallback = [
    ...new Set(
      reminders.flatMap((r) =>
        r.accountId !== undefined && r.customerId !== undefined && !found.has(r.accountId.slice(0, 15)) && !queried.has(r.customerId) ? [r.customerId] : [],
      ),
    ),
  ];
  const fallbackRows = await byCustomer(fallback);
  const customerRows = [...byCustomerRows, ...fallbackRows];
  ports.accounts?.learn([...byIdRows, ...customerRows].flatMap((row) => (typeof row.Stripe_Customer_Id__c === 'string' ? [{ customerId: row.Stripe_Customer_Id__c, accountId: row.Id }] : [])));
  const owner = (row: AccountOwnerRow): ReminderAccount => ({ accountId: row.Id, ownerId: row.OwnerId });
  return {
    // 15 characters: metadata may name the Account by its 15- or 18-character id.
    byId: new Map(byIdRows.map((row) => [row.Id.slice(0, 15), owner(row)])),
    byCustomer: new Map(customerRows.flatMap((row) => (typeof row.Stripe_Customer_Id__c === 'string' ? [[row.Stripe_Customer_Id__c, owner(row)]] : []))),
    apiCalls: (ids.length === 0 ? 0 : 1) + (customers.length === 0 ? 0 : 1) + (fallback.length === 0 ? 0 : 1),
  };
}
