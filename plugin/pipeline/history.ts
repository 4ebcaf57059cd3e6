import { createHash, randomBytes } from 'node:crypto'
import type Database from 'better-sqlite3'
import { MigrateError } from '../core/errors.ts'
import { redactSecrets } from '../core/redact.ts'
import { quoteIdent as q } from '../core/sql.ts'
import type { HistoryRecord, HistoryStatus } from '../types.ts'
// The public shapes live in types.ts (which imports nothing, so the shipped declarations stand alone).
export type { HistoryRecord, HistoryStatus } from '../types.ts'

/** The columns this tool writes; a table under the history's name without them is someone else's. */
const COLUMNS = ['id', 'migration_id', 'started_at', 'finished_at', 'status', 'description', 'steps', 'model_files', 'schema_hash',
  'db_fingerprint', 'sql', 'warnings', 'error', 'failed_step', 'backup_path', 'duration_ms', 'trigger', 'tool_version']

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
  const missing = COLUMNS.filter((c) => !names.has(c))
  const blocking = columns.filter((c) => !COLUMNS.includes(c.name.toLowerCase()) && c.not_null && c.dflt_value === null && !c.pk).map((c) => c.name)
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

export function newMigrationId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}_${randomBytes(4).toString('hex')}`
}

export function writeHistory(db: Database.Database, table: string, record: HistoryRecord): void {
  ensureHistoryTable(db, table)
  db.prepare(`INSERT INTO ${q(table)} (migration_id, started_at, finished_at, status, description, steps, model_files,
    schema_hash, db_fingerprint, sql, warnings, error, failed_step, backup_path, duration_ms, trigger, tool_version)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
    record.migrationId, record.startedAt, record.finishedAt, record.status, redactSecrets(record.description),
    JSON.stringify(record.steps), JSON.stringify(record.modelFiles), record.schemaHash, record.dbFingerprint,
    record.sql, JSON.stringify(record.warnings.map(redactSecrets)), record.error === null ? null : redactSecrets(record.error), record.failedStep, record.backupPath,
    Math.round(record.durationMs), record.trigger, record.toolVersion,
  )
}

export function hasTable(db: Database.Database, table: string): boolean {
  // SQLite's names are case-insensitive: "_Migration_History" is the same table.
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE`).get(table) !== undefined
}

/**
 * A row as it is, not as it should be: cells can be edited by hand (a DB browser, a script), and
 * `history` / `status` must show them rather than crash. A cell that cannot be read is shown as
 * "(unreadable: …)" with its text.
 */
type Row = Record<string, unknown>

function text(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  if (Buffer.isBuffer(value)) return `(unreadable: ${value.length} bytes)`
  return String(value)
}

function nullableText(value: unknown): string | null {
  return value === null || value === undefined ? null : text(value)
}

function number(value: unknown): number {
  const n = typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : Number(text(value).trim() || NaN)
  return Number.isFinite(n) ? n : 0
}

function unreadable(value: unknown): string {
  const t = text(value)
  return `(unreadable: ${t.length > 80 ? `${t.slice(0, 80)}…` : t})`
}

function json(value: unknown): unknown {
  try {
    return JSON.parse(text(value)) as unknown
  } catch {
    return undefined
  }
}

function stepsOf(value: unknown): HistoryRecord['steps'] {
  const parsed = json(value)
  if (!Array.isArray(parsed)) return text(value) === '' ? [] : [{ description: unreadable(value) }]
  return parsed.map((s: unknown) => {
    if (typeof s === 'string') return { description: s }
    const o = (s && typeof s === 'object' ? s : {}) as Record<string, unknown>
    return {
      description: typeof o.description === 'string' ? o.description : unreadable(JSON.stringify(s)),
      ...(typeof o.table === 'string' ? { table: o.table } : {}),
      ...(typeof o.file === 'string' ? { file: o.file } : {}),
    }
  })
}

function modelFilesOf(value: unknown): HistoryRecord['modelFiles'] {
  const parsed = json(value)
  if (!Array.isArray(parsed)) return []
  return parsed.filter((f): f is { file: string, hash: string } => !!f && typeof f === 'object' && typeof (f as { file?: unknown }).file === 'string')
    .map((f) => ({ file: f.file, hash: text(f.hash) }))
}

function warningsOf(value: unknown): string[] {
  const parsed = json(value)
  if (!Array.isArray(parsed)) return text(value) === '' ? [] : [unreadable(value)]
  return parsed.map((w: unknown) => redactSecrets(typeof w === 'string' ? w : JSON.stringify(w) ?? String(w)))
}

function fromRow(row: Row): HistoryRecord {
  const error = nullableText(row.error)
  return {
    id: number(row.id),
    migrationId: text(row.migration_id),
    startedAt: text(row.started_at),
    finishedAt: text(row.finished_at),
    status: text(row.status) as HistoryStatus,
    description: redactSecrets(text(row.description)),
    steps: stepsOf(row.steps),
    modelFiles: modelFilesOf(row.model_files),
    schemaHash: text(row.schema_hash),
    dbFingerprint: nullableText(row.db_fingerprint),
    sql: text(row.sql),
    warnings: warningsOf(row.warnings),
    error: error === null ? null : redactSecrets(error),
    failedStep: nullableText(row.failed_step),
    backupPath: nullableText(row.backup_path),
    durationMs: number(row.duration_ms),
    trigger: text(row.trigger),
    toolVersion: text(row.tool_version),
  }
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
  const rows = db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_master
    WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> ? ORDER BY type, name`).all(historyTable) as Record<string, unknown>[]
  return createHash('sha256').update(JSON.stringify(rows)).digest('hex')
}
