import { createHash } from 'node:crypto'
import { relative } from 'node:path'
import { databaseLabel, type ResolvedConfig } from '../core/config.ts'
import { MigrateError, errorMessage } from '../core/errors.ts'
import { redactSecrets } from '../core/redact.ts'
import { pendingResultOf, type RunFinished } from '../bundlers/runner.ts'
import { DataLossError, type LossReport } from '../pipeline/loss-report.ts'
import { migrate, prepare, type MigrateResult } from '../pipeline/migrate.ts'
import type { ModelOwner } from '../schema/ownership.ts'

/** A step of a pending change, as the page lists it. */
export interface StepView {
  description: string
  table: string
  file?: string
  line?: number
}

/** A pending change (check/warn mode), or a change the dev run refused because it loses data. */
export interface PendingView {
  kind: 'pending' | 'data-loss'
  steps: StepView[]
  sql: string
  warnings: string[]
  unexecutable: string[]
  /** data-loss: what the apply would lose, in rows and values (masked). */
  loss?: string[]
  /** data-loss: the tables and columns that lose data (`users.nickname`), for the confirming button. */
  lossTargets?: string[]
  /** data-loss: what the page sends back to apply exactly this; absent while it is being worked out. */
  fingerprint?: string
  /** data-loss: why it cannot be applied from the page, if it cannot. */
  blocked?: string
}

export interface LastRun {
  at: string
  ok: boolean
  trigger: string
  summary?: string
  warning?: string
  error?: { message: string, hint?: string }
}

/** What the server keeps to apply a refused change: the report the page showed, with its digest. */
export interface ShownLoss {
  fingerprint: string
  report: LossReport
}

/**
 * The page's memory between requests: the last run (from the Runner's hook), the pending change
 * it found, and, for a refused data-losing change, the full loss report a confirmation is for.
 */
export class PageState {
  lastRun: LastRun | undefined
  pending: PendingView | undefined
  owners: ModelOwner[] = []
  shown: ShownLoss | undefined
  /** Bumped by each run: a loss worked out for an older run is dropped. */
  private generation = 0
  /** The page's own run in the background, if any: the server waits for it when it closes. */
  private working: Promise<void> = Promise.resolve()
  private closed = false

  constructor(private readonly config: () => ResolvedConfig) {}

  /** Takes a finished run in; returns what the browser is told over HMR. */
  update(finished: RunFinished): LastRun {
    this.generation++
    if (finished.prepared) this.owners = finished.prepared.schema.owners
    const { report, error } = finished
    const at = new Date().toISOString()
    this.shown = undefined
    this.pending = undefined
    if (error === undefined) {
      this.lastRun = { at, ok: true, trigger: finished.context.trigger, ...(report?.line ? { summary: clean(report.line) } : {}), ...(report?.warning ? { warning: clean(report.warning) } : {}) }
      if (report?.result?.outcome === 'pending') this.pending = pendingView(report.result)
      return this.lastRun
    }
    this.lastRun = { at, ok: false, trigger: finished.context.trigger, error: errorView(error) }
    const pending = pendingResultOf(error)
    if (pending) this.pending = pendingView(pending)
    const refusal = dataLossOf(error)
    if (refusal) {
      // Shown while the full report is worked out, without a button: it may not list every loss yet.
      this.pending = {
        kind: 'data-loss', steps: refusal.report.planSteps.map((description) => ({ description: clean(description), table: '' })), sql: clean(refusal.report.planSql),
        warnings: [], unexecutable: [], loss: refusal.report.items.map((i) => clean(i.description)),
      }
      const generation = this.generation
      // One at a time, and never after close: the dev server waits for the one under way when it
      // closes (closeBundle), so no run goes on against a project that is gone.
      this.working = this.working.then(() => (this.closed || generation !== this.generation ? undefined : this.workOutLoss(generation)))
    }
    return this.lastRun
  }

