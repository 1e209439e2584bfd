import { describe, expect, it } from 'vitest';
import { TransientError } from '../../src/errors.js';
import { paymentRequestEvent, seedOpportunity, useOutboundHarness } from './harness.js';

const h = useOutboundHarness();

const opportunity = (id: string) => h().salesforce.records('Opportunity').find((o) => o.Id === id) ?? {};
const account = (id: string | undefined) => h().salesforce.records('Account').find((a) => a.Id === id) ?? {};
const invoicesOf = (opportunityId: string) => h().stripe.invoices().filter((i) => i.metadata.salesforce_opportunity_id === opportunityId);
const stripePostsFor = (opportunityId: string) => h().stripe.requests.filter((r) => r.method === 'POST' && r.idempotencyKey?.includes(opportunityId));

describe('invoice mode', () => {
  it('creates the customer, a sent invoice with the exact lines, and writes everything back', async () => {
    const { opportunityId, accountId } = seedOpportunity(h().salesforce, {
      lines: [
        { Name: 'Widget', Quantity: 3, UnitPrice: 19.99 },
        { Name: 'Onboarding', Description: 'Remote, two sessions', Quantity: 1, UnitPrice: 250 },
      ],
    });

    const result = await h().app.handle(paymentRequestEvent(opportunityId));

    expect(result.outcome).toBe('invoiced');
    const customer = h().stripe.customers().find((c) => c.id === result.customerId);
    expect(customer).toMatchObject({
      name: 'Acme Corp',
      email: 'billing@example.com',
      address: { line1: '1 Market St', line2: 'Suite 100', city: 'San Francisco', postal_code: '94105', country: 'US' },
      metadata: { salesforce_account_id: accountId },
    });
    expect(account(accountId).Stripe_Customer_Id__c).toBe(result.customerId);

    const [invoice, ...others] = invoicesOf(opportunityId);
    expect(others).toHaveLength(0);
    expect(invoice).toMatchObject({
      id: result.invoiceId,
      customer: result.customerId,
      status: 'open',
      collection_method: 'send_invoice',
      days_until_due: 30,
      currency: 'usd',
      amount_due: 5997 + 25000,
      metadata: { salesforce_opportunity_id: opportunityId, salesforce_account_id: accountId },
    });
    expect(invoice?.sent_at).toBeTypeOf('number');
    const items = h().stripe.invoiceItems().filter((i) => i.invoice === invoice?.id);
    expect(items.map((i) => [i.description, i.quantity, i.pricing.unit_amount_decimal, i.amount])).toEqual([
      ['Widget', 3, '1999', 5997],
      ['Onboarding — Remote, two sessions', 1, '25000', 25000],
    ]);
    expect(items.every((i) => i.metadata.salesforce_opportunity_id === opportunityId && i.metadata.salesforce_account_id === accountId)).toBe(true);

    expect(opportunity(opportunityId)).toMatchObject({
      Stripe_Invoice_Id__c: invoice?.id,
      Stripe_Invoice_Url__c: invoice?.hosted_invoice_url,
      Stripe_Payment_Status__c: 'Awaiting Payment',
      Stripe_Sync_Error__c: null,
      Stripe_Last_Synced_At__c: new Date(h().nowMs).toISOString(),
      Stripe_Amount_Billed__c: 309.97,
    });
    // Every POST carried a deterministic key; none was sent without one.
    const posts = h().stripe.requests.filter((r) => r.method === 'POST');
    expect(posts.every((r) => r.idempotencyKey?.startsWith('sfbridge:'))).toBe(true);
    expect(stripePostsFor(opportunityId).map((r) => r.idempotencyKey)).toEqual([
      `sfbridge:${opportunityId}:invoice`,
      expect.stringMatching(new RegExp(`^sfbridge:${opportunityId}:item:`)),
      expect.stringMatching(new RegExp(`^sfbridge:${opportunityId}:item:`)),
      `sfbridge:${opportunityId}:finalize`,
      `sfbridge:${opportunityId}:send`,
    ]);

    const [line] = h().logs.withOutcome('invoiced');
    expect(line).toMatchObject({ recordId: opportunityId, mode: 'invoice', invoiceId: invoice?.id, customerId: result.customerId, durationMs: expect.any(Number) });
    expect(h().logs.raw.join('\n')).not.toContain('billing@example.com');
    expect(h().logs.raw.join('\n')).not.toContain('Market St');
  });

  it('bills an Account that already has a Stripe customer without creating another', async () => {
    const existing = h().stripe.seedCustomer({ email: 'ap@example.com', metadata: {} });
    const { opportunityId, accountId } = seedOpportunity(h().salesforce, { account: { Stripe_Customer_Id__c: existing.id } });
    const customersBefore = h().stripe.customers().length;

    const result = await h().app.handle(paymentRequestEvent(opportunityId));

    expect(result).toMatchObject({ outcome: 'invoiced', customerId: existing.id });
    expect(h().stripe.customers()).toHaveLength(customersBefore);
    expect(h().stripe.requests.some((r) => r.path === '/v1/customers' && r.idempotencyKey === `sfbridge:${accountId}:customer`)).toBe(false);
    expect(invoicesOf(opportunityId)[0]).toMatchObject({ customer: existing.id, amount_due: 120000 });
  });

  it('bills JPY and KWD Opportunities of a multi-currency org in their own currency, without any variable set', async () => {
    h().salesforce.setOrganization({ multiCurrency: true, defaultCurrencyIsoCode: 'USD' });
    h().coldStart();
    const describesBefore = h().salesforce.requests.filter((r) => r.path.endsWith('/sobjects/Opportunity/describe')).length;
    const jpy = seedOpportunity(h().salesforce, { opportunity: { CurrencyIsoCode: 'JPY', Amount: 4500 }, lines: [{ Name: 'Widget', Quantity: 3, UnitPrice: 1500 }] });
    const kwd = seedOpportunity(h().salesforce, { opportunity: { CurrencyIsoCode: 'KWD', Amount: 12.345 } });

    await h().app.handle(paymentRequestEvent(jpy.opportunityId));
    await h().app.handle(paymentRequestEvent(kwd.opportunityId));

    expect(invoicesOf(jpy.opportunityId).map((i) => [i.currency, i.amount_due])).toEqual([['jpy', 4500]]);
    expect(invoicesOf(kwd.opportunityId).map((i) => [i.currency, i.amount_due])).toEqual([['kwd', 12345]]);
    expect(h().salesforce.requests.filter((r) => r.path.endsWith('/sobjects/Opportunity/describe')).length - describesBefore).toBe(1);
  });

  it('bills a single-currency JPY org in JPY, asking Salesforce once per cold start', async () => {
    h().salesforce.setOrganization({ multiCurrency: false, defaultCurrencyIsoCode: 'JPY' });
    h().coldStart();
    const describesBefore = h().salesforce.requests.filter((r) => r.path.endsWith('/describe')).length;
    const first = seedOpportunity(h().salesforce, { opportunity: { Amount: 150000 } });
    const second = seedOpportunity(h().salesforce, { lines: [{ Name: 'Widget', Quantity: 2, UnitPrice: 1500 }] });

    await h().app.handle(paymentRequestEvent(first.opportunityId));
    await h().app.handle(paymentRequestEvent(second.opportunityId));

    expect(invoicesOf(first.opportunityId).map((i) => [i.currency, i.amount_due])).toEqual([['jpy', 150000]]);
    expect(invoicesOf(second.opportunityId).map((i) => [i.currency, i.amount_due])).toEqual([['jpy', 3000]]);
    // One describe and one Organization query for the cold start, not per request.
    expect(h().salesforce.requests.filter((r) => r.path.endsWith('/describe')).length - describesBefore).toBe(1);
  });

  it('takes STRIPE_DEFAULT_CURRENCY and SALESFORCE_MULTI_CURRENCY as explicit overrides of what the org says', async () => {
    h().salesforce.setOrganization({ multiCurrency: false, defaultCurrencyIsoCode: 'JPY' });
    h().coldStart({ STRIPE_DEFAULT_CURRENCY: 'EUR', SALESFORCE_MULTI_CURRENCY: 'false' });
    const describesBefore = h().salesforce.requests.filter((r) => r.path.endsWith('/describe')).length;
    const { opportunityId } = seedOpportunity(h().salesforce, { opportunity: { Amount: 99.5 } });

    await h().app.handle(paymentRequestEvent(opportunityId));

    expect(invoicesOf(opportunityId).map((i) => [i.currency, i.amount_due])).toEqual([['eur', 9950]]);
    expect(h().salesforce.requests.filter((r) => r.path.endsWith('/describe')).length).toBe(describesBefore);
  });

  it('leaves the invoice open with its URL and tells the rep when Stripe cannot email it', async () => {
    const { opportunityId } = seedOpportunity(h().salesforce, { account: { Stripe_Billing_Email__c: null } });

    const result = await h().app.handle(paymentRequestEvent(opportunityId));

    expect(result.outcome).toBe('invoiced');
    const record = opportunity(opportunityId);
    expect(record.Stripe_Invoice_Url__c).toBe(invoicesOf(opportunityId)[0]?.hosted_invoice_url);
    expect(String(record.Stripe_Sync_Error__c)).toMatch(/open but Stripe did not email it/);
  });
});

