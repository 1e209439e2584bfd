/**
 * Renewals worked in Salesforce: `invoice.upcoming` (a subscription renews soon) and
 * `customer.subscription.trial_will_end` (a trial ends soon) become a reminder for the Account
 * owner, "Renewal in 7 days: 1,200.00 EUR" / "Trial ends in 3 days". Pure: the mapper says what the
 * Task says and which subscription period it is for; the consumer decides whether to create it
 * (RENEWAL_TASKS, RENEWAL_TASK_DAYS), finds the owner and creates it once per period
 * (src/inbound/renewal-tasks.ts).
 *
 * Once per period: the key is the subscription and the end of the period (the renewal) or the
 * trial end, never the event id. `invoice.upcoming` has no invoice id (it is a preview), and a
 * period may be announced more than once (a plan change re-sends the preview).
 */
import { idOf, invoiceSubscription } from '../stripe/api-versions.js';
import type { StripeEventOf, StripeSubscription } from '../stripe/event-schemas.js';
import { linksFrom } from './links.js';
import type { MapResult, RenewalReminder, SalesforceMutation } from './mutation.js';
import { RANK } from './ranks.js';
import { formatMoneyForPeople, upsert } from './records.js';
import { subscriptionMrr } from './subscription-mrr.js';
import { isoDate } from './time.js';

const DAY = 86_400;

function inDays(days: number): string {
  return days <= 0 ? 'today' : days === 1 ? 'in 1 day' : `in ${days} days`;
}

/** Whole days from the event to the due moment, rounded up (a renewal 6.5 days out is "in 7 days"). */
function daysBetween(from: number, to: number): number {
  return Math.max(0, Math.ceil((to - from) / DAY));
}

function mappedReminder(event: { readonly id: string; readonly type: string; readonly created: number }, reminder: RenewalReminder): MapResult {
  return { outcome: 'mapped', effect: { eventId: event.id, eventType: event.type, created: event.created, rank: RANK.OPEN, mutations: [], reminder } };
}

export function mapUpcomingInvoice(event: StripeEventOf<'invoice.upcoming'>): MapResult {
  const invoice = event.data.object;
  const subscription = invoiceSubscription(invoice);
  // The renewal: the end of the period the invoice closes; else when it will be charged.
  const dueAt = invoice.period_end ?? invoice.next_payment_attempt ?? undefined;
  if (subscription.id === undefined) return { outcome: 'skipped', reason: 'upcoming invoice of no subscription: no renewal' };
  if (dueAt === undefined || dueAt === null) return { outcome: 'skipped', reason: 'upcoming invoice without a period end: no renewal date' };
  const links = linksFrom(invoice.customer, subscription.metadata, invoice.metadata);
  const days = daysBetween(event.created, dueAt);
  const amount = formatMoneyForPeople(invoice.amount_due, invoice.currency);
  return mappedReminder(event, {
    key: `renewal:${subscription.id}:${dueAt}`,
    kind: 'renewal',
    dueAt,
    daysAhead: days,
    subject: `Renewal ${inDays(days)}: ${amount}`,
    description:
      `Stripe subscription ${subscription.id} renews on ${isoDate(dueAt)} (UTC). Its upcoming invoice is ${amount}` +
      `${invoice.collection_method === 'send_invoice' ? ', sent to the customer to pay' : ', charged automatically'}.`,
    subscriptionId: subscription.id,
    ...(links.accountId === undefined ? {} : { accountId: links.accountId }),
    ...(links.customerId === undefined ? {} : { customerId: links.customerId }),
    renewal: {
      amountDue: { minor: invoice.amount_due, currency: invoice.currency },
      annualTerm: renewsAnnualTerm(invoice.lines?.data ?? []),
      ...(invoice.customer_name === null || invoice.customer_name === undefined || invoice.customer_name.trim() === '' ? {} : { customerName: invoice.customer_name.trim() }),
      livemode: event.livemode,
    },
  });
}

/** A year as the shortest calendar year: a term of 12 months or one year never spans less. */
const YEAR = 365 * DAY;

type UpcomingLine = NonNullable<NonNullable<StripeEventOf<'invoice.upcoming'>['data']['object']['lines']>['data']>[number];

/**
 * Does the renewal start a term of a year or longer? Per subscription line of the upcoming invoice
 * (prorations aside): its price's interval when the line names its price (before basil: year, or
 * month with interval_count ≥ 12), else the billing period the line covers ("For subscription line
 * items, this is the subscription period", Stripe API, Invoice Line Item `period`), a year or more.
 */
