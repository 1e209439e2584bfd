import type { DestinationStream } from 'pino';

export type Row = Record<string, string | number>;

export function rate(count: number, seconds: number): string {
  return Math.round(count / seconds).toLocaleString('en-US');
}

/**
 * A pino destination that discards lines: each line is still built and serialized, as in Lambda;
 * only the write to Lambda's log pipe (a system call in pino's default destination) is left out.
 * A plain `write` rather than a Node stream, whose machinery Lambda's destination does not have.
 */
export function nullStream(): DestinationStream {
  return { write: () => undefined };
}

export function printTable(title: string, rows: readonly Row[]): void {
  console.log(`\n## ${title}`);
  if (rows.length === 0) return;
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(line(columns));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(columns.map((c) => String(row[c] ?? ''))));
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
