/**
 * One bill per deal (invariant 7, issue 11), end to end through the command channel (jsforce over
 * HTTP to the Salesforce stand-in, stripe-node over HTTP to the Stripe stand-in, dynalite): an
 * Opportunity billed through its Quote is not billed again when it is marked Closed Won (the
 * Closed Won Flow's Stripe_Payment_Request__e), a Quote is not billed when its Opportunity or
 * another Quote was, and an Opportunity invoiced in parts through its Orders is billed neither
 * whole nor by Quote. The refused request is Skipped in Stripe_Sync_Log__c with a reason a rep
 * reads, the record's Stripe_Sync_Error__c says the same, and Stripe is never called for it.
 */
import { describe, expect, it } from 'vitest';
import { paymentRequestEvent, useOutboundHarness } from '../outbound/harness.js';
import { commandEvent, seedAccount, seedOrder, seedQuote } from './support.js';

const h = useOutboundHarness();

const record = (sobject: string, id: string) => h().salesforce.records(sobject).find((r) => r.Id === id) ?? {};
const logOf = (event: { detail: { payload: { EventUuid: string } } }) =>
  h().salesforce.records('Stripe_Sync_Log__c').find((l) => l.Event_Id__c === `sf:${event.detail.payload.EventUuid}`) ?? {};
const stripePostsFor = (recordId: string) => h().stripe.requests.filter((r) => r.method === 'POST' && r.idempotencyKey?.includes(recordId));

/** A Quote of a billable Opportunity (its Amount would bill it too). */
function quotedDeal(): { quoteId: string; opportunityId: string; accountId: string } {
  const accountId = seedAccount(h().salesforce);
  const deal = seedQuote(h().salesforce, accountId, [{ name: 'Seats', quantity: 10, unitPrice: 120 }], { TotalPrice: 1200, GrandTotal: 1200 }, { Amount: 1200 });
  return { ...deal, accountId };
}

