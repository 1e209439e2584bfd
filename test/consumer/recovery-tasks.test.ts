/**
 * Failed-payment recovery through the real paths (dynalite, jsforce over HTTP to the Salesforce
 * stand-in with the package's permission set, Account roll-ups on): a failure opens a Case and a
 * Task for the Account's owner (amount in its currency, the reason in plain words, the next
 * automatic retry, the hosted invoice URL) and the Account turns At Risk; the payment closes the
 * Case, completes the Task and the Account is Good again, in either arrival order.
 *
 * Stripe facts relied on: an invoice's `next_payment_attempt` is when Stripe retries it by itself
 * (null when it will not: https://docs.stripe.com/api/invoices/object#invoice_object-next_payment_attempt);
 * a declined card's reason is `last_payment_error.decline_code` (https://docs.stripe.com/declines/codes).
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/local/sample-events.js';
import { inboundRecord, startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';

let h: ConsumerHarness;
let seq = 0;
const next = () => (seq += 1);
const T = 1_767_225_600;
const DAY = 86_400;
const OWNER = '005Ab00000000OWNAA';
const QUEUE = '00GAb00000000RECAA';

/** The Account owner and the recovery queue exist in the org (a Task's owner must). */
function seedOwners(harness: ConsumerHarness): void {
  harness.salesforce.insert('User', { Id: OWNER, Name: 'Account Owner' });
  harness.salesforce.insert('Group', { Id: QUEUE, Name: 'Payment recovery', Type: 'Queue' });
}

beforeAll(async () => {
  h = await startConsumerHarness();
  seedOwners(h);
});
afterAll(async () => h.close());

/** An Account with an owner and its Stripe customer. */
function account(): { accountId: string; customerId: string } {
  const customerId = `cus_test_recovery${next()}`;
  const accountId = h.salesforce.insert('Account', { Name: `Recovery ${customerId}`, OwnerId: OWNER, Stripe_Customer_Id__c: customerId });
  return { accountId, customerId };
}

const tasksOf = (stripeObjectId: string) => h.salesforce.records('Task').filter((t) => t['Stripe_Object_Id__c'] === stripeObjectId);
const casesOf = (stripeObjectId: string) => h.salesforce.records('Case').filter((c) => c['Stripe_Object_Id__c'] === stripeObjectId);
const accountRecord = (accountId: string) => h.salesforce.records('Account').find((a) => a.Id === accountId) ?? {};

async function deliver(events: readonly Stripe.Event[]): Promise<void> {
  const summary = await h.app.handle(events.map((e) => inboundRecord(e)));
  expect(summary.response.batchItemFailures).toEqual([]);
  expect(h.deadLetters).toEqual([]);
}

/** An invoice of the customer two days past due, its failed payment and its later payment. */
function invoiceEvents(customerId: string, invoice = `in_test_recovery${next()}`) {
  const options = { customer: customerId, objectId: invoice, metadata: {}, amount: 125_000, objectOverrides: { due_date: T - 2 * DAY } };
  return {
    invoice,
    failed: sampleEvent('invoice.payment_failed', { ...options, id: `evt_test_recovery${next()}`, created: T }),
    paid: sampleEvent('invoice.paid', { ...options, id: `evt_test_recovery${next()}`, created: T + 3600 }),
  };
}

describe('a failed invoice payment, then the payment', () => {
  it('opens a Case and a Task for the Account owner (amount, reason, next retry, invoice link), the Account At Risk; paid: Case closed, Task completed, Good', async () => {
    const { accountId, customerId } = account();
    const { invoice, failed, paid } = invoiceEvents(customerId);

    await deliver([failed]);

    expect(casesOf(invoice)).toHaveLength(1);
    const [task, ...others] = tasksOf(invoice);
    expect(others).toHaveLength(0);
    expect(task).toMatchObject({
      Stripe_Task_Key__c: `payment-failed:${invoice}`,
      Status: 'Not Started',
      IsClosed: false,
      Priority: 'High',
      OwnerId: OWNER,
      WhatId: accountId,
      ActivityDate: '2026-01-04',
    });
    expect(task?.Subject).toBe('Failed payment: 1250.00 USD (The payment failed (Stripe gave no reason))');
    const description = String(task?.Description);
    expect(description).toContain('Invoice SAMPLE-0001 of 1250.00 USD was not paid.');
    expect(description).toContain('Next automatic retry: 2026-01-04');
    expect(description).toContain(`https://invoice.stripe.com/i/acct_test_fake/test_fake_${invoice}`);
    expect(accountRecord(accountId)).toMatchObject({ Stripe_Payment_Health__c: 'At Risk' });
    // The invoice URL is for the customer: in Salesforce, never in a log line.
    expect(JSON.stringify(h.logs.lines)).not.toContain('invoice.stripe.com');

    await deliver([paid]);

    expect(casesOf(invoice)[0]).toMatchObject({ Status: 'Closed', IsClosed: true });
    expect(tasksOf(invoice)[0]).toMatchObject({ Status: 'Completed', IsClosed: true });
    expect(accountRecord(accountId)).toMatchObject({ Stripe_Payment_Health__c: 'Good' });
  });

  it('paid before the failure arrives: no Case, the Task completed at once, the Account Good', async () => {
    const { accountId, customerId } = account();
    const { invoice, failed, paid } = invoiceEvents(customerId);

    await deliver([paid]);
    await deliver([failed]);

    expect(casesOf(invoice)).toHaveLength(0);
    expect(tasksOf(invoice)).toEqual([expect.objectContaining({ Status: 'Completed', IsClosed: true })]);
    expect(accountRecord(accountId)).toMatchObject({ Stripe_Payment_Health__c: 'Good' });
  });

  it('keeps one Task per invoice through Stripe retries and redeliveries, updated with the newest attempt', async () => {
    const { customerId } = account();
    const { invoice, failed } = invoiceEvents(customerId);
    const retried = sampleEvent('invoice.payment_failed', {
      id: `evt_test_recovery${next()}`,
      created: T + DAY,
      customer: customerId,
      objectId: invoice,
      metadata: {},
      amount: 125_000,
      objectOverrides: { due_date: T - 2 * DAY, attempt_count: 2, next_payment_attempt: T + 5 * DAY },
    });

    await deliver([failed]);
    await deliver([failed, retried]);

    const tasks = tasksOf(invoice);
    expect(tasks).toHaveLength(1);
    expect(String(tasks[0]?.Description)).toContain('Next automatic retry: 2026-01-06');
  });
});

