import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils'
import type { SchemaEngine as WasmSchemaEngine, SchemaFilter, SchemaPushOutput } from '@prisma/schema-engine-wasm'
import { MigrateError, errorMessage } from '../core/errors.ts'
import { datasourceBlock, type SchemaProvider } from '../schema/provider.ts'
import { clearPanicMessage, engineStats, ensurePanicRegistry, loadEngineModule, takePanicMessage } from './wasm.ts'

/**
 * Prisma's schema engine, compiled to WebAssembly, driven through a driver adapter that each target
 * (plugin/targets/) builds for its database.
 * No native binary and no network. The package is "internal" upstream, so everything we rely on
 * is pinned in package.json and exercised by test/engine-contract.test.ts.
 */

// The one loader of the engine's wasm lives in wasm.ts; callers that only warm it up import it from here.
export { engineStats, loadEngineModule } from './wasm.ts'

/** The engine on one database connection: diff and push, both through the adapter it was given. */
export interface EngineSession {
  /** Engine diff from the live database to `schema`: the SQL script, empty when in sync. */
  diff(schema: string): Promise<string>
  /** Engine push of `schema` (not atomic by itself: the target runs it inside its transaction). */
  push(schema: string, force: boolean): Promise<SchemaPushOutput>
  /** Frees the engine instance; the connection is the target's to end. */
  free(): void
}

/**
 * Start the engine on a target's adapter factory. The target decides what a connection is (one
 * connection, inside the transaction it opened on connect) and ends it; the engine only ever
 * talks to the database through it. `provider` picks the engine's connector.
 */
export async function startEngine(factory: SqlMigrationAwareDriverAdapterFactory, provider: SchemaProvider, filters: SchemaFilter): Promise<EngineSession> {
  const bg = await loadEngineModule()
  const { bindMigrationAwareSqlAdapterFactory } = await import('@prisma/driver-adapter-utils')
  const bound = bindMigrationAwareSqlAdapterFactory(factory)
  let engine: WasmSchemaEngine | undefined
  try {
    ensurePanicRegistry()
    clearPanicMessage()
    engine = await bg.SchemaEngine.new({ datamodels: undefined }, () => {}, bound)
  } catch (error) {
    throw engineError(error, bound)
  }
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
  return {
    async diff(schema) {
      engineStats.diffs++
      const result = await call((e) => e.diff({
        from: { tag: 'schemaDatasource', ...files(datasourceOnly(provider)), configDir: process.cwd() },
        to: { tag: 'schemaDatamodel', ...files(schema) },
        script: true,
        exitCode: true,
        filters,
      }))
      return result.exitCode === 2 ? (result.stdout ?? '') : ''
    },
    push: (schema, force) => {
      engineStats.pushes++
      return call((e) => e.schemaPush({ schema: files(schema), force, filters }))
    },
    free() {
      try { engine?.free() } catch { /* a poisoned instance throws even here */ }
      engine = undefined
    },
  }
}

/** The "from" side of a diff: the live database the adapter is connected to, described by its provider alone. */
export function datasourceOnly(provider: SchemaProvider): string {
  return `${datasourceBlock(provider)}\n`
}

/** Turn what the engine throws into something a user can read: the adapter's real error, not "External error id#N". */
export function engineError(error: unknown, bound: { errorRegistry: { consumeError(id: number): { error: unknown } | undefined } }): MigrateError {
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
