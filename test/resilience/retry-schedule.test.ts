import { describe, expect, it } from 'vitest';
import {
  backoffSeconds,
  decideRetry,
  DEFAULT_RETRY_POLICY,
  maxReceivesWithin,
  retryPolicyProblems,
  SQS_MAX_VISIBILITY_SECONDS,
  type RetryPolicy,
} from '../../src/resilience/retry-schedule.js';

const policy: RetryPolicy = { baseDelaySeconds: 10, maxDelaySeconds: 900, horizonSeconds: 48 * 3600 };
const lowest = () => 0;
const highest = () => 0.999_999;

describe('backoff with equal jitter', () => {
  it('doubles from the base up to the cap, each delay between half and all of its ceiling', () => {
    const ceilings = [10, 20, 40, 80, 160, 320, 640, 900, 900, 900];
    ceilings.forEach((ceiling, i) => {
      expect(backoffSeconds(i + 1, policy, lowest)).toBe(Math.ceil(ceiling / 2));
      expect(backoffSeconds(i + 1, policy, highest)).toBe(ceiling);
    });
  });

  it('stays inside its bounds for any random value, however many receives', () => {
    for (let receive = 1; receive < 2000; receive += 37) {
      for (const r of [0, 0.25, 0.5, 0.75, 0.999]) {
        const delay = backoffSeconds(receive, policy, () => r);
        expect(delay).toBeGreaterThanOrEqual(5);
        expect(delay).toBeLessThanOrEqual(900);
      }
    }
  });
});

describe('retry or dead-letter', () => {
  it('dead-letters permanent failures at once', () => {
    expect(decideRetry({ permanent: true, receiveCount: 1, ageSeconds: 0 }, policy, 500, lowest)).toEqual({ kind: 'dead_letter', cause: 'permanent' });
  });

  it('retries a transient failure on its 5th, 50th and 300th receive while it is younger than the horizon', () => {
    for (const receiveCount of [5, 50, 300]) {
      const decision = decideRetry({ permanent: false, receiveCount, ageSeconds: 12 * 3600 }, policy, 500, lowest);
      expect(decision.kind).toBe('retry');
    }
  });

  it('dead-letters a transient failure once the message is older than the horizon', () => {
    expect(decideRetry({ permanent: false, receiveCount: 3, ageSeconds: 48 * 3600 }, policy, 500, lowest)).toEqual({ kind: 'dead_letter', cause: 'horizon' });
  });

  it('never schedules a retry past the horizon: the last delay ends at it', () => {
    const decision = decideRetry({ permanent: false, receiveCount: 40, ageSeconds: 48 * 3600 - 60 }, policy, 500, highest);
    expect(decision).toEqual({ kind: 'retry', delaySeconds: 60 });
  });

  it('dead-letters on the queue\'s last receive, so the reason is recorded rather than lost to the redrive', () => {
    expect(decideRetry({ permanent: false, receiveCount: 500, ageSeconds: 60 }, policy, 500, lowest)).toEqual({ kind: 'dead_letter', cause: 'max_receives' });
  });
});

describe('how many receives fit in the horizon', () => {
  it('covers a horizon walked with every delay at its shortest', () => {
    const bound = maxReceivesWithin(policy);
    let elapsed = 0;
    let receive = 1;
    while (elapsed < policy.horizonSeconds) {
      elapsed += backoffSeconds(receive, policy, lowest);
      receive += 1;
    }
    expect(bound).toBe(receive);
    // 48 h at 7.5-minute floors, plus the ramp: a few hundred, within SQS's 1000.
    expect(bound).toBeGreaterThan(380);
    expect(bound).toBeLessThan(400);
  });

  it('counts redeliveries after the visibility timeout (throttles, crashes) as the shorter interval', () => {
    expect(maxReceivesWithin(policy, 365)).toBeGreaterThan(maxReceivesWithin(policy));
    expect(maxReceivesWithin(policy, 365)).toBeLessThanOrEqual(1000);
  });

  it('is what the default policy puts into the redrive policy', () => {
    expect(retryPolicyProblems(DEFAULT_RETRY_POLICY, 365)).toEqual([]);
  });
});

describe('policy validation', () => {
  it('refuses delays SQS cannot set and horizons that need more than 1000 receives', () => {
    expect(retryPolicyProblems({ ...policy, maxDelaySeconds: SQS_MAX_VISIBILITY_SECONDS + 1, horizonSeconds: 72 * 3600 }).map((p) => p.field)).toEqual(['maxDelaySeconds']);
    expect(retryPolicyProblems({ ...policy, maxDelaySeconds: 60 }).map((p) => p.field)).toEqual(['horizonSeconds']);
    expect(retryPolicyProblems({ ...policy, horizonSeconds: 100 }).map((p) => p.field)).toEqual(['horizonSeconds']);
    expect(retryPolicyProblems({ ...policy, baseDelaySeconds: 0 }).map((p) => p.field)).toContain('baseDelaySeconds');
  });
});
