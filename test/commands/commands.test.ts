/**
 * The command channel end to end: `Stripe_Command__e` as Event Relay delivers it → the outbound
 * function (jsforce over HTTP to the Salesforce stand-in, stripe-node over HTTP to the Stripe
 * stand-in, dynalite) → Stripe objects, the write-back on the record and Stripe_Sync_Log__c.
 *
 * Stripe facts relied on: a coupon with `amount_off` needs `currency` and takes that amount off
 * (https://docs.stripe.com/api/coupons/create); invoices and Checkout Sessions apply coupons via
 * `discounts[].coupon`; a Checkout Session's `expires_at` is 30 minutes to 24 hours from creation
 * and only an open session can be expired (https://docs.stripe.com/api/checkout/sessions/create,
 * …/expire). Salesforce: Quote.TotalPrice is the lines after discounts, GrandTotal adds Tax and
 * ShippingHandling (Object Reference, Quote).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { useOutboundHarness } from '../outbound/harness.js';
import { commandEvent, seedAccount, seedOrder, seedQuote } from './support.js';

const h = useOutboundHarness();

const record = (sobject: string, id: string) => h().salesforce.records(sobject).find((r) => r.Id === id) ?? {};
const logOf = (event: { detail: { payload: { EventUuid: string } } }) =>
  h().salesforce.records('Stripe_Sync_Log__c').filter((l) => l.Event_Id__c === `sf:${event.detail.payload.EventUuid}`);
const stripePostsFor = (recordId: string) => h().stripe.requests.filter((r) => r.method === 'POST' && r.idempotencyKey?.includes(recordId));

describe('checkout on a Quote', () => {
  it('issues a Checkout Session with the lines after their discounts, tax and shipping, and writes back the link', async () => {
    const accountId = seedAccount(h().salesforce);
    // Subtotal 3 × 100 + 50 = 350; 10 % off the first line → its TotalPrice 270 (Quantity × UnitPrice ×
    // (1 − Discount/100), Object Reference, QuoteLineItem), the Quote's 320; tax 25.60, shipping 9.99.
    const { quoteId } = seedQuote(
      h().salesforce,
      accountId,
      [
        { name: 'Seats', quantity: 3, unitPrice: 100, discount: 10, totalPrice: 270 },
        { name: 'Setup', quantity: 1, unitPrice: 50 },
      ],
      { TotalPrice: 320, Tax: 25.6, ShippingHandling: 9.99, GrandTotal: 355.59 },
    );
    const event = commandEvent('checkout', quoteId);

    const result = await h().app.handle(event);

    expect(result).toMatchObject({ outcome: 'checkout_created', command: 'checkout', sobject: 'Quote' });
    const [session, ...others] = h().stripe.checkoutSessions().filter((s) => s.metadata.salesforce_quote_id === quoteId);
    expect(others).toHaveLength(0);
    expect(session).toMatchObject({
      status: 'open',
      currency: 'usd',
      amount_subtotal: 27000 + 5000 + 2560 + 999,
      amount_total: 35559,
      customer: result.customerId,
      expires_at: Date.parse('2026-11-02T00:00:00Z') / 1000,
      metadata: { salesforce_quote_id: quoteId, salesforce_account_id: accountId },
      payment_intent_data: { metadata: { salesforce_quote_id: quoteId, salesforce_payment_mode: 'checkout' } },
    });
    expect(session?.line_items.map((l: { quantity: number; description: string; price: { unit_amount: number } }) => [l.description, l.quantity, l.price.unit_amount])).toEqual([
      ['Seats at 100.00, 10 % off', 3, 9000],
      ['Setup', 1, 5000],
      ['Tax', 1, 2560],
      ['Shipping and handling', 1, 999],
    ]);
    // The line carries its own discount: nothing is left for a coupon.
    expect(session?.discounts).toEqual([]);

    const quote = record('Quote', quoteId);
    expect(quote).toMatchObject({
      Stripe_Checkout_Session_Id__c: session?.id,
      Stripe_Checkout_Url__c: session?.url,
      Stripe_Checkout_Expires_At__c: '2026-11-02T00:00:00.000Z',
      Stripe_Payment_Status__c: 'Awaiting Payment',
      Stripe_Sync_Error__c: null,
    });
    // Hosted Checkout URLs are longer than a URL field holds: the long text field keeps it whole.
    expect(String(quote.Stripe_Checkout_Url__c).length).toBeGreaterThan(255);
    expect(record('Account', accountId).Stripe_Customer_Id__c).toBe(result.customerId);
    expect(logOf(event)).toEqual([
      expect.objectContaining({
        Command__c: 'checkout',
        Record_Id__c: quoteId,
        Status__c: 'Succeeded',
        Stripe_Object_Id__c: session?.id,
        Stripe_Url__c: session?.url,
        Requested_By__c: '005Ab0000000001AAA',
        Event_Type__c: 'Stripe_Command__e',
        Requested_At__c: '2026-11-01T00:00:00.000Z',
      }),
    ]);
  });

  it('re-issues the link on request: a new session, the previous one expired, one log per request', async () => {
    const accountId = seedAccount(h().salesforce);
    const { quoteId } = seedQuote(h().salesforce, accountId, [{ name: 'Seats', quantity: 2, unitPrice: 40 }], { TotalPrice: 80, GrandTotal: 80 });
    await h().app.handle(commandEvent('checkout', quoteId));
    const [first] = h().stripe.checkoutSessions().filter((s) => s.metadata.salesforce_quote_id === quoteId);

    const again = commandEvent('checkout', quoteId, { options: '{"expiresInHours": 2}' });
    const result = await h().app.handle(again);

    expect(result.outcome).toBe('checkout_created');
    const sessions = h().stripe.checkoutSessions().filter((s) => s.metadata.salesforce_quote_id === quoteId);
    expect(sessions.map((s) => s.status)).toEqual(['expired', 'open']);
    expect(sessions[1]?.expires_at).toBe(Date.parse('2026-11-01T02:00:00Z') / 1000);
    expect(record('Quote', quoteId).Stripe_Checkout_Session_Id__c).toBe(sessions[1]?.id);
    expect(sessions[0]?.id).toBe(first?.id);
    expect(logOf(again)).toHaveLength(1);
  });

  it('a replayed command creates nothing new and keeps one log', async () => {
    const accountId = seedAccount(h().salesforce);
    const { quoteId } = seedQuote(h().salesforce, accountId, [{ name: 'Seats', quantity: 1, unitPrice: 99 }]);
    const event = commandEvent('checkout', quoteId);
    await h().app.handle(event);
    const posts = stripePostsFor(quoteId).length;

    expect(await h().app.handle(event)).toMatchObject({ outcome: 'duplicate' });
    expect(stripePostsFor(quoteId)).toHaveLength(posts);
    expect(h().stripe.checkoutSessions().filter((s) => s.metadata.salesforce_quote_id === quoteId)).toHaveLength(1);
    expect(logOf(event)).toHaveLength(1);
  });

  it('a payment link for a Quote with a line Discount bills the discounted line (no coupon needed)', async () => {
    const accountId = seedAccount(h().salesforce);
    const { quoteId } = seedQuote(h().salesforce, accountId, [{ name: 'Seats', quantity: 2, unitPrice: 50, discount: 10, totalPrice: 90 }], { TotalPrice: 90 });
    const result = await h().app.handle(commandEvent('payment_link', quoteId));
    expect(result).toMatchObject({ outcome: 'payment_link_created' });
    const price = h().stripe.prices().find((p) => p.metadata.salesforce_quote_id === quoteId);
    expect(price).toMatchObject({ unit_amount: 4500, currency: 'usd' });
    expect(h().stripe.coupons().filter((c) => c.metadata.salesforce_quote_id === quoteId)).toHaveLength(0);
  });

  it('refuses a payment link for a Quote whose TotalPrice is below its lines (payment links take no coupons) and says why', async () => {
    const accountId = seedAccount(h().salesforce);
    // A discount the lines do not carry: only a coupon could bill it.
    const { quoteId } = seedQuote(h().salesforce, accountId, [{ name: 'Seats', quantity: 2, unitPrice: 50 }], { TotalPrice: 90 });
    const event = commandEvent('payment_link', quoteId);
    expect(await h().app.handle(event)).toMatchObject({ outcome: 'rejected', code: 'DISCOUNT_UNSUPPORTED' });
    expect(stripePostsFor(quoteId)).toHaveLength(0);
    expect(record('Quote', quoteId).Stripe_Sync_Error__c).toContain('DISCOUNT_UNSUPPORTED');
    expect(logOf(event)[0]).toMatchObject({ Status__c: 'Failed' });
  });

  it('refuses a Quote whose lines, discount, tax and shipping do not add up to its Grand Total', async () => {
    const accountId = seedAccount(h().salesforce);
    const { quoteId } = seedQuote(h().salesforce, accountId, [{ name: 'Seats', quantity: 1, unitPrice: 10 }], { TotalPrice: 10, Tax: 1, GrandTotal: 12 });
    expect(await h().app.handle(commandEvent('invoice', quoteId))).toMatchObject({ outcome: 'rejected', code: 'TOTAL_MISMATCH' });
    expect(stripePostsFor(quoteId)).toHaveLength(0);
  });
});

describe('invoice on an Order, a Quote and a Contract', () => {
  it('invoices an Order: one item per OrderItem, sent, written back on the Order', async () => {
    const accountId = seedAccount(h().salesforce);
    const orderId = seedOrder(h().salesforce, accountId, [
      { name: 'Widget', quantity: 3, unitPrice: 19.99 },
      { name: 'Install', quantity: 1, unitPrice: 250 },
    ]);
    const event = commandEvent('invoice', orderId);

    const result = await h().app.handle(event);

    expect(result).toMatchObject({ outcome: 'invoiced', sobject: 'Order' });
    const invoice = h().stripe.invoices().find((i) => i.id === result.invoiceId);
    expect(invoice).toMatchObject({ status: 'open', amount_due: 5997 + 25000, metadata: { salesforce_order_id: orderId, salesforce_account_id: accountId } });
    expect(record('Order', orderId)).toMatchObject({ Stripe_Invoice_Id__c: result.invoiceId, Stripe_Invoice_Url__c: invoice?.hosted_invoice_url, Stripe_Payment_Status__c: 'Awaiting Payment' });
    expect(logOf(event)[0]).toMatchObject({ Status__c: 'Succeeded', Stripe_Object_Id__c: result.invoiceId });
  });

  it('invoices a discounted Quote at its lines after Discount, no coupon', async () => {
    const accountId = seedAccount(h().salesforce);
    const { quoteId } = seedQuote(h().salesforce, accountId, [{ name: 'Seats', quantity: 4, unitPrice: 25, discount: 20, totalPrice: 80 }], {
      TotalPrice: 80,
      ShippingHandling: 5,
      GrandTotal: 85,
    });
    const result = await h().app.handle(commandEvent('invoice', quoteId));
    const invoice = h().stripe.invoices().find((i) => i.id === result.invoiceId);
    expect(invoice).toMatchObject({ subtotal: 8500, total: 8500, amount_due: 8500, discounts: [] });
  });

  it("invoices a Contract from its activated Orders' items only", async () => {
    const accountId = seedAccount(h().salesforce);
    const contractId = h().salesforce.insert('Contract', { AccountId: accountId, Status: 'Activated', StatusCode: 'Activated', ContractNumber: '00000100' });
    seedOrder(h().salesforce, accountId, [{ name: 'Year 1', quantity: 1, unitPrice: 1200 }], { ContractId: contractId });
    seedOrder(h().salesforce, accountId, [{ name: 'Add-on', quantity: 2, unitPrice: 30 }], { ContractId: contractId });
    seedOrder(h().salesforce, accountId, [{ name: 'Draft only', quantity: 1, unitPrice: 999 }], { ContractId: contractId, Status: 'Draft', StatusCode: 'Draft' });

    const result = await h().app.handle(commandEvent('invoice', contractId));

    expect(result).toMatchObject({ outcome: 'invoiced', sobject: 'Contract' });
    const invoice = h().stripe.invoices().find((i) => i.id === result.invoiceId);
    expect(invoice).toMatchObject({ amount_due: 120000 + 6000, metadata: { salesforce_contract_id: contractId } });
    expect(record('Contract', contractId)).toMatchObject({ Stripe_Invoice_Id__c: result.invoiceId, Stripe_Payment_Status__c: 'Awaiting Payment' });
  });

  it('bills a second request for a billed Order once: the billing record says why', async () => {
    const accountId = seedAccount(h().salesforce);
    const orderId = seedOrder(h().salesforce, accountId, [{ name: 'Widget', quantity: 1, unitPrice: 10 }]);
    await h().app.handle(commandEvent('invoice', orderId));
    const second = commandEvent('checkout', orderId);
    expect(await h().app.handle(second)).toMatchObject({ outcome: 'duplicate' });
    expect(h().stripe.invoices().filter((i) => i.metadata.salesforce_order_id === orderId)).toHaveLength(1);
    expect(h().stripe.checkoutSessions().filter((s) => s.metadata.salesforce_order_id === orderId)).toHaveLength(0);
    expect(logOf(second)[0]).toMatchObject({ Status__c: 'Skipped' });
  });
});

describe('zero- and three-decimal currencies', () => {
  beforeEach(() => {
    h().salesforce.setOrganization({ multiCurrency: true });
    h().coldStart();
  });

  it('JPY: a Quote checkout in yen, exact (no minor unit)', async () => {
    const accountId = seedAccount(h().salesforce);
    const { quoteId } = seedQuote(h().salesforce, accountId, [{ name: 'Seats', quantity: 3, unitPrice: 5000 }], { CurrencyIsoCode: 'JPY', TotalPrice: 14000, Tax: 1400, GrandTotal: 15400 });
    await h().app.handle(commandEvent('checkout', quoteId));
    const [session] = h().stripe.checkoutSessions().filter((s) => s.metadata.salesforce_quote_id === quoteId);
    expect(session).toMatchObject({ currency: 'jpy', amount_subtotal: 16400, amount_total: 15400 });
    expect(h().stripe.coupons().find((c) => c.id === session?.discounts[0]?.coupon)).toMatchObject({ amount_off: 1000, currency: 'jpy' });
  });

  it('KWD: an Order invoiced in fils (three decimals)', async () => {
    const accountId = seedAccount(h().salesforce);
    const orderId = seedOrder(h().salesforce, accountId, [{ name: 'Service', quantity: 2, unitPrice: 12.345 }], { CurrencyIsoCode: 'KWD' });
    const result = await h().app.handle(commandEvent('invoice', orderId));
    expect(h().stripe.invoices().find((i) => i.id === result.invoiceId)).toMatchObject({ currency: 'kwd', amount_due: 24690 });
  });
});

describe('refusals: logged for the requester, never retried, Stripe never called', () => {
  it('a record that does not exist', async () => {
    const event = commandEvent('checkout', '0Q0Ab00000Gone01AAA'.slice(0, 18));
    expect(await h().app.handle(event)).toMatchObject({ outcome: 'rejected', code: 'RECORD_NOT_FOUND' });
    expect(logOf(event)[0]).toMatchObject({ Status__c: 'Failed', Message__c: expect.stringContaining('does not exist') });
  });

  it('a record of a type the command does not take (an Account)', async () => {
    const accountId = seedAccount(h().salesforce);
    const event = commandEvent('invoice', accountId);
    const before = h().stripe.requests.length;
    expect(await h().app.handle(event)).toMatchObject({ outcome: 'rejected', code: 'RECORD_TYPE_UNSUPPORTED' });
    expect(h().stripe.requests.length).toBe(before);
    expect(logOf(event)[0]?.Message__c).toContain('Quote (0Q0…)');
  });

  it('an unknown command, a blank one, and malformed options', async () => {
    const accountId = seedAccount(h().salesforce);
    const { quoteId } = seedQuote(h().salesforce, accountId, [{ name: 'Seats', quantity: 1, unitPrice: 10 }]);
    const unknown = commandEvent('teleport', quoteId);
    expect(await h().app.handle(unknown)).toMatchObject({ outcome: 'rejected', code: 'COMMAND_UNKNOWN' });
    expect(logOf(unknown)[0]?.Message__c).toContain('checkout');
    expect(await h().app.handle(commandEvent(null, quoteId))).toMatchObject({ code: 'COMMAND_MISSING' });
    expect(await h().app.handle(commandEvent('checkout', quoteId, { options: '{not json' }))).toMatchObject({ code: 'OPTIONS_INVALID' });
    expect(await h().app.handle(commandEvent('checkout', quoteId, { options: '{"expiresInHours": 48}' }))).toMatchObject({ code: 'CHECKOUT_EXPIRY_INVALID' });
    expect(stripePostsFor(quoteId)).toHaveLength(0);
  });

  it('the subscription command runs on a Contract too: one without recurring products is refused for the rep (test/commands/subscription.test.ts bills one)', async () => {
    const accountId = seedAccount(h().salesforce);
    const contractId = h().salesforce.insert('Contract', { AccountId: accountId, Status: 'Activated' });
    seedOrder(h().salesforce, accountId, [{ name: 'Widget', quantity: 1, unitPrice: 10 }], { ContractId: contractId });
    expect(await h().app.handle(commandEvent('subscription', contractId))).toMatchObject({ outcome: 'rejected', code: 'NO_RECURRING_LINES' });
    expect(stripePostsFor(contractId)).toHaveLength(0);
  });

  it('a user without Stripe_Request_Payment: refused before Stripe is called, logged with why; granted later, it bills', async () => {
    const accountId = seedAccount(h().salesforce);
    const orderId = seedOrder(h().salesforce, accountId, [{ name: 'Widget', quantity: 1, unitPrice: 10 }]);
    const stranger = '005Ab00000NoPerm1A';
    h().salesforce.insert('User', { Id: stranger, Name: 'New rep' });
    const event = commandEvent('invoice', orderId, { requestedBy: stranger });
    const stripeBefore = h().stripe.requests.length;

    expect(await h().app.handle(event)).toMatchObject({ outcome: 'rejected', code: 'PERMISSION_MISSING' });
    expect(h().stripe.requests.length).toBe(stripeBefore);
    expect(logOf(event)[0]).toMatchObject({ Status__c: 'Failed', Message__c: expect.stringContaining('Stripe_Request_Payment') });
    expect(record('Order', orderId).Stripe_Invoice_Id__c).toBeUndefined();

    // A permission granted later counts after a cold start (answers are cached per cold start, 5 minutes).
    h().salesforce.grantCustomPermission(stranger, 'Stripe_Request_Payment');
    h().coldStart();
    expect(await h().app.handle(commandEvent('invoice', orderId, { requestedBy: stranger }))).toMatchObject({ outcome: 'invoiced' });
  });

  it('a requester who is no user of the org: refused, logged without the lookup', async () => {
    const accountId = seedAccount(h().salesforce);
    const orderId = seedOrder(h().salesforce, accountId, [{ name: 'Widget', quantity: 1, unitPrice: 10 }]);
    const event = commandEvent('invoice', orderId, { requestedBy: '005Ab00000Ghost01A' });
    expect(await h().app.handle(event)).toMatchObject({ outcome: 'rejected', code: 'PERMISSION_MISSING' });
    expect(logOf(event)[0]).toMatchObject({ Status__c: 'Failed', Requested_By__c: null, Message__c: expect.stringContaining('005Ab00000Ghost01A') });
  });

  it('a command without a requesting user', async () => {
    const accountId = seedAccount(h().salesforce);
    const orderId = seedOrder(h().salesforce, accountId, [{ name: 'Widget', quantity: 1, unitPrice: 10 }]);
    const event = commandEvent('invoice', orderId, { requestedBy: null });
    const result = await h().app.handle({ ...event, detail: { ...event.detail, payload: { ...event.detail.payload, CreatedById: null } } });
    expect(result).toMatchObject({ outcome: 'rejected', code: 'REQUESTER_MISSING' });
  });

  it('asks Salesforce once per user and permission (cached)', async () => {
    const accountId = seedAccount(h().salesforce);
    const queriesBefore = () => h().salesforce.requests.filter((r) => r.path.endsWith('/query')).length;
    const a = seedOrder(h().salesforce, accountId, [{ name: 'A', quantity: 1, unitPrice: 1 }]);
    const b = seedOrder(h().salesforce, accountId, [{ name: 'B', quantity: 1, unitPrice: 1 }]);
    await h().app.handle(commandEvent('invoice', a));
    const afterFirst = queriesBefore();
    await h().app.handle(commandEvent('invoice', b));
    // The second command reads its Order (1 query) and no permission again.
    expect(queriesBefore() - afterFirst).toBe(1);
  });
});
