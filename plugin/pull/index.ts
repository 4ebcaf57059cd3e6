import { existsSync, lstatSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { loadConfig, type ResolvedConfig } from '../core/config.ts'
import { MigrateError, errorMessage } from '../core/errors.ts'
import type { CommonOptions } from '../pipeline/inspect.ts'
import { listModelFiles } from '../model/files.ts'
import { databaseError } from '../targets/sqlite/target.ts'
import { openForReading } from '../targets/sqlite/open.ts'
import { readCatalogue } from './catalogue.ts'
import { describeCatalogue, type Unmodelled } from './describe.ts'
import { renderFiles, type RenderedFile } from './render.ts'

/**
 * `pull`: model files from the tables of an existing SQLite database, so that `check` right after
 * finds nothing to do. Reads the catalogue on a read-only connection and writes only model files:
 * the database is not changed, and an existing model file is never overwritten without --force.
 */

export interface PullOptions extends CommonOptions {
  force?: boolean
  dryRun?: boolean
  /** Make enumType()s of text columns a CHECK (x IN (…)) restricts. */
  enums?: boolean
}

export interface PullResult {
  config: ResolvedConfig
  files: RenderedFile[]
  /** Absolute paths written (none on a dry run). */
  written: string[]
  /** Files that existed and were replaced (--force). */
  replaced: string[]
  /** Model files already in the folder that pull does not write: they may define the same tables. */
  others: string[]
  unmodelled: Unmodelled[]
  skipped: string[]
}

export async function pull(options: PullOptions): Promise<PullResult> {
  const config = loadConfig({
    ...(options.root ? { root: options.root } : {}),
    ...(options.config ? { configFile: options.config } : {}),
    ...(options.overrides ? { overrides: options.overrides } : {}),
    ...(options.env ? { env: options.env } : {}),
  })
  if (config.databaseKind !== 'sqlite') {
    throw new MigrateError('USAGE', `pull supports SQLite for now; the configured database is ${config.databaseKind === 'pglite' ? 'PGlite' : 'PostgreSQL'} (${config.databaseUrl})`, {
      hint: 'point [database] url (or DATABASE_URL) at a SQLite file to pull from it, or write the models by hand for PostgreSQL',
    })
  }
  const dbPath = config.databasePath
  if (!existsSync(dbPath)) {
    throw new MigrateError('DATABASE', `the database ${shown(dbPath)} does not exist: there is nothing to pull models from`, {
      location: { file: dbPath },
      hint: 'check [database] url in migration.conf (or DATABASE_URL); pull reads an existing database and never creates one',
    })
  }
  let catalogue
  try {
    const db = openForReading(dbPath, config.lockTimeout * 1000)
    try {
      catalogue = readCatalogue(db, config.historyTable)
    } finally {
      db.close()
    }
  } catch (error) {
    if (error instanceof MigrateError) throw error
    throw databaseError(error, dbPath)
  }
  const description = describeCatalogue(catalogue, { enums: !!options.enums })
  const files = renderFiles(description)
  const result: PullResult = { config, files, written: [], replaced: [], others: [], unmodelled: description.unmodelled, skipped: description.skipped }
  if (files.length === 0) return result
  const dir = config.modelDirectory
  if (existsSync(dir) && !lstatSync(dir).isDirectory()) {
    throw new MigrateError('OUTPUT', `the model directory ${shown(dir)} is not a folder`, { location: { file: dir }, hint: 'set [migration] model_directory in migration.conf to a folder, or move the file away' })
  }
  // Every file is checked before any is written: a refusal leaves the model folder as it was.
  const existing = files.map((f) => join(dir, f.path)).filter((path) => existsSync(path) || isLink(path))
  if (existing.length > 0 && !options.force) {
    throw new MigrateError('OUTPUT', `pull would overwrite ${existing.length} existing model file(s): ${existing.map(shown).join(', ')}; nothing was written`, {
      location: { file: existing[0]! },
      hint: 'move them away, or run npx migrate-plugin pull --force to replace them (--dry-run shows what would be written)',
    })
  }
  const ours = new Set(files.map((f) => join(dir, f.path)))
  result.others = existsSync(dir) ? listModelFiles(dir).filter((path) => !ours.has(path)) : []
  if (options.dryRun) return result
  try {
    mkdirSync(dir, { recursive: true })
    for (const f of files) {
      const path = join(dir, f.path)
      if (existing.includes(path)) {
        result.replaced.push(path)
        // --force replaces the model file, never what a link there points at (a file outside the project).
        if (lstatSync(path).isSymbolicLink()) unlinkSync(path)
      }
      writeFileSync(path, f.content, { flag: existing.includes(path) ? 'w' : 'wx' })
      result.written.push(path)
    }
  } catch (error) {
    throw new MigrateError('OUTPUT', `could not write the model files in ${dir}: ${errorMessage(error)}${result.written.length ? ` (written before the failure: ${result.written.join(', ')})` : ''}`, {
      location: { file: dir }, hint: 'check that the folder is writable, then run pull again (with --force for the files already written)', cause: error,
    })
  }
  return result
}

/** Relative to where the command runs, as the rest of the CLI shows paths. */
function shown(path: string): string {
  const r = relative(process.cwd(), path)
  return r === '' || r.startsWith('..') ? path : r
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink()
  } catch {
    return false
  }
}
