/**
 * The `closed-won-subscription` and `refund` samples of `npm run send-event`, as a developer runs
 * them from a fresh clone against `npm start`: each command goes through the real outbound
 * function into the embedded Stripe and is written back onto the seeded records. (Both samples
 * were once refused by the bridge itself: a 19-character sample Opportunity id, and a refund
 * check that read more into a PaymentIntent id than Stripe documents.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SAMPLE_REFUNDABLE_PAYMENT_ID,
  SAMPLE_SUBSCRIPTION_OPPORTUNITY_ID,
} from '../../src/local/sample-events.js';
import { runSendEvent } from '../../src/local/send.js';
import { startLocalStack, type LocalStack } from '../../src/local/stack.js';
import { LogCapture } from '../support/log-capture.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ env: {}, port: 0, logDestination: new LogCapture(), refreshSeconds: 0 });
});
afterAll(async () => {
  await stack?.close();
});

const records = (sobject: string) => stack.salesforce?.records(sobject) ?? [];

async function sendEvent(name: string): Promise<string> {
  const out: string[] = [];
  const code = await runSendEvent([name, '--url', stack.url], { env: {}, out: (t) => out.push(t), err: (t) => out.push(t) });
  expect(code, out.join('\n')).toBe(0);
  await stack.idle();
  return out.join('\n');
}

describe('send-event service samples, end to end on the local stack', () => {
  it('closed-won-subscription: a Stripe subscription whose id is written back on the Opportunity', async () => {
    const out = await sendEvent('closed-won-subscription');
    expect(out).not.toContain('"rejected"');
    const opportunity = records('Opportunity').find((r) => r.Id === SAMPLE_SUBSCRIPTION_OPPORTUNITY_ID) ?? {};
    expect(String(opportunity.Stripe_Subscription_Id__c), out).toMatch(/^sub_/);
  });

  it('refund: 20.00 USD of the seeded 120.00 USD payment becomes a Stripe_Refund__c linked to it', async () => {
    const out = await sendEvent('refund');
    expect(out).not.toContain('"rejected"');
    const refunds = records('Stripe_Refund__c').filter((r) => r.Payment__c === SAMPLE_REFUNDABLE_PAYMENT_ID);
    expect(refunds, out).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ Amount__c: 20, Currency_Code__c: 'USD' });
    expect(String(refunds[0]?.Stripe_Id__c)).toMatch(/^re_/);
  });
});
