/**
 * Catch-up from Stripe's Events API: every handled event that the dedup table does not know as
 * completed, in flight or dead-lettered is enqueued exactly as the ingress would have enqueued
 * it. Events are read oldest first from a checkpoint and the checkpoint advances only past events
 * that were enqueued (or needed nothing), so a run that stops for any reason (its page or time
 * budget, a crash, an outage) resumes where it stopped, without loss.
 *
 * Stripe lists newest first. Oldest-first reading uses `ending_before=<last event looked at>`:
 * each page holds the events right after the cursor, which we walk from its end. Without a cursor
 * (first run, or the cursor event is older than the 30 days Stripe keeps) the oldest events after
 * the checkpoint time are found with `created` ranges that widen while empty and narrow while a
 * page cannot hold them.
 *
 * Only events older than the settle delay are read: a webhook normally arrives within seconds, so
 * the reconciler recovers what did not arrive, not what is on its way. When nothing was missed a
 * run costs one list call per type group (plus one DynamoDB read per page of events).
 *
 * An event the consumer received and gave back to the queue for later (a Salesforce outage defers
 * whole batches for hours) is not missed: it is passed without being enqueued, and its id kept in
 * the checkpoint's `waiting` list. Each run asks the ledger about the waiting events again: done or
 * dead-lettered ones are dropped; one that is neither done nor queued any more (the queue was
 * purged) is fetched from the Events API and recovered. Past `MAX_WAITING` ids the group stops at
 * the next queued event instead and resumes from it, so nothing is passed unwatched.
 */
import { errorCode } from '../errors.js';
import type { StripeEventSummary } from '../ingress/inbound-message.js';
import type { Logger } from '../logging.js';
import type { Checkpoint, CheckpointStore } from './checkpoint.js';
import type { EventLedger } from './event-ledger.js';
import type { TypeGroup } from './type-groups.js';

/** What the reconciler reads of a listed event; the JSON it enqueues is the whole event. */
export interface ListedEvent {
  readonly id: string;
  readonly type: string;
  readonly created: number;
  readonly livemode: boolean;
  readonly api_version?: string | null;
}

export interface EventsPage {
  readonly data: readonly ListedEvent[];
  readonly has_more: boolean;
}

export interface ListEventsParams {
  readonly types: readonly string[];
  readonly limit: number;
  readonly created: { readonly gt?: number; readonly lte: number };
  readonly endingBefore?: string;
  readonly startingAfter?: string;
}

/** `GET /v1/events`; throws `CursorGoneError` when Stripe no longer knows the cursor event. */
export type ListEvents = (params: ListEventsParams) => Promise<EventsPage>;

export class CursorGoneError extends Error {
  override readonly name = 'CursorGoneError';
}

export interface CatchUpPorts {
  readonly listEvents: ListEvents;
  /** `GET /v1/events/:id`; undefined when Stripe no longer has it (30 days). */
  readonly fetchEvent: (eventId: string) => Promise<ListedEvent | undefined>;
  readonly ledger: EventLedger;
  /** Enqueues the event JSON as the ingress does; resolves once SQS stored it. */
  readonly enqueue: (eventJson: string, summary: StripeEventSummary) => Promise<void>;
  readonly checkpoints: CheckpointStore;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly logger: Logger;
}

export interface CatchUpOptions {
  readonly groups: readonly TypeGroup[];
  /** Events younger than this are left to the webhook (seconds). */
  readonly settleSeconds: number;
  /** How far back the very first run looks (seconds); capped by Stripe's 30 days. */
  readonly initialLookbackSeconds: number;
  /** List calls per group and run. */
  readonly maxPages: number;
  /** Events per list call (default PAGE_SIZE, Stripe's largest; tests page through fewer events). */
  readonly pageSize?: number;
  /** The run stops starting new pages at this time (ms since the epoch). */
  readonly deadline: number;
}

export interface GroupResult {
  readonly group: string;
  readonly scanned: number;
  readonly recovered: number;
  readonly pages: number;
  /** The log was read to the settle window's end (false: a budget stopped it; the next run resumes). */
  readonly complete: boolean;
  readonly checkpoint: Checkpoint;
}

export interface CatchUpResult {
  readonly recovered: number;
  readonly scanned: number;
  readonly listCalls: number;
  readonly complete: boolean;
  /** Seconds between now and the oldest `scannedThrough` of the groups. */
  readonly lagSeconds: number;
  readonly recoveredEventIds: readonly string[];
  /** Events the consumer holds in the queue for later (an outage), watched by the next runs. */
  readonly waiting: number;
  readonly groups: readonly GroupResult[];
}

