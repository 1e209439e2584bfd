/**
 * The consumer core: one SQS batch in, exactly the messages that must be retried out.
 *
 * 1. read each message (fetch it from Stripe when it travelled as a reference), validate it,
 *    claim its event id (duplicates end here) and map it to Salesforce mutations;
 * 2. advance the ordering guards, oldest event first, dropping mutations of stale events;
 * 3. write every remaining mutation of the batch in as few Salesforce calls as possible;
 * 4. per message: mark completed and acknowledge, or dead-letter with the reason, or give the
 *    claim back and report it for retry.
 */
import type { SQSBatchResponse } from 'aws-lambda';
import { errorCode, errorReason, isPermanent, PermanentError, type BridgeError } from '../errors.js';
import { readInboundMessage } from '../ingress/inbound-message.js';
import type { SalesforceMutation } from '../contracts/salesforce-mutation.js';
import type { ConsumerPorts, EventEnvelope, InboundRecord, WrittenRecordRef } from './ports.js';

export type EventOutcome = 'applied' | 'skipped' | 'duplicate' | 'stale' | 'retry' | 'dead_lettered';

interface Claimed {
  readonly record: InboundRecord;
  readonly envelope: EventEnvelope;
  readonly token: string;
  readonly rank: number;
  readonly mutations: readonly SalesforceMutation[];
}

type Prepared =
  | { readonly kind: 'settled'; readonly record: InboundRecord; readonly envelope?: EventEnvelope; readonly outcome: EventOutcome; readonly note?: string }
  | { readonly kind: 'failed'; readonly record: InboundRecord; readonly envelope?: EventEnvelope; readonly error: unknown; readonly token?: string }
  | ({ readonly kind: 'claimed' } & Claimed);

type Unclaimed = Exclude<Prepared, { kind: 'claimed' }>;

export interface BatchSummary {
  readonly response: SQSBatchResponse;
  readonly outcomes: ReadonlyMap<string, EventOutcome>;
  readonly salesforceApiCalls: number;
}

export async function processBatch(records: readonly InboundRecord[], ports: ConsumerPorts): Promise<BatchSummary> {
  const batchStart = ports.now();
  const prepared = await Promise.all(records.map((record) => prepare(record, ports)));

  const claimed = prepared.filter((p): p is Extract<Prepared, { kind: 'claimed' }> => p.kind === 'claimed');
  const guarded = await applyGuards(claimed, ports);

  const items = guarded
    .filter((g) => g.kept.length > 0 && g.error === undefined)
    .map((g) => ({ correlationId: g.claim.record.messageId, mutations: g.kept }));
  let writeOutcomes: Awaited<ReturnType<ConsumerPorts['writer']['write']>>['outcomes'] = new Map();
  let apiCalls = 0;
  let writeError: unknown;
  if (items.length > 0) {
    try {
      const result = await ports.writer.write(items);
      writeOutcomes = result.outcomes;
      apiCalls = result.apiCalls;
    } catch (err) {
      writeError = err;
    }
  }

  const outcomes = new Map<string, EventOutcome>();
  const failures: string[] = [];
  const settle = async (p: Unclaimed | GuardedClaim): Promise<void> => {
    const finished = await finish(p, { writeOutcomes, writeError }, ports);
    outcomes.set(finished.record.messageId, finished.outcome);
    if (finished.outcome === 'retry') failures.push(finished.record.messageId);
  };
  const unclaimed = prepared.filter((p): p is Unclaimed => p.kind !== 'claimed');
  await Promise.all([...unclaimed.map(settle), ...guarded.map(settle)]);

  ports.logger.info(
    {
      batchSize: records.length,
      failed: failures.length,
      salesforceApiCalls: apiCalls,
      durationMs: ports.now() - batchStart,
    },
    'batch processed',
  );
  return {
    response: { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) },
    outcomes,
    salesforceApiCalls: apiCalls,
  };
}

