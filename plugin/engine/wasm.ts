import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import type { SchemaEngine as WasmSchemaEngine } from '@prisma/schema-engine-wasm'

/**
 * The one loader of Prisma's two wasm modules (the schema engine, and the schema formatter and
 * validator) and the one owner of the panic registry both report to.
 *
 * Both modules' panic hooks call `globalThis.PRISMA_WASM_PANIC_REGISTRY.set_message(msg)` at the
 * moment of the panic; the panic itself surfaces as a bare `RuntimeError: unreachable`. Whoever
 * defines the registry first gets every message, so it is defined here, before either module
 * loads, and put back before each use in case something else in the process (Prisma Client does,
 * at import) replaced it.
 */

interface PanicRegistry {
  set_message(message: string): void
}

let lastPanic: string | undefined
const registry: PanicRegistry = {
  set_message(message: string) {
    lastPanic = String(message)
  },
}

/** Make our registry the one the modules report to (cheap; call before every use of either module). */
export function ensurePanicRegistry(): void {
  const g = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: PanicRegistry }
  if (g.PRISMA_WASM_PANIC_REGISTRY !== registry) g.PRISMA_WASM_PANIC_REGISTRY = registry
}

/**
 * The message of the last panic of either module, once: a later crash without a message of its
 * own must not be explained by an old one.
 */
export function takePanicMessage(): string | undefined {
  const message = lastPanic
  lastPanic = undefined
  return message
}

/** Forget a panic nobody asked about, before a call whose crash should be explained by its own. */
export function clearPanicMessage(): void {
  lastPanic = undefined
}

const require = createRequire(import.meta.url)

/**
 * V8's optimising tier (TurboFan) spends more time compiling these modules in the background than
 * they spend running, and keeps the process alive until it is done. Measured on 2 cores for the
 * engine's 5 MB: create 100 tables 1.8 s → 0.75 s, 1000 tables 9.0 s → 5.3 s and 508 → 329 MB RSS
 * with the baseline compiler only. The flag is switched back right after, so other wasm in the
 * same process (a bundler's) is compiled as usual.
 */
async function withBaselineCompiler<T>(compile: () => T | Promise<T>): Promise<T> {
  setFlagsFromString('--liftoff-only')
  try {
    return await compile()
  } finally {
    setFlagsFromString('--no-liftoff-only')
  }
}

// --- the schema engine ---

export type EngineModule = Record<string, unknown> & {
  __wbg_set_wasm(exports: WebAssembly.Exports): void
  SchemaEngine: typeof WasmSchemaEngine
}

/**
 * The instantiated engine, per copy of its bindings, for the whole process: two copies of this
 * package in one process (a dev server that bundles its config loads the plugin a second time) share
 * the bindings module, and a second instantiation through it crashes the engine ("unreachable",
 * "memory access out of bounds"). Keyed by the bindings' path: separate installs have their own.
 */
const ENGINES = Symbol.for('migrate-plugin.engine-modules')
const engines: Map<string, Promise<EngineModule>> = ((globalThis as Record<symbol, unknown>)[ENGINES] ??= new Map()) as Map<string, Promise<EngineModule>>
/** Read by tests: how many times the engine module was instantiated, and how often it diffed and pushed. */
export const engineStats = { loads: 0, boundIndexQueries: 0, diffs: 0, pushes: 0 }

/** Instantiate the engine's wasm once per process: a second instantiation crashes the bindings. */
export function loadEngineModule(): Promise<EngineModule> {
  ensurePanicRegistry()
  const bgPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')
  let engineModule = engines.get(bgPath)
  engineModule ??= (async () => {
    const bg = (await import('@prisma/schema-engine-wasm/schema_engine_bg')) as unknown as EngineModule
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
    const bytes = await readFile(join(dirname(bgPath), 'schema_engine_bg.wasm'))
    const { instance } = await withBaselineCompiler(() => WebAssembly.instantiate(bytes, { './schema_engine_bg.js': imports as WebAssembly.ModuleImports }))
    bg.__wbg_set_wasm(instance.exports)
    ;(instance.exports.__wbindgen_start as () => void)()
    engineStats.loads++
    return bg
  })()
  engines.set(bgPath, engineModule)
  return engineModule
}

// --- the schema formatter and validator ---

export interface SchemaWasm {
  format(schema: string, params: string): string
  validate(params: string): void
  /** Prisma's own test hook: panics inside the module. */
  debug_panic(): void
}

let schemaWasm: SchemaWasm | undefined
/** Set by tests: how many times the formatter module was loaded. */
export const formatterStats = { loads: 0 }

/** `@prisma/prisma-schema-wasm`, loaded on first use (it instantiates itself, synchronously, when required). */
export function schemaWasmModule(): SchemaWasm {
  ensurePanicRegistry()
  if (!schemaWasm) {
    // Baseline compiler only, as for the engine (see withBaselineCompiler); the require is synchronous.
    setFlagsFromString('--liftoff-only')
    try {
      schemaWasm = require('@prisma/prisma-schema-wasm') as SchemaWasm
    } finally {
      setFlagsFromString('--no-liftoff-only')
    }
    formatterStats.loads++
  }
  return schemaWasm
}
