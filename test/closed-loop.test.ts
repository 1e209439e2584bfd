/**
 * The closed loop: Closed Won → platform event → Stripe invoice (with metadata) → the customer
 * pays → Stripe's `invoice.paid` webhook → the consumer marks the Opportunity Paid and links a
 * Stripe_Invoice__c record to it. Both flows share one Salesforce and one DynamoDB table.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLIENT_ID, CLIENT_SECRET, inboundRecord, startConsumerHarness, type ConsumerHarness } from './support/consumer-harness.js';
import { paymentRequestEvent, seedOpportunity, startOutboundHarness, type OutboundHarness } from './outbound/harness.js';

let consumer: ConsumerHarness;
let outbound: OutboundHarness;

beforeAll(async () => {
  consumer = await startConsumerHarness();
  outbound = await startOutboundHarness({ dynamo: consumer.dynamo, salesforce: consumer.salesforce, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
});

afterAll(async () => {
  await outbound.close();
  await consumer.close();
});

it('closes the loop from Closed Won to Paid', async () => {
  const salesforce = consumer.salesforce;
  const { opportunityId, accountId } = seedOpportunity(salesforce, { lines: [{ Name: 'Widget', Quantity: 3, UnitPrice: 19.99 }] });

  const billed = await outbound.app.handle(paymentRequestEvent(opportunityId));
  expect(billed.outcome).toBe('invoiced');
  const invoice = outbound.stripe.invoices().find((i) => i.id === billed.invoiceId);
  expect(invoice?.metadata).toEqual({ salesforce_opportunity_id: opportunityId, salesforce_account_id: accountId });

  const paid = outbound.stripe.payInvoice(billed.invoiceId as string);
  const summary = await consumer.app.handle([inboundRecord(paid)]);

  expect(summary.response.batchItemFailures).toEqual([]);
  const opportunity = salesforce.records('Opportunity').find((o) => o.Id === opportunityId);
  expect(opportunity).toMatchObject({ Stripe_Payment_Status__c: 'Paid', Stripe_Invoice_Id__c: billed.invoiceId });
  const records = salesforce.records('Stripe_Invoice__c').filter((r) => r.Stripe_Id__c === billed.invoiceId);
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({
    Opportunity__c: opportunityId,
    Account__c: accountId,
    Status__c: 'Paid',
    Amount_Paid__c: 59.97,
    Amount_Remaining__c: 0,
    Currency_Code__c: 'USD',
    Hosted_Invoice_Url__c: invoice?.hosted_invoice_url,
  });

  // A late duplicate of the payment request leaves the paid Opportunity alone.
  const again = await outbound.app.handle(paymentRequestEvent(opportunityId));
  expect(again.outcome).toBe('duplicate');
  expect(salesforce.records('Opportunity').find((o) => o.Id === opportunityId)?.Stripe_Payment_Status__c).toBe('Paid');
});

it('never lets the write-back undo a payment that landed while it was in flight', async () => {
  const salesforce = consumer.salesforce;
  const { opportunityId } = seedOpportunity(salesforce);
  let paidFailures: unknown[] | undefined;
  // The customer pays the emailed invoice before the write-back reaches Salesforce: the consumer
  // applies invoice.paid just as the outbound flow's PATCH of the Opportunity arrives.
  salesforce.beforeRequest = async ({ method, path }) => {
    if (method !== 'PATCH' || !path.endsWith(`/sobjects/Opportunity/${opportunityId}`) || paidFailures !== undefined) return;
    const invoice = outbound.stripe.invoices().find((i) => (i.metadata as Record<string, string>).salesforce_opportunity_id === opportunityId);
    const paid = await consumer.app.handle([inboundRecord(outbound.stripe.payInvoice(invoice?.id as string))]);
    paidFailures = paid.response.batchItemFailures;
  };
  try {
    const billed = await outbound.app.handle(paymentRequestEvent(opportunityId));

    expect(billed.outcome).toBe('invoiced');
    expect(paidFailures).toEqual([]);
    // Salesforce rejected the older "Awaiting Payment"; the bill's id and URL were written without it.
    expect(salesforce.records('Opportunity').find((o) => o.Id === opportunityId)).toMatchObject({
      Stripe_Payment_Status__c: 'Paid',
      Stripe_Invoice_Id__c: billed.invoiceId,
      Stripe_Invoice_Url__c: expect.stringContaining(`/i/${billed.invoiceId}`),
    });
  } finally {
    salesforce.beforeRequest = undefined;
  }
});
