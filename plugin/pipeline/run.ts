import { rmSync } from 'node:fs'
import { basename } from 'node:path'
import type { ResolvedConfig } from '../core/config.ts'
import { crashPoint } from '../core/crash.ts'
import { MigrateError, errorMessage } from '../core/errors.ts'
import { TOOL_VERSION } from '../core/version.ts'
import type { Findings, Target, TargetSession, Verdict } from '../targets/target.ts'
import type { Command, MigrateResult } from '../types.ts'
import { acceptLossOrRefuse, checkConfirmed, checkTableCount, refuseFindings } from './guard.ts'
import type { HistoryRecord } from './history-record.ts'
import type { MigrateOptions } from './options.ts'
import { buildPlan, type Plan, type PlanStep } from './plan.ts'
import type { Prepared } from './prepare.ts'
import type { Rename } from './renames.ts'
import { isDataLossWarning, UNEXECUTABLE_FIX } from './verdict-words.ts'

export interface SessionRun {
  session: TargetSession
  target: Target
  command: Command
  prepared: Prepared
  options: MigrateOptions
  started: Date
  t0: number
  done: (result: Partial<MigrateResult>) => MigrateResult
  createdDb: boolean
  migrationId: string
  /** Records the step reached (the run marker), so that a killed run can be told apart later. */
  progress: (step: 'backup' | 'apply' | 'verify' | 'record', backupPath?: string) => void
  /** A preview of the same models against another config's database (check's verdict). */
  preview: (config: ResolvedConfig) => Promise<Verdict>
}

type Step = 'plan' | 'rename' | 'guard' | 'backup' | 'apply' | 'verify' | 'record'

/** What a run has reached, for the failure path: the step, the backup taken, whether it ended. */
export interface RunState {
  step: Step
  settled: boolean
  backupPath?: string
  plan?: Plan
}

export type Recorder = (partial: Partial<HistoryRecord> & Pick<HistoryRecord, 'status' | 'description'>) => HistoryRecord

/** plan → (check | preview | guard → backup → apply → verify → record), inside the session's transaction. */
export async function runInSession(run: SessionRun): Promise<MigrateResult> {
  const { session, command, options, done } = run
  const { config, schema, models } = run.prepared
  const state: RunState = { step: 'plan', settled: false }
  const record: Recorder = (partial) => ({
    migrationId: run.migrationId,
    startedAt: run.started.toISOString(),
    finishedAt: new Date().toISOString(),
    steps: [],
    modelFiles: models.files,
    schemaHash: schema.hash,
    dbFingerprint: null,
    sql: '',
    warnings: [],
    error: null,
    failedStep: null,
    backupPath: state.backupPath ?? null,
    durationMs: performance.now() - run.t0,
    trigger: options.trigger ?? 'cli',
    toolVersion: TOOL_VERSION,
    ...partial,
  })
  try {
    await options.onSession?.(session)
    if (options.planFile) return await (await import('../plans/apply-in-session.ts')).applyPlanInSession(run, options.planFile, state, record)
    const planned = await planInSession(run, state)
    if (!planned) {
      if (command === 'apply') await recordInSync(run, state, record)
      return done({ outcome: 'in-sync' })
    }
    const { plan, findings, script } = planned
    if (command === 'check') {
      // The engine's own verdict (its warnings, unexecutable steps, broken views), from a push the target says is harmless.
      const verdict = await session.verdict(plan, schema.validatedText(), config, run.preview)
      return done({ outcome: 'pending', plan, ...(verdict && verdict.lossCheckError === undefined ? verdict : { warnings: findings.dataLoss, ...(verdict ? { lossCheckError: verdict.lossCheckError } : {}) }) })
    }
    state.step = 'guard'
    checkTableCount(plan, config)
    if (command === 'preview') return await previewInSession(run, plan, findings)
    return await applyInSession(run, plan, findings, script, state, record)
  } catch (error) {
    if (state.settled) throw error
    state.settled = true
    return await failed(run, error, { step: state.step, plan: state.plan, backupPath: state.backupPath, record })
  }
}

