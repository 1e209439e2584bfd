/**
 * What one million Stripe events cost in AWS in the default configuration, and what the stack
 * costs per month with no traffic at all (infra/cost.ts for what the template bills monthly).
 * Durations, request counts and log volume come from the other benches of the same run and from
 * the synthesized template (memory sizes, batch size, tracing, resources); prices are inputs (us-east-1 on-demand list prices, without free tiers),
 * overridable with BENCH_PRICES='{"lambdaGbSecond":…}'. Anything that cannot be measured locally
 * (an SQS round trip from Lambda, the size of a platform log line) is an assumption, printed as one.
 */
import { fixedInventory, fixedMonthlyCost, LIST_PRICES_US_EAST_1 } from '../infra/cost.js';
import type { DeployedStack } from './deployed.js';
import type { Row } from './report.js';

export const PRICES = {
  /** Lambda, arm64, per GB-second. */
  lambdaGbSecond: 0.0000133334,
  /** Lambda, per request. */
  lambdaRequest: 0.2 / 1e6,
  /** SQS standard queue, per request (64 KB chunk). */
  sqsRequest: 0.4 / 1e6,
  /** DynamoDB on-demand, per write request unit (≤ 1 KB). */
  dynamoWriteUnit: 0.625 / 1e6,
  /** DynamoDB storage, per GB-month. */
  dynamoGbMonth: 0.25,
  /** API Gateway HTTP API, per request (≤ 512 KB). */
  httpApiRequest: 1.0 / 1e6,
  /** CloudWatch Logs ingestion (standard class), per GB. */
  logsIngestGb: 0.5,
  /** CloudWatch Logs storage, per GB-month. */
  logsStoreGbMonth: 0.03,
  /** X-Ray, per trace recorded. */
  xrayTrace: 5.0 / 1e6,
};

export type Prices = typeof PRICES;

/** What cannot be measured on this machine, stated. */
export const ASSUMPTIONS = {
  /** An SQS SendMessage round trip from the ingress Lambda, in ms. */
  sqsSendMs: 8,
  /** START, END and REPORT lines Lambda writes per invocation, in bytes. */
  platformLogBytesPerInvocation: 330,
  /** One line of the HTTP API access log (the stage's JSON format), in bytes. */
  accessLogBytesPerRequest: 420,
  /** DynamoDB bytes kept per event for the TTL (claim, completion, guards), in KB. */
  dynamoKbPerEvent: 0.5,
  /** Pollers of an idle SQS event source mapping, each long-polling 20 s. */
  idlePollersPerMapping: 5,
  /** Duration of one scheduled reconciler run with nothing to recover, in seconds. */
  reconcilerRunSeconds: 2,
  /**
   * Consumer batches per second at the traffic the model assumes (full batches: ≥ 10 events/s at
   * batch 10): the roll-up writer's window then gathers this × its window in seconds messages.
   */
  consumerBatchesPerSecond: 1,
  /** X-Ray's default sampling: 1 request per second, then 5 %. At ≥ 1 event/s, 5 % of invocations. */
  xraySampledShare: 0.05,
};

export interface CostInputs {
  readonly deployed: DeployedStack;
  /** Ingress handler compute per event (warm, µs), measured. */
  readonly ingressMicros: number;
  /** Consumer batch of `batchSize` events: duration in ms (20 ms Salesforce, dynalite), measured. */
  readonly consumerBatchMs: number;
  /** DynamoDB requests per event at the deployed batch size, measured (conditional writes). */
  readonly dynamoRequestsPerEvent: number;
  /** One roll-up writer invocation (queued roll-ups), ms, measured; undefined: roll-ups inline or off. */
  readonly rollupWriterMs?: number | undefined;
  /** Log bytes our code writes per event, by service, measured. */
  readonly logBytesPerEvent: Readonly<Record<string, number>>;
}

