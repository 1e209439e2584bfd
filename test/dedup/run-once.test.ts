/**
 * The one idempotency lifecycle (claim → work → commit, release on failure) on the real
 * DynamoDB store (dynalite), with faults injected around it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/errors.js';
import { EventStore } from '../../src/dedup/event-store.js';
import { Idempotency, type IdempotencyStore } from '../../src/dedup/run-once.js';
import { startDynalite, type LocalDynamo } from '../../src/local/standins/dynalite.js';
import { createLogger } from '../../src/logging.js';
import { LogCapture } from '../support/log-capture.js';

let dynamo: LocalDynamo;
let store: EventStore;
const nowMs = 1_700_000_000_000;
const logs = new LogCapture();
const logger = createLogger({ service: 'test', level: 'debug', destination: logs });

beforeAll(async () => {
  dynamo = await startDynalite();
  store = new EventStore(dynamo.client, { tableName: dynamo.tableName, leaseSeconds: 60, ttlDays: 35, now: () => nowMs });
});
afterAll(async () => dynamo.close());

describe('runOnce', () => {
  it('runs the work once and reports later calls as duplicates with the first outcome, in 2 DynamoDB requests', async () => {
    const lifecycle = new Idempotency(store, logger);
    let runs = 0;
    const before = dynamo.requests;
    const first = await lifecycle.runOnce('evt_once', 'test', async () => ({ value: (runs += 1), outcome: 'applied' }));
    expect(dynamo.requests - before).toBe(2);
    const second = await lifecycle.runOnce('evt_once', 'test', async () => ({ value: (runs += 1), outcome: 'applied' }));
    expect(first).toEqual({ status: 'done', value: 1 });
    expect(second).toEqual({ status: 'duplicate', outcome: 'applied' });
    expect(runs).toBe(1);
  });

  it('releases the claim when the work throws, so the retry runs at once', async () => {
    const lifecycle = new Idempotency(store, logger);
    await expect(
      lifecycle.runOnce('evt_throws', 'test', async () => {
        throw new TransientError('outage', { code: 'OUTAGE' });
      }),
    ).rejects.toMatchObject({ code: 'OUTAGE' });
    expect(await lifecycle.runOnce('evt_throws', 'test', async () => ({ value: 'ok', outcome: 'applied' }))).toEqual({ status: 'done', value: 'ok' });
  });

  it('reports work in progress elsewhere without running it', async () => {
    const lifecycle = new Idempotency(store, logger);
    await store.claim('evt_busy', 'test');
    let ran = false;
    const result = await lifecycle.runOnce('evt_busy', 'test', async () => ({ value: (ran = true), outcome: 'applied' }));
    expect(result).toMatchObject({ status: 'in_progress' });
    expect(ran).toBe(false);
  });

  it('treats a failed commit as a warning: the effect stands, the result is returned', async () => {
    const failingCommit: IdempotencyStore = {
      claim: (key, kind) => store.claim(key, kind),
      release: (key, token) => store.release(key, token),
      commit: async () => {
        throw new TransientError('DynamoDB commit failed: ThrottlingException', { code: 'DYNAMODB_THROTTLED' });
      },
    };
    logs.clear();
    const result = await new Idempotency(failingCommit, logger).runOnce('evt_commit_lost', 'test', async () => ({ value: 'billed', outcome: 'invoiced' }));
    expect(result).toEqual({ status: 'done', value: 'billed' });
    expect(logs.lines.find((l) => l['errorCode'] === 'DYNAMODB_THROTTLED')).toMatchObject({ level: 'warn' });
  });

  it('rethrows the work’s error, not a failed release', async () => {
    const failingRelease: IdempotencyStore = {
      claim: (key, kind) => store.claim(key, kind),
      commit: (completions) => store.commit(completions),
      release: async () => {
        throw new TransientError('DynamoDB release failed', { code: 'DYNAMODB_UNAVAILABLE' });
      },
    };
    await expect(
      new Idempotency(failingRelease, logger).runOnce('evt_release_lost', 'test', async () => {
        throw new TransientError('Stripe down', { code: 'STRIPE_api_error' });
      }),
    ).rejects.toMatchObject({ code: 'STRIPE_api_error' });
  });
});
