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

  /**
   * True (and logged, like a refusal) when a call would be refused now; takes no probe slot. For
   * work that needs this service somewhere along the way: skip it before spending anything else.
   */
  refuses(deferred = 1): boolean {
    if (this.breaker.wouldAdmit(this.now())) return false;
    this.logger.warn(
      { dependency: this.dependency, circuit: 'open', unreachableSince: this.since(), deferred },
      `${NAMES[this.dependency]} unreachable: not called, retried later`,
    );
    return true;
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

  /**
   * A call that may be answered from a cache (the org profile): refused while the circuit is open,
   * its outage failures count, but a success proves nothing about the service, so it is not
   * reported; an admitted probe slot is handed back for the next call to use.
   */
  async runCached<T>(call: () => Promise<T>): Promise<T> {
    const admission = this.admit();
    if (admission === 'reject') throw this.unreachable();
    try {
      const result = await call();
      this.release(admission);
      return result;
    } catch (err) {
      if (outageOf(err) === this.dependency) this.report('outage');
      else this.release(admission);
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

type AsyncMethodKeys<T> = { [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof T];

/**
 * The same port with the named methods run through `guard` (see `run`), and the `cached` ones
 * through `runCached`: a method that may answer from a cache would otherwise tell the breaker the
 * service is up when nobody asked it. Everything else, getters included, is the target's own.
 */
export function guardMethods<T extends object>(
  target: T,
  guard: DependencyGuard,
  names: readonly AsyncMethodKeys<T>[],
  cached: readonly AsyncMethodKeys<T>[] = [],
): T {
  const wrapped = Object.create(target) as T;
  const wrap = (name: AsyncMethodKeys<T>, run: (call: () => Promise<unknown>) => Promise<unknown>): void => {
    const method = target[name] as unknown as (...args: unknown[]) => Promise<unknown>;
    Object.defineProperty(wrapped, name, { value: (...args: unknown[]) => run(() => method.apply(target, args)) });
  };
  for (const name of names) wrap(name, (call) => guard.run(call));
  for (const name of cached) wrap(name, (call) => guard.runCached(call));
  return wrapped;
}
