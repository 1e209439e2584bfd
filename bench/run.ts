/**
 * `npm run bench`: prints numbers, never pass/fail. Every figure is printed next to its floor or
 * yardstick measured in the same run, and the budgets from ARCHITECTURE.md next to the ratios, for
 * reading only. A shared machine drifts: compare figures within one run, not across runs.
 * `npm run bench -- ingress cold` runs only those sections; the batching-window model and the cost
 * use every section's figures and come with a full run only.
 */
import { cpus, loadavg } from 'node:os';
import { benchBackfill } from './backfill.js';
import { benchColdLoads, bundleSizeRows, COLD_RUNS } from './bundles.js';
import { benchConsumer } from './consumer.js';
import { costPerMillionEvents, fixedMonthlyRows, mappingOf, rowNumber } from './cost.js';
import { synthesizeDeployed, type DeployedStack } from './deployed.js';
import { benchEndToEnd, windowRows, type EndToEndResult } from './end-to-end.js';
import { benchIngress } from './ingress.js';
import { printTable, type Row } from './report.js';

const SECTIONS = ['ingress', 'consumer', 'e2e', 'cold', 'backfill'] as const;
type Section = (typeof SECTIONS)[number];

const load = (): string => loadavg()[0]?.toFixed(1) ?? '?';

function modelAndCost(deployed: DeployedStack, ingress: readonly Row[], consumer: readonly Row[], endToEnd: EndToEndResult): void {
  const mapping = mappingOf(deployed, 'consumer');
  const batchSize = Number(mapping?.['BatchSize'] ?? 10);
  const window = Number(mapping?.['MaximumBatchingWindowInSeconds'] ?? 0);
  const concurrency = Number((mapping?.['ScalingConfig'] as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency ?? 5);
  printTable(
    `Latency in AWS, modelled: the batching window (batch ${batchSize}, ${concurrency} consumers) + the local receipt → write latency above`,
    windowRows(endToEnd.latenciesMs, batchSize, concurrency, window),
  );

  const eventsPerSecond = rowNumber(consumer, `consumer batch ${batchSize} `, 'events/s');
  printTable(
    'AWS cost of one million events, default configuration (prices are inputs: bench/cost.ts)',
    costPerMillionEvents({
      deployed,
      ingressMicros: rowNumber(ingress, 'ingress 2.4 kB', 'µs/event') ?? Number.NaN,
      consumerBatchMs: eventsPerSecond === undefined ? Number.NaN : (batchSize / eventsPerSecond) * 1000,
      dynamoRequestsPerEvent: rowNumber(consumer, `consumer batch ${batchSize} `, 'DynamoDB requests/event') ?? Number.NaN,
      // Queued roll-ups (the deployed default): the writer's measured invocation.
      rollupWriterMs: rowNumber(consumer, `consumer batch ${batchSize} (`, 'writer ms/invocation'),
      logBytesPerEvent: endToEnd.logBytesPerEvent,
    }),
  );
  printTable('AWS cost per month with no traffic (from the template)', fixedMonthlyRows(deployed));
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((a) => !(SECTIONS as readonly string[]).includes(a));
  if (unknown.length > 0) throw new Error(`unknown section ${unknown.join(', ')}; sections: ${SECTIONS.join(', ')}`);
  const runs = (section: Section): boolean => asked.length === 0 || asked.includes(section);

  console.log(`# Stripe ⇄ Salesforce bridge benchmark`);
  console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${load()} at start`);

  let ingress: Row[] | undefined;
  if (runs('ingress')) {
    ingress = await benchIngress();
    printTable('Ingress: verify + enqueue per event (SQS send stubbed, log line serialized), next to HMAC-SHA256 + JSON.parse of the same body', ingress);
  }
  let consumer: Row[] | undefined;
  if (runs('consumer')) {
    consumer = await benchConsumer();
    printTable('Consumer: SQS batch → Salesforce (stand-in with 20 ms latency per call), dynalite', consumer);
  }
  let endToEnd: EndToEndResult | undefined;
  if (runs('e2e')) {
    endToEnd = await benchEndToEnd();
    printTable('End to end on the local stack: webhook → Salesforce write, 5 concurrent consumers, 20 ms Salesforce latency', endToEnd.rows);
  }
  if (runs('cold') || asked.length === 0) {
    const deployed = synthesizeDeployed();
    try {
      printTable('Lambda bundles as deployed (cdk synth, cdk.json context)', bundleSizeRows(deployed));
      printTable(
        `Cold load as deployed: template environment and NODE_OPTIONS, ${COLD_RUNS} fresh processes each, paired with a load of the bare SQS client`,
        await benchColdLoads(deployed),
      );
      if (ingress !== undefined && consumer !== undefined && endToEnd !== undefined) modelAndCost(deployed, ingress, consumer, endToEnd);
    } finally {
      deployed.dispose();
    }
  }
  if (runs('backfill')) {
    printTable('Backfill: 10,000 Stripe objects → Salesforce (stand-ins, 20 ms per Salesforce call), dynalite guards', await benchBackfill());
  }
  console.log(`\nload average ${load()} at the end`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
