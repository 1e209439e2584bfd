import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

  it('takes the integration tests that mock an AWS SDK client for the whole process, directly or through a helper', () => {
    expect(isolated).toContain('test/outbound/queue.test.ts'); // mockClient(SQSClient)
    expect(isolated).toContain('test/ops/cli.test.ts'); // through test/ops/support.ts
  });

  it('leaves the other integration tests to share one, and unit tests to their own loop', () => {
    expect(isolated).not.toContain('test/salesforce/writer.test.ts');
    expect(isolated).not.toContain('test/local/stack.test.ts');
    expect(isolated.filter((f) => unitTestFiles(repoRoot).includes(f))).toEqual([]);
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

  it('finds a process-wide mock through a helper, and only that', () => {
    file('support/mocks.ts', "import { mockClient } from 'aws-sdk-client-mock';\nexport const m = mockClient;\n");
    expect(reachesProcessWideMock(file('d.test.ts', "import { m } from './support/mocks.js';\n"), root)).toBe(true);
    expect(reachesProcessWideMock(file('e.test.ts', "import { s } from './support/server.js';\n"), root)).toBe(false);
  });

  it('ignores type-only imports and pure modules', () => {
    file('support/pure.ts', "import type { Server } from 'node:http';\nexport const n = 1;\n");
    expect(reachesSlowImport(file('c.test.ts', "import { n } from './support/pure.js';\nimport { join } from 'node:path';\n"), root)).toBe(false);
  });
});
