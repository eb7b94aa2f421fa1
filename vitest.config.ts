import { defineConfig } from 'vitest/config'
import type {} from './test/support/global-setup.ts' // ProvidedContext: { runtime, baseUrl }

const runtimes = ['node', 'bun', 'deno', 'workerd'] as const

export default defineConfig({
  test: {
    reporters: ['default', './test/support/runtime-summary-reporter.ts'],
    // A test may start a fixture of its own (shutdown), whose readiness wait is 20 s.
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // One test file at a time. The files of a runtime project share its one fixture, and
    // some cases act on every socket in it (POST /api/broadcast), so two files of the same
    // project must never overlap; vitest 4 can only cap workers per group, not per project.
    // One worker also suits 2 cores that already run four fixture processes.
    pool: 'forks',
    maxWorkers: 1,
    projects: [
      // `extends: true`: projects inherit the timeouts above.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // RedisHub: real Redis (127.0.0.1:6379 under a prefix per test, plus private
      // redis-server processes for restarts) and real Node, Bun and Deno instances.
      { extends: true, test: { name: 'redis', include: ['test/redis/**/*.test.ts'], testTimeout: 60_000 } },
      // The packed package installed in a scratch project: the README's code compiled and run there.
      { extends: true, test: { name: 'package', include: ['test/package/**/*.test.ts'] } },
      // A few seconds of `npm run bench` (bench/run.mjs): the bench still runs end to end.
      { extends: true, test: { name: 'bench', include: ['test/bench/**/*.test.ts'] } },
      ...runtimes.map((runtime) => ({
        extends: true as const,
        test: {
          name: runtime,
          // workerd also runs what only a Durable Object has (hibernation).
          include: ['test/conformance/**/*.test.ts', ...(runtime === 'workerd' ? ['test/workerd/**/*.test.ts'] : [])],
          globalSetup: ['./test/support/global-setup.ts'],
          provide: { runtime },
        },
      })),
      // The chat demo in Debian's Chromium (playwright-core), on Node, Bun and Deno, and as
      // two instances sharing the Redis at 127.0.0.1:6379 (a prefix per run); each test
      // starts its own servers. Screenshots go to test-artifacts/browser/ (not committed).
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'], testTimeout: 120_000 } },
    ],
  },
})