  /**
   * The dev run's refusal is not yet what a person can confirm: it may name only this tool's own
   * findings (the engine's warnings come from a push), and it has no digest. So the page asks
   * the way the CLI does before its question: a check for the steps with their files and the
   * engine's warnings, then an apply that only computes the loss report — it names the plan it
   * is for (confirmedSql/confirmedSteps), so a plan that changed meanwhile refuses instead of running.
   */
  private async workOutLoss(generation: number): Promise<void> {
    const current = () => generation === this.generation
    try {
      const config = this.config()
      const prepared = await prepare({}, config)
      const checked = await migrate({ prepared, command: 'check', trigger: 'vite-dev-page', pendingPlans: false })
      if (!current()) return
      if (checked.outcome !== 'pending' || !checked.plan) {
        this.pending = undefined
        return
      }
      const plan = checked.plan
      try {
        await migrate({
          prepared, command: 'apply', trigger: 'vite-dev-page', pendingPlans: false, confirmingDataLoss: true,
          confirmedSql: plan.sql, confirmedSteps: plan.steps.map((s) => s.description),
        })
      } catch (error) {
        if (!current()) return
        const refused = dataLossOf(error)
        if (!refused) throw error
        const report = refused.report
        const fingerprint = createHash('sha256').update(JSON.stringify([report.digest, report.planSql, report.planSteps, report.items.map((i) => i.description)])).digest('hex')
        this.shown = { fingerprint, report }
        this.pending = {
          ...pendingView({ ...checked, plan }), kind: 'data-loss', loss: report.items.map((i) => clean(i.description)), fingerprint,
          lossTargets: [...new Set(report.items.map((i) => clean(i.column ? `${i.table}.${i.column}` : i.table)))],
          // What the apply would lose, and the steps it would run, come from the same report the digest is for.
          sql: clean(report.planSql),
        }
        return
      }
      // Nothing at stake any more (the rows went meanwhile): the apply above went ahead, as the
      // dev server's own run would have; the next run shows the database in sync.
      this.pending = undefined
    } catch (error) {
      if (!current() || !this.pending) return
      this.pending = { ...this.pending, blocked: errorView(error).message }
    }
  }

  /** Stops starting background runs, and waits for the one under way. */
  async close(): Promise<void> {
    this.closed = true
    await this.working
  }

  summaryLabel(): string {
    const config = this.config()
    // Relative to the project, as the CLI prints it: the page is about this project's database.
    return clean(databaseLabel(config, (path) => relative(config.root, path) || path))
  }
}

export function dataLossOf(error: unknown): DataLossError | undefined {
  if (error instanceof DataLossError) return error
  // A bundler's run words the refusal for a dev server, keeping the report on its cause.
  if (error instanceof MigrateError && error.cause instanceof DataLossError) return error.cause
  return undefined
}

export function pendingView(result: MigrateResult): PendingView {
  const plan = result.plan
  return {
    kind: 'pending',
    steps: (plan?.steps ?? []).map((s) => ({ description: clean(s.description), table: s.table, ...(s.file ? { file: s.file } : {}), ...(s.line !== undefined ? { line: s.line } : {}) })),
    sql: clean(plan?.sql ?? ''),
    warnings: [...result.warnings, ...(result.lossCheckError ? [`could not check what an apply would lose: ${result.lossCheckError}`] : [])].map(clean),
    unexecutable: [...result.unexecutable, ...(result.previewError ? [`apply would fail: ${result.previewError}`] : [])].map(clean),
  }
}

export function errorView(error: unknown): { message: string, hint?: string } {
  if (error instanceof MigrateError) return { message: clean(error.message), ...(error.hint ? { hint: clean(error.hint) } : {}) }
  return { message: clean(errorMessage(error)) }
}

/** Everything the page shows passes through here: no secret of the database URL reaches it. */
export function clean(text: string): string {
  return redactSecrets(text)
}
