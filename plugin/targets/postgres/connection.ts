import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { MigrateError, errorMessage } from '../../core/errors.ts'
import type { PgliteLocation, PostgresLocation, PostgresServerLocation } from './url.ts'

/** One session on a PostgreSQL database: what the catalogue queries, the lock and the history need. */
export interface PgConnection {
  query<T = Record<string, unknown>>(sql: string, args?: unknown[]): Promise<T[]>
  /** Run a script of one or more statements without parameters. */
  exec(sql: string): Promise<void>
  close(): Promise<void>
}

/** The driver under a session, for the engine's adapter (engine-adapter.ts). */
export type RawSession =
  | { kind: 'postgres', client: pg.Client, connection: PgConnection }
  | { kind: 'pglite', db: PGlite, connection: PgConnection }

export async function openConnection(location: PostgresLocation, timeoutMs: number): Promise<PgConnection> {
  return (await openSession(location, timeoutMs)).connection
}

export async function openSession(location: PostgresLocation, timeoutMs: number): Promise<RawSession> {
  return location.kind === 'postgres' ? openServer(location, timeoutMs) : openPglite(location)
}

async function openServer(location: PostgresServerLocation, timeoutMs: number): Promise<RawSession> {
  const client = new pg.Client({ connectionString: location.url, connectionTimeoutMillis: timeoutMs, application_name: 'migrate-plugin' })
  // A connection the server drops (restart, pg_terminate_backend) emits 'error' on the client; without
  // a listener that event would kill the process. The next query fails instead, and says why.
  let lost: Error | undefined
  client.on('error', (error) => { lost = error })
  try {
    await client.connect()
    if (location.schema !== undefined) await client.query(`SET search_path TO ${pg.escapeIdentifier(location.schema)}`)
  } catch (error) {
    await client.end().catch(() => {})
    throw connectError(error, location)
  }
  let closed = false
  const run = async <T>(sql: string, args?: unknown[]): Promise<T[]> => {
    if (closed) throw new MigrateError('INTERNAL', `the connection to ${location.label} was already closed`)
    try {
      return (await client.query(sql, args as unknown[] | undefined)).rows as T[]
    } catch (error) {
      throw queryError(error, location.label, lost)
    }
  }
  const connection: PgConnection = {
    query: run,
    exec: async (sql) => { await run(sql) },
    async close() {
      if (closed) return
      closed = true
      await client.end().catch(() => {})
    },
  }
  return { kind: 'postgres', client, connection }
}

/** What went wrong connecting, in words a user can act on; never with the password. */
export function connectError(error: unknown, location: PostgresServerLocation): MigrateError {
  const e = error as { code?: string, message?: string }
  const where = location.label
  const server = `${location.host}:${location.port}`
  const message = errorMessage(error)
  switch (e.code) {
    case '28P01':
    case '28000':
      return new MigrateError('DATABASE', `cannot log in to ${where}: ${message}`, { hint: 'check the user name and password in the database URL (DATABASE_URL or [database] url)', cause: error })
    case '3D000':
      return new MigrateError('DATABASE', `the database "${location.database}" does not exist on ${server} (${where})`, { hint: `create it first (createdb ${location.database}, or CREATE DATABASE), or correct the name in the URL`, cause: error })
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
      return new MigrateError('DATABASE', `cannot reach ${where}: ${message}; is the server running on ${server}?`, { hint: 'start the PostgreSQL server, or correct the host and port in the database URL', cause: error })
    case '57P03':
      return new MigrateError('DATABASE', `${where} is starting up or shutting down: ${message}`, { hint: 'try again in a moment', cause: error })
    case '53300':
      return new MigrateError('DATABASE', `${where} has no connection slot left: ${message}`, { hint: 'close other connections, or raise max_connections on the server', cause: error })
    default:
      if (/timeout/i.test(message)) {
        return new MigrateError('DATABASE', `cannot reach ${where}: no answer within the connect timeout; is the server running on ${server}?`, { hint: 'check that the host and port are right and that no firewall drops the connection', cause: error })
      }
      return new MigrateError('DATABASE', `cannot connect to ${where}: ${message}`, { hint: 'check the database URL and that the server accepts connections from this machine', cause: error })
  }
}

