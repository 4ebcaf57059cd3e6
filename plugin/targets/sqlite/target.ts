import { closeSync, existsSync, openSync, readSync, rmSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { isNoSpace, noSpaceError } from '../../core/diskfull.ts'
import { MigrateError, errorMessage } from '../../core/errors.ts'
import { acquireLock } from '../../core/lock.ts'
import { TOOL_VERSION } from '../../core/version.ts'
import type { ResolvedConfig } from '../../core/config.ts'
import type { HistoryRecord } from '../../pipeline/history-record.ts'
import type { DatabaseState, Target } from '../target.ts'
import { applyRetention, backupDatabase, boundSessionBackups, prepareBackupFolder } from './backup.ts'
import { lastInSync, readHistory, schemaFingerprint, writeHistory } from './history.ts'
import { quoteIdent } from '../../core/sql.ts'
import { clearMarker, recoverInterrupted, writeMarker } from './interrupted.ts'
import { openForReading, waitForDatabase } from './open.ts'

const SQLITE_HEADER = 'SQLite format 3\0'

/** A SQLite file: the default target, and the embedded case. */
export function sqliteTarget(dbPath: string): Target {
  const describeError = (error: unknown) => databaseError(error, dbPath)
  return {
    kind: 'sqlite',
    provider: 'sqlite',
    label: dbPath,
    probe: async () => checkDatabaseFile(dbPath),
    fastPath: async (summary, historyTable) => fastPathInSync(dbPath, summary, historyTable),
    async lock(timeoutSeconds) {
      const lock = await acquireLock(dbPath, timeoutSeconds)
      return { release: async () => lock.release() }
    },
    recoverInterrupted: async (historyTable) => recoverInterrupted(dbPath, historyTable, { toolVersion: TOOL_VERSION }),
    markProgress(marker) {
      if (marker) writeMarker(dbPath, marker)
      else clearMarker(dbPath)
    },
    async checkHealth(access, timeoutMs) {
      await waitForDatabase(dbPath, timeoutMs, access)
      let db: Database.Database | undefined
      let problems: string[]
      try {
        db = openForReading(dbPath, timeoutMs)
        problems = (db.prepare('PRAGMA quick_check(3)').all() as { quick_check: string }[]).map((r) => r.quick_check)
      } catch (error) {
        throw describeError(error)
      } finally {
        db?.close()
      }
      // Before anything is backed up or changed: a damaged file is the user's to restore, not ours to migrate.
      if (problems[0] !== 'ok') {
        throw new MigrateError('DATABASE', `${dbPath} is corrupt: ${problems.join('; ')}`, {
          hint: 'nothing was changed; restore it from a backup (npx migrate-plugin backups, then npx migrate-plugin restore)',
        })
      }
    },
    async assertWritable() {
      try {
        closeSync(openSync(dbPath, 'r+'))
      } catch (error) {
        throw new MigrateError('DATABASE', `cannot write the database ${dbPath}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`, {
          hint: 'check the file permissions (and that no other program holds it read-only); nothing was changed',
        })
      }
    },
    // The folder was checked by probe(): SQLite creates the file on the first write.
    canCreate: () => ({}),
    // The session and restore modules (most of this folder) load only when a run gets past the fast path.
    open: async (options) => (await import('./session.ts')).openSqliteSession(dbPath, options, describeError),
    readHistory: async (historyTable, limit) => withDatabase(dbPath, (db) => readHistory(db, historyTable, limit), []),
    tables: async (historyTable) => withDatabase(dbPath, (db) => {
      const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> ? ORDER BY name`)
        .all(historyTable) as { name: string }[]).map((r) => r.name)
      return names.map((name) => ({ name, rows: Number((db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(name)}`).get() as { n: number }).n) }))
    }, []),
    restore: async (config, request) => (await import('./restore-command.ts')).restoreSqlite(config, request),
    async backup(config) {
      return backupDatabase(dbPath, prepareBackupFolder(config))
    },
    retention: (config: ResolvedConfig, failures: string[]) => applyRetention(dbPath, config.backupDirectory, config.backupRetentionDays, new Date(), failures),
    boundSessionBackups: (config, session, failures) => boundSessionBackups(dbPath, config.backupDirectory, session, config.backupKeepDev, failures),
    restoreAfterFailure: async (backupPath, timeoutMs) => { await (await import('./restore.ts')).restoreChecked(backupPath, dbPath, timeoutMs) },
    recordFailure: async (historyTable, record) => recordFailure(dbPath, historyTable, record),
    async removeCreated() {
      for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true })
    },
    describeError,
  }
}

/** Refuse files that are not SQLite databases before any driver touches them. */
function checkDatabaseFile(path: string): DatabaseState {
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

export function databaseError(error: unknown, path: string): MigrateError {
  if (error instanceof MigrateError) return error
  const cause = error
  const code = (cause as { code?: string }).code
  const message = errorMessage(cause)
  if (isNoSpace(cause, path)) return noSpaceError(path, 'opening the database', cause)
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || /malformed|not a database/i.test(message)) {
    return new MigrateError('DATABASE', `${path} is corrupt: ${message}`, { hint: 'restore it from a backup: npx migrate-plugin restore', cause })
  }
  if (code === 'SQLITE_BUSY' || /locked/i.test(message)) {
    return new MigrateError('LOCKED', `${path} is locked by another connection: ${message}`, { hint: 'close the program writing to it, or try again', cause })
  }
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN' || /readonly|read-only/i.test(message)) {
    return new MigrateError('DATABASE', `cannot write ${path}: ${message}`, { hint: 'check the file and folder permissions', cause })
  }
  return new MigrateError('DATABASE', `${path}: ${message}`, { cause })
}

/**
 * When both the generated schema and the live schema are what they were after the last good run,
 * the unmodelled tables (so every run can list them); otherwise undefined.
 * One read-only open of the database, no engine.
 */
function fastPathInSync(dbPath: string, summary: { hash: string, tables: string[] }, historyTable: string): { unmodelled: string[] } | undefined {
  if (!existsSync(dbPath) || statSync(dbPath).size === 0) return undefined
  let db: Database.Database | undefined
  try {
    // No waiting here: a database someone holds locked simply misses the fast path.
    db = openForReading(dbPath, 0)
    const last = lastInSync(db, historyTable)
    const inSync = last !== undefined && last.schemaHash === summary.hash && last.dbFingerprint === schemaFingerprint(db, historyTable)
    return inSync ? { unmodelled: unmodelledTables(db, summary.tables, historyTable) } : undefined
  } catch {
    return undefined
  } finally {
    db?.close()
  }
}

export function unmodelledTables(db: Database.Database, owned: string[], historyTable: string): string[] {
  const ours = new Set(owned.map((t) => t.toLowerCase()))
  const rows = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string }[]
  return rows.map((r) => r.name).filter((name) => !ours.has(name.toLowerCase()) && name !== historyTable)
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

/** A short read-only look at the database; `fallback` when there is no file yet. */
function withDatabase<T>(dbPath: string, fn: (db: Database.Database) => T, fallback: T): T {
  if (!existsSync(dbPath)) return fallback
  let db: Database.Database
  try {
    db = openForReading(dbPath, 5000)
  } catch (error) {
    if (isNoSpace(error, dbPath)) throw noSpaceError(dbPath, 'opening the database', error)
    throw error
  }
  try {
    return fn(db)
  } finally {
    db.close()
  }
}
