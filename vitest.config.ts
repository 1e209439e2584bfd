import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { isolatedTestFiles, unitTestFiles } from './test/test-kinds.js';

const root = fileURLToPath(new URL('.', import.meta.url));
const unit = unitTestFiles(root);
const isolated = isolatedTestFiles(root);

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
    projects: [
      {
        // `npm run test:unit`: no server, child process, bundler or synth (test/test-kinds.ts).
        // Pure code keeps no state between files, so one module graph per worker is enough.
        extends: true,
        test: { name: 'unit', include: unit, isolate: false },
      },
      {
        // Every file starts its own stand-ins and dynalite on fresh ports and closes them; none
        // mocks modules, stubs globals or writes process.env. Re-importing jsforce, the AWS SDK,
        // stripe and the local stack for each file was a third of the suite's time, so these
        // files share one module graph per worker too.
        extends: true,
        test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: [...unit, ...isolated], isolate: false },
      },
      // Files that mock an AWS SDK client class for the whole process (`mockClient(SQSClient)`)
      // would get a module graph of their own, so no other file meets their mocks
      // (test/test-kinds.ts). None does today: the tests mock the client instance they hand in.
      ...(isolated.length === 0 ? [] : [{ extends: true, test: { name: 'isolated', include: isolated } }]),
    ],
  },
});
