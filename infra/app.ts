/** CDK entry point (`cdk.json`: `npx tsx infra/app.ts`). Environment-agnostic: no lookups. */
import { ConfigError } from '../src/errors.js';
import { createBridgeApp } from './bridge-app.js';

try {
  createBridgeApp().app.synth();
} catch (err) {
  // A wrong context value is the user's to fix: say which, all at once, without a stack trace.
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`\n${err.message}\n\n`);
  process.exitCode = 1;
}
