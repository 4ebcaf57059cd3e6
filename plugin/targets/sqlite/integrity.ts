import type Database from 'better-sqlite3'
import { quoteIdent } from '../../core/sql.ts'

/**
 * Checks the run makes around the engine's push, inside its transaction, so that what the engine
 * does not promise is still proven: no row vanishes from a rebuilt table, and no foreign key is
 * broken by the change. Problems that were already in the database are not the run's doing: a
 * legacy database with orphan rows must still take an unrelated change.
 */
export interface Violation {
  table: string
  rowid: number | null
  parent: string
  fkid: number
}

export function foreignKeyViolations(db: Database.Database): Violation[] {
  return (db.prepare('PRAGMA foreign_key_check').all() as { table: string, rowid: number | bigint | null, parent: string, fkid: number }[])
    .map((v) => ({ table: v.table, rowid: v.rowid === null ? null : Number(v.rowid), parent: v.parent, fkid: v.fkid }))
}

/**
 * The violations `after` has that `before` did not. A rebuild may renumber the rowids of a table
 * without an INTEGER PRIMARY KEY, so violations are compared as counts per (table, parent table),
 * and the rowids named are those not seen before.
 */
export function newViolations(before: Violation[], after: Violation[]): Violation[] {
  // Not by foreign-key number: adding a foreign key to a table renumbers the ones it had.
  const key = (v: Violation) => `${v.table.toLowerCase()}\u0000${v.parent.toLowerCase()}`
  const counts = new Map<string, number>()
  for (const v of before) counts.set(key(v), (counts.get(key(v)) ?? 0) + 1)
  const seenRows = new Set(before.map((v) => `${key(v)}\u0000${v.rowid}`))
  const grouped = new Map<string, Violation[]>()
  for (const v of after) grouped.set(key(v), [...(grouped.get(key(v)) ?? []), v])
  const added: Violation[] = []
  for (const [k, list] of grouped) {
    const extra = list.length - (counts.get(k) ?? 0)
    if (extra <= 0) continue
    const fresh = list.filter((v) => !seenRows.has(`${k}\u0000${v.rowid}`))
    added.push(...(fresh.length >= extra ? fresh : list).slice(0, extra))
  }
  return added
}

export function describeViolations(violations: Violation[]): string {
  const shown = violations.slice(0, 5).map((v) => `${v.table} rowid ${v.rowid ?? '?'} → missing ${v.parent} row`)
  return `${shown.join(', ')}${violations.length > shown.length ? ` and ${violations.length - shown.length} more` : ''}`
}

export function rowCounts(db: Database.Database, tables: string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const table of tables) {
    try {
      counts.set(table, Number((db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(table)}`).get() as { n: number | bigint }).n))
    } catch {
      // Not a table (yet): nothing to compare.
    }
  }
  return counts
}

/** Tables that hold fewer rows than before (a table that no longer exists was dropped on purpose). */
export function lostRows(db: Database.Database, before: Map<string, number>): { table: string, before: number, after: number }[] {
  const after = rowCounts(db, [...before.keys()])
  return [...before].flatMap(([table, n]) => {
    const m = after.get(table)
    return m !== undefined && m < n ? [{ table, before: n, after: m }] : []
  })
}