describe('a failed payment outside an invoice', () => {
  it('says why in plain words and what to do; the payment completes it', async () => {
    const { accountId, customerId } = account();
    const pi = `pi_test_recovery${next()}`;
    const options = { customer: customerId, objectId: pi, metadata: { salesforce_account_id: accountId }, amount: 4999, currency: 'eur' };

    await deliver([sampleEvent('payment_intent.payment_failed', { ...options, id: `evt_test_recovery${next()}`, created: T })]);

    const [task] = tasksOf(pi);
    expect(task).toMatchObject({ Subject: 'Failed payment: 49.99 EUR (Insufficient funds)', OwnerId: OWNER, WhatId: accountId, Status: 'Not Started' });
    expect(String(task?.Description)).toContain('What to do: ask the customer to top up the account before the next retry, or to use another card.');
    expect(String(task?.Description)).toContain('Next automatic retry: none, Stripe does not retry it by itself.');
    expect(accountRecord(accountId)).toMatchObject({ Stripe_Payment_Health__c: 'At Risk' });

    await deliver([sampleEvent('payment_intent.succeeded', { ...options, id: `evt_test_recovery${next()}`, created: T + 3600 })]);

    expect(tasksOf(pi)[0]).toMatchObject({ Status: 'Completed' });
    expect(accountRecord(accountId)).toMatchObject({ Stripe_Payment_Health__c: 'Good' });
  });
});

describe('configuration', () => {
  it('gives the Tasks to a configured queue, or none with FAILED_PAYMENT_TASKS=off', async () => {
    const queued = await startConsumerHarness({ env: { FAILED_PAYMENT_TASK_OWNER_ID: QUEUE } });
    const off = await startConsumerHarness({ env: { FAILED_PAYMENT_TASKS: 'off' } });
    try {
      for (const harness of [queued, off]) seedOwners(harness);
      for (const harness of [queued, off]) harness.salesforce.insert('Account', { Name: 'Configured', OwnerId: OWNER, Stripe_Customer_Id__c: 'cus_test_recoveryconf' });
      const { invoice, failed } = invoiceEvents('cus_test_recoveryconf');

      for (const harness of [queued, off]) expect((await harness.app.handle([inboundRecord(failed)])).response.batchItemFailures).toEqual([]);

      expect(queued.salesforce.records('Task').filter((t) => t['Stripe_Object_Id__c'] === invoice)).toEqual([expect.objectContaining({ OwnerId: QUEUE })]);
      expect(off.salesforce.records('Task')).toHaveLength(0);
      expect(off.salesforce.records('Case').filter((c) => c['Stripe_Object_Id__c'] === invoice)).toHaveLength(1);

      // A queue that is gone (deleted since it was configured): the Task is still written, owned by the integration user.
      const orphan = await startConsumerHarness({ env: { FAILED_PAYMENT_TASK_OWNER_ID: '00GAb00000000GNEAA' } });
      try {
        orphan.salesforce.insert('Account', { Name: 'Orphan', Stripe_Customer_Id__c: 'cus_test_recoveryconf' });
        expect((await orphan.app.handle([inboundRecord(failed)])).response.batchItemFailures).toEqual([]);
        expect(orphan.deadLetters).toHaveLength(0);
        expect(orphan.salesforce.records('Task').filter((t) => t['Stripe_Object_Id__c'] === invoice)).toHaveLength(1);
      } finally {
        await orphan.close();
      }
    } finally {
      await Promise.all([queued.close(), off.close()]);
    }
  });
});
