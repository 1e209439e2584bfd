/**
 * The stack's fixed monthly cost: what it costs even when no event flows. Pure: it counts what a
 * synthesized CloudFormation template creates and multiplies by prices the caller passes (list
 * prices below), so the benchmark's cost report and the tests use the same arithmetic.
 *
 * Fixed here: custom metrics (metric filters), alarm metrics, dashboards and secrets, all billed
 * per month whether or not anything happens. Everything else the bridge uses is billed per use
 * (Lambda, SQS, API Gateway, DynamoDB on demand, log ingestion, X-Ray traces when tracing is on)
 * and belongs to the variable cost per event.
 */

/** USD per month. */
export interface FixedPrices {
  /** A custom metric (each metric filter's namespace + name), first 10,000 metrics. */
  readonly customMetric: number;
  /** A standard-resolution alarm metric; a metric math alarm pays for each metric it reads. */
  readonly alarmMetric: number;
  readonly dashboard: number;
  readonly secret: number;
}

/**
 * List prices in us-east-1: CloudWatch (https://aws.amazon.com/cloudwatch/pricing/: 0.30 per
 * custom metric, 0.10 per standard-resolution alarm metric, 3.00 per dashboard) and Secrets
 * Manager (https://aws.amazon.com/secrets-manager/pricing/: 0.40 per secret). Other regions differ.
 */
export const LIST_PRICES_US_EAST_1: FixedPrices = {
  customMetric: 0.3,
  alarmMetric: 0.1,
  dashboard: 3,
  secret: 0.4,
};

/**
 * CloudWatch's always-free allowance per account (10 custom metrics, 10 alarm metrics, 3
 * dashboards). Shared with everything else in the account, so the estimate ignores it unless
 * the caller says the bridge has the account to itself.
 */
export interface FreeAllowance {
  readonly customMetrics: number;
  readonly alarmMetrics: number;
  readonly dashboards: number;
}

export const NO_FREE_ALLOWANCE: FreeAllowance = { customMetrics: 0, alarmMetrics: 0, dashboards: 0 };
export const CLOUDWATCH_FREE_TIER: FreeAllowance = { customMetrics: 10, alarmMetrics: 10, dashboards: 3 };

export interface FixedInventory {
  readonly customMetrics: number;
  readonly alarmMetrics: number;
  readonly dashboards: number;
  readonly secrets: number;
}

interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

export interface CloudFormationTemplate {
  readonly Resources: Readonly<Record<string, TemplateResource>>;
}

function ofType(template: CloudFormationTemplate, type: string): TemplateResource[] {
  return Object.values(template.Resources).filter((r) => r.Type === type);
}

/** What a template creates that is billed by the month. */
export function fixedInventory(template: CloudFormationTemplate): FixedInventory {
  const metrics = new Set<string>();
  for (const filter of ofType(template, 'AWS::Logs::MetricFilter')) {
    const transformations = (filter.Properties?.['MetricTransformations'] ?? []) as Array<Record<string, unknown>>;
    for (const t of transformations) {
      // With dimensions every distinct value is its own metric: not countable from the template.
      if (t['Dimensions'] !== undefined) throw new Error('fixedInventory: a metric filter with dimensions has no fixed metric count');
      metrics.add(JSON.stringify([t['MetricNamespace'], t['MetricName']]));
    }
  }
  const alarmMetrics = ofType(template, 'AWS::CloudWatch::Alarm').reduce((sum, alarm) => {
    const queries = alarm.Properties?.['Metrics'] as Array<Record<string, unknown>> | undefined;
    return sum + (queries === undefined ? 1 : queries.filter((q) => q['MetricStat'] !== undefined).length);
  }, 0);
  return {
    customMetrics: metrics.size,
    alarmMetrics,
    dashboards: ofType(template, 'AWS::CloudWatch::Dashboard').length,
    secrets: ofType(template, 'AWS::SecretsManager::Secret').length,
  };
}

export interface CostLine {
  readonly item: 'custom metrics' | 'alarm metrics' | 'dashboards' | 'secrets';
  readonly quantity: number;
  /** Quantity left after the free allowance. */
  readonly billed: number;
  readonly unitPrice: number;
  readonly monthly: number;
}

export interface FixedMonthlyCost {
  readonly lines: readonly CostLine[];
  /** USD per month, rounded to cents. */
  readonly total: number;
}

const cents = (usd: number): number => Math.round(usd * 100) / 100;

export function fixedMonthlyCost(inventory: FixedInventory, prices: FixedPrices, free: FreeAllowance = NO_FREE_ALLOWANCE): FixedMonthlyCost {
  const line = (item: CostLine['item'], quantity: number, allowance: number, unitPrice: number): CostLine => {
    const billed = Math.max(0, quantity - allowance);
    return { item, quantity, billed, unitPrice, monthly: cents(billed * unitPrice) };
  };
  const lines = [
    line('custom metrics', inventory.customMetrics, free.customMetrics, prices.customMetric),
    line('alarm metrics', inventory.alarmMetrics, free.alarmMetrics, prices.alarmMetric),
    line('dashboards', inventory.dashboards, free.dashboards, prices.dashboard),
    line('secrets', inventory.secrets, 0, prices.secret),
  ];
  return { lines, total: cents(lines.reduce((sum, l) => sum + l.monthly, 0)) };
}

/** The fixed monthly cost of a synthesized template at these prices. */
export function estimateFixedMonthlyCost(template: CloudFormationTemplate, prices: FixedPrices = LIST_PRICES_US_EAST_1, free?: FreeAllowance): FixedMonthlyCost {
  return fixedMonthlyCost(fixedInventory(template), prices, free);
}
