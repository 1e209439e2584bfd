/**
 * Replays that arrive after Stripe forgot the idempotency keys (24 hours): an earlier run created
 * the invoice but never wrote it back, so only the lookup on the customer stands between the
 * replay and a second invoice in the customer's inbox.
 */
import Stripe from 'stripe';
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
  h.coldStart();
  h.logs.clear();
  h.salesforce.clearFailures();
});

const opportunity = (id: string) => h.salesforce.records('Opportunity').find((o) => o.Id === id) ?? {};
const invoicesOf = (opportunityId: string) => h.stripe.invoices().filter((i) => i.metadata.salesforce_opportunity_id === opportunityId);
const requestsSince = (mark: number) => h.stripe.requests.slice(mark);
const creationsSince = (mark: number) => requestsSince(mark).filter((r) => r.method === 'POST' && !r.replayed && r.status < 300);

/** A day and an hour later: Stripe has forgotten every key the first run used. */
function keysExpire(): void {
  h.nowMs += 25 * 3600 * 1000;
  h.stripe.expireIdempotencyKeys();
}

/** The first run dies on the write-back to the Opportunity, after Stripe did everything. */
async function billButLoseTheWriteBack(opportunityId: string, event: ReturnType<typeof paymentRequestEvent>): Promise<void> {
  h.salesforce.failRecord('Opportunity', opportunityId, 'UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access to this record', 1);
  await expect(h.app.handle(event)).rejects.toBeInstanceOf(TransientError);
  expect(opportunity(opportunityId).Stripe_Invoice_Id__c).toBeUndefined();
}

