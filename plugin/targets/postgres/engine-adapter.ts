import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils'
import pg from 'pg'
import { MigrateError, errorMessage } from '../../core/errors.ts'
import { openSession, type PgConnection, type RawSession } from './connection.ts'
import { splitStatements } from './sql-split.ts'
import type { PostgresLocation } from './url.ts'

/**
 * The driver-adapter factory the wasm schema engine is given for PostgreSQL and PGlite, built so
 * that everything the engine does (introspection, push, the verifying diff) and our own queries
 * (history row, checks) run on ONE connection inside ONE transaction that we alone end:
 * - one connection: the adapter's pool is a stand-in that sends every query to our single client;
 *   a real pool would open a second connection, outside the transaction, or replace a dropped one
 *   and carry on in autocommit;
 * - the engine's own BEGIN / COMMIT (it wraps enum rewrites in them) become SAVEPOINT / RELEASE
 *   SAVEPOINT, so its COMMIT cannot commit our transaction half-way;
 * - columns of type "char" (OID 18, in pg_catalog) are reported as text (25): the adapter cannot
 *   read "char" and the engine's introspection selects such columns.
 */
export interface EngineConnection {
  factory: SqlMigrationAwareDriverAdapterFactory
  /** Our own queries, on the engine's connection and inside its transaction. */
  connection(): PgConnection
  /** End the transaction (when one was begun) and close the connection. Idempotent. */
  end(how: 'COMMIT' | 'ROLLBACK'): Promise<void>
}

interface Rewriter {
  /** The statement to send instead of `sql`: the engine's transaction control becomes savepoints. */
  rewrite(sql: string): string
}

/** Savepoint names are ours and numbered, so that nested engine transactions unwind in order. Every query also gets the engine quirks. */
function transactionRewriter(active: boolean): Rewriter {
  // Without a transaction of ours, the engine's BEGIN / COMMIT are its own and reach the server unchanged.
  if (!active) return { rewrite: quirks }
  const open: string[] = []
  let next = 0
  return {
    rewrite(sql) {
      const statement = sql.trim().replace(/;\s*$/, '').trim()
      if (/^(BEGIN|START\s+TRANSACTION)(\s+(WORK|TRANSACTION|ISOLATION\s+LEVEL\s+[\w\s]+|READ\s+(WRITE|ONLY)))*$/i.test(statement)) {
        const name = `migrate_plugin_engine_${++next}`
        open.push(name)
        return `SAVEPOINT ${name}`
      }
      if (/^(COMMIT|END)(\s+(WORK|TRANSACTION))?$/i.test(statement)) {
        const name = open.pop()
        // A COMMIT with no BEGIN of the engine's would end our transaction: it must not reach the server.
        return name ? `RELEASE SAVEPOINT ${name}` : 'SELECT 1'
      }
      if (/^(ROLLBACK|ABORT)(\s+(WORK|TRANSACTION))?$/i.test(statement)) {
        const name = open.pop()
        // One statement (PGlite's extended protocol takes no more); the savepoint itself goes with our transaction.
        return name ? `ROLLBACK TO SAVEPOINT ${name}` : 'SELECT 1'
      }
      return quirks(sql)
    },
  }
}

/**
 * PostgreSQL 18 (PGlite 0.5 is one) lists NOT NULL constraints in pg_constraint, as contype 'n'. The
 * pinned engine's describer reads every constraint that is not p/u/f as a check or exclusion
 * constraint, does not know 'n', and panics ("Getting constraint_type … as char failed"): every diff
 * of a database with a NOT NULL column would crash. That one query is narrowed to leave 'n' out;
 * the engine reads nullability from pg_attribute anyway. test/pglite-target.test.ts notices when
 * the engine stops sending it.
 */
const CONSTRAINTS_QUERY = /(FROM pg_constraint constr[\s\S]*\bAND contype NOT IN \('p', 'u', 'f')(\))/
export const engineQuirkStats = { notNullConstraintsSkipped: 0 }

function quirks(sql: string): string {
  const m = CONSTRAINTS_QUERY.exec(sql)
  if (!m) return sql
  engineQuirkStats.notNullConstraintsSkipped++
  return sql.replace(CONSTRAINTS_QUERY, `$1, 'n'$2`)
}

const CHAR_OID = 18
const TEXT_OID = 25

function charAsText<T extends { fields?: { dataTypeID: number }[] }>(result: T): T {
  for (const field of result.fields ?? []) if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID
  return result
}

export async function engineConnection(location: PostgresLocation, options: { begin: boolean, timeoutMs?: number }): Promise<EngineConnection> {
  const session = await openSession(location, options.timeoutMs ?? 10_000)
  const rewriter = transactionRewriter(options.begin)
  let built: { factory: SqlMigrationAwareDriverAdapterFactory }
  try {
    if (options.begin) await session.connection.exec('BEGIN')
    built = session.kind === 'postgres' ? await serverFactory(session, rewriter, location) : await pgliteFactory(session, rewriter)
  } catch (error) {
    await session.connection.close()
    throw error
  }
  let ended = false
  return {
    factory: built.factory,
    connection: () => session.connection,
    async end(how) {
      if (ended) return
      ended = true
      try {
        if (options.begin) await finish(session.connection, how, location.label)
      } finally {
        await session.connection.close()
      }
    },
  }
}

