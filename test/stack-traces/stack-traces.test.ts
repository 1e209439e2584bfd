/**
 * src/stack-traces.ts: stack traces of a bundle mapped back to the TypeScript sources, without
 * `--enable-source-maps`, and the source map read only when a stack is first printed.
 * Each case runs in a fresh Node process, as a Lambda execution environment would.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_ENTRIES, esbuildOptions, REPO_ROOT } from '../../infra/bundling.js';

const here = fileURLToPath(new URL('.', import.meta.url));
// Under dist/ like `npm run build` (and cdk.out like `cdk synth`): the map names the sources
// relative to the repository, as it does in the deployed bundles.
mkdirSync(join(REPO_ROOT, 'dist'), { recursive: true });
const outdir = mkdtempSync(join(REPO_ROOT, 'dist', 'test-stack-traces-'));
const bundle = join(outdir, 'index.mjs');

/** 1-based line of the marker comment in the fixture. */
function lineOf(marker: string): number {
  return readFileSync(join(here, 'amount.ts'), 'utf8').split('\n').findIndex((line) => line.includes(marker)) + 1;
}

/** Imports the bundle in a fresh process, optionally moves the map away first, prints the stack. */
async function stackInFreshProcess(options: { nodeArgs?: string[]; removeMapAfterLoad?: boolean } = {}): Promise<string> {
  const script = `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)});
${options.removeMapAfterLoad === true ? `(await import('node:fs')).renameSync(${JSON.stringify(`${bundle}.map`)}, ${JSON.stringify(`${bundle}.map.away`)});` : ''}
console.log(await m.failingStack());`;
  const { stdout } = await promisify(execFile)(process.execPath, [...(options.nodeArgs ?? []), '--input-type=module', '-e', script], {
    env: { PATH: process.env['PATH'] ?? '' },
  });
  return stdout;
}

beforeAll(async () => {
  await build({ ...esbuildOptions(join(here, 'entry.ts'), outdir), absWorkingDir: REPO_ROOT });
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('lazy source maps in a bundle', () => {
  it('maps every frame of the bundle to its source file, line and function', async () => {
    const stack = await stackInFreshProcess();

    expect(stack).toContain('TypeError: not an amount: abc');
    expect(stack).toContain(`at parseAmount (test/stack-traces/amount.ts:${lineOf('THROW HERE')}:`);
    expect(stack).toContain(`at chargeTwice (test/stack-traces/amount.ts:${lineOf('CALL HERE')}:`);
    expect(stack).toMatch(/at async failingStack \(test\/stack-traces\/entry\.ts:\d+:\d+\)/);
    expect(stack).not.toContain('index.mjs');
  });

  it('reads the map only when a stack is printed, not when the bundle loads', async () => {
    try {
      const stack = await stackInFreshProcess({ removeMapAfterLoad: true });
      // Installed at load (the map existed), but the map was gone by the first stack: frames stay as they are.
      expect(stack).toContain('TypeError: not an amount: abc');
      expect(stack).toContain('index.mjs:');
      expect(stack).not.toContain('amount.ts');
    } finally {
      renameSync(`${bundle}.map.away`, `${bundle}.map`);
    }
  });

  it('leaves the mapping to Node when it runs with --enable-source-maps', async () => {
    const stack = await stackInFreshProcess({ nodeArgs: ['--enable-source-maps'] });
    // Node's own format: absolute paths of the sources.
    expect(stack).toContain(`${join(here, 'amount.ts')}:${lineOf('THROW HERE')}:`);
  });
});

describe('every Lambda entry point', () => {
  it.each(Object.entries(BRIDGE_ENTRIES))('%s imports src/stack-traces.ts before anything else', (_name, entry) => {
    const firstImport = /^import\s[^;]*?['"]([^'"]+)['"]/m.exec(readFileSync(join(REPO_ROOT, entry), 'utf8'))?.[1];
    expect(firstImport).toBe('../stack-traces.js');
  });
});
