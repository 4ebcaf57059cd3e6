import { chmodSync, existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import Database from 'better-sqlite3'
import { crashPoint } from './crash.ts'
import { MigrateError, errorMessage } from './errors.ts'
import { openForReading } from './sqlite.ts'

/** Backups are named as the Python original named them: `<db file>.backup_YYYYMMDD_HHMMSS`. */
export interface BackupFile {
  path: string
  name: string
  createdAt: Date
  size: number
}

function stamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}_${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`
}

function parseStamp(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})/.exec(value)!
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]))
}

function backupPattern(dbPath: string): RegExp {
  const escaped = basename(dbPath).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`^${escaped}\\.backup_(\\d{8}_\\d{6})(?:_(\\d+))?$`)
}

/**
 * Copy the database with `VACUUM INTO` on a read-only connection: a consistent snapshot of the last
 * commit, even while the app holds the database open in WAL mode, in one synchronous statement.
 * Synchronous on purpose: it runs while the run holds the write lock, and yielding to the event loop
 * there (as the online backup API does between steps) lets code of the same process — a dev
 * server's SSR handler writing with better-sqlite3 — run into that lock and block the very event
 * loop the run needs to finish: a deadlock until the writer's busy timeout. The copy is written
 * under a temporary name and renamed, so no file with a backup's name is ever half-written.
 */
export function backupDatabase(dbPath: string, directory: string, now = new Date()): string {
  if (!existsSync(directory)) {
    throw new MigrateError('BACKUP', `the backup directory ${directory} does not exist`, {
      step: 'backup',
      hint: 'create it, or change [database] backup_directory in migration.conf',
    })
  }
  let target = join(directory, `${basename(dbPath)}.backup_${stamp(now)}`)
  for (let n = 2; existsSync(target); n++) target = join(directory, `${basename(dbPath)}.backup_${stamp(now)}_${n}`)
  const partial = `${target}.partial`
  removeAbandonedCopies(dbPath, directory)
  let source: Database.Database | undefined
  try {
    source = openForReading(dbPath, 5000)
    source.prepare('VACUUM INTO ?').run(partial)
    // Before it is visible under its name: a database that may hold secrets gets its own permissions.
    chmodSync(partial, statSync(dbPath).mode & 0o777)
    crashPoint('during-backup')
    renameSync(partial, target)
  } catch (error) {
    rmSync(partial, { force: true })
    throw new MigrateError('BACKUP', `could not back up ${dbPath} to ${target}: ${errorMessage(error)}`, {
      step: 'backup',
      hint: 'check free disk space and permissions of the backup directory; nothing was changed',
      cause: error,
    })
  } finally {
    source?.close()
  }
  return target
}

/** Copies left by a run killed while backing up (callers hold the migrator lock, so none is in progress). */
function removeAbandonedCopies(dbPath: string, directory: string): void {
  const pattern = new RegExp(`${backupPattern(dbPath).source.slice(0, -1)}\\.partial$`)
  for (const name of readdirSync(directory)) if (pattern.test(name)) rmSync(join(directory, name), { force: true })
}

/** Newest first. */
export function listBackups(dbPath: string, directory: string): BackupFile[] {
  if (!existsSync(directory)) return []
  const pattern = backupPattern(dbPath)
  const backups: BackupFile[] = []
  for (const name of readdirSync(directory)) {
    const m = pattern.exec(name)
    if (!m) continue
    const path = join(directory, name)
    backups.push({ path, name, createdAt: parseStamp(m[1]!), size: statSync(path).size })
  }
  return backups.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.name.localeCompare(a.name, 'en', { numeric: true }))
}

/** Delete backups older than `days`, never the newest one. Returns the deleted paths. */
export function applyRetention(dbPath: string, directory: string, days: number, now = new Date()): string[] {
  if (days <= 0) return []
  const cutoff = now.getTime() - days * 24 * 60 * 60 * 1000
  const deleted: string[] = []
  for (const backup of listBackups(dbPath, directory).slice(1)) {
    if (backup.createdAt.getTime() < cutoff) {
      rmSync(backup.path, { force: true })
      deleted.push(backup.path)
    }
  }
  return deleted
}

/** Copy a backup over the live database, page by page through SQLite (safe with other connections open). */
export async function restoreInto(backupPath: string, dbPath: string): Promise<void> {
  const source = new Database(backupPath, { readonly: true, fileMustExist: true })
  try {
    source.prepare('SELECT count(*) FROM sqlite_master').get()
    await source.backup(dbPath)
  } catch (error) {
    throw new MigrateError('RESTORE', `could not restore ${backupPath} into ${dbPath}: ${errorMessage(error)}`, { cause: error })
  } finally {
    source.close()
  }
}
