/**
 * jsforce as the Lambda bundles carry it: its undici, form-data, xml2js and csv packages replaced
 * (infra/bundling.ts, src/salesforce/jsforce-bundle/), the bridge's Salesforce adapters bundled with
 * the shared esbuild options and run against the Salesforce stand-in over HTTP: OAuth login,
 * Composite upserts (requestPost), SOQL (query), sObject update, session renewal, timeouts, TLS
 * verification and an HTTPS_PROXY.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { esbuildOptions, JSFORCE_REPLACEMENTS, REPO_ROOT } from '../../infra/bundling.js';
import { startSalesforceStandIn, STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET, type SalesforceStandIn } from '../../src/local/standins/salesforce-standin.js';
import type * as BundledEntry from './bundled-entry.js';
import { API_VERSION, payment, settingsFor } from './helpers.js';

type Bundled = typeof BundledEntry;

const entry = fileURLToPath(new URL('./bundled-entry.ts', import.meta.url));
const outdir = mkdtempSync(join(tmpdir(), 'bundled-jsforce-'));
const bundleFile = join(outdir, 'index.mjs');
let bundled: Bundled;
let inputs: string[];

beforeAll(async () => {
  const result = await build({ ...esbuildOptions(entry, outdir), absWorkingDir: REPO_ROOT });
  inputs = Object.keys(result.metafile.inputs);
  bundled = (await import(pathToFileURL(bundleFile).href)) as Bundled;
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('what the bundle holds (esbuild metafile)', () => {
  const packages = () =>
    new Set(inputs.flatMap((path) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1] ?? []));

  it('has jsforce but none of the packages it uses only for what the bridge never calls', () => {
    expect(packages()).toContain('jsforce');
    for (const left of ['undici', 'form-data', 'mime-db', 'mime-types', 'combined-stream', 'xml2js', 'xmlbuilder', 'sax', 'csv-parse', 'csv-stringify']) {
      expect(packages(), left).not.toContain(left);
    }
    for (const replacement of new Set(Object.values(JSFORCE_REPLACEMENTS))) {
      expect(inputs, replacement).toContain(replacement.replace(/^\.\//, ''));
    }
  });
});

describe('jsforce over Node fetch, against the Salesforce stand-in', () => {
  let sf: SalesforceStandIn;
  beforeEach(async () => {
    sf = await startSalesforceStandIn();
  });
  afterEach(async () => {
    await sf.close();
  });
  const session = () => bundled.createSalesforceSession(settingsFor(sf.url, { clientId: STANDIN_CLIENT_ID, clientSecret: STANDIN_CLIENT_SECRET }));

  it('logs in with client credentials and upserts through one Composite request (requestPost)', async () => {
    const writer = new bundled.SalesforceWriter(session(), { apiVersion: API_VERSION });
    const result = await writer.write([{ correlationId: 'm1', mutations: [payment('pi_bundled', { Status__c: 'Succeeded', Amount__c: 12.5 })] }]);

    expect(result.apiCalls).toBe(1);
    expect(result.outcomes.get('m1')?.ok).toBe(true);
    expect(sf.logins).toBe(1);
    expect(sf.records('Stripe_Payment__c')).toEqual([expect.objectContaining({ Stripe_Id__c: 'pi_bundled', Status__c: 'Succeeded', Amount__c: 12.5 })]);
  });

  it('reads an Opportunity with SOQL (query) and updates it (sObject update), renewing an expired session once', async () => {
    const account = sf.insert('Account', { Name: 'Bundled Account' });
    const opportunity = sf.insert('Opportunity', { Name: 'Bundled deal', StageName: 'Closed Won', Amount: 49.99, AccountId: account });
    const records = bundled.salesforceOpportunityRecords(session(), {
      currencyOverrides: { defaultCurrency: 'usd', multiCurrency: false },
      now: () => Date.parse('2026-01-02T03:04:05Z'),
    });

    expect((await records.read('Opportunity', opportunity, { multiCurrency: false }))?.id).toBe(opportunity);
    sf.expireSessions();
    await records.recordSyncError('Opportunity', opportunity, 'bundled path');

    expect(sf.logins).toBe(2);
    expect(sf.records('Opportunity')[0]).toMatchObject({ Id: opportunity, Stripe_Sync_Error__c: 'bundled path' });
  });

  it('gives up on a slow answer at the request timeout, as a transient failure', async () => {
    const writer = new bundled.SalesforceWriter(session(), { apiVersion: API_VERSION, requestTimeoutMs: 100 });
    await session().connection(); // log in before the stand-in slows down
    sf.latencyMs = 2_000;
    const outcome = (await writer.write([{ correlationId: 'm1', mutations: [payment('pi_slow')] }])).outcomes.get('m1');

    expect(outcome?.ok).toBe(false);
    // The bundle has its own copy of the error classes: compare by kind and code.
    expect(outcome?.ok === false ? outcome.error : undefined).toMatchObject({ kind: 'transient', code: 'SALESFORCE_TIMEOUT' });
  });
});

describe('TLS', () => {
  let server: Server;
  let requests = 0;
  beforeAll(async () => {
    // dynalite ships a self-signed, long-expired certificate for its --ssl mode: no CA trusts it.
    const ssl = join(REPO_ROOT, 'node_modules', 'dynalite', 'ssl');
    server = createHttpsServer({ key: readFileSync(join(ssl, 'server-key.pem')), cert: readFileSync(join(ssl, 'server-crt.pem')) }, (_req, res) => {
      requests += 1;
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses a server whose certificate nobody vouches for, before sending anything', async () => {
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const session = bundled.createSalesforceSession(settingsFor(url, { instanceUrl: url, accessToken: 'fake-token' }));
    const failure = await bundled.withSession(session, async (connection) => connection.query('SELECT Id FROM Account')).catch((err: unknown) => err);

    expect(failure).toMatchObject({ kind: 'transient' });
    const causes: string[] = [];
    for (let e: unknown = failure; e instanceof Error; e = e.cause) causes.push(`${(e as { code?: string }).code ?? ''} ${e.message}`);
    expect(causes.join(' | ')).toMatch(/CERT|SELF_SIGNED|certificate/i);
    expect(requests).toBe(0);
  });
});

interface ForwardProxy {
  readonly url: string;
  /** `CONNECT host:port` tunnels and absolute-form requests, in order. */
  readonly seen: string[];
  close(): Promise<void>;
}

