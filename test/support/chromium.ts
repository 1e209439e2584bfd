/**
 * The headless browser for the page tests: Debian's `chromium` (what `.ci/run` installs), or the
 * one CHROMIUM_PATH names, driven by playwright-core (which downloads no browser of its own).
 */
import { existsSync } from 'node:fs';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

export function findChromium(): string | undefined {
  const configured = process.env['CHROMIUM_PATH'];
  if (configured !== undefined && configured !== '') return configured;
  return CANDIDATES.find((path) => existsSync(path));
}

/** CI must run the browser tests; a developer without Chromium gets them skipped, with the reason. */
export function chromiumOrSkipReason(): { path: string } | { skip: string } {
  const path = findChromium();
  if (path !== undefined) return { path };
  if (process.env['CI'] !== undefined && process.env['CI'] !== '') throw new Error('No Chromium found: .ci/run installs Debian\'s chromium; set CHROMIUM_PATH otherwise');
  return { skip: 'no Chromium on this machine (apt install chromium, or set CHROMIUM_PATH)' };
}
