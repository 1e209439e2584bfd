/**
 * When a failed message is tried again, and when the bridge stops trying (pure: no clock, no
 * randomness of its own; callers pass both in).
 *
 * A transient failure is retried with exponential backoff and "equal jitter": the n-th retry
 * waits between half and all of `base * 2^(n-1)`, capped at `maxDelaySeconds`. The jitter spreads
 * a backlog over time so a recovering Salesforce or Stripe is not hit by every message at once;
 * keeping the lower half bounds how many receives fit into the horizon, so the queue's
 * `maxReceiveCount` can be derived from the policy (`maxReceivesWithin`).
 *
 * The retry horizon replaces "give up on the 5th receive": a message is retried until it is
 * older than `horizonSeconds` (measured from when it entered the queue), so a 12-hour outage costs
 * delay, not dead letters. Permanent failures and messages past the horizon go to the DLQ.
 */

/** SQS's limit for one ChangeMessageVisibility call (and for a queue's visibility timeout). */
export const SQS_MAX_VISIBILITY_SECONDS = 43_200;
/** SQS accepts a redrive policy's maxReceiveCount from 1 to 1000. */
export const SQS_MAX_RECEIVE_COUNT = 1000;

export interface RetryPolicy {
  /** Upper bound of the first retry's delay (the first retry waits between half and all of it). */
  readonly baseDelaySeconds: number;
  /** Upper bound of any single delay; at most SQS's 12 hours. */
  readonly maxDelaySeconds: number;
  /** A message older than this is dead-lettered on its next failure instead of retried. */
  readonly horizonSeconds: number;
}

/**
 * 10 s first, at most 15 minutes between attempts, for 48 hours: a blip costs seconds, a day-long
 * outage costs at most a quarter of an hour after recovery, and the inbound queue (4 days) still
 * holds a message for two days after the horizon.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelaySeconds: 10,
  maxDelaySeconds: 900,
  horizonSeconds: 48 * 3600,
};

export type DeadLetterCause = 'permanent' | 'horizon' | 'max_receives';

export type RetryDecision =
  | { readonly kind: 'retry'; readonly delaySeconds: number }
  | { readonly kind: 'dead_letter'; readonly cause: DeadLetterCause };

export interface FailedAttempt {
  readonly permanent: boolean;
  /** SQS ApproximateReceiveCount of the attempt that failed (1 on the first delivery). */
  readonly receiveCount: number;
  /** How long the message has been in the queue. */
  readonly ageSeconds: number;
}

export interface PolicyProblem {
  readonly field: keyof RetryPolicy;
  readonly message: string;
}

/** Checks a policy's numbers against each other and SQS's limits (empty when valid). */
export function retryPolicyProblems(policy: RetryPolicy, redeliverySeconds?: number): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  if (!Number.isInteger(policy.baseDelaySeconds) || policy.baseDelaySeconds < 1) {
    problems.push({ field: 'baseDelaySeconds', message: 'must be a whole number of seconds, at least 1' });
  }
  if (!Number.isInteger(policy.maxDelaySeconds) || policy.maxDelaySeconds < policy.baseDelaySeconds) {
    problems.push({ field: 'maxDelaySeconds', message: 'must be a whole number of seconds, at least the base delay' });
  } else if (policy.maxDelaySeconds > SQS_MAX_VISIBILITY_SECONDS) {
    problems.push({ field: 'maxDelaySeconds', message: `must be at most ${SQS_MAX_VISIBILITY_SECONDS} s (SQS's 12 hours)` });
  }
  if (!Number.isInteger(policy.horizonSeconds) || policy.horizonSeconds < policy.maxDelaySeconds) {
    problems.push({ field: 'horizonSeconds', message: 'must be at least the maximum delay' });
  }
  if (problems.length === 0 && maxReceivesWithin(policy, redeliverySeconds) > SQS_MAX_RECEIVE_COUNT) {
    problems.push({
      field: 'horizonSeconds',
      message: `holds more than ${SQS_MAX_RECEIVE_COUNT} receives (SQS's maxReceiveCount limit): shorten it or raise the maximum delay`,
    });
  }
  return problems;
}

/** The upper bound of the delay after the n-th failed receive. */
function ceilingSeconds(receiveCount: number, policy: RetryPolicy): number {
  const doublings = Math.min(Math.max(receiveCount, 1) - 1, 30);
  return Math.min(policy.maxDelaySeconds, policy.baseDelaySeconds * 2 ** doublings);
}

/** The shortest delay the jitter can pick after the n-th failed receive. */
function floorSeconds(receiveCount: number, policy: RetryPolicy): number {
  return Math.max(1, Math.ceil(ceilingSeconds(receiveCount, policy) / 2));
}

/** Delay after the n-th failed receive; `random` returns a number in [0, 1). */
export function backoffSeconds(receiveCount: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = ceilingSeconds(receiveCount, policy);
  const floor = floorSeconds(receiveCount, policy);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.min(ceiling, floor + Math.floor(r * (ceiling - floor + 1)));
}

/**
 * Retry or dead-letter a failed attempt. A retry is never scheduled past the horizon: the last
 * delay is shortened so the message comes back once more at the horizon and is dead-lettered then
 * if it still fails. `maxReceiveCount` is the queue's redrive setting: on that receive SQS would
 * move the message without a reason next time, so the bridge dead-letters it itself, with one.
 */
export function decideRetry(attempt: FailedAttempt, policy: RetryPolicy, maxReceiveCount: number, random: () => number): RetryDecision {
  if (attempt.permanent) return { kind: 'dead_letter', cause: 'permanent' };
  if (attempt.ageSeconds >= policy.horizonSeconds) return { kind: 'dead_letter', cause: 'horizon' };
  if (attempt.receiveCount >= maxReceiveCount) return { kind: 'dead_letter', cause: 'max_receives' };
  const untilHorizon = Math.ceil(policy.horizonSeconds - attempt.ageSeconds);
  const delaySeconds = Math.max(1, Math.min(backoffSeconds(attempt.receiveCount, policy, random), untilHorizon, SQS_MAX_VISIBILITY_SECONDS));
  return { kind: 'retry', delaySeconds };
}

/**
 * The most receives a message can see before it passes the horizon, plus the receive at the
 * horizon that dead-letters it. Between two receives at least the shorter of the backoff's floor
 * and `redeliverySeconds` passes: a message that Lambda could not process (throttled, timed out,
 * or its claim held elsewhere) comes back after the queue's visibility timeout instead of a
 * backoff. The queue's maxReceiveCount must be at least this, or SQS would move a message to the
 * DLQ (without a reason) inside the horizon.
 */
export function maxReceivesWithin(policy: RetryPolicy, redeliverySeconds: number = Number.POSITIVE_INFINITY): number {
  let receives = 1;
  let elapsed = 0;
  while (elapsed < policy.horizonSeconds && receives <= SQS_MAX_RECEIVE_COUNT) {
    elapsed += Math.max(1, Math.min(floorSeconds(receives, policy), redeliverySeconds));
    receives += 1;
  }
  return receives;
}
