/**
 * One billing per Opportunity (issue 10, finding 3): the billing record taken before any Stripe
 * call makes a second request in another mode, a re-close after Closed Lost, a redelivery long
 * after Stripe forgot its idempotency keys, or two requests at once end with one bill, and each
 * request that does nothing says why in Stripe_Sync_Error__c. Re-billing is explicit: void the
 * invoice or deactivate the link in Stripe, then request again.
 *
 * Payment links are single use: `restrictions[completed_sessions][limit]=1`, "the maximum number
 * of checkout sessions that can be completed for the completed_sessions restriction to be met"
 * (https://docs.stripe.com/api/payment-link/create).
 */
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/errors.js';
import { createStripeClient } from '../../src/stripe/client.js';
import { paymentRequestEvent, seedOpportunity, startOutboundHarness, type OutboundHarness } from './harness.js';

let h: OutboundHarness;

beforeAll(async () => {
  h = await startOutboundHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.reset();
  h.coldStart();
});

const opportunity = (id: string) => h.salesforce.records('Opportunity').find((o) => o.Id === id) ?? {};
const invoicesOf = (opportunityId: string) => h.stripe.invoices().filter((i) => i.metadata.salesforce_opportunity_id === opportunityId);
const linksOf = (opportunityId: string) => h.stripe.paymentLinks().filter((l) => l.metadata.salesforce_opportunity_id === opportunityId);
const creationsSince = (mark: number) => h.stripe.requests.slice(mark).filter((r) => r.method === 'POST' && !r.replayed && r.status < 300);
const finance = () => createStripeClient('sk_test_fake_finance_team', { apiUrl: h.stripe.url, maxNetworkRetries: 0 });

