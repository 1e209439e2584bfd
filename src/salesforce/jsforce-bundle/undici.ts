/**
 * What jsforce's HTTP layer (`jsforce/lib/request.js`) imports from `undici`, served by the
 * `fetch` built into Node. The Lambda bundles alias `undici` to this file (infra/bundling.ts):
 * jsforce ships its own undici (747 kB minified, half the consumer bundle) only to call `fetch`
 * with a connection pool, and Node 24's `fetch` is that same undici inside the runtime.
 *
 * What stays the same for the calls the bridge makes (query, requestPost, sobject update):
 * - TLS: Node's `fetch` verifies certificates against Node's CA store (plus NODE_EXTRA_CA_CERTS),
 *   as jsforce's default Agent did; nothing here can turn verification off.
 * - Timeouts: jsforce aborts through the `signal` it passes, which is forwarded unchanged.
 * - Proxy: jsforce uses `https_proxy`, `http_proxy`, `HTTPS_PROXY` or `HTTP_PROXY` for every
 *   request. When one is set, Node's built-in proxy support is switched on with that URL (for
 *   every `fetch` of the process, so the OAuth login goes through it too), honouring NO_PROXY.
 *
 * Only used inside the bundles; tests and `npm start` run jsforce with its own undici, and
 * test/salesforce/bundled-jsforce.test.ts runs the bundled path against the stand-in.
 */
import * as http from 'node:http';

/** The proxy jsforce would use (its own order of precedence, `jsforce/lib/transport.js`). */
export function jsforceProxyUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  // `??` as jsforce has it: an empty `https_proxy` hides a set `HTTPS_PROXY`, and means no proxy.
  const url = env['https_proxy'] ?? env['http_proxy'] ?? env['HTTPS_PROXY'] ?? env['HTTP_PROXY'];
  return url === '' ? undefined : url;
}

type SetGlobalProxy = (env?: Record<string, string | undefined>) => () => void;

let proxyRouted: string | undefined;

/**
 * Routes the process's `fetch` through `url` (idempotent). Node ≥ 24.14 can do it at run time;
 * older ones only at start-up, with NODE_USE_ENV_PROXY=1 (or --use-env-proxy) in the environment.
 */
export function routeFetchThroughProxy(url: string, env: NodeJS.ProcessEnv = process.env): void {
  if (proxyRouted === url) return;
  const setGlobalProxyFromEnv = (http as { setGlobalProxyFromEnv?: SetGlobalProxy }).setGlobalProxyFromEnv;
  if (typeof setGlobalProxyFromEnv === 'function') {
    setGlobalProxyFromEnv({ HTTPS_PROXY: url, HTTP_PROXY: url, NO_PROXY: env['NO_PROXY'] ?? env['no_proxy'] });
  } else if (env['NODE_USE_ENV_PROXY'] !== '1' && !process.execArgv.includes('--use-env-proxy')) {
    // Silently going direct would only time out inside a VPC whose way out is the proxy.
    throw new Error(
      `A proxy is set (${new URL(url).host}) but Node.js ${process.version} cannot route fetch through it at run time; set NODE_USE_ENV_PROXY=1`,
    );
  }
  proxyRouted = url;
}

/** jsforce makes one per process and passes it as `dispatcher`; Node's own pool does the job. */
export class Agent {
  constructor(_options?: unknown) {}
}

/** jsforce makes one per request when a proxy variable is set. */
export class ProxyAgent {
  constructor(options: { readonly uri: string }) {
    routeFetchThroughProxy(options.uri);
  }
}

/** jsforce tests `instanceof undici.Response` to decide on retries. */
export const Response = globalThis.Response;

/**
 * jsforce unwraps `err.cause` when it is undici's SocketError to find the system error code it
 * retries on; Node's fetch throws the same error class from its internal copy of undici, which is
 * recognised by name.
 */
class SocketError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof Error && value.name === 'SocketError';
  }
}

export const errors = { SocketError };

/** Node's `fetch`, without the `dispatcher` option (which only an undici Dispatcher may fill). */
export function fetch(input: string | URL | Request, init: RequestInit & { dispatcher?: unknown } = {}): Promise<globalThis.Response> {
  const { dispatcher: _dispatcher, ...rest } = init;
  return globalThis.fetch(input, rest);
}

// The same check jsforce makes when it loads: with a proxy variable set, route before the first
// request (the OAuth login uses `fetch` before jsforce makes its first ProxyAgent).
const configuredProxy = jsforceProxyUrl();
if (configuredProxy !== undefined) routeFetchThroughProxy(configuredProxy);
