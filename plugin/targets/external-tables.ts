import { MigrateError } from '../core/errors.ts'

/**
 * The tables the engine must leave alone (the history table, tables no model defines) are handed
 * to it by name, and it takes only plain names: one holding a "." is refused for the whole run
 * (P3024, "only simple identifiers without a schema name"), whatever the change. Left out of the
 * list instead, the table would be one for the engine to drop. So such a name is refused here, before
 * anything is read or written, saying which table and what to do.
 */
export function refuseUnnameableExternalTables(tables: readonly string[]): void {
  const dotted = tables.filter((t) => t.includes('.'))
  if (dotted.length === 0) return
  const first = dotted[0]!
  throw new MigrateError('DATABASE', `the table${dotted.length > 1 ? 's' : ''} ${dotted.map((t) => JSON.stringify(t)).join(', ')} ha${dotted.length > 1 ? 've' : 's'} no model, and a name holding "." cannot be passed to the schema engine as a table to leave alone; nothing was changed`, {
    hint: `rename it (ALTER TABLE "${first.replace(/"/g, '""')}" RENAME TO "${first.replace(/\./g, '_').replace(/"/g, '""')}"), or give it a model (a model's name cannot hold "." either)`,
  })
}
