/**
 * `stripe-sf-bridge backfill` and `reconcile` end to end through the CLI: arguments, the services of a running
 * local stack (its state file names the embedded Stripe, Salesforce and dynalite), the progress
 * line on a terminal, Ctrl-C and the resume, the summary.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/ops/cli.js';
import { systemClock } from '../../src/ops/clock.js';
import { stateFilePath, writeStateFile } from '../../src/ops/local-state.js';
import { CLIENT_ID, CLIENT_SECRET } from '../support/consumer-harness.js';
import { BACKFILL_PERMISSIONS, seedHistory, startBackfillWorld, type BackfillWorld } from '../reconcile/backfill-support.js';

let world: BackfillWorld;
let stateDir: string;

beforeEach(async () => {
  world = await startBackfillWorld();
  seedHistory(world, 30);
  stateDir = mkdtempSync(join(tmpdir(), 'backfill-cli-state-'));
  const queue = (name: string) => ({ url: `http://127.0.0.1:1/000000000000/${name}`, arn: `arn:aws:sqs:us-east-1:000000000000:${name}` });
  await writeStateFile(stateFilePath(1, stateDir), {
    url: 'http://127.0.0.1:1',
    port: 1,
    webhookSecret: undefined,
    pid: process.pid,
    queues: { inbound: queue('inbound'), inboundDlq: queue('inbound-dlq'), outboundDlq: queue('outbound-dlq') },
    embeddedStripe: { apiUrl: world.stripe.url, secretKey: world.stripe.restrictedKey(BACKFILL_PERMISSIONS) },
    embeddedSalesforce: { url: world.consumer.salesforce.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    dynamo: { endpoint: world.consumer.dynamo.endpoint, table: world.consumer.dynamo.tableName },
  });
});
afterEach(async () => {
  rmSync(stateDir, { recursive: true, force: true });
  await world.close();
});

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { env: {}, clock: systemClock, stdout: (line) => out.push(line), stderr: (line) => err.push(line), localStateDirectory: stateDir });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Waits the Bulk API 2.0 polls ask for are recorded, not slept. */
const bulkWaits: number[] = [];

async function backfill(args: string[], interruptAfterProgress?: number) {
  const out: string[] = [];
  const err: string[] = [];
  const progress: string[] = [];
  let handler: (() => void) | undefined;
  const code = await runCli(
    ['backfill', '--local', '--checkpoint', join(world.dir, 'cp.json'), '--failures', join(world.dir, 'failures.jsonl'), '--batch-size', '10', ...args],
    {
      env: {},
      clock: {
        now: systemClock.now,
        sleep: async (ms) => {
          bulkWaits.push(ms);
        },
      },
      stdout: (line) => out.push(line),
      stderr: (line) => err.push(line),
      progress: {
        isTTY: true,
        write: (text) => {
          progress.push(text);
          if (progress.length === interruptAfterProgress) handler?.();
        },
      },
      onInterrupt: (h) => {
        handler = h;
        return () => {
          handler = undefined;
        };
      },
      localStateDirectory: stateDir,
    },
  );
  return { code, out: out.join('\n'), err: err.join('\n'), progress };
}

describe('backfill CLI', () => {
  it('loads the history of the local stack with a progress line and a summary', async () => {
    const run = await backfill(['--since', '2024-06-01']);

    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Backfill finished/);
    expect(run.out).toMatch(/objects read\s+[\d,]+\s+customers 1, subscriptions 30, invoices 30, payments 30/);
    expect(run.out).toMatch(/records created\s+\d+/);
    expect(run.out).toMatch(/Salesforce API calls\s+\d+\s+0\.\d{4} per object; cap 5,000/);
    // A terminal: one line rewritten in place, with count, rate and progress.
    expect(run.progress[0]?.startsWith('\r\u001b[2K')).toBe(true);
    expect(run.progress[0]?.slice(5)).toMatch(/^\w+ · \d+ objects · [\d,]+\/s · \d+%/);
    expect(run.progress.at(-1)).toBe('\n');
    expect(world.consumer.salesforce.records('Stripe_Invoice__c').length).toBeGreaterThan(20);
  });

  it('writes through Bulk API 2.0 jobs with --bulk, and refuses --bulk with --composite', async () => {
    const run = await backfill(['--since', '2024-06-01', '--bulk', '--batch-size', '500']);

    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Backfill finished/);
    const jobs = world.consumer.salesforce.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/jobs/ingest'));
    expect(jobs.length).toBeGreaterThan(0);
    expect(world.consumer.salesforce.requests.some((r) => r.path.endsWith('/composite'))).toBe(false);
    expect(bulkWaits).toContain(1000);
    expect(world.consumer.salesforce.records('Stripe_Invoice__c').length).toBeGreaterThan(20);
    expect((await backfill(['--since', '2024-06-01', '--bulk', '--composite'])).err).toMatch(/--bulk and --composite exclude each other/);
  });

  it('stops after the batch in progress on Ctrl-C and resumes when run again', async () => {
    const first = await backfill(['--since', '2024-06-01'], 3);
    expect(first.code).toBe(3);
    expect(first.out).toMatch(/^Backfill interrupted: run the same command again to resume/);
    expect(first.err).toMatch(/Stopping after the batch in progress/);

    const second = await backfill(['--since', '2024-06-01']);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/^Backfill finished/);
    const again = await backfill(['--since', '2024-06-01']);
    expect(again.out).toMatch(/had already finished/);
  });

  it('prints JSON with --json and refuses bad arguments', async () => {
    const run = await backfill(['--since', '2024-06-01', '--objects', 'invoices', '--dry-run', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({ status: 'finished', dryRun: true, totals: { read: 30 } });
    expect(world.consumer.salesforce.records('Stripe_Invoice__c')).toHaveLength(0);

    expect((await backfill([])).code).toBe(2);
    expect((await backfill(['--since', '30d', '--objects', 'charges'])).err).toMatch(/--objects charges: Unknown object kind charges/);
  });

  it('reports drift as a table, JSON or CSV, and exits 1 when Stripe and Salesforce disagree', async () => {
    expect((await backfill(['--since', '2024-06-01'])).code).toBe(0);
    const clean = await cli(['reconcile', '--local', '--since', '2024-06-01']);
    expect(clean.code).toBe(0);
    expect(clean.out).toMatch(/^Compared 29 payments, 24 invoices, 30 subscriptions created since 2024-06-01\.\nNo differences/);

    world.stripe.lists.update('invoices', 'in_bf_1', { status: 'void', amount_remaining: 0 });
    const csv = join(world.dir, 'drift.csv');
    const drifted = await cli(['reconcile', '--local', '--since', '2024-06-01', '--objects', 'invoices', '--csv', csv]);
    expect(drifted.code).toBe(1);
    expect(drifted.out).toMatch(/2 differences:\n\nobject +stripe id +field +stripe +salesforce\n-+/);
    expect(drifted.out).toMatch(/Stripe_Invoice__c +in_bf_1 +Status__c +Void +Open/);
    expect(readFileSync(csv, 'utf8')).toContain('invoices,Stripe_Invoice__c,in_bf_1,Status__c,Void,Open');
    const json = JSON.parse((await cli(['reconcile', '--local', '--since', '2024-06-01', '--json'])).out);
    expect(json.differences).toHaveLength(2);
  });
});
