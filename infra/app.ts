/** CDK entry point (`cdk.json`: `npx tsx infra/app.ts`). Environment-agnostic: no lookups. */
import { createBridgeApp } from './bridge-app.js';

createBridgeApp().app.synth();
