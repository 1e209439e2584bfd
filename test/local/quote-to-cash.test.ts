/**
 * Quote-to-cash on the local stack, as a developer runs it from a fresh clone (`npm start`, then
 * `npm run send-event -- quote-accepted | order-activated | contract-activated`): the command each
 * shipped Flow publishes goes through the real outbound function into the embedded Stripe and back
 * onto the seeded record; the customer pays in the embedded Stripe, whose events go signed through
 * POST /stripe/webhook, the queue and the real consumer; the record shows Paid. Then the Quote's
 * Opportunity marked Closed Won is not billed a second time.
 */
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedWonEvent } from '../../src/local/platform-event.js';
import { SAMPLE_CONTRACT_ID, SAMPLE_ORDER_ID, SAMPLE_QUOTE_ID } from '../../src/local/sample-events.js';
import { runSendEvent } from '../../src/local/send.js';
import type { LocalStack } from '../../src/local/stack.js';
import { startTestStack } from '../support/local-stack.js';

const stripe = new Stripe('sk_test_fake_local_q2c');
let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.close();
});

const record = (sobject: string, id: string) => stack.salesforce?.records(sobject).find((r) => r.Id === id) ?? {};

async function sendEvent(name: string): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await runSendEvent([name, '--url', stack.url, '--secret', stack.webhookSecret as string], { env: {}, out: (t) => out.push(t), err: (t) => out.push(t) });
  return { code, out: out.join('\n') };
}

/** Stripe delivers an event: signed, to the webhook, and followed until the consumer is done. */
async function deliver(event: Stripe.Event): Promise<void> {
  const payload = JSON.stringify(event);
  const response = await fetch(`${stack.url}/stripe/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: stack.webhookSecret as string }) },
    body: payload,
  });
  expect(response.status).toBe(200);
  await stack.idle();
  // The second of two events that both say "paid" may be older than the state it finds: stale.
  expect(['applied', 'stale'], event.type).toContain(stack.activity.get(event.id)?.status);
}

describe('send-event quote-to-cash samples, end to end on the local stack', () => {
  it('quote-accepted: a Checkout link on the Quote; paid through it, the Quote shows Paid for its Grand Total', async () => {
    const sent = await sendEvent('quote-accepted');
    expect(sent.code, sent.out).toBe(0);
    const quote = record('Quote', SAMPLE_QUOTE_ID);
    expect(quote).toMatchObject({ Stripe_Payment_Status__c: 'Awaiting Payment', Stripe_Amount_Billed__c: 501 });
    expect(String(quote.Stripe_Checkout_Url__c)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/c\/pay\/cs_/);

    const paid = stack.stripe?.payCheckoutSession(String(quote.Stripe_Checkout_Session_Id__c));
    expect(paid?.session).toMatchObject({ amount_total: 50_100, metadata: { salesforce_quote_id: SAMPLE_QUOTE_ID } });
    await deliver(paid?.paymentIntentSucceeded as Stripe.Event);
    await deliver(paid?.sessionCompleted as Stripe.Event);

    expect(record('Quote', SAMPLE_QUOTE_ID), String(record('Quote', SAMPLE_QUOTE_ID).Stripe_Sync_Error__c)).toMatchObject({ Stripe_Payment_Status__c: 'Paid', Stripe_Amount_Paid__c: 501 });
    expect(record('Quote', SAMPLE_QUOTE_ID).Stripe_Sync_Error__c ?? null).toBeNull();
  });

  it("the Quote's Opportunity marked Closed Won afterwards is not billed again (one bill per deal)", async () => {
    const opportunityId = String(record('Quote', SAMPLE_QUOTE_ID).OpportunityId);
    const invoicesBefore = stack.stripe?.invoices().length;
    const response = await fetch(`${stack.url}/salesforce/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(closedWonEvent({ opportunityId })) });
    expect(response.status).toBeLessThan(300);
    await stack.idle();
    expect(stack.stripe?.invoices().length).toBe(invoicesBefore);
    expect(String(record('Opportunity', opportunityId).Stripe_Sync_Error__c)).toContain(`already billed through Quote ${SAMPLE_QUOTE_ID}`);
  });

  it.each([
    ['order-activated', 'Order', SAMPLE_ORDER_ID, 299],
    ['contract-activated', 'Contract', SAMPLE_CONTRACT_ID, 1200],
  ] as const)('%s: an invoice on the %s; once it is paid, the %s shows Paid', async (name, sobject, recordId, total) => {
    const sent = await sendEvent(name);
    expect(sent.code, sent.out).toBe(0);
    const billed = record(sobject, recordId);
    expect(billed).toMatchObject({ Stripe_Payment_Status__c: 'Awaiting Payment', Stripe_Amount_Billed__c: total });
    expect(String(billed.Stripe_Invoice_Id__c)).toMatch(/^in_/);

    await deliver(stack.stripe?.payInvoice(String(billed.Stripe_Invoice_Id__c)) as Stripe.Event);
    expect(record(sobject, recordId)).toMatchObject({ Stripe_Payment_Status__c: 'Paid', Stripe_Amount_Paid__c: total });
  });
});
