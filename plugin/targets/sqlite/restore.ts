import { existsSync, lstatSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Database from 'better-sqlite3'
import { copyBytes } from './backup.ts'
import { contentDigest } from './digest.ts'
import { MigrateError, errorMessage } from '../../core/errors.ts'
import { openForReading, waitForDatabase } from './open.ts'

/**
 * Putting a backup back, checked: either the live database ends up holding exactly the backup's
 * content (same schema, same rows: see digest.ts), or the restore fails loudly. Used by
 * `restore` and by an apply whose ROLLBACK could not run.
 *
 * A database SQLite can read is restored through SQLite's online backup into the live file. That
 * is one write transaction on the live database, so it is atomic (journal or WAL), it waits for
 * and respects the locks of the app's connections, and those connections see the restored data
 * on their next read — where replacing the file (rename over it) would leave every open
 * connection on the old, unlinked file, silently losing whatever they write next. Its pitfall: a
 * busy destination makes better-sqlite3's backup resolve with zero pages and no error. So a copy
 * is only trusted after the live file's digest equals the backup's; a copy that left the live file
 * as it was is retried (polling, the event loop keeps running) until lock_timeout.
 *
 * A database SQLite cannot read (corrupt, truncated, overwritten with something else) or a missing
 * one is replaced as a file: the backup is copied next to it under a temporary name with its
 * permissions, the broken file's -journal/-wal/-shm are removed (SQLite would replay them into the
 * restored file; the safety copy kept them), and the copy is renamed over it. No connection can be
 * using a file SQLite cannot read, so nothing is lost by replacing it.
 */
export type LiveState = { state: 'missing' } | { state: 'broken', reason: string } | { state: 'healthy' }

const isLock = (error: unknown) => /^SQLITE_(BUSY|LOCKED)/.test((error as { code?: string }).code ?? '')

/** Can SQLite read the live database? A lock is not damage: it is reported as LOCKED. */
export async function inspectLive(dbPath: string, timeoutMs: number): Promise<LiveState> {
  if (!existsSync(dbPath)) return { state: 'missing' }
  if (!statSync(dbPath).isFile()) {
    throw new MigrateError('RESTORE', `the database path ${dbPath} is not a regular file`, { hint: 'point [database] url at the database file; nothing was restored' })
  }
  await waitForDatabase(dbPath, timeoutMs, 'read')
  let db: Database.Database | undefined
  try {
    db = openForReading(dbPath, 1000)
    const rows = db.prepare('PRAGMA quick_check(3)').all() as { quick_check: string }[]
    if (rows[0]?.quick_check !== 'ok') return { state: 'broken', reason: rows.map((r) => r.quick_check).join('; ') }
    return { state: 'healthy' }
  } catch (error) {
    if (isLock(error)) {
      throw new MigrateError('LOCKED', `${dbPath} is locked by another connection: ${errorMessage(error)}`, {
        hint: 'close the program holding it, or raise [safety] lock_timeout; nothing was restored', cause: error,
      })
    }
    return { state: 'broken', reason: errorMessage(error) }
  } finally {
    db?.close()
  }
}

function digestOf(path: string): string {
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 0 })
  try {
    return contentDigest(db)
  } finally {
    db.close()
  }
}

/** Read and check the backup before anything is touched: a damaged backup is refused, not copied. */
function backupDigest(backupPath: string): string {
  let db: Database.Database | undefined
  try {
    db = new Database(backupPath, { readonly: true, fileMustExist: true })
    const rows = db.prepare('PRAGMA quick_check(3)').all() as { quick_check: string }[]
    if (rows[0]?.quick_check !== 'ok') throw new Error(rows.map((r) => r.quick_check).join('; '))
    return contentDigest(db)
  } catch (error) {
    throw new MigrateError('RESTORE', `the backup ${backupPath} is not a sound SQLite database: ${errorMessage(error)}`, {
      hint: 'choose another backup (npx migrate-plugin backups); nothing was restored', cause: error,
    })
  } finally {
    db?.close()
  }
}

/** The schema objects of a database (what it is, not what it holds): names and their SQL. */
function schemaOf(path: string): string | undefined {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 1000 })
    try {
      return JSON.stringify(db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all())
    } finally {
      db.close()
    }
  } catch {
    return undefined
  }
}

