import type Database from 'better-sqlite3'
import { unquoteIdent } from '../../core/sql.ts'

/**
 * Values a table rebuild would change without the engine saying so. SQLite cannot ALTER most column
 * changes, so the engine rebuilds the table: `INSERT INTO "new_t" (…) SELECT <expr> AS "c", … FROM "t"`.
 * Where <expr> is more than the column itself, existing values are rewritten on the way — most
 * often `coalesce("c", default)` when a nullable column becomes required: every NULL silently
 * becomes the default. The engine reports no warning for that, and users do not expect it, so every
 * such expression is counted against the live rows and treated as data loss.
 */
export interface Rewrite {
  table: string
  column: string
  /** Rows whose value the rebuild would change. */
  rows: number
  description: string
  /** The query parts that find those rows (quoted as the engine wrote them), so they can be shown. */
  query: { source: string, expression: string, sourceColumn: string }
}

const IDENT = '"(?:[^"]|"")+"'
const INSERT = new RegExp(`^INSERT INTO "new_((?:[^"]|"")+)" \\((.*?)\\) SELECT ([\\s\\S]*) FROM (${IDENT});?$`)

/** Split a select list at its top-level commas (not inside parentheses or quotes). */
function selectItems(list: string): string[] {
  const items: string[] = []
  let depth = 0
  let quote: string | undefined
  let start = 0
  for (let i = 0; i < list.length; i++) {
    const ch = list[i]!
    if (quote) {
      if (ch === quote) quote = undefined
    } else if (ch === '"' || ch === "'") quote = ch
    else if (ch === '(') depth++
    else if (ch === ')') depth--
    else if (ch === ',' && depth === 0) {
      items.push(list.slice(start, i).trim())
      start = i + 1
    }
  }
  items.push(list.slice(start).trim())
  return items
}

export function findRewrites(db: Database.Database, script: string): Rewrite[] {
  const rewrites: Rewrite[] = []
  for (const statement of script.split(/;\s*\n/)) {
    const m = INSERT.exec(statement.trim())
    if (!m) continue
    const source = m[4]!
    const table = unquoteIdent(source)
    for (const item of selectItems(m[3]!)) {
      const aliased = new RegExp(`^([\\s\\S]+) AS (${IDENT})$`).exec(item)
      if (!aliased) continue
      const expression = aliased[1]!.trim()
      const column = unquoteIdent(aliased[2]!)
      const sourceColumn = new RegExp(IDENT).exec(expression)?.[0]
      if (!sourceColumn || expression === sourceColumn) continue
      let rows: number
      try {
        rows = Number((db.prepare(`SELECT count(*) AS n FROM ${source} WHERE (${expression}) IS NOT ${sourceColumn}`).get() as { n: number | bigint }).n)
      } catch {
        // An expression we cannot evaluate here is the engine's business; the push reports its own errors.
        continue
      }
      if (rows === 0) continue
      const fallback = /^coalesce\(\s*"(?:[^"]|"")+"\s*,\s*([\s\S]+)\)$/i.exec(expression)
      const description = fallback
        ? `making ${table}.${column} required rewrites ${rows} row(s) holding NULL to its default ${fallback[1]!.trim()}`
        : `rebuilding ${table} rewrites ${rows} value(s) of ${table}.${column} (${expression})`
      rewrites.push({ table, column, rows, description, query: { source, expression, sourceColumn } })
    }
  }
  return rewrites
}

/** A rewrite the engine already warned about (its cast warnings name the column and table) is not said twice. */
export function unwarnedRewrites(rewrites: Rewrite[], engineWarnings: string[]): Rewrite[] {
  return rewrites.filter((r) => !engineWarnings.some((w) => w.includes(`\`${r.column}\``) && w.includes(`\`${r.table}\``)))
}
