import { afterAll } from 'vitest'
import { removeProjects } from './helpers.ts'

// Builds run in this process (the bundler tests) would annotate this repository's own GitHub job
// with the test projects' pending changes; test/github-output.test.ts sets these where it means to.
for (const name of ['GITHUB_ACTIONS', 'GITHUB_STEP_SUMMARY', 'GITHUB_WORKSPACE']) delete process.env[name]

// Every test file's projects go when the file is done, whether its tests passed or not
// (after the file rather than after each test: some files share a project between tests).
afterAll(removeProjects)