/** A minimal HTTP forward proxy on 127.0.0.1 (CONNECT tunnels and absolute-form requests). */
async function startForwardProxy(): Promise<ForwardProxy> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server = createHttpServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? '');
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('connect', (req, socket: Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host ?? '127.0.0.1', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('HTTPS_PROXY (a VPC whose way out is a proxy)', () => {
  let sf: SalesforceStandIn;
  let proxy: ForwardProxy;
  beforeAll(async () => {
    [sf, proxy] = await Promise.all([startSalesforceStandIn(), startForwardProxy()]);
  });
  afterAll(async () => {
    await Promise.all([sf.close(), proxy.close()]);
  });

  /** Runs one Composite write from a fresh process (routing fetch through a proxy is process-wide, as in a Lambda). */
  async function writeThroughProxy(proxyUrl: string, stripeId: string): Promise<{ ok: boolean }> {
    const driver = join(outdir, 'proxy-driver.mjs');
    writeFileSync(
      driver,
      `const bundled = await import(${JSON.stringify(pathToFileURL(bundleFile).href)});
const settings = JSON.parse(process.argv[2]);
const writer = new bundled.SalesforceWriter(bundled.createSalesforceSession(settings), { apiVersion: ${JSON.stringify(API_VERSION)} });
const result = await writer.write([{ correlationId: 'm1', mutations: [JSON.parse(process.argv[3])] }]);
console.log(JSON.stringify({ ok: result.outcomes.get('m1').ok }));
`,
    );
    const settings = settingsFor(sf.url, { clientId: STANDIN_CLIENT_ID, clientSecret: STANDIN_CLIENT_SECRET });
    const { stdout } = await promisify(execFile)(process.execPath, [driver, JSON.stringify(settings), JSON.stringify(payment(stripeId))], {
      env: { PATH: process.env['PATH'] ?? '', HTTPS_PROXY: proxyUrl },
    });
    return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { ok: boolean };
  }

  it('sends the OAuth login and the jsforce calls through the proxy', async () => {
    expect(await writeThroughProxy(proxy.url, 'pi_proxied')).toEqual({ ok: true });

    expect(sf.logins).toBe(1);
    expect(sf.records('Stripe_Payment__c').map((r) => r['Stripe_Id__c'])).toEqual(['pi_proxied']);
    // Node's fetch tunnels through the proxy (CONNECT), one tunnel per connection it opens.
    expect(proxy.seen.length).toBeGreaterThan(0);
    expect(new Set(proxy.seen)).toEqual(new Set([`CONNECT ${new URL(sf.url).host}`]));
  });

  it('does not go around a proxy that is down', async () => {
    const logins = sf.logins;
    // Port 9 (discard) on 127.0.0.1: nothing listens, the connection is refused.
    expect(await writeThroughProxy('http://127.0.0.1:9', 'pi_bypass')).toEqual({ ok: false });

    expect(sf.logins).toBe(logins);
    expect(sf.records('Stripe_Payment__c').map((r) => r['Stripe_Id__c'])).not.toContain('pi_bypass');
  });
});
