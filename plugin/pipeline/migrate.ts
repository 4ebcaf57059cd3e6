import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, relative } from 'node:path'
import Database from 'better-sqlite3'
import { discoverModels, type DiscoveredModels } from '../model/discover.ts'
import { loadConfig, type ConfigOverrides, type ResolvedConfig } from '../core/config.ts'
import { loadEngineModule, openEngineSession, type EngineSession } from '../engine/schema-engine.ts'
import { MigrateError, errorMessage } from '../core/errors.ts'
import { applyRetention, backupDatabase, prepareBackupFolder } from '../targets/sqlite/backup.ts'
import { restoreChecked } from '../targets/sqlite/restore.ts'
import { checkHistoryTable, hasTable, lastInSync, newMigrationId, schemaFingerprint, writeHistory, type HistoryRecord } from './history.ts'
import { acquireLock, type Lock } from '../core/lock.ts'
import { crashPoint } from '../core/crash.ts'
import { clearMarker, recoverInterrupted, writeMarker, type RunMarker } from '../targets/sqlite/interrupted.ts'
import { buildPlan, liveSchemaOf, type Plan, type PlanStep } from './plan.ts'
import { applyAutoIncrementChange, autoIncrementChanges, autoIncrementStep } from '../targets/sqlite/autoincrement.ts'
import { constraintsDroppedByRebuild, detachDependents, indexesDroppedByRebuild, reattachDependents } from '../targets/sqlite/dependents.ts'
import { describeEnumProblem, enumFixHint, enumProblems, enumStep } from '../targets/sqlite/enums.ts'
import { describeViolations, foreignKeyViolations, lostRows, newViolations, rowCounts } from '../targets/sqlite/integrity.ts'
import { describeMisfits, misfitHint, newTypeMisfits, typeFits } from '../targets/sqlite/type-fit.ts'
import { findRewrites, unwarnedRewrites } from '../targets/sqlite/rewrites.ts'
import { DataLossError, lossReport, type LossReport } from './loss-report.ts'
import { restoreRowids, saveRowids } from '../targets/sqlite/rowids.ts'
import { applicableRenames, renameHints, type Rename } from './renames.ts'
import { generateSchema, type GeneratedSchema } from '../schema/generate.ts'
import { checkOutputs, checkSchemaTarget, refuseReadOnly } from '../core/outputs.ts'
import { isNoSpace, noSpaceError } from '../core/diskfull.ts'
import { openForReading, waitForDatabase } from '../targets/sqlite/open.ts'
import { inputsKey, readInputsRecord, writeInputsRecord } from '../core/inputs.ts'
import { TOOL_VERSION } from '../core/version.ts'
import { engineVerdict, needsVerdict } from './check-verdict.ts'
import { isDataLossWarning } from './verdict-words.ts'
import type { Command, MigrateOptions as PublicMigrateOptions, MigrateResult, Outcome, RunStep } from '../types.ts'
// The public shapes live in types.ts (which imports nothing, so the shipped declarations stand alone).
export type { Command, MigrateResult, Outcome, RunStep } from '../types.ts'

/** The public options (types.ts) and what only the package's own callers pass. */
export interface MigrateOptions extends Omit<PublicMigrateOptions, 'env'> {
  /** The plan's SQL as the user confirmed it; set by migrate() itself, which asks before it takes any lock. */
  confirmedSql?: string
  /**
   * Data loss the user was shown and accepted (the digest of a DataLossError's report). The run
   * goes ahead only if it would lose exactly that data; otherwise it refuses, changing nothing.
   */
  acceptedLoss?: { digest: string }
  /** The plan's steps as shown with the data-loss question; the run refuses if its own differ. */
  confirmedSteps?: string[]
  /** The caller shows a refusal's loss report and may ask: compute its digest (a full read of the data at stake). */
  confirmingDataLoss?: boolean
  env?: NodeJS.ProcessEnv
  /** Reuse models and schema already prepared by the caller (status, the dev server's watcher). */
  prepared?: Prepared
}

/** Everything the pipeline knows before it touches the database. */
export interface Prepared {
  config: ResolvedConfig
  models: DiscoveredModels
  schema: GeneratedSchema
}

type PrepareOptions = Pick<MigrateOptions, 'root' | 'config' | 'overrides' | 'env'>

function configFor(options: PrepareOptions): ResolvedConfig {
  return loadConfig({
    ...(options.root ? { root: options.root } : {}),
    ...(options.config ? { configFile: options.config } : {}),
    ...(options.overrides ? { overrides: options.overrides } : {}),
    ...(options.env ? { env: options.env } : {}),
  })
}