function queryError(error: unknown, label: string, lost: Error | undefined): MigrateError {
  if (error instanceof MigrateError) return error
  const e = error as { code?: string, position?: string }
  if (e.code === '55P03') {
    return new MigrateError('LOCKED', `a query on ${label} waited longer than [safety] lock_timeout for a table lock another session holds: ${errorMessage(error)}`, {
      hint: 'another session holds a lock on a table (a long ALTER TABLE, LOCK TABLE or an open transaction); let it finish and run again, or raise [safety] lock_timeout; nothing of this run was committed',
      cause: error,
    })
  }
  const detail = lost ? `${errorMessage(error)} (the connection was lost: ${lost.message})` : errorMessage(error)
  return new MigrateError('DATABASE', `a query on ${label} failed: ${detail}${e.code ? ` [${e.code}]` : ''}`, {
    hint: lost ? 'check that the server is running; nothing of this run was committed' : 'see the message above; nothing of this run was committed unless it says so',
    cause: error,
  })
}

// ---- PGlite ----------------------------------------------------------------------------------

/** PGlite cannot open one folder twice in a process: every opener of a folder shares one instance. */
const pglites = new Map<string, { db: Promise<PGlite>, refs: number }>()

type PgliteModule = typeof import('@electric-sql/pglite')

/** PGlite is an optional peer: SQLite and server users never load it, and its absence is said plainly. */
export async function loadPglite(): Promise<PgliteModule> {
  try {
    return await import('@electric-sql/pglite')
  } catch (error) {
    throw new MigrateError('CONFIG', `a pglite: database needs the @electric-sql/pglite package, which cannot be loaded: ${errorMessage(error)}`, {
      hint: 'npm install -D @electric-sql/pglite pglite-prisma-adapter',
      cause: error,
    })
  }
}

/** How many open connections of this process share the PGlite instance of `dataDir`. */
export function pgliteOpeners(dataDir: string): number {
  return pglites.get(dataDir)?.refs ?? 0
}

/** True when `dir` holds a PostgreSQL data folder (PGlite writes the same layout). */
export function isPgliteDataDir(dir: string): boolean {
  return existsSync(join(dir, 'PG_VERSION'))
}

async function openPglite(location: PgliteLocation): Promise<RawSession> {
  let entry = pglites.get(location.dataDir)
  if (!entry) {
    // A non-empty folder that is not a data folder is somebody's files: PGlite would initialise a
    // cluster among them.
    if (existsSync(location.dataDir) && !isPgliteDataDir(location.dataDir) && readdirSync(location.dataDir).length > 0) {
      throw new MigrateError('DATABASE', `${location.dataDir} (${location.label}) is a folder with other files in it, not a PGlite database`, {
        hint: 'point the pglite: URL at an empty or new folder, or at one PGlite created',
      })
    }
    const { PGlite } = await loadPglite()
    const created = { db: PGlite.create(location.dataDir), refs: 0 }
    entry = created
    pglites.set(location.dataDir, created)
    try {
      await created.db
    } catch (error) {
      pglites.delete(location.dataDir)
      throw new MigrateError('DATABASE', `cannot open the PGlite database ${location.label} (${location.dataDir}): ${errorMessage(error)}`, {
        hint: 'check that the folder is a PGlite database made by a compatible PGlite version, and that no other process has it open',
        cause: error,
      })
    }
  }
  // Counted before waiting, so that a connection closed meanwhile cannot close the instance under us.
  entry.refs++
  const shared = entry
  let db: PGlite
  try {
    db = await entry.db
  } catch (error) {
    // Another opener's attempt, which failed and has said why.
    shared.refs--
    throw new MigrateError('DATABASE', `cannot open the PGlite database ${location.label} (${location.dataDir}): ${errorMessage(error)}`, { cause: error })
  }
  let closed = false
  const run = async <T>(sql: string, args?: unknown[]): Promise<T[]> => {
    if (closed) throw new MigrateError('INTERNAL', `the connection to ${location.label} was already closed`)
    try {
      return (await db.query<T>(sql, args)).rows
    } catch (error) {
      throw queryError(error, location.label, undefined)
    }
  }
  const connection: PgConnection = {
    query: run,
    async exec(sql) {
      if (closed) throw new MigrateError('INTERNAL', `the connection to ${location.label} was already closed`)
      try {
        await db.exec(sql)
      } catch (error) {
        throw queryError(error, location.label, undefined)
      }
    },
    async close() {
      if (closed) return
      closed = true
      if (--shared.refs > 0) return
      pglites.delete(location.dataDir)
      await db.close()
    },
  }
  return { kind: 'pglite', db, connection }
}
