/**
 * invoice.upcoming and customer.subscription.trial_will_end → a renewal reminder, once per
 * subscription period. Payloads: the invoice fields as Stripe's reference fixture renders them
 * (openapi fixtures3.json `invoice`: amount_due, currency, customer `cus_QXg1o8vcGmoR32`,
 * collection_method, next_payment_attempt, period_end, and since 2025-03-31.basil the subscription
 * under `parent.subscription_details`), without an id: "The received Invoice object will not have
 * an invoice ID" (https://docs.stripe.com/api/events/types#event_types-invoice.upcoming);
 * trial_will_end "Occurs three days before a subscription's trial period is scheduled to end"
 * (same page), its object a subscription (fixtures3.json `subscription`).
 */
import { describe, expect, it } from 'vitest';
import type { RenewalReminder } from '../../src/mappers/mutation.js';
import { renewalTask } from '../../src/mappers/renewal.js';
import { mapJson, mapped, UPCOMING_CREATED, UPCOMING_SUBSCRIPTION, upcomingInvoiceEvent as upcoming } from './helpers.js';

const CREATED = UPCOMING_CREATED;
const DAY = 86_400;
const SUB = UPCOMING_SUBSCRIPTION;

function reminderOf(json: Record<string, unknown>): RenewalReminder {
  const effect = mapped(mapJson(json));
  expect(effect.mutations).toEqual([]);
  if (effect.reminder === undefined) throw new Error('no reminder');
  return effect.reminder;
}

describe('invoice.upcoming', () => {
  it('basil shape: "Renewal in 7 days: 1,200.00 EUR", keyed by the subscription and the period end, for the Account', () => {
    const reminder = reminderOf(upcoming({}));
    expect(reminder).toMatchObject({
      key: `renewal:${SUB}:${CREATED + 7 * DAY}`,
      kind: 'renewal',
      dueAt: CREATED + 7 * DAY,
      daysAhead: 7,
      subject: 'Renewal in 7 days: 1,200.00 EUR',
      subscriptionId: SUB,
      accountId: '001000000000001AAA',
      customerId: 'cus_QXg1o8vcGmoR32',
    });
    expect(reminder.description).toBe(`Stripe subscription ${SUB} renews on 2025-12-09 (UTC). Its upcoming invoice is 1,200.00 EUR, charged automatically.`);
  });

  it('older shape (subscription at top level), 0 and 3 decimals, an invoice sent to pay', () => {
    const old = upcoming({ parent: undefined, subscription: SUB, subscription_details: { metadata: {} }, currency: 'jpy', amount_due: 1_200_000, collection_method: 'send_invoice' }, '2024-06-20');
    const reminder = reminderOf(old);
    expect(reminder.subject).toBe('Renewal in 7 days: 1,200,000 JPY');
    expect(reminder.description).toContain('sent to the customer to pay');
    expect(reminder.accountId).toBeUndefined();
    expect(reminder.customerId).toBe('cus_QXg1o8vcGmoR32');
    expect(reminderOf(upcoming({ currency: 'kwd', amount_due: 1_234_567 })).subject).toBe('Renewal in 7 days: 1,234.567 KWD');
  });

  it('the same period announced twice (a plan change re-sends the preview) has the same key; another period another', () => {
    const again = { ...upcoming({ amount_due: 150_000 }), id: 'evt_test_upcoming02', created: CREATED + 2 * DAY };
    expect(reminderOf(again).key).toBe(reminderOf(upcoming({})).key);
    expect(reminderOf(again).subject).toBe('Renewal in 5 days: 1,500.00 EUR');
    expect(reminderOf(upcoming({ period_end: CREATED + 37 * DAY })).key).not.toBe(reminderOf(upcoming({})).key);
  });

  it('an upcoming invoice of no subscription, or without a date, is skipped with the reason', () => {
    expect(mapJson(upcoming({ parent: null }))).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('no subscription') });
    expect(mapJson(upcoming({ period_end: null, next_payment_attempt: null }))).toMatchObject({ outcome: 'skipped' });
  });
});

