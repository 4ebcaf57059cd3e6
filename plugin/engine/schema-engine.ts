import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils'
import type { SchemaEngine as WasmSchemaEngine, SchemaFilter, SchemaPushOutput } from '@prisma/schema-engine-wasm'
import { MigrateError, errorMessage } from '../core/errors.ts'

/**
 * Prisma's schema engine, compiled to WebAssembly, driven through a driver adapter that each target
 * (plugin/targets/) builds for its database.
 * No native binary and no network. The package is "internal" upstream, so everything we rely on
 * is pinned in package.json and exercised by test/engine-contract.test.ts.
 */

type Bg = Record<string, unknown> & {
  __wbg_set_wasm(exports: WebAssembly.Exports): void
  SchemaEngine: typeof WasmSchemaEngine
}

let loaded: Promise<Bg> | undefined
/** Set by tests and by the fast-path check: how many times the wasm module was instantiated. */
export const engineStats = { loads: 0, boundIndexQueries: 0 }

const require = createRequire(import.meta.url)

/** Instantiate the wasm module once per process: a second instantiation crashes the bindings. */
export function loadEngineModule(): Promise<Bg> {
  loaded ??= (async () => {
    const bgPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')
    const bg = (await import('@prisma/schema-engine-wasm/schema_engine_bg')) as unknown as Bg
    const imports: Record<string, unknown> = { ...bg }
    for (const key of Object.keys(imports)) {
      // The engine arms long timers (60 s) through this import; an unref'd timer lets the CLI and
      // `vite build` exit as soon as their work is done instead of hanging on it.
      if (key.startsWith('__wbg_setTimeout_')) {
        imports[key] = (fn: () => void, ms: number) => {
          const timer = setTimeout(fn, ms >>> 0)
          timer.unref()
          return timer
        }
      }
    }
    const g = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(msg: string): void }, __migratePluginLastPanic?: string }
    g.PRISMA_WASM_PANIC_REGISTRY ??= { set_message: (msg: string) => { g.__migratePluginLastPanic = msg } }
    const bytes = await readFile(join(dirname(bgPath), 'schema_engine_bg.wasm'))
    // The engine's 5 MB of wasm: V8's optimising tier (TurboFan) spends more time compiling it in the
    // background than the engine spends running, and keeps the process alive until it is done.
    // Measured on 2 cores: create 100 tables 1.8 s → 0.75 s, 1000 tables 9.0 s → 5.3 s and 508 → 329 MB RSS
    // with the baseline compiler only. The flag is switched back right after, so other wasm in the
    // same process (a bundler's) is compiled as usual.
    setFlagsFromString('--liftoff-only')
    let instance: WebAssembly.Instance
    try {
      instance = (await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': imports as WebAssembly.ModuleImports })).instance
    } finally {
      setFlagsFromString('--no-liftoff-only')
    }
    bg.__wbg_set_wasm(instance.exports)
    ;(instance.exports.__wbindgen_start as () => void)()
    engineStats.loads++
    return bg
  })()
  return loaded
}

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
export async function startEngine(factory: SqlMigrationAwareDriverAdapterFactory, provider: 'sqlite' | 'postgresql', filters: SchemaFilter): Promise<EngineSession> {
  const bg = await loadEngineModule()
  const { bindMigrationAwareSqlAdapterFactory } = await import('@prisma/driver-adapter-utils')
  const bound = bindMigrationAwareSqlAdapterFactory(factory)
  let engine: WasmSchemaEngine | undefined
  try {
    engine = await bg.SchemaEngine.new({ datamodels: undefined }, () => {}, bound)
  } catch (error) {
    throw engineError(error, bound)
  }
  const files = (schema: string) => ({ files: [{ path: 'schema.prisma', content: schema }] })
  const call = async <T>(fn: (e: WasmSchemaEngine) => Promise<T>): Promise<T> => {
    if (!engine) throw new MigrateError('ENGINE', 'the schema engine crashed earlier in this run')
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
    free() {
      try { engine?.free() } catch { /* a poisoned instance throws even here */ }
      engine = undefined
    },
  }
}

function datasourceOnly(provider: 'sqlite' | 'postgresql'): string {
  return `datasource db {\n  provider = "${provider}"\n}\n`
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
    const panic = (globalThis as { __migratePluginLastPanic?: string }).__migratePluginLastPanic
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
