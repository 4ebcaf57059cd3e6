import type Database from 'better-sqlite3'
import { quoteIdent, quoteLiteral } from '../../core/sql.ts'

/**
 * SQLite does not cast on a type change: a table rebuild copies 'abc-123' into an INTEGER column
 * as text, the verifying diff sees the right DDL, and Prisma Client then fails on that row. So the
 * run counts, in each rebuilt table, the values whose storage class the declared type does not
 * allow, before and after the push: a column whose type changed (or that gained such values) fails
 * the run, naming the values. Values that were already there under the same type (a legacy
 * database) are not the run's doing and do not fail it.
 */
export interface TypeMisfit {
  table: string
  column: string
  type: string
  count: number
  examples: string[]
}

/** The storage classes each declared type (as the engine writes it) may hold besides NULL. */
const ALLOWED: Record<string, string[]> = {
  INTEGER: ['integer'],
  BIGINT: ['integer'],
  REAL: ['real', 'integer'],
  BOOLEAN: ['integer'],
}

interface ColumnFit { type: string, bad: number }
export type TypeFits = Map<string, Map<string, ColumnFit>>

/** Per rebuilt table and checked column: its declared type and how many values do not fit it. */
export function typeFits(db: Database.Database, tables: string[]): TypeFits {
  const fits: TypeFits = new Map()
  for (const table of tables) {
    let columns: { name: string, type: string }[]
    try {
      columns = db.prepare(`SELECT name, type FROM pragma_table_info(${quoteLiteral(table)})`).all() as { name: string, type: string }[]
    } catch {
      continue
    }
    const checked = columns.filter((c) => ALLOWED[c.type.toUpperCase()])
    if (checked.length === 0) continue
    const sums = checked.map((c, i) => `sum(${misfit(c)}) AS c${i}`).join(', ')
    const row = db.prepare(`SELECT ${sums} FROM ${quoteIdent(table)}`).get() as Record<string, number | bigint | null>
    fits.set(table, new Map(checked.map((c, i) => [c.name, { type: c.type.toUpperCase(), bad: Number(row[`c${i}`] ?? 0) }])))
  }
  return fits
}

function misfit(column: { name: string, type: string }): string {
  const allowed = ALLOWED[column.type.toUpperCase()]!.map(quoteLiteral).join(', ')
  const c = quoteIdent(column.name)
  return `CASE WHEN ${c} IS NOT NULL AND typeof(${c}) NOT IN (${allowed}) THEN 1 ELSE 0 END`
}

/** Columns that hold values their (new) type does not allow, which they did not hold before. */
export function newTypeMisfits(db: Database.Database, before: TypeFits, after: TypeFits): TypeMisfit[] {
  const misfits: TypeMisfit[] = []
  for (const [table, columns] of after) {
    for (const [column, fit] of columns) {
      if (fit.bad === 0) continue
      const was = before.get(table)?.get(column)
      if (was && was.type === fit.type && was.bad >= fit.bad) continue
      const examples = (db.prepare(`SELECT quote(${quoteIdent(column)}) AS v FROM ${quoteIdent(table)} WHERE ${misfit({ name: column, type: fit.type })} LIMIT 3`).all() as { v: string }[])
        .map((r) => (r.v.length > 40 ? `${r.v.slice(0, 40)}…` : r.v))
      misfits.push({ table, column, type: fit.type, count: fit.bad, examples })
    }
  }
  return misfits
}

export function describeMisfits(misfits: TypeMisfit[]): string {
  return misfits.map((m) => `${m.count} value(s) in ${m.table}.${m.column} are not ${m.type} (e.g. ${m.examples.join(', ')})`).join('; ')
}

/** How to get past it: the values are the user's to convert (or clear); we never guess a cast. */
export function misfitHint(m: TypeMisfit): string {
  const c = quoteIdent(m.column)
  return `convert those values first, e.g. UPDATE ${quoteIdent(m.table)} SET ${c} = … WHERE ${c} IS NOT NULL AND typeof(${c}) NOT IN (${ALLOWED[m.type]!.map(quoteLiteral).join(', ')}), or keep the column's type; the change was rolled back`
}
