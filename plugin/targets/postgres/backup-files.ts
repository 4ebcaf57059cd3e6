import { existsSync, lstatSync, readdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { BackupFile } from '../../types.ts'
import type { PostgresLocation } from './url.ts'

/**
 * The backups of one PostgreSQL database in the backup folder: `<database>.backup_<UTC stamp>.dump`
 * (pg_dump's custom format) for a server, `<folder>.backup_<UTC stamp>.tar.gz` (PGlite's own dump)
 * for PGlite. Listing them needs no driver, so `backups` works without a connection.
 */
export function backupPrefix(location: PostgresLocation): string {
  return `${location.kind === 'postgres' ? location.database : basename(location.dataDir)}.backup_`
}

export function backupSuffix(location: PostgresLocation): string {
  return location.kind === 'postgres' ? '.dump' : '.tar.gz'
}

export function utcStamp(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}_${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`
}

/** Newest first; only regular files named like this database's backups. */
export function listPostgresBackups(directory: string, location: PostgresLocation): BackupFile[] {
  if (!existsSync(directory)) return []
  const prefix = backupPrefix(location)
  const suffix = backupSuffix(location)
  const files: BackupFile[] = []
  for (const name of readdirSync(directory)) {
    const stamp = name.startsWith(prefix) && name.endsWith(suffix) ? /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})Z(_\d+)?$/.exec(name.slice(prefix.length, -suffix.length)) : null
    if (!stamp) continue
    const path = join(directory, name)
    const stat = lstatSync(path)
    if (!stat.isFile()) continue
    const [y, mo, d, h, mi, s] = stamp.slice(1, 7).map(Number) as [number, number, number, number, number, number]
    files.push({ path, name, createdAt: new Date(Date.UTC(y, mo - 1, d, h, mi, s)), size: stat.size, verified: true })
  }
  return files.sort((a, b) => b.name.localeCompare(a.name))
}
