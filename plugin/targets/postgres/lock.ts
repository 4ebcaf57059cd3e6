import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { MigrateError } from '../../core/errors.ts'
import { openConnection } from './connection.ts'
import { acquireLock } from '../../core/lock.ts'
import type { PostgresLocation, PostgresServerLocation } from './url.ts'

export interface AdvisoryLock {
  release(): Promise<void>
}

/** The advisory lock's number for `key`: the first 8 bytes of its SHA-256, as a signed bigint (what pg_advisory_lock takes). */
export function advisoryLockId(key: string): string {
  return createHash('sha256').update(key).digest().readBigInt64BE(0).toString()
}

/**
 * One migrator per database at a time, across processes and machines: a session-level advisory
 * lock held on a connection of its own. It belongs to that connection, so a process that dies
 * (even by SIGKILL) loses it with its connection, and no stale lock file is ever left to clean up.
 * Polled with pg_try_advisory_lock rather than waited for with pg_advisory_lock, so that the wait
 * has our timeout and our message instead of the server's statement_timeout (or none).
 * PGlite has no other sessions to lock against: its callers use the file lock.
 */
export async function acquireAdvisoryLock(location: PostgresServerLocation, key: string, timeoutSeconds: number, connectTimeoutMs = 10_000): Promise<AdvisoryLock> {
  const id = advisoryLockId(key)
  const connection = await openConnection(location, connectTimeoutMs)
  const deadline = Date.now() + timeoutSeconds * 1000
  try {
    for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
      const [row] = await connection.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [id])
      if (row?.locked) break
      const left = deadline - Date.now()
      if (left <= 0) {
        throw new MigrateError('LOCKED', `another migrate-plugin process is migrating ${location.label}; gave up after waiting ${timeoutSeconds} s`, {
          hint: 'wait for it to finish and run again, or raise [safety] lock_timeout in migration.conf',
        })
      }
      await sleep(Math.min(wait, left))
    }
  } catch (error) {
    await connection.close()
    throw error
  }
  let released = false
  return {
    async release() {
      if (released) return
      released = true
      try {
        await connection.query('SELECT pg_advisory_unlock($1::bigint)', [id])
      } finally {
        // Closing the session releases the lock too, should the unlock itself have failed.
        await connection.close()
      }
    },
  }
}

/** One migrator per database: the advisory lock on a server, our file lock beside a PGlite folder (PGlite has no sessions to lock between). */
export async function lockDatabase(location: PostgresLocation, timeoutSeconds: number): Promise<AdvisoryLock> {
  if (location.kind === 'pglite') {
    const lock = await acquireLock(location.dataDir, timeoutSeconds)
    return { release: async () => lock.release() }
  }
  return acquireAdvisoryLock(location, `migrate-plugin ${location.host}:${location.port}/${location.database}/${location.schema ?? ''}`, timeoutSeconds)
}
