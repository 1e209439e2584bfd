/**
 * One idempotency lifecycle for every flow (the consumer, the outbound flow and the commands to
 * come), modelled on the idempotency utility of Powertools for AWS Lambda (TypeScript,
 * packages/idempotency: save in progress → run → save success, delete the record on error):
 *
 *   claim ──▶ work ──▶ commit (a completed marker that remembers the outcome)
 *     │         └─ throws ──▶ release (the next attempt may claim at once) ──▶ rethrow
 *     ├─ completed before ──▶ duplicate (the first outcome is reported)
 *     └─ held by a live lease ──▶ in progress (retry later; a crashed holder's lease expires)
 *
 * The ordering guard is part of the work, not of this lifecycle: Salesforce itself rejects a
 * write older than what the record shows (contracts/precedence, docs/consistency.md), so the
 * guard and the write are one atomic step and a failed write advances nothing.
 *
 * One behaviour where the two hand-written copies differed: a commit that fails after the work
 * succeeded is logged as a warning and NOT rethrown (Powertools rethrows). The effect is already
 * applied and idempotent (upserts on external ids, equal precedence keys pass, Stripe idempotency
 * keys, an Opportunity that shows its bill is not billed again), so the worst a lost marker costs
 * is one harmless re-application after the lease expires; failing the attempt instead would
 * re-run the work at once. A failed release is logged too: the lease expires by itself.
 */
import { errorCode } from '../errors.js';
import type { Logger } from '../logging.js';
import type { ClaimResult } from './event-store.js';

export interface Completion {
  readonly key: string;
  readonly kind: string;
  readonly token: string;
  readonly outcome: string;
}

/** What the lifecycle needs of its store (DynamoDB in production, see event-store.ts). */
export interface IdempotencyStore {
  claim(key: string, kind: string): Promise<ClaimResult>;
  /** Marks the keys completed, as few requests as the store allows. */
  commit(completions: readonly Completion[]): Promise<void>;
  release(key: string, token: string): Promise<void>;
}

export type RunOnceResult<T> =
  | { readonly status: 'done'; readonly value: T }
  | { readonly status: 'duplicate'; readonly outcome: string | undefined }
  | { readonly status: 'in_progress'; readonly leaseExpiresAt: number };

export class Idempotency {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly logger: Logger,
  ) {}

  claim(key: string, kind: string): Promise<ClaimResult> {
    return this.store.claim(key, kind);
  }

  /** Commits the work done; never throws (see the module comment). */
  async commit(completions: readonly Completion[]): Promise<void> {
    if (completions.length === 0) return;
    try {
      await this.store.commit(completions);
    } catch (err) {
      this.logger.warn(
        { keys: completions.map((c) => c.key), errorCode: errorCode(err) },
        'could not record completion; a later duplicate re-applies the effect harmlessly',
      );
    }
  }

  /** Gives a claim back after a failure; never throws (the lease expires by itself). */
  async release(key: string, token: string): Promise<void> {
    try {
      await this.store.release(key, token);
    } catch (err) {
      this.logger.warn({ key, errorCode: errorCode(err) }, 'could not release the claim; it expires with its lease');
    }
  }

  /**
   * Runs `work` at most once per key to completion. `work` returns its value and the outcome to
   * remember; when it throws, the claim is released and the error rethrown.
   */
  async runOnce<T>(key: string, kind: string, work: () => Promise<{ readonly value: T; readonly outcome: string }>): Promise<RunOnceResult<T>> {
    const claim = await this.store.claim(key, kind);
    if (claim.status === 'completed') return { status: 'duplicate', outcome: claim.outcome };
    if (claim.status === 'in_progress') return { status: 'in_progress', leaseExpiresAt: claim.leaseExpiresAt };
    let done: { readonly value: T; readonly outcome: string };
    try {
      done = await work();
    } catch (err) {
      await this.release(key, claim.token);
      throw err;
    }
    await this.commit([{ key, kind, token: claim.token, outcome: done.outcome }]);
    return { status: 'done', value: done.value };
  }
}
