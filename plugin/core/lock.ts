import Database from 'better-sqlite3'
import { setTimeout as sleep } from 'node:timers/promises'
import { isNoSpace, noSpaceError } from './diskfull.ts'
import { MigrateError } from './errors.ts'

/**
 * One migrator per database. The lock is an exclusive SQLite transaction on a small file next to
 * the database: the operating system drops it when the holder dies, even on SIGKILL, so a crashed
 * run never leaves a stale lock behind. Waiting polls instead of using SQLite's busy handler,
 * which would block the event loop of a dev server.
 */
const inProcess = new Map<string, Promise<void>>()

export interface Lock {
  release(): void
}

export async function acquireLock(dbPath: string, timeoutSeconds: number): Promise<Lock> {
  const lockPath = `${dbPath}-migrate.lock`
  // Serialise callers inside this process first (several bundler hooks can fire at once).
  const previous = inProcess.get(lockPath) ?? Promise.resolve()
  let releaseLocal!: () => void
  const mine = new Promise<void>((resolve) => { releaseLocal = resolve })
  const chain = previous.then(() => mine)
  inProcess.set(lockPath, chain)
  const deadline = Date.now() + timeoutSeconds * 1000
  const giveUp = () => {
    releaseLocal()
    if (inProcess.get(lockPath) === chain) inProcess.delete(lockPath)
  }
  const timedOut = () => new MigrateError('LOCKED', `another migrate-plugin process is migrating ${dbPath}; gave up after waiting ${timeoutSeconds} s`, {
    hint: 'wait for it to finish and run again, or raise [safety] lock_timeout in migration.conf',
  })
  const remaining = deadline - Date.now()
  const waited = await Promise.race([previous.then(() => true), sleep(Math.max(0, remaining), false, { ref: false })])
  if (!waited) {
    giveUp()
    throw timedOut()
  }
  let db: Database.Database
  try {
    db = new Database(lockPath, { timeout: 0 })
  } catch (error) {
    giveUp()
    if (isNoSpace(error, lockPath)) throw noSpaceError(lockPath, 'taking the migrator lock', error)
    throw new MigrateError('DATABASE', `cannot create the lock file ${lockPath}: ${(error as Error).message}`, {
      hint: 'the folder holding the database must exist and be writable',
    })
  }
  for (;;) {
    try {
      db.exec('BEGIN EXCLUSIVE')
      break
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) {
        db.close()
        giveUp()
        if ((error as { code?: string }).code === 'SQLITE_BUSY') throw timedOut()
        if (isNoSpace(error, lockPath)) throw noSpaceError(lockPath, 'taking the migrator lock', error)
        throw error
      }
      await sleep(25 + Math.random() * 25)
    }
  }
  let released = false
  return {
    release() {
      if (released) return
      released = true
      try { db.exec('ROLLBACK') } catch { /* closing releases it too */ }
      db.close()
      giveUp()
    },
  }
}