describe('customer.subscription.trial_will_end', () => {
  const trial = {
    id: 'evt_test_trial01',
    object: 'event',
    api_version: '2025-03-31.basil',
    created: CREATED,
    livemode: false,
    type: 'customer.subscription.trial_will_end',
    data: {
      object: {
        id: SUB,
        object: 'subscription',
        currency: 'usd',
        customer: 'cus_QXg1o8vcGmoR32',
        collection_method: 'charge_automatically',
        items: {
          data: [{ id: 'si_QXhVnC2h0Jczwc', quantity: 3, price: { id: 'price_1PgafmB7WZ01zgkW6dKueIc5', currency: 'usd', product: 'prod_QXg1hqf4jFNsqG', unit_amount: 2000, unit_amount_decimal: '2000', recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed' } } }],
          has_more: false,
        },
        metadata: {},
        schedule: null,
        status: 'trialing',
        trial_end: CREATED + 3 * DAY,
      },
    },
  };

  it('"Trial ends in 3 days", keyed by the subscription and the trial end, with the MRR once paying', () => {
    const reminder = reminderOf(trial);
    expect(reminder).toMatchObject({ key: `trial:${SUB}:${CREATED + 3 * DAY}`, kind: 'trial_end', daysAhead: 3, subject: 'Trial ends in 3 days', customerId: 'cus_QXg1o8vcGmoR32' });
    expect(reminder.description).toBe(`Stripe subscription ${SUB}: the free trial ends on 2025-12-05 (UTC). Once paying, its MRR is 60.00 USD (charged automatically).`);
  });

  it('a trial ended at once (trial_end=now) says "today"', () => {
    expect(reminderOf({ ...trial, data: { object: { ...trial.data.object, trial_end: CREATED } } }).subject).toBe('Trial ends today');
  });
});

describe('renewalTask', () => {
  it('announced further ahead than the lead time: due that many days before the renewal, not lost', () => {
    const reminder = reminderOf(upcoming({}));
    const task = renewalTask(reminder, { accountId: '001000000000001AAA', ownerId: '005000000000001AAA' }, 3);
    expect(task.fields).toMatchObject({ Subject: 'Renewal in 7 days: 1,200.00 EUR', ActivityDate: '2025-12-06' });
  });

  it('upserts the Task on its period key, for the Account owner, due that day; Status and Priority left to the org', () => {
    const reminder = reminderOf(upcoming({}));
    const task = renewalTask(reminder, { accountId: '001000000000001AAA', ownerId: '005000000000001AAA' }, 7);
    expect(task).toEqual({
      sobject: 'Task',
      key: { field: 'Stripe_Task_Key__c', value: reminder.key },
      fields: {
        Subject: 'Renewal in 7 days: 1,200.00 EUR',
        Description: reminder.description,
        ActivityDate: '2025-12-09',
        WhatId: '001000000000001AAA',
        OwnerId: '005000000000001AAA',
        Stripe_Object_Id__c: 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw',
      },
      // An Account deleted since it was found: Salesforce refuses the WhatId, the Task is skipped.
      skipIfRefused: { errorCode: ['INVALID_CROSS_REFERENCE_KEY', 'ENTITY_IS_DELETED'], field: 'WhatId' },
    });
  });

  it('owner from the roll-up: no OwnerId, the customer instead, so the roll-up reads its Account and assigns the Task', () => {
    const reminder = reminderOf(upcoming({}));
    const task = renewalTask(reminder, { accountId: '001000000000001AAA', ownerFromRollupOf: 'cus_test_owner' }, 7);
    expect(task.fields).toMatchObject({ WhatId: '001000000000001AAA', Stripe_Customer_Id__c: 'cus_test_owner' });
    expect(task.fields).not.toHaveProperty('OwnerId');
    expect(task.skipIfRefused).toEqual({ errorCode: ['INVALID_CROSS_REFERENCE_KEY', 'ENTITY_IS_DELETED'], field: 'WhatId' });
  });
});