export const PAGE_SIZE = 100;
/** Waiting ids kept per group (the checkpoint item stays far below DynamoDB's 400 KB). */
export const MAX_WAITING = 500;
/** Stripe keeps events 30 days; an hour's margin so a cursor does not expire mid-run. */
const RETENTION_SECONDS = 30 * 86_400 - 3_600;

export async function catchUp(ports: CatchUpPorts, options: CatchUpOptions): Promise<CatchUpResult> {
  const groups: GroupResult[] = [];
  const recoveredIds: string[] = [];
  for (const group of options.groups) {
    groups.push(await catchUpGroup(ports, options, group, recoveredIds));
  }
  const nowSeconds = Math.floor(ports.now() / 1000);
  const oldest = Math.min(...groups.map((g) => g.checkpoint.scannedThrough));
  return {
    recovered: recoveredIds.length,
    scanned: groups.reduce((sum, g) => sum + g.scanned, 0),
    listCalls: groups.reduce((sum, g) => sum + g.pages, 0),
    complete: groups.every((g) => g.complete),
    lagSeconds: groups.length === 0 ? 0 : Math.max(0, nowSeconds - oldest),
    recoveredEventIds: recoveredIds,
    waiting: groups.reduce((sum, g) => sum + g.checkpoint.waiting.length, 0),
    groups,
  };
}

interface Cursor {
  checkpoint: Checkpoint;
  /** Persisted state differs from `checkpoint`. */
  dirty: boolean;
}

async function catchUpGroup(ports: CatchUpPorts, options: CatchUpOptions, group: TypeGroup, recoveredIds: string[]): Promise<GroupResult> {
  const nowSeconds = Math.floor(ports.now() / 1000);
  const windowEnd = nowSeconds - options.settleSeconds;
  const floor = nowSeconds - RETENTION_SECONDS;
  const stored = await ports.checkpoints.read(group.key);
  const start = stored ?? { created: nowSeconds - Math.min(options.initialLookbackSeconds, RETENTION_SECONDS), eventId: undefined, scannedThrough: 0, waiting: [] };
  const cursor: Cursor = { checkpoint: start, dirty: stored === undefined };
  let recovered = 0;
  const recover = async (event: ListedEvent): Promise<void> => {
    await ports.enqueue(JSON.stringify(event), summaryOf(event));
    recovered += 1;
    recoveredIds.push(event.id);
    ports.logger.info({ eventId: event.id, eventType: event.type, eventCreated: event.created, outcome: 'recovered' }, 'reconciler enqueued a missed event');
  };
  if (cursor.checkpoint.created < floor) {
    // Stripe no longer lists these: whatever happened before is beyond the Events API's reach.
    ports.logger.warn({ group: group.key, checkpointCreated: cursor.checkpoint.created }, 'reconciler checkpoint older than Stripe keeps events; resuming 30 days back');
    cursor.checkpoint = { ...cursor.checkpoint, created: floor, eventId: undefined };
    cursor.dirty = true;
  }

  let pages = 0;
  let scanned = 0;
  let complete = false;
  const list = async (params: Omit<ListEventsParams, 'types' | 'limit'>): Promise<EventsPage> => {
    pages += 1;
    return ports.listEvents({ types: group.types, limit: options.pageSize ?? PAGE_SIZE, ...params });
  };
  const budgetLeft = () => pages < options.maxPages && ports.now() < options.deadline;

  try {
    if (cursor.checkpoint.waiting.length > 0) await revisitWaiting(ports, group, cursor, recover);
    let held = false;
    while (!held && budgetLeft()) {
      let batch: { events: readonly ListedEvent[]; hasMore: boolean };
      if (cursor.checkpoint.eventId !== undefined) {
        try {
          const page = await list({ endingBefore: cursor.checkpoint.eventId, created: { lte: windowEnd } });
          batch = { events: [...page.data].reverse(), hasMore: page.has_more };
        } catch (err) {
          if (!(err instanceof CursorGoneError)) throw err;
          // The cursor event aged out of the log: find the next events by time instead.
          cursor.checkpoint = { ...cursor.checkpoint, eventId: undefined };
          cursor.dirty = true;
          continue;
        }
      } else {
        const sought = await seek(list, cursor, windowEnd, budgetLeft);
        if (sought === undefined) break;
        batch = sought;
      }

      if (batch.events.length === 0) {
        if (!batch.hasMore) complete = true;
        break;
      }
      const states = await ports.ledger.states(batch.events.map((e) => e.id));
      for (const event of batch.events) {
        scanned += 1;
        const state = states.get(event.id) ?? 'unknown';
        if (state === 'queued' && cursor.checkpoint.waiting.length >= MAX_WAITING) {
          // Too many to watch: resume from here once the consumer has worked through its queue.
          held = true;
          break;
        }
        if (state === 'unknown') {
          await recover(event);
          // Persisted at once: a crash now costs at most this one event enqueued twice (harmless).
          cursor.checkpoint = { ...cursor.checkpoint, created: event.created, eventId: event.id };
          await save(ports, group, cursor.checkpoint);
          cursor.dirty = false;
        } else if (state === 'queued') {
          cursor.checkpoint = { ...cursor.checkpoint, created: event.created, eventId: event.id, waiting: [...cursor.checkpoint.waiting, event.id] };
          cursor.dirty = true;
        } else {
          cursor.checkpoint = { ...cursor.checkpoint, created: event.created, eventId: event.id };
          cursor.dirty = true;
        }
      }
      if (!held && !batch.hasMore) {
        complete = true;
        break;
      }
    }
  } finally {
    if (complete) {
      cursor.checkpoint = { ...cursor.checkpoint, scannedThrough: Math.max(cursor.checkpoint.scannedThrough, windowEnd) };
      cursor.dirty = true;
    }
    if (cursor.dirty) {
      await save(ports, group, cursor.checkpoint).catch((err: unknown) => {
        ports.logger.warn({ group: group.key, errorCode: errorCode(err) }, 'could not save the reconciler checkpoint; the next run repeats some reads');
      });
    }
  }
  return { group: group.key, scanned, recovered, pages, complete, checkpoint: cursor.checkpoint };
}