describe('payment link mode', () => {
  it('creates a price per line and a payment link, and writes the link back', async () => {
    const { opportunityId, accountId } = seedOpportunity(h().salesforce, {
      opportunity: { Stripe_Payment_Mode__c: 'payment_link' },
      lines: [{ Name: 'Widget', Quantity: 3, UnitPrice: 19.99 }],
    });
    const customersBefore = h().stripe.customers().length;

    const result = await h().app.handle(paymentRequestEvent(opportunityId, { mode: null }));

    expect(result.outcome).toBe('payment_link_created');
    const link = h().stripe.paymentLinks().find((l) => l.id === result.paymentLinkId);
    const metadata = { salesforce_opportunity_id: opportunityId, salesforce_account_id: accountId };
    expect(link).toMatchObject({ metadata, payment_intent_data: { metadata: { ...metadata, salesforce_payment_mode: 'payment_link' } }, line_items: [{ quantity: 3, amount: 1999, currency: 'usd' }] });
    expect(h().stripe.prices().find((p) => p.id === link?.line_items[0].price)).toMatchObject({ unit_amount: 1999, product_name: 'Widget' });
    expect(h().stripe.customers()).toHaveLength(customersBefore);
    expect(opportunity(opportunityId)).toMatchObject({
      Stripe_Payment_Link_Id__c: link?.id,
      Stripe_Payment_Link_Url__c: link?.url,
      Stripe_Payment_Status__c: 'Awaiting Payment',
    });
    expect(h().logs.withOutcome('payment_link_created')[0]).toMatchObject({ recordId: opportunityId, paymentLinkId: link?.id });
  });
});

