/**
 * A circuit breaker put to work for one service: admits or refuses calls, reports outcomes and
 * logs every refusal and transition as one structured line. The lines carry
 * `dependency` and `circuit` ("open" / "closed") and `unreachableSince`, which the stack's metric
 * filters turn into the "Salesforce unreachable" and "Stripe unreachable" alarms.
 */
import type { Logger } from '../logging.js';
import { CircuitBreaker, DEFAULT_BREAKER_OPTIONS, type Admission, type CircuitBreakerOptions, type Transition } from './circuit-breaker.js';
import { DependencyUnreachableError, outageOf, type Dependency } from './outage.js';

/** How a finished call counts: the service answered, or it is down. */
export type CallVerdict = 'reachable' | 'outage';

const NAMES: Record<Dependency, string> = { salesforce: 'Salesforce', stripe: 'Stripe' };

export class DependencyGuard {
  readonly breaker: CircuitBreaker;

  constructor(
    readonly dependency: Dependency,
    private readonly logger: Logger,
    private readonly now: () => number,
    options: CircuitBreakerOptions = DEFAULT_BREAKER_OPTIONS,
  ) {
    this.breaker = new CircuitBreaker(dependency, options);
  }

  /** Whether to call now; a refusal is logged (with how many calls it saves) and counted. */
  admit(deferred = 1): Admission {
    const admission = this.breaker.admit(this.now());
    if (admission === 'reject') {
      this.logger.warn(
        { dependency: this.dependency, circuit: 'open', unreachableSince: this.since(), deferred },
        `${NAMES[this.dependency]} unreachable: not called, retried later`,
      );
    }
    return admission;
  }

  /** The error a refused caller fails with. */
  unreachable(): DependencyUnreachableError {
    return new DependencyUnreachableError(this.dependency, this.breaker.unreachableSince ?? this.now());
  }

  report(verdict: CallVerdict): void {
    const now = this.now();
    this.log(verdict === 'reachable' ? this.breaker.succeeded(now) : this.breaker.failed(now));
  }

  /** An admitted probe that did not call the service after all. */
  release(admission: Admission): void {
    if (admission === 'probe') this.breaker.released();
  }

  /**
   * Runs one call through the breaker: refused while open (throws DependencyUnreachableError),
   * otherwise reported by its outcome. A thrown error counts as an outage only when `outageOf`
   * says it is one of this service's; anything else means the service answered.
   */
  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.admit() === 'reject') throw this.unreachable();
    try {
      const result = await call();
      this.report('reachable');
      return result;
    } catch (err) {
      this.report(outageOf(err) === this.dependency ? 'outage' : 'reachable');
      throw err;
    }
  }

  private since(): string | undefined {
    const since = this.breaker.unreachableSince;
    return since === undefined ? undefined : new Date(since).toISOString();
  }

  private log(transition: Transition): void {
    const name = NAMES[this.dependency];
    if (transition.kind === 'opened') {
      this.logger.error(
        { dependency: this.dependency, circuit: 'open', unreachableSince: new Date(transition.unreachableSince).toISOString() },
        `${name} unreachable: circuit opened, calls stop until a probe succeeds`,
      );
    } else if (transition.kind === 'closed') {
      this.logger.warn(
        {
          dependency: this.dependency,
          circuit: 'closed',
          unreachableSince: new Date(transition.unreachableSince).toISOString(),
          downSeconds: Math.round(transition.downMs / 1000),
        },
        `${name} reachable again: circuit closed`,
      );
    }
  }
}