/**
 * The events passed while they waited in the queue: done or dead-lettered ones are dropped, queued
 * or in-flight ones kept, and one that is none of these any more left the queue without being done
 * (a purge, a lost message): it is fetched from Stripe and recovered.
 */
async function revisitWaiting(ports: CatchUpPorts, group: TypeGroup, cursor: Cursor, recover: (event: ListedEvent) => Promise<void>): Promise<void> {
  const states = await ports.ledger.states(cursor.checkpoint.waiting);
  const still: string[] = [];
  for (const eventId of cursor.checkpoint.waiting) {
    const state = states.get(eventId) ?? 'unknown';
    if (state === 'queued' || state === 'in_progress') {
      still.push(eventId);
      continue;
    }
    if (state === 'unknown') {
      const event = await ports.fetchEvent(eventId);
      if (event === undefined) ports.logger.warn({ group: group.key, eventId }, 'an event that waited in the queue left it undone and Stripe no longer has it');
      else await recover(event);
    }
  }
  if (still.length !== cursor.checkpoint.waiting.length) {
    cursor.checkpoint = { ...cursor.checkpoint, waiting: still };
    await save(ports, group, cursor.checkpoint);
    cursor.dirty = false;
  }
}

async function save(ports: CatchUpPorts, group: TypeGroup, checkpoint: Checkpoint): Promise<void> {
  await ports.checkpoints.write(group.key, checkpoint);
}

/**
 * The oldest events after `checkpoint.created` (no cursor): a `created` range that widens while
 * it is empty (the checkpoint moves forward through quiet time) and narrows while one page cannot
 * hold it. A single second with more than a page of events is walked to its oldest page.
 * Returns undefined when the budget ran out first.
 */
async function seek(
  list: (params: Omit<ListEventsParams, 'types' | 'limit'>) => Promise<EventsPage>,
  cursor: Cursor,
  windowEnd: number,
  budgetLeft: () => boolean,
): Promise<{ events: readonly ListedEvent[]; hasMore: boolean } | undefined> {
  // The whole remaining window first: when it holds at most a page, one call finds everything.
  let span = Math.max(1, windowEnd - cursor.checkpoint.created);
  while (budgetLeft()) {
    const from = cursor.checkpoint.created;
    if (from >= windowEnd) return { events: [], hasMore: false };
    const to = Math.min(from + span, windowEnd);
    const page = await list({ created: { gt: from, lte: to } });
    if (page.data.length === 0) {
      cursor.checkpoint = { ...cursor.checkpoint, created: to };
      cursor.dirty = true;
      if (to >= windowEnd) return { events: [], hasMore: false };
      span *= 4;
      continue;
    }
    if (!page.has_more) return { events: [...page.data].reverse(), hasMore: to < windowEnd };
    if (span > 1) {
      span = Math.max(1, Math.floor(span / 8));
      continue;
    }
    // More than a page of events in one second: its oldest page is the last one.
    let last = page;
    while (last.has_more && budgetLeft()) {
      const after = last.data[last.data.length - 1];
      if (after === undefined) break;
      last = await list({ created: { gt: from, lte: to }, startingAfter: after.id });
    }
    if (last.has_more) return undefined;
    return { events: [...last.data].reverse(), hasMore: true };
  }
  return undefined;
}

function summaryOf(event: ListedEvent): StripeEventSummary {
  return {
    id: event.id,
    type: event.type,
    created: event.created,
    livemode: event.livemode,
    apiVersion: event.api_version ?? undefined,
  };
}