function prices(): Prices {
  const override = process.env['BENCH_PRICES'];
  return override === undefined ? PRICES : { ...PRICES, ...(JSON.parse(override) as Partial<Prices>) };
}

const usd = (value: number): string => `$${value < 0.01 ? value.toFixed(4) : value.toFixed(2)}`;

function fn(deployed: DeployedStack, name: string): { memoryGb: number; traced: boolean } {
  const found = deployed.functions.find((f) => f.name === name);
  const resource = found === undefined ? undefined : deployed.template.Resources[found.logicalId];
  const tracing = (resource?.Properties?.['TracingConfig'] as { Mode?: string } | undefined)?.Mode;
  return { memoryGb: (found?.memoryMb ?? 128) / 1024, traced: tracing === 'Active' };
}

function count(deployed: DeployedStack, type: string): number {
  return Object.values(deployed.template.Resources).filter((r) => r.Type === type).length;
}

/** The event source mapping feeding the named function (`consumer`, `writer`), if any. */
export function mappingOf(deployed: DeployedStack, name: string): Readonly<Record<string, unknown>> | undefined {
  const logicalId = deployed.functions.find((f) => f.name === name)?.logicalId;
  return Object.values(deployed.template.Resources).find(
    (r) => r.Type === 'AWS::Lambda::EventSourceMapping' && (r.Properties?.['FunctionName'] as { Ref?: string } | undefined)?.Ref === logicalId,
  )?.Properties;
}

/** Batch size of the inbound event source mapping (the one feeding the consumer). */
function inboundBatchSize(deployed: DeployedStack): number {
  return Math.max(1, Number(mappingOf(deployed, 'consumer')?.['BatchSize'] ?? 10));
}

