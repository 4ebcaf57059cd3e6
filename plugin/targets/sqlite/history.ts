import { createHash } from 'node:crypto'
import type Database from 'better-sqlite3'
import { MigrateError } from '../../core/errors.ts'
import { quoteIdent as q } from '../../core/sql.ts'
import { HISTORY_COLUMNS, fromRow, historyRow, nullableText, text, type HistoryRecord, type Row } from '../../pipeline/history-record.ts'

/**
 * Refuse a table under the history's name that this tool did not create — the Python original's
 * `_migration_history`, say — before anything is changed: inserting into it would fail half-way
 * through a run, and adopting it would mix two tools' records. Extra columns are fine when an
 * insert can leave them empty (nullable or with a default).
 */
export function checkHistoryTable(db: Database.Database, table: string): void {
  const other = db.prepare(`SELECT type FROM sqlite_master WHERE name = ? COLLATE NOCASE AND type <> 'table'`).get(table) as { type: string } | undefined
  const columns = db.prepare('SELECT name, "notnull" AS not_null, dflt_value, pk FROM pragma_table_info(?)').all(table) as
    { name: string, not_null: number, dflt_value: unknown, pk: number }[]
  if (!other && columns.length === 0) return
  const names = new Set(columns.map((c) => c.name.toLowerCase()))
  const missing = HISTORY_COLUMNS.filter((c) => !names.has(c))
  const blocking = columns.filter((c) => !HISTORY_COLUMNS.includes(c.name.toLowerCase()) && c.not_null && c.dflt_value === null && !c.pk).map((c) => c.name)
  if (!other && missing.length === 0 && blocking.length === 0) return
  const what = other
    ? `is a ${other.type}`
    : `has other columns than migrate-plugin's history (${[
      ...(missing.length ? [`missing: ${missing.join(', ')}`] : []),
      ...(blocking.length ? [`required columns it does not know: ${blocking.join(', ')}`] : []),
    ].join('; ')})`
  throw new MigrateError('DATABASE', `the ${other ? 'name' : 'table'} ${table} in ${db.name} ${what}; it was not made by migrate-plugin (perhaps by the Python migrate tool)`, {
    hint: `keep it and let migrate-plugin use another table: set [migration] history_table = migrate_plugin_history in migration.conf; or rename or drop ${table} if you no longer need it. Nothing was changed`,
  })
}

export function ensureHistoryTable(db: Database.Database, table: string): void {
  checkHistoryTable(db, table)
  db.exec(`CREATE TABLE IF NOT EXISTS ${q(table)} (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "migration_id" TEXT NOT NULL UNIQUE,
    "started_at" TEXT NOT NULL,
    "finished_at" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "steps" TEXT NOT NULL,
    "model_files" TEXT NOT NULL,
    "schema_hash" TEXT NOT NULL,
    "db_fingerprint" TEXT,
    "sql" TEXT NOT NULL,
    "warnings" TEXT NOT NULL,
    "error" TEXT,
    "failed_step" TEXT,
    "backup_path" TEXT,
    "duration_ms" INTEGER NOT NULL,
    "trigger" TEXT NOT NULL,
    "tool_version" TEXT NOT NULL
  )`)
}

export function writeHistory(db: Database.Database, table: string, record: HistoryRecord): void {
  ensureHistoryTable(db, table)
  const { columns, values } = historyRow(record)
  db.prepare(`INSERT INTO ${q(table)} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`).run(...values)
}

export function hasTable(db: Database.Database, table: string): boolean {
  // SQLite's names are case-insensitive: "_Migration_History" is the same table.
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE`).get(table) !== undefined
}

/** Newest first. */
export function readHistory(db: Database.Database, table: string, limit = 20): HistoryRecord[] {
  if (!hasTable(db, table)) return []
  checkHistoryTable(db, table)
  const rows = db.prepare(`SELECT * FROM ${q(table)} ORDER BY id DESC LIMIT ?`).all(limit) as Row[]
  return rows.map(fromRow)
}

/** The newest run after which the database was known to match the models. */
export function lastInSync(db: Database.Database, table: string): Pick<HistoryRecord, 'schemaHash' | 'dbFingerprint'> | undefined {
  if (!hasTable(db, table)) return undefined
  const row = db.prepare(`SELECT schema_hash, db_fingerprint FROM ${q(table)} WHERE status IN ('success', 'noop') ORDER BY id DESC LIMIT 1`).get() as Row | undefined
  return row && { schemaHash: text(row.schema_hash), dbFingerprint: nullableText(row.db_fingerprint) }
}

/** A hash of the live schema (everything in sqlite_master but SQLite's own objects and our history table). */
export function schemaFingerprint(db: Database.Database, historyTable: string): string {
  return createHash('sha256').update(JSON.stringify(schemaRows(db, historyTable))).digest('hex')
}

function schemaRows(db: Database.Database, historyTable: string): { type: string, name: string, tbl_name: string, sql: string | null }[] {
  return db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_master
    WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> ? ORDER BY type, name`).all(historyTable) as { type: string, name: string, tbl_name: string, sql: string | null }[]
}

/** The rows the fingerprint hashes, grouped by the table (or view) they belong to: its indexes and triggers go with it. */
export function schemaObjects(db: Database.Database, historyTable: string): { name: string, hash: string }[] {
  const groups = new Map<string, { kind: string, rows: unknown[] }>()
  for (const row of schemaRows(db, historyTable)) {
    const group = groups.get(row.tbl_name) ?? { kind: 'table', rows: [] }
    if (row.name === row.tbl_name) group.kind = row.type
    group.rows.push(row)
    groups.set(row.tbl_name, group)
  }
  return [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, g]) => ({ name: `${g.kind} ${name}`, hash: createHash('sha256').update(JSON.stringify(g.rows)).digest('hex').slice(0, 12) }))
}
