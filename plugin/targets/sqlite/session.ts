import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import { refuseUnnameableExternalTables } from '../external-tables.ts'
import { MigrateError } from '../../core/errors.ts'
import type { LossReport } from '../../pipeline/loss-report.ts'
import { lossReport } from './loss-report.ts'
import type { LiveSchema, Plan, PlanStep } from '../../pipeline/plan.ts'
import { applicableRenames, type Rename } from '../../pipeline/renames.ts'
import type { Findings, PushGuard, SessionOptions, TargetSession } from '../target.ts'
import { additiveStatements } from './additive.ts'
import { applyAutoIncrementChange, autoIncrementChanges, autoIncrementStep, scriptAsApplied } from './autoincrement.ts'
import { constraintsDroppedByRebuild, detachDependents, indexesDroppedByRebuild, reattachDependents } from './dependents.ts'
import { openSqliteEngine } from './engine-connection.ts'
import { describeEnumProblem, enumFixHint, enumProblems, enumStep, type EnumProblem } from './enums.ts'
import { checkHistoryTable, lastInSync, schemaFingerprint, schemaObjects, writeHistory } from './history.ts'
import { describeViolations, foreignKeyViolations, lostRows, newViolations, rowCounts } from './integrity.ts'
import { openForReading } from './open.ts'
import { renameCatalogue } from './rename-catalogue.ts'
import { findRewrites, unwarnedRewrites, type Rewrite } from './rewrites.ts'
import { restoreRowids, saveRowids } from './rowids.ts'
import { unmodelledTables } from './target.ts'
import { describeMisfits, misfitHint, newTypeMisfits, typeFits } from './type-fit.ts'
import { needsVerdict, verdictOnCopy } from './verdict.ts'

/** What the SQLite findings hold beyond the shared shape: the loss report reads the data they name. */
interface SqliteFindings extends Findings {
  rewrites: Rewrite[]
  enumIssues: EnumProblem[]
  droppedConstraints: string[]
}

/**
 * A run's session on a SQLite file: the engine on one connection, inside one transaction (see
 * engine-connection.ts), and what SQLite needs around the engine's changes. SQLite cannot ALTER
 * most things, so the engine rebuilds tables (copy into new_x, drop, rename), and a rebuild
 * quietly loses what the engine does not copy — those are found before and put back after here.
 */
export async function openSqliteSession(dbPath: string, options: SessionOptions, describeError: (error: unknown) => Error): Promise<TargetSession> {
  let unmodelled: string[] = []
  let renames: Rename[] = []
  if (options.existing) {
    let live: Database.Database
    try {
      live = openForReading(dbPath, options.timeoutMs)
    } catch (error) {
      throw describeError(error)
    }
    try {
      checkHistoryTable(live, options.historyTable)
      unmodelled = unmodelledTables(live, options.owners.map((o) => o.table), options.historyTable)
      renames = applicableRenames(renameCatalogue(live), options.renameHints, options.historyTable)
    } finally {
      live.close()
    }
  }
  if (!options.dropUnmodelledTables) refuseUnnameableExternalTables(unmodelled)
  const filters = {
    externalTables: [options.historyTable, ...(options.dropUnmodelledTables ? [] : unmodelled)],
    externalEnums: [],
  }
  // Preview and check must not create a database that does not exist: they plan against an empty scratch file.
  const scratchDir = options.scratch ? mkdtempSync(join(tmpdir(), 'migrate-plugin-')) : undefined
  const enginePath = scratchDir ? join(scratchDir, 'empty.db') : dbPath
  // A check with renames to make runs them in its transaction too (always rolled back), which needs the write lock.
  const mode = options.mode === 'read' && renames.length === 0 ? 'read' : 'write'
  let engine
  try {
    engine = await openSqliteEngine(enginePath, filters, options.timeoutMs, mode)
  } catch (error) {
    if (scratchDir) rmSync(scratchDir, { recursive: true, force: true })
    // The driver's own words for a lock or a damaged file come wrapped in the engine's error.
    throw error instanceof MigrateError && /database|locked|busy|readonly|corrupt|malformed/i.test(error.message) ? describeError(error.cause ?? error) : error
  }
  const db = () => engine.connection()
  const ownerFile = (table: string) => options.owners.find((o) => o.table.toLowerCase() === table.toLowerCase())?.file
  const sourcesOf = new WeakMap<Findings, SqliteFindings>()
  const end = async (how: () => Promise<void>) => {
    try {
      await how()
    } finally {
      if (scratchDir) rmSync(scratchDir, { recursive: true, force: true })
    }
  }

  return {
    unmodelled,
    renames,
    exec: async (sql) => { db().exec(sql) },
    diff: async (schema) => scriptAsApplied(await engine.diff(schema), options.models),
    push: (schema, force) => engine.push(schema, force),
    async pushAdditive(script) {
      const statements = additiveStatements(script)
      if (!statements) return undefined
      for (const statement of statements) await engine.execute(statement)
      return { executedSteps: statements.length, warnings: [], unexecutable: [] }
    },
    liveSchema: async () => liveSchemaOf(db()),
    async findings(script, plan) {
      const conn = db()
      const rebuilt = rebuiltTables(plan)
      // What the engine's diff cannot see: enum values in rows, and AUTOINCREMENT (see their modules).
      const enumIssues = enumProblems(conn, options.models)
      const autoIncrement = autoIncrementChanges(conn, options.models)
      const silentlyDropped = indexesDroppedByRebuild(conn, rebuilt, script).map((i): PlanStep => {
        const file = ownerFile(i.table)
        return { kind: 'drop index', table: i.table, description: `drop index ${i.name} on ${i.table} (the models do not list it; rebuilding ${i.table} removes it)`, sql: [], ...(file ? { file } : {}) }
      })
      // Values the engine would rewrite without a warning, and rows the enum no longer allows: data
      // loss in every command's words, refused before anything runs unless the user accepts it.
      const rewrites = findRewrites(conn, script)
      const droppedConstraints = constraintsDroppedByRebuild(conn, rebuilt, script)
        .map((c) => `rebuilding ${c.table} drops ${c.clause}, which the models cannot describe`)
      const findings: SqliteFindings = {
        extraSteps: [...silentlyDropped, ...autoIncrement.map(autoIncrementStep), ...enumIssues.map(enumStep)],
        dataLoss: [...rewrites.map((r) => r.description), ...droppedConstraints, ...enumIssues.map(describeEnumProblem)],
        unwarned: (engineWarnings) => [...unwarnedRewrites(rewrites, engineWarnings).map((r) => r.description), ...droppedConstraints, ...enumIssues.map(describeEnumProblem)],
        ...(enumIssues.length > 0 ? { fixHint: enumFixHint(enumIssues) } : {}),
        rewrites,
        enumIssues,
        droppedConstraints,
      }
      sourcesOf.set(findings, findings)
      return findings
    },
    async lossReport(plan, findings, engineWarnings, digest): Promise<LossReport> {
      const sources = sourcesOf.get(findings)
      return lossReport(db(), plan, {
        rewrites: sources?.rewrites ?? [],
        enumIssues: sources?.enumIssues ?? [],
        droppedConstraints: sources?.droppedConstraints ?? [],
        engineWarnings,
        digest,
      })
    },
    guardPush: async (plan) => guardRebuilds(db(), plan, options),
    // check promises to be read-only: the engine's verdict comes from a preview on a private copy.
    verdict: async (plan, _schema, config, preview) => (needsVerdict(plan, dbPath) ? verdictOnCopy(config, preview) : undefined),
    lastInSync: async () => lastInSync(db(), options.historyTable),
    fingerprint: async () => schemaFingerprint(db(), options.historyTable),
    schemaObjects: async () => schemaObjects(db(), options.historyTable),
    writeHistory: async (record) => writeHistory(db(), options.historyTable, record),
    commit: () => end(() => engine.commit()),
    rollback: () => end(() => engine.rollback()),
    close: () => end(() => engine.close()),
  }
}

