import { existsSync } from 'node:fs'
import Database from 'better-sqlite3'
import { listBackups, restoreInto, backupDatabase, type BackupFile } from './backup.ts'
import { loadConfig, type ConfigOverrides, type ResolvedConfig } from './config.ts'
import { MigrateError } from './errors.ts'
import { checkHistoryTable, hasTable, newMigrationId, readHistory, schemaFingerprint, writeHistory, type HistoryRecord } from './history.ts'
import { acquireLock } from './lock.ts'
import { migrate, prepare, writeSchema, type MigrateResult } from './migrate.ts'
import { refuseReadOnly } from './outputs.ts'
import { isNoSpace, noSpaceError } from './diskfull.ts'
import { openForReading } from './sqlite.ts'
import { TOOL_VERSION } from './version.ts'

/** The read-only commands (status, history, backups), restore, and generate. */
export interface CommonOptions {
  root?: string
  config?: string
  overrides?: ConfigOverrides
  env?: NodeJS.ProcessEnv
}

function configOf(options: CommonOptions): ResolvedConfig {
  return loadConfig({
    ...(options.root ? { root: options.root } : {}),
    ...(options.config ? { configFile: options.config } : {}),
    ...(options.overrides ? { overrides: options.overrides } : {}),
    ...(options.env ? { env: options.env } : {}),
  })
}

function withDatabase<T>(config: ResolvedConfig, fn: (db: Database.Database) => T, fallback: T): T {
  if (!existsSync(config.databasePath)) return fallback
  let db: Database.Database
  try {
    db = openForReading(config.databasePath, 5000)
  } catch (error) {
    if (isNoSpace(error, config.databasePath)) throw noSpaceError(config.databasePath, 'opening the database', error)
    throw error
  }
  try {
    return fn(db)
  } finally {
    db.close()
  }
}

export interface StatusReport {
  config: ResolvedConfig
  databaseExists: boolean
  models: { file: string, tables: string[] }[]
  tables: { name: string, rows: number, file?: string }[]
  unmodelledTables: string[]
  pending: MigrateResult
  lastMigration?: HistoryRecord
}

export async function status(options: CommonOptions): Promise<StatusReport> {
  const prepared = await prepare(options)
  const { config, schema } = prepared
  const pending = await migrate({ ...options, prepared, command: 'check' })
  const owners = new Map(schema.owners.map((o) => [o.table.toLowerCase(), o.file]))
  const byFile = new Map<string, string[]>()
  for (const o of schema.owners) byFile.set(o.file, [...(byFile.get(o.file) ?? []), o.table])
  const [tables, lastMigration] = withDatabase(config, (db) => {
    const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> ? ORDER BY name`)
      .all(config.historyTable) as { name: string }[]).map((r) => r.name)
    const list = names.map((name) => {
      const rows = Number((db.prepare(`SELECT count(*) AS n FROM "${name.replace(/"/g, '""')}"`).get() as { n: number }).n)
      const file = owners.get(name.toLowerCase())
      return file ? { name, rows, file } : { name, rows }
    })
    return [list, readHistory(db, config.historyTable, 1)[0]] as const
  }, [[], undefined] as const)
  return {
    config,
    databaseExists: existsSync(config.databasePath),
    models: [...byFile].sort(([a], [b]) => a.localeCompare(b)).map(([file, t]) => ({ file, tables: t.sort() })),
    tables: [...tables],
    unmodelledTables: pending.unmodelledTables,
    pending,
    ...(lastMigration ? { lastMigration } : {}),
  }
}

export function history(options: CommonOptions & { limit?: number }): { config: ResolvedConfig, entries: HistoryRecord[] } {
  const config = configOf(options)
  const entries = withDatabase(config, (db) => readHistory(db, config.historyTable, options.limit ?? 20), [])
  return { config, entries }
}

export function backups(options: CommonOptions): { config: ResolvedConfig, backups: BackupFile[] } {
  const config = configOf(options)
  return { config, backups: listBackups(config.databasePath, config.backupDirectory) }
}

export interface RestoreOptions extends CommonOptions {
  /** A backup file name or path; default: the newest. */
  backup?: string
  yes?: boolean
  confirm?: (backup: BackupFile) => Promise<boolean>
  trigger?: string
}

export interface RestoreResult {
  config: ResolvedConfig
  restored: BackupFile
  /** The database as it was before the restore, so the restore itself can be undone. */
  safetyBackup?: string
}

export async function restore(options: RestoreOptions): Promise<RestoreResult> {
  const config = configOf(options)
  refuseReadOnly(config, 'restore')
  const all = listBackups(config.databasePath, config.backupDirectory)
  if (all.length === 0) {
    throw new MigrateError('RESTORE', `no backups of ${config.databasePath} in ${config.backupDirectory}`, {
      hint: 'backups are made before every apply that changes the database (unless backup_enabled = false)',
    })
  }
  const chosen = options.backup === undefined
    ? all[0]!
    : all.find((b) => b.name === options.backup || b.path === options.backup || b.path.endsWith(`/${options.backup}`))
  if (!chosen) {
    throw new MigrateError('RESTORE', `no backup named ${options.backup}`, { hint: `run \`npx migrate-plugin backups\` to list them (newest: ${all[0]!.name})` })
  }
  if (!options.yes) {
    const ok = options.confirm ? await options.confirm(chosen) : false
    if (!ok) {
      throw new MigrateError('GUARD_NOT_CONFIRMED', options.confirm ? 'not confirmed: nothing was restored' : 'restore replaces the database and there is no terminal to ask', {
        hint: 'pass --yes to restore without asking',
      })
    }
  }
  // The restored file brings its own history table, which the restore is then recorded in: a
  // foreign one must stop the restore before the database is replaced, not after.
  let backupDb: Database.Database | undefined
  try {
    backupDb = new Database(chosen.path, { readonly: true, fileMustExist: true })
    checkHistoryTable(backupDb, config.historyTable)
  } catch (error) {
    // An unreadable backup is reported by the restore itself, in its words.
    if (error instanceof MigrateError) throw error
  } finally {
    backupDb?.close()
  }
  const started = new Date()
  const lock = await acquireLock(config.databasePath, config.lockTimeout)
  try {
    let safetyBackup: string | undefined
    if (existsSync(config.databasePath)) safetyBackup = backupDatabase(config.databasePath, config.backupDirectory)
    await restoreInto(chosen.path, config.databasePath)
    const db = new Database(config.databasePath, { timeout: 5000 })
    try {
      db.transaction(() => writeHistory(db, config.historyTable, {
        migrationId: newMigrationId(started),
        startedAt: started.toISOString(),
        finishedAt: new Date().toISOString(),
        status: 'restored',
        description: `restored from ${chosen.name}`,
        steps: [],
        modelFiles: [],
        schemaHash: '',
        dbFingerprint: schemaFingerprint(db, config.historyTable),
        sql: '',
        warnings: [],
        error: null,
        failedStep: null,
        backupPath: safetyBackup ?? null,
        durationMs: Date.now() - started.getTime(),
        trigger: options.trigger ?? 'cli',
        toolVersion: TOOL_VERSION,
      })).immediate()
    } finally {
      db.close()
    }
    return { config, restored: chosen, ...(safetyBackup ? { safetyBackup } : {}) }
  } finally {
    lock.release()
  }
}

export async function generate(options: CommonOptions): Promise<{ config: ResolvedConfig, path: string, changed: boolean, tables: number }> {
  const { config, schema } = await prepare(options)
  const changed = writeSchema(config, schema)
  return { config, path: config.schemaOutput, changed, tables: schema.owners.length }
}

export { hasTable }
