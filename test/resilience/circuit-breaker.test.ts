import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type CircuitBreakerOptions } from '../../src/resilience/circuit-breaker.js';
import { DependencyUnreachableError, outageOf } from '../../src/resilience/outage.js';
import { AuthenticationError, PermanentError, TransientError } from '../../src/errors.js';
import { salesforceError, SalesforceTransientError } from '../../src/salesforce/errors.js';

const options: CircuitBreakerOptions = { failureThreshold: 3, firstProbeAfterMs: 30_000, maxProbeIntervalMs: 300_000, probeTimeoutMs: 120_000 };
const T0 = 1_767_225_600_000;

describe('circuit breaker', () => {
  it('stays closed below the threshold and forgets failures after a success', () => {
    const b = new CircuitBreaker('salesforce', options);
    b.failed(T0);
    b.failed(T0 + 1);
    b.succeeded(T0 + 2);
    b.failed(T0 + 3);
    b.failed(T0 + 4);
    expect(b.snapshot()).toEqual({ state: 'closed', consecutiveFailures: 2 });
    expect(b.admit(T0 + 5)).toBe('call');
  });

  it('opens on the third consecutive failure, dated from the first, and refuses calls', () => {
    const b = new CircuitBreaker('salesforce', options);
    b.failed(T0);
    b.failed(T0 + 1000);
    expect(b.failed(T0 + 2000)).toEqual({ kind: 'opened', unreachableSince: T0 });
    expect(b.admit(T0 + 2001)).toBe('reject');
    expect(b.unreachableSince).toBe(T0);
  });

  it('lets one probe through after the wait, doubling the wait after each failed probe up to the cap', () => {
    const b = new CircuitBreaker('salesforce', options);
    for (let i = 0; i < 3; i++) b.failed(T0);
    const probeTimes: number[] = [];
    let t = T0;
    while (t < T0 + 3600_000) {
      const admission = b.admit(t);
      if (admission === 'probe') {
        probeTimes.push(t - T0);
        expect(b.admit(t)).toBe('reject'); // one probe at a time
        b.failed(t);
      }
      t += 1000;
    }
    const gaps = probeTimes.map((p, i) => p - (probeTimes[i - 1] ?? 0));
    expect(gaps.slice(0, 5)).toEqual([30_000, 60_000, 120_000, 240_000, 300_000]);
    expect(Math.max(...gaps)).toBe(300_000);
    expect(b.unreachableSince).toBe(T0);
  });

  it('closes when a probe succeeds and reports how long the service was down', () => {
    const b = new CircuitBreaker('stripe', options);
    for (let i = 0; i < 3; i++) b.failed(T0);
    expect(b.admit(T0 + 30_000)).toBe('probe');
    expect(b.succeeded(T0 + 31_000)).toEqual({ kind: 'closed', unreachableSince: T0, downMs: 31_000 });
    expect(b.admit(T0 + 31_001)).toBe('call');
  });

  it('frees the probe slot when the probe made no call, and after the probe timeout', () => {
    const b = new CircuitBreaker('salesforce', options);
    for (let i = 0; i < 3; i++) b.failed(T0);
    expect(b.admit(T0 + 30_000)).toBe('probe');
    b.released();
    expect(b.admit(T0 + 30_001)).toBe('probe');
    expect(b.admit(T0 + 30_002)).toBe('reject');
    expect(b.admit(T0 + 30_001 + 120_000)).toBe('probe');
  });
});

describe('what counts as an outage', () => {
  it('Salesforce 5xx, network failures, the API limit and a rejected login; not a row lock or a bad record', () => {
    expect(outageOf(salesforceError('SERVER_UNAVAILABLE', 'down'))).toBe('salesforce');
    expect(outageOf(salesforceError('REQUEST_LIMIT_EXCEEDED', 'limit'))).toBe('salesforce');
    expect(outageOf(new SalesforceTransientError('unreachable', { errorCode: 'ECONNREFUSED' }))).toBe('salesforce');
    expect(outageOf(new AuthenticationError('expired password', { code: 'SALESFORCE_LOGIN_INVALID_GRANT' }))).toBe('salesforce');
    expect(outageOf(new TransientError('down', { code: 'SALESFORCE_LOGIN_UNAVAILABLE' }))).toBe('salesforce');
    expect(outageOf(salesforceError('UNABLE_TO_LOCK_ROW', 'locked'))).toBeUndefined();
    expect(outageOf(salesforceError('FIELD_CUSTOM_VALIDATION_EXCEPTION', 'rule'))).toBeUndefined();
  });

  it('Stripe connection errors, 5xx, rate limits and a revoked key; not a lock on one object', () => {
    expect(outageOf(new TransientError('x', { code: 'STRIPE_StripeConnectionError' }))).toBe('stripe');
    expect(outageOf(new TransientError('x', { code: 'STRIPE_StripeAPIError' }))).toBe('stripe');
    expect(outageOf(new AuthenticationError('x', { code: 'STRIPE_AUTHENTICATION' }))).toBe('stripe');
    expect(outageOf(new TransientError('x', { code: 'STRIPE_LOCK_TIMEOUT' }))).toBeUndefined();
    expect(outageOf(new PermanentError('x', { code: 'STRIPE_INVALID_REQUEST' }))).toBeUndefined();
  });

  it('does not count its own refusals, nor errors of other systems', () => {
    expect(outageOf(new DependencyUnreachableError('salesforce', T0))).toBeUndefined();
    expect(outageOf(new TransientError('x', { code: 'DYNAMODB_UNAVAILABLE' }))).toBeUndefined();
    expect(outageOf(new Error('boom'))).toBeUndefined();
  });
});
