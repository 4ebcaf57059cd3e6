import type Database from 'better-sqlite3'
import type { DiscoveredModels } from '../../model/discover.ts'
import { meta } from '../../schema/meta.ts'
import { quoteIdent, quoteLiteral } from '../../core/sql.ts'
import type { PlanStep } from '../../pipeline/plan.ts'

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

/** An enum column as the checks need it, from a table() model or from a `.prisma` fragment. */
interface EnumColumn {
  table: string
  column: string
  enumName: string
  values: readonly string[]
  file: string
}

function dslEnumColumns(models: DiscoveredModels): EnumColumn[] {
  return models.tables.flatMap((entry) => {
    const m = meta(entry.table)
    return Object.entries(m.columns).flatMap(([key, column]) => {
      const e = column.state.enumType
      return column.state.kind === 'enum' && e ? [{ table: m.name, column: column.state.dbName ?? key, enumName: e.name, values: e.values, file: entry.file }] : []
    })
  })
}

/** Enum fields of the models in `.prisma` fragments: enough of Prisma's syntax to find them (Prisma has validated it). */
function fragmentEnumColumns(models: DiscoveredModels): EnumColumn[] {
  const enums = new Map<string, string[]>()
  for (const fragment of models.fragments) {
    for (const m of fragment.content.matchAll(/^\s*enum\s+(\w+)\s*\{([^}]*)\}/gm)) {
      const values = m[2]!.split('\n').map((line) => line.replace(/\/\/.*$/, '').trim()).filter((line) => line && !line.startsWith('@@'))
        .map((line) => /@map\(\s*"([^"]*)"\s*\)/.exec(line)?.[1] ?? line.split(/\s+/)[0]!)
      enums.set(m[1]!, values)
    }
  }
  for (const entry of models.tables) {
    for (const column of Object.values(meta(entry.table).columns)) {
      const e = column.state.enumType
      if (e && !enums.has(e.name)) enums.set(e.name, [...e.values])
    }
  }
  const columns: EnumColumn[] = []
  for (const fragment of models.fragments) {
    for (const m of fragment.content.matchAll(/^\s*model\s+(\w+)\s*\{([^}]*)\}/gm)) {
      const body = m[2]!
      const table = /@@map\(\s*(?:name:\s*)?"([^"]+)"\s*\)/.exec(body)?.[1] ?? m[1]!
      for (const line of body.split('\n')) {
        const field = /^\s*(\w+)\s+(\w+)(\?|\[\])?(.*)$/.exec(line)
        if (!field || field[3] === '[]') continue
        const values = enums.get(field[2]!)
        if (!values) continue
        const column = /@map\(\s*(?:name:\s*)?"([^"]+)"\s*\)/.exec(field[4]!)?.[1] ?? field[1]!
        columns.push({ table, column, enumName: field[2]!, values, file: fragment.file })
      }
    }
  }
  return columns
}

export function enumProblems(db: Database.Database, models: DiscoveredModels): EnumProblem[] {
  const problems: EnumProblem[] = []
  for (const { table, column, enumName, values, file } of [...dslEnumColumns(models), ...fragmentEnumColumns(models)]) {
    const live = (db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[]).map((c) => c.name)
    if (!live.includes(column)) continue
    const outside = `${quoteIdent(column)} IS NOT NULL AND ${quoteIdent(column)} NOT IN (${values.map(quoteLiteral).join(', ')})`
    const rows = Number((db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(table)} WHERE ${outside}`).get() as { n: number | bigint }).n)
    if (rows === 0) continue
    const found = (db.prepare(`SELECT DISTINCT ${quoteIdent(column)} AS v FROM ${quoteIdent(table)} WHERE ${outside} LIMIT 5`).all() as { v: unknown }[]).map((r) => String(r.v))
    problems.push({ table, column, enumName, allowed: values, found, rows, file })
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
