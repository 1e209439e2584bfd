/**
 * `npm run bench`: prints numbers, never pass/fail. Every figure is printed next to its floor or
 * yardstick measured in the same run, and the budgets from ARCHITECTURE.md next to the ratios, for
 * reading only. A shared machine drifts: compare figures within one run, not across runs.
 */
import { cpus, loadavg } from 'node:os';
import { benchBackfill } from './backfill.js';
import { benchColdLoads, bundleSizeRows } from './bundles.js';
import { benchConsumer } from './consumer.js';
import { synthesizeDeployed } from './deployed.js';
import { benchIngress } from './ingress.js';
import { printTable } from './report.js';

async function main(): Promise<void> {
  console.log(`# Stripe ⇄ Salesforce bridge benchmark`);
  console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg()[0]?.toFixed(1)} at start`);
  printTable('Ingress: verify + enqueue, per event (SQS send stubbed), next to HMAC-SHA256 + JSON.parse', await benchIngress());
  printTable('Consumer: SQS batch → Salesforce (stand-in with 20 ms latency per call), dynalite', await benchConsumer());
  const deployed = synthesizeDeployed();
  try {
    printTable('Lambda bundles as deployed (cdk synth, cdk.json context)', bundleSizeRows(deployed));
    printTable('Cold load as deployed: template environment and NODE_OPTIONS, median of fresh processes', await benchColdLoads(deployed));
  } finally {
    deployed.dispose();
  }
  printTable('Backfill: 10,000 Stripe objects → Salesforce (stand-ins, 20 ms per Salesforce call), dynalite guards', await benchBackfill());
  console.log(`\nload average ${loadavg()[0]?.toFixed(1)} at the end`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
