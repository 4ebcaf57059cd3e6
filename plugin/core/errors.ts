import { redactSecrets } from './redact.ts'

/**
 * Every failure the user can act on is a MigrateError: a message that says what went wrong and
 * where, a `hint` saying how to fix it, and a `code` that scripts (and `--json`) can rely on.
 * This list is the one source of the codes: ErrorCode is derived from it, and a test checks that
 * every code the sources raise is here and every code here is raised.
 */
export const ERROR_CODES = [
  /** migration.conf, --config, a plugin option or DATABASE_URL is invalid (file and line when there is one). */
  'CONFIG',
  /** A model file failed to load: syntax error, a throw, load_timeout passed. */
  'MODEL_LOAD',
  /** A model is wrong: a table defined twice, a bad reference, a default of the wrong type, … */
  'MODEL_INVALID',
  /** Prisma's validator rejected the generated schema (reported against the model file). */
  'SCHEMA_INVALID',
  /** The model directory is missing or defines no model: nothing is run. */
  'NO_MODELS',
  /** The database cannot be opened, read or written: not SQLite, corrupt, permissions, full disk. */
  'DATABASE',
  /** Another process held the database or the migration lock past lock_timeout. */
  'LOCKED',
  /** The change would lose data; nothing was changed (--accept-data-loss to go ahead). */
  'GUARD_DATA_LOSS',
  /** The change cannot run on the rows there (a required column without a default, …); nothing was changed. */
  'GUARD_UNEXECUTABLE',
  /** The run would change more tables than max_tables_per_run; nothing was changed. */
  'GUARD_TOO_MANY_TABLES',
  /** require_confirmation is on and the plan was not confirmed; nothing was changed. */
  'GUARD_NOT_CONFIRMED',
  /** The change would break views or triggers the models do not describe; nothing was changed. */
  'GUARD_DEPENDENT_OBJECTS',
  /** A reviewed plan's database has moved since the plan was written (a table added, removed or changed); nothing was changed. */
  'GUARD_PLAN_MOVED',
  /** This plan file (same name and content) was already applied; nothing was changed. */
  'GUARD_PLAN_APPLIED',
  /** require_plans is on and a change is pending that no plan file covers; nothing was changed. */
  'GUARD_PLAN_REQUIRED',
  /** A plan file cannot be used: unreadable, not written by `plan`, or it would end the run's transaction. */
  'PLAN',
  /** A rename the models declare cannot be done (both names exist, …). */
  'RENAME',
  /** The backup could not be made; nothing was changed. */
  'BACKUP',
  /** Applying failed; the change was rolled back (or the backup restored), and the attempt is in the history. */
  'APPLY',
  /** After applying, the database still differed from the models or broke foreign keys; rolled back. */
  'VERIFY',
  /** The schema engine, or prisma generate, failed. */
  'ENGINE',
  /** A restore was refused or failed. */
  'RESTORE',
  /** The command line is wrong: an unknown command or option, a bad value. */
  'USAGE',
  /** A build in check mode found pending changes. */
  'PENDING',
  /** A file could not be written (the generated schema), or would have been overwritten (init). */
  'OUTPUT',
  /** Not a MigrateError: a bug, reported by the CLI with its stack. */
  'INTERNAL',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export interface Location {
  file: string
  line?: number
  column?: number
}

export class MigrateError extends Error {
  override name = 'MigrateError'
  readonly code: ErrorCode
  readonly hint?: string
  readonly location?: Location
  /** Pipeline step that failed (for apply failures): plan, backup, apply, verify, record. */
  readonly step?: string
  /** Where the pre-migration backup is, when one was taken. */
  readonly backupPath?: string

  constructor(
    code: ErrorCode,
    message: string,
    options: { hint?: string, location?: Location, step?: string, backupPath?: string, cause?: unknown } = {},
  ) {
    // Every message the user can see passes through here: masked once, it is safe in any output.
    super(redactSecrets(message), options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    if (options.hint !== undefined) this.hint = redactSecrets(options.hint)
    if (options.location !== undefined) this.location = options.location
    if (options.step !== undefined) this.step = options.step
    if (options.backupPath !== undefined) this.backupPath = options.backupPath
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      hint: this.hint,
      location: this.location,
      step: this.step,
      backupPath: this.backupPath,
    }
  }
}

export function formatLocation(loc: Location): string {
  return loc.line === undefined ? loc.file : `${loc.file}:${loc.line}${loc.column === undefined ? '' : `:${loc.column}`}`
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
