/**
 * Readable stack traces in the Lambda bundles, paid for only when a stack is actually read.
 *
 * `--enable-source-maps` makes Node read and decode the bundle's source map while the bundle
 * loads, which doubled the cold import of the consumer and outbound bundles (+~390 ms, +~68 MiB).
 * Instead, each handler imports this module first: it installs `Error.prepareStackTrace`, and the
 * first time a stack is formatted (an error logged, an error thrown out of the handler, which the
 * Lambda runtime prints) it reads `index.mjs.map` next to the bundle and maps every frame of the
 * bundle back to `src/…ts:line:column` and the original function name. That first stack costs
 * the map's parse (tens of milliseconds and some MiB, once per execution environment); the cold
 * start costs one `existsSync`.
 *
 * Outside a bundle (tests, `npm start` under tsx) there is no `.map` next to this file and nothing
 * is installed; with `--enable-source-maps` Node maps by itself and nothing is installed either.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload, type SourceOrigin } from 'node:module';
import { fileURLToPath } from 'node:url';

/** `../../src/handlers/ingress.ts` → `src/handlers/ingress.ts` (sources are relative to the map). */
function readableSource(fileName: string): string {
  const path = fileName.startsWith('file://') ? fileURLToPath(fileName) : fileName;
  return path.replace(/^(\.\.?\/)+/, '').replace(/^.*\/(src|node_modules)\//, '$1/');
}

function origin(map: SourceMap, site: NodeJS.CallSite | undefined, bundleUrl: string): SourceOrigin | undefined {
  if (site === undefined || site.getFileName() !== bundleUrl) return undefined;
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (line === null || column === null) return undefined;
  const found = map.findOrigin(line, column);
  return 'fileName' in found ? found : undefined;
}

function header(error: unknown): string {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return '<error>';
  }
}

/**
 * Installs lazy source mapping for the bundle at `bundleUrl` (this module's own URL once bundled).
 * Returns whether it did.
 */
export function installLazySourceMaps(bundleUrl: string): boolean {
  if (!bundleUrl.startsWith('file:')) return false;
  const mapPath = `${fileURLToPath(bundleUrl)}.map`;
  if (process.sourceMapsEnabled || !existsSync(mapPath)) return false;

  let map: SourceMap | null | undefined;
  const loadMap = (): SourceMap | null => {
    if (map === undefined) {
      try {
        map = new SourceMap(JSON.parse(readFileSync(mapPath, 'utf8')) as SourceMapPayload);
      } catch {
        // An unreadable map must not turn one error into another: frames stay as they are.
        map = null;
      }
    }
    return map;
  };

  Error.prepareStackTrace = (error, sites) => {
    const sourceMap = loadMap();
    const frames = sites.map((site, index) => {
      const at = sourceMap === null ? undefined : origin(sourceMap, site, bundleUrl);
      if (at === undefined) return `    at ${site.toString()}`;
      // The name a map records at a call is the callee's: this frame's name sits at its caller's call.
      const caller = sourceMap === null ? undefined : origin(sourceMap, sites[index + 1], bundleUrl);
      const name = caller?.name ?? site.getFunctionName() ?? undefined;
      const location = `${readableSource(at.fileName)}:${at.lineNumber}:${at.columnNumber}`;
      const prefix = site.isAsync() ? 'async ' : '';
      return name === undefined || name === '' ? `    at ${prefix}${location}` : `    at ${prefix}${name} (${location})`;
    });
    return [header(error), ...frames].join('\n');
  };
  return true;
}

installLazySourceMaps(import.meta.url);