export async function restoreChecked(backupPath: string, dbPath: string, timeoutMs: number): Promise<{ method: 'sqlite-backup' | 'file', writtenDuring?: true }> {
  const expected = backupDigest(backupPath)
  const live = await inspectLive(dbPath, timeoutMs)
  if (live.state !== 'healthy') {
    replaceFile(backupPath, dbPath)
    assertRestored(dbPath, expected, backupPath)
    return { method: 'file' }
  }
  const deadline = Date.now() + timeoutMs
  const before = await readDigest(dbPath, deadline)
  const source = new Database(backupPath, { readonly: true, fileMustExist: true })
  try {
    for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
      let copied = 0
      try {
        // One step for the whole file: the live database is write-locked once, for the shortest time.
        copied = (await source.backup(dbPath, { progress: () => 0x7fffffff })).totalPages
      } catch (error) {
        if (!isLock(error)) {
          throw new MigrateError('RESTORE', `could not restore ${backupPath} into ${dbPath}: ${errorMessage(error)}`, {
            hint: 'the database was not changed (the copy runs in one transaction); the safety copy holds it too', cause: error,
          })
        }
      }
      const now = await readDigest(dbPath, deadline)
      if (now === expected) return { method: 'sqlite-backup' }
      if (copied > 0 && now === undefined) {
        throw new MigrateError('RESTORE', `copied ${backupPath} into ${dbPath}, but another connection kept the database locked, so the copy could not be verified`, {
          hint: 'close the program holding the database, then check it (npx migrate-plugin status) or run the restore again',
        })
      }
      if (copied > 0 && now !== before && now !== undefined) {
        // The copy is one transaction on the live file: it took effect. A program that wrote right
        // after it (an app inserting all the time) changed rows, not the schema: that is a restore,
        // and it is said so; a schema that is not the backup's is not.
        if (schemaOf(dbPath) === schemaOf(backupPath)) return { method: 'sqlite-backup', writtenDuring: true }
        throw new MigrateError('RESTORE', `copied ${backupPath} into ${dbPath}, but the database's schema is not the backup's: another program changed it at the same moment`, {
          hint: 'stop the programs writing to the database, then run the restore again (the safety copy taken just before holds the database as it was then)',
        })
      }
      // Nothing was copied: another connection held a lock. Wait and try again, within lock_timeout.
      if (Date.now() >= deadline) {
        throw new MigrateError('LOCKED', `could not restore ${dbPath}: another connection kept it locked for ${Math.round(timeoutMs / 1000)} s, and nothing was restored`, {
          hint: 'close the program holding the database (a dev server, a database browser) or raise [safety] lock_timeout, then run the restore again',
        })
      }
      await sleep(delay)
    }
  } finally {
    source.close()
  }
}

/** The live digest, waiting out other connections' locks until the deadline (undefined if they never let go). */
async function readDigest(dbPath: string, deadline: number): Promise<string | undefined> {
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    try {
      return digestOf(dbPath)
    } catch (error) {
      if (!isLock(error) || Date.now() >= deadline) {
        if (isLock(error)) return undefined
        throw error
      }
    }
    await sleep(delay)
  }
}

function assertRestored(dbPath: string, expected: string, backupPath: string): void {
  let actual: string
  try {
    actual = digestOf(dbPath)
  } catch (error) {
    actual = `unreadable: ${errorMessage(error)}`
  }
  if (actual !== expected) {
    throw new MigrateError('RESTORE', `after replacing ${dbPath} with ${backupPath}, the database does not hold the backup's content`, {
      hint: 'another program may have written to it meanwhile; the copy taken before the restore holds the database as it was',
    })
  }
}

function replaceFile(backupPath: string, linkPath: string): void {
  // A database reached through a symlink: replace the file it points at, not the link.
  const dbPath = existsSync(linkPath) ? realpathSync(linkPath) : linkPath
  const mode = (existsSync(dbPath) ? lstatSync(dbPath) : lstatSync(backupPath)).mode & 0o777
  const partial = join(dirname(dbPath), `.${basename(dbPath)}.restore-${process.pid}.partial`)
  rmSync(partial, { force: true })
  try {
    copyBytes(backupPath, partial, mode)
    for (const suffix of ['-journal', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true })
    renameSync(partial, dbPath)
  } catch (error) {
    rmSync(partial, { force: true })
    throw new MigrateError('RESTORE', `could not replace ${dbPath} with ${backupPath}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`, {
      hint: 'check free disk space and the permissions of the database folder', cause: error,
    })
  }
}
