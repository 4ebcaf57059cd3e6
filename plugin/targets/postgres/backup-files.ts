import { createHash } from 'node:crypto'
import { existsSync, lstatSync, readdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { BackupFile } from '../../types.ts'
import type { PostgresLocation } from './url.ts'

/**
 * The backups of one PostgreSQL database in the backup folder:
 * `<database>.backup_<UTC stamp>[_<tag>]_<id>.dump` (pg_dump's custom format) for a server,
 * `<folder>.backup_<UTC stamp>[_<tag>]_<id>.tar.gz` (PGlite's own dump) for PGlite. The id names the
 * database itself — server, port, database and schema, or the folder's absolute path — so that the
 * same database name on two servers (staging and production from one project) never shares a list,
 * and a backup of one is never restored over the other. Listing needs no driver and no connection.
 */
const NAME = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})Z(?:_([a-z0-9-]+))?_([0-9a-f]{12})$/

export function databaseId(location: PostgresLocation): string {
  const identity = location.kind === 'postgres' ? `${location.host}:${location.port}/${location.database}/${location.schema ?? ''}` : location.dataDir
  return createHash('sha256').update(identity).digest('hex').slice(0, 12)
}

function prefix(location: PostgresLocation): string {
  return `${location.kind === 'postgres' ? location.database : basename(location.dataDir)}.backup_`
}

function suffix(location: PostgresLocation): string {
  return location.kind === 'postgres' ? '.dump' : '.tar.gz'
}

/** A new backup's path in `directory`, never an existing file's: `tag` tells a restore's safety copy apart. */
export function newBackupPath(directory: string, location: PostgresLocation, tag?: string): string {
  const stamp = utcStamp(new Date())
  const name = (n: number) => {
    const tags = [tag, n > 1 ? String(n) : undefined].filter((t): t is string => t !== undefined)
    return `${prefix(location)}${stamp}${tags.length ? `_${tags.join('-')}` : ''}_${databaseId(location)}${suffix(location)}`
  }
  let n = 1
  while (existsSync(join(directory, name(n)))) n++
  return join(directory, name(n))
}

function utcStamp(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}_${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`
}

/** Every backup-named regular file for this database name, with the id it carries; newest first. */
function scan(directory: string, location: PostgresLocation): (BackupFile & { id: string })[] {
  if (!existsSync(directory)) return []
  const files: (BackupFile & { id: string })[] = []
  for (const name of readdirSync(directory)) {
    if (!name.startsWith(prefix(location)) || !name.endsWith(suffix(location))) continue
    const m = NAME.exec(name.slice(prefix(location).length, -suffix(location).length))
    if (!m) continue
    const path = join(directory, name)
    const stat = lstatSync(path)
    if (!stat.isFile()) continue
    const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
    files.push({ path, name, createdAt: new Date(Date.UTC(y, mo - 1, d, h, mi, s)), size: stat.size, verified: true, id: m[8]! })
  }
  return files.sort((a, b) => b.name.localeCompare(a.name))
}

/** This database's backups, newest first. */
export function listPostgresBackups(directory: string, location: PostgresLocation): BackupFile[] {
  const id = databaseId(location)
  return scan(directory, location).filter((b) => b.id === id).map(({ id: _id, ...file }) => file)
}

/** A backup-named file of the same database name that belongs to another database (server, schema or folder). */
export function foreignBackup(directory: string, location: PostgresLocation, wanted: string): BackupFile | undefined {
  const id = databaseId(location)
  return scan(directory, location).find((b) => b.id !== id && (b.name === wanted || b.path === wanted || b.name === basename(wanted)))
}
