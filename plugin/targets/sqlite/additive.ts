import { withoutLeadingComments } from '../../plans/statements.ts'
import { splitStatements } from '../postgres/sql-split.ts'

/**
 * The engine's script as statements, when it only adds: new tables, new plain indexes (unique only
 * on a table the same script creates, which has no rows), and columns SQLite adds in place that
 * are nullable or have a default. Undefined for anything else.
 *
 * Such a script touches no row, so the engine's push has nothing to warn about or refuse, and would
 * run exactly these statements after diffing the database once more to find them. The run executes
 * them itself instead: one diff fewer of the whole database (a third of the engine's work in an
 * apply that adds a column), while the verifying diff, the row counts and the foreign-key check
 * after it stay as they are. A rebuild, a drop, a unique index over existing rows, a required
 * column: those go through the engine's push and its warnings, as before.
 */
export function additiveStatements(script: string): string[] | undefined {
  const statements: string[] = []
  const created = new Set<string>()
  for (const sql of splitStatements(script)) {
    const statement = withoutLeadingComments(sql).trim()
    if (statement === '' || statement === ';') continue
    let m: RegExpExecArray | null
    if ((m = /^CREATE TABLE ("(?:[^"]|"")+") \(/.exec(statement))) {
      // new_<table> is the engine's rebuild of an existing table: that copies rows.
      if (/^"new_/.test(m[1]!)) return undefined
      created.add(m[1]!)
    } else if ((m = /^CREATE (UNIQUE )?INDEX "(?:[^"]|"")+" ON ("(?:[^"]|"")+")/.exec(statement))) {
      if (m[1] && !created.has(m[2]!)) return undefined
    } else if ((m = /^ALTER TABLE "(?:[^"]|"")+" ADD COLUMN "(?:[^"]|"")+" ([\s\S]*)$/.exec(statement))) {
      const definition = m[1]!.replace(/'(?:[^']|'')*'/g, "''")
      if (/\bNOT NULL\b/i.test(definition) && !/\bDEFAULT\b/i.test(definition)) return undefined
    } else {
      return undefined
    }
    statements.push(statement)
  }
  return statements.length > 0 ? statements : undefined
}