export async function prepare(options: PrepareOptions, config = configFor(options)): Promise<Prepared> {
  // The one place every run passes before its first write (migrate, generate, status, the plugin).
  checkOutputs(config)
  const models = await discoverModels(config.modelDirectory, config.root, { timeoutMs: config.loadTimeout * 1000 })
  const fragmentModels = models.fragments.flatMap((f) => f.blocks.filter((b) => b.kind === 'model'))
  if (models.tables.length === 0 && fragmentModels.length === 0) {
    throw new MigrateError('NO_MODELS', `no models found in ${relative(config.root, config.modelDirectory) || '.'}/ — refusing to run, so that no table is dropped or reported missing by mistake`, {
      hint: 'export table(\'name\', { … }) from a .ts/.js file there (or add a .prisma fragment), or point [migration] model_directory at your models',
    })
  }
  const clientOutput = relative(dirname(config.schemaOutput), config.clientOutput).split('\\').join('/')
  const schema = generateSchema(models, { clientOutput, dropUnmodelledTables: config.dropUnmodelledTables })
  // A model error, whatever the database holds (two models claiming one old table, …).
  renameHints(models)
  return { config, models, schema }
}

/** Write the generated schema when its bytes differ (so watchers are not woken for nothing). */
export function writeSchema(config: ResolvedConfig, schema: GeneratedSchema): boolean {
  const path = config.schemaOutput
  // Formatting and validation run on the first validatedText(): a model error must surface as itself, against
  // the model file, not as a write failure — so the text is made before the file is touched.
  const text = schema.validatedText()
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return false
  checkSchemaTarget(config)
  try {
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, text)
  } catch (error) {
    if (isNoSpace(error, path)) throw noSpaceError(path, 'writing the generated schema', error)
    throw new MigrateError('OUTPUT', `cannot write the generated schema to ${path}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`, {
      hint: 'check the permissions of that folder, or set [migration] schema_output in migration.conf',
    })
  }
  return true
}

const SQLITE_HEADER = 'SQLite format 3\0'

/** Refuse files that are not SQLite databases before any driver touches them. */
function checkDatabaseFile(path: string): 'missing' | 'empty' | 'ok' {
  if (!existsSync(path)) {
    if (!existsSync(dirname(path))) {
      throw new MigrateError('DATABASE', `the folder of the database ${path} does not exist`, {
        hint: 'create the folder, or fix [database] url in migration.conf (relative paths are relative to the config file)',
      })
    }
    return 'missing'
  }
  const stat = statSync(path)
  if (stat.isDirectory()) throw new MigrateError('DATABASE', `the database path ${path} is a directory`, { hint: 'point [database] url at a file' })
  if (stat.size === 0) return 'empty'
  const fd = openSync(path, 'r')
  const header = Buffer.alloc(16)
  try {
    readSync(fd, header, 0, 16, 0)
  } finally {
    closeSync(fd)
  }
  if (header.toString('latin1') !== SQLITE_HEADER) {
    throw new MigrateError('DATABASE', `${path} is not a SQLite database (its first bytes are not the SQLite header)`, {
      hint: 'check [database] url; migrate-plugin never overwrites a file it cannot read as SQLite',
    })
  }
  return 'ok'
}

function openReadonly(path: string, timeoutMs: number): Database.Database {
  try {
    return openForReading(path, timeoutMs)
  } catch (error) {
    throw databaseError(error, path)
  }
}

function databaseError(error: unknown, path: string): MigrateError {
  if (error instanceof MigrateError) return error
  const code = (error as { code?: string }).code
  const message = errorMessage(error)
  if (isNoSpace(error, path)) return noSpaceError(path, 'opening the database', error)
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || /malformed|not a database/i.test(message)) {
    return new MigrateError('DATABASE', `${path} is corrupt: ${message}`, { hint: 'restore it from a backup: npx migrate-plugin restore', cause: error })
  }
  if (code === 'SQLITE_BUSY' || /locked/i.test(message)) {
    return new MigrateError('LOCKED', `${path} is locked by another connection: ${message}`, { hint: 'close the program writing to it, or try again', cause: error })
  }
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN' || /readonly|read-only/i.test(message)) {
    return new MigrateError('DATABASE', `cannot write ${path}: ${message}`, { hint: 'check the file and folder permissions', cause: error })
  }
  return new MigrateError('DATABASE', `${path}: ${message}`, { cause: error })
}

/**
 * Milliseconds: when both the generated schema and the live schema are what they were after the
 * last good run, the unmodelled tables (so every run can list them); otherwise undefined.
 * One read-only open of the database, no engine.
 */
