import { statfsSync } from 'node:fs'
import { dirname } from 'node:path'
import { MigrateError, errorMessage } from './errors.ts'

/**
 * A full disk shows up as SQLITE_FULL, as ENOSPC, or — for a database in WAL mode, whose shared
 * memory file cannot grow — as a bare "disk I/O error" (SQLITE_IOERR_SHMSIZE and friends). The last
 * says nothing about space, so for I/O errors the device itself is asked how much room is left.
 */
export function isNoSpace(error: unknown, path: string): boolean {
  const code = String((error as { code?: unknown } | undefined)?.code ?? '')
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || /no space left|database or disk is full/i.test(errorMessage(error))) return true
  if (!code.startsWith('SQLITE_IOERR') && !/disk I\/O error/i.test(errorMessage(error))) return false
  try {
    const fs = statfsSync(dirname(path))
    // Less than a few pages free: SQLite cannot extend a journal, WAL or shared-memory file.
    return fs.bavail * fs.bsize < 64 * 1024
  } catch {
    return false
  }
}

export function noSpaceError(path: string, doing: string, cause: unknown): MigrateError {
  return new MigrateError('DATABASE', `no space left on the device holding ${path} (while ${doing}): ${errorMessage(cause)}`, {
    hint: 'free some space on that disk (or move the database to one with room), then run again; nothing was changed',
    cause,
  })
}
