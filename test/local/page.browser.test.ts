/**
 * The story page in a real headless browser (Chromium through playwright-core): after two stories
 * and a failure, it shows the Account at a glance (the bridge's roll-ups, its latest events and
 * their outcomes), tells each Opportunity's timeline in words with amounts in their currency,
 * links to the records and to the embedded Stripe's hosted invoice (which opens), shows the failed
 * event with its reason in the DLQ, and its Replay button replays it; the raw tables are one
 * click away. Nothing on the page is a name or an email.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../src/local/stack.js';
import { chromiumOrSkipReason } from '../support/chromium.js';
import { startTestStack } from '../support/local-stack.js';

const found = chromiumOrSkipReason();
/** How long a click's navigation may take on a loaded machine (a bound on waiting, not on speed). */
const NAVIGATION = { timeout: 15_000 };
let stack: LocalStack;
let browser: Browser;
let page: Page;

/** The stack, with two stories played and a failure dead-lettered. */
async function startStackWithStories(): Promise<void> {
  stack = await startTestStack();
  for (const story of ['invoice-paid', 'card-declined-then-paid']) {
    const response = await fetch(`${stack.url}/stories/${story}`, { method: 'POST' });
    expect(((await response.json()) as { ok: boolean }).ok).toBe(true);
  }
  // Something breaks: Salesforce rejects the sample invoice once (a validation rule).
  const sent = await fetch(`${stack.url}/local/salesforce/reject-next-write`, {
    method: 'POST',
    body: JSON.stringify({ sobject: 'Stripe_Payment__c', key: 'pi_test_sample0001', code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: 'Amount must be positive' }),
  });
  expect(sent.status).toBe(200);
  const { runSendEvent } = await import('../../src/local/send.js');
  // send-event looks again once the stack has settled, not every 250 ms (stack.test.ts runs that).
  const io = { env: {}, out: () => {}, err: () => {}, pause: () => stack.idle() };
  expect(await runSendEvent(['payment_intent.succeeded', '--url', stack.url, '--secret', stack.webhookSecret as string], io)).toBe(1);
}

async function openBrowser(path: string): Promise<void> {
  browser = await chromium.launch({ executablePath: path, headless: true, args: ['--no-sandbox'] });
  page = await browser.newPage();
}

beforeAll(async () => {
  if ('skip' in found) return;
  // Chromium starts while the stack plays its stories (neither needs the other until the tests);
  // both are left to settle before a failure is rethrown, so afterAll closes whatever started.
  const started = await Promise.allSettled([startStackWithStories(), openBrowser(found.path)]);
  for (const result of started) if (result.status === 'rejected') throw result.reason;
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe.skipIf('skip' in found)(`the story page in Chromium${'skip' in found ? ` (skipped: ${found.skip})` : ''}`, () => {
  it('tells each Opportunity its story in words, with amounts in their currency and working links', async () => {
    await page.goto(`${stack.url}/`);
    const cards = page.locator('section.opportunity', { hasText: 'card declined' });
    // Rendered by the server: once goto has loaded the page, it is complete.
    expect(await cards.count()).toBe(1);
    const declined = cards.first();
    const text = (await declined.innerText()).replace(/\s+/g, ' ');
    expect(text).toMatch(/Closed Won: Invoice [A-F0-9]+-\d{4} for \$49\.99 sent/);
    expect(text).toMatch(/Payment failed: .*— Case opened/);
    expect(text).toMatch(/Invoice [A-F0-9]+-\d{4} paid: \$49\.99/);
    expect(text).toContain('Payment Status: Paid');

    // The record link and the hosted invoice link open their pages.
    await declined.getByRole('link', { name: 'Opportunity record' }).click();
    await expect.poll(() => page.locator('h1').innerText(), NAVIGATION).toContain('Opportunity');
    expect(await page.locator('body').innerText()).toContain('Stripe Payment Status');
    await page.goBack();
    await page.locator('section.opportunity', { hasText: 'card declined' }).getByRole('link', { name: 'hosted invoice' }).click();
    await expect.poll(() => page.locator('h1').innerText(), NAVIGATION).toMatch(/Invoice [A-F0-9]+-\d{4}\s+paid/);
  });

  it('shows the Account at a glance: the roll-ups the bridge keeps, its latest events and their outcomes', async () => {
    await page.goto(`${stack.url}/`);
    const account = page.locator('section.account');
    expect(await account.count()).toBe(1);
    const text = (await account.innerText()).replace(/\s+/g, ' ');
    const record = stack.salesforce?.records('Account')[0] ?? {};
    expect(text).toContain(`Stripe customer ${String(record.Stripe_Customer_Id__c)}`);
    // The figures are the Account's own fields, in its currency (the sample org's corporate USD).
    const usd = (n: unknown): string => new Intl.NumberFormat('en', { style: 'currency', currency: 'USD' }).format(n as number);
    expect(record.Stripe_Lifetime_Paid__c).toBeGreaterThan(0);
    expect(text).toContain(`Lifetime paid ${usd(record.Stripe_Lifetime_Paid__c)}`);
    expect(text).toContain(`Open balance ${usd(record.Stripe_Open_Balance__c)}`);
    expect(text).toContain(`Last payment ${record.Stripe_Last_Payment_At__c ? usd(record.Stripe_Last_Payment_Amount__c) : '—'}`);
    expect(text).toContain(`Payment health ${String(record.Stripe_Payment_Health__c)}`);
    // Its latest events, newest first, each with what became of it: the failed write is there.
    const latest = await account.locator('ol.latest li').allInnerTexts();
    expect(latest.length).toBeGreaterThan(0);
    expect(latest.length).toBeLessThanOrEqual(6);
    expect(latest.some((line) => /Paid \$49\.99.*failed, in the DLQ/.test(line))).toBe(true);
    await account.getByRole('link', { name: 'Account record' }).click();
    await expect.poll(() => page.locator('h1').innerText(), NAVIGATION).toContain('Account');
    expect(await page.locator('body').innerText()).toContain('Stripe Lifetime Paid');
  });

  it('shows the failed event with its reason, and its Replay button replays it', async () => {
    await page.goto(`${stack.url}/`);
    const row = page.locator('#dlq-table tr', { hasText: 'payment_intent.succeeded' });
    expect(await row.innerText()).toContain('FIELD_CUSTOM_VALIDATION_EXCEPTION');
    expect(await page.locator('li.bad', { hasText: 'failed, in the DLQ' }).count()).toBeGreaterThan(0);
    await row.getByRole('button', { name: 'Replay' }).click();
    await expect.poll(() => page.locator('.notice').innerText(), NAVIGATION).toMatch(/Replay of evt_local_\w+: replayed/);
    await stack.idle();
    await page.reload();
    expect(await page.locator('#dlq-table').count()).toBe(0);
    expect(stack.salesforce?.records('Stripe_Payment__c').find((p) => p.Stripe_Id__c === 'pi_test_sample0001')).toMatchObject({ Status__c: 'Succeeded' });
  });

  it('has the raw tables one click away, and no names or emails anywhere', async () => {
    await page.goto(`${stack.url}/`);
    const story = await page.locator('body').innerText();
    await page.getByRole('link', { name: 'Raw tables' }).click();
    await expect.poll(() => page.locator('h2').allInnerTexts(), NAVIGATION).toContain('Salesforce records');
    const raw = await page.locator('body').innerText();
    for (const text of [story, raw]) {
      expect(text).not.toContain('Sample Customer Ltd');
      expect(text).not.toContain('@example.com');
    }
  });
});