describe('replay after the idempotency keys expired', () => {
  it('writes back the invoice that was finalized and sent, creating and sending nothing', async () => {
    const { opportunityId } = seedOpportunity(h.salesforce, { lines: [{ Name: 'Widget', Quantity: 2, UnitPrice: 10 }] });
    const event = paymentRequestEvent(opportunityId);
    await billButLoseTheWriteBack(opportunityId, event);
    const [first] = invoicesOf(opportunityId);
    expect(first).toMatchObject({ status: 'open', sent_at: expect.any(Number) });

    keysExpire();
    const mark = h.stripe.requests.length;
    const replay = await h.app.handle(event);

    expect(replay).toMatchObject({ outcome: 'invoiced', invoiceId: first?.id, invoiceUrl: first?.hosted_invoice_url, resumedInvoiceStatus: 'open' });
    expect(invoicesOf(opportunityId)).toHaveLength(1);
    expect(requestsSince(mark).filter((r) => r.method === 'POST')).toEqual([]);
    expect(requestsSince(mark).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/invoices']);
    expect(h.stripe.creations(`/v1/invoices/${first?.id}/send`)).toHaveLength(1);
    const record = opportunity(opportunityId);
    expect(record).toMatchObject({
      Stripe_Invoice_Id__c: first?.id,
      Stripe_Invoice_Url__c: first?.hosted_invoice_url,
      Stripe_Payment_Status__c: 'Awaiting Payment',
    });
    // Stripe's invoice does not say whether it was emailed, but the billing record does: this
    // request finished the Stripe side (the email included) before the write-back failed.
    expect(record.Stripe_Sync_Error__c).toBeNull();
    expect(h.logs.withOutcome('invoiced')[0]).toMatchObject({ recordId: opportunityId, invoiceId: first?.id, resumedInvoiceStatus: 'open' });
  });

  it('resumes a draft left with one of two items: the same invoice, exactly the two items, finalized and sent', async () => {
    const { opportunityId } = seedOpportunity(h.salesforce, {
      lines: [
        { Name: 'Widget', Quantity: 3, UnitPrice: 19.99 },
        { Name: 'Onboarding', Quantity: 1, UnitPrice: 250 },
      ],
    });
    const lineIds = h.salesforce
      .records('OpportunityLineItem')
      .filter((l) => l.OpportunityId === opportunityId)
      .map((l) => String(l.Id));
    const event = paymentRequestEvent(opportunityId);
    // The process dies while adding the second item.
    h.stripe.failNextRequests(1, 500, { idempotencyKey: new RegExp(`:item:${lineIds[1]}$`) });
    await expect(h.app.handle(event)).rejects.toBeInstanceOf(TransientError);
    const [draft] = invoicesOf(opportunityId);
    expect(draft?.status).toBe('draft');
    expect(h.stripe.invoiceItems().filter((i) => i.invoice === draft?.id)).toHaveLength(1);

    keysExpire();
    const mark = h.stripe.requests.length;
    const replay = await h.app.handle(event);

    expect(replay).toMatchObject({ outcome: 'invoiced', invoiceId: draft?.id, resumedInvoiceStatus: 'draft' });
    const invoices = invoicesOf(opportunityId);
    expect(invoices.map((i) => [i.id, i.status, i.amount_due])).toEqual([[draft?.id, 'open', 5997 + 25000]]);
    expect(invoices[0]?.sent_at).toBeTypeOf('number');
    const items = h.stripe.invoiceItems().filter((i) => i.invoice === draft?.id);
    expect(items.map((i) => i.metadata.salesforce_line_item_id).sort()).toEqual([...lineIds].sort());
    expect(creationsSince(mark).map((r) => r.idempotencyKey)).toEqual([
      `sfbridge:${opportunityId}:item:${lineIds[1]}`,
      `sfbridge:${opportunityId}:finalize`,
      `sfbridge:${opportunityId}:send`,
    ]);
    expect(opportunity(opportunityId)).toMatchObject({
      Stripe_Invoice_Id__c: draft?.id,
      Stripe_Invoice_Url__c: invoices[0]?.hosted_invoice_url,
      Stripe_Sync_Error__c: null,
    });
  });

  it('ignores a voided invoice of the Opportunity and bills it anew', async () => {
    const { opportunityId } = seedOpportunity(h.salesforce);
    const event = paymentRequestEvent(opportunityId);
    await billButLoseTheWriteBack(opportunityId, event);
    const [old] = invoicesOf(opportunityId);
    // Finance voided it in Stripe before anyone replayed the request.
    const stripe = createStripeClient('sk_test_fake_finance', { apiUrl: h.stripe.url, maxNetworkRetries: 0 });
    await stripe.invoices.voidInvoice(old?.id as string);

    keysExpire();
    const replay = await h.app.handle(event);

    expect(replay.outcome).toBe('invoiced');
    expect(replay.invoiceId).not.toBe(old?.id);
    expect(replay.resumedInvoiceStatus).toBeUndefined();
    expect(invoicesOf(opportunityId).map((i) => [i.id, i.status]).sort()).toEqual(
      [
        [old?.id, 'void'],
        [replay.invoiceId, 'open'],
      ].sort(),
    );
    expect(opportunity(opportunityId).Stripe_Invoice_Id__c).toBe(replay.invoiceId);
  });

  it('writes back an invoice the customer already paid as Paid', async () => {
    const { opportunityId } = seedOpportunity(h.salesforce);
    const event = paymentRequestEvent(opportunityId);
    await billButLoseTheWriteBack(opportunityId, event);
    const [invoice] = invoicesOf(opportunityId);
    h.stripe.payInvoice(invoice?.id as string);

    keysExpire();
    const mark = h.stripe.requests.length;
    const replay = await h.app.handle(event);

    expect(replay).toMatchObject({ outcome: 'invoiced', invoiceId: invoice?.id, resumedInvoiceStatus: 'paid' });
    expect(creationsSince(mark)).toEqual([]);
    expect(opportunity(opportunityId)).toMatchObject({ Stripe_Invoice_Id__c: invoice?.id, Stripe_Payment_Status__c: 'Paid', Stripe_Sync_Error__c: null });
  });

  it('refuses to resume a draft whose lines no longer match the Opportunity, creating nothing', async () => {
    const customer = h.stripe.seedCustomer({ email: 'ap@example.com', metadata: {} });
    const { opportunityId, accountId } = seedOpportunity(h.salesforce, { account: { Stripe_Customer_Id__c: customer.id }, opportunity: { Amount: 1200 } });
    // An earlier run's draft, made when the Opportunity was worth 1,000.
    const stripe = createStripeClient('sk_test_fake_earlier_run', { apiUrl: h.stripe.url, maxNetworkRetries: 0 });
    const metadata = { salesforce_opportunity_id: opportunityId, salesforce_account_id: accountId as string };
    const draft = await stripe.invoices.create({ customer: customer.id, currency: 'usd', collection_method: 'send_invoice', days_until_due: 30, metadata });
    await stripe.invoiceItems.create({
      customer: customer.id,
      invoice: draft.id,
      currency: 'usd',
      quantity: 1,
      unit_amount_decimal: Stripe.Decimal.from(100000),
      metadata: { ...metadata, salesforce_line_item_id: 'amount' },
    });

    keysExpire();
    const mark = h.stripe.requests.length;
    const replay = await h.app.handle(paymentRequestEvent(opportunityId));

    expect(replay).toMatchObject({ outcome: 'rejected', code: 'DRAFT_INVOICE_MISMATCH' });
    expect(creationsSince(mark)).toEqual([]);
    expect(invoicesOf(opportunityId).map((i) => [i.id, i.status])).toEqual([[draft.id, 'draft']]);
    expect(String(opportunity(opportunityId).Stripe_Sync_Error__c)).toMatch(/draft invoice in_\w+ .*another quantity or price.*Delete that draft/);
  });
});

describe('replay inside the idempotency window', () => {
  it('sends an open invoice whose send never went through, once', async () => {
    const { opportunityId } = seedOpportunity(h.salesforce);
    const event = paymentRequestEvent(opportunityId);
    h.stripe.failNextRequests(1, 500, { path: /\/send$/ });
    await expect(h.app.handle(event)).rejects.toBeInstanceOf(TransientError);
    const [invoice] = invoicesOf(opportunityId);
    expect(invoice?.status).toBe('open');
    expect(invoice?.sent_at).toBeUndefined();

    h.nowMs += 3600 * 1000;
    const replay = await h.app.handle(event);

    expect(replay).toMatchObject({ outcome: 'invoiced', invoiceId: invoice?.id, resumedInvoiceStatus: 'open' });
    expect(invoicesOf(opportunityId)[0]?.sent_at).toBeTypeOf('number');
    expect(h.stripe.creations(`/v1/invoices/${invoice?.id}/send`)).toHaveLength(1);
    expect(opportunity(opportunityId)).toMatchObject({ Stripe_Invoice_Id__c: invoice?.id, Stripe_Sync_Error__c: null });
  });
});
