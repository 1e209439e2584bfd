/**
 * `npm run build`: bundles every Lambda entry point exactly as `cdk deploy` does (same esbuild
 * settings, from infra/bundling.ts) into `dist/<name>/index.mjs`, with the esbuild metafile as
 * `dist/<name>/meta.json` for the benchmark (bundle size, cold require time).
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BRIDGE_ENTRIES, esbuildOptions, type BridgeEntryName } from '../infra/bundling.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const distDir = join(repoRoot, 'dist');

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

async function buildOne(name: BridgeEntryName): Promise<{ name: string; bytes: number; file: string }> {
  const outdir = join(distDir, name);
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const result = await build({
    ...esbuildOptions(join(repoRoot, BRIDGE_ENTRIES[name]), outdir),
    absWorkingDir: repoRoot,
  });
  await writeFile(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  const file = join(outdir, 'index.mjs');
  const { size } = await stat(file);
  return { name, bytes: size, file };
}

async function main(): Promise<void> {
  const names = Object.keys(BRIDGE_ENTRIES) as BridgeEntryName[];
  // One at a time: the build machine is small and the output order stays stable.
  const built = [];
  for (const name of names) built.push(await buildOne(name));
  for (const b of built) {
    console.log(`${b.name.padEnd(10)} ${kib(b.bytes).padStart(10)}  ${relative(repoRoot, b.file)}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
