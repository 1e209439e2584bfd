/**
 * Built Lambda bundles: size and cold `import` time in a fresh Node process, next to a bundle of
 * the bare SQS client built with the same esbuild settings (the cold-start budget's yardstick).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BRIDGE_ENTRIES, esbuildOptions, REPO_ROOT } from '../infra/bundling.js';
import { median, type Row } from './report.js';

const RUNS = 21;

/** What each handler reads at import time (config is loaded once per cold start). */
const HANDLER_ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDFAKE',
  AWS_SECRET_ACCESS_KEY: 'fake',
  LOG_LEVEL: 'silent',
  STRIPE_WEBHOOK_SECRET: 'whsec_bench_fake',
  INBOUND_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/inbound',
  DEDUP_TABLE_NAME: 'bench',
  SALESFORCE_INSTANCE_URL: 'https://example.invalid',
  SALESFORCE_ACCESS_TOKEN: 'fake-token',
  STRIPE_SECRET_KEY: 'sk_test_fake_bench',
};

async function bundleSqsOnly(outdir: string): Promise<string> {
  await mkdir(outdir, { recursive: true });
  const entry = join(outdir, 'sqs-only-entry.ts');
  await writeFile(
    entry,
    "import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';\nexport const client = new SQSClient({});\nexport const command = SendMessageCommand;\n",
  );
  await build({ ...esbuildOptions(entry, outdir), absWorkingDir: REPO_ROOT, metafile: false });
  return join(outdir, 'index.mjs');
}

/** Milliseconds to import the module in a fresh process (measured inside the child). */
function coldImportMs(file: string): number {
  const script = `const t=performance.now();await import(${JSON.stringify(file)});console.log(performance.now()-t)`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...HANDLER_ENV },
    encoding: 'utf8',
  });
  return Number(out.trim().split('\n').pop());
}

/**
 * Median cold import of `file` and of the yardstick, measured alternately so both see the same
 * machine noise (a shared 2-core box drifts by tens of percent between runs).
 */
function measureAgainst(file: string, yardstick: string): { ms: number; yardstickMs: number } {
  coldImportMs(file); // first runs warm the OS file cache
  coldImportMs(yardstick);
  const own: number[] = [];
  const reference: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    own.push(coldImportMs(file));
    reference.push(coldImportMs(yardstick));
  }
  return { ms: median(own), yardstickMs: median(reference) };
}

export async function benchBundles(): Promise<Row[]> {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const sqsOnly = await bundleSqsOnly(join(REPO_ROOT, 'dist', 'bench-sqs-only'));
  const rows: Row[] = [];
  const yardstickRuns: number[] = [];
  for (const name of Object.keys(BRIDGE_ENTRIES)) {
    const file = join(REPO_ROOT, 'dist', name, 'index.mjs');
    const meta = JSON.parse(await readFile(join(REPO_ROOT, 'dist', name, 'meta.json'), 'utf8')) as { inputs: Record<string, unknown> };
    const inputs = Object.keys(meta.inputs);
    const has = (fragment: string) => inputs.some((i) => i.includes(fragment));
    const { ms, yardstickMs } = measureAgainst(file, sqsOnly);
    yardstickRuns.push(yardstickMs);
    rows.push({
      bundle: name,
      size: `${((await stat(file)).size / 1024).toFixed(0)} KiB`,
      'cold import ms (median)': ms.toFixed(1),
      'ratio to SQS client': (ms / yardstickMs).toFixed(2),
      notes: [
        name === 'ingress' ? 'budget ≤ 1.3' : '',
        has('node_modules/jsforce/') ? (has('node_modules/jsforce/lib/api/') ? 'full jsforce (!)' : 'jsforce/core') : 'no jsforce',
        has('client-dynamodb') ? 'DynamoDB client' : 'no DynamoDB client',
        has('node_modules/stripe/') ? 'stripe' : 'no stripe',
      ]
        .filter((n) => n !== '')
        .join(', '),
    });
  }
  rows.unshift({
    bundle: 'bare SQS client (yardstick)',
    size: `${((await stat(sqsOnly)).size / 1024).toFixed(0)} KiB`,
    'cold import ms (median)': median(yardstickRuns).toFixed(1),
    'ratio to SQS client': '1.00',
    notes: 'measured alternately with each bundle',
  });
  return rows;
}
