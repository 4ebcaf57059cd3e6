import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { listModelFiles } from '../model/files.ts'
import { readsUnchanged, type LoadReads } from '../model/reads.ts'
import type { ResolvedConfig } from './config.ts'
import { TOOL_VERSION } from './version.ts'

/**
 * What a fresh process needs to know that the models have not changed since a run that loaded
 * them, without loading them again (loading TypeScript models costs the CLI more than everything
 * else on an in-sync project: the loader, then every file).
 *
 * The key is a content hash of everything the generated schema is made from: every model file, the
 * project files they imported (recorded by the run that loaded them), the settings the schema
 * depends on, the tool's version, and the project's lockfile (standing in for imported packages).
 * What the model code read while loading (environment variables, files: `reads`) is re-checked
 * too, and models that did something no record can re-check (ran a process, used the network)
 * get no key at all, so they are loaded on every run.
 * Whatever the key maps to is only trusted together with the database's own record (history row +
 * live fingerprint), exactly as on the ordinary fast path; any difference takes the full path.
 */
export interface InputsRecord {
  /** Null when the last load found imports the key did not cover yet: the next load records them. */
  key: string | null
  schemaHash: string
  tables: string[]
  dependencies: string[]
  reads?: LoadReads
}

const LOCKFILES = ['package-lock.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb']

function cachePath(config: ResolvedConfig): string {
  const id = createHash('sha256').update(config.databasePath).digest('hex').slice(0, 16)
  return join(config.root, 'node_modules', '.cache', 'migrate-plugin', `inputs-${id}.json`)
}

export function readInputsRecord(config: ResolvedConfig): InputsRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(cachePath(config), 'utf8')) as InputsRecord
    if (!Array.isArray(record.dependencies) || !Array.isArray(record.tables)) return undefined
    // A variable or file the models read has changed: the imports stay known, the key does not hold.
    return readsUnchanged(record.reads) ? record : { ...record, key: null }
  } catch {
    return undefined
  }
}

function contentHash(path: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex')
  } catch {
    return 'missing'
  }
}

/** The key for the files as they are now; `dependencies` are the imports recorded last time. */
export function inputsKey(config: ResolvedConfig, dependencies: string[]): string | undefined {
  let modelFiles: string[]
  try {
    modelFiles = listModelFiles(config.modelDirectory)
  } catch {
    return undefined
  }
  const hash = createHash('sha256')
  // Only the settings the generated schema depends on: flags such as --accept-data-loss must not
  // make the record miss.
  const { modelDirectory, schemaOutput, clientOutput, dropUnmodelledTables } = config
  hash.update(JSON.stringify({ version: TOOL_VERSION, modelDirectory, schemaOutput, clientOutput, dropUnmodelledTables }))
  for (const path of [...modelFiles, ...dependencies]) hash.update(`\n${path}\n${contentHash(path)}`)
  for (const name of LOCKFILES) hash.update(`\n${name}\n${contentHash(join(config.root, name))}`)
  return hash.digest('hex')
}

/**
 * Record what a load produced. `keyBefore` was taken before the load; it is stored only when the
 * files still hash the same afterwards and the load imported nothing the key did not cover, so a
 * file edited while the models were loading can never be paired with a schema it did not produce.
 */
export function writeInputsRecord(config: ResolvedConfig, keyBefore: string | undefined, coveredDependencies: string[], result: Omit<InputsRecord, 'key'>): void {
  if (!existsSync(join(config.root, 'node_modules'))) return
  const sameImports = JSON.stringify(coveredDependencies) === JSON.stringify(result.dependencies)
  const key = keyBefore !== undefined && sameImports && !result.reads?.untracked && inputsKey(config, result.dependencies) === keyBefore ? keyBefore : null
  const path = cachePath(config)
  try {
    mkdirSync(join(path, '..'), { recursive: true })
    // Written whole and renamed, so a concurrent reader never sees half a record.
    const temp = `${path}.${process.pid}.tmp`
    writeFileSync(temp, JSON.stringify({ key, ...result }))
    renameSync(temp, path)
  } catch {
    // A cache that cannot be written only costs the next run its shortcut.
  }
}
