import { defineConfig } from 'vitest/config'
import type { Reporter, TestModule } from 'vitest/node'
import { leftBehind } from './global-setup.ts'

/** Ends the run with a plain "N passed, N failed" line, which CI logs are read for (temporary files left behind count as a failure). */
const summaryLine: Reporter = {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>) {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') passed++
        else if (state === 'failed') failed++
        else skipped++
      }
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++
    }
    // Every test file has finished (and removed its projects): anything left is a leak, and counts as a failure.
    const left = leftBehind()
    if (left.length > 0) {
      failed++
      process.stdout.write(`\ntemporary files left behind by the tests: ${left.join(', ')}`)
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`)
  },
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts', 'test/postgres-server.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: the suites spawn CLI processes and open real databases; keep parallelism modest.
    maxWorkers: 2,
    reporters: ['default', summaryLine],
  },
})
