import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import { bindMigrationAwareSqlAdapterFactory, type SqlDriverAdapter, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils'
import { afterAll, describe, expect, it } from 'vitest'
import { MigrateError } from '../plugin/core/errors.ts'
import { formatAndValidate, formatterCrash } from '../plugin/engine/prisma-format.ts'
import { engineStats, formatterStats, loadEngineModule, schemaWasmModule, takePanicMessage } from '../plugin/engine/wasm.ts'

/**
 * Both Prisma wasm modules report a panic's message through one global registry, and the panic
 * itself arrives as a bare "RuntimeError: unreachable". These tests make each module panic for real
 * (both ship a debug method for exactly that) and check the message reaches us. This file's process
 * is its own (vitest forks per file), so the engine module a panic leaves unusable is no one else's.
 */

const root = mkdtempSync(join(tmpdir(), 'mp-wasm-panic-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const SCHEMA = 'datasource db {\n  provider = "sqlite"\n}\n\nmodel A {\n  id Int @id\n}\n'

describe('the panic registry both wasm modules report to', () => {
  it('captures the formatter\'s own panic, once, even after Prisma Client replaced the registry on import', async () => {
    // Prisma Client's runtime installs a registry that throws, at import: the next use of our module puts ours back.
    await import('@prisma/client/runtime/client')
    const clientRegistry = (globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown }).PRISMA_WASM_PANIC_REGISTRY
    expect(clientRegistry).toBeDefined()
    const wasm = schemaWasmModule()
    expect((globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown }).PRISMA_WASM_PANIC_REGISTRY).not.toBe(clientRegistry)
    let thrown: unknown
    try {
      wasm.debug_panic()
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(WebAssembly.RuntimeError)
    const crash = formatterCrash(thrown as WebAssembly.RuntimeError)
    expect(crash).toBeInstanceOf(MigrateError)
    expect(crash.code).toBe('ENGINE')
    expect(crash.message).toMatch(/^Prisma's schema formatter crashed: panicked at .*debug_panic/s)
    expect(crash.hint).toMatch(/bug in Prisma's schema tooling/)
    // Taken once: a later crash without a message of its own is not explained by this one.
    expect(takePanicMessage()).toBeUndefined()
    // The formatter survives its debug panic and still formats and validates.
    expect(formatAndValidate(SCHEMA, [])).toContain('model A {')
  })

  it('captures an engine panic\'s message when the formatter was loaded first', async () => {
    // The order of a real run: the schema is formatted and validated before the engine starts.
    expect(formatterStats.loads).toBe(1)
    expect(engineStats.loads).toBe(0)
    const bg = await loadEngineModule()
    expect(engineStats.loads).toBe(1)
    const inner = new PrismaBetterSqlite3({ url: join(root, 'panic.db') })
    const adapters: SqlDriverAdapter[] = []
    const factory: SqlMigrationAwareDriverAdapterFactory = {
      provider: inner.provider,
      adapterName: inner.adapterName,
      async connect() {
        const adapter = await inner.connect()
        adapters.push(adapter)
        return adapter
      },
      connectToShadowDb: () => inner.connectToShadowDb(),
    }
    const engine = await bg.SchemaEngine.new({ datamodels: undefined }, () => {}, bindMigrationAwareSqlAdapterFactory(factory))
    try {
      let thrown: unknown
      try {
        engine.debugPanic()
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(WebAssembly.RuntimeError)
      expect(takePanicMessage()).toMatch(/^panicked at .*schema-engine/s)
      expect(takePanicMessage()).toBeUndefined()
    } finally {
      for (const adapter of adapters) await adapter.dispose()
    }
  })
})
