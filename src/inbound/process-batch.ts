/**
 * The consumer core: one SQS batch in, exactly the messages that must be retried out.
 *
 * 1. read each message (fetch it from Stripe when it travelled as a reference) and validate it;
 *    a second copy of an event already in this batch is acknowledged as a duplicate;
 * 2. claim each event id (dedup/run-once lifecycle; completed ones are duplicates) and map it to
 *    Salesforce mutations, each versioned record write carrying its precedence key; a renewal or
 *    trial-end reminder becomes its period's Task, once (renewal-tasks.ts);
 * 3. write every mutation of the batch in as few Salesforce calls as possible: Salesforce keeps
 *    the newest key per record and rejects older writes as stale (docs/consistency.md); a failure
 *    Case whose invoice or payment the same batch pays is not opened;
 * 4. close the failure Cases whose money has now arrived (case-follow-up.ts);
 * 5. per message: commit and acknowledge (applied, stale, skipped), or dead-letter with the
 *    reason, or release the claim and report it for retry. Commits go out in one batch request.
 */
import type { SQSBatchResponse } from 'aws-lambda';
import type { ReadAfterWrite, ReadAnswer, SalesforceMutation } from '../contracts/salesforce-mutation.js';
import { Idempotency, type Completion } from '../dedup/run-once.js';
import { errorCode, errorReason, isPermanent, PermanentError, TransientError } from '../errors.js';
import { readInboundMessage } from '../ingress/inbound-message.js';
import type { OwedMoney, RenewalReminder } from '../mappers/mutation.js';
import { followUpCases, paidInBatch, type FollowUpItem } from './case-follow-up.js';
import { isOnboardingTask, ONBOARDING_CLAIM_KIND, onboardingClaimKey, onboardingTask, successfulPayment } from './onboarding.js';
import { decideReminders, TASK_CLAIM_KIND } from './renewal-tasks.js';
import { taskOwnerUpdates, tasksNeedingOwner } from './task-owners.js';
import type { ConsumerPorts, EventEnvelope, InboundRecord, WriteOutcome, WrittenRecordRef } from './ports.js';

export type EventOutcome = 'applied' | 'skipped' | 'duplicate' | 'stale' | 'retry' | 'dead_lettered';

interface Claimed {
  readonly record: InboundRecord;
  readonly envelope: EventEnvelope;
  readonly token: string;
  readonly mutations: readonly SalesforceMutation[];
  readonly owed?: OwedMoney | undefined;
  readonly note?: string;
  readonly reminder?: RenewalReminder | undefined;
  /** The period claim of the renewal Task this event writes: committed or released with the event. */
  readonly reminderClaim?: { readonly key: string; readonly token: string; readonly accountRemembered?: true };
}

/** A message whose fate is known before the Salesforce write. */
interface Settled {
  readonly kind: 'settled';
  readonly record: InboundRecord;
  readonly envelope?: EventEnvelope;
  readonly outcome: EventOutcome;
  readonly note?: string;
  /** Set when the claim is to be committed with this outcome. */
  readonly commit?: Completion;
}

interface Failed {
  readonly kind: 'failed';
  readonly record: InboundRecord;
  readonly envelope?: EventEnvelope;
  readonly error: unknown;
  readonly token?: string;
}

type Prepared = Settled | Failed | ({ readonly kind: 'claimed' } & Claimed);

interface Finished {
  readonly record: InboundRecord;
  readonly outcome: EventOutcome;
  readonly commit?: Completion;
}

export interface BatchSummary {
  readonly response: SQSBatchResponse;
  readonly outcomes: ReadonlyMap<string, EventOutcome>;
  readonly salesforceApiCalls: number;
}

