import { basename } from 'node:path'
import type { ResolvedConfig } from '../../core/config.ts'
import { MigrateError, errorMessage } from '../../core/errors.ts'
import { TOOL_VERSION } from '../../core/version.ts'
import { restoredRecord } from '../../pipeline/history-record.ts'
import type { BackupFile, RestoreResult, UndoneRun } from '../../types.ts'
import type { RestoreRequest } from '../target.ts'
import { foreignBackup, listPostgresBackups, newBackupPath } from './backup-files.ts'
import { dumpDatabase, dumpDataDir, restoreDatabase, restoreDataDir } from './backup.ts'
import { databaseExists, schemaFingerprint } from './catalogue.ts'
import { openConnection, type PgConnection } from './connection.ts'
import { readHistory, writeHistory } from './history.ts'
import { lockDatabase } from './lock.ts'
import type { PostgresLocation } from './url.ts'

/**
 * `restore` on PostgreSQL or PGlite: the chosen backup (pg_dump's, or PGlite's own dump) is put back
 * all or nothing (backup.ts), after a safety backup of the database it replaces, under the
 * migrator's lock; the history then says what was restored and which runs it undid.
 */
export async function restorePostgres(config: ResolvedConfig, request: RestoreRequest, location: PostgresLocation): Promise<RestoreResult> {
  const all = listPostgresBackups(config.backupDirectory, location)
  const listHint = 'run `npx migrate-plugin backups` to list this database\'s backups'
  let chosen: BackupFile | undefined
  if (request.backup === undefined) {
    chosen = all[0]
    if (!chosen) throw new MigrateError('RESTORE', `no backups of ${location.label} in ${config.backupDirectory}`, { hint: 'backups are made before every apply that changes the database (unless backup_enabled = false)' })
  } else {
    chosen = all.find((b) => b.name === request.backup || b.path === request.backup || b.name === basename(request.backup!))
    const foreign = chosen ? undefined : foreignBackup(config.backupDirectory, location, request.backup)
    if (foreign) {
      throw new MigrateError('RESTORE', `${foreign.name} is a backup of another database with the same name (another server, port, schema or folder), not of ${location.label}: refusing to restore it over this one`, {
        hint: `${listHint}; nothing was changed`,
      })
    }
    if (!chosen) throw new MigrateError('RESTORE', `no backup of ${location.label} named ${request.backup}`, { hint: `${listHint}${all[0] ? ` (newest: ${all[0].name})` : ''}` })
  }
  if (!request.yes) {
    const ok = request.confirm ? await request.confirm(chosen, location.label) : false
    if (!ok) {
      throw new MigrateError('GUARD_NOT_CONFIRMED', request.confirm ? 'not confirmed: nothing was restored' : 'restore replaces the database and there is no terminal to ask', {
        hint: 'pass --yes to restore without asking',
      })
    }
  }
  const started = new Date()
  const lock = await lockDatabase(location, config.lockTimeout)
  try {
    const exists = (await databaseExists(location)) !== 'missing'
    const withConnection = async <T>(fn: (c: PgConnection) => Promise<T>): Promise<T> => {
      const c = await openConnection(location, 10_000)
      try { return await fn(c) } finally { await c.close() }
    }
    const before = exists ? await withConnection((c) => readHistory(c, config.historyTable, Number.MAX_SAFE_INTEGER)) : []
    let safetyBackup: string | undefined
    if (exists) {
      safetyBackup = newBackupPath(config.backupDirectory, location, 'before-restore')
      if (location.kind === 'postgres') await dumpDatabase(location, safetyBackup)
      else await dumpDataDir(location, safetyBackup)
    }
    if (location.kind === 'postgres') await restoreDatabase(location, chosen.path)
    else await restoreDataDir(location, chosen.path)
    const warnings: string[] = []
    let undone: UndoneRun[] | undefined
    try {
      await withConnection(async (c) => {
        const kept = new Set((await readHistory(c, config.historyTable, Number.MAX_SAFE_INTEGER)).map((r) => r.migrationId))
        undone = before.filter((r) => !kept.has(r.migrationId)).reverse().map((r) => ({ migrationId: r.migrationId, status: r.status, description: r.description }))
        await writeHistory(c, config.historyTable, restoredRecord({
          started, backupName: chosen!.name, undone, fingerprint: await schemaFingerprint(c, config.historyTable),
          safetyBackup, trigger: request.trigger, toolVersion: TOOL_VERSION,
        }))
      })
    } catch (error) {
      // The database is restored; only its history lacks the line that says so.
      warnings.push(`the restore could not be recorded in ${config.historyTable}: ${errorMessage(error)}`)
    }
    return { config, restored: chosen, ...(safetyBackup ? { safetyBackup, safetyCopy: 'snapshot' as const } : {}), ...(undone ? { undone } : {}), warnings }
  } finally {
    await lock.release()
  }
}
