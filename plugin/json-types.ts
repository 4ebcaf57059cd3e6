/**
 * The `--json` document types, apart from the code that prints them: they are part of the package's
 * public types, so (like types.ts) they name only this package's own types.
 */
import type { ErrorCode, Location } from './core/errors.ts'
import type { HistoryRecord, MigrateResult, ResolvedConfig } from './types.ts'

/**
 * The one shape of `--json` output. Scripts read it across releases, so it is versioned: every
 * document, errors included, starts with `"version": 1`. Adding a field keeps the version; renaming,
 * removing or retyping one bumps it. `command` says which member of JsonOutput a document is.
 */
export const JSON_OUTPUT_VERSION = 1

interface JsonOk<C extends string> {
  version: typeof JSON_OUTPUT_VERSION
  ok: true
  command: C
}

/** What a run of apply, preview or check reports (also `pending` in status): the run's result, with the config reduced to two paths. */
export interface JsonRunResult extends Omit<MigrateResult, 'config'> {
  databasePath: string
  /** The migration.conf in use; null when running on defaults. */
  configFile: string | null
}

export interface JsonApply extends JsonOk<'apply'>, JsonRunResult {
  /** Whether the Prisma Client was regenerated after the apply (absent when generate_client is off or it was up to date). */
  client?: 'generated' | 'not-installed'
}
export interface JsonPreview extends JsonOk<'preview'>, JsonRunResult {}
/** `check` exits 2 when `outcome` is "pending", 0 when "in-sync". */
export interface JsonCheck extends JsonOk<'check'>, JsonRunResult {}

/** `plan`: outcome "pending" and `path` when a plan file was written; "in-sync" (no path) when there was nothing to plan. */
export interface JsonPlan extends JsonOk<'plan'>, JsonRunResult {
  path?: string
  /** Plan files in the plans folder not yet applied to this database. */
  pendingPlans: string[]
}

export interface JsonStatus extends JsonOk<'status'> {
  config: ResolvedConfig
  databaseExists: boolean
  models: { file: string, tables: string[] }[]
  tables: { name: string, rows: number, file?: string }[]
  unmodelledTables: string[]
  pending: JsonRunResult
  /** Plan files not yet applied to this database. */
  pendingPlans: string[]
  lastMigration?: HistoryRecord
}

export interface JsonHistory extends JsonOk<'history'> {
  entries: HistoryRecord[]
}

export interface JsonBackupFile {
  path: string
  name: string
  /** ISO 8601, UTC. */
  createdAt: string
  size: number
  verified: boolean
}

export interface JsonBackups extends JsonOk<'backups'> {
  backups: JsonBackupFile[]
}

export interface JsonRestore extends JsonOk<'restore'> {
  config: ResolvedConfig
  restored: JsonBackupFile
  safetyBackup?: string
  safetyCopy?: 'snapshot' | 'bytes'
  undone?: { migrationId: string, status: string, description: string }[]
  warnings: string[]
}

export interface JsonGenerate extends JsonOk<'generate'> {
  config: ResolvedConfig
  path: string
  changed: boolean
  tables: number
}

export interface JsonInit extends JsonOk<'init'> {
  /** Files and folders created, relative to the project. */
  created: string[]
  /** Lines appended to .gitignore (empty when it had them all). */
  gitignoreAdded: string[]
  /** Why the example model was not written (the model folder already had models), if it was not. */
  skipped?: string
  databasePath: string
}

export interface JsonPull extends JsonOk<'pull'> {
  dryRun: boolean
  /** One per table: its model file (relative to the project), and whether it defines a model or only says why not. */
  files: { path: string, table: string, modelled: boolean, content: string }[]
  /** Files written (none on a dry run), relative to the project. */
  written: string[]
  unmodelled: { table: string, reasons: string[] }[]
  /** Views and virtual tables: kept in the database, no model. */
  skipped: string[]
}

export interface JsonVersion extends JsonOk<'version'> {
  toolVersion: string
}

export interface JsonError {
  version: typeof JSON_OUTPUT_VERSION
  ok: false
  /** The command that failed, when it got far enough to be known. */
  command?: string
  error: {
    code: ErrorCode
    message: string
    hint?: string
    location?: Location
    step?: string
    backupPath?: string
  }
}

export type JsonOutput = JsonApply | JsonPreview | JsonCheck | JsonPlan | JsonStatus | JsonHistory | JsonBackups | JsonRestore | JsonGenerate | JsonInit | JsonPull | JsonVersion | JsonError
