/**
 * `npm run screenshot`: the README's picture of the local stack's story page. Starts the stack,
 * plays what `npm run send-event -- story <name>` plays for a customer's month (two invoices, one
 * paid after a declined card, a subscription renewal, a refund, a lost dispute) and one failure,
 * and saves docs/local-story.png with headless Chromium (CHROMIUM_PATH or Debian's
 * /usr/bin/chromium): the Account at a glance on top, then each Opportunity's story.
 */
import { chromium } from 'playwright-core';
import { runSendEvent } from '../src/local/send.js';
import { startLocalStack } from '../src/local/stack.js';
import { findChromium } from '../test/support/chromium.js';
import { LogCapture } from '../test/support/log-capture.js';

const executablePath = findChromium();
if (executablePath === undefined) {
  process.stderr.write('No Chromium: apt install chromium, or set CHROMIUM_PATH\n');
  process.exit(1);
}
const stack = await startLocalStack({ env: {}, port: 0, logDestination: new LogCapture(), refreshSeconds: 0 });
try {
  for (const story of ['invoice-paid', 'card-declined-then-paid', 'subscription-renewal', 'refund', 'dispute-lost']) {
    await fetch(`${stack.url}/stories/${story}`, { method: 'POST' });
  }
  await runSendEvent(['invoice.paid', '--url', stack.url, '--secret', stack.webhookSecret as string, '--fail-salesforce', 'FIELD_CUSTOM_VALIDATION_EXCEPTION'], {
    env: {},
    out: () => {},
    err: () => {},
  });
  const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    await page.goto(`${stack.url}/`);
    await page.screenshot({ path: 'docs/local-story.png', fullPage: false });
  } finally {
    await browser.close();
  }
} finally {
  await stack.close();
}
process.stdout.write('docs/local-story.png written\n');