/**
 * Around the engine's push: a rebuilt table must come back with its rowids, its triggers and the
 * views over it, its AUTOINCREMENT as the model says, every row, no new foreign-key violation, and
 * values that still fit the column's type (SQLite keeps a value that does not fit as it is, and
 * Prisma Client then cannot read it).
 */
function guardRebuilds(db: Database.Database, plan: Plan, options: SessionOptions): PushGuard {
  const rebuilt = rebuiltTables(plan)
  const violationsBefore = foreignKeyViolations(db)
  const rowsBefore = rowCounts(db, rebuilt)
  const fitsBefore = typeFits(db, rebuilt)
  const dependents = detachDependents(db)
  const rowids = saveRowids(db, rebuilt)
  const misfits = () => newTypeMisfits(db, fitsBefore, typeFits(db, rebuilt))
  return {
    async finish() {
      for (const change of autoIncrementChanges(db, options.models)) applyAutoIncrementChange(db, change)
      restoreRowids(db, rowids)
      reattachDependents(db, dependents, rebuilt)
    },
    async checkRows({ allowDataLoss }) {
      const lost = allowDataLoss ? [] : lostRows(db, rowsBefore)
      if (lost.length > 0) {
        throw new MigrateError('GUARD_DATA_LOSS', `refusing to lose data: ${lost.map((l) => `${l.table} would keep ${l.after} of its ${l.before} rows`).join('; ')}`, {
          step: 'guard', hint: 'this change drops rows the engine did not warn about; nothing was changed. If that is really what you want, run again with --accept-data-loss',
        })
      }
    },
    async verify() {
      const violations = newViolations(violationsBefore, foreignKeyViolations(db))
      if (violations.length > 0) {
        throw new MigrateError('VERIFY', `after applying, ${violations.length} row(s) would break foreign keys: ${describeViolations(violations)}`, {
          step: 'verify', hint: 'fix or delete those rows (or keep the relation optional), then run again; the change was rolled back',
        })
      }
      const found = misfits()
      if (found.length > 0) {
        throw new MigrateError('VERIFY', `after applying, ${describeMisfits(found)}: SQLite keeps them as they were, and Prisma Client cannot read them`, {
          step: 'verify', hint: misfitHint(found[0]!),
        })
      }
    },
    async previewProblems() {
      const found = misfits()
      if (found.length === 0) return undefined
      return `${describeMisfits(found)}: SQLite would keep them as they are, and Prisma Client cannot read them (${misfitHint(found[0]!).replace(/; the change was rolled back$/, '')})`
    },
  }
}

/** Tables the plan rebuilds (copy into a new table, drop, rename): their rows must all arrive. */
function rebuiltTables(plan: Plan): string[] {
  return [...new Set(plan.steps.filter((s) => s.kind === 'redefine table').map((s) => s.table))]
}

function liveSchemaOf(db: Database.Database): LiveSchema {
  return {
    columns: (table) => db.prepare(`SELECT * FROM pragma_table_info(?)`).all(table) as ReturnType<LiveSchema['columns']>,
    foreignKeys: (table) => db.prepare(`SELECT * FROM pragma_foreign_key_list(?)`).all(table) as ReturnType<LiveSchema['foreignKeys']>,
    indexTable: (index) => (db.prepare(`SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND name = ?`).get(index) as { tbl_name: string } | undefined)?.tbl_name,
  }
}
