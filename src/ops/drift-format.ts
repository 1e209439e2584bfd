/** The drift report as a table (terminal) and as CSV. */
import type { DriftDifference, DriftReport } from '../reconcile/drift.js';

const COLUMNS = ['object', 'stripe id', 'field', 'stripe', 'salesforce'] as const;

function cells(d: DriftDifference): string[] {
  return [d.sobject, d.stripeId, d.field, String(d.stripe ?? ''), String(d.salesforce ?? '')];
}

export function formatDriftReport(report: DriftReport, options: { readonly fix: boolean; readonly csvPath?: string | undefined }): string[] {
  const compared = Object.entries(report.compared)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
  const lines = [`Compared ${compared || 'nothing'} created since ${new Date(report.since * 1000).toISOString().slice(0, 10)}.`];
  if (report.differences.length === 0) {
    lines.push('No differences: Salesforce shows what Stripe holds.');
  } else {
    const rows = report.differences.map(cells);
    const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
    const line = (values: readonly string[]) => values.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
    lines.push(`${report.differences.length} difference${report.differences.length === 1 ? '' : 's'}:`, '', line(COLUMNS), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line));
  }
  if (options.fix) {
    lines.push('', `--fix enqueued the Stripe side of ${report.fixed.length} object${report.fixed.length === 1 ? '' : 's'}: the consumer applies it in the next seconds; run the report again to check.`);
    for (const failure of report.fixFailures) lines.push(`  could not enqueue ${failure.stripeId}: ${failure.reason}`);
  } else if (report.differences.length > 0) {
    lines.push('', 'Run again with --fix to re-apply the Stripe side through the pipeline.');
  }
  if (options.csvPath !== undefined) lines.push(`CSV written to ${options.csvPath}`);
  return lines;
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function driftCsv(report: DriftReport): string {
  return [['kind', ...COLUMNS].join(','), ...report.differences.map((d) => [d.kind, ...cells(d)].map(csvCell).join(','))].join('\n') + '\n';
}
