/**
 * The `checkout` command's Checkout Session against Stripe's rules, end to end (command → outbound
 * function → stripe-node over HTTP to the Stripe stand-in):
 *
 * - `expires_at`: "The Epoch time in seconds at which the Checkout Session will expire. It can be
 *   anywhere from 30 minutes to 24 hours after Checkout Session creation. By default, this value is
 *   24 hours from creation." (API reference, Create a Checkout Session; stripe-node
 *   SessionCreateParams.expires_at). The bridge counts from the request (Salesforce's
 *   CreatedDate) so a retry sends the same parameters under the same idempotency key; a 30-minute
 *   link is issued for 32 minutes so it survives its time in the queue.
 * - `success_url` ("The URL to which Stripe should send customers when payment or setup is
 *   complete") and `cancel_url` ("If set, Checkout displays a back button and customers will be
 *   directed to this URL") are both optional for a Stripe-hosted page; without a success URL
 *   Stripe shows its own confirmation. Admins set them per command in `Options__c`.
 * - A new link is issued on request and the previous session expired ("Only Checkout Sessions
 *   with a status in [open] can be expired"): see commands.test.ts, "re-issues the link".
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOutboundHarness, type OutboundHarness } from '../outbound/harness.js';
import { commandEvent, seedAccount, seedOrder } from './support.js';

let h: OutboundHarness;
/** 2026-11-01T00:00:00Z: the harness clock and the commands' CreatedDate. */
const NOW = 1_793_491_200;

beforeAll(async () => {
  h = await startOutboundHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.nowMs = NOW * 1000;
  h.coldStart();
  h.logs.clear();
});

const order = () => seedOrder(h.salesforce, seedAccount(h.salesforce), [{ name: 'Widget', quantity: 2, unitPrice: 25 }]);
const sessionsOf = (orderId: string) => h.stripe.checkoutSessions().filter((s) => s.metadata.salesforce_order_id === orderId);
const logOf = (event: { detail: { payload: { EventUuid: string } } }) =>
  h.salesforce.records('Stripe_Sync_Log__c').find((l) => l.Event_Id__c === `sf:${event.detail.payload.EventUuid}`) ?? {};
const sessionPosts = () => h.stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions');

describe('expires_at: 30 minutes to 24 hours after creation', () => {
  it('by default expires 24 hours after the request, with no success or cancel URL (Stripe’s own confirmation page)', async () => {
    const orderId = order();
    expect(await h.app.handle(commandEvent('checkout', orderId, { createdDate: NOW * 1000 }))).toMatchObject({ outcome: 'checkout_created' });
    const [session] = sessionsOf(orderId);
    expect(session?.expires_at).toBe(NOW + 24 * 3600);
    const [post] = sessionPosts().slice(-1);
    expect(post?.params.success_url).toBeUndefined();
    expect(post?.params.cancel_url).toBeUndefined();
  });

  it.each([
    [0.5, NOW + 32 * 60],
    [1.5, NOW + 90 * 60],
    [24, NOW + 24 * 3600],
  ])('expiresInHours %s → expires_at %s, which Stripe accepts', async (hours, expiresAt) => {
    const orderId = order();
    const result = await h.app.handle(commandEvent('checkout', orderId, { options: JSON.stringify({ expiresInHours: hours }) }));
    expect(result).toMatchObject({ outcome: 'checkout_created' });
    expect(sessionsOf(orderId)[0]).toMatchObject({ expires_at: expiresAt, status: 'open' });
    expect(h.salesforce.records('Order').find((r) => r.Id === orderId)?.Stripe_Checkout_Expires_At__c).toBe(new Date(expiresAt * 1000).toISOString());
  });

  it.each([0.49, 24.01, 0])('expiresInHours %s is refused before Stripe is called, and the requester is told', async (hours) => {
    const orderId = order();
    const posts = sessionPosts().length;
    const event = commandEvent('checkout', orderId, { options: JSON.stringify({ expiresInHours: hours }) });
    expect(await h.app.handle(event)).toMatchObject({ outcome: 'rejected', code: 'CHECKOUT_EXPIRY_INVALID' });
    expect(sessionPosts()).toHaveLength(posts);
    expect(logOf(event)).toMatchObject({ Status__c: 'Failed' });
    expect(String(logOf(event).Message__c)).toContain('A Checkout link stays open 0.5 to 24 hours');
  });

  it('a request that waited in the queue is still issued while 30 minutes remain, relative to the request; an older one is refused', async () => {
    const late = order();
    h.nowMs = (NOW + 20 * 3600) * 1000;
    expect(await h.app.handle(commandEvent('checkout', late, { createdDate: NOW * 1000 }))).toMatchObject({ outcome: 'checkout_created' });
    expect(sessionsOf(late)[0]?.expires_at).toBe(NOW + 24 * 3600);

    const tooLate = order();
    h.nowMs = (NOW + 23 * 3600 + 40 * 60) * 1000;
    const event = commandEvent('checkout', tooLate, { createdDate: NOW * 1000 });
    expect(await h.app.handle(event)).toMatchObject({ outcome: 'rejected', code: 'CHECKOUT_REQUEST_EXPIRED' });
    expect(sessionsOf(tooLate)).toHaveLength(0);
  });

  it('the Stripe stand-in refuses what Stripe refuses (the rule the tests above rely on)', async () => {
    const post = (expiresIn: number) =>
      fetch(`${h.stripe.url}/v1/checkout/sessions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk_test_fake_outbound', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          mode: 'payment',
          'line_items[0][quantity]': '1',
          'line_items[0][price_data][currency]': 'usd',
          'line_items[0][price_data][unit_amount]': '500',
          'line_items[0][price_data][product_data][name]': 'Widget',
          expires_at: String(NOW + expiresIn),
        }),
      });
    expect((await post(29 * 60)).status).toBe(400);
    expect((await post(24 * 3600 + 1)).status).toBe(400);
    expect((await post(30 * 60)).status).toBe(200);
  });
});

describe('success_url and cancel_url', () => {
  it('are sent when Options__c names them', async () => {
    const orderId = order();
    const options = { successUrl: 'https://example.com/thanks?session={CHECKOUT_SESSION_ID}', cancelUrl: 'https://example.com/quote' };
    expect(await h.app.handle(commandEvent('checkout', orderId, { options: JSON.stringify(options) }))).toMatchObject({ outcome: 'checkout_created' });
    expect(sessionsOf(orderId)[0]).toMatchObject({ success_url: options.successUrl, cancel_url: options.cancelUrl });
  });

  it('must be absolute http(s) URLs: anything else is refused as OPTIONS_INVALID', async () => {
    const orderId = order();
    const event = commandEvent('checkout', orderId, { options: JSON.stringify({ successUrl: '/thanks' }) });
    expect(await h.app.handle(event)).toMatchObject({ outcome: 'rejected', code: 'OPTIONS_INVALID' });
    expect(String(logOf(event).Message__c)).toContain('successUrl must be an absolute http(s) URL');
    expect(sessionsOf(orderId)).toHaveLength(0);
  });
});