export function renewsAnnualTerm(lines: readonly UpcomingLine[]): boolean {
  return lines.some((line) => {
    if (line.proration === true || line.parent?.subscription_item_details?.proration === true) return false;
    const recurring = line.price?.recurring;
    if (typeof recurring?.interval === 'string') {
      const count = recurring.interval_count ?? 1;
      return recurring.interval === 'year' || (recurring.interval === 'month' && count >= 12);
    }
    const start = line.period?.start;
    const end = line.period?.end;
    return typeof start === 'number' && typeof end === 'number' && end - start >= YEAR;
  });
}

export function mapTrialWillEnd(event: StripeEventOf<'customer.subscription.trial_will_end'>): MapResult {
  const subscription = event.data.object;
  const dueAt = subscription.trial_end;
  if (dueAt === null || dueAt === undefined) return { outcome: 'skipped', reason: 'subscription without a trial end' };
  const links = linksFrom(subscription.customer, subscription.metadata);
  const days = daysBetween(event.created, dueAt);
  return mappedReminder(event, {
    key: `trial:${subscription.id}:${dueAt}`,
    kind: 'trial_end',
    dueAt,
    daysAhead: days,
    subject: `Trial ends ${inDays(days)}`,
    description: `Stripe subscription ${subscription.id}: the free trial ends on ${isoDate(dueAt)} (UTC).${afterTrial(subscription)}`,
    subscriptionId: subscription.id,
    ...(links.accountId === undefined ? {} : { accountId: links.accountId }),
    ...(links.customerId === undefined ? {} : { customerId: links.customerId }),
  });
}

/** What the subscription earns once paying: its MRR as an active subscription. */
function afterTrial(subscription: StripeSubscription): string {
  const mrr = subscriptionMrr({ ...subscription, status: 'active' });
  const currency = subscription.currency;
  if (mrr === undefined || currency === null || currency === undefined) return '';
  const collection = subscription.collection_method === 'send_invoice' ? 'invoiced' : 'charged automatically';
  const schedule = idOf(subscription.schedule) === undefined ? '' : `; a subscription schedule (${idOf(subscription.schedule) ?? ''}) manages its changes`;
  return ` Once paying, its MRR is ${formatMoneyForPeople(mrr, currency)} (${collection})${schedule}.`;
}

/**
 * The Account a reminder is for: with its owner (the consumer read it), or with the Stripe
 * customer whose Account the batch's roll-up reads, which then assigns the owner in the roll-up's
 * own write (src/inbound/task-owners.ts) — no read of its own.
 */
/**
 * How Salesforce refuses a lookup to an Account deleted since it was read: INVALID_CROSS_REFERENCE_KEY
 * once it is gone for good, ENTITY_IS_DELETED while it is in the Recycle Bin.
 */
export const ACCOUNT_GONE: readonly string[] = ['INVALID_CROSS_REFERENCE_KEY', 'ENTITY_IS_DELETED'];

export type ReminderAccount =
  | { readonly accountId: string; readonly ownerId: string }
  | { readonly accountId: string; readonly ownerFromRollupOf: string };

/**
 * The Task of a reminder: upserted on its period key (`Stripe_Task_Key__c`, the key every Task
 * the bridge writes carries), so even a retry
 * after a lost commit updates the one Task rather than adding a second; assigned to the Account
 * owner, due the day it happens; when Stripe announces it further ahead than the lead time
 * (`leadDays`, RENEWAL_TASK_DAYS), due that many days before it, so it surfaces when it is worked.
 * Status and Priority are left to the org's defaults.
 *
 * Related to the Account by its Id: Salesforce refuses a Task whose WhatId names no record
 * (INVALID_CROSS_REFERENCE_KEY on WhatId) or a record in the Recycle Bin (ENTITY_IS_DELETED),
 * so an Account deleted since it was found gets no
 * Task — the record is skipped, not the event failed, and the consumer releases the period.
 */
export function renewalTask(reminder: RenewalReminder, account: ReminderAccount, leadDays: number): SalesforceMutation {
  const dueOn = reminder.daysAhead > leadDays ? reminder.dueAt - leadDays * DAY : reminder.dueAt;
  return {
    ...upsert('Task', { field: 'Stripe_Task_Key__c', value: reminder.key }, {
      Subject: reminder.subject,
      Description: reminder.description,
      ActivityDate: isoDate(dueOn),
      WhatId: account.accountId,
      Stripe_Object_Id__c: reminder.subscriptionId,
      ...('ownerId' in account
        ? // No Stripe_Customer_Id__c: on a written record it makes the batch recompute that
          // Account's roll-ups (src/rollups), which a reminder does not change.
          { OwnerId: account.ownerId }
        : // The customer: the roll-up reads its Account (OwnerId with it) and assigns the Task.
          { Stripe_Customer_Id__c: account.ownerFromRollupOf }),
    }),
    skipIfRefused: { errorCode: ACCOUNT_GONE, field: 'WhatId' },
  };
}
