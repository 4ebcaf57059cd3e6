import { lstatSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { backupDatabase, backupFolders, listBackups, prepareBackupFolder, rawCopy, scanBackupFolders, type BackupEntry, type BackupFile } from '../targets/sqlite/backup.ts'
import { databaseIdentity, identityPath } from '../targets/sqlite/identity.ts'
import { inspectLive, restoreChecked } from '../targets/sqlite/restore.ts'
import { databaseMissing, loadConfig, type ConfigOverrides, type ResolvedConfig } from '../core/config.ts'
import { targetFor } from '../targets/index.ts'
import { MigrateError, errorMessage } from '../core/errors.ts'
import { checkHistoryTable, hasTable, readHistory, schemaFingerprint, writeHistory } from '../targets/sqlite/history.ts'
import { newMigrationId, type HistoryRecord } from './history-record.ts'
import { acquireLock } from '../core/lock.ts'
import { migrate, prepare, writeSchema } from './migrate.ts'
import { refuseReadOnly } from '../core/outputs.ts'
import { openForReading } from '../targets/sqlite/open.ts'
import { TOOL_VERSION } from '../core/version.ts'
import type { RestoreResult, StatusReport, UndoneRun } from '../types.ts'
// The public shapes live in types.ts (which imports nothing, so the shipped declarations stand alone).
export type { RestoreResult, StatusReport, UndoneRun } from '../types.ts'

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

export async function status(options: CommonOptions): Promise<StatusReport> {
  const prepared = await prepare(options)
  const { config, schema } = prepared
  const pending = await migrate({ ...options, prepared, command: 'check' })
  const owners = new Map(schema.owners.map((o) => [o.table.toLowerCase(), o.file]))
  const byFile = new Map<string, string[]>()
  for (const o of schema.owners) byFile.set(o.file, [...(byFile.get(o.file) ?? []), o.table])
  const target = await targetFor(config)
  const tables = (await target.tables(config.historyTable)).map(({ name, rows }) => {
    const file = owners.get(name.toLowerCase())
    return file ? { name, rows, file } : { name, rows }
  })
  const lastMigration = (await target.readHistory(config.historyTable, 1))[0]
  return {
    config,
    databaseExists: !databaseMissing(config),
    models: [...byFile].sort(([a], [b]) => a.localeCompare(b)).map(([file, t]) => ({ file, tables: t.sort() })),
    tables,
    unmodelledTables: pending.unmodelledTables,
    pending,
    ...(lastMigration ? { lastMigration } : {}),
  }
}

export async function history(options: CommonOptions & { limit?: number }): Promise<{ config: ResolvedConfig, entries: HistoryRecord[] }> {
  const config = configOf(options)
  const entries = await (await targetFor(config)).readHistory(config.historyTable, options.limit ?? 20)
  return { config, entries }
}

export function backups(options: CommonOptions): { config: ResolvedConfig, backups: BackupFile[] } {
  const config = configOf(options)
  return { config, backups: listBackups(config.databasePath, backupFolders(config)) }
}

export interface RestoreOptions extends CommonOptions {
  /** A backup file name or path; default: the newest. */
  backup?: string
  yes?: boolean
  /** Asked with the backup and the database it would replace. */
  confirm?: (backup: BackupFile, databasePath: string) => Promise<boolean>
  trigger?: string
}

/** Pick the backup to restore, refusing anything that is not provably a backup of this database. */
function chooseBackup(config: ResolvedConfig, wanted: string | undefined): BackupFile {
  const folders = backupFolders(config)
  const all = scanBackupFolders(config.databasePath, folders)
  const mine = all.filter((b) => b.owner === 'this')
  const listHint = 'run `npx migrate-plugin backups` to list this database\'s backups'
  if (wanted === undefined) {
    if (mine[0]) return strip(mine[0])
    const unverified = all.filter((b) => b.owner === 'unknown')
    if (unverified[0]) {
      throw new MigrateError('RESTORE', `no backup in ${config.backupDirectory} is provably of ${config.databasePath}: the ones named like it were made by 0.1.0 in a folder other databases may share`, {
        hint: `if ${unverified[0].name} is this database's, restore it by name: npx migrate-plugin restore ${unverified[0].name}`,
      })
    }
    throw new MigrateError('RESTORE', `no backups of ${config.databasePath} in ${config.backupDirectory}`, {
      hint: 'backups are made before every apply that changes the database (unless backup_enabled = false)',
    })
  }
  const name = basename(wanted)
  const inFolder = (path: string) => folders.some((folder) => resolve(folder, basename(path)) === resolve(path))
  const chosen = all.find((b) => b.name === wanted || (b.name === name && (wanted === name || inFolder(resolve(wanted)))))
  if (chosen?.owner === 'other') {
    const own = databaseIdentity(config.databasePath, false)
    throw new MigrateError('RESTORE', `${chosen.name} belongs to another database with the same file name (its id is ${chosen.databaseId}, this database's is ${own ?? 'not set'}): refusing to restore it over ${config.databasePath}`, {
      hint: own ? listHint : `${listHint}; if it really is this database's and its id file was lost, write the id back: echo ${chosen.databaseId} > ${identityPath(config.databasePath)}`,
    })
  }
  if (chosen) return strip(chosen)
  let entry = join(config.backupDirectory, name)
  let stat
  for (const folder of folders) {
    try { stat = lstatSync(join(folder, name)) } catch { continue }
    entry = join(folder, name)
    break
  }
  if (stat && !stat.isFile()) {
    throw new MigrateError('RESTORE', `${entry} is not a regular file (${stat.isSymbolicLink() ? 'a symbolic link' : stat.isDirectory() ? 'a folder' : 'a special file'}): refusing to restore from it`, { hint: listHint })
  }
  if (stat && /\.backup_\d{8}_\d{6}/.test(name)) {
    throw new MigrateError('RESTORE', `${name} is not a backup of ${basename(config.databasePath)}: refusing to restore another database's file over it`, { hint: listHint })
  }
  throw new MigrateError('RESTORE', `no backup named ${wanted}`, { hint: `${listHint}${mine[0] ? ` (newest: ${mine[0].name})` : ''}` })
}

function strip(entry: BackupEntry): BackupFile {
  const { owner: _o, databaseId: _d, ...file } = entry
  return file
}

/** Runs in the live database's history that the backup does not have: the restore takes them away. */
function undoneRuns(config: ResolvedConfig, backupPath: string): UndoneRun[] {
  const ids = (path: string) => {
    const db = openForReading(path, 1000)
    try {
      return readHistory(db, config.historyTable, Number.MAX_SAFE_INTEGER)
    } finally {
      db.close()
    }
  }
  const kept = new Set(ids(backupPath).map((r) => r.migrationId))
  return ids(config.databasePath).filter((r) => !kept.has(r.migrationId)).reverse()
    .map((r) => ({ migrationId: r.migrationId, status: r.status, description: r.description }))
}

export async function restore(options: RestoreOptions): Promise<RestoreResult> {
  const config = configOf(options)
  refuseReadOnly(config, 'restore')
  const chosen = chooseBackup(config, options.backup)
  if (!options.yes) {
    const ok = options.confirm ? await options.confirm(chosen, config.databasePath) : false
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
  const timeoutMs = config.lockTimeout * 1000
  const lock = await acquireLock(config.databasePath, config.lockTimeout)
  try {
    const live = await inspectLive(config.databasePath, timeoutMs)
    // Read before the restore: these rows leave with the file they are in.
    let undone: UndoneRun[] | undefined
    if (live.state === 'healthy') {
      try { undone = undoneRuns(config, chosen.path) } catch { undone = undefined }
    } else if (live.state === 'missing') {
      undone = []
    }
    let safetyBackup: string | undefined
    let safetyCopy: RestoreResult['safetyCopy']
    if (live.state === 'healthy') {
      safetyBackup = backupDatabase(config.databasePath, prepareBackupFolder(config))
      safetyCopy = 'snapshot'
    } else if (live.state === 'broken') {
      safetyBackup = rawCopy(config.databasePath, prepareBackupFolder(config))
      safetyCopy = 'bytes'
    }
    await restoreChecked(chosen.path, config.databasePath, timeoutMs)
    const undid = undone === undefined
      ? `; the replaced file could not be read (${live.state === 'broken' ? live.reason : 'unreadable'}), so the runs it undid are unknown`
      : undone.length ? `; undid ${undone.length} later run(s): ${undone.map((u) => `${u.migrationId} (${u.status}: ${u.description})`).join('; ')}` : ''
    const warnings: string[] = []
    let db: Database.Database | undefined
    try {
      db = new Database(config.databasePath, { timeout: timeoutMs })
      const conn = db
      conn.transaction(() => writeHistory(conn, config.historyTable, {
        migrationId: newMigrationId(started),
        startedAt: started.toISOString(),
        finishedAt: new Date().toISOString(),
        status: 'restored',
        description: `restored from ${chosen.name}${undid}`,
        steps: (undone ?? []).map((u) => ({ description: `undid ${u.migrationId}: ${u.description}` })),
        modelFiles: [],
        schemaHash: '',
        dbFingerprint: schemaFingerprint(conn, config.historyTable),
        sql: '',
        warnings: [],
        error: null,
        failedStep: null,
        backupPath: safetyBackup ?? null,
        durationMs: Date.now() - started.getTime(),
        trigger: options.trigger ?? 'cli',
        toolVersion: TOOL_VERSION,
      })).immediate()
    } catch (error) {
      // The database is restored and verified; only its history lacks the line that says so.
      warnings.push(`the restore could not be recorded in ${config.historyTable}: ${errorMessage(error)}`)
    } finally {
      db?.close()
    }
    return { config, restored: chosen, ...(safetyBackup ? { safetyBackup, safetyCopy } : {}), ...(undone ? { undone } : {}), warnings }
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
