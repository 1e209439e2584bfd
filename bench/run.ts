/**
 * `npm run bench`: prints numbers, never pass/fail. Budgets from ARCHITECTURE.md are printed next
 * to the figures for reading, not enforced.
 */
import { cpus } from 'node:os';
import { benchBackfill } from './backfill.js';
import { benchBundles } from './bundles.js';
import { benchConsumer } from './consumer.js';
import { benchIngress } from './ingress.js';
import { printTable } from './report.js';

async function main(): Promise<void> {
  console.log(`# Stripe ⇄ Salesforce bridge benchmark`);
  console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
  printTable('Ingress: verify + enqueue, per event (SQS send stubbed)', await benchIngress());
  printTable('Consumer: SQS batch → Salesforce (stand-in with 20 ms latency per call), dynalite', await benchConsumer());
  printTable('Lambda bundles: size and cold import in a fresh process', await benchBundles());
  printTable('Backfill: 10,000 Stripe objects → Salesforce (stand-ins, 20 ms per Salesforce call), dynalite guards', await benchBackfill());
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
