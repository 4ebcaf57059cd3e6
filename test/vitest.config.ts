import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: the suites spawn CLI processes and open real databases; keep parallelism modest.
    maxWorkers: 2,
  },
})
