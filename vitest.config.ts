import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { isolatedTestFiles, unitTestFiles } from './test/test-kinds.js';
import { HeavyFirstSequencer } from './test/test-order.js';

const root = fileURLToPath(new URL('.', import.meta.url));
const isolated = isolatedTestFiles(root);
/** `npm run test:unit` (scripts/vitest.mjs --unit): the inner loop only. */
const unitLoop = process.env.BRIDGE_TEST_LOOP === 'unit';

export default defineConfig({
  test: {
    environment: 'node',
    // Network stand-ins and dynalite bind to 127.0.0.1; one CDK synth bundles with esbuild.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // vitest's default is one worker less than the cores: a single worker on a 2-core machine.
    // Most integration tests wait on sockets (stand-ins, dynalite, child processes), so two
    // workers overlap those waits there; larger machines keep the default.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    sequence: { sequencer: HeavyFirstSequencer },
    projects: unitLoop
      ? [
          {
            // No server, child process, bundler or synth (test/test-kinds.ts).
            extends: true,
            test: { name: 'unit', include: unitTestFiles(root), isolate: false },
          },
        ]
      : [
          {
            // Every file starts its own stand-ins and dynalite on fresh ports and closes them;
            // none mocks modules or stubs globals; a file that sets process.env variables or
            // fakes timers puts them back, and the two unit files that mock a client class
            // restore it (test/test-kinds.test.ts). Re-importing
            // jsforce, the AWS SDK, stripe and the local stack for each file was a third of the
            // suite's time, so all files share one module graph per worker. The unit files are
            // in the same project, not one of their own: vitest runs projects one after another,
            // each with fresh workers that import everything again, and the short unit files
            // are what fills both cores at the end of the run.
            extends: true,
            test: { name: 'all', include: ['test/**/*.test.ts'], exclude: isolated, isolate: false },
          },
          // Files that mock an AWS SDK client class for the whole process (`mockClient(SQSClient)`)
          // would get a module graph of their own, so no other file meets their mocks
          // (test/test-kinds.ts). None does today: the tests mock the client instance they hand in.
          ...(isolated.length === 0 ? [] : [{ extends: true, test: { name: 'isolated', include: isolated } }]),
        ],
  },
});
