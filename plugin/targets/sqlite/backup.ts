import { closeSync, existsSync, fchmodSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import type Database from 'better-sqlite3'
import { crashPoint } from '../../core/crash.ts'
import { MigrateError, errorMessage } from '../../core/errors.ts'
import { canonicalPath, databaseIdentity } from './identity.ts'
import { openForReading } from './open.ts'
import { escapeRegExp as escape } from '../../core/regexp.ts'
import type { BackupFile } from '../../types.ts'
// The public shapes live in types.ts (which imports nothing, so the shipped declarations stand alone).
export type { BackupFile } from '../../types.ts'

/** What a name in the backup folder is, for this database. */
export type BackupOwner = 'this' | 'other' | 'unknown'

export interface BackupEntry extends BackupFile {
  owner: BackupOwner
  /** The id in the name (absent for 0.1.0 names). */
  databaseId?: string
}

const pad = (n: number) => String(n).padStart(2, '0')

function utcStamp(date: Date): string {
  return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}_${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`
}

function parseStamp(day: string, time: string, utc: boolean): Date {
  const [y, mo, d] = [Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8))]
  const [h, mi, s] = [Number(time.slice(0, 2)), Number(time.slice(2, 4)), Number(time.slice(4, 6))]
  // 0.1.0 named backups in the local time of the process that took them; this process's zone is the best guess.
  return utc ? new Date(Date.UTC(y, mo, d, h, mi, s)) : new Date(y, mo, d, h, mi, s)
}

function namePatterns(dbPath: string): { tagged: RegExp, legacy: RegExp } {
  const base = escape(basename(dbPath))
  return {
    tagged: new RegExp(`^${base}\\.backup_(\\d{8})_(\\d{6})Z_([0-9a-f]{12})(?:_(\\d+))?$`),
    legacy: new RegExp(`^${base}\\.backup_(\\d{8})_(\\d{6})(?:_(\\d+))?$`),
  }
}

/** The folder holding the database: a backup named after its file there can only be its own. */
function isOwnFolder(dbPath: string, directory: string): boolean {
  return canonicalPath(join(directory, basename(dbPath))) === canonicalPath(dbPath)
}

/** A regular file, not followed if it is a symlink: the backup folder may hold anything. */
function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile()
  } catch {
    return false
  }
}

/**
 * Every entry of the backup folder named as a backup of a database with this file name, newest
 * first, each with its owner. Only regular files: a symlink or a folder with a backup's name is
 * neither listed, restored nor deleted.
 */
export function scanBackups(dbPath: string, directory: string, identity = databaseIdentity(dbPath, false)): BackupEntry[] {
  let names: string[]
  try {
    names = readdirSync(directory)
  } catch {
    return []
  }
  const { tagged, legacy } = namePatterns(dbPath)
  const ownFolder = isOwnFolder(dbPath, directory)
  const entries: (BackupEntry & { seq: number })[] = []
  for (const name of names) {
    const t = tagged.exec(name)
    const l = t ? null : legacy.exec(name)
    if (!t && !l) continue
    const path = join(directory, name)
    let stat
    try {
      stat = lstatSync(path)
    } catch {
      continue // gone meanwhile
    }
    if (!stat.isFile()) continue
    const m = (t ?? l)!
    const databaseId = t ? t[3]! : undefined
    // In the database's own folder a backup named after its file can only be of the database at
    // this path, whatever id it carries (a project copied or moved with its backups, an id file
    // lost): the id decides only in a folder that other databases may share.
    const owner: BackupOwner = ownFolder ? 'this' : databaseId === undefined ? 'unknown' : databaseId === identity ? 'this' : 'other'
    entries.push({
      path, name, createdAt: parseStamp(m[1]!, m[2]!, !!t), size: stat.size,
      verified: owner === 'this', owner, ...(databaseId ? { databaseId } : {}), seq: Number((t ? t[4] : l![3]) ?? 1),
    })
  }
  entries.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.seq - a.seq || b.name.localeCompare(a.name))
  return entries.map(({ seq: _seq, ...entry }) => entry)
}

/** The folders a database's backups may be in: the backup folder, then 0.1's place (the database's own folder) when none is configured. */
export function backupFolders(config: { backupDirectory: string, legacyBackupDirectory?: string }): string[] {
  const legacy = config.legacyBackupDirectory
  return legacy !== undefined && resolve(legacy) !== resolve(config.backupDirectory) ? [config.backupDirectory, legacy] : [config.backupDirectory]
}

/** scanBackups over several folders, newest first. */
export function scanBackupFolders(dbPath: string, directories: string[]): BackupEntry[] {
  const identity = databaseIdentity(dbPath, false)
  return directories.flatMap((d) => scanBackups(dbPath, d, identity))
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.name.localeCompare(a.name))
}

/**
 * The default backup folder is made on first use. A folder the user named must already exist: a
 * typo in migration.conf should be an error, not a new folder somewhere unexpected.
 */
export function prepareBackupFolder(config: { backupDirectory: string, legacyBackupDirectory?: string }): string {
  if (config.legacyBackupDirectory === undefined) return config.backupDirectory
  try {
    mkdirSync(config.backupDirectory)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'EEXIST') {
      throw new MigrateError('BACKUP', `cannot create the backup folder ${config.backupDirectory}: ${code ?? errorMessage(error)}`, {
        step: 'backup', hint: 'check the permissions of the database\'s folder, or set [database] backup_directory in migration.conf; nothing was changed',
      })
    }
  }
  return config.backupDirectory
}

/** This database's backups (and unverified 0.1.0 ones in a shared folder), newest first. */
export function listBackups(dbPath: string, directory: string | string[]): BackupFile[] {
  return scanBackupFolders(dbPath, typeof directory === 'string' ? [directory] : directory).filter((b) => b.owner !== 'other').map(({ owner: _o, databaseId: _d, ...file }) => file)
}

/**
 * A new, empty file that only its owner (or whoever may read the database) can open, from the
 * first byte on: `wx` refuses to reuse anything already there (a planted symlink included), and
 * the mode is set on the open descriptor because the process umask may have narrowed it.
 */
export function createPrivateFile(path: string, mode: number): number {
  const fd = openSync(path, 'wx', mode)
  try {
    fchmodSync(fd, mode)
  } catch (error) {
    closeSync(fd)
    rmSync(path, { force: true })
    throw error
  }
  return fd
}

function backupTarget(dbPath: string, directory: string, now: Date, id: string, kind = 'backup'): string {
  const stem = `${basename(dbPath)}.${kind}_${utcStamp(now)}_${id}`
  // The number orders backups taken within one second, so one freed by a deletion (retention, the
  // dev server's bound) is never reused: the new backup would sort as older than the ones after it.
  const numbered = new RegExp(`^${escape(stem)}(?:_(\\d+))?(?:\\.partial)?$`)
  let highest = 0
  for (const name of readdirSync(directory)) {
    const m = numbered.exec(name)
    if (m) highest = Math.max(highest, m[1] ? Number(m[1]) : 1)
  }
  let target = join(directory, highest === 0 ? stem : `${stem}_${highest + 1}`)
  for (let n = highest + 2; existsOrLink(target) || existsOrLink(`${target}.partial`); n++) target = join(directory, `${stem}_${n}`)
  return target
}

function existsOrLink(path: string): boolean {
  try {
    lstatSync(path)
    return true
  } catch {
    return false
  }
}

function checkDirectory(directory: string): void {
  if (!existsSync(directory) || !statSync(directory).isDirectory()) {
    throw new MigrateError('BACKUP', `the backup directory ${directory} ${existsSync(directory) ? 'is not a folder' : 'does not exist'}`, {
      step: 'backup',
      hint: 'create it, or change [database] backup_directory in migration.conf',
    })
  }
}

/**
 * Copy the database with `VACUUM INTO` on a read-only connection: a consistent snapshot of the last
 * commit, even while the app holds the database open in WAL mode, in one synchronous statement.
 * Synchronous on purpose: it runs while the run holds the write lock, and yielding to the event loop
 * there (as the online backup API does between steps) lets code of the same process — a dev
 * server's SSR handler writing with better-sqlite3 — run into that lock and block the very event
 * loop the run needs to finish: a deadlock until the writer's busy timeout. The copy is written
 * under a temporary name and renamed, so no file with a backup's name is ever half-written; that
 * temporary file is created empty with the database's permissions before SQLite writes into it
 * (VACUUM INTO accepts an existing empty file), so a private database is never readable by others,
 * not even half-copied.
 */
export function backupDatabase(dbPath: string, directory: string, now = new Date()): string {
  checkDirectory(directory)
  let target = join(directory, `${basename(dbPath)}.backup_${utcStamp(now)}`)
  const partial = () => `${target}.partial`
  let source: Database.Database | undefined
  let created = false
  try {
    target = backupTarget(dbPath, directory, now, databaseIdentity(dbPath, true)!)
    removeAbandonedCopies(dbPath, directory)
    closeSync(createPrivateFile(partial(), statSync(dbPath).mode & 0o777))
    created = true
    source = openForReading(dbPath, 5000)
    copyLastCommit(source, partial())
    crashPoint('during-backup')
    renameSync(partial(), target)
  } catch (error) {
    if (created) rmSync(partial(), { force: true })
    throw new MigrateError('BACKUP', `could not back up ${dbPath} to ${target}: ${errorMessage(error)}`, {
      step: 'backup',
      hint: 'check free disk space and permissions of the backup directory; nothing was changed',
      cause: error,
    })
  } finally {
    source?.close()
  }
  return target
}

/** Above this size the copy is made by VACUUM INTO, which needs no memory the size of the database. */
const SERIALIZE_MAX_BYTES = 64 * 1024 * 1024

/**
 * The last commit, written into the empty file at `path`. A small database is copied as the image
 * SQLite serializes from its pages, inside one read transaction (a consistent snapshot, as VACUUM INTO
 * takes): for development databases of many tables and few rows that is a few milliseconds, where
 * VACUUM INTO rebuilds every table and index (about 50 ms for 100 tables, paid before every apply and
 * every changing save of a dev server). A large one goes through VACUUM INTO, which also leaves out
 * free pages.
 */
function copyLastCommit(source: Database.Database, path: string): void {
  const pages = source.pragma('page_count', { simple: true }) as number
  const pageSize = source.pragma('page_size', { simple: true }) as number
  if (pages * pageSize > SERIALIZE_MAX_BYTES) {
    source.prepare('VACUUM INTO ?').run(path)
    return
  }
  const image = source.serialize()
  // A WAL database says so in its header (bytes 18 and 19 are 2): the copy has no -wal file beside
  // it and is meant to be opened on its own, as a plain rollback-journal database like VACUUM INTO's.
  if (image[18] === 2) image[18] = 1
  if (image[19] === 2) image[19] = 1
  const fd = openSync(path, 'r+')
  try {
    let written = 0
    while (written < image.length) written += writeSync(fd, image, written, image.length - written, written)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/**
 * A byte-for-byte copy, for a database SQLite cannot read (corrupt, truncated, not SQLite at all):
 * the one case where a snapshot through SQLite is impossible, and exactly when a restore is about to
 * replace the file. A journal or WAL file next to it is copied along (same name plus -journal /
 * -wal), since it may hold the last committed changes.
 */
export function rawCopy(dbPath: string, directory: string, now = new Date()): string {
  checkDirectory(directory)
  // Not named as a backup: it holds a file that is not a readable database, and a plain `restore`
  // (which takes the newest backup) must never pick it.
  let target = join(directory, `${basename(dbPath)}.unreadable_${utcStamp(now)}`)
  const written: string[] = []
  try {
    target = backupTarget(dbPath, directory, now, databaseIdentity(dbPath, true)!, 'unreadable')
    const mode = statSync(dbPath).mode & 0o777
    for (const suffix of ['', '-journal', '-wal']) {
      const from = `${dbPath}${suffix}`
      if (suffix && !isRegularFile(from)) continue
      const to = `${target}${suffix}`
      const partial = `${to}.partial`
      copyBytes(from, partial, mode)
      written.push(partial)
      renameSync(partial, to)
      written[written.length - 1] = to
    }
  } catch (error) {
    for (const path of written) rmSync(path, { force: true })
    throw new MigrateError('BACKUP', `could not copy ${dbPath} to ${target}: ${errorMessage(error)}`, {
      hint: 'check free disk space and permissions of the backup directory; nothing was changed',
      cause: error,
    })
  }
  return target
}

/** Copy a file's bytes into a new file created with `mode` from the start, flushed to disk. */
export function copyBytes(from: string, to: string, mode: number): void {
  const out = createPrivateFile(to, mode)
  let input: number | undefined
  try {
    input = openSync(from, 'r')
    const buffer = Buffer.alloc(1 << 20)
    for (let read; (read = readSync(input, buffer, 0, buffer.length, null)) > 0;) {
      for (let off = 0; off < read;) off += writeSync(out, buffer, off, read - off)
    }
    fsyncSync(out)
  } catch (error) {
    closeSync(out)
    rmSync(to, { force: true })
    throw error
  } finally {
    if (input !== undefined) closeSync(input)
  }
  closeSync(out)
}

/** Copies left by a run killed while backing up (callers hold the migrator lock, so none is in progress). */
function removeAbandonedCopies(dbPath: string, directory: string): void {
  const { tagged, legacy } = namePatterns(dbPath)
  const id = databaseIdentity(dbPath, false)
  for (const name of readdirSync(directory)) {
    if (!name.endsWith('.partial')) continue
    const stem = name.slice(0, -'.partial'.length)
    const t = tagged.exec(stem)
    const ours = isOwnFolder(dbPath, directory) ? !!t || legacy.test(stem) : !!t && t[3] === id
    const path = join(directory, name)
    if (ours && isRegularFile(path)) rmSync(path, { force: true })
  }
}

/**
 * Delete this database's backups older than `days`, never its newest one. Only regular files it
 * can prove are this database's (see above). A backup that cannot be deleted is reported in
 * `failures` and the others are still deleted: retention runs after a committed apply, and
 * must never turn it into a failure. Returns the deleted paths.
 */
export function applyRetention(dbPath: string, directory: string, days: number, now = new Date(), failures: string[] = []): string[] {
  if (days <= 0) return []
  const cutoff = now.getTime() - days * 24 * 60 * 60 * 1000
  const deleted: string[] = []
  for (const backup of scanBackups(dbPath, directory).filter((b) => b.owner === 'this').slice(1)) {
    if (backup.createdAt.getTime() >= cutoff) continue
    deleteBackup(backup.path, deleted, failures)
  }
  return deleted
}

function deleteBackup(path: string, deleted: string[], failures: string[]): void {
  try {
    if (!isRegularFile(path)) return
    // unlink, not rm: rm reads a refused unlink (EPERM) as "a folder?" and reports ENOTDIR.
    unlinkSync(path)
    deleted.push(path)
    // A raw copy's journal or WAL (see rawCopy) goes with it.
    for (const suffix of ['-journal', '-wal']) if (isRegularFile(`${path}${suffix}`)) unlinkSync(`${path}${suffix}`)
  } catch (error) {
    failures.push(`could not delete the old backup ${path}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`)
  }
}

/**
 * The dev server's bound: of the backups one dev-server process took (`session`, oldest first),
 * keep the first (the database as it was before this session changed anything: nothing else holds
 * it) and the newest `keep`; delete the rest. Only paths the same rules as retention prove to be
 * this database's regular files, in this folder; never the newest backup of the database, and
 * never a backup the session did not take (the CLI's, a build's, an earlier session's). Returns
 * the deleted paths.
 */
export function boundSessionBackups(dbPath: string, directory: string, session: readonly string[], keep: number, failures: string[] = []): string[] {
  if (keep <= 0 || session.length <= keep + 1) return []
  const mine = scanBackups(dbPath, directory).filter((b) => b.owner === 'this')
  const newest = mine[0]?.path
  const provable = new Set(mine.map((b) => resolve(b.path)))
  const deleted: string[] = []
  for (const path of session.slice(1, session.length - keep)) {
    if (path === newest || !provable.has(resolve(path))) continue
    deleteBackup(path, deleted, failures)
  }
  return deleted
}
