import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { MigrateError, errorMessage } from '../../core/errors.ts'
import type { ResolvedConfig } from '../../core/config.ts'
import type { Target, TargetSession } from '../target.ts'
import { databaseExists, listTables, rowCount, schemaFingerprint } from './catalogue.ts'
import { openConnection, type PgConnection } from './connection.ts'
import { dumpDatabase, dumpDataDir, restoreDatabase, restoreDataDir } from './backup.ts'
import { lastInSync, readHistory, writeHistory } from './history.ts'
import { lockDatabase } from './lock.ts'
import { listPostgresBackups, newBackupPath } from './backup-files.ts'
import { restorePostgres } from './restore-command.ts'
import { openPostgresSession } from './session.ts'
import type { PostgresLocation } from './url.ts'

/** How long the fast path waits for a server before leaving the answer to a full run. */
const FAST_CONNECT_MS = 3000

/**
 * PostgreSQL, on a server (postgres://) or embedded in a folder (pglite:). The same pipeline as
 * SQLite; what differs is here: an advisory lock (a file lock for PGlite, which has no sessions to
 * lock between), pg_dump / PGlite's own dump for backups, the catalogue in pg_catalog.
 */
export function postgresTarget(location: PostgresLocation): Target {
  const withConnection = async <T>(timeoutMs: number, fn: (c: PgConnection) => Promise<T>): Promise<T> => {
    const c = await openConnection(location, timeoutMs)
    try {
      return await fn(c)
    } finally {
      await c.close()
    }
  }
  return {
    kind: location.kind,
    provider: 'postgresql',
    label: location.label,
    // A database without tables is still a database: only a missing one is told apart.
    probe: async () => ((await databaseExists(location)) === 'missing' ? 'missing' : 'ok'),
    async fastPath(summary, historyTable) {
      if (location.kind === 'pglite' && !existsSync(location.dataDir)) return undefined
      try {
        return await withConnection(FAST_CONNECT_MS, async (c) => {
          const last = await lastInSync(c, historyTable)
          if (!last || last.schemaHash !== summary.hash || last.dbFingerprint !== await schemaFingerprint(c, historyTable)) return undefined
          const owned = new Set(summary.tables)
          return { unmodelled: (await listTables(c)).filter((t) => !owned.has(t) && t !== historyTable) }
        })
      } catch {
        return undefined
      }
    },
    lock: (timeoutSeconds) => lockDatabase(location, timeoutSeconds),
    // DDL is transactional: a run killed half-way leaves the old schema, with nothing to recover or record.
    recoverInterrupted: async () => undefined,
    markProgress: () => {},
    async checkHealth(_access, timeoutMs) {
      await withConnection(timeoutMs, async (c) => { await c.query('SELECT 1') })
    },
    async assertWritable() {
      const [row] = await withConnection(10_000, (c) => c.query<{ can: boolean, schema: string | null }>(`SELECT current_schema() AS schema, has_schema_privilege(current_schema(), 'CREATE') AS can`))
      if (row?.schema === null || row?.schema === undefined) {
        throw new MigrateError('DATABASE', `${location.label}: no schema of the search_path exists, so there is nowhere to create tables`, { hint: 'create the schema, or name one with ?schema=… in the URL; nothing was changed' })
      }
      if (!row.can) {
        throw new MigrateError('DATABASE', `${location.label}: the user may not create tables in the schema ${row.schema}`, { hint: `GRANT CREATE ON SCHEMA ${row.schema} TO <user>, or connect as its owner; nothing was changed` })
      }
    },
    canCreate: () => location.kind === 'pglite' ? {} : {
      refusal: `the database "${location.database}" does not exist on ${location.host}:${location.port} (${location.label}); migrate-plugin creates tables, not databases`,
      hint: `create it first (createdb ${location.database}, or CREATE DATABASE "${location.database}"), or correct the name in the URL`,
    },
    async open(options): Promise<TargetSession> {
      if (!options.scratch) return openPostgresSession(location, options)
      // A check or preview of a PGlite folder that does not exist plans against an empty PGlite of its own.
      const scratch = mkdtempSync(join(tmpdir(), 'migrate-plugin-pglite-'))
      try {
        const session = await openPostgresSession({ kind: 'pglite', dataDir: scratch, label: location.label }, { ...options, existing: false })
        const remove = async (end: () => Promise<void>) => {
          try { await end() } finally { rmSync(scratch, { recursive: true, force: true }) }
        }
        return { ...session, commit: () => remove(session.commit), rollback: () => remove(session.rollback), close: () => remove(session.close) }
      } catch (error) {
        rmSync(scratch, { recursive: true, force: true })
        throw error
      }
    },
    async readHistory(historyTable, limit) {
      if ((await databaseExists(location)) === 'missing') return []
      return withConnection(10_000, (c) => readHistory(c, historyTable, limit))
    },
    async tables(historyTable) {
      if ((await databaseExists(location)) === 'missing') return []
      return withConnection(10_000, async (c) => {
        const names = (await listTables(c)).filter((t) => t !== historyTable)
        return Promise.all(names.map(async (name) => ({ name, rows: await rowCount(c, name) })))
      })
    },
    async backup(config) {
      mkdirSync(config.backupDirectory, { recursive: true })
      // Two backups within one second (a fast dev loop) get a counter rather than overwriting.
      const file = newBackupPath(config.backupDirectory, location)
      if (location.kind === 'postgres') await dumpDatabase(location, file, config.lockTimeout * 1000)
      else await dumpDataDir(location, file)
      return file
    },
    retention(config: ResolvedConfig, failures: string[]) {
      if (config.backupRetentionDays <= 0 || !existsSync(config.backupDirectory)) return []
      const cutoff = Date.now() - config.backupRetentionDays * 24 * 60 * 60 * 1000
      // Newest first by their UTC stamp; the newest is always kept.
      const deleted: string[] = []
      for (const { path, createdAt } of listPostgresBackups(config.backupDirectory, location).slice(1)) {
        try {
          if (createdAt.getTime() >= cutoff) continue
          rmSync(path)
          deleted.push(path)
        } catch (error) {
          failures.push(`could not delete the old backup ${path}: ${errorMessage(error)}`)
        }
      }
      return deleted
    },
    boundSessionBackups(config, session, failures) {
      const keep = config.backupKeepDev
      if (keep <= 0 || session.length <= keep + 1) return []
      // Only files named with this database's id (backup-files.ts) count as its backups.
      const mine = listPostgresBackups(config.backupDirectory, location)
      const provable = new Set(mine.map((b) => resolve(b.path)))
      const deleted: string[] = []
      for (const path of session.slice(1, session.length - keep)) {
        if (resolve(path) === resolve(mine[0]?.path ?? '') || !provable.has(resolve(path))) continue
        try {
          rmSync(path)
          deleted.push(path)
        } catch (error) {
          failures.push(`could not delete the old backup ${path}: ${errorMessage(error)}`)
        }
      }
      return deleted
    },
    restore: (config, request) => restorePostgres(config, request, location),
    async restoreAfterFailure(backupPath) {
      if (location.kind === 'postgres') await restoreDatabase(location, backupPath)
      else await restoreDataDir(location, backupPath)
    },
    async recordFailure(historyTable, record) {
      try {
        await withConnection(5000, (c) => writeHistory(c, historyTable, record))
      } catch {
        // Recording is best effort: the error itself is still reported to the user.
      }
    },
    async removeCreated() {
      // Only PGlite creates its folder; an apply that created it and failed leaves no empty database behind.
      if (location.kind === 'pglite') rmSync(location.dataDir, { recursive: true, force: true })
    },
    describeError: (error) => error instanceof MigrateError ? error : new MigrateError('DATABASE', `${location.label}: ${errorMessage(error)}`, { cause: error }),
  }
}
