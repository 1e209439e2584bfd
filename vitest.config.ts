import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Network stand-ins and dynalite bind to 127.0.0.1; CDK synth bundles with esbuild.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