async function prepare(record: InboundRecord, ports: ConsumerPorts): Promise<Prepared> {
  let envelope: EventEnvelope | undefined;
  try {
    const message = readInboundMessage(record.body, record.messageAttributes);
    const json = message.kind === 'reference' ? await ports.fetchEvent(message.event.id) : message.eventJson;
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (err) {
      throw new PermanentError('Message body is not JSON', { code: 'EVENT_NOT_JSON', cause: err });
    }
    const interpreted = ports.interpret(await ports.expand(parsed));
    // The interpreter logs each event API version once per cold start (src/inbound/interpret.ts).
    envelope = interpreted.envelope;

    const claim = await ports.store.claim(envelope.id, envelope.type);
    if (claim.status === 'completed') {
      return { kind: 'settled', record, envelope, outcome: 'duplicate', ...(claim.outcome ? { note: `first outcome: ${claim.outcome}` } : {}) };
    }
    if (claim.status === 'in_progress') {
      // Another attempt holds the lease; if it crashed, the lease runs out before SQS redelivers.
      return { kind: 'settled', record, envelope, outcome: 'retry', note: 'event in progress elsewhere' };
    }
    const result = interpreted.result;
    if (result.outcome === 'skipped' || result.effect.mutations.length === 0) {
      const reason = result.outcome === 'skipped' ? result.reason : 'nothing to write';
      await ports.store.complete(envelope.id, claim.token, 'skipped');
      return { kind: 'settled', record, envelope, outcome: 'skipped', note: reason };
    }
    return {
      kind: 'claimed',
      record,
      envelope,
      token: claim.token,
      rank: result.effect.rank,
      mutations: result.effect.mutations,
    };
  } catch (error) {
    return { kind: 'failed', record, ...(envelope ? { envelope } : {}), error };
  }
}

interface GuardedClaim {
  readonly kind: 'guarded';
  readonly claim: Claimed;
  readonly kept: readonly SalesforceMutation[];
  readonly staleGuards: readonly string[];
  readonly error: unknown;
}

/**
 * Advances each record's guard for the events of this batch in event order (oldest first), so
 * that within a batch, too, an older event never lands on top of a newer one. Guards of
 * different records advance in parallel.
 */
async function applyGuards(claims: readonly Claimed[], ports: ConsumerPorts): Promise<GuardedClaim[]> {
  const ordered = [...claims].sort((a, b) => a.envelope.created - b.envelope.created || a.rank - b.rank);
  const byGuard = new Map<string, Claimed[]>();
  for (const claim of ordered) {
    for (const guard of new Set(claim.mutations.map((m) => m.guard))) {
      const list = byGuard.get(guard) ?? [];
      list.push(claim);
      byGuard.set(guard, list);
    }
  }
  const stale = new Map<Claimed, string[]>();
  const errors = new Map<Claimed, unknown>();
  await Promise.all(
    [...byGuard].map(async ([guard, events]) => {
      for (const claim of events) {
        try {
          const result = await ports.store.advanceGuard(guard, {
            eventId: claim.envelope.id,
            created: claim.envelope.created,
            rank: claim.rank,
          });
          if (!result.applied) stale.set(claim, [...(stale.get(claim) ?? []), guard]);
        } catch (err) {
          errors.set(claim, err);
        }
      }
    }),
  );
  return ordered.map((claim) => {
    const staleGuards = stale.get(claim) ?? [];
    return {
      kind: 'guarded' as const,
      claim,
      kept: claim.mutations.filter((m) => !staleGuards.includes(m.guard)),
      staleGuards,
      error: errors.get(claim),
    };
  });
}

interface Finished {
  readonly record: InboundRecord;
  readonly outcome: EventOutcome;
}

