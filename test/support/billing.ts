/**
 * Billing records as the outbound flow leaves them (src/billing): the consumer believes an
 * Opportunity's payment state only from the Stripe object that billed it, so tests about that
 * state first bill the Opportunity the way the bridge would have.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BillingRecord } from '../../src/billing/record.js';
import { BillingStore } from '../../src/billing/store.js';
import { revenueObjectOf } from '../../src/commands/record-types.js';

export interface TestBill {
  /** The invoice (`in_…`), payment link (`plink_…`) or Checkout Session (`cs_…`) that bills the record. */
  readonly stripeObjectId: string;
  /** Minor units (default 4999, the sample events' amount). */
  readonly amount?: number;
  readonly currency?: string;
  readonly previous?: readonly string[];
}

const MODE_OF_PREFIX = [
  ['plink_', 'payment_link'],
  ['cs_', 'checkout'],
] as const;

/** Bills a revenue record (its object from its key prefix: 006 Opportunity, 0Q0 Quote, 801 Order, 800 Contract). */
export async function billOpportunity(dynamo: { client: DynamoDBClient; tableName: string }, opportunityId: string, bill: TestBill): Promise<BillingRecord> {
  const store = new BillingStore(dynamo.client, { tableName: dynamo.tableName });
  const sobject = revenueObjectOf(opportunityId) ?? 'Opportunity';
  const fields = {
    sobject,
    recordId: opportunityId,
    state: 'billed' as const,
    mode: MODE_OF_PREFIX.find(([prefix]) => bill.stripeObjectId.startsWith(prefix))?.[1] ?? ('invoice' as const),
    amount: bill.amount ?? 4999,
    currency: bill.currency ?? 'usd',
    stripeObjectId: bill.stripeObjectId,
    requestId: `sf:test-bill-${opportunityId}`,
    leaseExpiresAt: undefined,
    previous: bill.previous ?? [],
    adopted: false,
  };
  const current = await store.get(sobject, opportunityId);
  const write = current === undefined ? await store.create(fields) : await store.update(current, fields);
  if (!write.ok) throw new Error(`could not bill ${opportunityId} in the test table`);
  return write.record;
}
