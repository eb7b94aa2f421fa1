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
          include: ['test/conformance/**/*.test.ts'],
          globalSetup: ['./test/support/global-setup.ts'],
        },
      })),
    ],
  },
})