export function fastPathInSync(dbPath: string, schema: SchemaSummary, historyTable: string): { unmodelled: string[] } | undefined {
  if (!existsSync(dbPath) || statSync(dbPath).size === 0) return undefined
  let db: Database.Database | undefined
  try {
    // No waiting here: a database someone holds locked simply misses the fast path.
    db = openForReading(dbPath, 0)
    const last = lastInSync(db, historyTable)
    const inSync = last !== undefined && last.schemaHash === schema.hash && last.dbFingerprint === schemaFingerprint(db, historyTable)
    return inSync ? { unmodelled: unmodelledTables(db, schema, historyTable) } : undefined
  } catch {
    return undefined
  } finally {
    db?.close()
  }
}

/** What the fast path compares: the schema's hash and the tables the models own. */
interface SchemaSummary {
  hash: string
  tables: string[]
}

const summaryOf = (schema: GeneratedSchema): SchemaSummary => ({ hash: schema.hash, tables: schema.owners.map((o) => o.table) })

function unmodelledTables(db: Database.Database | undefined, schema: SchemaSummary, historyTable: string): string[] {
  if (!db) return []
  const owned = new Set(schema.tables.map((t) => t.toLowerCase()))
  const rows = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string }[]
  return rows.map((r) => r.name).filter((name) => !owned.has(name.toLowerCase()) && name !== historyTable)
}

/**
 * The pipeline: config → models → schema → fast path → lock → plan → guard → backup → apply →
 * verify → record, every database change inside one SQLite transaction.
 */