export async function processBatch(records: readonly InboundRecord[], ports: ConsumerPorts): Promise<BatchSummary> {
  const batchStart = ports.now();
  const lifecycle = new Idempotency(ports.store, ports.logger);
  const read = await Promise.all(records.map((record) => readEvent(record, ports)));
  const mapped = await Promise.all(firstCopies(read).map((r) => ('kind' in r ? r : prepare(r.record, r.envelope, r.result, lifecycle))));
  const renewals = await withRenewalTasks(mapped, lifecycle, ports);
  const prepared = renewals.prepared;

  const settled = withoutPaidCases(withTaskSettings(prepared.filter((p): p is Extract<Prepared, { kind: 'claimed' }> => p.kind === 'claimed'), ports.tasks));
  const { claimed, onboarding } = await withOnboarding(settled, lifecycle, ports);
  const reads = claimed.length === 0 ? [] : (ports.rollups?.readsNow(claimed.flatMap((c) => c.mutations)) ?? []);
  const written = await writeAll(claimed, ports, reads);
  const cases = await closePaidCases(claimed, written, lifecycle, ports);
  const write: BatchWrite = { ...written, apiCalls: written.apiCalls + cases.apiCalls, followUpErrors: cases.errors };
  const claimedById = new Map(claimed.map((c) => [c.record.messageId, c]));

  const finished = await Promise.all(
    prepared.map((p): Promise<Finished> => {
      const started = ports.now();
      if (p.kind === 'settled') {
        log(ports, p.record, p.envelope, p.outcome, started, { note: p.note });
        return Promise.resolve({ record: p.record, outcome: p.outcome, ...(p.commit ? { commit: p.commit } : {}) });
      }
      if (p.kind === 'failed') return fail(p.record, p.envelope, p.error, p.token, lifecycle, ports, started);
      // As written: without a Case the same batch paid for (withoutPaidCases), with its note.
      return finish(claimedById.get(p.record.messageId) ?? p, write, lifecycle, ports, started);
    }),
  );
  const onboarded = await settleOnboarding(onboarding, finished, lifecycle, ports.onboarding?.known);
  await lifecycle.commit([...finished.flatMap((f) => (f.commit ? [f.commit] : [])), ...(await settleReminderClaims(claimed, finished, write, lifecycle, ports)), ...onboarded]);
  const rollupCalls = await rollUp(claimed, write, ports);
  const salesforceApiCalls = renewals.apiCalls + write.apiCalls + rollupCalls;

  const outcomes = new Map(finished.map((f) => [f.record.messageId, f.outcome]));
  const failures = finished.filter((f) => f.outcome === 'retry').map((f) => f.record.messageId);
  ports.logger.info(
    { batchSize: records.length, failed: failures.length, salesforceApiCalls, durationMs: ports.now() - batchStart },
    'batch processed',
  );
  return {
    response: { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) },
    outcomes,
    salesforceApiCalls,
  };
}

interface ReadEvent {
  readonly record: InboundRecord;
  readonly envelope: EventEnvelope;
  readonly result: ReturnType<ConsumerPorts['interpret']>['result'];
}

async function readEvent(record: InboundRecord, ports: ConsumerPorts): Promise<ReadEvent | Failed> {
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
    return { record, envelope, result: interpreted.result };
  } catch (error) {
    return { kind: 'failed', record, ...(envelope ? { envelope } : {}), error };
  }
}

/**
 * The same event twice in one batch (Stripe delivered it twice, or a replay met the original):
 * the first copy goes on, the others are acknowledged as duplicates — the first carries the
 * event whatever becomes of it.
 */
function firstCopies(read: readonly (ReadEvent | Failed)[]): (ReadEvent | Settled | Failed)[] {
  const seen = new Set<string>();
  return read.map((r) => {
    if ('kind' in r) return r;
    if (!seen.has(r.envelope.id)) {
      seen.add(r.envelope.id);
      return r;
    }
    return { kind: 'settled', record: r.record, envelope: r.envelope, outcome: 'duplicate', note: 'same event earlier in this batch' };
  });
}

async function prepare(record: InboundRecord, envelope: EventEnvelope, result: ReadEvent['result'], lifecycle: Idempotency): Promise<Prepared> {
  let claim;
  try {
    claim = await lifecycle.claim(envelope.id, envelope.type);
  } catch (error) {
    return { kind: 'failed', record, envelope, error };
  }
  if (claim.status === 'completed') {
    return { kind: 'settled', record, envelope, outcome: 'duplicate', ...(claim.outcome ? { note: `first outcome: ${claim.outcome}` } : {}) };
  }
  if (claim.status === 'in_progress') {
    // Another attempt holds the lease; if it crashed, the lease runs out before SQS redelivers.
    return { kind: 'settled', record, envelope, outcome: 'retry', note: 'event in progress elsewhere' };
  }
  if (result.outcome === 'skipped' || (result.effect.mutations.length === 0 && result.effect.reminder === undefined)) {
    const reason = result.outcome === 'skipped' ? result.reason : 'nothing to write';
    const commit = { key: envelope.id, kind: envelope.type, token: claim.token, outcome: 'skipped' };
    return { kind: 'settled', record, envelope, outcome: 'skipped', note: reason, commit };
  }
  return { kind: 'claimed', record, envelope, token: claim.token, mutations: result.effect.mutations, owed: result.effect.owed, reminder: result.effect.reminder };
}