/** One million events, item by item. Full batches assumed (traffic of ≥ 10 events/s; see the window table). */
export function costPerMillionEvents(inputs: CostInputs): Row[] {
  const p = prices();
  const a = ASSUMPTIONS;
  const million = 1e6;
  const batchSize = inboundBatchSize(inputs.deployed);
  const batches = million / batchSize;
  const ingress = fn(inputs.deployed, 'ingress');
  const consumer = fn(inputs.deployed, 'consumer');
  const ingressBilledMs = Math.ceil(inputs.ingressMicros / 1000 + a.sqsSendMs);
  const consumerBilledMs = Math.ceil(inputs.consumerBatchMs);
  // Queued roll-ups: one message per consumer batch, gathered over the writer's window.
  const writerMapping = inputs.rollupWriterMs === undefined ? undefined : mappingOf(inputs.deployed, 'writer');
  const writerWindow = Number(writerMapping?.['MaximumBatchingWindowInSeconds'] ?? 0);
  const perWriter = Math.max(1, Math.min(Number(writerMapping?.['BatchSize'] ?? 1), Math.round(writerWindow * a.consumerBatchesPerSecond)));
  const writerInvocations = writerMapping === undefined ? 0 : batches / perWriter;
  const writer = fn(inputs.deployed, 'writer');
  const writerBilledMs = Math.ceil(inputs.rollupWriterMs ?? 0);
  const rollupSqs = writerMapping === undefined ? 0 : batches + writerInvocations * (1 + Math.ceil(perWriter / 10));
  const invocations = million + batches + writerInvocations;
  const logBytes =
    Object.values(inputs.logBytesPerEvent).reduce((sum, b) => sum + b, 0) * million +
    invocations * a.platformLogBytesPerInvocation +
    million * a.accessLogBytesPerRequest;
  const logGb = logBytes / 2 ** 30;
  const rows: Row[] = [
    {
      item: 'API Gateway HTTP API',
      quantity: `${million.toLocaleString('en-US')} requests`,
      basis: 'one webhook per event',
      cost: usd(million * p.httpApiRequest),
    },
    {
      item: 'Lambda requests',
      quantity: `${invocations.toLocaleString('en-US')} invocations`,
      basis: `ingress 1/event, consumer 1/${batchSize} events (template batch size)${writerInvocations === 0 ? '' : `, roll-up writer 1/${perWriter} batches (${writerWindow} s window at ${a.consumerBatchesPerSecond} batch/s, assumed)`}`,
      cost: usd(invocations * p.lambdaRequest),
    },
    {
      item: 'Lambda ingress GB-s',
      quantity: `${((million * ingressBilledMs * ingress.memoryGb) / 1000).toFixed(0)} GB-s`,
      basis: `${ingressBilledMs} ms billed (${inputs.ingressMicros.toFixed(0)} µs measured + ${a.sqsSendMs} ms SQS assumed) × ${ingress.memoryGb * 1024} MB`,
      cost: usd(((million * ingressBilledMs * ingress.memoryGb) / 1000) * p.lambdaGbSecond),
    },
    {
      item: 'Lambda consumer GB-s',
      quantity: `${((batches * consumerBilledMs * consumer.memoryGb) / 1000).toFixed(0)} GB-s`,
      basis: `${consumerBilledMs} ms per batch of ${batchSize} (measured, 20 ms Salesforce) × ${consumer.memoryGb * 1024} MB`,
      cost: usd(((batches * consumerBilledMs * consumer.memoryGb) / 1000) * p.lambdaGbSecond),
    },
    ...(writerInvocations === 0
      ? []
      : [
          {
            item: 'Lambda roll-up writer GB-s',
            quantity: `${((writerInvocations * writerBilledMs * writer.memoryGb) / 1000).toFixed(0)} GB-s`,
            basis: `${writerBilledMs} ms per invocation of ${perWriter} messages (measured, 20 ms Salesforce) × ${writer.memoryGb * 1024} MB`,
            cost: usd(((writerInvocations * writerBilledMs * writer.memoryGb) / 1000) * p.lambdaGbSecond),
          },
        ]),
    {
      item: 'SQS requests',
      quantity: `${Math.round(million + 2 * batches + rollupSqs).toLocaleString('en-US')} requests`,
      basis: `send 1/event; receive and delete 1/batch${rollupSqs === 0 ? '' : '; roll-ups: send 1/batch, receive 1 and delete-batch 1 per 10 messages per writer invocation'}`,
      cost: usd((million + 2 * batches + rollupSqs) * p.sqsRequest),
    },
    {
      item: 'DynamoDB writes',
      quantity: `${(inputs.dynamoRequestsPerEvent * million).toLocaleString('en-US')} write units`,
      basis: `${inputs.dynamoRequestsPerEvent.toFixed(2)} conditional requests/event (measured, batch ${batchSize}), ≤ 1 KB each`,
      cost: usd(inputs.dynamoRequestsPerEvent * million * p.dynamoWriteUnit),
    },
    {
      item: 'DynamoDB storage',
      quantity: `${((a.dynamoKbPerEvent * million) / 2 ** 20).toFixed(2)} GB for a month`,
      basis: `${a.dynamoKbPerEvent} KB/event kept for the TTL (assumed)`,
      cost: usd(((a.dynamoKbPerEvent * million) / 2 ** 20) * p.dynamoGbMonth),
    },
    {
      item: 'CloudWatch Logs ingestion',
      quantity: `${logGb.toFixed(2)} GB`,
      basis: `${Object.entries(inputs.logBytesPerEvent)
        .map(([s, b]) => `${s} ${b.toFixed(0)} B`)
        .join(', ')} per event (measured) + ${a.platformLogBytesPerInvocation} B/invocation platform + ${a.accessLogBytesPerRequest} B access log (assumed)`,
      cost: usd(logGb * p.logsIngestGb),
    },
    {
      item: 'CloudWatch Logs storage',
      quantity: `${logGb.toFixed(2)} GB for a month`,
      basis: 'kept for the retention (30 days by default), uncompressed',
      cost: usd(logGb * p.logsStoreGbMonth),
    },
  ];
  const traced = (ingress.traced ? million : 0) + (consumer.traced ? batches : 0);
  rows.push({
    item: 'X-Ray traces',
    quantity: `${(traced * a.xraySampledShare).toLocaleString('en-US')} traces`,
    basis: traced === 0 ? 'tracing off in the template' : `${a.xraySampledShare * 100} % of traced invocations (default sampling above 1/s)`,
    cost: usd(traced * a.xraySampledShare * p.xrayTrace),
  });
  const total = rows.reduce((sum, r) => sum + Number(String(r['cost']).slice(1)), 0);
  rows.push({ item: 'total per million events', quantity: '', basis: '', cost: usd(total) });
  return rows;
}