/**
 * COMMIT of a transaction in which a statement failed is answered with ROLLBACK, and no error:
 * taken at its word, it would report a change as saved that was thrown away. Ask first.
 */
async function finish(connection: PgConnection, how: 'COMMIT' | 'ROLLBACK', label: string): Promise<void> {
  if (how === 'ROLLBACK') {
    await connection.exec('ROLLBACK')
    return
  }
  let aborted: unknown
  try {
    await connection.query('SELECT 1')
  } catch (error) {
    aborted = error
  }
  if (aborted !== undefined) {
    await connection.exec('ROLLBACK').catch(() => {})
    throw new MigrateError('APPLY', `the transaction on ${label} had failed, so it was rolled back instead of committed: ${errorMessage(aborted)}`, {
      hint: 'nothing of this run was saved; see the earlier error for the statement that failed',
      cause: aborted,
    })
  }
  await connection.exec('COMMIT')
}

async function serverFactory(session: Extract<RawSession, { kind: 'postgres' }>, rewriter: Rewriter, location: PostgresLocation): Promise<{ factory: SqlMigrationAwareDriverAdapterFactory }> {
  const { PrismaPg } = await import('@prisma/adapter-pg')
  const client = session.client
  const send = (config: unknown, values?: unknown): Promise<pg.QueryResult> => {
    if (typeof config === 'string') return client.query(rewriter.rewrite(config), values as unknown[] | undefined).then(charAsText)
    const c = config as pg.QueryConfig
    return client.query({ ...c, text: rewriter.rewrite(c.text) }, values as unknown[] | undefined).then(charAsText)
  }
  // The adapter only accepts a pg.Pool (it checks with instanceof). This one never connects: every
  // query goes to our client, and a pool client (for the adapter's own transactions) is the same
  // client, whose release does nothing.
  class OneClientPool extends pg.Pool {
    override query(...args: unknown[]): never {
      return send(args[0], args[1]) as never
    }

    override connect(...args: unknown[]): never {
      if (args.length > 0) throw new MigrateError('INTERNAL', 'the engine asked for a callback-style pool connection')
      const proxy = { query: (config: unknown, values?: unknown) => send(config, values), release() {}, on() { return proxy }, removeListener() { return proxy } }
      return Promise.resolve(proxy) as never
    }

    override end(): never {
      return Promise.resolve() as never
    }
  }
  const pool = new OneClientPool({ max: 1 })
  const inner = new PrismaPg(pool, location.kind === 'postgres' && location.schema !== undefined ? { schema: location.schema } : undefined)
  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: inner.provider,
    adapterName: inner.adapterName,
    async connect() {
      return withScripts(await inner.connect(), send)
    },
    connectToShadowDb() {
      throw new MigrateError('ENGINE', `the schema engine asked for a shadow database on ${location.label}, which migrate-plugin never creates`)
    },
  }
  return { factory }
}

async function pgliteFactory(session: Extract<RawSession, { kind: 'pglite' }>, rewriter: Rewriter): Promise<{ factory: SqlMigrationAwareDriverAdapterFactory }> {
  let adapterModule: typeof import('pglite-prisma-adapter')
  try {
    adapterModule = await import('pglite-prisma-adapter')
  } catch (error) {
    throw new MigrateError('CONFIG', `a pglite: database needs the pglite-prisma-adapter package, which cannot be loaded: ${errorMessage(error)}`, {
      hint: 'npm install -D @electric-sql/pglite pglite-prisma-adapter',
      cause: error,
    })
  }
  const db = session.db
  const send = async (sql: string, values?: unknown[], opts?: Record<string, unknown>) => charAsText(await db.query(rewriter.rewrite(sql), values, opts))
  // The adapter is handed this stand-in for the PGlite instance: the same queries, rewritten.
  const client = {
    query: send,
    exec: (sql: string) => withScriptsRun(sql, (s) => send(s)),
    // PGlite's transaction() sends its own BEGIN and COMMIT, past the rewriting: that COMMIT would end
    // our transaction. The engine has not been seen to ask for one; if it ever does, it must fail loudly.
    transaction() {
      throw new MigrateError('ENGINE', 'the schema engine asked PGlite for a transaction of its own, which would end the migration\'s transaction early')
    },
  }
  const inner = new adapterModule.PrismaPGlite(client as unknown as typeof db)
  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: inner.provider,
    adapterName: inner.adapterName,
    async connect() {
      return withScripts(await inner.connect(), (sql) => send(sql))
    },
    connectToShadowDb() {
      throw new MigrateError('ENGINE', 'the schema engine asked for a shadow database, which migrate-plugin never creates')
    },
  }
  return { factory }
}

/**
 * The adapters' executeScript splits at every ";" (pg) or does not wait for the script and drops
 * its error (PGlite): both replaced by one that splits statements properly, runs them one by one
 * through the rewriting query, and fails when one fails.
 */
function withScripts(adapter: SqlDriverAdapter, send: (sql: string) => Promise<unknown>): SqlDriverAdapter {
  adapter.executeScript = (script) => withScriptsRun(script, send)
  return adapter
}

async function withScriptsRun(script: string, send: (sql: string) => Promise<unknown>): Promise<void> {
  for (const statement of splitStatements(script)) await send(statement)
}
