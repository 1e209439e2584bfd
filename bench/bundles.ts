/**
 * The deployed Lambda bundles: size, what went in, and cold load as deployed — each bundle
 * imported in a fresh Node process with its function's template environment and NODE_OPTIONS,
 * next to a bundle of the bare SQS client built with the same esbuild settings (the cold-start
 * budget's yardstick), loaded alternately so both see the same machine noise.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { esbuildOptions, REPO_ROOT } from '../infra/bundling.js';
import { lambdaRuntimeEnvironment, type DeployedFunction, type DeployedStack } from './deployed.js';
import { median, type Row } from './report.js';

/**
 * Cold loads per bundle, each paired with one of the yardstick right after it; BENCH_COLD_RUNS
 * overrides. 21 pairs: the median of the pairs' ratios moved by about ±0.05 between runs on a
 * busy 2-core machine with 11.
 */
export const COLD_RUNS = Number(process.env['BENCH_COLD_RUNS'] ?? 21);

/** Budgets from ARCHITECTURE.md, printed next to the ratios (never enforced). */
const BUDGET: Readonly<Record<string, string>> = { ingress: '≤ 1.3' };
const DEFAULT_BUDGET = '≤ 2';

interface Metafile {
  readonly outputs: Record<string, { readonly entryPoint?: string; readonly inputs: Record<string, { readonly bytesInOutput: number }> }>;
}

interface Load {
  readonly ms: number;
  /** On-CPU time of the import (user + system): steadier than wall time on a busy machine. */
  readonly cpuMs: number;
  readonly rssMiB: number;
}

async function bundleSqsOnly(outdir: string): Promise<string> {
  mkdirSync(outdir, { recursive: true });
  const entry = join(outdir, 'sqs-only-entry.ts');
  writeFileSync(
    entry,
    "import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';\nexport const client = new SQSClient({});\nexport const command = SendMessageCommand;\n",
  );
  await build({ ...esbuildOptions(entry, outdir), absWorkingDir: REPO_ROOT, metafile: false });
  return join(outdir, 'index.mjs');
}

/** Imports `file` in a fresh process with exactly `env` (plus PATH); time and RSS measured inside. */
function coldLoad(file: string, env: Record<string, string>): Load {
  const script = `const c=process.cpuUsage();const t=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});const ms=performance.now()-t;const u=process.cpuUsage(c);console.log(JSON.stringify({ms,cpu:(u.user+u.system)/1000,rss:process.memoryUsage().rss}))`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    encoding: 'utf8',
  });
  const last = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { ms: number; cpu: number; rss: number };
  return { ms: last.ms, cpuMs: last.cpu, rssMiB: last.rss / 2 ** 20 };
}

/**
 * What the first printed stack costs after a cold load: src/stack-traces.ts reads and decodes the
 * bundle's source map then (once per execution environment), instead of at every cold start.
 */
function firstStackCost(file: string, env: Record<string, string>): Load {
  // A stack whose frames sit at the end of the bundle: the mapping is decoded to its last segment.
  const url = pathToFileURL(file).href;
  const script = `await import(${JSON.stringify(url)});
const lines = (await import('node:fs')).readFileSync(${JSON.stringify(file)}, 'utf8').split('\\n');
const site = (line) => ({ getFileName: () => ${JSON.stringify(url)}, getLineNumber: () => line, getColumnNumber: () => lines[line - 1].length, getFunctionName: () => 'f', isAsync: () => false, toString: () => 'f' });
const last = lines.findLastIndex((l) => l !== '' && !l.startsWith('//#')) + 1;
const sites = Array.from({ length: 10 }, () => site(last));
const r = process.memoryUsage().rss;
const t = performance.now();
const stack = Error.prepareStackTrace(new Error('first'), sites);
const ms = performance.now() - t;
if (!stack.includes('.ts:') && !stack.includes('.js:')) throw new Error('stack not mapped: ' + stack);
console.log(JSON.stringify({ ms, rss: process.memoryUsage().rss - r }));`;
  let out: string;
  try {
    out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env['PATH'] ?? '', ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    // A bundle without src/stack-traces.ts (an older build) maps stacks its own way, or not at all.
    return { ms: Number.NaN, cpuMs: Number.NaN, rssMiB: Number.NaN };
  }
  const last = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { ms: number; rss: number };
  return { ms: last.ms, cpuMs: Number.NaN, rssMiB: last.rss / 2 ** 20 };
}

/** Bytes in the bundle per package (`(bridge)` for our own code). */
export function packageBytes(bundleDir: string): Map<string, number> {
  const meta = JSON.parse(readFileSync(join(bundleDir, 'index.meta.json'), 'utf8')) as Metafile;
  const output = Object.values(meta.outputs).find((o) => o.entryPoint !== undefined);
  const bytes = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    let name = match?.[1] ?? '(bridge)';
    if (name === 'zod') name = input.includes('zod/v4/mini') || input.includes('zod/mini') ? 'zod (mini)' : 'zod';
    bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput);
  }
  return bytes;
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