/**
 * Reminders become their period's Task inside the event's own write (renewal-tasks.ts); an event
 * left with nothing to write is skipped with the reason, one whose period is held elsewhere (or
 * whose owner could not be read) is retried. Returns the Salesforce calls the owners cost.
 */
async function withRenewalTasks(
  prepared: readonly Prepared[],
  lifecycle: Idempotency,
  ports: ConsumerPorts,
): Promise<{ readonly prepared: Prepared[]; readonly apiCalls: number }> {
  const items = prepared.flatMap((p) => (p.kind === 'claimed' && p.reminder !== undefined ? [{ messageId: p.record.messageId, reminder: p.reminder }] : []));
  if (items.length === 0) return { prepared: [...prepared], apiCalls: 0 };
  const { decisions, apiCalls } = await decideReminders(items, ports.renewals, lifecycle, ports.logger);
  const next = prepared.map((p): Prepared => {
    const decision = p.kind === 'claimed' ? decisions.get(p.record.messageId) : undefined;
    if (p.kind !== 'claimed' || decision === undefined) return p;
    if (decision.kind === 'task') return { ...p, mutations: [...p.mutations, ...decision.mutations], reminderClaim: decision.claim };
    if (decision.kind === 'retry') return { kind: 'failed', record: p.record, envelope: p.envelope, error: decision.error, token: p.token };
    if (p.mutations.length > 0) return { ...p, note: decision.note };
    const commit = { key: p.envelope.id, kind: p.envelope.type, token: p.token, outcome: 'skipped' };
    return { kind: 'settled', record: p.record, envelope: p.envelope, outcome: 'skipped', note: decision.note, commit };
  });
  return { prepared: next, apiCalls };
}

/**
 * A written event's Task period is done (its completion is returned); a failed one's claim is given
 * back, and so is one whose Task Salesforce refused for want of its Account (renewalTask): that
 * Account is forgotten, and a later announcement of the period reads the owners again.
 */
async function settleReminderClaims(
  claimed: readonly Claimed[],
  finished: readonly Finished[],
  write: BatchWrite,
  lifecycle: Idempotency,
  ports: ConsumerPorts,
): Promise<Completion[]> {
  const outcomes = new Map(finished.map((f) => [f.record.messageId, f.outcome]));
  const completions: Completion[] = [];
  await Promise.all(
    claimed.map(async (c) => {
      if (c.reminderClaim === undefined) return;
      const outcome = outcomes.get(c.record.messageId);
      // The period's Task and renewal Opportunity (both keyed on the period).
      const records = write.outcomes.get(c.record.messageId)?.records.filter((r) => r.keyValue === c.reminder?.key) ?? [];
      const written = records.length > 0 && records.every((r) => r.id !== undefined);
      if ((outcome === 'applied' || outcome === 'stale') && written) {
        completions.push({ ...c.reminderClaim, kind: TASK_CLAIM_KIND, outcome: 'task written' });
        return;
      }
      if (records.some((r) => r.id === undefined) && c.reminder?.customerId !== undefined) ports.renewals?.accounts?.forget(c.reminder.customerId);
      await lifecycle.release(c.reminderClaim.key, c.reminderClaim.token);
    }),
  );
  return completions;
}

/**
 * Cases only for money still owed: a failure whose invoice or payment another event of this batch
 * pays opens no Case (its other writes go ahead; Salesforce's rule covers what earlier batches paid).
 */
function withoutPaidCases<T extends Claimed>(claimed: readonly T[]): T[] {
  const paid = paidInBatch(claimed.map((c) => c.owed));
  return claimed.map((c) =>
    c.owed?.kind === 'failed' && paid.has(c.owed.stripeId)
      ? { ...c, mutations: c.mutations.filter((m) => m.sobject !== 'Case' && m.sobject !== 'Task'), owed: undefined, note: 'no Case: paid in this batch' }
      : c,
  );
}