describe('one billing per Opportunity', () => {
  it('answers a second request (a new platform event) by creating nothing and saying why', async () => {
    const { opportunityId } = seedOpportunity(h.salesforce);
    const first = await h.app.handle(paymentRequestEvent(opportunityId));
    const mark = h.stripe.requests.length;

    const again = await h.app.handle(paymentRequestEvent(opportunityId));

    expect(again).toMatchObject({ outcome: 'duplicate', code: 'ALREADY_BILLED' });
    expect(creationsSince(mark)).toEqual([]);
    // One read of the recorded invoice: is it still payable?
    expect(h.stripe.requests.slice(mark).map((r) => `${r.method} ${r.path}`)).toEqual([`GET /v1/invoices/${first.invoiceId}`]);
    expect(String(opportunity(opportunityId).Stripe_Sync_Error__c)).toMatch(
      new RegExp(`already billed by invoice ${first.invoiceId} \\(open, 1200\\.00 USD\\).*void invoice ${first.invoiceId} in Stripe`),
    );
    expect(opportunity(opportunityId).Stripe_Invoice_Id__c).toBe(first.invoiceId);
  });

  it('refuses a switch to a payment link while the invoice is payable, and re-bills once the invoice is void', async () => {
    const { opportunityId } = seedOpportunity(h.salesforce);
    const invoiced = await h.app.handle(paymentRequestEvent(opportunityId, { mode: 'invoice' }));

    const switched = await h.app.handle(paymentRequestEvent(opportunityId, { mode: 'payment_link' }));

    expect(switched).toMatchObject({ outcome: 'duplicate', code: 'ALREADY_BILLED' });
    expect(linksOf(opportunityId)).toEqual([]);
    expect(String(opportunity(opportunityId).Stripe_Sync_Error__c)).toMatch(/request for a payment link was not acted on/);

    // Re-billing is explicit: finance voids the invoice, the rep asks again.
    await finance().invoices.voidInvoice(invoiced.invoiceId as string);
    const rebilled = await h.app.handle(paymentRequestEvent(opportunityId, { mode: 'payment_link' }));

    expect(rebilled.outcome).toBe('payment_link_created');
    expect(linksOf(opportunityId)).toHaveLength(1);
    expect(invoicesOf(opportunityId).map((i) => i.status)).toEqual(['void']);
    expect(opportunity(opportunityId)).toMatchObject({ Stripe_Payment_Link_Id__c: rebilled.paymentLinkId, Stripe_Sync_Error__c: null });
    expect(await h.billings.get('Opportunity', opportunityId)).toMatchObject({
      state: 'billed',
      mode: 'payment_link',
      stripeObjectId: rebilled.paymentLinkId,
      previous: [invoiced.invoiceId],
      amount: 120000,
      currency: 'usd',
    });
  });

  it('refuses a re-close after Closed Lost while the link is payable, and re-bills once the rep deactivated it', async () => {
    const { opportunityId } = seedOpportunity(h.salesforce, { opportunity: { Stripe_Payment_Mode__c: 'payment_link' } });
    const first = await h.app.handle(paymentRequestEvent(opportunityId, { mode: null }));
    expect(h.stripe.paymentLinks().find((l) => l.id === first.paymentLinkId)?.restrictions).toEqual({ completed_sessions: { limit: 1, count: 0 } });

    // Closed Lost, then Closed Won again: the Flow publishes a new request.
    const reclosed = await h.app.handle(paymentRequestEvent(opportunityId, { mode: null }));
    expect(reclosed).toMatchObject({ outcome: 'duplicate', code: 'ALREADY_BILLED' });
    expect(String(opportunity(opportunityId).Stripe_Sync_Error__c)).toMatch(`deactivate payment link ${first.paymentLinkId} in Stripe`);
    expect(linksOf(opportunityId)).toHaveLength(1);

    await finance().paymentLinks.update(first.paymentLinkId as string, { active: false });
    const rebilled = await h.app.handle(paymentRequestEvent(opportunityId, { mode: null }));

    expect(rebilled.outcome).toBe('payment_link_created');
    expect(linksOf(opportunityId).map((l) => [l.id, l.active])).toEqual([
      [first.paymentLinkId, false],
      [rebilled.paymentLinkId, true],
    ]);
    expect(opportunity(opportunityId)).toMatchObject({ Stripe_Payment_Link_Id__c: rebilled.paymentLinkId, Stripe_Payment_Link_Url__c: rebilled.paymentLinkUrl });
  });

  it('never re-bills a link that was paid, even deactivated; the link takes one payment only', async () => {
    const { opportunityId } = seedOpportunity(h.salesforce);
    const first = await h.app.handle(paymentRequestEvent(opportunityId, { mode: 'payment_link' }));
    h.stripe.completeCheckout(first.paymentLinkId as string);
    // Single use: Stripe accepts no second completed session.
    expect(() => h.stripe.completeCheckout(first.paymentLinkId as string)).toThrow(/completed_sessions restriction/);
    await finance().paymentLinks.update(first.paymentLinkId as string, { active: false });

    const again = await h.app.handle(paymentRequestEvent(opportunityId, { mode: 'invoice' }));

    expect(again).toMatchObject({ outcome: 'duplicate', code: 'ALREADY_BILLED' });
    expect(String(opportunity(opportunityId).Stripe_Sync_Error__c)).toMatch(`payment link ${first.paymentLinkId}, 1200.00 USD, which was paid`);
    expect(invoicesOf(opportunityId)).toEqual([]);
  });

  it('bills once when two requests in different modes arrive at the same time; the other retries and explains', async () => {
    const { opportunityId } = seedOpportunity(h.salesforce);
    const byInvoice = paymentRequestEvent(opportunityId, { mode: 'invoice' });
    const byLink = paymentRequestEvent(opportunityId, { mode: 'payment_link' });

    const results = await Promise.allSettled([h.app.handle(byInvoice), h.app.handle(byLink)]);

    const billed = results.filter((r) => r.status === 'fulfilled' && ['invoiced', 'payment_link_created'].includes(r.value.outcome));
    expect(billed).toHaveLength(1);
    expect(invoicesOf(opportunityId).length + linksOf(opportunityId).length).toBe(1);
    const loser = results.find((r) => !billed.includes(r));
    // Either it saw the record billed already, or it found the billing still under way and Lambda retries it.
    if (loser?.status === 'rejected') {
      expect(loser.reason).toBeInstanceOf(TransientError);
      expect(loser.reason).toMatchObject({ code: 'BILLING_IN_PROGRESS' });
      const retried = await h.app.handle(results[0] === loser ? byInvoice : byLink);
      expect(retried).toMatchObject({ outcome: 'duplicate', code: 'ALREADY_BILLED' });
    } else {
      expect(loser).toMatchObject({ value: { outcome: 'duplicate', code: 'ALREADY_BILLED' } });
    }
    expect(invoicesOf(opportunityId).length + linksOf(opportunityId).length).toBe(1);
  });

  it('does nothing for the same platform event redelivered 25 hours later, even when its dedup marker is gone', async () => {
    const { opportunityId } = seedOpportunity(h.salesforce);
    const event = paymentRequestEvent(opportunityId);
    const first = await h.app.handle(event);
    h.nowMs += 25 * 3600 * 1000;
    h.stripe.expireIdempotencyKeys();
    await h.dynamo.client.send(new DeleteItemCommand({ TableName: h.dynamo.tableName, Key: { pk: { S: `event#${first.eventId}` } } }));
    const mark = h.stripe.requests.length;

    const late = await h.app.handle(structuredClone(event));

    expect(late).toMatchObject({ outcome: 'invoiced', invoiceId: first.invoiceId });
    expect(creationsSince(mark)).toEqual([]);
    expect(invoicesOf(opportunityId)).toHaveLength(1);
    expect(opportunity(opportunityId).Stripe_Sync_Error__c).toBeNull();
  });

  it('adopts an Opportunity billed before billing records existed: refused while its invoice is open, billed again once void', async () => {
    const customer = h.stripe.seedCustomer({ email: 'ap@example.com', metadata: {} });
    const legacy = await finance().invoices.create({ customer: customer.id, currency: 'usd', collection_method: 'send_invoice', days_until_due: 30 });
    await finance().invoiceItems.create({ customer: customer.id, invoice: legacy.id, currency: 'usd', amount: 120000 });
    const open = await finance().invoices.finalizeInvoice(legacy.id);
    const { opportunityId } = seedOpportunity(h.salesforce, {
      account: { Stripe_Customer_Id__c: customer.id },
      opportunity: { Stripe_Invoice_Id__c: open.id, Stripe_Payment_Status__c: 'Awaiting Payment' },
    });

    expect(await h.app.handle(paymentRequestEvent(opportunityId))).toMatchObject({ outcome: 'duplicate', code: 'ALREADY_BILLED' });
    expect(await h.billings.get('Opportunity', opportunityId)).toMatchObject({ state: 'billed', stripeObjectId: open.id, adopted: true });

    await finance().invoices.voidInvoice(open.id);
    const rebilled = await h.app.handle(paymentRequestEvent(opportunityId));
    expect(rebilled.outcome).toBe('invoiced');
    expect(rebilled.invoiceId).not.toBe(open.id);
    expect(await h.billings.get('Opportunity', opportunityId)).toMatchObject({ state: 'billed', stripeObjectId: rebilled.invoiceId, previous: [open.id], adopted: false });
  });

  it('says so when the Opportunity shows the money arrived some other way, and bills nothing', async () => {
    const { opportunityId } = seedOpportunity(h.salesforce, { opportunity: { Stripe_Payment_Status__c: 'Paid' } });
    const mark = h.stripe.requests.length;
    expect(await h.app.handle(paymentRequestEvent(opportunityId))).toMatchObject({ outcome: 'duplicate', code: 'ALREADY_BILLED' });
    expect(h.stripe.requests.length).toBe(mark);
    expect(String(opportunity(opportunityId).Stripe_Sync_Error__c)).toMatch(/shows Stripe payment status "Paid"/);
  });

  it('gives the record back when Stripe refuses before anything exists, so the fixed Opportunity bills', async () => {
    h.salesforce.setOrganization({ multiCurrency: true });
    h.coldStart();
    const { opportunityId } = seedOpportunity(h.salesforce, { opportunity: { CurrencyIsoCode: 'XAU' } });
    expect(await h.app.handle(paymentRequestEvent(opportunityId))).toMatchObject({ outcome: 'rejected', code: 'STRIPE_INVALID_REQUEST' });
    expect(await h.billings.get('Opportunity', opportunityId)).toBeUndefined();

    const fixed = h.salesforce.insert('Opportunity', { ...opportunity(opportunityId), CurrencyIsoCode: 'EUR' });
    expect(fixed).toBe(opportunityId);
    const retried = await h.app.handle(paymentRequestEvent(opportunityId));
    expect(retried.outcome).toBe('invoiced');
    expect(invoicesOf(opportunityId).map((i) => i.currency)).toEqual(['eur']);
  });
});
