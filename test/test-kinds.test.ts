import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isolatedTestFiles, reachesProcessWideMock, reachesSlowImport, unitTestFiles } from './test-kinds.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

describe('the unit loop (npm run test:unit)', () => {
  const unit = unitTestFiles(repoRoot);

  it('takes the pure tests', () => {
    expect(unit).toContain('test/money/money.test.ts');
    expect(unit).toContain('test/mappers/map-stripe-event.test.ts');
    expect(unit).toContain('test/test-kinds.test.ts');
  });

  it('leaves out tests that synthesize, bundle or start servers, directly or through a helper', () => {
    expect(unit).not.toContain('test/infra/stack.test.ts'); // aws-cdk-lib
    expect(unit).not.toContain('test/ingress/bundle.test.ts'); // esbuild
    expect(unit).not.toContain('test/dedup/event-store.test.ts'); // dynalite through a shared helper
    expect(unit).not.toContain('test/salesforce/writer.test.ts'); // the stand-in's HTTP server
    expect(unit).not.toContain('test/local/stack.test.ts'); // the local stack
  });
});

describe('the files that keep a module graph of their own', () => {
  const isolated = isolatedTestFiles(repoRoot);

  it('leaves the integration tests that mock one SQS client instance to share one, directly or through a helper', () => {
    expect(isolated).not.toContain('test/outbound/queue.test.ts'); // test/support/sqs-simulation.ts
    expect(isolated).not.toContain('test/consumer/outage.test.ts');
    expect(isolated).not.toContain('test/ops/retry-cli.test.ts'); // test/ops/support.ts
    expect(isolated).not.toContain('test/commands/retry.test.ts');
  });

  it('leaves the other integration tests to share one, and unit tests to their own loop', () => {
    expect(isolated).not.toContain('test/salesforce/writer.test.ts');
    expect(isolated).not.toContain('test/local/stack.test.ts');
    expect(isolated.filter((f) => unitTestFiles(repoRoot).includes(f))).toEqual([]);
  });

  it('unit tests that mock a client class restore it, so the next file of the worker gets the real class', () => {
    const classWide = unitTestFiles(repoRoot).filter((f) => reachesProcessWideMock(join(repoRoot, f), repoRoot));
    // The ingress handler builds its client at load and the Secrets Manager fetcher its own.
    expect(classWide).toEqual(['test/ingress/handler.test.ts', 'test/secrets/secrets.test.ts']);
    for (const f of classWide) expect(readFileSync(join(repoRoot, f), 'utf8'), f).toMatch(/afterAll\(\(\) => \{?[^}]*\.restore\(\)/);
  });
});

describe('reachesSlowImport', () => {
  const root = mkdtempSync(join(tmpdir(), 'test-kinds-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const file = (path: string, text: string): string => {
    const full = join(root, path);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, text);
    return full;
  };

  it('follows helpers under the test root, including re-exports and dynamic imports', () => {
    file('support/server.ts', "import { createServer } from 'node:http';\nexport const s = createServer;\n");
    file('support/index.ts', "export { s } from './server.js';\n");
    expect(reachesSlowImport(file('a.test.ts', "import { s } from './support/index.js';\n"), root)).toBe(true);
    // Spelled in two pieces so that this file itself does not read as importing esbuild.
    const dynamicImport = `const m = await ${'import'}('esbuild');\n`;
    expect(reachesSlowImport(file('b.test.ts', dynamicImport), root)).toBe(true);
  });

  it('finds a class-wide client mock through a helper, and not a mock of one instance', () => {
    const mocking = (argument: string) => `import { mockClient } from 'aws-sdk-client-mock';\nexport const m = mockClient(${argument});\n`;
    file('support/class-mock.ts', mocking('SQSClient'));
    expect(reachesProcessWideMock(file('d.test.ts', "import { m } from './support/class-mock.js';\n"), root)).toBe(true);
    expect(reachesProcessWideMock(file('e.test.ts', "import { s } from './support/server.js';\n"), root)).toBe(false);
    for (const [name, argument] of [['f', 'client'], ['g', 'this.client'], ['h', "new SQSClient({ region: 'eu-west-1' })"]] as const) {
      expect(reachesProcessWideMock(file(`${name}.test.ts`, mocking(argument)), root), argument).toBe(false);
    }
    // Named in a comment only.
    expect(reachesProcessWideMock(file('i.test.ts', `// not ${'mockClient'}(SQSClient): one instance\n/* nor ${'mockClient'}(SQSClient) */\n`), root)).toBe(false);
  });

  it('ignores type-only imports and pure modules', () => {
    file('support/pure.ts', "import type { Server } from 'node:http';\nexport const n = 1;\n");
    expect(reachesSlowImport(file('c.test.ts', "import { n } from './support/pure.js';\nimport { join } from 'node:path';\n"), root)).toBe(false);
  });
});