export async function migrate(options: MigrateOptions = {}): Promise<MigrateResult> {
  const started = new Date()
  const t0 = performance.now()
  const command = options.command ?? 'apply'
  let prepared = options.prepared
  if (!prepared) {
    // A fresh process (the CLI): models unchanged since a run that loaded them and the database as
    // that run left it → in sync without loading a single model file.
    const config = configFor(options)
    refuseReadOnly(config, command)
    const record = readInputsRecord(config)
    const covered = record?.dependencies ?? []
    const keyBefore = inputsKey(config, covered)
    if (record?.key && record.key === keyBefore && (command !== 'apply' || existsSync(config.schemaOutput))) {
      const fast = fastPathInSync(config.databasePath, { hash: record.schemaHash, tables: record.tables }, config.historyTable)
      if (fast) {
        return {
          outcome: 'in-sync', fastPath: true, config, schemaPath: config.schemaOutput, schemaHash: record.schemaHash,
          warnings: [], unexecutable: [], deletedBackups: [], unmodelledTables: fast.unmodelled, durationMs: performance.now() - t0,
        }
      }
    }
    options.onStep?.('models')
    prepared = await prepare(options, config)
    writeInputsRecord(config, keyBefore, covered, { schemaHash: prepared.schema.hash, tables: prepared.schema.owners.map((o) => o.table), dependencies: prepared.models.dependencies, ...(prepared.models.reads ? { reads: prepared.models.reads } : {}) })
  }
  const { config, models, schema } = prepared
  refuseReadOnly(config, command)
  const dbPath = config.databasePath
  const base: MigrateResult = {
    outcome: 'in-sync', fastPath: false, config, schemaPath: config.schemaOutput, schemaHash: schema.hash,
    warnings: [], unexecutable: [], deletedBackups: [], unmodelledTables: [], durationMs: 0,
  }
  const done = (result: Partial<MigrateResult>): MigrateResult => ({ ...base, ...result, durationMs: performance.now() - t0 })

  let state = checkDatabaseFile(dbPath)
  const fast = state === 'ok' ? fastPathInSync(dbPath, summaryOf(schema), config.historyTable) : undefined
  if (fast) {
    if (command === 'apply' && !existsSync(config.schemaOutput)) writeSchema(config, schema)
    return done({ outcome: 'in-sync', fastPath: true, unmodelledTables: fast.unmodelled })
  }
  if (command === 'apply' && config.requireConfirmation && !options.yes && options.confirmedSql === undefined) {
    // Ask before any lock is taken: an answer can take minutes, and the app must be able to write
    // meanwhile. The apply then checks that its plan is still the one confirmed.
    const pending = await migrate({ ...options, prepared, command: 'check' })
    if (pending.outcome === 'pending' && pending.plan) {
      if (!(options.confirm ? await options.confirm(pending.plan) : false)) {
        throw new MigrateError('GUARD_NOT_CONFIRMED', options.confirm ? 'not confirmed: nothing was changed' : 'require_confirmation is on and there is no terminal to ask: nothing was changed', {
          step: 'guard', hint: 'run it on a terminal to confirm, or pass --yes',
        })
      }
      return migrate({ ...options, prepared, confirmedSql: pending.plan.sql, confirmedSteps: pending.plan.steps.map((s) => s.description) })
    }
  }
  // Not the fast path: the engine will be needed. Its wasm compiles on V8's background threads, so
  // start it now and let it overlap with formatting, validation and the lock.
  loadEngineModule().catch(() => { /* reported when the session opens */ })
  // Formats and validates the schema: a model error surfaces here, before the database is touched.
  if (command === 'apply') writeSchema(config, schema)
  else schema.validatedText()

  let lock: Lock | undefined
  let scratchDir: string | undefined
  let marked = false
  const migrationId = newMigrationId(started)
  try {
    // A preview of a database that does not exist plans against an empty scratch file: there is
    // nothing to lock, and taking the lock would leave a <db>-migrate.lock where no database is.
    if (command === 'apply' || (command === 'preview' && state === 'ok')) {
      options.onStep?.('lock')
      lock = await acquireLock(dbPath, config.lockTimeout)
      crashPoint('locked')
      if (command === 'apply') {
        const interrupted = recoverInterrupted(dbPath, config.historyTable, { toolVersion: TOOL_VERSION })
        if (interrupted) base.interruptedRun = interrupted
      }
      // Another migrator may have finished while we waited: look again.
      state = checkDatabaseFile(dbPath)
      const after = state === 'ok' ? fastPathInSync(dbPath, summaryOf(schema), config.historyTable) : undefined
      if (after) return done({ outcome: 'in-sync', fastPath: true, unmodelledTables: after.unmodelled })
    }
    // A writer holding the database longer than lock_timeout is an error, not an endless wait.
    const busyMs = config.lockTimeout * 1000
    let live: Database.Database | undefined
    if (state === 'ok') {
      await waitForDatabase(dbPath, busyMs, command === 'check' ? 'read' : 'write')
      live = openReadonly(dbPath, busyMs)
    }
    let unmodelled: string[]
    let renames: Rename[] = []
    try {
      // Before anything is backed up or changed: a damaged file is the user's to restore, not ours to migrate.
      let problems = ['ok']
      try {
        if (live) problems = (live.prepare('PRAGMA quick_check(3)').all() as { quick_check: string }[]).map((r) => r.quick_check)
      } catch (error) {
        throw databaseError(error, dbPath)
      }
      if (problems[0] !== 'ok') {
        throw new MigrateError('DATABASE', `${dbPath} is corrupt: ${problems.join('; ')}`, {
          hint: 'nothing was changed; restore it from a backup (npx migrate-plugin backups, then npx migrate-plugin restore)',
        })
      }
      if (live) checkHistoryTable(live, config.historyTable)
      unmodelled = unmodelledTables(live, summaryOf(schema), config.historyTable)
      if (live) renames = applicableRenames(live, renameHints(models), config.historyTable)
    } finally {
      live?.close()
    }
    base.unmodelledTables = unmodelled
    const filters = {
      externalTables: [config.historyTable, ...(config.dropUnmodelledTables ? [] : unmodelled)],
      externalEnums: [],
    }
    // Preview and check must not create a database that does not exist: they plan against an empty scratch copy.
    let enginePath = dbPath
    if (state !== 'ok' && command !== 'apply') {
      scratchDir = mkdtempSync(join(tmpdir(), 'migrate-plugin-'))
      enginePath = join(scratchDir, 'empty.db')
    }
    if (command === 'apply' && state === 'ok') assertWritable(dbPath)
    let session: EngineSession
    options.onStep?.('plan')
    try {
      // A check with renames to make runs them in its transaction too (always rolled back), which needs the write lock.
      session = await openEngineSession(enginePath, filters, busyMs, command === 'check' && renames.length === 0 ? 'read' : 'write')
    } catch (error) {
      throw error instanceof MigrateError && /database|locked|busy|readonly|corrupt|malformed/i.test(error.message) ? databaseError(error.cause ?? error, dbPath) : error
    }
    const createdDb = command === 'apply' && state !== 'ok'
    const marker = { migrationId, startedAt: started.toISOString(), trigger: options.trigger ?? 'cli', pid: process.pid }
    const progress = (step: 'backup' | 'apply' | 'verify' | 'record', backupPath?: string) => {
      options.onStep?.(step)
      if (command !== 'apply') return
      writeMarker(dbPath, { ...marker, step, ...(backupPath ? { backupPath } : {}) })
      marked = true
    }
    try {
      return await runInSession({ session, command, config, schema, models, renames, options, started, t0, done, dbPath, createdDb, migrationId, progress })
    } finally {
      // Check, preview and an in-sync apply end without commit or rollback: their read transaction
      // must still end here, or a long-lived process (a dev server) keeps the database locked.
      await session.close()
    }
  } finally {
    // Before the lock goes: whoever takes it next must not mistake our marker for a dead run's.
    if (marked) clearMarker(dbPath)
    lock?.release()
    if (scratchDir) rmSync(scratchDir, { recursive: true, force: true })
  }
}

