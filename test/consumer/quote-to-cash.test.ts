/**
 * Payment status flows back to the Quote, Order or Contract a billing command billed (issue 11),
 * through the consumer's real code path (dynalite billing records, jsforce over HTTP to the
 * Salesforce stand-in), exactly as it does for an Opportunity: only the Stripe object that billed
 * the record moves it, "Paid" only when the amount covers the bill, older never over newer, and
 * a metadata id is used only with its object's key prefix (Quote 0Q0, Order 801, Contract 800).
 *
 * The outbound side names the record in the metadata of everything it creates
 * (`salesforce_quote_id`, `salesforce_order_id`, `salesforce_contract_id`: src/outbound/plan.ts),
 * and a Checkout Session copies its metadata to its PaymentIntent through
 * `payment_intent_data.metadata` (https://docs.stripe.com/api/checkout/sessions/create).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/local/sample-events.js';
import { inboundRecord, startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';

let h: ConsumerHarness;
let seq = 0;
const id = (prefix: string) => `${prefix}_test_q2c${(seq += 1)}`;
const T = 1_767_225_600;

beforeAll(async () => {
  h = await startConsumerHarness();
});
afterAll(async () => h.close());
beforeEach(() => h.logs.clear());

const row = (sobject: string, recordId: string) => h.salesforce.records(sobject).find((r) => r['Id'] === recordId) ?? {};

function newQuote(): string {
  const opportunityId = h.salesforce.insert('Opportunity', { Name: 'Quoted deal', StageName: 'Proposal', CloseDate: '2026-03-31' });
  return h.salesforce.insert('Quote', { Name: 'Q-1', OpportunityId: opportunityId, Status: 'Accepted' });
}
const newOrder = () => h.salesforce.insert('Order', { Name: 'O-1', Status: 'Activated' });
const newContract = () => h.salesforce.insert('Contract', { Status: 'Activated' });

async function apply(...events: ReturnType<typeof sampleEvent>[]): Promise<string[]> {
  const summary = await h.app.handle(events.map((event) => inboundRecord(event)));
  return [...summary.outcomes.values()];
}

describe('Quote: paid through its own Checkout link', () => {
  it('shows Paid with the amount when its Checkout Session completes, and when the session’s PaymentIntent succeeds', async () => {
    const quoteId = newQuote();
    const session = id('cs');
    const pi = id('pi');
    await h.bill(quoteId, { stripeObjectId: session, amount: 129_900, paymentIntents: [pi] });
    const metadata = { salesforce_quote_id: quoteId, salesforce_account_id: '001000000000001AAA' };

    expect(await apply(sampleEvent('checkout.session.completed', { id: id('evt'), created: T, objectId: session, paymentIntent: pi, amount: 129_900, metadata }))).toEqual(['applied']);
    expect(row('Quote', quoteId)).toMatchObject({ Stripe_Payment_Status__c: 'Paid', Stripe_Amount_Paid__c: 1299 });
    expect(typeof row('Quote', quoteId)['Stripe_Event_Order__c']).toBe('number');

    // The PaymentIntent names no session; Stripe says which one created it (the harness answers).
    await apply(sampleEvent('payment_intent.succeeded', { id: id('evt'), created: T + 5, objectId: pi, amount: 129_900, metadata: { ...metadata, salesforce_payment_mode: 'checkout' } }));
    expect(row('Quote', quoteId)['Stripe_Payment_Status__c']).toBe('Paid');
    expect(row('Quote', quoteId)['Stripe_Sync_Error__c'] ?? null).toBeNull();
    // The payment record is written either way; the Opportunity of the Quote is not touched.
    expect(h.salesforce.records('Stripe_Payment__c').find((r) => r['Stripe_Id__c'] === pi)).toMatchObject({ Status__c: 'Succeeded' });
    expect(row('Opportunity', String(row('Quote', quoteId)['OpportunityId']))['Stripe_Payment_Status__c']).toBeUndefined();
  });

  it('does not believe a payment of another origin that names the Quote, nor one short of the bill', async () => {
    const quoteId = newQuote();
    const session = id('cs');
    await h.bill(quoteId, { stripeObjectId: session, amount: 50_000 });
    const forged = id('pi');
    await apply(sampleEvent('payment_intent.succeeded', { id: id('evt'), created: T, objectId: forged, amount: 1, metadata: { salesforce_quote_id: quoteId } }));
    expect(row('Quote', quoteId)['Stripe_Payment_Status__c']).toBeUndefined();
    expect(String(row('Quote', quoteId)['Stripe_Sync_Error__c'])).toMatch(`payment ${forged} (0.01 USD) names this record but is not its bill (its bill is ${session}, 500.00 USD)`);

    await apply(sampleEvent('checkout.session.completed', { id: id('evt'), created: T + 10, objectId: session, amount: 40_000, metadata: { salesforce_quote_id: quoteId } }));
    expect(row('Quote', quoteId)).toMatchObject({ Stripe_Payment_Status__c: 'Partially Paid', Stripe_Amount_Billed__c: 500, Stripe_Amount_Paid__c: 400 });
  });

  it('counts a payment of the superseded session of a re-issued link, but not its expiry', async () => {
    const quoteId = newQuote();
    const [first, second] = [id('cs'), id('cs')];
    await h.bill(quoteId, { stripeObjectId: second, previous: [first] });
    const metadata = { salesforce_quote_id: quoteId };

    // The first link expired when the second was issued: that says nothing about the second.
    await apply(sampleEvent('checkout.session.expired', { id: id('evt'), created: T + 30, objectId: first, metadata }));
    expect(row('Quote', quoteId)['Stripe_Payment_Status__c']).toBeUndefined();
    expect(row('Quote', quoteId)['Stripe_Sync_Error__c']).toBeUndefined();

    // Paid just before it expired: the money arrived for this Quote.
    await apply(sampleEvent('checkout.session.completed', { id: id('evt'), created: T + 20, objectId: first, metadata }));
    expect(row('Quote', quoteId)['Stripe_Payment_Status__c']).toBe('Paid');
  });

  it('never lets an older event overwrite a newer one (the Quote carries the precedence key)', async () => {
    const quoteId = newQuote();
    const invoice = id('in');
    await h.bill(quoteId, { stripeObjectId: invoice });
    const metadata = { salesforce_quote_id: quoteId };
    await apply(sampleEvent('invoice.paid', { id: id('evt'), created: T + 60, objectId: invoice, metadata }));
    await apply(sampleEvent('invoice.payment_failed', { id: id('evt'), created: T, objectId: invoice, metadata }));
    await apply(sampleEvent('invoice.finalized', { id: id('evt'), created: T - 60, objectId: invoice, metadata }));
    expect(row('Quote', quoteId)).toMatchObject({ Stripe_Payment_Status__c: 'Paid', Stripe_Invoice_Id__c: invoice });
  });
});

describe('Order and Contract: invoiced by a command', () => {
  it.each([
    ['Order', 'salesforce_order_id', newOrder],
    ['Contract', 'salesforce_contract_id', newContract],
  ] as const)('%s: Awaiting Payment when its invoice is finalized, Paid when it is paid, in any order', async (sobject, key, create) => {
    for (const order of [['finalized', 'paid'], ['paid', 'finalized']] as const) {
      const recordId = create();
      const invoice = id('in');
      await h.bill(recordId, { stripeObjectId: invoice });
      const events = {
        finalized: sampleEvent('invoice.finalized', { id: id('evt'), created: T, objectId: invoice, metadata: { [key]: recordId } }),
        paid: sampleEvent('invoice.paid', { id: id('evt'), created: T + 60, objectId: invoice, metadata: { [key]: recordId } }),
      };
      await apply(events[order[0]]);
      expect(row(sobject, recordId)['Stripe_Payment_Status__c']).toBe(order[0] === 'paid' ? 'Paid' : 'Awaiting Payment');
      await apply(events[order[1]]);
      expect(row(sobject, recordId)).toMatchObject({ Stripe_Payment_Status__c: 'Paid', Stripe_Amount_Paid__c: 49.99, Stripe_Invoice_Id__c: invoice });
    }
  });

  it('Contract: another invoice naming it changes nothing but tells the rep', async () => {
    const contractId = newContract();
    const invoice = id('in');
    await h.bill(contractId, { stripeObjectId: invoice });
    const other = id('in');
    await apply(sampleEvent('invoice.paid', { id: id('evt'), created: T, objectId: other, metadata: { salesforce_contract_id: contractId } }));
    expect(row('Contract', contractId)['Stripe_Payment_Status__c']).toBeUndefined();
    expect(String(row('Contract', contractId)['Stripe_Sync_Error__c'])).toMatch(`invoice ${other} (49.99 USD) names this record but is not its bill (its bill is ${invoice}`);
  });
});

describe('metadata is checked by key prefix', () => {
  it.each([
    ['salesforce_quote_id', 'Quote', '0Q0'],
    ['salesforce_order_id', 'Order', '801'],
    ['salesforce_contract_id', 'Contract', '800'],
  ] as const)('%s naming a record of another object is ignored with a warning', async (key, sobject, prefix) => {
    const opportunityId = h.salesforce.insert('Opportunity', { Name: 'Not a ' + sobject, StageName: 'Closed Won', CloseDate: '2026-03-31' });
    await h.bill(opportunityId, { stripeObjectId: id('in') });
    const pi = id('pi');
    expect(await apply(sampleEvent('payment_intent.succeeded', { id: id('evt'), created: T, objectId: pi, metadata: { [key]: opportunityId } }))).toEqual(['applied']);
    expect(row('Opportunity', opportunityId)['Stripe_Payment_Status__c']).toBeUndefined();
    expect(h.logs.lines.find((l) => l['message'] === 'Stripe metadata ignored')?.['warnings']).toEqual([
      `${key} names a record with key prefix 006, not an ${sobject} (${prefix}); ignored`,
    ]);
  });
});
