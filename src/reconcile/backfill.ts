/**
 * Loads Stripe's history into Salesforce: lists each kind of object created since a date
 * (streaming: one page in memory at a time), wraps each in the synthetic event its state stands
 * for and applies the events in large batches through the consumer's core (see apply-events.ts).
 *
 * Resumable: after every batch a checkpoint records the kind and the last object done, so an
 * interrupted run (Ctrl-C, a crash, the Salesforce call cap) continues where it stopped and ends in
 * the same Salesforce state as an uninterrupted one. Every event of one backfill carries the same
 * `created` (its start, minus a margin for clock skew), so the records it writes are ordered
 * against live events the same way whenever they are written.
 */
import type { ApplyEvents, ItemResult, SyntheticItem } from './apply-events.js';
import { KINDS, syntheticEvent, type KindSpec, type ObjectKind, type StripeObject } from './stripe-objects.js';

export interface KindTotals {
  read: number;
  applied: number;
  skipped: number;
  stale: number;
  failed: number;
}

export interface BackfillTotals extends KindTotals {
  created: number;
  updated: number;
  salesforceApiCalls: number;
  stripeListCalls: number;
  byKind: Partial<Record<ObjectKind, KindTotals>>;
  /** Why objects were skipped, with counts (a few distinct reasons). */
  skipReasons: Record<string, number>;
}

export interface BackfillCheckpoint {
  readonly version: 1;
  /** Seconds since the epoch: objects created at or after it. */
  readonly since: number;
  readonly objects: readonly ObjectKind[];
  /** Seconds: the `created` of every synthetic event of this backfill. */
  readonly asOf: number;
  readonly startedAt: number;
  /** The kind in progress; undefined once finished. */
  readonly kind: ObjectKind | undefined;
  /** The last object done in that kind (the list resumes after it). */
  readonly startingAfter: string | undefined;
  readonly finished: boolean;
  readonly dryRun: boolean;
  readonly totals: BackfillTotals;
}

export interface FailureEntry {
  readonly kind: ObjectKind;
  readonly objectId: string;
  readonly eventType: string;
  readonly code: string;
  readonly reason: string;
}

export interface BackfillProgress {
  readonly kind: ObjectKind;
  readonly totals: BackfillTotals;
  /** 0..1 over all kinds, estimated from the `created` of the last object read. */
  readonly fraction: number;
  /** Since this run started (a resumed backfill counts from its resumption). */
  readonly elapsedMs: number;
  /** `totals.read` when this run started. */
  readonly readAtStart: number;
}

export interface ListedPage {
  readonly listCalls: number;
}

