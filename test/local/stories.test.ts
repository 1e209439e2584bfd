/**
 * Every `send-event -- story <name>` ends in the state its description promises: each story is
 * played against a running local stack (Closed Won through the real outbound flow, Stripe events
 * signed and delivered through the real webhook and consumer), then its promises are checked
 * against the embedded Salesforce, and re-checked here independently of the story's own check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORY_NAMES, type StoryResult } from '../../src/local/stories.js';
import type { LocalStack } from '../../src/local/stack.js';
import { startTestStack } from '../support/local-stack.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.close();
});

async function play(name: string): Promise<StoryResult> {
  const response = await fetch(`${stack.url}/stories/${name}`, { method: 'POST' });
  expect(response.status).toBe(200);
  return (await response.json()) as StoryResult;
}

const opportunity = (id: string | undefined) => stack.salesforce?.records('Opportunity').find((o) => o.Id === id);

describe('stories', () => {
  it.each(STORY_NAMES)('%s ends as its description promises', async (name) => {
    const result = await play(name);
    expect(result.steps.filter((s) => !['applied', 'invoiced', 'payment_link_created'].includes(s.status))).toEqual([]);
    expect(result.promises.filter((p) => !p.ok)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('plays on the ids the bridge wrote back, on an Opportunity of its own each time', async () => {
    const first = await play('invoice-paid');
    const second = await play('invoice-paid');
    expect(first.opportunityId).not.toBe(second.opportunityId);
    const billed = opportunity(second.opportunityId);
    expect(billed).toMatchObject({ Stripe_Payment_Status__c: 'Paid' });
    // The invoice events carry the invoice that Closed Won created and wrote back.
    const invoice = stack.stripe?.invoices().find((i) => i.id === billed?.Stripe_Invoice_Id__c);
    expect(invoice).toMatchObject({ status: 'paid', metadata: { salesforce_opportunity_id: second.opportunityId } });
    expect(stack.salesforce?.records('Stripe_Invoice__c').find((i) => i.Stripe_Id__c === invoice?.id)).toMatchObject({ Status__c: 'Paid', Opportunity__c: second.opportunityId });
  });

  it('refuses an unknown story with the closest name', async () => {
    const response = await fetch(`${stack.url}/stories/invoice-payed`, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ didYouMean: 'invoice-paid' });
  });
});
