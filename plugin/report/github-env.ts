import type { Environment } from '../types.ts'

/** Apart from github.ts: every CLI run asks this, and only runs on GitHub Actions need the rest. */
export function isGitHubActions(env: Environment = process.env): boolean {
  return env.GITHUB_ACTIONS === 'true'
}