/** The renames the models declare, then the engine's diff in words, with what the target sees that the engine does not. Undefined: in sync. */
async function planInSession(run: SessionRun, state: RunState): Promise<{ plan: Plan, findings: Findings, script: string } | undefined> {
  const { session } = run
  const { schema } = run.prepared
  if (session.renames.length > 0) {
    state.step = 'rename'
    await session.exec(session.renames.map((r) => r.step.sql.join('\n')).join('\n'))
    state.step = 'plan'
  }
  const script = await session.diff(schema.validatedText())
  const engineSteps = buildPlan(script, schema.owners, await session.liveSchema())
  const findings = await session.findings(script, engineSteps)
  if (script.trim() === '' && session.renames.length === 0 && findings.extraSteps.length === 0) return undefined
  state.plan = withExtraSteps(withRenames(session.renames, engineSteps), findings.extraSteps)
  return { plan: state.plan, findings, script }
}

/**
 * In sync, but not recorded as such (first run on an existing database, or a schema edit that
 * changes nothing in the database): remember it, so the next run takes the fast path.
 */
async function recordInSync(run: SessionRun, state: RunState, record: Recorder): Promise<void> {
  const { session } = run
  const last = await session.lastInSync()
  const fingerprint = await session.fingerprint()
  if (last && last.schemaHash === run.prepared.schema.hash && last.dbFingerprint === fingerprint) return
  await session.writeHistory(record({ status: 'noop', description: 'database already matches the models', dbFingerprint: fingerprint }))
  await session.commit()
  state.settled = true
}

/**
 * The real change, rolled back when the session closes: the engine's own warnings, and any object
 * of the user's that the change would break, are found exactly as an apply finds them.
 */
async function previewInSession(run: SessionRun, plan: Plan, findings: Findings): Promise<MigrateResult> {
  const { session, done } = run
  const { schema } = run.prepared
  let pushed
  try {
    const guard = await session.guardPush(plan)
    pushed = await session.push(schema.validatedText(), false)
    if (pushed.warnings.length > 0 && pushed.executedSteps === 0) pushed = { ...await session.push(schema.validatedText(), true), warnings: pushed.warnings, unexecutable: pushed.unexecutable }
    await guard.finish()
    const problem = await guard.previewProblems()
    if (problem) throw new Error(problem)
  } catch (error) {
    // The engine's own warnings stand even when a later step fails: both are for the user to read.
    const warnings = pushed?.warnings ?? []
    return done({ outcome: 'previewed', plan, warnings: [...warnings, ...findings.unwarned(warnings)], ...(pushed ? { unexecutable: pushed.unexecutable } : {}), previewError: errorMessage(error) })
  }
  return done({ outcome: 'previewed', plan, warnings: [...pushed.warnings, ...findings.unwarned(pushed.warnings)], unexecutable: pushed.unexecutable })
}

