/**
 * A circuit breaker per downstream service (Salesforce, Stripe), in memory, per cold start: after
 * a few consecutive outage failures it opens and callers stop calling the service; messages go
 * back to the queue with backoff instead of each spending an API call and a timeout. While open,
 * one caller at a time is let through as a probe, first after `firstProbeAfterMs`, then with the
 * interval doubling up to `maxProbeIntervalMs`; a probe that succeeds closes it.
 *
 * Pure state machine: time is passed into every method, so tests drive hours of outage without
 * waiting. Callers decide what counts as an outage (see `outage.ts`).
 */

export interface CircuitBreakerOptions {
  /** Consecutive outage failures that open the circuit. */
  readonly failureThreshold: number;
  readonly firstProbeAfterMs: number;
  readonly maxProbeIntervalMs: number;
  /** A probe that neither succeeded nor failed by then (its caller died) frees the slot. */
  readonly probeTimeoutMs: number;
}

export const DEFAULT_BREAKER_OPTIONS: CircuitBreakerOptions = {
  failureThreshold: 3,
  firstProbeAfterMs: 30_000,
  maxProbeIntervalMs: 300_000,
  probeTimeoutMs: 120_000,
};

/** `call`: closed, go ahead. `probe`: open, this caller tests the service. `reject`: do not call. */
export type Admission = 'call' | 'probe' | 'reject';

export type CircuitSnapshot =
  | { readonly state: 'closed'; readonly consecutiveFailures: number }
  | { readonly state: 'open'; readonly unreachableSince: number; readonly nextProbeAt: number; readonly probing: boolean };

/** What a report changed, so the caller can log the transition once. */
export type Transition =
  | { readonly kind: 'none' }
  | { readonly kind: 'opened'; readonly unreachableSince: number }
  | { readonly kind: 'closed'; readonly unreachableSince: number; readonly downMs: number };

export class CircuitBreaker {
  private consecutiveFailures = 0;
  private firstFailureAt: number | undefined;
  private openState: { unreachableSince: number; nextProbeAt: number; intervalMs: number; probeStartedAt: number | undefined } | undefined;

  constructor(
    readonly dependency: string,
    private readonly options: CircuitBreakerOptions = DEFAULT_BREAKER_OPTIONS,
  ) {}

  snapshot(): CircuitSnapshot {
    if (this.openState === undefined) return { state: 'closed', consecutiveFailures: this.consecutiveFailures };
    return {
      state: 'open',
      unreachableSince: this.openState.unreachableSince,
      nextProbeAt: this.openState.nextProbeAt,
      probing: this.openState.probeStartedAt !== undefined,
    };
  }

  /** Since when the service has been failing, while the circuit is open. */
  get unreachableSince(): number | undefined {
    return this.openState?.unreachableSince;
  }

  /** Whether `admit` would let a call through now, without taking the probe slot. */
  wouldAdmit(now: number): boolean {
    const open = this.openState;
    if (open === undefined) return true;
    if (open.probeStartedAt !== undefined && now - open.probeStartedAt < this.options.probeTimeoutMs) return false;
    return now >= open.nextProbeAt;
  }

  admit(now: number): Admission {
    const open = this.openState;
    if (open === undefined) return 'call';
    if (open.probeStartedAt !== undefined && now - open.probeStartedAt < this.options.probeTimeoutMs) return 'reject';
    if (now < open.nextProbeAt) return 'reject';
    open.probeStartedAt = now;
    return 'probe';
  }

  /** The service answered (even with a rejection of the request itself): it is reachable. */
  succeeded(now: number): Transition {
    this.consecutiveFailures = 0;
    this.firstFailureAt = undefined;
    const open = this.openState;
    if (open === undefined) return { kind: 'none' };
    this.openState = undefined;
    return { kind: 'closed', unreachableSince: open.unreachableSince, downMs: now - open.unreachableSince };
  }

  /** The service could not be reached or answered as an outage does. */
  failed(now: number): Transition {
    const open = this.openState;
    if (open !== undefined) {
      // A failed probe (or a call admitted before the circuit opened): wait longer for the next.
      if (open.probeStartedAt !== undefined) {
        open.intervalMs = Math.min(open.intervalMs * 2, this.options.maxProbeIntervalMs);
        open.probeStartedAt = undefined;
      }
      open.nextProbeAt = Math.max(open.nextProbeAt, now + open.intervalMs);
      return { kind: 'none' };
    }
    this.consecutiveFailures += 1;
    this.firstFailureAt ??= now;
    if (this.consecutiveFailures < this.options.failureThreshold) return { kind: 'none' };
    const unreachableSince = this.firstFailureAt;
    this.openState = {
      unreachableSince,
      nextProbeAt: now + this.options.firstProbeAfterMs,
      intervalMs: this.options.firstProbeAfterMs,
      probeStartedAt: undefined,
    };
    return { kind: 'opened', unreachableSince };
  }

  /** An admitted probe ended without telling anything (no call was needed): free the slot. */
  released(): void {
    if (this.openState !== undefined) this.openState.probeStartedAt = undefined;
  }
}
