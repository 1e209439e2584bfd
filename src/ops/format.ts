/** Human-readable output: ids, types, ages and reasons only, never message bodies. */
import type { DlqEntry } from './dlq-message.js';
import type { ReplayOutcome, ReplayProgress, ReplaySummary } from './replay.js';
import type { RedriveProgress, RedriveResult } from './redrive.js';
import type { DlqStats } from './stats.js';
import type { ReplayEventResult } from './replay-event.js';
import type { PurgeResult } from './purge.js';
import type { DlqKind } from './targets.js';

export function formatAge(seconds: number | undefined): string {
  if (seconds === undefined) return '?';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

const ageSince = (then: number | undefined, now: number): number | undefined =>
  then === undefined ? undefined : Math.max(0, Math.floor((now - then) / 1000));

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

function counts(title: string, values: Readonly<Record<string, number>>): string[] {
  const sorted = Object.entries(values).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (sorted.length === 0) return [];
  return [`  ${title}:`, ...sorted.map(([key, n]) => `    ${String(n).padStart(5)}  ${oneLine(key, 120)}`)];
}

export function formatStats(stats: DlqStats): string[] {
  const lines = [
    `${stats.queue} DLQ: ${stats.depth} message(s) (visible ${stats.visible}, in flight ${stats.inFlight}${stats.delayed > 0 ? `, delayed ${stats.delayed}` : ''})`,
  ];
  if (stats.sampled === 0) return lines;
  lines.push(
    `  sampled ${stats.sampled} message(s) without consuming them; age and counts below are from this sample`,
    `  oldest sampled message: ${formatAge(stats.oldestSampledAgeSeconds)} since first enqueued` +
      ' (SQS has no oldest-age queue attribute; CloudWatch ApproximateAgeOfOldestMessage is exact)',
    ...counts('by event type', stats.byType),
    ...counts('by failure', stats.byReason),
  );
  return lines;
}

export function formatPeek(kind: DlqKind, entries: readonly DlqEntry[], sampled: number, now: number): string[] {
  const header = ['EVENT ID', 'TYPE', ...(kind === 'outbound' ? ['OPPORTUNITY'] : []), 'FAILED', 'RECEIVES', 'LAST ERROR'];
  const rows = entries.map((e) => [
    e.eventId ?? `(message ${e.messageId})`,
    e.eventType ?? '?',
    ...(kind === 'outbound' ? [e.opportunityId ?? '?'] : []),
    `${formatAge(ageSince(e.failedAt, now))} ago`,
    e.receiveCount === undefined ? '?' : String(e.receiveCount),
    oneLine(e.failureCode !== undefined && e.failureCode !== e.failureReason ? `${e.failureCode}: ${e.failureReason}` : e.failureReason, 100),
  ]);
  return [
    ...table([header, ...rows]),
    `${entries.length} shown of ${sampled} sampled from the ${kind} DLQ; all made visible again (nothing consumed)`,
  ];
}

export function formatProgress(p: ReplayProgress): string {
  return `… received ${p.received}: matched ${p.matched}, replayed ${p.replayed}, failed ${p.failed}, skipped ${p.skipped}`;
}

function formatOutcome(o: ReplayOutcome): string {
  const id = o.eventId ?? `(message ${o.messageId})`;
  return `${o.outcome.padEnd(13)} ${id}  ${o.eventType ?? '?'}${o.error === undefined ? '' : `  ${oneLine(o.error, 160)}`}`;
}

export function formatReplay(summary: ReplaySummary): string[] {
  const shown = summary.outcomes.filter((o) => o.outcome !== 'replayed');
  const lines = shown.map(formatOutcome);
  lines.push(
    `${summary.dryRun ? 'dry run, nothing changed: ' : ''}matched ${summary.matched}, replayed ${summary.replayed}, ` +
      `failed ${summary.failed}, skipped ${summary.skipped} (not matching, left in the DLQ)`,
  );
  if (summary.failed > 0) lines.push('failed messages stay in the DLQ; fix the cause and replay them again');
  if (summary.releaseFailures > 0) {
    lines.push(`${summary.releaseFailures} message(s) stay hidden until their visibility timeout ends (SQS refused to release them)`);
  }
  return lines;
}

export function formatRedriveProgress(p: RedriveProgress): string {
  return `… ${p.status}: moved ${p.moved}${p.toMove === undefined ? '' : ` of ${p.toMove}`}`;
}

export function formatRedrive(result: RedriveResult): string[] {
  if (result.dryRun) {
    return [`dry run, nothing changed: would move ~${result.messagesBefore} message(s) from ${result.sourceArn} to ${result.destinationArn}`];
  }
  const lines = [`move task ${result.status}: moved ${result.moved}${result.toMove === undefined ? '' : ` of ${result.toMove}`} message(s) to ${result.destinationArn}`];
  if (result.failureReason !== undefined) lines.push(`failure reason: ${oneLine(result.failureReason, 200)}`);
  return lines;
}

export function formatPurge(kind: DlqKind, result: PurgeResult): string[] {
  return [`purged the ${kind} DLQ: ~${result.messagesBefore} message(s) deleted (SQS may take up to 60 s to finish)`];
}

export function formatReplayEvents(results: readonly ReplayEventResult[]): string[] {
  return results.map(
    (r) =>
      `${r.outcome.padEnd(13)} ${r.eventId}  ${r.eventType ?? '?'}` +
      (r.kind === 'reference' ? '  (too large for SQS: sent as a reference, the consumer fetches it)' : '') +
      (r.error === undefined ? '' : `  ${oneLine(r.error, 160)}`),
  );
}
