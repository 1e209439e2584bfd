/**
 * Sorts the test files into the fast inner loop (`npm run test:unit`) and the rest, by what they
 * import rather than by a list someone must keep up to date: a file is a unit test unless it, or a
 * repository module it imports (transitively: helpers, stand-ins, the local stack), can reach a
 * server, a child process, a bundler or a CDK synth. Packages are not followed: importing the AWS
 * SDK or jsforce is fine, starting an HTTP server is not.
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
  return file.startsWith(root) && !file.includes('node_modules') && existsSync(file) ? file : undefined;
}

interface Scanned {
  /** The source without its comments (a comment may name what the code does not do). */
  readonly code: string;
  readonly specifiers: string[];
}

/** Each file, read once per process. */
const scanned = new Map<string, Scanned>();

function scan(file: string): Scanned {
  let entry = scanned.get(file);
  if (entry === undefined) {
    const source = readFileSync(file, 'utf8');
    entry = { code: withoutComments(source), specifiers: specifiers(source) };
    scanned.set(file, entry);
  }
  return entry;
}

function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

/** Whether a file imports a specifier matching one of the patterns. */
const importsAny = (patterns: readonly RegExp[]) => (entry: Scanned): boolean =>
  entry.specifiers.some((specifier) => patterns.some((pattern) => pattern.test(specifier)));

/** True when the file or a module under `root` it imports (transitively) has a slow import. */
export function reachesSlowImport(file: string, root: string, seen = new Set<string>()): boolean {
  return reaches(file, root, importsAny(SLOW_IMPORTS), seen);
}

/**
 * Import specifiers of the files that cost the most to run (a child process, a browser, a CDK
 * synth): test/test-order.ts starts them first when vitest has no durations of its own yet.
 */
const HEAVY_IMPORTS: readonly RegExp[] = [/^(node:)?child_process$/, /^playwright-core$/, /^aws-cdk-lib(\/|$)/];

/** True when the file or a module under `root` it imports (transitively) has a heavy import. */
export function reachesHeavyImport(file: string, root: string): boolean {
  return reaches(file, root, importsAny(HEAVY_IMPORTS), new Set());
}

/**
 * Code that patches a shared class for the whole process: aws-sdk-client-mock's
 * `mockClient(SQSClient)` stubs `SQSClient.prototype.send`, for every instance, until restored.
 * `mockClient(client)` on one instance does not: only that object changes. The two are told
 * apart by the argument: a class name is capitalized, a variable, property or `new …` is not.
 */
export const CLASS_WIDE_MOCK = /\bmockClient\(\s*[A-Z]/;

/** True when the file, or a module under `root` it imports, mocks a class for the whole process. */
export function reachesProcessWideMock(file: string, root: string): boolean {
  return reaches(file, root, (entry) => CLASS_WIDE_MOCK.test(entry.code), new Set());
}

function reaches(file: string, root: string, matches: (entry: Scanned) => boolean, seen: Set<string>): boolean {
  if (seen.has(file)) return false;
  seen.add(file);
  const entry = scan(file);
  if (matches(entry)) return true;
  return entry.specifiers.some((specifier) => {
    const local = localFile(file, specifier, root);
    return local !== undefined && reaches(local, root, matches, seen);
  });
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const relativeTo = (repoRoot: string) => (file: string): string => relative(repoRoot, file).split('\\').join('/');

/** Test files (relative to `repoRoot`) that run no server, process, bundler or synth. */
export function unitTestFiles(repoRoot: string): string[] {
  return testFiles(join(repoRoot, 'test'))
    .filter((file) => !reachesSlowImport(file, repoRoot))
    .map(relativeTo(repoRoot))
    .sort();
}

/**
 * The other test files that need a module graph of their own: they mock an AWS SDK client class
 * for the whole process, so a file after them in the same worker could talk to the mock. The rest
 * share one module graph per worker (vitest.config.ts). None today: the integration tests mock
 * the client instance they hand to the code under test.
 */
export function isolatedTestFiles(repoRoot: string): string[] {
  return testFiles(join(repoRoot, 'test'))
    .filter((file) => reachesSlowImport(file, repoRoot) && reachesProcessWideMock(file, repoRoot))
    .map(relativeTo(repoRoot))
    .sort();
}
