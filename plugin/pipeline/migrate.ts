import { existsSync } from 'node:fs'
import { MigrateError, errorMessage } from '../core/errors.ts'
import { crashPoint } from '../core/crash.ts'
import { refuseReadOnly } from '../core/outputs.ts'
import { inputsKey, readInputsRecord, writeInputsRecord } from '../core/inputs.ts'
import type { GeneratedSchema } from '../schema/generate.ts'
import { targetFor } from '../targets/index.ts'
import type { TargetLock } from '../targets/target.ts'
import { newMigrationId } from './history-record.ts'
import { configFor, prepare, writeSchema, type Prepared } from './prepare.ts'
import type { MigrateOptions } from './options.ts'
import type { MigrateResult } from '../types.ts'
export type { Command, MigrateResult, Outcome, RunStep } from '../types.ts'
export type { MigrateOptions } from './options.ts'
export { prepare, writeSchema, type Prepared } from './prepare.ts'

/**
 * The pipeline: config → models → schema → fast path → lock → plan → guard → backup → apply →
 * verify → record, every database change inside one transaction of the target's database.
 *
 * With require_confirmation, an apply is the two phases the public API offers: plan() (a check,
 * no lock held while a person reads it), the question, then apply(plan), which goes ahead only if
 * its own plan is still exactly the one confirmed.
 */
export async function migrate(options: MigrateOptions = {}): Promise<MigrateResult> {
  // Plan files not yet applied go first, each its own run (see plans/pending.ts).
  if ((options.command ?? 'apply') === 'apply' && !options.planFile && options.pendingPlans !== false) {
    return (await import('../plans/pending.ts')).withPendingPlans(options, (declarative) => migrateModels(declarative))
  }
  return migrateModels(options)
}

async function migrateModels(options: MigrateOptions): Promise<MigrateResult> {
  const t0 = performance.now()
  const started = new Date()
  const command = options.command ?? 'apply'
  const begun = await begin(options, t0)
  if ('outcome' in begun) return begun
  const prepared = begun
  // A reviewed plan's review is its consent.
  if (command === 'apply' && prepared.config.requireConfirmation && !options.yes && options.confirmedSql === undefined && !options.planFile) {
    const pending = await runPipeline({ ...options, command: 'check' }, prepared, t0, started)
    if (pending.outcome === 'pending' && pending.plan) {
      if (!(options.confirm ? await options.confirm(pending.plan) : false)) {
        throw new MigrateError('GUARD_NOT_CONFIRMED', options.confirm ? 'not confirmed: nothing was changed' : 'require_confirmation is on and there is no terminal to ask: nothing was changed', {
          step: 'guard', hint: 'run it on a terminal to confirm, or pass --yes',
        })
      }
      return runPipeline({ ...options, confirmedSql: pending.plan.sql, confirmedSteps: pending.plan.steps.map((s) => s.description) }, prepared, t0, started)
    }
  }
  return runPipeline(options, prepared, t0, started)
}

/** Phase one: what an apply would do now, changing nothing (a check, with the engine's verdict). */
export function plan(options: Omit<MigrateOptions, 'command'> = {}): Promise<MigrateResult> {
  return migrate({ ...options, command: 'check' })
}

/** Phase two: apply exactly the plan `planned` shows; refuses (changing nothing) when the plan is no longer that. */
export function apply(planned: MigrateResult, options: Omit<MigrateOptions, 'command' | 'confirmedSql' | 'confirmedSteps'> = {}): Promise<MigrateResult> {
  if (!planned.plan) return migrate({ ...options, command: 'apply', confirmedSql: '', confirmedSteps: [] })
  return migrate({ ...options, command: 'apply', confirmedSql: planned.plan.sql, confirmedSteps: planned.plan.steps.map((s) => s.description) })
}

/**
 * Config and models, or the answer without them: a fresh process (the CLI) whose models are
 * unchanged since a run that loaded them, on a database as that run left it, is in sync without
 * loading a single model file.
 */
async function begin(options: MigrateOptions, t0: number): Promise<Prepared | MigrateResult> {
  if (options.prepared) return options.prepared
  const command = options.command ?? 'apply'
  const config = configFor(options)
  refuseReadOnly(config, command)
  const record = readInputsRecord(config)
  const covered = record?.dependencies ?? []
  const keyBefore = inputsKey(config, covered)
  // A plan file is run, never answered with "in sync" from a summary.
  if (record?.key && record.key === keyBefore && (command !== 'apply' || existsSync(config.schemaOutput)) && !options.planFile) {
    const fast = await (await targetFor(config)).fastPath({ hash: record.schemaHash, tables: record.tables }, config.historyTable).catch(() => undefined)
    if (fast) {
      return {
        outcome: 'in-sync', fastPath: true, config, schemaPath: config.schemaOutput, schemaHash: record.schemaHash,
        warnings: [], unexecutable: [], deletedBackups: [], unmodelledTables: fast.unmodelled, durationMs: performance.now() - t0,
      }
    }
  }
  options.onStep?.('models')
  const prepared = await prepare(options, config)
  writeInputsRecord(config, keyBefore, covered, { schemaHash: prepared.schema.hash, tables: prepared.schema.owners.map((o) => o.table), dependencies: prepared.models.dependencies, ...(prepared.models.reads ? { reads: prepared.models.reads } : {}) })
  return prepared
}

const summaryOf = (schema: GeneratedSchema) => ({ hash: schema.hash, tables: schema.owners.map((o) => o.table) })

