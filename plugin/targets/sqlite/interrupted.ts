import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import Database from 'better-sqlite3'
import { isNoSpace, noSpaceError } from '../../core/diskfull.ts'
import { checkHistoryTable, hasTable, writeHistory } from './history.ts'
import type { HistoryRecord } from '../../pipeline/history-record.ts'
import { quoteIdent } from '../../core/sql.ts'
import type { InterruptedRun } from '../../types.ts'

/**
 * A run marker next to the database, written while an apply holds the lock. Finding one when we
 * take the lock means its writer died (SIGKILL, power loss, OOM) before it finished. SQLite has
 * already rolled the dead transaction back (hot journal) or kept it (if it committed), so the
 * database is at the old schema or the new one, never between; what is left to do is to say so
 * in the history, and to run the migration again. Its shape is the public InterruptedRun (types.ts).
 */
export type RunMarker = InterruptedRun

const markerPath = (dbPath: string) => `${dbPath}-migrate.run`

export function writeMarker(dbPath: string, marker: RunMarker): void {
  try {
    writeFileSync(markerPath(dbPath), JSON.stringify(marker))
  } catch (error) {
    if (isNoSpace(error, dbPath)) throw noSpaceError(markerPath(dbPath), 'writing the run marker', error)
    throw error
  }
}

export function clearMarker(dbPath: string): void {
  rmSync(markerPath(dbPath), { force: true })
}

/** Call with the lock held. Returns the interrupted run's marker when one was recorded. */
export function recoverInterrupted(dbPath: string, historyTable: string, base: Pick<HistoryRecord, 'toolVersion'>): RunMarker | undefined {
  const path = markerPath(dbPath)
  if (!existsSync(path)) return undefined
  let marker: RunMarker
  try {
    marker = JSON.parse(readFileSync(path, 'utf8')) as RunMarker
  } catch {
    // Half-written by a run killed while writing it (checkOutputs refused anything not ours before).
    clearMarker(dbPath)
    return undefined
  }
  if (typeof marker?.migrationId !== 'string' || typeof marker.startedAt !== 'string' || typeof marker.step !== 'string') {
    clearMarker(dbPath)
    return undefined
  }
  marker = { ...marker, trigger: String(marker.trigger ?? 'unknown'), pid: Number(marker.pid) || 0 }
  if (!existsSync(dbPath)) {
    clearMarker(dbPath)
    return undefined
  }
  const db = new Database(dbPath, { timeout: 5000 })
  try {
    checkHistoryTable(db, historyTable)
    const committed = hasTable(db, historyTable)
      && db.prepare(`SELECT 1 FROM ${quoteIdent(historyTable)} WHERE migration_id = ?`).get(marker.migrationId) !== undefined
    if (committed) return undefined
    db.transaction(() => writeHistory(db, historyTable, {
      migrationId: `${marker.migrationId}_interrupted`,
      startedAt: marker.startedAt,
      finishedAt: new Date().toISOString(),
      status: 'interrupted',
      description: `a ${marker.trigger} run stopped during ${marker.step} without finishing (process ${marker.pid} was killed or crashed)`,
      steps: [],
      modelFiles: [],
      schemaHash: '',
      dbFingerprint: null,
      sql: '',
      warnings: [],
      error: 'interrupted: SQLite rolled its transaction back, so the database kept the schema it had before that run',
      failedStep: marker.step,
      backupPath: marker.backupPath ?? null,
      durationMs: 0,
      trigger: marker.trigger,
      toolVersion: base.toolVersion,
    })).immediate()
    return marker
  } finally {
    db.close()
    clearMarker(dbPath)
  }
}