/** guard (consent) → backup → push → verify → record → COMMIT; a failure is the caller's to roll back. */
async function applyInSession(run: SessionRun, plan: Plan, findings: Findings, script: string, state: RunState, record: Recorder): Promise<MigrateResult> {
  const { session, options, done } = run
  const { config, schema } = run.prepared
  const { dataLoss } = findings
  checkConfirmed(plan, config, options)
  // When someone may confirm, our own findings are not refused before the push: the engine's
  // warnings (a cast, a dropped column) come only from the push, and a question that left them
  // out would under-list the loss and never match the run that follows the "y". The push below
  // executes nothing when it warns, and a push that runs is rolled back by the refusal.
  const decideAfterPush = dataLoss.length > 0 && !config.allowDataLoss && !!(options.acceptedLoss || options.confirmingDataLoss)
  const digest = !!(options.acceptedLoss || options.confirmingDataLoss)
  if (dataLoss.length > 0 && !config.allowDataLoss && !decideAfterPush) {
    acceptLossOrRefuse(await session.lossReport(plan, findings, [], digest), options, refuseFindings(dataLoss, [], findings, options))
  }

  await backupThenApplyStep(run, state)
  const guard = await session.guardPush(plan)
  // Read before a push that may run: it describes the data as it is now.
  const oursOnly = decideAfterPush ? await session.lossReport(plan, findings, [], true) : undefined
  // A script that only adds runs as planned; the rest goes through the engine's push and its warnings.
  let pushed = (decideAfterPush ? undefined : await session.pushAdditive?.(script)) ?? await session.push(schema.validatedText(), false)
  if (pushed.unexecutable.length > 0) {
    throw new MigrateError('GUARD_UNEXECUTABLE', `cannot apply: ${pushed.unexecutable.join('; ')}`, {
      step: 'guard', hint: `${UNEXECUTABLE_FIX}; nothing was changed`,
    })
  }
  if (pushed.warnings.length > 0 && pushed.executedSteps === 0) {
    // "A unique constraint … will be added. If there are existing duplicate values, this will fail"
    // and "The primary key for the `t` table will be changed. If it partially fails, …": steps that
    // may fail, not ones that lose data. Our transaction rolls a failure back, and the row counts
    // below prove that every row was kept, so they run without --accept-data-loss (which would
    // switch the real checks off for the whole run).
    const lossy = pushed.warnings.filter(isDataLossWarning)
    if (decideAfterPush) {
      // One report for everything at stake, ours and the engine's, read before anything ran.
      acceptLossOrRefuse(await session.lossReport(plan, findings, lossy, true), options, refuseFindings(dataLoss, lossy, findings, options))
    } else if (lossy.length > 0 && !config.allowDataLoss) {
      // The push executed nothing: the report still reads the data as it is.
      acceptLossOrRefuse(await session.lossReport(plan, findings, lossy, digest), options, refuseFindings([], lossy, undefined, options))
    }
    pushed = await session.push(schema.validatedText(), true)
  } else if (oursOnly && oursOnly.digest !== options.acceptedLoss?.digest) {
    // The engine had nothing to warn about and the push ran: the report read before it is the whole loss.
    throw refuseFindings(dataLoss, [], findings, options)(oursOnly)
  }
  await guard.finish()
  await guard.checkRows({ allowDataLoss: config.allowDataLoss })

  // --- verify ---
  crashPoint('after-push')
  state.step = 'verify'
  run.progress(state.step, state.backupPath)
  if (config.autoVerify && options.verify !== false) {
    const remaining = await session.diff(schema.validatedText())
    if (remaining.trim() !== '') {
      throw new MigrateError('VERIFY', `after applying, the database still differs from the models:\n${remaining.trim()}`, {
        step: state.step, hint: 'this is a bug in migrate-plugin or the engine; the change was rolled back',
      })
    }
  }
  await guard.verify()

  // --- record ---
  crashPoint('after-verify')
  state.step = 'record'
  run.progress(state.step, state.backupPath)
  const migration = record({
    status: 'success',
    description: plan.steps.map((s) => s.description).join('; '),
    steps: plan.steps.map((s) => ({ description: s.description, table: s.table, ...(s.file ? { file: s.file } : {}) })),
    sql: plan.sql,
    warnings: [...pushed.warnings, ...dataLoss],
    dbFingerprint: await session.fingerprint(),
  })
  const committed = await recordAndCommit(run, state, migration)
  return done({ outcome: 'applied', plan, warnings: [...pushed.warnings, ...dataLoss], ...committed })
}

/** The backup (unless switched off, or the run created the database), then the apply step begins. */
export async function backupThenApplyStep(run: SessionRun, state: RunState): Promise<void> {
  const { session, target, options } = run
  const { config } = run.prepared
  state.step = 'backup'
  run.progress(state.step)
  if (config.backupEnabled && options.backup !== false && !run.createdDb) {
    state.backupPath = session.aroundBackup ? await session.aroundBackup(() => target.backup(config)) : await target.backup(config)
    crashPoint('after-backup')
  }
  state.step = 'apply'
  run.progress(state.step, state.backupPath)
}

/**
 * The history row and COMMIT, in the run's transaction, then retention: after COMMIT nothing may
 * turn the apply into a failure, so what goes wrong there is a warning next to the success.
 */
export async function recordAndCommit(run: SessionRun, state: RunState, migration: HistoryRecord): Promise<Pick<MigrateResult, 'backupPath' | 'deletedBackups' | 'migrationId' | 'postCommitWarnings'>> {
  await run.session.writeHistory(migration)
  crashPoint('after-record')
  await run.session.commit()
  state.settled = true
  crashPoint('after-commit')
  const postCommitWarnings: string[] = []
  let deletedBackups: string[] = []
  try {
    if (state.backupPath) deletedBackups = run.target.retention(run.prepared.config, postCommitWarnings)
  } catch (error) {
    postCommitWarnings.push(`backup retention failed: ${errorMessage(error)}`)
  }
  return {
    ...(state.backupPath ? { backupPath: state.backupPath } : {}), deletedBackups, migrationId: migration.migrationId,
    ...(postCommitWarnings.length ? { postCommitWarnings } : {}),
  }
}

