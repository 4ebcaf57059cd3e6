import { createHash, type Hash } from 'node:crypto'
import Database from 'better-sqlite3'
import { redactSecrets } from '../../core/redact.ts'
import { quoteIdent, quoteLiteral } from '../../core/sql.ts'
import { covers, eg, SAMPLES, showRow, showValue, type LossItem, type LossReport, type Row } from '../../pipeline/loss-report.ts'
import type { Plan } from '../../pipeline/plan.ts'
import type { EnumProblem } from './enums.ts'
import type { Rewrite } from './rewrites.ts'

export interface LossSources {
  rewrites: Rewrite[]
  enumIssues: EnumProblem[]
  /** Table-rebuild losses that are not values (a CHECK clause the models cannot describe). */
  droppedConstraints: string[]
  /** The engine's own data-loss warnings; those no item above already covers are listed as they are. */
  engineWarnings?: string[]
  /**
   * Compute the digest: a full read of the data at stake, worth it only when someone may confirm
   * (a prompt, or a run checking a confirmation). Without it the digest is empty and matches nothing.
   */
  digest?: boolean
}

export function lossReport(db: Database.Database, plan: Plan, sources: LossSources): LossReport {
  const hash = createHash('sha256').update(plan.sql)
  const digestRows = (values: string[], rest: string) => {
    if (sources.digest) hashRows(db, hash, values, rest)
  }
  const items: LossItem[] = []
  const add = (item: LossItem) => {
    items.push(item)
    hash.update(`\0${item.kind}\0${item.table}\0${item.column ?? ''}\0${item.count}\0${item.description}`)
  }

  for (const step of plan.steps) {
    if (step.kind !== 'drop table' || !tableExists(db, step.table)) continue
    const from = quoteIdent(step.table)
    const count = countOf(db, `SELECT count(*) AS n FROM ${from}`)
    if (count === 0) continue
    const samples = sampleRows(db, `SELECT * FROM ${from}${orderBy(db, step.table)} LIMIT ${SAMPLES}`).map(showRow)
    add({ kind: 'table', table: step.table, count, samples, description: `table ${step.table}: ${count} row(s) will be dropped${eg(samples, count)}` })
    digestRows(liveColumns(db, step.table).map(quoteIdent), `FROM ${from}${orderBy(db, step.table)}`)
  }

  for (const { table, column } of droppedColumns(db, plan)) {
    const where = `FROM ${quoteIdent(table)} WHERE ${quoteIdent(column)} IS NOT NULL`
    const count = countOf(db, `SELECT count(*) AS n ${where}`)
    if (count === 0) continue
    const samples = sampleRows(db, `SELECT ${quoteIdent(column)} AS v ${where}${orderBy(db, table)} LIMIT ${SAMPLES}`).map((r) => showValue(r.v, column))
    add({ kind: 'column', table, column, count, samples, description: `column ${table}.${column}: ${count} non-null value(s) will be dropped${eg(samples, count)}` })
    digestRows([quoteIdent(column)], `${where}${orderBy(db, table)}`)
  }

  for (const r of sources.rewrites) {
    const { source, expression, sourceColumn } = r.query
    const where = `FROM ${source} WHERE (${expression}) IS NOT ${sourceColumn}`
    const order = orderBy(db, r.table)
    const samples = sampleRows(db, `SELECT ${sourceColumn} AS before, (${expression}) AS after ${where}${order} LIMIT ${SAMPLES}`)
      .map((row) => `${showValue(row.before, r.column)} → ${showValue(row.after, r.column)}`)
    add({ kind: 'rewrite', table: r.table, column: r.column, count: r.rows, samples, description: `column ${r.table}.${r.column}: ${r.rows} value(s) will be rewritten${eg(samples, r.rows)}` })
    digestRows([sourceColumn, `(${expression})`], `${where}${order}`)
  }

  for (const p of sources.enumIssues) {
    const outside = `${quoteIdent(p.column)} IS NOT NULL AND ${quoteIdent(p.column)} NOT IN (${p.allowed.map(quoteLiteral).join(', ')})`
    const samples = p.found.slice(0, SAMPLES).map((v) => showValue(v, p.column))
    add({
      kind: 'enum', table: p.table, column: p.column, count: p.rows, samples,
      description: `column ${p.table}.${p.column}: ${p.rows} row(s) hold values enum ${p.enumName} no longer allows${eg(samples, p.found.length)}; accepting keeps them as they are, and Prisma Client cannot read them`,
    })
    digestRows([quoteIdent(p.column)], `FROM ${quoteIdent(p.table)} WHERE ${outside}${orderBy(db, p.table)}`)
  }

  for (const d of sources.droppedConstraints) add({ kind: 'schema', table: '', count: 0, samples: [], description: d })

  for (const warning of sources.engineWarnings ?? []) {
    if (items.some((item) => covers(item, warning))) continue
    // A cast the engine warns about ("The data in that column will be cast from String to Int"):
    // show the values it names, and let them count in the digest like any other.
    const named = /column `((?:[^`])+)` on the `((?:[^`])+)` table/.exec(warning)
    if (named && columnExists(db, named[2]!, named[1]!)) {
      const [column, table] = [named[1]!, named[2]!]
      const where = `FROM ${quoteIdent(table)} WHERE ${quoteIdent(column)} IS NOT NULL`
      const count = countOf(db, `SELECT count(*) AS n ${where}`)
      const samples = sampleRows(db, `SELECT ${quoteIdent(column)} AS v ${where}${orderBy(db, table)} LIMIT ${SAMPLES}`).map((r) => showValue(r.v, column))
      add({ kind: 'engine', table, column, count, samples, description: `column ${table}.${column}: ${redactSecrets(warning)}${eg(samples, count)}` })
      digestRows([quoteIdent(column)], `${where}${orderBy(db, table)}`)
      continue
    }
    add({ kind: 'engine', table: '', count: 0, samples: [], description: redactSecrets(warning) })
  }

  return { items, planSql: plan.sql, planSteps: plan.steps.map((s) => s.description), digest: sources.digest ? hash.digest('hex') : '' }
}

/** Columns a rebuild leaves out (the engine's new_<table> lacks them) or an ALTER … DROP COLUMN removes. */
function droppedColumns(db: Database.Database, plan: Plan): { table: string, column: string }[] {
  const dropped: { table: string, column: string }[] = []
  for (const step of plan.steps) {
    for (const sql of step.sql) {
      const alter = /^ALTER TABLE ("(?:[^"]|"")+") DROP COLUMN ("(?:[^"]|"")+")/.exec(sql)
      if (alter) {
        dropped.push({ table: unquote(alter[1]!), column: unquote(alter[2]!) })
        continue
      }
      const create = /^CREATE TABLE "new_((?:[^"]|"")+)"/.exec(sql)
      if (!create) continue
      const table = unquote(`"${create[1]!}"`)
      const after = columnsOfCreate(sql, `new_${table}`)
      if (!after) continue
      for (const column of liveColumns(db, table)) if (!after.has(column)) dropped.push({ table, column })
    }
  }
  return dropped
}

