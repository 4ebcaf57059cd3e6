import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { placeOf, type ErrorPlace } from './bundler-error.ts'
import { buildReporter } from './ci-output.ts'
import { describeError, Runner, type PluginOptions, type RunContext, type RunReport } from './runner.ts'
import type { DevPageOption } from '../devpage/options.ts'

export const NAME = 'migrate-plugin'

/** A run that failed, as a bundler shows it: the whole message, and the place in a model file when known. */
export interface Failure {
  message: string
  place: ErrorPlace | undefined
}

/**
 * What one plugin instance's hooks share, whichever bundler calls them: the options, the Runner
 * (one run at a time, models reused while unchanged), and the turning of a run's outcome into
 * printed lines or an error the bundler can show. The adapters only find out where the project is
 * and whether this is a watch/dev run, and tell their bundler what to watch.
 */
export interface MigrateContext {
  readonly options: PluginOptions
  /** The dev-server page's option, kept out of `options` (which are the pipeline's settings). */
  readonly devPage: DevPageOption | undefined
  readonly runner: Runner
  /** Runs the pipeline and prints its line; a failure is returned, for a dev server that keeps serving. */
  attempt(run: RunContext): Promise<Failure | undefined>
  /** Runs the pipeline and prints its line; a failure is thrown as {@link bundlerError} makes it. */
  run(run: RunContext): Promise<void>
  /** What to hand a bundler that watches only named paths (see expandWatchTargets). */
  watchPaths(root: string): { files: string[], dirs: string[] }
}

export function createContext(rawOptions: PluginOptions): MigrateContext {
  const { devPage, ...options } = rawOptions
  const runner = new Runner(options)
  const ci = buildReporter()

  // The folder messages are relative to; a config that cannot be read (itself the error) has no place to add.
  const projectRootOf = (root: string): string => {
    try {
      return runner.config(root).root
    } catch {
      return options.root ?? root
    }
  }

  const attempt = async (run: RunContext): Promise<Failure | undefined> => {
    try {
      const outcome = await runner.run(run)
      report(outcome)
      if (!run.watch) ci.done(outcome)
      return undefined
    } catch (error) {
      if (!run.watch) ci.failed(error, projectRootOf(run.root), run.trigger)
      // Where it went wrong (a broken model file): Rollup, Rolldown and Vite print it with a code
      // frame, and Vite's overlay links it to the editor.
      return { place: placeOf(error, projectRootOf(run.root)), message: describeError(error) }
    }
  }

  return {
    options,
    devPage,
    runner,
    attempt,
    async run(run) {
      const failure = await attempt(run)
      if (failure) throw bundlerError(failure)
    },
    watchPaths: (root) => expandWatchTargets(runner.watchTargets(root)),
  }
}

/** The message is the whole story (what is pending, where, the fix): no stack trace under it. */
export function bundlerError(failure: Failure): Error {
  const error = Object.assign(new Error(failure.message), failure.place ?? {})
  error.stack = ''
  return error
}

function report(outcome: RunReport): void {
  if (outcome.line) console.log(outcome.line)
  if (outcome.warning) console.warn(outcome.warning)
}

/**
 * Every file and folder under the model folders, plus migration.conf and the files the models
 * import from elsewhere: what bundlers that watch only named paths (Rollup, Rolldown, esbuild) are
 * given. Folders are included so that a new model file triggers a rebuild too.
 */
function expandWatchTargets(targets: { directories: string[], files: string[] }): { files: string[], dirs: string[] } {
  const files = [...targets.files]
  const dirs: string[] = []
  for (const dir of targets.directories) {
    let entries
    try {
      entries = readdirSync(dir, { recursive: true, withFileTypes: true })
    } catch {
      continue
    }
    dirs.push(dir)
    for (const e of entries) (e.isDirectory() ? dirs : files).push(join(e.parentPath, e.name))
  }
  return { files, dirs }
}
