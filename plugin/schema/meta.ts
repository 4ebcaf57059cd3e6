import type { Location } from '../core/errors.ts'
import type { AnyTable, TableMeta } from '../model/dsl.ts'
import { TABLE } from '../model/dsl.ts'

/** What table() recorded about a table: its name, columns, extras, options and where it was defined. */
export function meta(table: AnyTable): TableMeta {
  return table[TABLE]
}

/** A MigrateError location for a model file and, when known, the line of its table() call. */
export function where(file: string, line?: number): Location {
  return line === undefined ? { file } : { file, line }
}

/** The same place as message text: `model/users.ts:4`. */
export function at(file: string, line?: number): string {
  return line === undefined ? file : `${file}:${line}`
}

/** A value as a model file wrote it, for messages; never throws (cycles, BigInt). */
export function describeValue(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}