interface SessionRun {
  session: EngineSession
  command: Command
  config: ResolvedConfig
  schema: GeneratedSchema
  models: DiscoveredModels
  /** Renames the models declare that this database still needs, run before the engine diffs. */
  renames: Rename[]
  options: MigrateOptions
  started: Date
  t0: number
  done: (result: Partial<MigrateResult>) => MigrateResult
  dbPath: string
  createdDb: boolean
  migrationId: string
  /** Records the step reached (the run marker), so that a killed run can be told apart later. */
  progress: (step: 'backup' | 'apply' | 'verify' | 'record', backupPath?: string) => void
}

async function runInSession(run: SessionRun): Promise<MigrateResult> {
  const { session, command, config, schema, options, done, dbPath } = run
  let settled = false
  let backupPath: string | undefined
  const record = (partial: Partial<HistoryRecord> & Pick<HistoryRecord, 'status' | 'description'>): HistoryRecord => ({
    migrationId: run.migrationId,
    startedAt: run.started.toISOString(),
    finishedAt: new Date().toISOString(),
    steps: [],
    modelFiles: run.models.files,
    schemaHash: schema.hash,
    dbFingerprint: null,
    sql: '',
    warnings: [],
    error: null,
    failedStep: null,
    backupPath: backupPath ?? null,
    durationMs: performance.now() - run.t0,
    trigger: options.trigger ?? 'cli',
    toolVersion: TOOL_VERSION,
    ...partial,
  })
  let step: 'plan' | 'rename' | 'guard' | 'backup' | 'apply' | 'verify' | 'record' = 'plan'
  let plan: Plan | undefined
  try {
    if (run.renames.length > 0) {
      step = 'rename'
      session.connection().exec(run.renames.map((r) => r.step.sql.join('\n')).join('\n'))
      step = 'plan'
    }
    const script = await session.diff(schema.validatedText())
    const db = session.connection()
    // What the engine's diff cannot see: enum values in rows, and AUTOINCREMENT (see their modules).
    const enumIssues = enumProblems(db, run.models)
    const autoIncrement = autoIncrementChanges(db, run.models)
    if (script.trim() === '' && run.renames.length === 0 && enumIssues.length === 0 && autoIncrement.length === 0) {
      if (command === 'apply') {
        // In sync, but not recorded as such (first run on an existing database, or a schema edit
        // that changes nothing in SQLite): remember it, so the next run takes the fast path.
        const last = lastInSync(db, config.historyTable)
        const fingerprint = schemaFingerprint(db, config.historyTable)
        if (!last || last.schemaHash !== schema.hash || last.dbFingerprint !== fingerprint) {
          writeHistory(db, config.historyTable, record({ status: 'noop', description: 'database already matches the models', dbFingerprint: fingerprint }))
          await session.commit()
          settled = true
        }
      }
      return done({ outcome: 'in-sync' })
    }
    const engineSteps = buildPlan(script, schema.owners, liveSchemaOf(command === 'apply' || !run.createdDb ? db : undefined))
    const ownerFile = (table: string) => schema.owners.find((o) => o.table.toLowerCase() === table.toLowerCase())?.file
    const silentlyDropped = indexesDroppedByRebuild(db, rebuiltTables(engineSteps), script).map((i): PlanStep => {
      const file = ownerFile(i.table)
      return { kind: 'drop index', table: i.table, description: `drop index ${i.name} on ${i.table} (the models do not list it; rebuilding ${i.table} removes it)`, sql: [], ...(file ? { file } : {}) }
    })
    plan = withExtraSteps(withRenames(run.renames, engineSteps), [...silentlyDropped, ...autoIncrement.map(autoIncrementStep), ...enumIssues.map(enumStep)])
    // Values the engine would rewrite without a warning, and rows the enum no longer allows: data
    // loss in every command's words, refused before anything runs unless the user accepts it.
    const rewrites = findRewrites(db, script)
    const droppedConstraints = constraintsDroppedByRebuild(db, rebuiltTables(engineSteps), script)
      .map((c) => `rebuilding ${c.table} drops ${c.clause}, which the models cannot describe`)
    const dataLoss = [...rewrites.map((r) => r.description), ...droppedConstraints, ...enumIssues.map(describeEnumProblem)]
    if (command === 'check') {
      // The engine's own verdict (its warnings, unexecutable steps, broken views), from a preview on a copy.
      const verdict = needsVerdict(plan, dbPath) ? await engineVerdict({ config, models: run.models, schema }, options.trigger, migrate) : undefined
      return done({ outcome: 'pending', plan, ...(verdict && verdict.lossCheckError === undefined ? verdict : { warnings: dataLoss, ...(verdict ? { lossCheckError: verdict.lossCheckError } : {}) }) })
    }

    step = 'guard'
    if (plan.tables.length > config.maxTablesPerRun) {
      throw new MigrateError('GUARD_TOO_MANY_TABLES', `this run would change ${plan.tables.length} tables, more than max_tables_per_run = ${config.maxTablesPerRun}`, {
        step, hint: 'review the plan with `npx migrate-plugin preview`, then raise [safety] max_tables_per_run if it is right',
      })
    }

    if (command === 'preview') {
      // The real change, rolled back when the session closes: the engine's own warnings, and any
      // object of the user's that the change would break, are found exactly as an apply finds them.
      const ours = (engineWarnings: string[]) => [...unwarnedRewrites(rewrites, engineWarnings).map((r) => r.description), ...droppedConstraints, ...enumIssues.map(describeEnumProblem)]
      let pushed
      try {
        const fitsBefore = typeFits(db, rebuiltTables(plan))
        const dependents = detachDependents(db)
        const rowids = saveRowids(db, rebuiltTables(plan))
        pushed = await session.push(schema.validatedText(), false)
        if (pushed.warnings.length > 0 && pushed.executedSteps === 0) pushed = { ...await session.push(schema.validatedText(), true), warnings: pushed.warnings, unexecutable: pushed.unexecutable }
        for (const change of autoIncrementChanges(db, run.models)) applyAutoIncrementChange(db, change)
        restoreRowids(db, rowids)
        reattachDependents(db, dependents, rebuiltTables(plan))
        const misfits = newTypeMisfits(db, fitsBefore, typeFits(db, rebuiltTables(plan)))
        if (misfits.length > 0) throw new Error(`${describeMisfits(misfits)}: SQLite would keep them as they are, and Prisma Client cannot read them (${misfitHint(misfits[0]!).replace(/; the change was rolled back$/, '')})`)
      } catch (error) {
        // The engine's own warnings stand even when a later step fails: both are for the user to read.
        return done({ outcome: 'previewed', plan, warnings: [...(pushed?.warnings ?? []), ...ours(pushed?.warnings ?? [])], ...(pushed ? { unexecutable: pushed.unexecutable } : {}), previewError: errorMessage(error) })
      }
      return done({ outcome: 'previewed', plan, warnings: [...pushed.warnings, ...ours(pushed.warnings)], unexecutable: pushed.unexecutable })
    }

    // A plan confirmed on a terminal (its SQL, its steps) is checked whenever one was given, not
    // only under require_confirmation: a data-loss "y" holds for the plan it was shown with.
    const confirmedStepsDiffer = options.confirmedSteps !== undefined && options.confirmedSteps.join('\n') !== plan.steps.map((s) => s.description).join('\n')
    if ((config.requireConfirmation && !options.yes && plan.sql !== options.confirmedSql) || (options.confirmedSql !== undefined && plan.sql !== options.confirmedSql) || confirmedStepsDiffer) {
      throw new MigrateError('GUARD_NOT_CONFIRMED', 'the plan changed after it was confirmed (the database or the models changed meanwhile): nothing was changed', {
        step, hint: 'run again to see the new plan and confirm it',
      })
    }

    // Data loss goes ahead when allowed, or when it is exactly what the user was shown and accepted.
    let accepted: LossReport | undefined
    const acceptLoss = (engineWarnings: string[], refuse: (report: LossReport) => DataLossError) => {
      const report = lossReport(db, plan!, { rewrites, enumIssues, droppedConstraints, engineWarnings, digest: !!(options.acceptedLoss || options.confirmingDataLoss) })
      if (report.digest === (accepted ?? options.acceptedLoss)?.digest) accepted = report
      else throw refuse(report)
    }
    const notAsAccepted = 'what this run would lose is not what was confirmed (the data or the models changed meanwhile): nothing was changed'
    const refuseOurs = (lossy: string[]) => (report: LossReport) => new DataLossError(options.acceptedLoss ? notAsAccepted : `refusing to change data: ${[...dataLoss, ...lossy].join('; ')}`, report, {
      hint: options.acceptedLoss ? 'run again to see what it would lose now' : enumIssues.length > 0 ? enumFixHint(enumIssues) : 'if that is really what you want, run again with --accept-data-loss (or set [safety] allow_data_loss = true); nothing was changed',
    })
    // When someone may confirm, our own findings are not refused before the push: the engine's
    // warnings (a cast, a dropped column) come only from the push, and a question that left them
    // out would under-list the loss and never match the run that follows the "y". The push below
    // executes nothing when it warns, and a push that runs is rolled back by the refusal.
    const decideAfterPush = dataLoss.length > 0 && !config.allowDataLoss && !!(options.acceptedLoss || options.confirmingDataLoss)
    if (dataLoss.length > 0 && !config.allowDataLoss && !decideAfterPush) acceptLoss([], refuseOurs([]))

    step = 'backup'
    run.progress(step)
    if (config.backupEnabled && options.backup !== false && !run.createdDb) {
      backupPath = backupDatabase(dbPath, prepareBackupFolder(config))
      crashPoint('after-backup')
    }

    step = 'apply'
    run.progress(step, backupPath)
    const violationsBefore = foreignKeyViolations(db)
    const rowsBefore = rowCounts(db, rebuiltTables(plan))
    const fitsBefore = typeFits(db, rebuiltTables(plan))
    const dependents = detachDependents(db)
    const rowids = saveRowids(db, rebuiltTables(plan))
    // Read before a push that may run: it describes the data as it is now.
    const oursOnly = decideAfterPush ? lossReport(db, plan, { rewrites, enumIssues, droppedConstraints, engineWarnings: [], digest: true }) : undefined
    let pushed = await session.push(schema.validatedText(), false)
    if (pushed.unexecutable.length > 0) {
      throw new MigrateError('GUARD_UNEXECUTABLE', `cannot apply: ${pushed.unexecutable.join('; ')}`, {
        step: 'guard', hint: 'give the new required column a .default(…), make it nullable, or fill the table first; nothing was changed',
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
        acceptLoss(lossy, refuseOurs(lossy))
      } else if (lossy.length > 0 && !config.allowDataLoss) {
        // The push executed nothing: the report still reads the data as it is.
        acceptLoss(lossy, (report) => new DataLossError(options.acceptedLoss ? notAsAccepted : `refusing to lose data: ${lossy.join('; ')}`, report, {
          hint: options.acceptedLoss ? 'run again to see what it would lose now' : 'if that is really what you want, run again with --accept-data-loss (or set [safety] allow_data_loss = true); nothing was changed',
        }))
      }
      pushed = await session.push(schema.validatedText(), true)
    } else if (oursOnly && oursOnly.digest !== options.acceptedLoss?.digest) {
      // The engine had nothing to warn about and the push ran: the report read before it is the whole loss.
      throw refuseOurs([])(oursOnly)
    }

    for (const change of autoIncrementChanges(db, run.models)) applyAutoIncrementChange(db, change)
    restoreRowids(db, rowids)
    reattachDependents(db, dependents, rebuiltTables(plan))
    const lost = config.allowDataLoss ? [] : lostRows(db, rowsBefore)
    if (lost.length > 0) {
      throw new MigrateError('GUARD_DATA_LOSS', `refusing to lose data: ${lost.map((l) => `${l.table} would keep ${l.after} of its ${l.before} rows`).join('; ')}`, {
        step: 'guard', hint: 'this change drops rows the engine did not warn about; nothing was changed. If that is really what you want, run again with --accept-data-loss',
      })
    }

    crashPoint('after-push')
    step = 'verify'
    run.progress(step, backupPath)
    if (config.autoVerify && options.verify !== false) {
      const remaining = await session.diff(schema.validatedText())
      if (remaining.trim() !== '') {
        throw new MigrateError('VERIFY', `after applying, the database still differs from the models:\n${remaining.trim()}`, {
          step, hint: 'this is a bug in migrate-plugin or the engine; the change was rolled back',
        })
      }
    }
    const violations = newViolations(violationsBefore, foreignKeyViolations(db))
    if (violations.length > 0) {
      throw new MigrateError('VERIFY', `after applying, ${violations.length} row(s) would break foreign keys: ${describeViolations(violations)}`, {
        step, hint: 'fix or delete those rows (or keep the relation optional), then run again; the change was rolled back',
      })
    }
    const misfits = newTypeMisfits(db, fitsBefore, typeFits(db, rebuiltTables(plan)))
    if (misfits.length > 0) {
      throw new MigrateError('VERIFY', `after applying, ${describeMisfits(misfits)}: SQLite keeps them as they were, and Prisma Client cannot read them`, {
        step, hint: misfitHint(misfits[0]!),
      })
    }

    crashPoint('after-verify')
    step = 'record'
    run.progress(step, backupPath)
    const migration = record({
      status: 'success',
      description: plan.steps.map((s) => s.description).join('; '),
      steps: plan.steps.map((s) => ({ description: s.description, table: s.table, ...(s.file ? { file: s.file } : {}) })),
      sql: plan.sql,
      warnings: [...pushed.warnings, ...dataLoss],
      dbFingerprint: schemaFingerprint(db, config.historyTable),
    })
    writeHistory(db, config.historyTable, migration)
    crashPoint('after-record')
    await session.commit()
    settled = true
    crashPoint('after-commit')
    // Committed: from here on nothing may turn the apply into a failure.
    const postCommitWarnings: string[] = []
    let deletedBackups: string[] = []
    try {
      if (backupPath) deletedBackups = applyRetention(dbPath, config.backupDirectory, config.backupRetentionDays, new Date(), postCommitWarnings)
    } catch (error) {
      postCommitWarnings.push(`backup retention failed: ${errorMessage(error)}`)
    }
    return done({
      outcome: 'applied', plan, warnings: [...pushed.warnings, ...dataLoss],
      ...(backupPath ? { backupPath } : {}), deletedBackups, migrationId: migration.migrationId,
      ...(postCommitWarnings.length ? { postCommitWarnings } : {}),
    })
  } catch (error) {
    if (settled) throw error
    settled = true
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
      if (backupPath) rmSync(backupPath, { force: true })
      if (run.createdDb) removeDatabaseFiles(dbPath)
      throw error instanceof MigrateError ? error : databaseError(error, dbPath)
    }
    if (!rolledBack && backupPath) {
      // The same checked restore as `restore`: it either brings the backup back or says it did not.
      try {
        await restoreChecked(backupPath, dbPath, config.lockTimeout * 1000)
      } catch (restoreError) {
        throw new MigrateError('APPLY', `${step} failed: ${errorMessage(error)}. The change could not be rolled back, and restoring the backup failed too: ${errorMessage(restoreError)}`, {
          step, backupPath, cause: error,
          hint: `restore it yourself: npx migrate-plugin restore ${basename(backupPath)} --yes`,
        })
      }
    }
    const message = errorMessage(error)
    const failure = record({
      status: rolledBack ? 'rolled_back' : 'failed',
      description: plan.steps.map((s) => s.description).join('; '),
      steps: plan.steps.map((s) => ({ description: s.description, table: s.table, ...(s.file ? { file: s.file } : {}) })),
      sql: plan.sql,
      error: message,
      failedStep: step,
    })
    recordFailure(dbPath, config.historyTable, failure)
    const where = backupPath ? ` The backup taken before it is ${backupPath}.` : ''
    throw new MigrateError(error instanceof MigrateError && error.code === 'VERIFY' ? 'VERIFY' : 'APPLY',
      `${step} failed: ${message}. ${rolledBack ? 'The change was rolled back; the database is as it was.' : backupPath ? 'The change could not be rolled back; the database was restored from the backup and checked.' : 'The change could not be rolled back, and there is no backup (--no-backup): check the database.'}${where}`, {
        step, ...(backupPath ? { backupPath } : {}), cause: error,
        // A check's own hint (which values to convert, which rows break a foreign key) says more than ours.
        hint: `${error instanceof MigrateError && error.hint ? error.hint : 'fix the model (or the data) and run again'}; \`npx migrate-plugin history\` shows this attempt`,
      })
  }
}

function assertWritable(path: string): void {
  try {
    closeSync(openSync(path, 'r+'))
  } catch (error) {
    throw new MigrateError('DATABASE', `cannot write the database ${path}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`, {
      hint: 'check the file permissions (and that no other program holds it read-only); nothing was changed',
    })
  }
}

function removeDatabaseFiles(path: string): void {
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true })
}

/** Record a failed run in its own small transaction, after the rollback, so the record survives. */
function recordFailure(dbPath: string, table: string, record: HistoryRecord): void {
  if (!existsSync(dbPath)) return
  let db: Database.Database | undefined
  try {
    db = new Database(dbPath, { timeout: 5000 })
    const tx = db.transaction(() => writeHistory(db!, table, record))
    tx.immediate()
  } catch {
    // Recording is best effort: the error itself is still reported to the user.
  } finally {
    db?.close()
  }
}


/** Tables the plan rebuilds (copy into a new table, drop, rename): their rows must all arrive. */
function rebuiltTables(plan: Plan): string[] {
  return [...new Set(plan.steps.filter((s) => s.kind === 'redefine table').map((s) => s.table))]
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

export { hasTable }
