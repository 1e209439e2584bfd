/**
 * The Lambda bundles as `npm run build` makes them (esbuildOptions() of infra/bundling.ts, the
 * entry under the repository root, output as `dist/<name>/index.mjs`), built in memory once per
 * test worker and shared by every file that reads them: a bundle costs one to three seconds of
 * esbuild, and the integration files of a worker share one module graph (vitest.config.ts), so
 * this cache too. test/infra/stack.test.ts proves a deployed bundle (NodejsFunction with
 * lambdaBundling()) is byte for byte this one, so facts read here hold for what `cdk deploy` ships.
 */
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { BRIDGE_ENTRIES, esbuildOptions, REPO_ROOT, type BridgeEntryName } from '../../infra/bundling.js';

export interface BuiltBundle {
  /** `index.mjs` as `npm run build` writes it. */
  readonly code: string;
  /** esbuild's metafile: what went in (`inputs`, paths relative to the repository root) and out. */
  readonly meta: Metafile;
  /** Import paths of `index.mjs` that stay outside the bundle. */
  readonly externalImports: readonly string[];
}

const builds = new Map<BridgeEntryName, Promise<BuiltBundle>>();

/** The bundle of one Lambda entry point (BRIDGE_ENTRIES), built on first use. */
export function bridgeBundle(name: BridgeEntryName): Promise<BuiltBundle> {
  let bundle = builds.get(name);
  if (bundle === undefined) {
    bundle = buildBundle(name);
    builds.set(name, bundle);
  }
  return bundle;
}

async function buildBundle(name: BridgeEntryName): Promise<BuiltBundle> {
  // Nothing is written: the same options as scripts/build.ts, with the files kept in memory.
  const result = await build({
    ...esbuildOptions(join(REPO_ROOT, BRIDGE_ENTRIES[name]), join(REPO_ROOT, 'dist', name)),
    absWorkingDir: REPO_ROOT,
    write: false,
  });
  const code = result.outputFiles.find((file) => file.path.endsWith('/index.mjs'));
  const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('/index.mjs'))?.[1];
  if (code === undefined || output === undefined) throw new Error(`esbuild wrote no index.mjs for ${name}`);
  return {
    code: code.text,
    meta: result.metafile,
    externalImports: output.imports.filter((i) => i.external === true).map((i) => i.path),
  };
}
