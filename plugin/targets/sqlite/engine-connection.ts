import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils'
import type Database from 'better-sqlite3'
import type { SchemaFilter, SchemaPushOutput } from '@prisma/schema-engine-wasm'
import { countStatements, crashPoint } from '../../core/crash.ts'
import { MigrateError } from '../../core/errors.ts'
import { engineStats, startEngine } from '../../engine/schema-engine.ts'

/** The engine on a SQLite file, inside one transaction of ours. */
export interface SqliteEngineSession {
  diff(schema: string): Promise<string>
  push(schema: string, force: boolean): Promise<SchemaPushOutput>
  /** One statement of a script, run on the engine's connection inside the transaction. */
  execute(statement: string): Promise<void>
  /** The connection the engine uses, inside the open transaction. */
  connection(): Database.Database
  commit(): Promise<void>
  rollback(): Promise<void>
  close(): Promise<void>
}

interface AdapterWithClient extends SqlDriverAdapter {
  client?: Database.Database
}

/**
 * Every connection the engine opens first runs `PRAGMA foreign_keys=OFF; BEGIN IMMEDIATE`, so that
 * diff, push, verify and our history write all happen in one SQLite transaction that we commit or
 * roll back. Foreign keys must be switched off outside the transaction (inside it the pragma is a
 * no-op): a parent-table redefinition would otherwise cascade-delete child rows.
 */
export async function openSqliteEngine(dbPath: string, filters: SchemaFilter, busyTimeoutMs: number, mode: 'write' | 'read' = 'write'): Promise<SqliteEngineSession> {
  // Loaded here, not at the top: the fast path (most runs) never needs the driver adapter.
  const { PrismaBetterSqlite3 } = await import('@prisma/adapter-better-sqlite3')
  const inner = new PrismaBetterSqlite3({ url: dbPath, timeout: busyTimeoutMs })
  const adapters: AdapterWithClient[] = []
  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: inner.provider,
    adapterName: inner.adapterName,
    async connect() {
      const adapter = (await inner.connect()) as AdapterWithClient
      adapters.push(adapter)
      quirks(adapter)
      // A read-only session (check) takes no write lock: it works on read-only files and never waits on writers.
      await adapter.executeScript(mode === 'write' ? 'PRAGMA foreign_keys=OFF; BEGIN IMMEDIATE;' : 'BEGIN;')
      if (mode === 'write') {
        crashPoint('begin')
        countStatements(adapter)
      }
      return adapter
    },
    connectToShadowDb: () => inner.connectToShadowDb(),
  }
  let engine
  try {
    engine = await startEngine(factory, 'sqlite', filters)
  } catch (error) {
    await disposeAll(adapters)
    throw error
  }
  let finished = false
  const end = async (sql: string) => {
    if (finished) return
    finished = true
    const db = adapters[0]?.client
    try {
      if (db?.inTransaction) db.exec(sql)
      db?.exec('PRAGMA foreign_keys=ON')
    } finally {
      engine.free()
      await disposeAll(adapters)
    }
  }
  return {
    diff: (schema) => engine.diff(schema),
    push: (schema, force) => engine.push(schema, force),
    // Through the engine's own connection, as its push would run it (and counted for the crash tests).
    async execute(statement) {
      const adapter = adapters[0]
      if (!adapter) throw new MigrateError('ENGINE', 'the schema engine has not opened the database')
      await adapter.executeScript(statement)
    },
    connection() {
      const client = adapters[0]?.client
      if (!client) throw new MigrateError('ENGINE', 'the schema engine has not opened the database')
      return client
    },
    commit: () => end('COMMIT'),
    rollback: () => end('ROLLBACK'),
    close: () => end('ROLLBACK'),
  }
}

/**
 * The engine reads a partial index's definition with `… AND name = "idx"`, a double-quoted string
 * literal. better-sqlite3 builds SQLite without double-quoted strings (SQLITE_DQS=0), so that query
 * fails and, with it, every diff of a database holding a partial index. That one query is rewritten
 * to a bound parameter; test/engine-contract.test.ts notices when the engine stops sending it.
 */
const INDEX_SQL_QUERY = /^(SELECT sql FROM sqlite_master WHERE type = 'index' AND name = )"((?:[^"]|"")*)"(;?)\s*$/

function quirks(adapter: SqlDriverAdapter): void {
  const queryRaw = adapter.queryRaw.bind(adapter)
  adapter.queryRaw = (query) => {
    const m = INDEX_SQL_QUERY.exec(query.sql)
    if (!m || query.args.length > 0) return queryRaw(query)
    engineStats.boundIndexQueries++
    return queryRaw({ ...query, sql: `${m[1]}?${m[3]}`, args: [m[2]!.replace(/""/g, '"')], argTypes: [{ scalarType: 'string', arity: 'scalar' }] })
  }
}

async function disposeAll(adapters: SqlDriverAdapter[]): Promise<void> {
  for (const adapter of adapters.splice(0)) {
    try { await adapter.dispose() } catch { /* already closed */ }
  }
}