describe('exactly one invoice', () => {
  it('turns the same platform event delivered twice into one invoice', async () => {
    const { opportunityId } = seedOpportunity(h().salesforce);
    const event = paymentRequestEvent(opportunityId);

    const first = await h().app.handle(event);
    const postsAfterFirst = h().stripe.requests.length;
    const second = await h().app.handle(structuredClone(event));

    expect([first.outcome, second.outcome]).toEqual(['invoiced', 'duplicate']);
    expect(invoicesOf(opportunityId)).toHaveLength(1);
    expect(h().stripe.requests.length).toBe(postsAfterFirst);
  });

  it('creates no second invoice when the write-back failed after the invoice was created', async () => {
    const { opportunityId } = seedOpportunity(h().salesforce);
    const event = paymentRequestEvent(opportunityId);
    h().salesforce.failRecord('Opportunity', opportunityId, 'UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access to this record', 1);

    await expect(h().app.handle(event)).rejects.toBeInstanceOf(TransientError);
    expect(invoicesOf(opportunityId)).toHaveLength(1);
    expect(opportunity(opportunityId).Stripe_Invoice_Id__c).toBeUndefined();
    expect(h().logs.withOutcome('retry')[0]).toMatchObject({ recordId: opportunityId, code: 'SALESFORCE_UNABLE_TO_LOCK_ROW' });

    const retry = await h().app.handle(event);

    expect(retry.outcome).toBe('invoiced');
    expect(invoicesOf(opportunityId).map((i) => i.id)).toEqual([retry.invoiceId]);
    expect(opportunity(opportunityId).Stripe_Invoice_Id__c).toBe(retry.invoiceId);
    // The billing record says this request finished the Stripe side: the retry finds the open
    // invoice on the customer and only writes it back (nothing posted, not even a replayed send).
    expect(stripePostsFor(opportunityId).filter((r) => r.replayed)).toEqual([]);
    expect(h().stripe.creations(`/v1/invoices/${retry.invoiceId}/send`)).toHaveLength(1);
  });

  it('recovers after a crash that kept the claim, once its lease runs out', async () => {
    const { opportunityId } = seedOpportunity(h().salesforce);
    const event = paymentRequestEvent(opportunityId);
    // The process dies after Stripe answered: the claim is never given back.
    h().coldStart({}, { wrapStore: (store) => ({ claim: store.claim.bind(store), commit: store.commit.bind(store), release: async () => {} }) });
    h().salesforce.failRecord('Opportunity', opportunityId, 'UNABLE_TO_LOCK_ROW', 'lock', 1);
    await expect(h().app.handle(event)).rejects.toBeInstanceOf(TransientError);

    h().coldStart();
    await expect(h().app.handle(event)).rejects.toMatchObject({ code: 'EVENT_IN_PROGRESS' });
    h().nowMs += 121_000;
    const retry = await h().app.handle(event);

    expect(retry.outcome).toBe('invoiced');
    expect(invoicesOf(opportunityId)).toHaveLength(1);
  });

  it('resumes a plan that failed halfway (finalize hit a 500) without a second customer or invoice', async () => {
    const { opportunityId, accountId } = seedOpportunity(h().salesforce, { lines: [{ Name: 'Widget', Quantity: 2, UnitPrice: 10 }] });
    const event = paymentRequestEvent(opportunityId);
    h().stripe.failNextRequests(1, 500, { path: /\/finalize$/ });

    await expect(h().app.handle(event)).rejects.toBeInstanceOf(TransientError);
    expect(invoicesOf(opportunityId)[0]?.status).toBe('draft');
    const retry = await h().app.handle(event);

    expect(retry.outcome).toBe('invoiced');
    expect(invoicesOf(opportunityId).map((i) => [i.id, i.status, i.amount_due])).toEqual([[retry.invoiceId, 'open', 2000]]);
    expect(h().stripe.customers().filter((c) => c.metadata.salesforce_account_id === accountId)).toHaveLength(1);
  });
});

