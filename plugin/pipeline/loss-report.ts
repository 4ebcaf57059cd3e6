import { createHash, type Hash } from 'node:crypto'
import Database from 'better-sqlite3'
import type { EnumProblem } from '../targets/sqlite/enums.ts'
import type { Plan } from './plan.ts'
import { MigrateError } from '../core/errors.ts'
import { isSecretName, redactSecrets } from '../core/redact.ts'
import type { Rewrite } from '../targets/sqlite/rewrites.ts'
import { quoteIdent, quoteLiteral } from '../core/sql.ts'

/**
 * What an apply would lose, in rows and values a person can recognise: "column users.age: 3
 * non-null values will be dropped (e.g. 31, 45, 12)". Computed on the run's own connection, inside
 * its transaction and before the push, so it describes the data the push would meet.
 *
 * The digest covers every value at stake, not only the few shown. A confirmation is given for one
 * digest; the apply that follows recomputes it in its own transaction and goes ahead only when it
 * is the same, so a row added, removed or edited meanwhile (by the app, by another process) makes
 * the run refuse instead of losing data nobody was shown.
 */
export interface LossItem {
  kind: 'table' | 'column' | 'rewrite' | 'enum' | 'schema' | 'engine'
  table: string
  column?: string
  /** Rows or values at stake (0 for a schema-only loss). */
  count: number
  /** A few of them, formatted for a terminal: masked, truncated, control characters escaped. */
  samples: string[]
  /** One line, samples included. */
  description: string
}

export interface LossReport {
  items: LossItem[]
  /** The plan the report is about: a confirmation holds for this SQL only. */
  planSql: string
  /** The plan's steps, shown with the question: a confirmation holds for these steps only. */
  planSteps: string[]
  digest: string
}

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

const SAMPLES = 3
const MAX_TEXT = 40
const MAX_COLUMNS = 4

type Row = Record<string, unknown>

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

/** An engine warning that names what an item already shows is not said twice. */
function covers(item: LossItem, warning: string): boolean {
  if (item.kind === 'table') return warning.includes(`drop the \`${item.table}\` table`)
  if (item.kind === 'column' || item.kind === 'rewrite') return warning.includes(`\`${item.column}\``) && warning.includes(`\`${item.table}\``)
  return false
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

function eg(samples: string[], count: number): string {
  if (samples.length === 0) return ''
  return ` (e.g. ${samples.join(', ')}${count > samples.length ? ', …' : ''})`
}

function showRow(row: Row): string {
  const entries = Object.entries(row)
  const shown = entries.slice(0, MAX_COLUMNS).map(([k, v]) => `${escapeControl(k)} ${showValue(v, k)}`)
  return `(${shown.join(', ')}${entries.length > MAX_COLUMNS ? ', …' : ''})`
}

/**
 * A value as a terminal may show it: secrets masked on the whole value first (a URL cut in its
 * middle would no longer look like one), then long text cut, then control characters escaped so a
 * stored escape sequence cannot rewrite the question it appears in. A value of a column whose name
 * says it holds secrets (`password`, `api_key`, `auth_token`) is masked whatever it looks like: a
 * password is any text, and no shape tells "hunter2" from a name.
 */
export function showValue(value: unknown, column?: string): string {
  if (value === null || value === undefined) return 'NULL'
  if (column !== undefined && isSecretName(column)) return Buffer.isBuffer(value) ? `<blob of ${value.length} byte(s), masked>` : `'***'`
  if (Buffer.isBuffer(value)) return `<blob of ${value.length} byte(s)>`
  if (typeof value === 'number' || typeof value === 'bigint') return redactSecrets(String(value))
  const text = redactSecrets(String(value))
  const chars = [...text]
  const cut = chars.length > MAX_TEXT ? `${chars.slice(0, MAX_TEXT - 1).join('')}…` : text
  return `${quoteLiteral(escapeControl(cut))}${chars.length > MAX_TEXT ? ` (${chars.length} chars)` : ''}`
}

function escapeControl(text: string): string {
  // C0/C1 controls, DEL, and the bidirectional overrides that can reorder what a terminal shows.
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g, (ch) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }
    return named[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
}

/** A refusal to lose data, with what would have been lost: a terminal (or the dev page) can show it and ask. */
export class DataLossError extends MigrateError {
  readonly report: LossReport
  constructor(message: string, report: LossReport, options: { hint: string }) {
    super('GUARD_DATA_LOSS', message, { step: 'guard', hint: options.hint })
    this.report = report
  }
}