/** Failed-payment Tasks as configured: none when turned off, else owned by the configured user or queue. */
function withTaskSettings<T extends Claimed>(claimed: readonly T[], settings: ConsumerPorts['tasks']): T[] {
  if (settings === undefined || (settings.enabled && settings.ownerId === undefined)) return [...claimed];
  const { ownerId } = settings;
  return claimed.map((c) =>
    c.mutations.some((m) => m.sobject === 'Task')
      ? {
          ...c,
          mutations: settings.enabled
            ? // An owner that is gone (a deactivated queue) is dropped: the Task is still written.
              c.mutations.map((m) =>
                m.sobject === 'Task' && ownerId !== undefined ? { ...m, fields: { ...m.fields, OwnerId: ownerId }, optionalReferences: [...(m.optionalReferences ?? []), 'OwnerId'] } : m,
              )
            : c.mutations.filter((m) => m.sobject !== 'Task'),
        }
      : c,
  );
}

/** An onboarding claim this batch holds, for the event whose write carries the Task. */
interface OnboardingClaim {
  readonly messageId: string;
  readonly customerId: string;
  readonly key: string;
  readonly token: string;
}

/**
 * The first successful payment of a customer adds its onboarding Task to that event's mutations,
 * when this batch wins the customer's claim (src/inbound/onboarding.ts). A claim that cannot be
 * read costs the Task, never the event: the customer's next payment tries again.
 */
async function withOnboarding<T extends Claimed>(
  claimed: readonly T[],
  lifecycle: Idempotency,
  ports: ConsumerPorts,
): Promise<{ readonly claimed: T[]; readonly onboarding: OnboardingClaim[] }> {
  if (ports.onboarding?.enabled !== true) return { claimed: [...claimed], onboarding: [] };
  const seen = new Set<string>();
  const candidates = claimed.flatMap((c) => {
    const payment = successfulPayment(c.envelope.id, c.mutations);
    if (payment === undefined || seen.has(payment.customerId) || ports.onboarding?.known.has(payment.customerId) === true) return [];
    seen.add(payment.customerId);
    return [{ messageId: c.record.messageId, payment }];
  });
  if (candidates.length === 0) return { claimed: [...claimed], onboarding: [] };
  const today = new Date(ports.now()).toISOString().slice(0, 10);
  const tasks = new Map<string, SalesforceMutation>();
  const onboarding: OnboardingClaim[] = [];
  await Promise.all(
    candidates.map(async ({ messageId, payment }) => {
      const key = onboardingClaimKey(payment.customerId);
      try {
        const claim = await lifecycle.claim(key, ONBOARDING_CLAIM_KIND);
        // Onboarded before: remembered for this execution environment, so it costs no more requests.
        if (claim.status === 'completed') ports.onboarding?.known.add(payment.customerId);
        if (claim.status !== 'claimed') return;
        onboarding.push({ messageId, customerId: payment.customerId, key, token: claim.token });
        tasks.set(messageId, onboardingTask(payment, today));
      } catch (err) {
        ports.logger.warn({ key, errorCode: errorCode(err) }, 'onboarding claim failed; the next payment tries again');
      }
    }),
  );
  return {
    claimed: claimed.map((c) => {
      const task = tasks.get(c.record.messageId);
      return task === undefined ? c : { ...c, mutations: [...c.mutations, task] };
    }),
    onboarding,
  };
}

/** Onboarding claims whose event was written are completed (returned to commit); the others are released. */
async function settleOnboarding(
  onboarding: readonly OnboardingClaim[],
  finished: readonly Finished[],
  lifecycle: Idempotency,
  known: Set<string> | undefined,
): Promise<Completion[]> {
  const outcomes = new Map(finished.map((f) => [f.record.messageId, f.outcome]));
  const done: Completion[] = [];
  for (const claim of onboarding) {
    const outcome = outcomes.get(claim.messageId);
    // The write went through (the Task with it): the customer is onboarded.
    if (outcome === 'applied' || outcome === 'stale') {
      done.push({ key: claim.key, kind: ONBOARDING_CLAIM_KIND, token: claim.token, outcome: 'task' });
      known?.add(claim.customerId);
    }
    else await lifecycle.release(claim.key, claim.token);
  }
  return done;
}

