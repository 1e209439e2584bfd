/**
 * Applies synthetic events (an object's current state, see stripe-objects.ts) through the
 * consumer's own core, `processBatch`: the same interpreter and mappers, the same precedence keys
 * checked by Salesforce (contracts/precedence, docs/consistency.md), the same batched Salesforce
 * writer. Only what is specific to a synthetic event differs: it is not claimed (it has no
 * delivery to deduplicate), a failure is reported to the caller instead of a DLQ, and a transient
 * failure is retried here a few times.
 *
 * The precedence keys are why a backfill never overwrites newer state: its events are stamped
 * with the backfill's start time, so a live event created after it wins, and one created before
 * it loses to the state the backfill read later.
 */
import { randomUUID } from 'node:crypto';
import type { ClaimResult } from '../dedup/event-store.js';
import type { EventOutcome } from '../inbound/process-batch.js';
import { processBatch } from '../inbound/process-batch.js';
import type { ConsumerPorts, DeadLetterFailure, EventStorePort, InboundRecord, InterpretedEvent, SalesforceWritePort } from '../inbound/ports.js';
import type { Logger } from '../logging.js';
import type { WriteResult, WriteItem, SalesforceWriter } from '../salesforce/writer.js';

export interface SyntheticItem {
  /** Identifies the item in the results (the Stripe object id). */
  readonly key: string;
  readonly event: Record<string, unknown>;
}

export interface ItemResult {
  readonly key: string;
  readonly outcome: 'applied' | 'skipped' | 'stale' | 'failed';
  readonly note?: string | undefined;
  readonly code?: string | undefined;
}

export interface ApplyResult {
  readonly items: readonly ItemResult[];
  /** Records Salesforce created / updated (upserts report which; updates by Id count as updated). */
  readonly created: number;
  readonly updated: number;
  readonly salesforceApiCalls: number;
}

export interface ApplierDeps {
  readonly writer: Pick<SalesforceWriter, 'write'>;
  readonly interpret: (json: unknown) => InterpretedEvent;
  readonly expand?: ConsumerPorts['expand'];
  readonly logger: Logger;
  readonly now: () => number;
  /** Waits between attempts of transient failures (ms). */
  readonly sleep: (ms: number) => Promise<void>;
  readonly maxAttempts?: number;
}

export type ApplyEvents = (items: readonly SyntheticItem[]) => Promise<ApplyResult>;

const DEFAULT_MAX_ATTEMPTS = 3;

export function createEventApplier(deps: ApplierDeps): ApplyEvents {
  const maxAttempts = deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  // Synthetic events are not deliveries: nothing to claim, nothing to commit.
  const store: EventStorePort = {
    claim: async (): Promise<ClaimResult> => ({ status: 'claimed', token: randomUUID() }),
    commit: async () => undefined,
    release: async () => undefined,
  };

  return async (items) => {
    const results = new Map<string, ItemResult>();
    // Why the mapper skipped an event, by event id (processBatch reports only that it did).
    const skipReasons = new Map<string, string>();
    const interpret = (json: unknown): InterpretedEvent => {
      const interpreted = deps.interpret(json);
      if (interpreted.result.outcome === 'skipped') skipReasons.set(interpreted.envelope.id, interpreted.result.reason);
      return interpreted;
    };
    let created = 0;
    let updated = 0;
    let apiCalls = 0;
    const writer: SalesforceWritePort = {
      async write(writeItems) {
        const result: WriteResult = await deps.writer.write(writeItems as readonly WriteItem[]);
        apiCalls += result.apiCalls;
        // Each record once, however many items contributed to it.
        const seen = new Set<string>();
        for (const outcome of result.outcomes.values()) {
          if (!outcome.ok) continue;
          for (const record of outcome.records) {
            const id = `${record.sobject}\u0000${record.keyValue}`;
            if (seen.has(id) || record.id === undefined) continue;
            seen.add(id);
            if (record.created === true) created += 1;
            else updated += 1;
          }
        }
        return { outcomes: result.outcomes, apiCalls: result.apiCalls };
      },
    };

    let pending = items;
    for (let attempt = 1; pending.length > 0 && attempt <= maxAttempts; attempt++) {
      const failures = new Map<string, DeadLetterFailure>();
      const retryIn: number[] = [];
      const ports: ConsumerPorts = {
        store,
        writer,
        interpret,
        expand: deps.expand ?? (async (json) => json),
        fetchEvent: async (eventId) => {
          throw new Error(`synthetic event ${eventId} has no reference to fetch`);
        },
        deadLetter: async (record, failure) => {
          failures.set(record.messageId, failure);
        },
        logger: deps.logger,
        now: deps.now,
        maxReceiveCount: maxAttempts,
        retry: {
          decide: (message, permanent) =>
            permanent || message.receiveCount >= maxAttempts ? { kind: 'dead_letter', cause: permanent ? 'permanent' : 'max_receives' } : { kind: 'retry', delaySeconds: 2 ** message.receiveCount },
          later: (_message, delaySeconds) => {
            retryIn.push(delaySeconds);
          },
        },
      };
      const records: InboundRecord[] = pending.map((item) => ({
        messageId: item.key,
        body: JSON.stringify(item.event),
        receiveCount: attempt,
        messageAttributes: {},
      }));
      const summary = await processBatch(records, ports);
      const retry: SyntheticItem[] = [];
      for (const item of pending) {
        const outcome: EventOutcome | undefined = summary.outcomes.get(item.key);
        if (outcome === 'retry') {
          retry.push(item);
          continue;
        }
        const failure = failures.get(item.key);
        results.set(item.key, resultOf(item.key, outcome, failure, skipReasons.get(String(item.event['id']))));
      }
      pending = retry;
      if (pending.length > 0 && attempt < maxAttempts) await deps.sleep(Math.max(...retryIn, 1) * 1000);
    }
    for (const item of pending) {
      results.set(item.key, { key: item.key, outcome: 'failed', code: 'RETRIES_EXHAUSTED', note: `still failing after ${maxAttempts} attempts` });
    }
    return { items: items.map((i) => results.get(i.key) as ItemResult), created, updated, salesforceApiCalls: apiCalls };
  };
}

function resultOf(key: string, outcome: EventOutcome | undefined, failure: DeadLetterFailure | undefined, skipReason: string | undefined): ItemResult {
  switch (outcome) {
    case 'applied':
      return { key, outcome: 'applied' };
    case 'stale':
      return { key, outcome: 'stale', note: 'Salesforce already shows newer state (a live event)' };
    case 'skipped':
    case 'duplicate':
      return { key, outcome: 'skipped', note: skipReason ?? 'nothing to write' };
    default:
      return { key, outcome: 'failed', code: failure?.code ?? 'UNKNOWN', note: failure?.reason ?? 'failed without a reason' };
  }
}
