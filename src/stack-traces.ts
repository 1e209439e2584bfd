/**
 * Readable stack traces in the Lambda bundles, paid for only when a stack is actually printed.
 *
 * `--enable-source-maps` makes Node read and decode the bundle's whole source map while the bundle
 * loads, which doubled the cold import of the consumer and outbound bundles (+~390 ms, +~68 MiB).
 * Instead, each handler imports this module first: it installs `Error.prepareStackTrace`, and when
 * a stack is formatted (an error logged, or thrown out of the handler, which the Lambda runtime
 * prints) the frames that point into the bundle are mapped back to `src/…ts:line:column` and the
 * original function name. The first stack reads `index.mjs.map` (kept as text: sources, names and
 * the encoded mappings); each stack then decodes the mappings in one pass, remembering only the
 * segments its frames need, so no table of the whole map is ever built. `npm run bench` prints
 * what the first stack costs; a cold start costs one `existsSync`.
 *
 * Outside a bundle (tests, `npm start` under tsx) there is no `.map` next to this file and nothing
 * is installed; with `--enable-source-maps` Node maps by itself and nothing is installed either.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface SourceMapText {
  readonly sources: readonly string[];
  readonly names: readonly string[];
  readonly mappings: string;
}

/** A position in the original sources (0-based line and column, as source maps count). */
export interface OriginalPosition {
  readonly source: string;
  readonly line: number;
  readonly column: number;
  readonly name: string | undefined;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64.length; i++) DIGIT[BASE64.charCodeAt(i)] = i;
const COMMA = 44;
const SEMICOLON = 59;

/**
 * Maps generated positions (0-based line and column) to original ones in a single pass over the
 * source map's `mappings` (Source Map v3: base64 VLQ, fields relative to the previous segment).
 * Each position takes the last segment of its line that starts at or before its column.
 */
export function originalPositions(map: SourceMapText, positions: ReadonlyArray<readonly [number, number]>): Array<OriginalPosition | undefined> {
  const found: Array<OriginalPosition | undefined> = positions.map(() => undefined);
  const wanted = new Map<number, number[]>();
  positions.forEach(([line], index) => wanted.set(line, [...(wanted.get(line) ?? []), index]));
  let lastLine = -1;
  for (const line of wanted.keys()) lastLine = Math.max(lastLine, line);

  const { mappings } = map;
  const fields = [0, 0, 0, 0, 0];
  let line = 0;
  let column = 0;
  let source = 0;
  let originalLine = 0;
  let originalColumn = 0;
  let name = 0;
  let here = wanted.get(0);
  for (let i = 0; i < mappings.length && line <= lastLine; ) {
    const code = mappings.charCodeAt(i);
    if (code === SEMICOLON) {
      line += 1;
      column = 0;
      here = wanted.get(line);
      i += 1;
      continue;
    }
    if (code === COMMA) {
      i += 1;
      continue;
    }
    let count = 0;
    while (i < mappings.length && count < 5) {
      const next = mappings.charCodeAt(i);
      if (next === COMMA || next === SEMICOLON) break;
      let value = 0;
      let shift = 0;
      let digit: number;
      do {
        digit = DIGIT[mappings.charCodeAt(i++)] ?? -1;
        if (digit < 0) return found; // not a v3 map: leave what is left unmapped
        value += (digit & 31) << shift;
        shift += 5;
      } while (digit & 32);
      fields[count++] = value & 1 ? -(value >>> 1) : value >>> 1;
    }
    column += fields[0] ?? 0;
    if (count < 4) continue;
    source += fields[1] ?? 0;
    originalLine += fields[2] ?? 0;
    originalColumn += fields[3] ?? 0;
    if (count === 5) name += fields[4] ?? 0;
    if (here === undefined) continue;
    for (const index of here) {
      const target = positions[index];
      if (target !== undefined && column <= target[1]) {
        found[index] = {
          source: map.sources[source] ?? '?',
          line: originalLine,
          column: originalColumn,
          name: count === 5 ? map.names[name] : undefined,
        };
      }
    }
  }
  return found;
}

/** `../../src/handlers/ingress.ts` → `src/handlers/ingress.ts` (sources are relative to the map). */
function readableSource(source: string): string {
  const path = source.startsWith('file://') ? fileURLToPath(source) : source;
  return path.replace(/^(\.\.?\/)+/, '').replace(/^.*\/(src|node_modules)\//, '$1/');
}

function header(error: unknown): string {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return '<error>';
  }
}

/** Formats a stack, mapping the frames that point into the bundle at `bundleUrl`. */
export function formatStack(error: unknown, sites: readonly NodeJS.CallSite[], bundleUrl: string, map: SourceMapText | null): string {
  const inBundle = (site: NodeJS.CallSite | undefined): site is NodeJS.CallSite =>
    site !== undefined && site.getFileName() === bundleUrl && site.getLineNumber() !== null && site.getColumnNumber() !== null;
  const positions = sites.map((site): readonly [number, number] =>
    inBundle(site) ? [(site.getLineNumber() ?? 1) - 1, (site.getColumnNumber() ?? 1) - 1] : [-1, -1],
  );
  const origins = map === null ? [] : originalPositions(map, positions);
  const frames = sites.map((site, index) => {
    const at = inBundle(site) ? origins[index] : undefined;
    if (at === undefined) return `    at ${site.toString()}`;
    // A map records the callee's name at a call: this frame's name sits at its caller's call.
    const name = (inBundle(sites[index + 1]) ? origins[index + 1]?.name : undefined) ?? site.getFunctionName() ?? '';
    const location = `${readableSource(at.source)}:${at.line + 1}:${at.column + 1}`;
    const prefix = site.isAsync() ? 'async ' : '';
    return name === '' ? `    at ${prefix}${location}` : `    at ${prefix}${name} (${location})`;
  });
  return [header(error), ...frames].join('\n');
}

/**
 * Installs lazy source mapping for the bundle at `bundleUrl` (this module's own URL once bundled).
 * Returns whether it did.
 */
export function installLazySourceMaps(bundleUrl: string): boolean {
  if (!bundleUrl.startsWith('file:')) return false;
  const mapPath = `${fileURLToPath(bundleUrl)}.map`;
  if (process.sourceMapsEnabled || !existsSync(mapPath)) return false;

  let map: SourceMapText | null | undefined;
  const loadMap = (): SourceMapText | null => {
    if (map === undefined) {
      try {
        const { sources, names, mappings } = JSON.parse(readFileSync(mapPath, 'utf8')) as SourceMapText;
        map = { sources, names, mappings };
      } catch {
        // An unreadable map must not turn one error into another: frames stay as they are.
        map = null;
      }
    }
    return map;
  };
  Error.prepareStackTrace = (error, sites) => formatStack(error, sites, bundleUrl, loadMap());
  return true;
}

installLazySourceMaps(import.meta.url);
