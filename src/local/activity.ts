/**
 * What happened to the last events the local stack saw, for its views and for `send-event`:
 * webhooks queued or rejected, what the consumer did with each, platform events billed.
 * Ids, types and outcomes only, like the logs.
 */
import type { EventDigest } from './event-digest.js';

export type ActivitySource = 'stripe' | 'salesforce';

export interface ActivityEntry {
  /** The Stripe event id, the platform event's dedup id, or a request id for a rejected webhook. */
  readonly id: string;
  readonly source: ActivitySource;
  readonly type: string;
  /** `queued`, then the consumer's outcome (`applied`, `retry`, `dead_lettered`…); or the outbound outcome. */
  readonly status: string;
  readonly receiveCount?: number | undefined;
  /** Why it ended so (stale, skipped, rejected, dead-lettered…), in words; ids and codes only. */
  readonly note?: string | undefined;
  /** The Salesforce records the consumer wrote for it (`Stripe_Payment__c:a01…`). */
  readonly records?: readonly string[] | undefined;
  /** What the event is about (object, amount, linked records), for the story page. */
  readonly digest?: EventDigest | undefined;
  /** Milliseconds since the epoch. */
  readonly firstSeenAt: number;
  readonly updatedAt: number;
}

/** Outcomes after which nothing more will happen to the event without someone acting. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set([
  'applied',
  'skipped',
  'duplicate',
  'stale',
  'dead_lettered',
  'rejected',
  'ignored',
  'invoiced',
  'payment_link_created',
  'failed',
]);

export class ActivityLog {
  private readonly entries = new Map<string, ActivityEntry>();

  constructor(
    private readonly limit = 200,
    private readonly now: () => number = Date.now,
  ) {}

  record(
    id: string,
    update: {
      source: ActivitySource;
      type: string;
      status: string;
      receiveCount?: number;
      note?: string | undefined;
      records?: readonly string[] | undefined;
      digest?: EventDigest | undefined;
    },
  ): void {
    const previous = this.entries.get(id);
    const at = this.now();
    this.entries.delete(id);
    this.entries.set(id, {
      id,
      source: update.source,
      type: update.type,
      status: update.status,
      receiveCount: update.receiveCount ?? previous?.receiveCount,
      note: update.note,
      records: update.records ?? previous?.records,
      digest: update.digest ?? previous?.digest,
      firstSeenAt: previous?.firstSeenAt ?? at,
      updatedAt: at,
    });
    // Oldest (least recently updated) first in the map: drop from the front.
    while (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** Adds what an event is about without changing its outcome or its place in the list. */
  annotate(id: string, digest: EventDigest): void {
    const entry = this.entries.get(id);
    if (entry !== undefined) this.entries.set(id, { ...entry, digest });
  }

  get(id: string): ActivityEntry | undefined {
    return this.entries.get(id);
  }

  /** Most recently updated first. */
  list(): ActivityEntry[] {
    return [...this.entries.values()].reverse();
  }
}
