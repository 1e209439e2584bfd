/**
 * `npm run bench`: prints numbers, never pass/fail. Budgets from ARCHITECTURE.md are printed next
 * to the figures for reading, not enforced.
 */
import { cpus } from 'node:os';
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
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
