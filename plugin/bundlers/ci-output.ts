import { emitReport, failureReport, isGitHubActions, pendingReport, quietReport, type GitHubReport } from '../report/github.ts'
import { pendingResultOf, type RunReport } from './runner.ts'

/**
 * A build on GitHub Actions: the pending steps as annotations on the model lines (errors when the
 * build fails on them, warnings in `warn` mode), a failure as one error, and the job summary.
 * Dev servers and watch builds print nothing of this: they are not what a pull request shows.
 */
export interface BuildReporter {
  done(outcome: RunReport): void
  failed(error: unknown, projectRoot: string, trigger: string): void
}

export function buildReporter(): BuildReporter {
  // Vite runs the plugin once per environment (client, ssr): the same report is given once.
  let last: string | undefined
  const emit = (report: GitHubReport) => {
    const key = JSON.stringify(report)
    if (key === last) return
    last = key
    const warning = emitReport(report, process.env)
    if (warning) console.warn(`migrate-plugin: warning: ${warning}`)
  }
  const safely = (work: () => void) => {
    try {
      if (isGitHubActions(process.env)) work()
    } catch (error) {
      // The build's own outcome stands; CI dressing that fails only says so.
      console.warn(`migrate-plugin: warning: the GitHub Actions report could not be made: ${(error as Error).message}`)
    }
  }
  return {
    done(outcome) {
      const result = outcome.result
      if (!result) return
      safely(() => emit(result.outcome === 'pending' ? pendingReport(result, 'warning', process.env) : quietReport(result)))
    },
    failed(error, projectRoot, trigger) {
      safely(() => {
        const pending = pendingResultOf(error)
        emit(pending ? pendingReport(pending, 'error', process.env) : failureReport(error, projectRoot, trigger, process.env))
      })
    },
  }
}
