/**
 * Sorts the test files into the fast inner loop (`npm run test:unit`) and the rest, by what they
 * import rather than by a list someone must keep up to date: a file is a unit test unless it, or a
 * helper under test/ that it imports, reaches a server, a child process, a bundler or a CDK synth.
 * Read by vitest.config.ts; test/test-kinds.test.ts checks the rule on known files.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Import specifiers that mean "not a unit test" (network, processes, bundling, synth). */
const SLOW_IMPORTS: readonly RegExp[] = [
  /^(node:)?(http|https|http2|net|tls|dgram|child_process|worker_threads)$/,
  /^esbuild$/,
  /^aws-cdk-lib(\/|$)/,
  /^dynalite$/,
  // The local stack starts HTTP servers and dynalite.
  /\/src\/local\/(stack|main)\.js$/,
];

const IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function specifiers(source: string): string[] {
  const out: string[] = [];
  for (const pattern of [IMPORT, DYNAMIC_IMPORT]) {
    for (const match of source.matchAll(pattern)) {
      // `import type` never runs anything.
      if (/^\s*(import|export)\s+type\s/.test(match[0])) continue;
      if (match[1] !== undefined) out.push(match[1]);
    }
  }
  return out;
}

/** A relative `.js` import as the `.ts` file it names, when that file is under `root`. */
function localFile(from: string, specifier: string, root: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const file = resolve(dirname(from), specifier).replace(/\.js$/, '.ts');
  return file.startsWith(root) && existsSync(file) ? file : undefined;
}

/** True when the file or a helper under `testRoot` it imports (transitively) reaches a slow import. */
export function reachesSlowImport(file: string, testRoot: string, seen = new Set<string>()): boolean {
  if (seen.has(file)) return false;
  seen.add(file);
  for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
    const normalised = specifier.startsWith('.') ? resolve(dirname(file), specifier) : specifier;
    if (SLOW_IMPORTS.some((pattern) => pattern.test(normalised))) return true;
    const local = localFile(file, specifier, testRoot);
    if (local !== undefined && reachesSlowImport(local, testRoot, seen)) return true;
  }
  return false;
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Test files (relative to `repoRoot`) that run no server, process, bundler or synth. */
export function unitTestFiles(repoRoot: string): string[] {
  const testRoot = join(repoRoot, 'test');
  return testFiles(testRoot)
    .filter((file) => !reachesSlowImport(file, testRoot))
    .map((file) => relative(repoRoot, file).split('\\').join('/'))
    .sort();
}
