import { defineConfig } from 'vitest/config'

// Four projects: `unit` (always), `e2e` (the built bin/run.js, always), `contract` (deploy adapters
// against local fakes of the provider APIs, always), and `engine` (needs a Docker
// engine: skipped with a visible count without one, a failure under CI=true; see test/helpers/engine-setup.ts).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 30_000 } },
      // Deploy adapters against local fakes of each provider's API (no cloud, no engine).
      { test: { name: 'contract', include: ['test/contract/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 } },
      {
        test: {
          name: 'engine',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/helpers/engine-setup.ts'],
          // One engine, one file at a time: `sls-run clean --all` removes every managed container, and
          // parallel builds on 2 cores only slow each other down.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
