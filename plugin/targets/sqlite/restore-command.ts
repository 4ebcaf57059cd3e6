import { lstatSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import type { ResolvedConfig } from '../../core/config.ts'
import { MigrateError, errorMessage } from '../../core/errors.ts'
import { acquireLock } from '../../core/lock.ts'
import { TOOL_VERSION } from '../../core/version.ts'
import { restoredRecord } from '../../pipeline/history-record.ts'
import type { BackupFile, RestoreResult, UndoneRun } from '../../types.ts'
import type { RestoreRequest } from '../target.ts'
import { backupDatabase, backupFolders, prepareBackupFolder, rawCopy, scanBackupFolders, type BackupEntry } from './backup.ts'
import { checkHistoryTable, readHistory, schemaFingerprint, writeHistory } from './history.ts'
import { databaseIdentity, identityPath } from './identity.ts'
import { openForReading } from './open.ts'
import { inspectLive, restoreChecked } from './restore.ts'

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

/** `restore` on a SQLite file: a checked restore (schema and row checksums equal the backup's), after a safety copy. */
export async function restoreSqlite(config: ResolvedConfig, options: RestoreRequest): Promise<RestoreResult> {
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
    const copied = await restoreChecked(chosen.path, config.databasePath, timeoutMs)
    const warnings: string[] = []
    if (copied.writtenDuring) {
      warnings.push('another program wrote to the database while it was restored: the backup is in place and its writes after the restore are kept, but what it wrote between the safety copy and the restore is in neither. Stop the programs that write to the database before a restore')
    }
    let db: Database.Database | undefined
    try {
      db = new Database(config.databasePath, { timeout: timeoutMs })
      const conn = db
      conn.transaction(() => writeHistory(conn, config.historyTable, restoredRecord({
        started, backupName: chosen.name, undone, ...(live.state === 'broken' ? { unknownReason: live.reason } : {}),
        fingerprint: schemaFingerprint(conn, config.historyTable), safetyBackup, trigger: options.trigger, toolVersion: TOOL_VERSION,
      }))).immediate()
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