interface BatchWrite {
  readonly outcomes: ReadonlyMap<string, WriteOutcome>;
  readonly error: unknown;
  readonly apiCalls: number;
  readonly reads?: ReadonlyMap<string, ReadAnswer> | undefined;
  /** Messages whose Case follow-up failed after their write was applied. */
  readonly followUpErrors?: ReadonlyMap<string, unknown>;
}

/** Closes the failure Cases whose money arrived (case-follow-up.ts); nothing without the ports. */
async function closePaidCases(
  claimed: readonly Claimed[],
  write: BatchWrite,
  lifecycle: Idempotency,
  ports: ConsumerPorts,
): Promise<{ readonly errors: ReadonlyMap<string, unknown>; readonly apiCalls: number }> {
  if (ports.cases === undefined || write.error !== undefined) return { errors: new Map(), apiCalls: 0 };
  const items: FollowUpItem[] = claimed.flatMap((c) => {
    const outcome = write.outcomes.get(c.record.messageId);
    if (c.owed === undefined || outcome?.ok !== true) return [];
    const caseRecord = outcome.records.find((r) => r.sobject === 'Case' && r.stale !== true && r.id !== undefined);
    const taskRecord = outcome.records.find((r) => r.sobject === 'Task' && r.id !== undefined);
    return [{ messageId: c.record.messageId, eventId: c.envelope.id, owed: c.owed, caseId: caseRecord?.id, taskId: taskRecord?.id }];
  });
  return followUpCases(items, ports.cases, lifecycle, ports.logger);
}

/** One write for the whole batch; Salesforce orders each record by its precedence key. */
async function writeAll(claimed: readonly Claimed[], ports: ConsumerPorts, reads: readonly ReadAfterWrite[]): Promise<BatchWrite> {
  if (claimed.length === 0) return { outcomes: new Map(), error: undefined, apiCalls: 0 };
  try {
    const items = claimed.map((c) => ({ correlationId: c.record.messageId, mutations: c.mutations }));
    const result = await ports.writer.write(items, reads.length > 0 ? { reads } : undefined);
    return { outcomes: result.outcomes, error: undefined, apiCalls: result.apiCalls, reads: result.reads };
  } catch (error) {
    return { outcomes: new Map(), error, apiCalls: 0 };
  }
}

/**
 * Every Account the batch touched, recomputed from what Salesforce now holds, and written in one
 * more request, or sent to the roll-up queue when there is one (its writer coalesces many batches'
 * updates into one request; the figures carry their roll-up version, so the newest wins whatever
 * the order of delivery). Never fails the batch: its events are written; a roll-up that could not
 * run is redone whole by the next batch touching the Account. Returns the Salesforce calls it made.
 */
async function rollUp(claimed: readonly Claimed[], write: BatchWrite, ports: ConsumerPorts): Promise<number> {
  const { rollups } = ports;
  // Nothing written (Salesforce refused or is down): nothing to recompute.
  if (rollups === undefined || ![...write.outcomes.values()].some((o) => o.ok)) return 0;
  const started = ports.now();
  let calls = 0;
  try {
    let answers = write.reads;
    if (answers === undefined) {
      // The first batch of an execution environment: the reads go after its write.
      const reads = await rollups.reads(claimed.flatMap((c) => c.mutations));
      if (reads.length === 0) return 0;
      const read = await ports.writer.write([], { reads });
      calls += read.apiCalls;
      answers = read.reads;
      if (answers === undefined) return calls;
    }
    const updates = await rollups.updates(answers);
    // The owners of the failed-payment Tasks this batch created ride in the roll-up's write.
    const created = tasksNeedingOwner(
      claimed.flatMap((c) => c.mutations),
      [...write.outcomes.values()].flatMap((o) => o.records),
    );
    const owners = taskOwnerUpdates(answers, created);
    if (updates.length === 0 && owners.length === 0) return calls;
    if (ports.rollupSink !== undefined) {
      const messages = await ports.rollupSink.send([...updates, ...owners], started);
      ports.logger.info(
        { rollup: 'accounts', accounts: updates.length, taskOwners: owners.length, queuedMessages: messages, salesforceApiCalls: calls, durationMs: ports.now() - started },
        'account roll-ups queued',
      );
      return calls;
    }
    const result = await ports.writer.write([
      { correlationId: 'account-rollups', mutations: updates },
      ...(owners.length === 0 ? [] : [{ correlationId: 'task-owners', mutations: owners }]),
    ]);
    calls += result.apiCalls;
    const outcome = result.outcomes.get('account-rollups');
    const records = outcome?.records ?? [];
    ports.logger.info(
      {
        rollup: 'accounts',
        accounts: updates.length,
        written: records.filter((r) => r.stale !== true && r.id !== undefined).length,
        // A concurrent batch already wrote a roll-up from newer records.
        staleAccounts: records.filter((r) => r.stale === true).length,
        ...(outcome !== undefined && !outcome.ok ? { errorCode: errorCode(outcome.error), reason: errorReason(outcome.error) } : {}),
        salesforceApiCalls: calls,
        durationMs: ports.now() - started,
      },
      outcome?.ok === false ? 'account roll-up failed' : 'accounts rolled up',
    );
    return calls;
  } catch (error) {
    ports.logger.warn({ rollup: 'accounts', errorCode: errorCode(error), reason: errorReason(error) }, 'account roll-up failed');
    return calls;
  }
}

