import { afterAll } from 'vitest'
import { removeProjects } from './helpers.ts'

// Every test file's projects go when the file is done, whether its tests passed or not
// (after the file rather than after each test: some files share a project between tests).
afterAll(removeProjects)
