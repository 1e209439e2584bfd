/**
 * The one definition of how a Lambda bundle is built. `NodejsFunction` (what `cdk deploy` ships)
 * and `scripts/build.ts` (what `npm run build` and the benchmark measure) both derive their esbuild
 * settings from here, so the measured bundle is the deployed bundle.
 */
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';
import { LogLevel, OutputFormat, SourceMapMode, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/** Repository root: entries, package-lock.json and tsconfig.json are resolved from here. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The Lambda entry points, by bundle name (`dist/<name>/index.mjs`). */
export const BRIDGE_ENTRIES = {
  ingress: 'src/handlers/ingress.ts',
  consumer: 'src/handlers/consumer.ts',
  outbound: 'src/handlers/outbound.ts',
  reconciler: 'src/handlers/reconciler.ts',
  'rollup-writer': 'src/handlers/rollup-writer.ts',
} as const;

export type BridgeEntryName = keyof typeof BRIDGE_ENTRIES;

/** Node major of the Lambda runtime (`nodejs24.x`); esbuild lowers syntax only below it. */
export const NODE_TARGET = 'node24';

/**
 * ESM output still meets CommonJS dependencies (jsforce calls `require('events')`); esbuild's
 * `require` shim throws in ESM unless a real `require` exists, so the bundle creates one.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __bridgeCreateRequire } from 'node:module'; const require = __bridgeCreateRequire(import.meta.url);";

/** The settings both builds share, in esbuild's vocabulary. */
export interface SharedBundleSettings {
  readonly platform: 'node';
  readonly format: 'esm';
  readonly target: string;
  readonly minify: boolean;
  readonly keepNames: boolean;
  readonly sourcemap: boolean;
  readonly sourcesContent: boolean;
  readonly mainFields: readonly string[];
  readonly external: readonly string[];
  /** Package → file (relative to the repository root) that replaces it in the bundle. */
  readonly alias: Readonly<Record<string, string>>;
  readonly bannerJs: string;
}

/**
 * jsforce's dependencies for features the bridge never calls, replaced in the bundles: its HTTP
 * stack by Node's own `fetch`, multipart, XML and CSV by stand-ins that keep what little jsforce
 * touches on the REST path (src/salesforce/jsforce-bundle/ says why each is safe). About 1.1 MB of
 * the consumer and outbound bundles. Paths are relative to the repository root, where both builds
 * run esbuild.
 */
export const JSFORCE_REPLACEMENTS: Readonly<Record<string, string>> = {
  undici: './src/salesforce/jsforce-bundle/undici.ts',
  'form-data': './src/salesforce/jsforce-bundle/form-data.ts',
  xml2js: './src/salesforce/jsforce-bundle/xml2js.ts',
  'csv-parse': './src/salesforce/jsforce-bundle/csv.ts',
  'csv-parse/sync': './src/salesforce/jsforce-bundle/csv.ts',
  'csv-stringify': './src/salesforce/jsforce-bundle/csv.ts',
  'csv-stringify/sync': './src/salesforce/jsforce-bundle/csv.ts',
};

/**
 * pino's transport machinery, which the functions never use (they log to stdout): replaced in the
 * bundles so it is not compiled at every cold start (src/logging-bundle/ says why it is safe).
 */
export const LOGGING_REPLACEMENTS: Readonly<Record<string, string>> = {
  'thread-stream': './src/logging-bundle/thread-stream.cjs',
};

export const SHARED_BUNDLE: SharedBundleSettings = {
  platform: 'node',
  format: 'esm',
  target: NODE_TARGET,
  minify: true,
  // Error names survive minification: logs and error classification read `err.name`.
  keepNames: true,
  // An external `.map` next to the bundle: the bundle stays small, stack traces stay readable.
  sourcemap: true,
  sourcesContent: false,
  // Prefer the ESM builds (AWS SDK v3, smithy) so unused code can be tree-shaken.
  mainFields: ['module', 'main'],
  // Nothing external: the AWS SDK is bundled so the deployed SDK is the one the tests ran.
  external: [],
  alias: { ...JSFORCE_REPLACEMENTS, ...LOGGING_REPLACEMENTS },
  bannerJs: ESM_REQUIRE_BANNER,
};

/** Bundling options for `NodejsFunction`, equal to {@link SHARED_BUNDLE}. */
export function lambdaBundling(shared: SharedBundleSettings = SHARED_BUNDLE): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: shared.target,
    minify: shared.minify,
    keepNames: shared.keepNames,
    sourceMap: shared.sourcemap,
    sourceMapMode: SourceMapMode.DEFAULT,
    sourcesContent: shared.sourcesContent,
    mainFields: [...shared.mainFields],
    externalModules: [...shared.external],
    // NodejsFunction has no `alias` option; it passes these to the esbuild CLI as --alias:pkg=path.
    esbuildArgs: { '--alias': Object.entries(shared.alias).map(([name, path]) => `${name}=${path}`) },
    banner: shared.bannerJs,
    // Written next to the bundle as index.meta.json: the infra tests read what went in.
    metafile: true,
    // Warnings and errors only, as `npm run build`: no per-file size listing in synth or test output.
    logLevel: LogLevel.WARNING,
  };
}

/** esbuild build options for one entry, writing `<outdir>/index.mjs` like `NodejsFunction` does. */
export function esbuildOptions(
  entry: string,
  outdir: string,
  shared: SharedBundleSettings = SHARED_BUNDLE,
): BuildOptions & { metafile: true } {
  return {
    platform: shared.platform,
    format: shared.format,
    target: shared.target,
    minify: shared.minify,
    keepNames: shared.keepNames,
    sourcemap: shared.sourcemap,
    sourcesContent: shared.sourcesContent,
    mainFields: [...shared.mainFields],
    external: [...shared.external],
    alias: { ...shared.alias },
    banner: { js: shared.bannerJs },
    entryPoints: [entry],
    bundle: true,
    outfile: `${outdir}/index.mjs`,
    metafile: true,
    logLevel: 'warning',
  };
}
