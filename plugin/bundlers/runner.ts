import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { databaseLabel, loadConfig, type ConfigOverrides, type Mode, type ResolvedConfig } from '../core/config.ts'
import { regenerateClientAfterApply } from '../pipeline/client.ts'
import { MigrateError, errorMessage } from '../core/errors.ts'
import { SessionBackups } from './dev-backups.ts'
import { migrate, prepare, type MigrateResult, type Prepared } from '../pipeline/migrate.ts'
import type { Plan } from '../pipeline/plan.ts'
import { redactSecrets } from '../core/redact.ts'
import { isCI } from '../core/ci-env.ts'
import { readPaths, readsUnchanged } from '../model/reads.ts'
import { inBundlerWords, pendingMessage } from '../pipeline/verdict-words.ts'

export { pendingMessage }

/**
 * What the bundler hooks share: decide the mode (dev/build, CI), run the pipeline once at a time,
 * reuse models that have not changed on disk, and turn the result into one line or an error.
 * The hooks only say where the project is and whether this is a watch/dev run.
 */
export interface PluginOptions extends ConfigOverrides {
  /** migration.conf to use (default: the one in the project root, if any). */
  config?: string
  /** Project root (default: Vite's root, webpack's context, esbuild's absWorkingDir, else cwd). */
  root?: string
  /**
   * esbuild has no dev/build signal of its own: say `watch: true` when you run `context().watch()`.
   * Other bundlers are asked directly.
   */
  watch?: boolean
  /** Print nothing when the database is already in sync (default true). */
  quiet?: boolean
  /** The dev server's page (plugin/devpage/): not a setting of the pipeline. */
  devPage?: boolean | { path?: string }
}

export interface RunContext {
  root: string
  /** Dev server or watch mode. */
  watch: boolean
  /** Recorded in history: vite-dev, webpack-build, … */
  trigger: string
}

/** What a finished run leaves behind, for listeners such as the dev-server page. */
export interface RunFinished {
  context: RunContext
  report?: RunReport
  error?: unknown
  /** The models and schema the run used (or the last ones loaded, when loading failed). */
  prepared?: Prepared
}

export interface RunReport {
  mode: Mode
  result?: MigrateResult
  /** The single line to print, if any. */
  line?: string
  /** Pending changes in warn mode: printed as a warning. */
  warning?: string
}

export { isCI }

/** dev/watch → `dev`, otherwise `build`; with CI set, an `apply` that came from defaults or the config file becomes `check`. */
export function decideMode(config: ResolvedConfig, options: PluginOptions, watch: boolean, env: NodeJS.ProcessEnv = process.env): Mode {
  const explicit = watch ? options.dev : options.build
  const mode = explicit ?? (watch ? config.dev : config.build)
  if (isCI(env) && mode === 'apply' && explicit === undefined) return 'check'
  return mode
}

/** Size and mtime of a file, or of every file under a folder: changes when anything in it changes. */
function fileStamp(path: string): string {
  const parts: string[] = []
  const walk = (d: string) => {
    let entries
    try {
      const stat = statSync(d)
      if (!stat.isDirectory()) {
        parts.push(`${d}:${stat.size}:${stat.mtimeMs}`)
        return
      }
      entries = readdirSync(d, { withFileTypes: true })
    } catch {
      parts.push(`${d}:missing`)
      return
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue
      const full = join(d, e.name)
      if (e.isDirectory()) walk(full)
      else {
        const s = statSync(full)
        parts.push(`${full}:${s.size}:${s.mtimeMs}`)
      }
    }
  }
  walk(path)
  return parts.join('\n')
}

export class Runner {
  private inFlight: Promise<RunReport> | undefined
  private next: Promise<RunReport> | undefined
  private cache: { key: string, prepared: Prepared } | undefined
  private readonly sessionBackups = new SessionBackups()
  private readonly listeners = new Set<(finished: RunFinished) => void>()
  constructor(private readonly options: PluginOptions = {}) {}