/** One run on one database: fast path, lock, session, then the command's own steps (run.ts). */
async function runPipeline(options: MigrateOptions, prepared: Prepared, t0: number, started: Date): Promise<MigrateResult> {
  const command = options.command ?? 'apply'
  const { config, models, schema } = prepared
  refuseReadOnly(config, command)
  const target = await targetFor(config)
  const base: MigrateResult = {
    outcome: 'in-sync', fastPath: false, config, schemaPath: config.schemaOutput, schemaHash: schema.hash,
    warnings: [], unexecutable: [], deletedBackups: [], unmodelledTables: [], durationMs: 0,
  }
  const done = (result: Partial<MigrateResult>): MigrateResult => ({ ...base, ...result, durationMs: performance.now() - t0 })

  let state = await target.probe()
  const fast = state === 'ok' && !options.planFile ? await target.fastPath(summaryOf(schema), config.historyTable) : undefined
  if (fast) {
    if (command === 'apply' && !existsSync(config.schemaOutput)) writeSchema(config, schema)
    return done({ outcome: 'in-sync', fastPath: true, unmodelledTables: fast.unmodelled })
  }
  if (state === 'missing') {
    // A server database is the administrator's to create; a SQLite file is created by the apply.
    const creation = target.canCreate()
    if (creation.refusal) throw new MigrateError('DATABASE', creation.refusal, { ...(creation.hint ? { hint: creation.hint } : {}) })
  }
  // Not the fast path: the engine will be needed. Its wasm compiles on V8's background threads, so
  // start it now and let it overlap with formatting, validation and the lock.
  void import('../engine/wasm.ts').then(({ loadEngineModule }) => loadEngineModule()).catch(() => { /* reported when the session opens */ })
  const { renameHints } = await import('./renames.ts')
  // Formats and validates the schema: a model error surfaces here, before the database is touched.
  if (command === 'apply') writeSchema(config, schema)
  else schema.validatedText()

  let lock: TargetLock | undefined
  let marked = false
  const migrationId = newMigrationId(started)
  try {
    // A preview of a database that does not exist plans against an empty scratch database: there is
    // nothing to lock, and taking the lock would leave a <db>-migrate.lock where no database is.
    if (command === 'apply' || (command === 'preview' && state === 'ok')) {
      options.onStep?.('lock')
      lock = await target.lock(config.lockTimeout)
      crashPoint('locked')
      if (command === 'apply') {
        const interrupted = await target.recoverInterrupted(config.historyTable)
        if (interrupted) base.interruptedRun = interrupted
      }
      // Another migrator may have finished while we waited: look again.
      state = await target.probe()
      const after = state === 'ok' && !options.planFile ? await target.fastPath(summaryOf(schema), config.historyTable) : undefined
      if (after) return done({ outcome: 'in-sync', fastPath: true, unmodelledTables: after.unmodelled })
    }
    // A writer holding the database longer than lock_timeout is an error, not an endless wait.
    const timeoutMs = config.lockTimeout * 1000
    if (state === 'ok') await target.checkHealth(command === 'check' ? 'read' : 'write', timeoutMs)
    if (command === 'apply' && state === 'ok') await target.assertWritable()
    options.onStep?.('plan')
    const session = await target.open({
      mode: command === 'check' ? 'read' : 'write',
      historyTable: config.historyTable,
      existing: state === 'ok',
      // Preview and check must not create a database that does not exist: they plan against an empty one.
      scratch: state !== 'ok' && command !== 'apply',
      timeoutMs,
      dropUnmodelledTables: config.dropUnmodelledTables,
      renameHints: renameHints(models),
      owners: schema.owners,
      models,
    })
    base.unmodelledTables = session.unmodelled
    const marker = { migrationId, startedAt: started.toISOString(), trigger: options.trigger ?? 'cli', pid: process.pid }
    const progress = (step: 'backup' | 'apply' | 'verify' | 'record', backupPath?: string) => {
      options.onStep?.(step)
      if (command !== 'apply') return
      target.markProgress({ ...marker, step, ...(backupPath ? { backupPath } : {}) })
      marked = true
    }
    // Loaded only past the fast path: a no-op run never needs the apply machinery.
    const { runInSession } = await import('./run.ts')
    try {
      return await runInSession({
        session, target, command, prepared, options, started, t0, done, migrationId, progress,
        createdDb: command === 'apply' && state !== 'ok',
        // check's verdict: a preview of the same models on what the target says is harmless to push to.
        preview: async (previewConfig) => {
          try {
            const result = await runPipeline({ command: 'preview', ...(options.trigger ? { trigger: options.trigger } : {}) }, { ...prepared, config: previewConfig }, performance.now(), new Date())
            return { warnings: result.warnings, unexecutable: result.unexecutable, ...(result.previewError ? { previewError: result.previewError } : {}) }
          } catch (error) {
            // A refusal before the push (more tables than max_tables_per_run): an apply would refuse too.
            return { warnings: [], unexecutable: [], previewError: errorMessage(error) }
          }
        },
      })
    } finally {
      // Check, preview and an in-sync apply end without commit or rollback: their transaction
      // must still end here, or a long-lived process (a dev server) keeps the database locked.
      await session.close()
    }
  } finally {
    // Before the lock goes: whoever takes it next must not mistake our marker for a dead run's.
    if (marked) target.markProgress(undefined)
    await lock?.release()
  }
}