/**
 * Per month with no traffic: infra/cost.ts's fixed cost of the template (metrics, alarm metrics,
 * dashboards, secrets, at its list prices, no free tier), plus what polls or runs on a schedule
 * while idle, modelled here.
 */
export function fixedMonthlyRows(deployed: DeployedStack): Row[] {
  const p = prices();
  const a = ASSUMPTIONS;
  const secondsPerMonth = 30 * 24 * 3600;
  const fixed = fixedMonthlyCost(fixedInventory(deployed.template), LIST_PRICES_US_EAST_1);
  const rows: Row[] = fixed.lines.map((line) => ({
    item: line.item,
    quantity: String(line.quantity),
    basis: `template, infra/cost.ts (${usd(line.unitPrice)} each per month)`,
    cost: usd(line.monthly),
  }));
  const mappings = count(deployed, 'AWS::Lambda::EventSourceMapping');
  const idlePolls = (mappings * a.idlePollersPerMapping * secondsPerMonth) / 20;
  rows.push({
    item: 'SQS idle polling',
    quantity: `${Math.round(idlePolls).toLocaleString('en-US')} requests`,
    basis: `${mappings} event source mappings × ${a.idlePollersPerMapping} pollers × one 20 s long poll (assumed)`,
    cost: usd(idlePolls * p.sqsRequest),
  });
  const schedules = Object.values(deployed.template.Resources)
    .filter((r) => r.Type === 'AWS::Scheduler::Schedule')
    .map((r) => String(r.Properties?.['ScheduleExpression'] ?? ''));
  const runsPerMonth = schedules.reduce((sum, expression) => {
    const match = /^rate\((\d+) (minute|minutes|hour|hours)\)$/.exec(expression);
    if (match === null) return sum;
    const seconds = Number(match[1]) * (match[2]?.startsWith('minute') === true ? 60 : 3600);
    return sum + secondsPerMonth / seconds;
  }, 0);
  const reconciler = fn(deployed, 'reconciler');
  rows.push({
    item: 'Scheduled reconciler',
    quantity: `${Math.round(runsPerMonth).toLocaleString('en-US')} runs`,
    basis: `${schedules.join(', ') || 'none'}; ${a.reconcilerRunSeconds} s each with nothing to recover (assumed)`,
    cost: usd(runsPerMonth * (p.lambdaRequest + a.reconcilerRunSeconds * reconciler.memoryGb * p.lambdaGbSecond)),
  });
  const total = rows.reduce((sum, r) => sum + Number(String(r['cost']).slice(1)), 0);
  rows.push({ item: 'total per month, no traffic', quantity: '', basis: '', cost: usd(total) });
  return rows;
}

/** A number from a bench row (`1,234` and `0.10` alike), or undefined. */
export function rowNumber(rows: readonly Row[], casePrefix: string, column: string): number | undefined {
  const row = rows.find((r) => String(r['case'] ?? '').startsWith(casePrefix));
  const key = row === undefined ? undefined : Object.keys(row).find((k) => k.startsWith(column));
  const value = key === undefined ? undefined : Number(String(row?.[key]).replace(/,/g, ''));
  return value === undefined || Number.isNaN(value) ? undefined : value;
}
