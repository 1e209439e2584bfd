/**
 * The service samples of `npm run send-event` (closed-won-subscription, refund, the links, the
 * invoice and subscription actions, the failed-payment story), as a developer runs
 * them from a fresh clone against `npm start`: each command goes through the real outbound
 * function into the embedded Stripe and is written back onto the seeded records. (Both samples
 * were once refused by the bridge itself: a 19-character sample Opportunity id, and a refund
 * check that read more into a PaymentIntent id than Stripe documents.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SAMPLE_ACCOUNT_ID,
  SAMPLE_ACCOUNT_OWNER_ID,
  SAMPLE_ACTION_INVOICES,
  SAMPLE_ACTIVE_SUBSCRIPTION,
  SAMPLE_PAUSED_SUBSCRIPTION,
  SAMPLE_REFUNDABLE_PAYMENT_ID,
  SAMPLE_SUBSCRIPTION_OPPORTUNITY_ID,
  SAMPLE_CATALOGUE,
} from '../../src/local/sample-events.js';
import { runSendEvent } from '../../src/local/send.js';
import type { LocalStack } from '../../src/local/stack.js';
import { startTestStack } from '../support/local-stack.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.close();
});

const records = (sobject: string) => stack.salesforce?.records(sobject) ?? [];
const lastLog = (command: string) => records('Stripe_Sync_Log__c').filter((l) => l.Command__c === command).at(-1);
const stripeInvoice = (id: string) => stack.stripe?.invoices().find((i) => i.id === id);
const stripeSubscription = (id: string) => stack.stripe?.lists.get('subscriptions', id);

async function sendEvent(name: string): Promise<string> {
  const out: string[] = [];
  const code = await runSendEvent([name, '--url', stack.url], { env: {}, out: (t) => out.push(t), err: (t) => out.push(t) });
  expect(code, out.join('\n')).toBe(0);
  await stack.idle();
  return out.join('\n');
}

describe('send-event service samples, end to end on the local stack', () => {
  it('closed-won-subscription: a Stripe subscription whose id is written back on the Opportunity', async () => {
    const out = await sendEvent('closed-won-subscription');
    expect(out).not.toContain('"rejected"');
    const opportunity = records('Opportunity').find((r) => r.Id === SAMPLE_SUBSCRIPTION_OPPORTUNITY_ID) ?? {};
    expect(String(opportunity.Stripe_Subscription_Id__c), out).toMatch(/^sub_/);
    // The seeded price book's entries became Stripe prices, their ids written back and sold.
    const { seats, onboarding } = SAMPLE_CATALOGUE;
    const priceOf = (entryId: string) => String(records('PricebookEntry').find((e) => e.Id === entryId)?.Stripe_Price_Id__c);
    expect(stack.stripe?.prices().find((p) => p.id === priceOf(seats.entryId))).toMatchObject({ product: `sfprod_${seats.productId}`, unit_amount: 5000, recurring: { interval: 'month' } });
    expect(stack.stripe?.prices().find((p) => p.id === priceOf(onboarding.entryId))).toMatchObject({ product: `sfprod_${onboarding.productId}`, unit_amount: 20_000, type: 'one_time' });
    expect(records('Product2').find((p) => p.Id === seats.productId)?.Stripe_Product_Id__c).toBe(`sfprod_${seats.productId}`);
    const subscription = stripeSubscription(String(opportunity.Stripe_Subscription_Id__c));
    expect(subscription?.items.data.map((i: { price: { id: string } }) => i.price.id)).toEqual([priceOf(seats.entryId)]);
  });

  it('sync-product: the annual plan becomes a Stripe product with a yearly price per PricebookEntry currency, ids written back', async () => {
    const out = await sendEvent('sync-product');
    expect(out).not.toContain('"rejected"');
    const { annual } = SAMPLE_CATALOGUE;
    expect(records('Product2').find((p) => p.Id === annual.productId)?.Stripe_Product_Id__c).toBe(`sfprod_${annual.productId}`);
    const prices = [annual.entryId, annual.eurEntryId].map((entryId) => stack.stripe?.prices().find((p) => p.id === records('PricebookEntry').find((e) => e.Id === entryId)?.Stripe_Price_Id__c));
    expect(prices).toMatchObject([
      { currency: 'usd', unit_amount: 50_000, recurring: { interval: 'year', interval_count: 1 } },
      { currency: 'eur', unit_amount: 46_000, recurring: { interval: 'year', interval_count: 1 } },
    ]);
    expect(lastLog('sync_product')).toMatchObject({ Status__c: 'Succeeded', Stripe_Object_Id__c: `sfprod_${annual.productId}` });
  });

  it('refund: 20.00 USD of the seeded 120.00 USD payment becomes a Stripe_Refund__c linked to it', async () => {
    const out = await sendEvent('refund');
    expect(out).not.toContain('"rejected"');
    const refunds = records('Stripe_Refund__c').filter((r) => r.Payment__c === SAMPLE_REFUNDABLE_PAYMENT_ID);
    expect(refunds, out).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ Amount__c: 20, Currency_Code__c: 'USD' });
    expect(String(refunds[0]?.Stripe_Id__c)).toMatch(/^re_/);
  });

  it('portal_link and update_payment_method: links for the sample customer, written on the Account', async () => {
    const portal = await sendEvent('portal_link');
    const payment = await sendEvent('update_payment_method');
    expect(portal + payment).not.toContain('"rejected"');
    const account = records('Account').find((a) => a.Id === SAMPLE_ACCOUNT_ID) ?? {};
    expect(String(account.Stripe_Portal_Url__c)).toContain('/p/session/');
    expect(String(account.Stripe_Payment_Method_Url__c)).toContain('/c/setup/');
    expect(lastLog('portal_link')).toMatchObject({ Status__c: 'Succeeded' });
    expect(lastLog('update_payment_method')).toMatchObject({ Status__c: 'Succeeded' });
  });

  it('send_invoice, void_invoice, mark_uncollectible: each on a seeded open invoice', async () => {
    for (const name of ['send_invoice', 'void_invoice', 'mark_uncollectible'] as const) {
      const out = await sendEvent(name);
      expect(out).not.toContain('"rejected"');
      expect(lastLog(name), out).toMatchObject({ Status__c: 'Succeeded', Stripe_Object_Id__c: SAMPLE_ACTION_INVOICES[name].stripeId });
    }
    expect(stripeInvoice(SAMPLE_ACTION_INVOICES.send_invoice.stripeId)?.sent_at).toEqual(expect.any(Number));
    expect(stripeInvoice(SAMPLE_ACTION_INVOICES.void_invoice.stripeId)?.status).toBe('void');
    expect(stripeInvoice(SAMPLE_ACTION_INVOICES.mark_uncollectible.stripeId)?.status).toBe('uncollectible');
  });

  it('cancel_subscription, pause_subscription, resume_subscription: on the seeded subscriptions', async () => {
    for (const name of ['cancel_subscription', 'pause_subscription', 'resume_subscription']) {
      const out = await sendEvent(name);
      expect(out).not.toContain('"rejected"');
      expect(lastLog(name), out).toMatchObject({ Status__c: 'Succeeded' });
    }
    expect(stripeSubscription(SAMPLE_ACTIVE_SUBSCRIPTION.stripeId)).toMatchObject({ cancel_at_period_end: true, pause_collection: { behavior: 'keep_as_draft' } });
    expect(stripeSubscription(SAMPLE_PAUSED_SUBSCRIPTION.stripeId)).toMatchObject({ pause_collection: null, status: 'active' });
  });

  it('story failed-payment-recovery: Case, Task for the account manager and At Risk; paid: Case closed, Task completed, Good', async () => {
    const out: string[] = [];
    const code = await runSendEvent(['story', 'failed-payment-recovery', '--url', stack.url], { env: {}, out: (t) => out.push(t), err: (t) => out.push(t) });
    expect(code, out.join('\n')).toBe(0);
    const task = records('Task').find((t) => t.OwnerId === SAMPLE_ACCOUNT_OWNER_ID);
    expect(task).toMatchObject({ Status: 'Completed', Priority: 'High' });
    expect(String(task?.Subject)).toMatch(/^Failed payment: 49\.99 USD/);
  });
});
