import Database from 'better-sqlite3'
import { MigrateError, errorMessage } from '../../core/errors.ts'

/**
 * A process that dies inside a write transaction (the user's app, or one of our own applies killed
 * mid-way) leaves a hot rollback journal next to the database once SQLite has spilled pages into
 * the file. SQLite undoes it on the next read — but only a connection allowed to write can; a
 * read-only one fails with SQLITE_READONLY_ROLLBACK ("attempt to write a readonly database"),
 * which would send users after file permissions that are fine.
 *
 * Rolling the journal back is SQLite's own crash recovery: it returns the file to its last
 * committed state, the one every reader is shown anyway, so even the commands that promise to
 * change nothing (check, status) let it happen through one short read-write connection.
 */
const NEEDS_RECOVERY = new Set(['SQLITE_READONLY_ROLLBACK', 'SQLITE_READONLY_RECOVERY'])

/** A read-only connection that has read the schema once (so a lock or a damaged file shows here). */
export function openForReading(path: string, timeoutMs: number): Database.Database {
  try {
    return openProbed(path, { readonly: true, fileMustExist: true, timeout: timeoutMs })
  } catch (error) {
    if (!NEEDS_RECOVERY.has((error as { code?: string }).code ?? '')) throw error
  }
  recoverCrashedTransaction(path, timeoutMs)
  return openProbed(path, { readonly: true, fileMustExist: true, timeout: timeoutMs })
}

function recoverCrashedTransaction(path: string, timeoutMs: number): void {
  let db: Database.Database | undefined
  try {
    db = openProbed(path, { fileMustExist: true, timeout: timeoutMs })
  } catch (error) {
    throw new MigrateError('DATABASE', `${path} holds an unfinished transaction of a process that crashed (${path}-journal), and this process may not write the database to roll it back: ${errorMessage(error)}`, {
      hint: 'run once as a user who can write the database and its folder (any SQLite connection that can write rolls it back); nothing was changed',
      cause: error,
    })
  } finally {
    db?.close()
  }
}

function openProbed(path: string, options: Database.Options): Database.Database {
  const db = new Database(path, options)
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get()
    return db
  } catch (error) {
    db.close()
    throw error
  }
}

/**
 * Wait until no other connection's lock stands in the way of reading (check) or of starting a
 * write transaction (apply, preview) — polling, so a dev server's event loop keeps running
 * meanwhile. SQLite's own busy handler, which the engine's connection relies on, sleeps
 * synchronously and would freeze the server for up to lock_timeout. Problems other than a lock
 * are left to the real open, which reports them in its own words.
 */
export async function waitForDatabase(path: string, timeoutMs: number, access: 'read' | 'write'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    let db: Database.Database | undefined
    try {
      db = new Database(path, { fileMustExist: true, timeout: 0, readonly: access === 'read' })
      if (access === 'write') db.exec('BEGIN IMMEDIATE; ROLLBACK')
      else db.prepare('SELECT count(*) FROM sqlite_master').get()
      return
    } catch (error) {
      const code = (error as { code?: string }).code ?? ''
      if (!code.startsWith('SQLITE_BUSY') && !code.startsWith('SQLITE_LOCKED')) return
      if (Date.now() >= deadline) {
        throw new MigrateError('LOCKED', `${path} is locked by another connection, still after ${Math.round(timeoutMs / 1000)} s: ${errorMessage(error)}`, {
          hint: 'close the program writing to it, or raise [safety] lock_timeout; nothing was changed',
          cause: error,
        })
      }
    } finally {
      db?.close()
    }
    await new Promise((resolve) => setTimeout(resolve, delay))
  }
}
