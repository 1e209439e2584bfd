/** What the backfill prints: a progress line (count, rate, ETA) and the summary at the end. */
import type { BackfillProgress, BackfillResult } from '../reconcile/backfill.js';

const n = (value: number): string => value.toLocaleString('en-US');

export function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}

/**
 * `invoices · 12,345 objects · 850/s · 35% · ETA 2m10s`. Stripe lists carry no total, so the
 * fraction (and the ETA) is estimated from how far back in time the listing has got.
 */
export function formatBackfillProgress(progress: BackfillProgress): string {
  const { totals, elapsedMs, fraction } = progress;
  const read = totals.read - progress.readAtStart;
  const rate = elapsedMs > 0 ? (read * 1000) / elapsedMs : 0;
  const eta = fraction > 0.02 && fraction < 1 ? ` · ETA ${duration((elapsedMs / fraction) * (1 - fraction))}` : '';
  return `${progress.kind} · ${n(totals.read)} objects · ${n(Math.round(rate))}/s · ${Math.floor(fraction * 100)}%${eta} · ${n(totals.salesforceApiCalls)} Salesforce calls`;
}

const STATUS_TEXT: Readonly<Record<BackfillResult['status'], string>> = {
  finished: 'Backfill finished',
  already_finished: 'This backfill had already finished (pass --restart to run it again)',
  interrupted: 'Backfill interrupted: run the same command again to resume',
  call_cap: 'Backfill stopped at the Salesforce API call cap (--max-salesforce-calls): run the same command again to resume',
};

export function formatBackfillSummary(result: BackfillResult, options: { readonly failuresPath: string; readonly maxSalesforceCalls: number; readonly elapsedMs: number }): string[] {
  const { totals, since, objects, dryRun } = result.checkpoint;
  const lines = [`${STATUS_TEXT[result.status]}${dryRun ? ' (dry run: nothing written)' : ''}`, `  since ${new Date(since * 1000).toISOString().slice(0, 10)}, objects ${objects.join(',')}`];
  const perKind = Object.entries(totals.byKind)
    .filter(([, k]) => (k?.read ?? 0) > 0)
    .map(([kind, k]) => `${kind} ${n(k?.read ?? 0)}`)
    .join(', ');
  const row = (label: string, value: number, note = '') => `  ${label.padEnd(24)}${n(value).padStart(10)}${note === '' ? '' : `   ${note}`}`;
  lines.push(row('objects read', totals.read, perKind));
  if (dryRun) {
    lines.push(row('would be written', totals.applied));
  } else {
    lines.push(row('records created', totals.created));
    lines.push(row('records updated', totals.updated));
  }
  const reasons = Object.entries(totals.skipReasons)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([reason, count]) => `${reason}: ${n(count)}`)
    .join('; ');
  lines.push(row('skipped', totals.skipped, reasons));
  if (!dryRun) {
    lines.push(row('kept newer live state', totals.stale));
    lines.push(row('failed', totals.failed, totals.failed > 0 ? `reasons in ${options.failuresPath}` : ''));
    const perObject = totals.read === 0 ? 0 : totals.salesforceApiCalls / totals.read;
    lines.push(row('Salesforce API calls', totals.salesforceApiCalls, `${perObject.toFixed(4)} per object; cap ${n(options.maxSalesforceCalls)}`));
  }
  lines.push(row('Stripe list pages', totals.stripeListCalls));
  const seconds = options.elapsedMs / 1000;
  const rate = seconds > 0 && result.readThisRun > 0 ? ` (${n(Math.round(result.readThisRun / seconds))} objects/s)` : '';
  lines.push(`  this run read ${n(result.readThisRun)} objects in ${duration(options.elapsedMs)}${rate}`);
  return lines;
}
