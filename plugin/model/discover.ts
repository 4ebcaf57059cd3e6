import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { extname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { MigrateError, formatLocation } from '../core/errors.ts'
import { TABLE, isTable, type AnyTable } from './dsl.ts'
import type { LoadReads } from './reads.ts'
import { locateLoadFault, read, userFileTest, type Retransform } from './load-location.ts'
import { tableSourceLine } from './table-line.ts'
import { transformModelCode } from './transform.ts'
import type { SchemaProvider } from '../schema/provider.ts'

export interface DiscoveredTable {
  table: AnyTable
  /** Path relative to the project root, with forward slashes: what users see in messages. */
  file: string
  exportName: string
}

export interface PrismaFragment {
  file: string
  content: string
  /** Top-level blocks (model, enum, view, type) with the table each model maps to. */
  blocks: { kind: string, name: string, table?: string, line: number }[]
}

export interface ModelFile {
  file: string
  hash: string
}

export interface DiscoveredModels {
  tables: DiscoveredTable[]
  fragments: PrismaFragment[]
  files: ModelFile[]
  /** Absolute paths of the project's own files the models imported from outside the model folder (helpers, shared enums): watched too. */
  dependencies: string[]
  /** What the model code read while loading (environment, files): re-checked before an earlier load is reused. */
  reads?: LoadReads
}

const nodeRequire = createRequire(import.meta.url)

import { listModelFiles } from './files.ts'

export interface DiscoverOptions {
  /** Milliseconds the whole load may take (default 30 s). */
  timeoutMs?: number
  /** The database the models are for (default sqlite): the loader's own check of values it cannot copy follows its rules. */
  provider?: SchemaProvider
}

/**
 * Load every model file and collect what it exports. The files run in a worker thread (see
 * loader.ts): model code that never finishes loading fails the run after `timeoutMs` instead of
 * hanging a CLI or a dev server, and nothing a model does at import time reaches this process.
 */
export async function discoverModels(modelDir: string, projectRoot: string, options: DiscoverOptions = {}): Promise<DiscoveredModels> {
  const { loadModels } = await import('./loader.ts')
  return loadModels(modelDir, projectRoot, options.timeoutMs ?? 30_000, options.provider ?? 'sqlite')
}

export interface LoadHereOptions {
  /** The environment the model code sees (and whose reads are recorded). */
  env: NodeJS.ProcessEnv
  /** Told before each model file is evaluated: a load that hangs is reported as that file's. */
  onFile?: (path: string, file: string) => void
  /** Milliseconds the load may take: a synchronous child process a model starts gets no more. */
  timeoutMs?: number
  /** false: do not record reads (they cannot be isolated from the rest of this thread), so trust no earlier load. */
  record?: boolean
}

/**
 * The load itself, in this thread: the loader worker runs it. TypeScript is loaded with jiti, so
 * the CLI needs no build step. Imports of `migrate-plugin` from model files resolve to this very
 * copy of the package, so the DSL and discovery always agree.
 */
export async function discoverModelsHere(modelDir: string, projectRoot: string, options: LoadHereOptions): Promise<DiscoveredModels> {
  const paths = listModelFiles(modelDir)
  // Within one discovery every file is evaluated once (model files import each other: without a
  // cache that is quadratic). Across discoveries nothing may be stale, so whatever this run added to
  // Node's module cache is removed again at the end.
  const cacheBefore = new Set(Object.keys(nodeRequire.cache))
  // Imported here: a run that never loads a model (the fast paths) should not pay for the loader.
  const { createJiti } = await import('jiti')
  // Transpiled output is cached by content hash, so an edited file is never served stale — in the
  // project's own node_modules/.cache, not jiti's default folder in the shared temporary directory,
  // where a model file's code (and whatever it holds) would be readable by every user of the machine.
  const projectModules = join(projectRoot, 'node_modules')
  const jitiCache = existsSync(projectModules) ? join(projectModules, '.cache', 'jiti') : undefined
  const jiti = createJiti(import.meta.url, {
    moduleCache: true,
    fsCache: jitiCache ?? false,
    interopDefault: false,
    alias: selfAliases(),
    // The DSL is this package's own module, already loaded here: handed over as it is, it is neither
    // transformed again (a fresh clone paid for that, Babel included) nor a second copy of itself.
    virtualModules: { 'migrate-plugin/model': await import('../model.ts') },
    transform: transformModelCode,
  })
  const tables: DiscoveredTable[] = []
  const fragments: PrismaFragment[] = []
  const files: ModelFile[] = []
  const seen = new Set<string>()
  const loaded: string[] = []
  const ownSources = `${join(fileURLToPath(import.meta.url), '..', '..')}${sep}`
  const modelPaths = new Set(paths)
  // Model files are hashed into the inputs record already; packages and the loader's transpile
  // cache (under node_modules) are not the project's inputs (the lockfile stands for packages).
  const ignored = (path: string) => modelPaths.has(path) || path.startsWith(ownSources) || path.includes(`${sep}node_modules${sep}`) || path.endsWith(`${sep}node_modules`)
  const { startRecording } = await import('./record-reads.ts')
  const recording = options.record === false
    ? { stop: (): LoadReads => ({ reads: [], untracked: 'loaded without the loader thread' }) }
    : startRecording(options.env, ignored, (path) => resolve(path), options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs)
  let reads: LoadReads
  try {
    await loadAll()
  } finally {
    reads = recording.stop()
    // Packages stay cached (they do not change while we run, and others in this process share them).
    for (const key of Object.keys(nodeRequire.cache)) {
      if (cacheBefore.has(key) || key.includes(`${sep}node_modules${sep}`)) continue
      delete nodeRequire.cache[key]
      loaded.push(key)
    }
  }
  const dependencies = loaded.filter((path) => !modelPaths.has(path) && !path.startsWith(ownSources)).sort()
  // An imported project file is hashed as a dependency: its reads by the loader are no inputs of their own.
  const imported = new Set(dependencies)
  reads = { ...reads, reads: reads.reads.filter((r) => !imported.has(r.target)) }
  return { tables, fragments, files, dependencies, reads }

  async function loadAll(): Promise<void> {
    const sources = new Map<string, string[] | undefined>()
    for (const path of paths) {
      const file = displayPath(path, projectRoot)
      const content = readFileSync(path)
      files.push({ file, hash: createHash('sha256').update(content).digest('hex') })
      if (path.endsWith('.prisma')) {
        fragments.push(parseFragment(file, content.toString('utf8')))
        continue
      }
      let exports: Record<string, unknown>
      options.onFile?.(path, file)
      try {
        exports = (await jiti.import(path)) as Record<string, unknown>
      } catch (error) {
        throw loadError(error, path, file, projectRoot, (p) => modelPaths.has(p), retransformer(createJiti))
      }
      for (const [exportName, value] of Object.entries(exports ?? {})) {
        if (!isTable(value)) continue
        // A table re-exported by another file (an index.ts) is the same definition loaded twice.
        const definedAt = value[TABLE].definedAt
        if (definedAt) definedAt.line = tableSourceLine(definedAt.file, value[TABLE].name, definedAt.line, sources)
        const identity = definedAt ? `${value[TABLE].name}@${definedAt.file}:${definedAt.line}` : undefined
        if (identity && seen.has(identity)) continue
        if (identity) seen.add(identity)
        tables.push({ table: value, file: definedAt ? displayPath(definedAt.file, projectRoot) : file, exportName })
      }
    }
  }
}

export function displayPath(path: string, projectRoot: string): string {
  const rel = relative(projectRoot, path)
  return (rel.startsWith('..') ? path : rel).split(sep).join('/')
}

function selfAliases(): Record<string, string> {
  const here = fileURLToPath(import.meta.url)
  const ext = extname(here)
  const root = join(here, '..', '..')
  return {
    'migrate-plugin/model': join(root, `model${ext}`),
    'migrate-plugin': join(root, `index${ext}`),
  }
}

/**
 * A load failure names the file at fault — the model file, or the file it imports that is broken —
 * with line and column when the error tells them (load-location.ts reads them).
 */
export function loadError(error: unknown, path: string, file: string, projectRoot: string, isModelFile: (path: string) => boolean, retransform?: Retransform): MigrateError {
  const ownSources = `${join(fileURLToPath(import.meta.url), '..', '..')}${sep}`
  const fault = locateLoadFault(error, path, userFileTest(ownSources), retransform)
  const faultFile = displayPath(fault.path, projectRoot)
  const location = { file: faultFile, ...(fault.line === undefined ? {} : { line: fault.line }), ...(fault.column === undefined ? {} : { column: fault.column }) }
  // The DSL refuses a bad table() call while the file loads: that is a model error with its own hint,
  // not a broken file. Told by shape, since the DSL may be another copy of this package.
  const dsl = fault.notAnError ? undefined : { name: read(error, 'name'), code: read(error, 'code'), hint: read(error, 'hint'), message: read(error, 'message') }
  if (dsl?.code === 'MODEL_INVALID' && (dsl.name === 'ModelError' || dsl.name === 'MigrateError') && typeof dsl.message === 'string') {
    return new MigrateError('MODEL_INVALID', `${formatLocation(location)}: ${String(dsl.message).split('\n')[0]}`, {
      location,
      ...(typeof dsl.hint === 'string' ? { hint: dsl.hint } : {}),
      cause: error,
    })
  }
  // The model file whose import led there: the importer itself when the chain is one step, its top otherwise.
  const via = fault.path === path ? '' : ` (reached from ${file})`
  const subject = isModelFile(fault.path) ? 'the model file' : 'the file'
  if (fault.notAnError) {
    return new MigrateError('MODEL_LOAD', `${formatLocation(location)}: ${subject} failed to load: it ${fault.message}; such a value carries no stack, so the file that threw it cannot be known: ${file} or a file it imports`, {
      location,
      hint: `find the throw of that value in ${file} or the files it imports and throw an Error instead (throw new Error('…')): an Error names its file and line`,
      cause: error,
    })
  }
  const detail = fault.kind === 'syntax' ? `syntax error: ${fault.message.replace(/^\w+: /, '')}` : fault.message
  const hint = fault.kind === 'syntax'
    ? 'fix the syntax there (model files are TypeScript or JavaScript modules); the run goes on once that file parses'
    : fault.kind === 'missing-import'
      ? `check '${fault.specifier ?? 'the import'}' in ${faultFile}: a relative import is resolved from that file's folder (a file there, with or without its extension, or a folder with an index file); a package must be installed in the project`
      : 'fix the error at that place; model files are loaded like any module, so whatever they run at import time (and whatever they import) must succeed'
  return new MigrateError('MODEL_LOAD', `${formatLocation(location)}: ${subject} failed to load${via}: ${detail}`, { location, hint, cause: error })
}

/**
 * Transforms a file the way the loader did, with a source map: a runtime error's column is one in
 * the transpiled code and is mapped back through it. Only TypeScript and ES module files are
 * transpiled by the loader; anything else ran as written and needs no mapping.
 */
function retransformer(createJiti: typeof import('jiti').createJiti): Retransform {
  let jiti: ReturnType<typeof createJiti> | undefined
  return (path, source) => {
    const ts = /\.[cm]?tsx?$/.test(path)
    if (!ts && !/^\s*(import|export)\b/m.test(source)) return undefined
    jiti ??= createJiti(import.meta.url, { fsCache: false, moduleCache: false, sourceMaps: true, interopDefault: false, transform: transformModelCode })
    return jiti.transform({ source, filename: path, ts })
  }
}

const BLOCK = /^\s*(model|enum|view|type|datasource|generator)\s+([A-Za-z_]\w*)\s*\{/

/** Enough of Prisma's syntax to know which models and tables a fragment defines; Prisma validates the rest. */
export function parseFragment(file: string, content: string): PrismaFragment {
  const blocks: PrismaFragment['blocks'] = []
  const lines = content.split('\n')
  let current: PrismaFragment['blocks'][number] | undefined
  lines.forEach((text, i) => {
    const open = BLOCK.exec(text)
    if (open) {
      const [, kind, name] = open
      if (kind === 'datasource' || kind === 'generator') {
        throw new MigrateError('MODEL_INVALID', `${file}:${i + 1}: a ${kind} block does not belong in a model fragment`, {
          location: { file, line: i + 1 },
          hint: 'migrate-plugin generates the datasource and generator itself; keep only model and enum blocks in .prisma files under the model directory',
        })
      }
      current = { kind: kind!, name: name!, line: i + 1 }
      if (kind === 'model') current.table = name
      blocks.push(current)
      return
    }
    const map = /^\s*@@map\(\s*(?:name:\s*)?"([^"]+)"\s*\)/.exec(text)
    if (map && current?.kind === 'model') current.table = map[1]
    if (/^\s*\}/.test(text)) current = undefined
  })
  return { file, content, blocks }
}