/** Size of each bundle and of its source map, and its largest parts. */
export function bundleSizeRows(deployed: DeployedStack): Row[] {
  return deployed.functions.map((fn) => {
    const parts = [...packageBytes(fn.bundleDir).entries()].sort((a, b) => b[1] - a[1]);
    return {
      function: fn.name,
      'index.mjs': kib(statSync(join(fn.bundleDir, 'index.mjs')).size),
      'index.mjs.map': kib(statSync(join(fn.bundleDir, 'index.mjs.map')).size),
      'largest parts': parts
        .slice(0, 6)
        .map(([name, bytes]) => `${name} ${kib(bytes)}`)
        .join(', '),
    };
  });
}

interface Measured {
  readonly own: Load;
  readonly reference: Load;
  readonly firstStack: Load;
  /** own / reference of each pair (wall time), and of on-CPU time. */
  readonly ratios: readonly number[];
  readonly cpuRatios: readonly number[];
}

/** The value below which `fraction` of `values` lie (nearest rank). */
function quantile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(fraction * (sorted.length - 1))))] ?? Number.NaN;
}

/** Middle half of the paired ratios: how far one run's ratio may be trusted. */
export function spread(ratios: readonly number[]): string {
  return `${quantile(ratios, 0.25).toFixed(2)}–${quantile(ratios, 0.75).toFixed(2)}`;
}

function measureAgainst(fn: DeployedFunction, yardstick: string): Measured {
  const runtime = lambdaRuntimeEnvironment(fn);
  const deployedEnv = { ...runtime, ...fn.environment };
  const file = join(fn.bundleDir, 'index.mjs');
  coldLoad(file, deployedEnv); // the first runs warm the OS file cache
  coldLoad(yardstick, runtime);
  const own: Load[] = [];
  const reference: Load[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    // Alternating which goes first, so a slow start or end of a pair's time slice hits both alike.
    if (i % 2 === 0) {
      own.push(coldLoad(file, deployedEnv));
      reference.push(coldLoad(yardstick, runtime));
    } else {
      reference.push(coldLoad(yardstick, runtime));
      own.push(coldLoad(file, deployedEnv));
    }
  }
  const stacks = [0, 1, 2].map(() => firstStackCost(file, deployedEnv));
  const summary = (loads: readonly Load[]): Load => ({
    ms: median(loads.map((l) => l.ms)),
    cpuMs: median(loads.map((l) => l.cpuMs)),
    rssMiB: median(loads.map((l) => l.rssMiB)),
  });
  return {
    own: summary(own),
    reference: summary(reference),
    firstStack: summary(stacks),
    ratios: own.map((load, i) => load.ms / (reference[i]?.ms ?? Number.NaN)),
    cpuRatios: own.map((load, i) => load.cpuMs / (reference[i]?.cpuMs ?? Number.NaN)),
  };
}

export async function benchColdLoads(deployed: DeployedStack): Promise<Row[]> {
  const sqsOnly = await bundleSqsOnly(join(REPO_ROOT, 'dist', 'bench-sqs-only'));
  const rows: Row[] = [];
  const references: Load[] = [];
  for (const fn of deployed.functions) {
    const { own, reference, firstStack, ratios, cpuRatios } = measureAgainst(fn, sqsOnly);
    references.push(reference);
    rows.push({
      function: fn.name,
      NODE_OPTIONS: fn.environment['NODE_OPTIONS'] ?? '(none)',
      'cold load ms (median)': own.ms.toFixed(1),
      'SQS client ms (same run)': reference.ms.toFixed(1),
      'ratio (median of pairs)': median(ratios).toFixed(2),
      'middle half of pairs': spread(ratios),
      budget: BUDGET[fn.name] ?? DEFAULT_BUDGET,
      'ratio of CPU time (median of pairs)': median(cpuRatios).toFixed(2),
      'CPU middle half': spread(cpuRatios),
      'RSS after load': `${own.rssMiB.toFixed(0)} MiB`,
      'first stack printed (source map read)': Number.isNaN(firstStack.ms) ? 'n/a' : `${firstStack.ms.toFixed(0)} ms, +${firstStack.rssMiB.toFixed(0)} MiB`,
    });
  }
  rows.push({
    function: 'bare SQS client (yardstick)',
    NODE_OPTIONS: '(none)',
    'cold load ms (median)': median(references.map((r) => r.ms)).toFixed(1),
    'SQS client ms (same run)': '',
    'ratio (median of pairs)': '1.00',
    'middle half of pairs': '',
    budget: '',
    'ratio of CPU time (median of pairs)': '1.00',
    'CPU middle half': '',
    'RSS after load': `${median(references.map((r) => r.rssMiB)).toFixed(0)} MiB`,
    'first stack printed (source map read)': '',
  });
  return rows;
}
