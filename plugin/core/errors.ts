import { redactSecrets } from './redact.ts'

/**
 * Every failure the user can act on is a MigrateError: a message that says what went wrong and
 * where, a `hint` saying how to fix it, and a `code` that scripts (and `--json`) can rely on.
 */
export const ERROR_CODES = [
  'CONFIG',
  'MODEL_LOAD',
  'MODEL_INVALID',
  'SCHEMA_INVALID',
  'NO_MODELS',
  'DATABASE',
  'LOCKED',
  'GUARD_DATA_LOSS',
  'GUARD_UNEXECUTABLE',
  'GUARD_TOO_MANY_TABLES',
  'GUARD_NOT_CONFIRMED',
  'GUARD_DEPENDENT_OBJECTS',
  'RENAME',
  'BACKUP',
  'APPLY',
  'VERIFY',
  'ENGINE',
  'RESTORE',
  'USAGE',
  'PENDING',
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
