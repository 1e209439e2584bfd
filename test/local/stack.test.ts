/**
 * The local stack end to end, with no configuration: signed Stripe events in through
 * POST /stripe/webhook, through the in-process queue and the real consumer into the embedded
 * Salesforce; a Closed Won platform event through the real outbound flow into the embedded Stripe
 * and back onto the Opportunity; the views; `send-event` against it. close() must leave nothing
 * running (the test run finishing is the proof).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { closedWonEvent } from '../../src/local/platform-event.js';
import { SAMPLE_ACCOUNT_ID, SAMPLE_JPY_OPPORTUNITY_ID, SAMPLE_OPPORTUNITY_ID, SAMPLE_PAYMENT_INTENT_ID, SAMPLE_CATALOGUE, SAMPLE_PRICEBOOK_ID, SAMPLE_REFUNDABLE_PAYMENT_ID, sampleEvent } from '../../src/local/sample-events.js';
import { runSendEvent } from '../../src/local/send.js';
import { startLocalStack, type LocalStack } from '../../src/local/stack.js';
import { stateFilePath, writeStateFile } from '../../src/local/state-file.js';
import { LogCapture } from '../support/log-capture.js';

const stripe = new Stripe('sk_test_fake_local_tests');
const logs = new LogCapture();
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ env: {}, port: 0, logDestination: logs, refreshSeconds: 0 });
});

afterAll(async () => {
  await stack?.close();
});

async function postWebhook(payload: string, signature: string): Promise<Response> {
  return fetch(`${stack.url}/stripe/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body: payload,
  });
}

function signed(event: object): { payload: string; signature: string } {
  const payload = JSON.stringify(event, null, 2);
  return { payload, signature: stripe.webhooks.generateTestHeaderString({ payload, secret: stack.webhookSecret as string }) };
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);
const opportunity = () => stack.salesforce?.records('Opportunity').find((o) => o.Id === SAMPLE_OPPORTUNITY_ID);

describe('the local stack with no configuration', () => {
  it('generated a webhook secret and embeds Salesforce and Stripe', async () => {
    expect(stack.webhookSecretGenerated).toBe(true);
    expect(stack.webhookSecret).toMatch(/^whsec_local_[0-9a-f]{48}$/);
    expect(stack.services.salesforce.mode).toBe('embedded');
    expect(stack.services.stripe.mode).toBe('embedded');
    expect(stack.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const health = await fetch(`${stack.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', salesforce: 'embedded', stripe: 'embedded' });
  });

  it('bills a Closed Won Opportunity: invoice in Stripe, ids, URL and status written back', async () => {
    const response = await fetch(`${stack.url}/salesforce/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(closedWonEvent({ mode: 'invoice' })),
    });
    expect(response.status).toBe(200);
    const result = (await response.json()) as { outcome: string; invoiceId: string; invoiceUrl: string };
    expect(result.outcome).toBe('invoiced');

    // The Opportunity's bill, once (the seed also holds open invoices for the local invoice actions).
    const invoices = (stack.stripe?.invoices() ?? []).filter((i) => (i.metadata as Record<string, string>).salesforce_opportunity_id === SAMPLE_OPPORTUNITY_ID);
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({
      id: result.invoiceId,
      status: 'open',
      amount_due: 4999,
      metadata: { salesforce_opportunity_id: SAMPLE_OPPORTUNITY_ID, salesforce_account_id: SAMPLE_ACCOUNT_ID },
    });
    expect(opportunity()).toMatchObject({
      Stripe_Invoice_Id__c: result.invoiceId,
      Stripe_Invoice_Url__c: invoices[0]?.hosted_invoice_url,
      Stripe_Payment_Status__c: 'Awaiting Payment',
      Stripe_Sync_Error__c: null,
    });
  });

  it('bills the JPY Opportunity in JPY through `send-event -- closed-won-jpy`, with no variable set', async () => {
    const out: string[] = [];
    const code = await runSendEvent(['closed-won-jpy', '--url', stack.url], { env: {}, out: (text) => out.push(text), err: (text) => out.push(text) });

    expect(code).toBe(0);
    expect(out.join('')).toContain(`for Opportunity ${SAMPLE_JPY_OPPORTUNITY_ID}`);
    const jpyOpportunityId = stack.seeded?.jpyOpportunityId as string;
    const invoices = (stack.stripe?.invoices() ?? []).filter((i) => i.metadata.salesforce_opportunity_id === jpyOpportunityId);
    // 3 × 5,000 JPY: a zero-decimal currency, so 15000 minor units.
    expect(invoices.map((i) => [i.currency, i.amount_due, i.status])).toEqual([['jpy', 15000, 'open']]);
    expect(stack.salesforce?.records('Opportunity').find((o) => o.Id === jpyOpportunityId)).toMatchObject({
      Stripe_Invoice_Id__c: invoices[0]?.id,
      Stripe_Payment_Status__c: 'Awaiting Payment',
    });
  });

  it("serves the hosted invoice page it handed out (no API key, as Stripe's)", async () => {
    const invoiceUrl = String(opportunity()?.Stripe_Invoice_Url__c);
    const page = await fetch(invoiceUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(String(stack.stripe?.invoices().find((i) => i.hosted_invoice_url === invoiceUrl)?.number));
    expect(html).toContain('49.99 USD');
  });

  it('answers 400 to a platform event that is not a payment request and dead-letters it', async () => {
    const response = await fetch(`${stack.url}/salesforce/events`, { method: 'POST', body: JSON.stringify({ id: 'x', 'detail-type': 'Other', detail: {} }) });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'COMMAND_INVALID' });
    expect(stack.outboundDlq.peek()).toHaveLength(1);
  });

  it('records a signed payment_intent.succeeded that names the Opportunity but is not its bill: linked, the Opportunity keeps its status and says why', async () => {
    const event = sampleEvent('payment_intent.succeeded', { created: nowSeconds(), id: 'evt_local_test_paid0001' });
    const { payload, signature } = signed(event);
    const response = await postWebhook(payload, signature);
    expect(response.status).toBe(200);
    await stack.idle();

    const payments = stack.salesforce?.records('Stripe_Payment__c').filter((p) => p.Stripe_Id__c === SAMPLE_PAYMENT_INTENT_ID) ?? [];
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({
      Status__c: 'Succeeded',
      Amount__c: 49.99,
      Currency_Code__c: 'USD',
      Opportunity__c: SAMPLE_OPPORTUNITY_ID,
      Account__c: SAMPLE_ACCOUNT_ID,
    });
    // Billed by the invoice of the Closed Won above: a payment of its own names it, but is not it.
    expect(opportunity()?.Stripe_Payment_Status__c).toBe('Awaiting Payment');
    expect(String(opportunity()?.Stripe_Sync_Error__c)).toMatch(`payment ${SAMPLE_PAYMENT_INTENT_ID} (49.99 USD) names this record but is not its bill`);
    expect(stack.activity.get(event.id)).toMatchObject({ status: 'applied', receiveCount: 1 });

    const followed = await fetch(`${stack.url}/events/${event.id}`);
    expect(await followed.json()).toMatchObject({ id: event.id, type: 'payment_intent.succeeded', status: 'applied' });
  });

  it('marks the Opportunity Paid when its own invoice is paid (send-event invoice.paid --object <its invoice>)', async () => {
    const invoiceId = opportunity()?.Stripe_Invoice_Id__c as string;
    expect(invoiceId).toMatch(/^in_/);
    const out: string[] = [];
    const code = await runSendEvent(['invoice.paid', '--object', invoiceId, '--url', stack.url, '--secret', stack.webhookSecret as string], {
      env: {},
      out: (text) => out.push(text),
      err: (text) => out.push(text),
    });

    expect(code).toBe(0);
    expect(opportunity()).toMatchObject({ Stripe_Payment_Status__c: 'Paid', Stripe_Amount_Paid__c: 49.99, Stripe_Invoice_Id__c: invoiceId });

  });

  it("knows the sample payment's charge, so a dispute on it is applied to the payment", async () => {
    const event = sampleEvent('charge.dispute.created', { created: nowSeconds() + 1, id: 'evt_local_test_dispute01' });
    const { payload, signature } = signed(event);
    expect((await postWebhook(payload, signature)).status).toBe(200);
    await stack.idle();
    expect(stack.activity.get(event.id)?.status).toBe('applied');
    // The consumer read the charge from the embedded Stripe: the payment record shows the dispute.
    expect(stack.salesforce?.records('Stripe_Payment__c').find((p) => p.Stripe_Id__c === SAMPLE_PAYMENT_INTENT_ID)?.Status__c).toBe('Disputed');
  });

  it('rejects a bad signature with 400 and queues nothing', async () => {
    const event = sampleEvent('payment_intent.succeeded', { created: nowSeconds(), id: 'evt_local_test_forged01' });
    const payload = JSON.stringify(event);
    const forged = stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_test_fake_wrong_secret' });
    const response = await postWebhook(payload, forged);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'Invalid signature' });
    expect(stack.activity.get(event.id)).toBeUndefined();
    // Stripe hears only "Invalid signature"; the local views say which check failed.
    expect(stack.activity.list()[0]).toMatchObject({ type: 'webhook', status: 'rejected' });
    expect(stack.activity.list()[0]?.note).toBe('400 Invalid signature — signed with another secret than the one the stack verifies with');
  });

  it('dead-letters an event that can never succeed, with its reason, and shows it in /dlq', async () => {
    const event = sampleEvent('payment_intent.succeeded', {
      created: nowSeconds(),
      id: 'evt_local_test_broken01',
      objectOverrides: { amount: 'not a number' },
    });
    const { payload, signature } = signed(event);
    expect((await postWebhook(payload, signature)).status).toBe(200);
    await stack.idle();

    expect(stack.activity.get(event.id)?.status).toBe('dead_lettered');
    const dlq = (await (await fetch(`${stack.url}/dlq`)).json()) as { messages: Array<Record<string, unknown>> };
    const entry = dlq.messages.find((m) => m.eventId === event.id);
    expect(entry).toMatchObject({ queue: 'inbound', eventType: 'payment_intent.succeeded', receiveCount: 1 });
    expect(String(entry?.code)).not.toBe('');
    expect(String(entry?.reason)).not.toBe('');
    // Ids, types and reasons only: never the event's body (it holds the customer's email).
    expect(JSON.stringify(dlq)).not.toContain('@example.com');
    expect(entry).not.toHaveProperty('body');
    expect(stack.activity.get(event.id)?.note).toContain(String(entry?.code));
  });

  it('rides out Salesforce downtime as in AWS: the event waits out a backoff in the queue, nothing is dead-lettered', async () => {
    const deadBefore = stack.inboundDlq.peek().length;
    stack.salesforce?.failNextRequests(1000, 503, 'SERVER_UNAVAILABLE');
    try {
      const event = sampleEvent('payment_intent.succeeded', { created: nowSeconds(), id: 'evt_local_test_outage01', objectId: 'pi_local_test_outage01' });
      const { payload, signature } = signed(event);
      expect((await postWebhook(payload, signature)).status).toBe(200);
      await stack.idle();

      expect(stack.activity.get(event.id)).toMatchObject({ status: 'retry', receiveCount: 1 });
      expect(stack.queue.stats()).toMatchObject({ visible: 0, inFlight: 1 });
      expect(stack.inboundDlq.peek()).toHaveLength(deadBefore);
      // The first backoff (5–10 s), not the local visibility timeout (30 s), decides when it returns.
      const returnsIn = (stack.queue.nextVisibleAt() ?? 0) - Date.now();
      expect(returnsIn).toBeGreaterThan(0);
      expect(returnsIn).toBeLessThanOrEqual(10_000);
    } finally {
      stack.salesforce?.clearFailures();
    }
  });

  it('serves the records, events and an escaped HTML home page', async () => {
    stack.salesforce?.insert('Account', { Name: 'Someone Private', Stripe_Customer_Id__c: '<script>alert("x")</script>' });
    const records = await fetch(`${stack.url}/salesforce/records`);
    expect(records.status).toBe(200);
    const body = (await records.json()) as { objects: Record<string, unknown[]> };
    // The seed's paid payment for the `refund` sample, and the one this test's events wrote.
    expect((body.objects.Stripe_Payment__c as Array<{ Id?: string }>).filter((p) => p.Id !== SAMPLE_REFUNDABLE_PAYMENT_ID)).toHaveLength(1);
    // The seeded sample, JPY and subscription Opportunities.
    expect(body.objects.Opportunity).toHaveLength(3);
    // The local catalogue: the standard price book, a monthly, a yearly, a one-time and a metered
    // product (seed.ts), the yearly one priced in USD and EUR; nothing synced to Stripe yet.
    const catalogue = body.objects as Record<string, Array<Record<string, unknown>>>;
    expect(catalogue.Pricebook2).toEqual([expect.objectContaining({ Id: SAMPLE_PRICEBOOK_ID, IsStandard: true, IsActive: true })]);
    // Names are not shown (redact.ts): the products by id, with how each recurs.
    const shown = (id: string) => (catalogue.Product2 ?? []).find((p) => p.Id === id) ?? {};
    expect([SAMPLE_CATALOGUE.seats, SAMPLE_CATALOGUE.annual, SAMPLE_CATALOGUE.onboarding, SAMPLE_CATALOGUE.apiCalls].map(({ productId }) => [shown(productId).Stripe_Billing_Interval__c ?? null, shown(productId).Stripe_Usage_Type__c ?? null])).toEqual([
      ['month', null],
      ['year', null],
      [null, null],
      ['month', 'metered'],
    ]);
    expect(catalogue.PricebookEntry).toHaveLength(5);
    expect((catalogue.PricebookEntry ?? []).every((e) => e.Pricebook2Id === SAMPLE_PRICEBOOK_ID && e.IsActive === true && /^01u[A-Za-z0-9]{15}$/.test(String(e.Id)))).toBe(true);

    const events = (await (await fetch(`${stack.url}/events`)).json()) as { events: unknown[] };
    expect(events.events.length).toBeGreaterThanOrEqual(3);

    const home = await fetch(`${stack.url}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toContain('text/html');
    const story = await home.text();
    // The story page tells it in words, with the amount in its currency and links to the records.
    expect(story).toContain('Paid $49.99');
    expect(story).toMatch(/Closed Won: <a href="[^"]+">Invoice [A-F0-9]+-\d{4}<\/a> for \$49\.99 sent/);
    expect(story).toContain(`href="/records/Opportunity/${SAMPLE_OPPORTUNITY_ID}"`);
    expect(story).toContain('failed, in the DLQ: EVENT_SCHEMA_INVALID');
    const record = await fetch(`${stack.url}/records/Opportunity/${SAMPLE_OPPORTUNITY_ID}`);
    expect(record.status).toBe(200);
    expect(await record.text()).toContain('Stripe Payment Status');
    expect((await fetch(`${stack.url}/records/Opportunity/006Ab00000Nowhere1`)).status).toBe(404);

    // The raw tables, one click away.
    const raw = await fetch(`${stack.url}/raw`);
    const html = `${await raw.text()}${story}`;
    expect(html).toContain('Stripe_Payment__c');
    expect(html).toContain('evt_local_test_paid0001');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain(stack.webhookSecret as string);
    // No names, emails or addresses on any view (ids, statuses, amounts and reasons only).
    for (const text of [html, JSON.stringify(body), JSON.stringify(events)]) {
      expect(text).not.toContain('Someone Private');
      expect(text).not.toContain('Sample Customer Ltd');
      expect(text).not.toContain('@example.com');
      expect(text).not.toContain('Market St');
    }

    expect((await fetch(`${stack.url}/nowhere`)).status).toBe(404);
    expect((await fetch(`${stack.url}/stripe/webhook`)).status).toBe(405);
  });

  it('takes events from send-event, which finds the secret in the state file', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'local-stack-test-'));
    try {
      await writeStateFile(stateFilePath(stack.port, directory), { url: stack.url, port: stack.port, webhookSecret: stack.webhookSecret, pid: process.pid });
      const out: string[] = [];
      const code = await runSendEvent(['customer.updated', '--url', stack.url, '--no-wait'], {
        env: {},
        out: (text) => out.push(text),
        err: (text) => out.push(text),
        stateDirectory: directory,
      });
      expect(code).toBe(0);
      const id = /\(customer\.updated (evt_local_\w+)\) → 200/.exec(out.join(''))?.[1];
      expect(id).toBeDefined();
      await stack.idle();
      expect(stack.activity.get(id as string)?.status).toBe('applied');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('send-event against the running stack', () => {
  const run = async (argv: string[], directory: string) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runSendEvent(argv, { env: {}, out: (t) => out.push(t), err: (t) => err.push(t), stateDirectory: directory });
    return { code, out: out.join(''), err: err.join('') };
  };

  it('finds the stack on its own port through its state file, plays a story and says what happened', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'local-stack-test-'));
    try {
      await writeStateFile(stateFilePath(stack.port, directory), { url: stack.url, port: stack.port, webhookSecret: stack.webhookSecret, pid: process.pid });
      // No --url and no PORT: the state file of the one running stack says where it is.
      const story = await run(['story', 'refund'], directory);
      expect(story.err).toBe('');
      expect(story.code).toBe(0);
      expect(story.out).toContain('ok   Opportunity payment status is Refunded');
      expect(story.out).toContain('The story ended as promised.');

      const typo = await run(['payment_intent.suceeded'], directory);
      expect(typo.code).toBe(2);
      expect(typo.err).toContain('Did you mean payment_intent.succeeded?');
      expect((await run(['story', 'refunds'], directory)).err).toContain('Did you mean refund?');
      expect((await run(['invoice-paid'], directory)).err).toContain('Did you mean `story invoice-paid`?');

      // A platform event that fails: exit 1, and no "see it written back".
      const failed = await run(['closed-won', '--opportunity', '006Ab00000Missing1'], directory);
      expect(failed.out).not.toContain('written back');
      expect(failed.code).toBe(1);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('close()', () => {
  it('stops every server the stack started', async () => {
    const servers = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    // The webhook/views server, dynalite, the Salesforce and Stripe stand-ins.
    expect(servers()).toBe(4);
    await stack.close();
    // Closed handles leave the list on the next turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(servers()).toBe(0);
    await expect(fetch(`${stack.url}/healthz`)).rejects.toThrow();
  });
});

describe('send-event', () => {
  it('lists the types and refuses an unknown one', async () => {
    const out: string[] = [];
    const io = { env: {}, out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
    expect(await runSendEvent(['--list'], io)).toBe(0);
    expect(out.join('')).toContain('payment_intent.succeeded');
    expect(out.join('')).toContain('closed-won');
    expect(await runSendEvent(['payment_intent.exploded'], io)).toBe(2);
  });
});

describe('a bad variable', () => {
  it('reports every configuration error at once, PORT and key shapes included, and never starts against Stripe with a made-up key', async () => {
    const start = startLocalStack({
      env: { PORT: 'eighty', STRIPE_SECRET_KEY: 'foo', STRIPE_WEBHOOK_SECRET: 'whsec_', SALESFORCE_API_VERSION: '50.0', LOCAL_CONSUMER_CONCURRENCY: '0' },
      logDestination: new LogCapture(),
    });
    const error = (await start.catch((err: unknown) => err)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.variables).toEqual(
      expect.arrayContaining(['PORT', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'SALESFORCE_API_VERSION', 'LOCAL_CONSUMER_CONCURRENCY']),
    );
    expect(error.message).toMatch(/STRIPE_SECRET_KEY: must be a Stripe secret or restricted key/);
    expect(error.message).toMatch(/STRIPE_WEBHOOK_SECRET: a bare whsec_ is not a secret/);
  });

  it('refuses a webhook secret shorter than the ones Stripe hands out', async () => {
    const start = startLocalStack({ env: { STRIPE_WEBHOOK_SECRET: 'whsec_test_fake_short' }, port: 0, logDestination: new LogCapture() });
    await expect(start).rejects.toThrow(/STRIPE_WEBHOOK_SECRET: shorter than Stripe's signing secrets/);
  });

  it('fails the start with a ConfigError naming it', async () => {
    const start = startLocalStack({ env: { SALESFORCE_API_VERSION: '50.0' }, port: 0, logDestination: new LogCapture() });
    await expect(start).rejects.toBeInstanceOf(ConfigError);
    await expect(start).rejects.toMatchObject({ variables: ['SALESFORCE_API_VERSION'] });
    await expect(start).rejects.toThrow(/SALESFORCE_API_VERSION: must be 58\.0 or newer/);
  });

  it('names every offending variable at once, including half-configured Salesforce credentials', async () => {
    const start = startLocalStack({
      env: { STRIPE_WEBHOOK_SECRET: 'not-a-whsec', SALESFORCE_CLIENT_ID: 'only-the-id', LOCAL_BATCH_SIZE: 'ten' },
      port: 0,
      logDestination: new LogCapture(),
    });
    const error = (await start.catch((err: unknown) => err)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.variables).toEqual(expect.arrayContaining(['LOCAL_BATCH_SIZE', 'SALESFORCE_CLIENT_SECRET', 'STRIPE_WEBHOOK_SECRET']));
    expect(error.message).toMatch(/LOCAL_BATCH_SIZE: .+\n/);
    expect(error.message).toMatch(/STRIPE_WEBHOOK_SECRET: .*whsec_/);
    expect(error.message).toMatch(/Incomplete Salesforce credentials|client credentials/);
  });
});
