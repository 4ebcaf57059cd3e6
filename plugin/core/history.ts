import { createHash, randomBytes } from 'node:crypto'
import type Database from 'better-sqlite3'

/** The history table lives inside the database, so it travels with it (and with its backups). */
export type HistoryStatus = 'success' | 'failed' | 'rolled_back' | 'noop' | 'restored' | 'interrupted'

export interface HistoryRecord {
  id?: number
  migrationId: string
  startedAt: string
  finishedAt: string
  status: HistoryStatus
  description: string
  steps: { description: string, table?: string, file?: string }[]
  modelFiles: { file: string, hash: string }[]
  schemaHash: string
  /** Fingerprint of the live schema after the run: with schemaHash, what the fast path compares. */
  dbFingerprint: string | null
  sql: string
  warnings: string[]
  error: string | null
  failedStep: string | null
  backupPath: string | null
  durationMs: number
  trigger: string
  toolVersion: string
}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`

export function ensureHistoryTable(db: Database.Database, table: string): void {
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
    record.migrationId, record.startedAt, record.finishedAt, record.status, record.description,
    JSON.stringify(record.steps), JSON.stringify(record.modelFiles), record.schemaHash, record.dbFingerprint,
    record.sql, JSON.stringify(record.warnings), record.error, record.failedStep, record.backupPath,
    Math.round(record.durationMs), record.trigger, record.toolVersion,
  )
}

export function hasTable(db: Database.Database, table: string): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table) !== undefined
}

interface Row {
  id: number | bigint
  migration_id: string
  started_at: string
  finished_at: string
  status: HistoryStatus
  description: string
  steps: string
  model_files: string
  schema_hash: string
  db_fingerprint: string | null
  sql: string
  warnings: string
  error: string | null
  failed_step: string | null
  backup_path: string | null
  duration_ms: number | bigint
  trigger: string
  tool_version: string
}

function fromRow(row: Row): HistoryRecord {
  return {
    id: Number(row.id),
    migrationId: row.migration_id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    status: row.status,
    description: row.description,
    steps: JSON.parse(row.steps) as HistoryRecord['steps'],
    modelFiles: JSON.parse(row.model_files) as HistoryRecord['modelFiles'],
    schemaHash: row.schema_hash,
    dbFingerprint: row.db_fingerprint,
    sql: row.sql,
    warnings: JSON.parse(row.warnings) as string[],
    error: row.error,
    failedStep: row.failed_step,
    backupPath: row.backup_path,
    durationMs: Number(row.duration_ms),
    trigger: row.trigger,
    toolVersion: row.tool_version,
  }
}

/** Newest first. */
export function readHistory(db: Database.Database, table: string, limit = 20): HistoryRecord[] {
  if (!hasTable(db, table)) return []
  const rows = db.prepare(`SELECT * FROM ${q(table)} ORDER BY id DESC LIMIT ?`).all(limit) as Row[]
  return rows.map(fromRow)
}

/** The newest run after which the database was known to match the models. */
export function lastInSync(db: Database.Database, table: string): Pick<HistoryRecord, 'schemaHash' | 'dbFingerprint'> | undefined {
  if (!hasTable(db, table)) return undefined
  const row = db.prepare(`SELECT schema_hash, db_fingerprint FROM ${q(table)} WHERE status IN ('success', 'noop') ORDER BY id DESC LIMIT 1`).get() as
    Pick<Row, 'schema_hash' | 'db_fingerprint'> | undefined
  return row && { schemaHash: row.schema_hash, dbFingerprint: row.db_fingerprint }
}

/** A hash of the live schema (everything in sqlite_master but SQLite's own objects and our history table). */
export function schemaFingerprint(db: Database.Database, historyTable: string): string {
  const rows = db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_master
    WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> ? ORDER BY type, name`).all(historyTable) as Record<string, unknown>[]
  return createHash('sha256').update(JSON.stringify(rows)).digest('hex')
}
