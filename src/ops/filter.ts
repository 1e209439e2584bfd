/** Which dead-lettered messages a replay picks: all conditions given must hold. */
import type { DlqEntry } from './dlq-message.js';
import { UsageError } from './errors.js';

export interface ReplayFilter {
  readonly all: boolean;
  readonly eventIds: ReadonlySet<string>;
  readonly type: string | undefined;
  /** Epoch ms: messages that failed at or after this time. */
  readonly since: number | undefined;
}

/** `invoice.paid` matches exactly; `invoice.*` matches every type under `invoice.`. */
export function typeMatches(pattern: string, type: string | undefined): boolean {
  if (type === undefined) return false;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return type === pattern;
}

export function matchesFilter(entry: DlqEntry, filter: ReplayFilter): boolean {
  if (filter.eventIds.size > 0 && (entry.eventId === undefined || !filter.eventIds.has(entry.eventId))) return false;
  if (filter.type !== undefined && !typeMatches(filter.type, entry.eventType)) return false;
  // Unknown failure time: not provably recent, so not picked by --since.
  if (filter.since !== undefined && (entry.failedAt === undefined || entry.failedAt < filter.since)) return false;
  return true;
}

export function isEmptyFilter(filter: ReplayFilter): boolean {
  return !filter.all && filter.eventIds.size === 0 && filter.type === undefined && filter.since === undefined;
}

const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An ISO 8601 time (`2026-05-01T12:00:00Z`) or a look-back such as `30m`, `6h`, `2d`. */
export function parseSince(value: string, now: number): number {
  const relative = /^(\d+)([mhd])$/.exec(value.trim());
  if (relative !== null) return now - Number(relative[1]) * (UNIT_MS[relative[2] ?? ''] ?? 0);
  const absolute = Date.parse(value);
  if (Number.isNaN(absolute)) {
    throw new UsageError(`--since ${value}: expected an ISO 8601 time (2026-05-01T12:00:00Z) or a look-back like 30m, 6h, 2d`);
  }
  return absolute;
}
