import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { esbuildOptions, LOGGING_REPLACEMENTS, REPO_ROOT } from '../../infra/bundling.js';
import { bridgeBundle } from '../support/bundles.js';

const outdir = mkdtempSync(join(tmpdir(), 'ingress-bundle-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function packagesOf(inputs: readonly string[]): Set<string> {
  return new Set(
    inputs.flatMap((path) => {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
      return match ? [match[1]!] : [];
    }),
  );
}

describe('ingress bundle', () => {
  it('reaches neither jsforce, stripe nor the DynamoDB client', async () => {
    // The deployed build's graph: its replacements (undici, form-data, xml2js, csv, thread-stream)
    // name none of these packages, so it reaches them exactly when the source does.
    const inputs = Object.keys((await bridgeBundle('ingress')).meta.inputs);
    const packages = packagesOf(inputs);

    // Positive control: the graph was really walked (the SQS client is the one AWS package we need).
    expect(packages).toContain('@aws-sdk/client-sqs');
    expect(inputs.some((p) => p.endsWith('src/stripe/signature.ts'))).toBe(true);
    for (const forbidden of ['jsforce', 'stripe', '@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb']) {
      expect(packages, forbidden).not.toContain(forbidden);
    }
  });

  it('as deployed, loads neither zod (its configuration is read by hand) nor pino transports', async () => {
    // The `npm run build` bundle, which test/infra/stack.test.ts shows is the deployed one.
    const inputs = Object.keys((await bridgeBundle('ingress')).meta.inputs);
    const packages = packagesOf(inputs);
    expect(packages).toContain('pino');
    expect(packages).not.toContain('zod');
    expect(packages).not.toContain('thread-stream');
    expect(inputs.some((p) => p.endsWith('src/config.ts'))).toBe(false);
    expect(inputs).toContain(LOGGING_REPLACEMENTS['thread-stream']?.replace(/^\.\//, ''));
  });

  it('logs through the bundled pino to stdout, and says so if a transport is ever asked for', async () => {
    const logEntry = join(outdir, 'log-entry.ts');
    writeFileSync(
      logEntry,
      [
        `import { pino } from 'pino';`,
        `import { createLogger } from ${JSON.stringify(join(REPO_ROOT, 'src/logging.ts'))};`,
        `createLogger({ service: 'bundle-test' }).info({ eventId: 'evt_bundle' }, 'stripe webhook');`,
        // What pino.transport() would construct (it fails even earlier in an ESM bundle: no __dirname).
        `import ThreadStream from 'thread-stream';`,
        `try { new (ThreadStream as unknown as new (o: object) => unknown)({}); } catch (err) { console.log(JSON.stringify({ transport: (err as Error).message })); }`,
        `try { pino.transport({ target: 'pino/file' }); console.log(JSON.stringify({ transportCall: 'ok' })); } catch { console.log(JSON.stringify({ transportCall: 'refused' })); }`,
      ].join('\n'),
    );
    // The entry lives outside the repository: pino is resolved from the repository's node_modules.
    await build({ ...esbuildOptions(logEntry, join(outdir, 'log')), absWorkingDir: REPO_ROOT, nodePaths: [join(REPO_ROOT, 'node_modules')] });
    const out = execFileSync(process.execPath, [join(outdir, 'log', 'index.mjs')], { encoding: 'utf8' });
    // Two writers (pino's destination and console.log): their lines may come in either order.
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const line = lines.find((l) => 'level' in l);
    const transport = lines.find((l) => 'transport' in l);
    expect(lines).toHaveLength(3);
    expect(lines).toContainEqual({ transportCall: 'refused' });
    expect(line).toMatchObject({ level: 'info', service: 'bundle-test', eventId: 'evt_bundle', message: 'stripe webhook' });
    expect(transport?.['transport']).toMatch(/pino transports are not part of the Lambda bundles/);
  });
});