  /** The settings without touching models: for watchers and mode decisions. */
  config(root: string): ResolvedConfig {
    return loadConfig({ root: this.options.root ?? root, ...(this.options.config ? { configFile: this.options.config } : {}), overrides: this.overrides() })
  }

  /**
   * Files whose change should re-run the pipeline: the model folder, migration.conf, the project
   * files the models imported from elsewhere, and the files and folders they read while loading
   * (known once a run has loaded them; the list only grows, so a helper that breaks stays watched
   * until it is fixed).
   */
  watchTargets(root: string): { directories: string[], files: string[] } {
    const config = this.config(root)
    return { directories: [config.modelDirectory], files: [...(config.configFile ? [config.configFile] : []), ...this.dependencies] }
  }

  private readonly dependencies = new Set<string>()

  /** Told after every run, success or failure; returns the function that stops telling. */
  onFinished(listener: (finished: RunFinished) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private announce(finished: RunFinished): void {
    // A listener's failure is its own: it must not turn a good run into a failed one.
    for (const listener of this.listeners) {
      try {
        listener({ ...finished, ...(this.cache ? { prepared: this.cache.prepared } : {}) })
      } catch {}
    }
  }

  private overrides(): ConfigOverrides {
    const { config: _c, root: _r, watch: _w, quiet: _q, dev: _d, build: _b, devPage: _p, ...rest } = this.options
    return rest
  }

  /**
   * One run at a time per plugin instance. A call that arrives while one is under way (a save during
   * the first migration, Vite's second environment) gets one more run after it, shared by everyone
   * who asks meanwhile: nothing saved is missed, and runs never overlap.
   */
  run(context: RunContext): Promise<RunReport> {
    if (!this.inFlight) {
      this.inFlight = this.execute(context).catch(maskError)
        .then((report) => { this.announce({ context, report }); return report }, (error: unknown) => { this.announce({ context, error }); throw error })
        .finally(() => { this.inFlight = undefined })
      return this.inFlight
    }
    this.next ??= this.inFlight.catch(() => undefined).then(() => {
      this.next = undefined
      return this.run(context)
    })
    return this.next
  }

  private async execute(context: RunContext): Promise<RunReport> {
    const root = this.options.root ?? context.root
    const config = this.config(root)
    const mode = decideMode(config, this.options, context.watch)
    if (mode === 'off') return { mode }
    // Unchanged files on disk: reuse the loaded models and generated schema (no module loading at all).
    const key = [config.configFile ?? '', fileStamp(config.modelDirectory), ...(config.configFile ? [fileStamp(config.configFile)] : []), ...[...this.dependencies].map(fileStamp)].join('\n')
    // What the models read while loading (a JSON file, an environment variable) is checked by
    // content: its stamp is not in the key until the next load, and a variable has no stamp.
    let prepared = this.cache?.key === key && readsUnchanged(this.cache.prepared.models.reads) ? this.cache.prepared : undefined
    if (!prepared) {
      prepared = await prepare({}, config) // the settings just read: migration.conf is not parsed twice
      // Newly found imports are not in this key yet, so the next run loads once more and from then
      // on watches their stamps too (stamping them now could miss an edit made during this load).
      for (const dependency of prepared.models.dependencies) this.dependencies.add(dependency)
      for (const path of readPaths(prepared.models.reads)) this.dependencies.add(path)
      this.cache = { key, prepared }
    }
    const command = mode === 'apply' ? 'apply' : 'check'
    let result: MigrateResult
    try {
      // A dev server stays declarative: plan files are for deploys (`apply`, production builds).
      result = await migrate({ prepared, command, trigger: context.trigger, ...(context.watch ? { pendingPlans: false } : {}) })
    } catch (error) {
      throw inBundlerWords(error, context.watch ? 'dev' : 'build')
    }
    const ms = `${Math.round(result.durationMs)} ms`
    let client = ''
    // After COMMIT nothing may fail the run (or the build): such problems are warnings next to the success.
    const postCommit = [...(result.postCommitWarnings ?? [])]
    if (context.watch) postCommit.push(...await this.sessionBackups.record(result))
    if (mode === 'apply') {
      try {
        const generated = await regenerateClientAfterApply(result)
        if (generated?.state === 'generated') client = ` · Prisma Client regenerated in ${Math.round(generated.durationMs!)} ms`
      } catch (error) {
        postCommit.push(`the Prisma Client was not regenerated: ${errorMessage(error)}${error instanceof MigrateError && error.hint ? ` (${error.hint})` : ''}`)
      }
    }
    const warning = postCommit.length ? postCommit.map((w) => `migrate-plugin: warning: ${w}`).join('\n') : undefined
    if (result.outcome === 'applied') {
      return { mode, result, line: `migrate-plugin: ${summary(result.plan!)} · ${ms}${client}`, ...(warning ? { warning } : {}) }
    }
    if (warning && result.outcome === 'in-sync') {
      return { mode, result, warning, ...(this.options.quiet === false ? { line: `migrate-plugin: ${databaseLabel(config, (path) => path)} is in sync · ${ms}` } : {}) }
    }
    if (result.outcome === 'pending') {
      const text = pendingMessage(result, context.watch ? 'dev' : 'build')
      if (mode === 'warn') return { mode, result, warning: text }
      const pending = new MigrateError('PENDING', text)
      pendingResults.set(pending, result)
      throw pending
    }
    return this.options.quiet === false ? { mode, result, line: `migrate-plugin: ${databaseLabel(config, (path) => path)} is in sync · ${ms}` } : { mode, result }
  }
}

/** The run behind a PENDING error, for CI output that annotates each step (context.ts). */
const pendingResults = new WeakMap<Error, MigrateResult>()

export function pendingResultOf(error: unknown): MigrateResult | undefined {
  return error instanceof Error ? pendingResults.get(error) : undefined
}

/** "added column users.phone (model/user_models.ts)" — one line, naming what changed. */
export function summary(plan: Plan): string {
  const first = plan.steps[0]
  if (!first) return 'no changes'
  const words = (s: Plan['steps'][number]) => `${s.description.replace(/^add /, 'added ').replace(/^rename /, 'renamed ').replace(/^create /, 'created ').replace(/^drop /, 'dropped ').replace(/^redefine /, 'redefined ')}${s.file ? ` (${s.file})` : ''}`
  // A reviewed plan's step names its file; the changes it made are the steps after it.
  const plans = plan.steps.filter((s) => s.kind === 'plan file')
  if (plans.length > 0) {
    const changes = plan.steps.length - plans.length
    return `${plans.map(words).join(', ')}: ${changes} change(s)`
  }
  if (plan.steps.length === 1) return words(first)
  // The one line a dev server prints must not hide, behind "and N more", a step that removes something.
  const removing = plan.steps.slice(1).filter((s) => /^drop\b|: drop column\b/.test(s.description))
  return `${words(first)} and ${plan.steps.length - 1} more change(s)${removing.length ? `, among them: ${removing.map(words).join(', ')}` : ''}`
}

export function describeError(error: unknown): string {
  if (error instanceof MigrateError) return `${error.message.startsWith('migrate-plugin') ? '' : 'migrate-plugin: '}${error.message}${error.hint ? `\n  ${error.hint}` : ''}`
  return `migrate-plugin: ${redactSecrets(errorMessage(error))}`
}

/**
 * Bundlers print an error's message and stack themselves (build failures, the overlay, esbuild's
 * errors): one that is not a MigrateError (already masked) is masked before it leaves the runner.
 */
function maskError(error: unknown): never {
  if (error instanceof Error && !(error instanceof MigrateError)) {
    error.message = redactSecrets(error.message)
    if (error.stack) error.stack = redactSecrets(error.stack)
  }
  throw error
}