describe('an Opportunity and its Quotes: billed once, by one of them', () => {
  it('Closed Won after the Quote was billed: the Opportunity is not billed again (Skipped, with why)', async () => {
    const { quoteId, opportunityId } = quotedDeal();
    expect(await h().app.handle(commandEvent('checkout', quoteId))).toMatchObject({ outcome: 'checkout_created' });

    const closedWon = paymentRequestEvent(opportunityId);
    const result = await h().app.handle(closedWon);

    expect(result).toMatchObject({ outcome: 'duplicate', code: 'DEAL_ALREADY_BILLED' });
    expect(stripePostsFor(opportunityId)).toHaveLength(0);
    expect(h().stripe.invoices().filter((i) => i.metadata.salesforce_opportunity_id === opportunityId)).toHaveLength(0);
    const message = `Stripe billing refused: this Opportunity is already billed through Quote ${quoteId}.`;
    expect(logOf(closedWon)).toMatchObject({ Status__c: 'Skipped', Record_Id__c: opportunityId });
    expect(String(logOf(closedWon).Message__c)).toContain(message);
    expect(String(record('Opportunity', opportunityId).Stripe_Sync_Error__c)).toContain(message);
  });

  it('a Quote of an Opportunity that was invoiced itself is not billed', async () => {
    const { quoteId, opportunityId } = quotedDeal();
    expect(await h().app.handle(paymentRequestEvent(opportunityId))).toMatchObject({ outcome: 'invoiced' });

    const checkout = commandEvent('checkout', quoteId);
    expect(await h().app.handle(checkout)).toMatchObject({ outcome: 'duplicate', code: 'DEAL_ALREADY_BILLED' });
    expect(h().stripe.checkoutSessions().filter((s) => s.metadata.salesforce_quote_id === quoteId)).toHaveLength(0);
    expect(logOf(checkout)).toMatchObject({ Status__c: 'Skipped' });
    expect(String(logOf(checkout).Message__c)).toContain(`this Quote's Opportunity (${opportunityId}) is already billed through Opportunity ${opportunityId}`);
  });

  it('a Quote whose billing Stripe refused (nothing created) gives the deal back: the Opportunity bills', async () => {
    const { quoteId, opportunityId } = quotedDeal();
    h().stripe.failNextRequests(1, 400, { type: 'invalid_request_error', message: 'Refused for the test.', path: /\/v1\/checkout\/sessions$/ });
    expect(await h().app.handle(commandEvent('checkout', quoteId))).toMatchObject({ outcome: 'rejected' });

    expect(await h().app.handle(paymentRequestEvent(opportunityId))).toMatchObject({ outcome: 'invoiced' });
  });

  it('two Quotes of one Opportunity requested at once: exactly one is billed, the other is told why', async () => {
    const { quoteId, opportunityId } = quotedDeal();
    const secondQuote = h().salesforce.insert('Quote', { Name: 'Q-0002', OpportunityId: opportunityId, AccountId: record('Quote', quoteId).AccountId, Status: 'Accepted' });
    h().salesforce.insert('QuoteLineItem', { QuoteId: secondQuote, Product2Id: h().salesforce.insert('Product2', { Name: 'Seats' }), Quantity: 9, UnitPrice: 120, TotalPrice: 1080 });
    const events = [commandEvent('checkout', quoteId), commandEvent('checkout', secondQuote), paymentRequestEvent(opportunityId)];

    const first = await Promise.allSettled(events.map((event) => h().app.handle(event)));
    // A request that met another one mid-billing is retried by the queue: retry those here.
    const settled = await Promise.all(first.map((r, i) => (r.status === 'fulfilled' ? r.value : h().app.handle(events[i]))));

    const billed = settled.filter((r) => r.outcome === 'checkout_created' || r.outcome === 'invoiced');
    expect(billed).toHaveLength(1);
    expect(settled.filter((r) => r.outcome === 'duplicate' && r.code === 'DEAL_ALREADY_BILLED')).toHaveLength(2);
    const objects = [
      ...h().stripe.checkoutSessions().filter((s) => [quoteId, secondQuote].includes(s.metadata.salesforce_quote_id)),
      ...h().stripe.invoices().filter((i) => i.metadata.salesforce_opportunity_id === opportunityId),
    ];
    expect(objects).toHaveLength(1);
  });

  it('once the Quote’s invoice is voided in Stripe, the Opportunity may be billed instead', async () => {
    const { quoteId, opportunityId } = quotedDeal();
    await h().app.handle(commandEvent('invoice', quoteId));
    expect(await h().app.handle(paymentRequestEvent(opportunityId))).toMatchObject({ outcome: 'duplicate' });

    const invoice = h().stripe.invoices().find((i) => i.metadata.salesforce_quote_id === quoteId);
    await fetch(`${h().stripe.url}/v1/invoices/${String(invoice?.id)}/void`, { method: 'POST', headers: { authorization: 'Bearer sk_test_fake_outbound' } });

    expect(await h().app.handle(paymentRequestEvent(opportunityId))).toMatchObject({ outcome: 'invoiced' });
    expect(h().stripe.invoices().filter((i) => i.metadata.salesforce_opportunity_id === opportunityId)).toHaveLength(1);
  });
});

describe('an Opportunity invoiced in parts through its Orders', () => {
  it('bills every Order of it, and refuses the Opportunity and its Quotes', async () => {
    const { quoteId, opportunityId, accountId } = quotedDeal();
    const orders = [1, 2].map((n) => seedOrder(h().salesforce, accountId, [{ name: `Delivery ${n}`, quantity: 1, unitPrice: 600 }], { OpportunityId: opportunityId }));
    for (const orderId of orders) expect(await h().app.handle(commandEvent('invoice', orderId))).toMatchObject({ outcome: 'invoiced' });

    const closedWon = paymentRequestEvent(opportunityId);
    expect(await h().app.handle(closedWon)).toMatchObject({ outcome: 'duplicate', code: 'DEAL_ALREADY_BILLED' });
    expect(String(logOf(closedWon).Message__c)).toContain('is already billed in parts through its Orders');
    expect(await h().app.handle(commandEvent('checkout', quoteId))).toMatchObject({ outcome: 'duplicate', code: 'DEAL_ALREADY_BILLED' });
    expect(h().stripe.invoices().filter((i) => orders.includes(i.metadata.salesforce_order_id ?? ''))).toHaveLength(2);
  });
});
