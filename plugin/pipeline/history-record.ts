import { randomBytes } from 'node:crypto'
import { redactSecrets } from '../core/redact.ts'
import type { HistoryRecord, HistoryStatus, UndoneRun } from '../types.ts'
// The public shapes live in types.ts (which imports nothing, so the shipped declarations stand alone).
export type { HistoryRecord, HistoryStatus } from '../types.ts'

/**
 * The history row, whatever database holds it: the columns, a record's values for them, and the
 * record read back from a row (tolerant of cells edited by hand). Each target writes and reads the
 * table in its own SQL (history.ts in each target folder).
 */
/** The columns this tool writes; a table under the history's name without them is someone else's. */
export const HISTORY_COLUMNS = ['id', 'migration_id', 'started_at', 'finished_at', 'status', 'description', 'steps', 'model_files', 'schema_hash',
  'db_fingerprint', 'sql', 'warnings', 'error', 'failed_step', 'backup_path', 'duration_ms', 'trigger', 'tool_version']

export function newMigrationId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}_${randomBytes(4).toString('hex')}`
}

/**
 * An undone run named in a restore's row, in a line: a run's description may itself be a restore's,
 * naming the runs it undid, and copied whole each restore's row would hold all of history again.
 */
function brief(description: string): string {
  const line = description.split('\n')[0]!
  return line.length > 120 ? `${line.slice(0, 119)}…` : line
}

/**
 * The history row a restore leaves: which backup came back, the later runs it undid (undefined:
 * the replaced database could not be read, so they are unknown), and the safety copy of what it replaced.
 */
export function restoredRecord(r: { started: Date, backupName: string, undone: UndoneRun[] | undefined, unknownReason?: string, fingerprint: string, safetyBackup: string | undefined, trigger: string | undefined, toolVersion: string }): HistoryRecord {
  const undid = r.undone === undefined
    ? `; the replaced file could not be read (${r.unknownReason ?? 'unreadable'}), so the runs it undid are unknown`
    : r.undone.length ? `; undid ${r.undone.length} later run(s): ${r.undone.map((u) => `${u.migrationId} (${u.status}: ${brief(u.description)})`).join('; ')}` : ''
  return {
    migrationId: newMigrationId(r.started),
    startedAt: r.started.toISOString(),
    finishedAt: new Date().toISOString(),
    status: 'restored',
    description: `restored from ${r.backupName}${undid}`,
    steps: (r.undone ?? []).map((u) => ({ description: `undid ${u.migrationId}: ${brief(u.description)}` })),
    modelFiles: [],
    schemaHash: '',
    dbFingerprint: r.fingerprint,
    sql: '',
    warnings: [],
    error: null,
    failedStep: null,
    backupPath: r.safetyBackup ?? null,
    durationMs: Date.now() - r.started.getTime(),
    trigger: r.trigger ?? 'cli',
    toolVersion: r.toolVersion,
  }
}

/** The columns an insert fills (all but the id), and the record's values for them, secrets masked. */
export function historyRow(record: HistoryRecord): { columns: string[], values: unknown[] } {
  return {
    columns: HISTORY_COLUMNS.filter((c) => c !== 'id').map((c) => `"${c}"`),
    values: [
      record.migrationId, record.startedAt, record.finishedAt, record.status, redactSecrets(record.description),
      JSON.stringify(record.steps), JSON.stringify(record.modelFiles), record.schemaHash, record.dbFingerprint,
      record.sql, JSON.stringify(record.warnings.map(redactSecrets)), record.error === null ? null : redactSecrets(record.error), record.failedStep, record.backupPath,
      Math.round(record.durationMs), record.trigger, record.toolVersion,
    ],
  }
}

/**
 * A row as it is, not as it should be: cells can be edited by hand (a DB browser, a script), and
 * `history` / `status` must show them rather than crash. A cell that cannot be read is shown as
 * "(unreadable: …)" with its text.
 */
export type Row = Record<string, unknown>

export function text(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  if (Buffer.isBuffer(value)) return `(unreadable: ${value.length} bytes)`
  return String(value)
}

export function nullableText(value: unknown): string | null {
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

export function fromRow(row: Row): HistoryRecord {
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

