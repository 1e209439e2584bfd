/**
 * Cases only for money still owed (issue 10): after a batch's Salesforce write, the failure
 * Cases and recovery Tasks it opened and the payments it applied are exchanged through the dedup
 * table (dedup/case-ledger.ts), and every Case whose invoice or PaymentIntent is now paid is
 * closed with one internal comment that says so, its Task completed (salesforce/case-closer.ts).
 *
 * Exactly one comment per Case, whatever the redeliveries and concurrent consumers: the comment
 * is claimed first (`case-comment:<Case Id>` in the same run-once lifecycle as events), committed
 * once Salesforce created it, released when it failed. Closing is idempotent (setting the closed
 * Status again changes nothing), so any consumer that learns of the payment closes the Case; only
 * the claim holder comments. A Case deleted meanwhile is left alone.
 *
 * An event whose follow-up failed is retried as a whole: its Salesforce write is applied again
 * (equal precedence keys pass), the exchange finds the same Cases, the committed comment is not
 * repeated.
 */
import { errorCode, type BridgeError } from '../errors.js';
import type { CaseLedgerPort, OpenedCase, PaidFact } from '../dedup/case-ledger.js';
import type { Completion, Idempotency } from '../dedup/run-once.js';
import type { Logger } from '../logging.js';
import { paidCaseComment } from '../mappers/case.js';
import type { OwedMoney } from '../mappers/mutation.js';
import type { CaseClosed, CaseCloserPort, CaseClosing } from '../salesforce/case-closer.js';

export interface CasePorts {
  readonly ledger: CaseLedgerPort;
  readonly closer: CaseCloserPort;
}

/** One applied event of the batch that opened a Case or paid an object. */
export interface FollowUpItem {
  readonly messageId: string;
  readonly eventId: string;
  readonly owed: OwedMoney;
  /** The Case the event opened (or found, on a retry), when it opened one. */
  readonly caseId: string | undefined;
  /** The recovery Task the event created or updated, when it wrote one. */
  readonly taskId?: string | undefined;
}

export interface FollowUpResult {
  /** Messages whose follow-up failed: they are retried (or dead-lettered) like a failed write. */
  readonly errors: ReadonlyMap<string, unknown>;
  readonly closed: number;
  /** Recovery Tasks completed. */
  readonly completed?: number;
  readonly apiCalls: number;
}

/** Salesforce says the Case is gone (deleted by a rep): nothing left to close or comment on. */
const GONE = new Set(['ENTITY_IS_DELETED', 'INVALID_CROSS_REFERENCE_KEY', 'INVALID_ID_FIELD']);

const COMMENT_KIND = 'case.comment';

/**
 * Failure Cases of objects that a payment in the same batch settles are not opened at all: the
 * newest known state of the invoice or payment is paid. Returns the object ids the batch pays.
 */
export function paidInBatch(owed: ReadonlyArray<OwedMoney | undefined>): ReadonlySet<string> {
  return new Set(owed.flatMap((o) => (o?.kind === 'paid' ? o.stripeIds : [])));
}

