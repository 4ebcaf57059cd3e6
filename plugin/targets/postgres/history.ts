import { MigrateError } from '../../core/errors.ts'
import { HISTORY_COLUMNS, fromRow, historyRow, nullableText, text, type HistoryRecord, type Row } from '../../pipeline/history-record.ts'
import { quoteIdent } from './catalogue.ts'
import type { PgConnection } from './connection.ts'
import { historyColumnsQuery, historyTableDdl } from './history-ddl.ts'

/** The history table on PostgreSQL: the same record as on SQLite (history-record.ts), in Postgres DDL. */

/**
 * Refuse a relation under the history's name that this tool did not make, before anything is
 * changed: inserting into it would fail half-way through a run, and adopting it would mix records.
 */
export async function checkHistoryTable(c: PgConnection, table: string): Promise<void> {
  const rows = await c.query<{ kind: string, name: string | null, nullable: boolean, has_default: boolean }>(historyColumnsQuery, [table])
  if (rows.length === 0) return
  const kind = rows[0]!.kind
  const names = new Set(rows.map((r) => r.name?.toLowerCase()).filter((n): n is string => !!n))
  const missing = HISTORY_COLUMNS.filter((c) => !names.has(c))
  const blocking = rows.filter((r) => r.name && !HISTORY_COLUMNS.includes(r.name.toLowerCase()) && !r.nullable && !r.has_default).map((r) => r.name!)
  if (kind === 'BASE TABLE' && missing.length === 0 && blocking.length === 0) return
  const what = kind !== 'BASE TABLE'
    ? `is a ${kind.toLowerCase()}`
    : `has other columns than migrate-plugin's history (${[
      ...(missing.length ? [`missing: ${missing.join(', ')}`] : []),
      ...(blocking.length ? [`required columns it does not know: ${blocking.join(', ')}`] : []),
    ].join('; ')})`
  throw new MigrateError('DATABASE', `the relation ${table} ${what}; it was not made by migrate-plugin`, {
    hint: `keep it and let migrate-plugin use another table: set [migration] history_table = migrate_plugin_history in migration.conf; or rename or drop ${table} if you no longer need it. Nothing was changed`,
  })
}

async function hasHistory(c: PgConnection, table: string): Promise<boolean> {
  return (await c.query(historyColumnsQuery, [table])).length > 0
}

export async function writeHistory(c: PgConnection, table: string, record: HistoryRecord): Promise<void> {
  await checkHistoryTable(c, table)
  await c.exec(historyTableDdl(table))
  const { columns, values } = historyRow(record)
  await c.query(`INSERT INTO ${quoteIdent(table)} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`, values)
}

/** Newest first. */
export async function readHistory(c: PgConnection, table: string, limit: number): Promise<HistoryRecord[]> {
  if (!await hasHistory(c, table)) return []
  await checkHistoryTable(c, table)
  const rows = await c.query<Row>(`SELECT * FROM ${quoteIdent(table)} ORDER BY id DESC LIMIT $1`, [Math.min(limit, Number.MAX_SAFE_INTEGER)])
  return rows.map(fromRow)
}

/** The newest run after which the database was known to match the models. */
export async function lastInSync(c: PgConnection, table: string): Promise<Pick<HistoryRecord, 'schemaHash' | 'dbFingerprint'> | undefined> {
  if (!await hasHistory(c, table)) return undefined
  const [row] = await c.query<Row>(`SELECT schema_hash, db_fingerprint FROM ${quoteIdent(table)} WHERE status IN ('success', 'noop') ORDER BY id DESC LIMIT 1`)
  return row && { schemaHash: text(row.schema_hash), dbFingerprint: nullableText(row.db_fingerprint) }
}
