import type Database from 'better-sqlite3'
import type { DiscoveredModels } from '../model/discover.ts'
import { meta } from './schema.ts'
import { quoteIdent, quoteLiteral } from './sql.ts'
import type { PlanStep } from './plan.ts'

/**
 * SQLite has no enum type: an enum column is TEXT, so removing or renaming a value changes no DDL
 * and the engine's diff is empty — while rows still hold the old value, which Prisma Client then
 * fails to read. So the values are checked against the rows themselves: rows outside the model's
 * values are a pending change that `check` reports and `apply` refuses (unless data loss is
 * accepted, which keeps the values as they are), until an UPDATE moves them.
 */
export interface EnumProblem {
  table: string
  column: string
  enumName: string
  allowed: readonly string[]
  /** A few of the values found that the enum no longer has. */
  found: string[]
  rows: number
  file: string
}

export function enumProblems(db: Database.Database, models: DiscoveredModels): EnumProblem[] {
  const problems: EnumProblem[] = []
  for (const entry of models.tables) {
    const m = meta(entry.table)
    const live = new Set((db.prepare('SELECT name FROM pragma_table_info(?)').all(m.name) as { name: string }[]).map((c) => c.name))
    if (live.size === 0) continue
    for (const [key, column] of Object.entries(m.columns)) {
      const e = column.state.enumType
      if (column.state.kind !== 'enum' || !e) continue
      const name = column.state.dbName ?? key
      if (!live.has(name)) continue
      const outside = `${quoteIdent(name)} IS NOT NULL AND ${quoteIdent(name)} NOT IN (${e.values.map(quoteLiteral).join(', ')})`
      const rows = Number((db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(m.name)} WHERE ${outside}`).get() as { n: number | bigint }).n)
      if (rows === 0) continue
      const found = (db.prepare(`SELECT DISTINCT ${quoteIdent(name)} AS v FROM ${quoteIdent(m.name)} WHERE ${outside} LIMIT 5`).all() as { v: unknown }[]).map((r) => String(r.v))
      problems.push({ table: m.name, column: name, enumName: e.name, allowed: e.values, found, rows, file: entry.file })
    }
  }
  return problems
}

export function describeEnumProblem(p: EnumProblem): string {
  return `${p.table}.${p.column} has ${p.rows} row(s) holding ${p.found.map(quoteLiteral).join(', ')}, which enum ${p.enumName} no longer allows (${p.allowed.join(', ')})`
}

/** A plan step for the problem: nothing to run, but it keeps the run from reporting "in sync". */
export function enumStep(p: EnumProblem): PlanStep {
  return { kind: 'enum values', table: p.table, description: `move ${p.rows} row(s) of ${p.table}.${p.column} off values enum ${p.enumName} no longer has (${p.found.map(quoteLiteral).join(', ')})`, file: p.file, sql: [] }
}

/** The UPDATE a user can start from (the values need a decision only they can make). */
export function enumFixHint(problems: EnumProblem[]): string {
  const p = problems[0]!
  return `move the rows to allowed values first, e.g. UPDATE ${quoteIdent(p.table)} SET ${quoteIdent(p.column)} = ${quoteLiteral(p.allowed[0]!)} WHERE ${quoteIdent(p.column)} = ${quoteLiteral(p.found[0]!)}; — or keep those values with --accept-data-loss (allow_data_loss); nothing was changed`
}
