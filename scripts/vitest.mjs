/**
 * `npm test` and `npm run test:unit`: vitest, in plain text unless it writes to a terminal.
 * vitest colours its output whenever TERM is not "dumb", so a file or a CI log fills with escape
 * codes; NO_COLOR turns them off (FORCE_COLOR=1 keeps them). `--unit` selects the inner loop
 * (vitest.config.ts reads BRIDGE_TEST_LOOP); every other argument passes through unchanged.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const unit = process.argv.indexOf('--unit');
if (unit !== -1) {
  process.argv.splice(unit, 1);
  process.env.BRIDGE_TEST_LOOP = 'unit';
}
if (!process.stdout.isTTY && process.env.FORCE_COLOR === undefined) process.env.NO_COLOR = '1';

const vitestDir = dirname(createRequire(import.meta.url).resolve('vitest/package.json'));
await import(pathToFileURL(join(vitestDir, 'vitest.mjs')).href);
