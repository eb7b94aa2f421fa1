import { defineConfig } from 'vitest/config'

const runtimes = ['node', 'bun', 'deno', 'workerd'] as const

export default defineConfig({
  test: {
    reporters: ['default', './test/support/runtime-summary.ts'],
    testTimeout: 20_000,
    hookTimeout: 90_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      ...runtimes.map((runtime) => ({
        extends: true,
        test: {
          name: runtime,
          // workerd also runs what only a Durable Object has (hibernation).
          include: ['test/conformance/**/*.test.ts', ...(runtime === 'workerd' ? ['test/workerd/**/*.test.ts'] : [])],
          globalSetup: ['./test/support/global-setup.ts'],
        },
      })),
    ],
  },
})