function columnsOfCreate(createSql: string, name: string): Set<string> | undefined {
  const scratch = new Database(':memory:')
  try {
    scratch.exec(createSql)
    return new Set((scratch.prepare('SELECT name FROM pragma_table_info(?)').all(name) as { name: string }[]).map((c) => c.name))
  } catch {
    return undefined
  } finally {
    scratch.close()
  }
}

const unquote = (name: string) => name.replace(/^"|"$/g, '').replace(/""/g, '"')

function liveColumns(db: Database.Database, table: string): string[] {
  return (db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[]).map((c) => c.name)
}

function tableExists(db: Database.Database, table: string): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table) !== undefined
}

function columnExists(db: Database.Database, table: string, column: string): boolean {
  return liveColumns(db, table).includes(column)
}

/** Rowid order where there is one, so samples and digest are stable; a WITHOUT ROWID table scans in key order. */
function orderBy(db: Database.Database, table: string): string {
  try {
    db.prepare(`SELECT rowid FROM ${quoteIdent(table)} LIMIT 0`).all()
    return ' ORDER BY rowid'
  } catch {
    return ''
  }
}

function countOf(db: Database.Database, sql: string): number {
  return Number((db.prepare(sql).get() as { n: number | bigint }).n)
}

function sampleRows(db: Database.Database, sql: string): Row[] {
  return db.prepare(sql).all() as Row[]
}

/**
 * Every value at stake, streamed: a large table is hashed without being held in memory. Each row
 * is one string SQLite builds itself (quote() tells NULL, numbers, text and blobs apart, and
 * typeof() a real from an integer), which is several times faster than handing values to JS.
 */
function hashRows(db: Database.Database, hash: Hash, values: string[], rest: string): void {
  const row = values.length === 0 ? "''" : values.map((v) => `typeof(${v}) || ':' || quote(${v})`).join(` || ',' || `)
  for (const text of db.prepare(`SELECT ${row} ${rest}`).pluck().iterate() as Iterable<string>) hash.update(`${text}\n`)
}