export interface BackfillPorts {
  /** Objects of a kind created at or after `createdGte`, newest first, after `startingAfter`. */
  readonly list: (spec: KindSpec, params: { readonly createdGte: number; readonly startingAfter: string | undefined; readonly onListCall: () => void }) => AsyncIterable<StripeObject>;
  /** Applies synthetic events (undefined in a dry run). */
  readonly apply: ApplyEvents | undefined;
  /** Maps one synthetic event without writing (dry run): records it would write, or why not. */
  readonly preview: (event: Record<string, unknown>) => { readonly records: number } | { readonly skip: string };
  readonly checkpoints: {
    load(): Promise<BackfillCheckpoint | undefined>;
    save(checkpoint: BackfillCheckpoint): Promise<void>;
  };
  readonly failures: (entries: readonly FailureEntry[]) => Promise<void>;
  readonly progress: (progress: BackfillProgress) => void;
  /** Ctrl-C: stop after the batch in progress. */
  readonly stopRequested: () => boolean;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

export interface BackfillOptions {
  readonly since: number;
  readonly objects: readonly ObjectKind[];
  readonly batchSize: number;
  /** Stop (resumable) before a batch would take the run past this many Salesforce API calls. */
  readonly maxSalesforceCalls: number;
  readonly dryRun: boolean;
  /** Discard an existing checkpoint and start over. */
  readonly restart: boolean;
  /** Subtracted from the start time for `asOf`: a laptop clock ahead of Stripe's must not win. */
  readonly clockMarginSeconds?: number;
}

export type BackfillStatus = 'finished' | 'interrupted' | 'call_cap' | 'already_finished';

export interface BackfillResult {
  readonly status: BackfillStatus;
  readonly checkpoint: BackfillCheckpoint;
  readonly resumed: boolean;
  /** Objects read by this run (a resumed backfill read the others before). */
  readonly readThisRun: number;
}

export class CheckpointMismatchError extends Error {
  override readonly name = 'CheckpointMismatchError';
}

const DEFAULT_CLOCK_MARGIN_SECONDS = 300;

const zero = (): KindTotals => ({ read: 0, applied: 0, skipped: 0, stale: 0, failed: 0 });

function freshTotals(): BackfillTotals {
  return { ...zero(), created: 0, updated: 0, salesforceApiCalls: 0, stripeListCalls: 0, byKind: {}, skipReasons: {} };
}

export async function runBackfill(ports: BackfillPorts, options: BackfillOptions): Promise<BackfillResult> {
  const startedAt = ports.now();
  const stored = options.restart ? undefined : await ports.checkpoints.load();
  if (stored !== undefined && (stored.since !== options.since || stored.objects.join(',') !== options.objects.join(',') || stored.dryRun !== options.dryRun)) {
    throw new CheckpointMismatchError(
      `The checkpoint is of another backfill (since ${new Date(stored.since * 1000).toISOString()}, objects ${stored.objects.join(',')}${stored.dryRun ? ', dry run' : ''}): resume it with the same options, or pass --restart`,
    );
  }
  if (stored?.finished === true) return { status: 'already_finished', checkpoint: stored, resumed: true, readThisRun: 0 };

  let checkpoint: BackfillCheckpoint = stored ?? {
    version: 1,
    since: options.since,
    objects: options.objects,
    asOf: Math.floor(startedAt / 1000) - (options.clockMarginSeconds ?? DEFAULT_CLOCK_MARGIN_SECONDS),
    startedAt,
    kind: options.objects[0],
    startingAfter: undefined,
    finished: false,
    dryRun: options.dryRun,
    totals: freshTotals(),
  };
  const totals = structuredClone(checkpoint.totals);
  const readAtStart = totals.read;
  const done = (status: BackfillStatus): BackfillResult => ({ status, checkpoint, resumed: stored !== undefined, readThisRun: totals.read - readAtStart });
  const save = async (next: Partial<BackfillCheckpoint>): Promise<void> => {
    checkpoint = { ...checkpoint, ...next, totals: structuredClone(totals) };
    await ports.checkpoints.save(checkpoint);
  };
  await save({});

  let lastBatchCalls = 0;
  const first = checkpoint.kind === undefined ? options.objects.length : options.objects.indexOf(checkpoint.kind);
  for (let index = first; index < options.objects.length; index++) {
    const kind = options.objects[index] as ObjectKind;
    const spec = KINDS[kind];
    const kindTotals = (totals.byKind[kind] ??= zero());
    const listStart = Math.floor(ports.now() / 1000);
    let startingAfter = kind === checkpoint.kind ? checkpoint.startingAfter : undefined;
    const progress = (created: number | undefined): void => {
      const within = created === undefined ? 0 : Math.min(1, Math.max(0, (listStart - created) / Math.max(1, listStart - options.since)));
      ports.progress({ kind, totals, fraction: (index + within) / options.objects.length, elapsedMs: ports.now() - startedAt, readAtStart });
    };

    if (spec.resource !== undefined) {
      let batch: StripeObject[] = [];
      const flush = async (): Promise<BackfillStatus | undefined> => {
        if (batch.length === 0) return undefined;
        if (!options.dryRun && totals.salesforceApiCalls + Math.max(lastBatchCalls, 1) > options.maxSalesforceCalls) return 'call_cap';
        const callsBefore = totals.salesforceApiCalls;
        await applyBatch(ports, options, spec, batch, checkpoint.asOf, totals, kindTotals);
        lastBatchCalls = totals.salesforceApiCalls - callsBefore;
        startingAfter = batch[batch.length - 1]?.id;
        const lastCreated = batch[batch.length - 1]?.created;
        batch = [];
        await save({ kind, startingAfter });
        progress(lastCreated);
        return ports.stopRequested() ? 'interrupted' : undefined;
      };
      const objects = ports.list(spec, {
        createdGte: options.since,
        startingAfter,
        onListCall: () => {
          totals.stripeListCalls += 1;
        },
      });
      for await (const object of objects) {
        batch.push(object);
        if (batch.length < options.batchSize) continue;
        const stop = await flush();
        if (stop !== undefined) return done(stop);
      }
      const stop = await flush();
      if (stop !== undefined) return done(stop);
    }
    const next = options.objects[index + 1];
    await save({ kind: next, startingAfter: undefined, finished: next === undefined });
    progress(options.since);
    if (next !== undefined && ports.stopRequested()) return done('interrupted');
  }
  if (!checkpoint.finished) await save({ kind: undefined, startingAfter: undefined, finished: true });
  return done('finished');
}

async function applyBatch(
  ports: BackfillPorts,
  options: BackfillOptions,
  spec: KindSpec,
  objects: readonly StripeObject[],
  asOf: number,
  totals: BackfillTotals,
  kindTotals: KindTotals,
): Promise<void> {
  const count = (field: keyof KindTotals, n = 1): void => {
    totals[field] += n;
    kindTotals[field] += n;
  };
  const skip = (reason: string): void => {
    count('skipped');
    totals.skipReasons[reason] = (totals.skipReasons[reason] ?? 0) + 1;
  };
  count('read', objects.length);
  const items: Array<SyntheticItem & { readonly eventType: string }> = [];
  for (const object of objects) {
    const decision = spec.eventType(object);
    if ('skip' in decision) {
      skip(decision.skip);
      continue;
    }
    items.push({ key: object.id, eventType: decision.type, event: syntheticEvent(decision.type, spec.eventObject(object), asOf) });
  }
  if (options.dryRun || ports.apply === undefined) {
    for (const item of items) {
      const preview = ports.preview(item.event);
      if ('skip' in preview) skip(preview.skip);
      else count('applied');
    }
    return;
  }
  const result = await ports.apply(items);
  totals.created += result.created;
  totals.updated += result.updated;
  totals.salesforceApiCalls += result.salesforceApiCalls;
  const failures: FailureEntry[] = [];
  result.items.forEach((r: ItemResult, i) => {
    const item = items[i] as (typeof items)[number];
    if (r.outcome === 'applied') count('applied');
    else if (r.outcome === 'stale') count('stale');
    else if (r.outcome === 'skipped') skip(r.note ?? 'nothing to write');
    else {
      count('failed');
      failures.push({ kind: spec.kind, objectId: item.key, eventType: item.eventType, code: r.code ?? 'UNKNOWN', reason: r.note ?? '' });
    }
  });
  if (failures.length > 0) await ports.failures(failures);
}