async function finish(
  p: Unclaimed | GuardedClaim,
  write: { readonly writeOutcomes: ReadonlyMap<string, { ok: boolean; error?: BridgeError; records: readonly WrittenRecordRef[] }>; readonly writeError: unknown },
  ports: ConsumerPorts,
): Promise<Finished> {
  const started = ports.now();
  if (p.kind === 'settled') {
    log(ports, p.record, p.envelope, p.outcome, started, { note: p.note });
    return { record: p.record, outcome: p.outcome };
  }
  if (p.kind === 'failed') {
    return fail(p.record, p.envelope, p.error, p.token, ports, started);
  }
  const { claim } = p;
  if (p.error !== undefined) return fail(claim.record, claim.envelope, p.error, claim.token, ports, started);
  if (p.kept.length === 0) {
    await completeOrWarn(claim, 'stale', ports);
    log(ports, claim.record, claim.envelope, 'stale', started, { staleGuards: p.staleGuards });
    return { record: claim.record, outcome: 'stale' };
  }
  if (write.writeError !== undefined) return fail(claim.record, claim.envelope, write.writeError, claim.token, ports, started);
  const outcome = write.writeOutcomes.get(claim.record.messageId);
  if (outcome === undefined) {
    const missing = new PermanentError('The Salesforce writer returned no result for this message', { code: 'WRITE_RESULT_MISSING' });
    return fail(claim.record, claim.envelope, missing, claim.token, ports, started);
  }
  if (!outcome.ok) return fail(claim.record, claim.envelope, outcome.error, claim.token, ports, started);
  await completeOrWarn(claim, 'applied', ports);
  log(ports, claim.record, claim.envelope, 'applied', started, {
    records: outcome.records.map((r) => `${r.sobject}:${r.id ?? '?'}`),
    ...(p.staleGuards.length > 0 ? { staleGuards: p.staleGuards } : {}),
  });
  return { record: claim.record, outcome: 'applied' };
}

/**
 * Salesforce already holds the effect; a lost completed marker only means a later duplicate is
 * applied again, which the upserts make harmless. Acknowledge either way.
 */
async function completeOrWarn(claim: Claimed, outcome: string, ports: ConsumerPorts): Promise<void> {
  try {
    const completed = await ports.store.complete(claim.envelope.id, claim.token, outcome);
    if (!completed) ports.logger.warn({ eventId: claim.envelope.id }, 'lease was taken over before completion');
  } catch (err) {
    ports.logger.warn({ eventId: claim.envelope.id, errorCode: errorCode(err) }, 'could not record completion');
  }
}

async function fail(
  record: InboundRecord,
  envelope: EventEnvelope | undefined,
  error: unknown,
  token: string | undefined,
  ports: ConsumerPorts,
  started: number,
): Promise<Finished> {
  if (token !== undefined && envelope !== undefined) {
    try {
      await ports.store.release(envelope.id, token);
    } catch (err) {
      // The lease expires by itself; the retry only waits for it.
      ports.logger.warn({ eventId: envelope.id, errorCode: errorCode(err) }, 'could not release claim');
    }
  }
  const permanent = isPermanent(error);
  // Transient failures are retried with backoff until the retry horizon (not a receive count).
  const decision = ports.retry.decide(record, permanent);
  const details = { errorCode: errorCode(error), reason: errorReason(error), permanent };
  if (decision.kind === 'dead_letter') {
    try {
      await ports.deadLetter(record, {
        code: details.errorCode,
        reason: details.reason,
        failedAt: new Date(ports.now()),
        receiveCount: record.receiveCount,
      });
      log(ports, record, envelope, 'dead_lettered', started, { ...details, deadLetterCause: decision.cause }, 'error');
      return { record, outcome: 'dead_lettered' };
    } catch (err) {
      // Not acknowledged: SQS redelivers it, and its redrive policy moves it to the DLQ in the end.
      log(ports, record, envelope, 'retry', started, { ...details, deadLetterError: errorCode(err) }, 'error');
      return { record, outcome: 'retry' };
    }
  }
  ports.retry.later(record, decision.delaySeconds);
  log(ports, record, envelope, 'retry', started, { ...details, retryInSeconds: decision.delaySeconds }, 'warn');
  return { record, outcome: 'retry' };
}

function log(
  ports: ConsumerPorts,
  record: InboundRecord,
  envelope: EventEnvelope | undefined,
  outcome: EventOutcome,
  started: number,
  extra: Record<string, unknown>,
  level: 'info' | 'warn' | 'error' = 'info',
): void {
  ports.logger[level](
    {
      eventId: envelope?.id,
      eventType: envelope?.type,
      messageId: record.messageId,
      receiveCount: record.receiveCount,
      outcome,
      durationMs: ports.now() - started,
      ...Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined)),
    },
    `event ${outcome}`,
  );
}