export async function followUpCases(items: readonly FollowUpItem[], ports: CasePorts, lifecycle: Idempotency, logger: Logger): Promise<FollowUpResult> {
  const opened: Array<OpenedCase & { readonly messageId: string }> = [];
  const paid: Array<PaidFact & { readonly messageId: string }> = [];
  for (const item of items) {
    if (item.owed.kind === 'failed' && (item.caseId !== undefined || item.taskId !== undefined)) {
      opened.push({ stripeId: item.owed.stripeId, caseId: item.caseId, taskId: item.taskId, messageId: item.messageId });
    }
    if (item.owed.kind === 'paid') {
      const { what, amount, paidAt } = item.owed;
      for (const stripeId of item.owed.stripeIds) paid.push({ stripeId, eventId: item.eventId, what, amount, paidAt, messageId: item.messageId });
    }
  }
  const errors = new Map<string, unknown>();
  if (opened.length === 0 && paid.length === 0) return { errors, closed: 0, apiCalls: 0 };
  const failAll = (messageIds: Iterable<string>, error: unknown) => {
    for (const id of messageIds) if (!errors.has(id)) errors.set(id, error);
  };

  let exchange;
  try {
    exchange = await ports.ledger.exchange(opened, paid);
  } catch (error) {
    failAll([...opened, ...paid].map((x) => x.messageId), error);
    return { errors, closed: 0, apiCalls: 0 };
  }

  // Each Case to close once, with the payment that settled it and the messages that found it.
  const toClose = new Map<string, { payment: PaidFact; messageIds: Set<string> }>();
  const add = (caseId: string, payment: PaidFact, messageId: string) => {
    const entry = toClose.get(caseId) ?? { payment, messageIds: new Set<string>() };
    entry.messageIds.add(messageId);
    toClose.set(caseId, entry);
  };
  // Each recovery Task to complete once, with the messages that found it.
  const toComplete = new Map<string, { stripeId: string; messageIds: Set<string> }>();
  const addTask = (taskId: string, stripeId: string, messageId: string) => {
    const entry = toComplete.get(taskId) ?? { stripeId, messageIds: new Set<string>() };
    entry.messageIds.add(messageId);
    toComplete.set(taskId, entry);
  };
  for (const p of paid) {
    for (const caseId of exchange.casesOf.get(p.stripeId) ?? []) add(caseId, p, p.messageId);
    for (const taskId of exchange.tasksOf.get(p.stripeId) ?? []) addTask(taskId, p.stripeId, p.messageId);
  }
  for (const o of opened) {
    const payment = exchange.paidOf.get(o.stripeId);
    if (payment === undefined) continue;
    if (o.caseId !== undefined) add(o.caseId, payment, o.messageId);
    if (o.taskId !== undefined) addTask(o.taskId, o.stripeId, o.messageId);
  }
  if (toClose.size === 0 && toComplete.size === 0) return { errors, closed: 0, apiCalls: 0 };

  // Claim each Case's comment: only the holder comments; completed or held elsewhere, no comment.
  const tokens = new Map<string, string>();
  const closings: CaseClosing[] = [];
  await Promise.all(
    [...toClose].map(async ([caseId, { payment, messageIds }]) => {
      try {
        const claim = await lifecycle.claim(commentKey(caseId), COMMENT_KIND);
        if (claim.status === 'claimed') tokens.set(caseId, claim.token);
        closings.push({ caseId, comment: claim.status === 'claimed' ? paidCaseComment(payment) : undefined });
      } catch (error) {
        failAll(messageIds, error);
      }
    }),
  );
  if (closings.length === 0 && toComplete.size === 0) return { errors, closed: 0, apiCalls: 0 };

  let answer: Awaited<ReturnType<CaseCloserPort['close']>>;
  try {
    // Completing a Task again changes nothing: no claim, any consumer that learns of the payment completes it.
    answer = await ports.closer.close(closings, [...toComplete.keys()]);
  } catch (error) {
    await Promise.all([...tokens].map(([caseId, token]) => lifecycle.release(commentKey(caseId), token)));
    for (const closing of closings) failAll(toClose.get(closing.caseId)?.messageIds ?? [], error);
    for (const { messageIds } of toComplete.values()) failAll(messageIds, error);
    return { errors, closed: 0, apiCalls: 0 };
  }

  let completed = 0;
  for (const [taskId, { stripeId, messageIds }] of toComplete) {
    const failure = answer.tasks.get(taskId);
    // A Task a rep deleted is left alone, like a deleted Case.
    const blocking = failure !== undefined && !gone(failure) ? failure : undefined;
    if (blocking !== undefined) failAll(messageIds, blocking);
    else completed += 1;
    logger[blocking === undefined ? 'info' : 'warn'](
      { taskId, stripeObjectId: stripeId, taskOutcome: blocking === undefined ? 'completed' : 'not_completed', ...(blocking === undefined ? {} : { errorCode: errorCode(blocking) }) },
      blocking === undefined ? 'recovery Task completed: paid' : 'recovery Task not completed yet',
    );
  }

  const commits: Completion[] = [];
  let closed = 0;
  await Promise.all(
    closings.map(async ({ caseId }) => {
      const entry = toClose.get(caseId);
      const result: CaseClosed | undefined = answer.results.get(caseId);
      const token = tokens.get(caseId);
      if (entry === undefined || result === undefined) return;
      const commentFailure = typeof result.comment === 'object' && !gone(result.comment) ? result.comment : undefined;
      if (token !== undefined) {
        if (commentFailure === undefined) commits.push({ key: commentKey(caseId), kind: COMMENT_KIND, token, outcome: result.comment === 'added' ? 'commented' : 'case gone' });
        else await lifecycle.release(commentKey(caseId), token);
      }
      const closeFailure = result.closeError !== undefined && !gone(result.closeError) ? result.closeError : undefined;
      const failure = closeFailure ?? commentFailure;
      if (failure !== undefined) failAll(entry.messageIds, failure);
      else closed += 1;
      logger[failure === undefined ? 'info' : 'warn'](
        {
          caseId,
          stripeObjectId: entry.payment.stripeId,
          paidByEventId: entry.payment.eventId,
          caseOutcome: failure === undefined ? 'closed' : 'not_closed',
          commented: result.comment === 'added',
          ...(failure === undefined ? {} : { errorCode: errorCode(failure) }),
        },
        failure === undefined ? 'failure Case closed: paid' : 'failure Case not closed yet',
      );
    }),
  );
  await lifecycle.commit(commits);
  return { errors, closed, completed, apiCalls: answer.apiCalls };
}

function commentKey(caseId: string): string {
  return `case-comment:${caseId}`;
}

function gone(error: BridgeError): boolean {
  const code = (error as { errorCode?: unknown }).errorCode;
  return typeof code === 'string' && GONE.has(code);
}
