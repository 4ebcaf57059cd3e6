import { MigrateError, errorMessage } from '../core/errors.ts'
import type { MigrateResult } from '../pipeline/migrate.ts'
import { JSON_OUTPUT_VERSION, type JsonBackupFile, type JsonError, type JsonOutput, type JsonRunResult } from '../json-types.ts'
import { redactSecrets } from '../core/redact.ts'

export * from '../json-types.ts'

/** The body without `version`: printJson stamps it, so no document can leave without one. */
export type JsonBody<T extends JsonOutput = JsonOutput> = T extends unknown ? Omit<T, 'version'> : never

export function runResultJson(result: MigrateResult): JsonRunResult {
  const { config, durationMs, ...rest } = result
  return { ...rest, durationMs: Math.round(durationMs), databasePath: config.databasePath, configFile: config.configFile ?? null }
}

export function backupFileJson(b: { path: string, name: string, createdAt: Date, size: number, verified: boolean }): JsonBackupFile {
  return { path: b.path, name: b.name, createdAt: b.createdAt.toISOString(), size: b.size, verified: b.verified }
}

export function errorJson(error: unknown, command?: string): JsonBody<JsonError> {
  const body: JsonError['error'] = error instanceof MigrateError
    ? withoutUndefined({ code: error.code, message: error.message, hint: error.hint, location: error.location, step: error.step, backupPath: error.backupPath })
    : { code: 'INTERNAL', message: redactSecrets(errorMessage(error)) }
  return { ok: false, ...(command ? { command } : {}), error: body }
}

export function printJson(body: JsonBody, write: (text: string) => void = (text) => process.stdout.write(text)): void {
  const doc = { version: JSON_OUTPUT_VERSION, ...body }
  // Masked value by value, so that a secret that happens to spell a key or `true` cannot break the JSON.
  const text = JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : typeof v === 'string' ? redactSecrets(v) : v), 2)
  write(`${text}\n`)
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}
