/**
 * Commands as Event Relay delivers them, and revenue records in the Salesforce stand-in.
 */
import { randomUUID } from 'node:crypto';
import type { SalesforceStandIn } from '../../src/local/standins/salesforce-standin.js';
import { SAMPLE_REP_ID } from '../outbound/harness.js';

/** The EventBridge event Event Relay delivers for one `Stripe_Command__e` (fields under detail.payload). */
export function commandEvent(
  command: string | null,
  recordId: string | null,
  options: { eventUuid?: string; requestedBy?: string | null; options?: string | null; createdDate?: number; amount?: number | null; reason?: string | null } = {},
) {
  const eventUuid = options.eventUuid ?? randomUUID();
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Stripe_Command__e',
    source: 'aws.partner/salesforce.com/00DAb0000000001EAA/0YLAb0000000001GAA',
    account: '123456789012',
    time: '2026-11-01T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      payload: {
        Command__c: command,
        Record_Id__c: recordId,
        Amount__c: options.amount ?? null,
        Reason__c: options.reason ?? null,
        Options__c: options.options ?? null,
        Requested_By__c: options.requestedBy === undefined ? SAMPLE_REP_ID : options.requestedBy,
        CreatedById: '005Ab0000000009AAA',
        // Epoch milliseconds, as Event Relay renders a platform event's system date fields.
        CreatedDate: options.createdDate ?? Date.parse('2026-11-01T00:00:00.000Z'),
        EventUuid: eventUuid,
      },
      schemaId: 'fake_schema_id_0002',
      replayId: '7',
      id: eventUuid,
    },
  };
}

export function seedAccount(salesforce: SalesforceStandIn, fields: Record<string, unknown> = {}): string {
  return salesforce.insert('Account', { Name: 'Globex', Stripe_Billing_Email__c: 'ap@example.com', BillingCountry: 'US', ...fields });
}

function product(salesforce: SalesforceStandIn, name: string): string {
  return salesforce.insert('Product2', { Name: name });
}

type Line = { name: string; quantity: number; unitPrice: number; discount?: number; totalPrice?: number };

/** A Quote on an Opportunity, with lines; totals as Salesforce computes them unless given. */
export function seedQuote(
  salesforce: SalesforceStandIn,
  accountId: string,
  lines: readonly Line[],
  quote: Record<string, unknown> = {},
  opportunity: Record<string, unknown> = {},
): { quoteId: string; opportunityId: string } {
  const opportunityId = salesforce.insert('Opportunity', { Name: 'Globex expansion', AccountId: accountId, StageName: 'Proposal', CloseDate: '2026-12-01', ...opportunity });
  const quoteId = salesforce.insert('Quote', { Name: 'Q-0001', OpportunityId: opportunityId, AccountId: accountId, Status: 'Accepted', ...quote });
  for (const line of lines) {
    salesforce.insert('QuoteLineItem', {
      QuoteId: quoteId,
      Product2Id: product(salesforce, line.name),
      Quantity: line.quantity,
      UnitPrice: line.unitPrice,
      Discount: line.discount ?? null,
      TotalPrice: line.totalPrice ?? line.quantity * line.unitPrice,
    });
  }
  return { quoteId, opportunityId };
}

export function seedOrder(
  salesforce: SalesforceStandIn,
  accountId: string,
  lines: readonly Line[],
  order: Record<string, unknown> = {},
): string {
  const orderId = salesforce.insert('Order', { Name: 'Globex order', AccountId: accountId, Status: 'Activated', StatusCode: 'Activated', ...order });
  for (const line of lines) {
    salesforce.insert('OrderItem', { OrderId: orderId, Product2Id: product(salesforce, line.name), Quantity: line.quantity, UnitPrice: line.unitPrice, TotalPrice: line.quantity * line.unitPrice });
  }
  return orderId;
}