async function finish(claim: Claimed, write: BatchWrite, lifecycle: Idempotency, ports: ConsumerPorts, started: number): Promise<Finished> {
  const { record, envelope, token } = claim;
  if (write.error !== undefined) return fail(record, envelope, write.error, token, lifecycle, ports, started);
  const outcome = write.outcomes.get(record.messageId);
  if (outcome === undefined) {
    const missing = new PermanentError('The Salesforce writer returned no result for this message', { code: 'WRITE_RESULT_MISSING' });
    return fail(record, envelope, missing, token, lifecycle, ports, started);
  }
  if (!outcome.ok) return fail(record, envelope, outcome.error, token, lifecycle, ports, started);
  const followUpError = write.followUpErrors?.get(record.messageId);
  if (followUpError !== undefined) return fail(record, envelope, followUpError, token, lifecycle, ports, started);
  if (rememberedAccountGone(claim, outcome.records)) {
    const gone = new TransientError('The Account this environment remembered for the customer was deleted or merged: retried to read its Account again', {
      code: 'RENEWAL_ACCOUNT_GONE',
    });
    return fail(record, envelope, gone, token, lifecycle, ports, started);
  }
  // Stale: every record already shows a newer event. Salesforce refused the write as a whole, so
  // nothing of this event changed anything; it is done all the same.
  // An onboarding Task rides along with the event; whether the event was stale is its own records' answer.
  const written = outcome.records.filter((r) => r.stale !== true && !isOnboardingTask(r));
  const result: EventOutcome = written.length === 0 ? 'stale' : 'applied';
  const stale = outcome.records.filter((r) => r.stale === true).map((r) => `${r.sobject}:${r.id ?? '?'}`);
  log(ports, record, envelope, result, started, {
    note: claim.note,
    records: written.map((r) => `${r.sobject}:${r.id ?? '?'}`),
    ...(stale.length > 0 ? { staleRecords: stale } : {}),
  });
  return { record, outcome: result, commit: { key: envelope.id, kind: envelope.type, token, outcome: result } };
}

/**
 * The period's Task named an Account from memory and Salesforce refused it as gone (skipped): the
 * Task must not be lost with it, since Stripe announces a period once. settleReminderClaims forgets
 * the Account and releases the period; the retry reads the owners afresh.
 */
function rememberedAccountGone(claim: Claimed, records: readonly WrittenRecordRef[]): boolean {
  if (claim.reminderClaim?.accountRemembered !== true) return false;
  return records.some((r) => r.sobject === 'Task' && r.keyValue === claim.reminder?.key && r.id === undefined && r.stale !== true);
}

/**
 * A failed event: its claim is released, then it is either dead-lettered with its reason
 * (permanent, or past the retry horizon) or reported for retry with backoff (`ports.retry`).
 */
async function fail(
  record: InboundRecord,
  envelope: EventEnvelope | undefined,
  error: unknown,
  token: string | undefined,
  lifecycle: Idempotency,
  ports: ConsumerPorts,
  started: number,
): Promise<Finished> {
  if (token !== undefined && envelope !== undefined) await lifecycle.release(envelope.id, token);
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