/** Roll back, restore if even that failed, record the failure, and say which step failed and why. */
async function failed(
  run: SessionRun,
  error: unknown,
  at: { step: Step, plan: Plan | undefined, backupPath: string | undefined, record: (partial: Partial<HistoryRecord> & Pick<HistoryRecord, 'status' | 'description'>) => HistoryRecord },
): Promise<never> {
  const { session, target, command } = run
  const { config } = run.prepared
  const { step, plan, backupPath } = at
  // Refusals, and a backup that could not be made, come before any change: nothing to record.
  const refused = error instanceof MigrateError && (error.code.startsWith('GUARD_') || error.code === 'BACKUP')
  let rolledBack = true
  try {
    await session.rollback()
  } catch {
    rolledBack = false
  }
  if (refused || command !== 'apply' || !plan) {
    // Nothing was applied: the database is as it was, and the fresh backup is a duplicate.
    if (backupPath) rmSync(backupPath, { recursive: true, force: true })
    if (run.createdDb) await target.removeCreated()
    throw error instanceof MigrateError ? error : target.describeError(error)
  }
  if (!rolledBack && backupPath) {
    // The same checked restore as `restore`: it either brings the backup back or says it did not.
    try {
      await target.restoreAfterFailure(backupPath, config.lockTimeout * 1000)
    } catch (restoreError) {
      throw new MigrateError('APPLY', `${step} failed: ${errorMessage(error)}. The change could not be rolled back, and restoring the backup failed too: ${errorMessage(restoreError)}`, {
        step, backupPath, cause: error,
        hint: `restore it yourself: npx migrate-plugin restore ${basename(backupPath)} --yes`,
      })
    }
  }
  const message = errorMessage(error)
  await target.recordFailure(config.historyTable, at.record({
    status: rolledBack ? 'rolled_back' : 'failed',
    description: plan.steps.map((s) => s.description).join('; '),
    steps: plan.steps.map((s) => ({ description: s.description, table: s.table, ...(s.file ? { file: s.file } : {}) })),
    sql: plan.sql,
    error: message,
    failedStep: step,
  }))
  const where = backupPath ? ` The backup taken before it is ${backupPath}.` : ''
  throw new MigrateError(error instanceof MigrateError && error.code === 'VERIFY' ? 'VERIFY' : 'APPLY',
    `${step} failed: ${message}. ${rolledBack ? 'The change was rolled back; the database is as it was.' : backupPath ? 'The change could not be rolled back; the database was restored from the backup and checked.' : 'The change could not be rolled back, and there is no backup (--no-backup): check the database.'}${where}`, {
      step, ...(backupPath ? { backupPath } : {}), cause: error,
      // A plan file's statement: the file and line travel with the error (--json, CI annotations).
      ...(error instanceof MigrateError && error.location ? { location: error.location } : {}),
      // A check's own hint (which values to convert, which rows break a foreign key) says more than ours.
      hint: `${error instanceof MigrateError && error.hint ? error.hint : 'fix the model (or the data) and run again'}; \`npx migrate-plugin history\` shows this attempt`,
    })
}

/** Changes the engine cannot see come last: they run after its push. */
function withExtraSteps(plan: Plan, steps: PlanStep[]): Plan {
  if (steps.length === 0) return plan
  return { steps: [...plan.steps, ...steps], sql: plan.sql, tables: [...new Set([...plan.tables, ...steps.map((s) => s.table)])] }
}

/** The renames come first: they ran first, and the engine's steps are relative to them. */
function withRenames(renames: Rename[], plan: Plan): Plan {
  if (renames.length === 0) return plan
  const sql = renames.flatMap((r) => r.step.sql).join('\n')
  return {
    steps: [...renames.map((r) => r.step), ...plan.steps],
    sql: plan.sql ? `${sql}\n${plan.sql}` : sql,
    tables: [...new Set([...renames.map((r) => r.table), ...plan.tables])],
  }
}
