/**
 * Salesforce and Stripe become "real" when their variables are set: the stack then embeds neither
 * and talks to whatever the variables name (here: stand-ins started by the test, playing the org
 * and Stripe test mode). The banner says which is which, with the URLs.
 */
import { SAMPLE_REP_ID } from '../../src/local/sample-events.js';
import Stripe from 'stripe';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { renderBanner } from '../../src/local/banner.js';
import { closedWonEvent } from '../../src/local/platform-event.js';
import { SAMPLE_PAYMENT_INTENT_ID, sampleEvent } from '../../src/local/sample-events.js';
import { startLocalStack, type LocalStack } from '../../src/local/stack.js';
import { LogCapture } from '../support/log-capture.js';
import { startSalesforceStandIn, type SalesforceStandIn } from '../../src/local/standins/salesforce-standin.js';
import { startStripeStandIn, type StripeStandIn } from '../../src/local/standins/stripe-standin.js';

const WEBHOOK_SECRET = 'whsec_test_fake_local_real_services_0123456789';
let org: SalesforceStandIn;
let stripeApi: StripeStandIn;
let stack: LocalStack;

beforeAll(async () => {
  org = await startSalesforceStandIn();
  stripeApi = await startStripeStandIn();
  stack = await startLocalStack({
    env: {
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      SALESFORCE_INSTANCE_URL: org.url,
      SALESFORCE_ACCESS_TOKEN: org.issueToken(),
      STRIPE_SECRET_KEY: 'sk_test_fake_local_real',
      STRIPE_API_URL: stripeApi.url,
    },
    port: 0,
    logDestination: new LogCapture(),
  });
});

afterAll(async () => {
  await stack?.close();
  await Promise.all([org?.close(), stripeApi?.close()]);
});

it('embeds neither service and says so in the banner, with the configured secret kept out of it', () => {
  expect(stack.salesforce).toBeUndefined();
  expect(stack.stripe).toBeUndefined();
  expect(stack.services.salesforce).toEqual({ mode: 'real', url: org.url });
  expect(stack.services.stripe).toEqual({ mode: 'real', url: stripeApi.url });

  const banner = renderBanner(stack);
  expect(banner).toContain(`Salesforce     REAL at ${org.url}`);
  expect(banner).toContain(`Stripe API     REAL at ${stripeApi.url}`);
  expect(banner).toContain('Webhook secret from STRIPE_WEBHOOK_SECRET');
  expect(banner).not.toContain(WEBHOOK_SECRET);
  expect(banner).toContain(`stripe listen --forward-to localhost:${stack.port}/stripe/webhook`);
});

it('writes webhook events to the configured Salesforce, dropping links to records it does not have', async () => {
  const event = sampleEvent('payment_intent.succeeded', { created: Math.floor(Date.now() / 1000) });
  const payload = JSON.stringify(event);
  const signature = new Stripe('sk_test_fake_sign').webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
  const response = await fetch(`${stack.url}/stripe/webhook`, { method: 'POST', headers: { 'stripe-signature': signature }, body: payload });
  expect(response.status).toBe(200);
  await stack.idle();
  expect(stack.activity.get(event.id)?.status).toBe('applied');
  const payments = org.records('Stripe_Payment__c');
  expect(payments).toHaveLength(1);
  expect(payments[0]).toMatchObject({ Stripe_Id__c: SAMPLE_PAYMENT_INTENT_ID, Status__c: 'Succeeded' });
  // The sample Opportunity and Account do not exist in this org.
  expect(payments[0]?.Opportunity__c).toBeUndefined();
  expect((await fetch(`${stack.url}/salesforce/records`)).status).toBe(404);
});

it('bills through the configured Stripe API', async () => {
  // The rep the sample event names holds the permission the bridge checks.
  org.grantCustomPermission(SAMPLE_REP_ID, 'Stripe_Request_Payment');
  const accountId = org.insert('Account', { Name: 'Billable', Stripe_Billing_Email__c: 'billing@example.com' });
  const opportunityId = org.insert('Opportunity', { Name: 'Deal', AccountId: accountId, StageName: 'Closed Won', Amount: 100 });
  const response = await fetch(`${stack.url}/salesforce/events`, {
    method: 'POST',
    body: JSON.stringify(closedWonEvent({ opportunityId, mode: 'invoice' })),
  });
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ outcome: 'invoiced' });
  expect(stripeApi.invoices()).toHaveLength(1);
  expect(stripeApi.customers().map((c) => c.metadata)).toEqual([{ salesforce_account_id: accountId }]);
  expect(org.records('Opportunity')[0]).toMatchObject({ Stripe_Invoice_Id__c: stripeApi.invoices()[0]?.id, Stripe_Payment_Status__c: 'Awaiting Payment' });
});