describe('errors', () => {
  it('writes "no amount" to the Opportunity without calling Stripe, and does not retry', async () => {
    const { opportunityId } = seedOpportunity(h().salesforce, { opportunity: { Amount: null } });
    const requestsBefore = h().stripe.requests.length;

    const result = await h().app.handle(paymentRequestEvent(opportunityId));

    expect(result).toMatchObject({ outcome: 'rejected', code: 'NOTHING_TO_BILL' });
    expect(h().stripe.requests.length).toBe(requestsBefore);
    expect(String(opportunity(opportunityId).Stripe_Sync_Error__c)).toMatch(/no Amount and no products.*NOTHING_TO_BILL/);
    expect(opportunity(opportunityId).Stripe_Invoice_Id__c).toBeUndefined();
    expect(h().logs.withOutcome('rejected')[0]).toMatchObject({ recordId: opportunityId, code: 'NOTHING_TO_BILL' });
  });

  it('writes a missing Account to the Opportunity', async () => {
    const { opportunityId } = seedOpportunity(h().salesforce, { account: null });
    const result = await h().app.handle(paymentRequestEvent(opportunityId));
    expect(result).toMatchObject({ outcome: 'rejected', code: 'ACCOUNT_MISSING' });
    expect(String(opportunity(opportunityId).Stripe_Sync_Error__c)).toMatch(/no Account/);
  });

  it('writes a currency Stripe refuses to the Opportunity', async () => {
    h().salesforce.setOrganization({ multiCurrency: true });
    h().coldStart();
    const { opportunityId } = seedOpportunity(h().salesforce, { opportunity: { CurrencyIsoCode: 'XAU' } });
    const result = await h().app.handle(paymentRequestEvent(opportunityId));
    expect(result).toMatchObject({ outcome: 'rejected', code: 'STRIPE_INVALID_REQUEST' });
    expect(String(opportunity(opportunityId).Stripe_Sync_Error__c)).toMatch(/Stripe invoices.create failed/);
  });

  it('throws a Stripe outage so Lambda retries, giving the claim back', async () => {
    const { opportunityId } = seedOpportunity(h().salesforce);
    const event = paymentRequestEvent(opportunityId);
    h().stripe.failNextRequests(1, 500);

    await expect(h().app.handle(event)).rejects.toMatchObject({ code: 'STRIPE_StripeAPIError' });
    expect(opportunity(opportunityId).Stripe_Sync_Error__c).toBeUndefined();

    const retry = await h().app.handle(event);
    expect(retry.outcome).toBe('invoiced');
    expect(invoicesOf(opportunityId)).toHaveLength(1);
  });

  it('refuses an event for an Opportunity that does not exist, tells the requester in the Sync Log, and does not retry', async () => {
    const event = paymentRequestEvent('006Ab000000Gone01A');
    await expect(h().app.handle(event)).resolves.toMatchObject({ outcome: 'rejected', code: 'RECORD_NOT_FOUND' });
    expect(h().salesforce.records('Stripe_Sync_Log__c').find((l) => l.Event_Id__c === `sf:${event.detail.payload.EventUuid}`)).toMatchObject({
      Status__c: 'Failed',
      Record_Id__c: '006Ab000000Gone01A',
    });
    expect(h().logs.withOutcome('rejected')[0]).toMatchObject({ code: 'RECORD_NOT_FOUND' });
  });

  it('throws on an event that is not a payment request', async () => {
    await expect(h().app.handle({ id: 'x', 'detail-type': 'Stripe_Payment_Request__e', detail: { payload: {} } })).rejects.toMatchObject({
      code: 'PAYMENT_REQUEST_INVALID',
    });
  });
});
