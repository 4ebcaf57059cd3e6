import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils'
import type Database from 'better-sqlite3'
import type { SchemaEngine as WasmSchemaEngine, SchemaFilter, SchemaPushOutput } from '@prisma/schema-engine-wasm'
import { MigrateError, errorMessage } from '../core/errors.ts'
import { countStatements, crashPoint } from '../core/crash.ts'
import { datasourceBlock, providerOfAdapter, type SchemaProvider } from '../schema/provider.ts'
import { clearPanicMessage, engineStats, ensurePanicRegistry, loadEngineModule, takePanicMessage } from './wasm.ts'

/**
 * Prisma's schema engine, compiled to WebAssembly, driven through the better-sqlite3 driver adapter.
 * No native binary and no network. The package is "internal" upstream, so everything we rely on
 * is pinned in package.json and exercised by test/engine-contract.test.ts.
 */

// The one loader of the engine's wasm lives in wasm.ts; callers that only warm it up import it from here.
export { engineStats, loadEngineModule } from './wasm.ts'

export interface EngineSession {
  /** Engine diff from the live database to `schema`: the SQL script, empty when in sync. */
  diff(schema: string): Promise<string>
  /** Engine push of `schema` (not atomic by itself: run it inside the session's transaction). */
  push(schema: string, force: boolean): Promise<SchemaPushOutput>
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
 * Open an engine session on `dbPath`: every connection the engine opens first runs
 * `PRAGMA foreign_keys=OFF; BEGIN IMMEDIATE`, so that diff, push, verify and our history write
 * all happen in one SQLite transaction that we commit or roll back. Foreign keys must be switched
 * off outside the transaction (inside it the pragma is a no-op): a parent-table redefinition would
 * otherwise cascade-delete child rows.
 */
export async function openEngineSession(dbPath: string, filters: SchemaFilter, busyTimeoutMs: number, mode: 'write' | 'read' = 'write'): Promise<EngineSession> {
  const bg = await loadEngineModule()
  // Loaded here, not at the top: the fast path (most runs) never needs the driver adapter.
  const { PrismaBetterSqlite3 } = await import('@prisma/adapter-better-sqlite3')
  const { bindMigrationAwareSqlAdapterFactory } = await import('@prisma/driver-adapter-utils')
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
  const bound = bindMigrationAwareSqlAdapterFactory(factory)
  let engine: WasmSchemaEngine | undefined
  const provider = providerOfAdapter(factory.provider)
  try {
    ensurePanicRegistry()
    clearPanicMessage()
    engine = await bg.SchemaEngine.new({ datamodels: undefined }, () => {}, bound)
  } catch (error) {
    await disposeAll(adapters)
    throw engineError(error, bound)
  }
  let finished = false

  const files = (schema: string) => ({ files: [{ path: 'schema.prisma', content: schema }] })
  const call = async <T>(fn: (e: WasmSchemaEngine) => Promise<T>): Promise<T> => {
    if (!engine) throw new MigrateError('ENGINE', 'the schema engine crashed earlier in this run')
    ensurePanicRegistry()
    clearPanicMessage()
    try {
      return await fn(engine)
    } catch (error) {
      // After a panic ("unreachable") the instance is poisoned: even free() throws. Drop it.
      if (error instanceof WebAssembly.RuntimeError) engine = undefined
      throw engineError(error, bound)
    }
  }
  const connection = (): Database.Database => {
    const client = adapters[0]?.client
    if (!client) throw new MigrateError('ENGINE', 'the schema engine has not opened the database')
    return client
  }
  const end = async (sql: string) => {
    if (finished) return
    finished = true
    const db = adapters[0]?.client
    try {
      if (db?.inTransaction) db.exec(sql)
      db?.exec('PRAGMA foreign_keys=ON')
    } finally {
      try { engine?.free() } catch { /* a poisoned instance throws even here */ }
      engine = undefined
      await disposeAll(adapters)
    }
  }
  return {
    async diff(schema) {
      const result = await call((e) => e.diff({
        from: { tag: 'schemaDatasource', ...files(datasourceOnly(provider)), configDir: process.cwd() },
        to: { tag: 'schemaDatamodel', ...files(schema) },
        script: true,
        exitCode: true,
        filters,
      }))
      return result.exitCode === 2 ? (result.stdout ?? '') : ''
    },
    push: (schema, force) => call((e) => e.schemaPush({ schema: files(schema), force, filters })),
    connection,
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

/** The "from" side of a diff: the live database the adapter is connected to, described by its provider alone. */
export function datasourceOnly(provider: SchemaProvider): string {
  return `${datasourceBlock(provider)}\n`
}

async function disposeAll(adapters: SqlDriverAdapter[]): Promise<void> {
  for (const adapter of adapters.splice(0)) {
    try { await adapter.dispose() } catch { /* already closed */ }
  }
}

/** Turn what the engine throws into something a user can read: the adapter's real error, not "External error id#N". */
function engineError(error: unknown, bound: { errorRegistry: { consumeError(id: number): { error: unknown } | undefined } }): MigrateError {
  let message = errorMessage(error)
  const external = /External error id#(\d+)/.exec(message)
  if (external) {
    const record = bound.errorRegistry.consumeError(Number(external[1]))
    if (record) message = describeDriverError(record.error)
  }
  if (error instanceof WebAssembly.RuntimeError) {
    const panic = takePanicMessage()
    message = `the schema engine crashed${panic ? `: ${panic}` : ''}`
  }
  // The engine appends a Rust backtrace ("   0: sql_schema_connector::…") that helps nobody reading it.
  message = message.replace(/\n\s+0: [\s\S]*$/, '').trim()
  const code = (error as { code?: string }).code
  return new MigrateError('ENGINE', code ? `${message} (${code})` : message, { cause: error })
}

function describeDriverError(error: unknown): string {
  if (error && typeof error === 'object') {
    const e = error as { kind?: string, message?: string, originalMessage?: string, cause?: string }
    return e.originalMessage ?? e.message ?? e.cause ?? JSON.stringify(error)
  }
  return String(error)
}
