/**
 * Trust only what is ours (issue 10, finding 4): an Opportunity moves only for its own bill,
 * through the consumer's real code paths:
 * dynalite holds the billing records, jsforce writes to the Salesforce stand-in. Anyone with
 * Stripe access can put an Opportunity's id in a PaymentIntent's metadata; only the Stripe object
 * that billed the Opportunity (its invoice, its payment link and what was paid through it) moves
 * its payment status, and "Paid" only when the amount covers the bill.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/local/sample-events.js';
import { inboundRecord, startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';

let h: ConsumerHarness;
let seq = 0;
const id = (prefix: string) => `${prefix}_test_trust${(seq += 1)}`;
const T = 1_767_225_600;

/** DynamoDB commands the consumer sent, by name. */
const commands: string[] = [];

beforeAll(async () => {
  h = await startConsumerHarness();
  h.dynamo.client.middlewareStack.add(
    (next, context) => async (args) => {
      commands.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
});
afterAll(async () => h.close());
beforeEach(() => {
  h.logs.clear();
});

const opportunity = (opportunityId: string) => h.salesforce.records('Opportunity').find((r) => r['Id'] === opportunityId) ?? {};
const payment = (pi: string) => h.salesforce.records('Stripe_Payment__c').find((r) => r['Stripe_Id__c'] === pi);
const newOpportunity = (amount: number) => h.salesforce.insert('Opportunity', { Name: 'Big deal', StageName: 'Closed Won', Amount: amount });

describe('trust only what is ours', () => {
  it('leaves a 250,000 USD Opportunity unpaid when a 1-cent payment with forged metadata names it', async () => {
    const opportunityId = newOpportunity(250_000);
    const invoice = id('in');
    await h.bill(opportunityId, { stripeObjectId: invoice, amount: 25_000_000 });
    await h.app.handle([inboundRecord(sampleEvent('invoice.finalized', { id: id('evt'), created: T, objectId: invoice, amount: 25_000_000, metadata: { salesforce_opportunity_id: opportunityId } }))]);
    expect(opportunity(opportunityId)).toMatchObject({ Stripe_Payment_Status__c: 'Awaiting Payment', Stripe_Invoice_Id__c: invoice });

    // Forged: the metadata the bridge itself would set, on a payment of one cent.
    const pi = id('pi');
    const forged = sampleEvent('payment_intent.succeeded', {
      id: id('evt'),
      created: T + 60,
      objectId: pi,
      amount: 1,
      metadata: { salesforce_opportunity_id: opportunityId, salesforce_payment_mode: 'payment_link' },
    });
    const summary = await h.app.handle([inboundRecord(forged)]);

    expect([...summary.outcomes.values()]).toEqual(['applied']);
    // The money is real: the payment record is written and linked.
    expect(payment(pi)).toMatchObject({ Status__c: 'Succeeded', Amount__c: 0.01, Opportunity__c: opportunityId });
    // Its meaning for the Opportunity is not: the status and the bill stay, the rep is told.
    expect(opportunity(opportunityId)).toMatchObject({ Stripe_Payment_Status__c: 'Awaiting Payment', Stripe_Invoice_Id__c: invoice });
    expect(String(opportunity(opportunityId)['Stripe_Sync_Error__c'])).toMatch(
      `payment ${pi} (0.01 USD) names this record but is not its bill (its bill is ${invoice}, 250000.00 USD)`,
    );
    expect(h.logs.lines.find((l) => l['message'] === 'payment not believed for a record it is not the bill of')).toMatchObject({
      eventId: forged.id,
      recordId: opportunityId,
      verdict: 'foreign',
    });

    // Its own invoice paid in full still makes it Paid, whatever the forged event did before.
    await h.app.handle([inboundRecord(sampleEvent('invoice.paid', { id: id('evt'), created: T + 120, objectId: invoice, amount: 25_000_000, metadata: { salesforce_opportunity_id: opportunityId } }))]);
    expect(opportunity(opportunityId)).toMatchObject({ Stripe_Payment_Status__c: 'Paid', Stripe_Amount_Paid__c: 250_000 });
  });

  it('does not believe another invoice naming the Opportunity, nor any payment for one the bridge never billed', async () => {
    const billed = newOpportunity(49.99);
    await h.bill(billed, { stripeObjectId: id('in') });
    const unbilled = newOpportunity(49.99);
    const other = id('in');

    await h.app.handle([
      inboundRecord(sampleEvent('invoice.paid', { id: id('evt'), created: T, objectId: other, metadata: { salesforce_opportunity_id: billed } })),
      inboundRecord(sampleEvent('invoice.paid', { id: id('evt'), created: T, objectId: id('in'), metadata: { salesforce_opportunity_id: unbilled } })),
    ]);

    expect(opportunity(billed)['Stripe_Payment_Status__c']).toBeUndefined();
    expect(opportunity(billed)['Stripe_Invoice_Id__c']).toBeUndefined();
    expect(String(opportunity(billed)['Stripe_Sync_Error__c'])).toMatch(`invoice ${other} (49.99 USD) names this record but is not its bill`);
    expect(opportunity(unbilled)['Stripe_Payment_Status__c']).toBeUndefined();
    expect(String(opportunity(unbilled)['Stripe_Sync_Error__c'])).toMatch('the bridge has not billed it');
    expect(h.salesforce.records('Stripe_Invoice__c').find((r) => r['Stripe_Id__c'] === other)).toMatchObject({ Opportunity__c: billed, Status__c: 'Paid' });
  });

  it('believes a payment made through its payment link (Stripe says which link the PaymentIntent came from), not one of the same amount made elsewhere', async () => {
    const opportunityId = newOpportunity(49.99);
    const link = id('plink');
    const throughLink = id('pi');
    await h.bill(opportunityId, { stripeObjectId: link, paymentIntents: [throughLink] });
    const metadata = { salesforce_opportunity_id: opportunityId };

    await h.app.handle([inboundRecord(sampleEvent('payment_intent.succeeded', { id: id('evt'), created: T, objectId: id('pi'), metadata }))]);
    expect(opportunity(opportunityId)['Stripe_Payment_Status__c']).toBeUndefined();

    await h.app.handle([inboundRecord(sampleEvent('payment_intent.succeeded', { id: id('evt'), created: T + 10, objectId: throughLink, metadata }))]);
    expect(opportunity(opportunityId)).toMatchObject({ Stripe_Payment_Status__c: 'Paid', Stripe_Amount_Paid__c: 49.99 });

    // The Checkout Session names its link itself: no question to Stripe needed.
    const session = sampleEvent('checkout.session.completed', { id: id('evt'), created: T + 20, paymentIntent: throughLink, paymentLink: link, metadata });
    expect([...(await h.app.handle([inboundRecord(session)])).outcomes.values()]).toEqual(['applied']);
    expect(opportunity(opportunityId)['Stripe_Payment_Status__c']).toBe('Paid');
  });

  it('marks its own invoice paid for less than the bill "Partially Paid", with both amounts', async () => {
    const opportunityId = newOpportunity(1200);
    const invoice = id('in');
    await h.bill(opportunityId, { stripeObjectId: invoice, amount: 120_000 });

    await h.app.handle([inboundRecord(sampleEvent('invoice.paid', { id: id('evt'), created: T, objectId: invoice, amount: 100_000, metadata: { salesforce_opportunity_id: opportunityId } }))]);

    expect(opportunity(opportunityId)).toMatchObject({
      Stripe_Payment_Status__c: 'Partially Paid',
      Stripe_Amount_Billed__c: 1200,
      Stripe_Amount_Paid__c: 1000,
      Stripe_Invoice_Id__c: invoice,
    });
  });

  it('counts a payment in another currency as nothing paid of the bill', async () => {
    const opportunityId = newOpportunity(49.99);
    const invoice = id('in');
    await h.bill(opportunityId, { stripeObjectId: invoice, currency: 'usd' });
    await h.app.handle([inboundRecord(sampleEvent('invoice.paid', { id: id('evt'), created: T, objectId: invoice, currency: 'eur', metadata: { salesforce_opportunity_id: opportunityId } }))]);
    expect(opportunity(opportunityId)).toMatchObject({ Stripe_Payment_Status__c: 'Partially Paid', Stripe_Amount_Paid__c: 0 });
    expect(String(opportunity(opportunityId)['Stripe_Sync_Error__c'])).toMatch('received 49.99 EUR for a bill of 49.99 USD');
  });

  it('ignores the events of an earlier, released bill: a voided old invoice does not cancel the new bill', async () => {
    const opportunityId = newOpportunity(49.99);
    const old = id('in');
    const current = id('in');
    await h.bill(opportunityId, { stripeObjectId: current, previous: [old] });
    const metadata = { salesforce_opportunity_id: opportunityId };
    await h.app.handle([inboundRecord(sampleEvent('invoice.finalized', { id: id('evt'), created: T, objectId: current, metadata }))]);

    const voided = await h.app.handle([inboundRecord(sampleEvent('invoice.voided', { id: id('evt'), created: T + 60, objectId: old, metadata }))]);

    expect([...voided.outcomes.values()]).toEqual(['applied']);
    expect(opportunity(opportunityId)).toMatchObject({ Stripe_Payment_Status__c: 'Awaiting Payment', Stripe_Invoice_Id__c: current });
    expect(opportunity(opportunityId)['Stripe_Sync_Error__c']).toBeUndefined();
    expect(h.salesforce.records('Stripe_Invoice__c').find((r) => r['Stripe_Id__c'] === old)).toMatchObject({ Status__c: 'Void' });
  });

  it('moves an Order named with the Opportunity as the Opportunity moves; an Order nobody billed keeps its status and says why', async () => {
    const opportunityId = newOpportunity(49.99);
    const orderId = h.salesforce.insert('Order', { OpportunityId: opportunityId });
    const lonelyOrder = h.salesforce.insert('Order', {});
    const invoice = id('in');
    await h.bill(opportunityId, { stripeObjectId: invoice });

    await h.app.handle([
      inboundRecord(sampleEvent('invoice.paid', { id: id('evt'), created: T, objectId: invoice, metadata: { salesforce_opportunity_id: opportunityId, salesforce_order_id: orderId } })),
      inboundRecord(sampleEvent('invoice.paid', { id: id('evt'), created: T, objectId: id('in'), metadata: { salesforce_order_id: lonelyOrder } })),
    ]);

    const orders = h.salesforce.records('Order');
    expect(orders.find((o) => o['Id'] === orderId)).toMatchObject({ Stripe_Payment_Status__c: 'Paid', Stripe_Invoice_Id__c: invoice });
    expect(orders.find((o) => o['Id'] === lonelyOrder)?.['Stripe_Payment_Status__c']).toBeUndefined();
    expect(String(orders.find((o) => o['Id'] === lonelyOrder)?.['Stripe_Sync_Error__c'])).toMatch('the bridge has not billed it');
  });

  it('reads the billing records of a whole batch with one DynamoDB request (the Case ledger one more), and none for a batch that names no record', async () => {
    const events = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const opportunityId = newOpportunity(49.99);
        const invoice = id('in');
        await h.bill(opportunityId, { stripeObjectId: invoice });
        return sampleEvent('invoice.paid', { id: id('evt'), created: T, objectId: invoice, metadata: { salesforce_opportunity_id: opportunityId } });
      }),
    );
    const batchGets = () => commands.filter((c) => c === 'BatchGetItemCommand').length;
    const before = batchGets();
    const unlinked = await h.app.handle(Array.from({ length: 10 }, () => inboundRecord(sampleEvent('customer.updated', { id: id('evt'), created: T, metadata: {} }))));
    const afterUnlinked = batchGets();
    const summary = await h.app.handle(events.map((e) => inboundRecord(e)));

    expect(summary.response.batchItemFailures).toEqual([]);
    expect([...summary.outcomes.values()].every((o) => o === 'applied')).toBe(true);
    expect(afterUnlinked - before).toBe(0);
    // One for the billing records; the other is the Case ledger's read for the batch's payments
    // (src/dedup/case-ledger.ts), also one for the whole batch.
    expect(batchGets() - afterUnlinked).toBe(2);
    expect(unlinked.response.batchItemFailures).toEqual([]);
  });
});
