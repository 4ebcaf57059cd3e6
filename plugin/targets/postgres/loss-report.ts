import { createHash } from 'node:crypto'
import { redactSecrets } from '../../core/redact.ts'
import { covers, eg, SAMPLES, showRow, showValue, type LossItem, type LossReport, type Row } from '../../pipeline/loss-report.ts'
import type { Plan } from '../../pipeline/plan.ts'
import { listTables, quoteIdent, tableColumns } from './catalogue.ts'
import type { PgConnection } from './connection.ts'

/**
 * What an apply on PostgreSQL would lose, read in the run's transaction before the push: the rows
 * of dropped tables and the values of dropped (or cast) columns the engine warns about, with a few
 * samples. The digest covers every value at stake, each table's rows in the order of their text
 * form, so the same data gives the same digest in the run that follows a confirmation, and any
 * change to it makes that run refuse.
 */
export async function postgresLossReport(c: PgConnection, plan: Plan, engineWarnings: string[], digest: boolean): Promise<LossReport> {
  const hash = createHash('sha256').update(plan.sql)
  const items: LossItem[] = []
  const add = (item: LossItem) => {
    items.push(item)
    hash.update(`\0${item.kind}\0${item.table}\0${item.column ?? ''}\0${item.count}\0${item.description}`)
  }
  const hashRows = async (sql: string) => {
    if (!digest) return
    for (const row of await c.query<{ v: string | null }>(sql)) hash.update(`${row.v ?? '∅'}\n`)
  }
  const tables = new Set(await listTables(c))

  for (const step of plan.steps) {
    if (step.kind !== 'drop table' || !tables.has(step.table)) continue
    const from = quoteIdent(step.table)
    const count = await countOf(c, `SELECT count(*)::text AS n FROM ${from}`)
    if (count === 0) continue
    const samples = (await c.query<Row>(`SELECT * FROM ${from} LIMIT ${SAMPLES}`)).map(showRow)
    add({ kind: 'table', table: step.table, count, samples, description: `table ${step.table}: ${count} row(s) will be dropped${eg(samples, count)}` })
    await hashRows(`SELECT t::text AS v FROM ${from} t ORDER BY 1`)
  }

  for (const warning of engineWarnings) {
    if (items.some((item) => covers(item, warning))) continue
    // "You are about to drop the column `bio` on the `users` table, which still contains 2 non-null values."
    // "The `age` column on the `users` table would be dropped and recreated. This will lead to data loss."
    const named = /column `([^`]+)` on the `([^`]+)` table/.exec(warning) ?? /`([^`]+)` column on the `([^`]+)` table/.exec(warning)
    if (named && tables.has(named[2]!) && (await tableColumns(c, named[2]!)).some((col) => col.name === named[1])) {
      const [column, table] = [named[1]!, named[2]!]
      const where = `FROM ${quoteIdent(table)} WHERE ${quoteIdent(column)} IS NOT NULL`
      const count = await countOf(c, `SELECT count(*)::text AS n ${where}`)
      const samples = (await c.query<{ v: unknown }>(`SELECT ${quoteIdent(column)} AS v ${where} LIMIT ${SAMPLES}`)).map((r) => showValue(r.v, column))
      add({ kind: 'engine', table, column, count, samples, description: `column ${table}.${column}: ${redactSecrets(warning)}${eg(samples, count)}` })
      await hashRows(`SELECT ${quoteIdent(column)}::text AS v ${where} ORDER BY 1`)
      continue
    }
    add({ kind: 'engine', table: '', count: 0, samples: [], description: redactSecrets(warning) })
  }
  return { items, planSql: plan.sql, planSteps: plan.steps.map((s) => s.description), digest: digest ? hash.digest('hex') : '' }
}

async function countOf(c: PgConnection, sql: string): Promise<number> {
  const [row] = await c.query<{ n: string }>(sql)
  return Number(row?.n ?? 0)
}
