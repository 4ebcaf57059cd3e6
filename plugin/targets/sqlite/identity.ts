import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, fsyncSync, lstatSync, openSync, readFileSync, realpathSync, renameSync, rmSync, writeSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'

/**
 * Which database a backup belongs to. Two databases may share a file name (`app.db` in two
 * projects) and a backup folder (`backup_directory = ../backups` in both), so the name alone does
 * not say whose a backup is. Each database gets a random id, kept in a small file next to it
 * (`<db>-migrate.id`, beside the lock file and the run marker), and every backup carries that id
 * in its name.
 *
 * Why next to the database and not inside it: the id must exist before the first backup, which is
 * taken while the apply's write transaction is open (a row written there would not be in the
 * snapshot), and writing our own table into the user's database would show up in the engine's
 * diff and in every schema fingerprint. The file moves with the project folder, so a project that
 * is moved keeps its backups; a restore replaces the database file but not its id.
 *
 * The file also records the path it was written for. A project copied with its folder (cp -r)
 * carries the same id: when the recorded path still holds a database with this id, this one is
 * the copy and takes a new id, so the two never claim each other's backups. When the recorded
 * path no longer has that id, the database was moved, and it keeps its id.
 */
export const identityPath = (dbPath: string) => `${dbPath}-migrate.id`

const ID = /^[0-9a-f]{12}$/

interface IdentityFile {
  id: string
  database: string
}

/** The database's path with its folder's symlinks resolved, so the same file always has the same name. */
export function canonicalPath(dbPath: string): string {
  const dir = dirname(resolve(dbPath))
  try {
    return join(realpathSync(dir), basename(dbPath))
  } catch {
    return resolve(dbPath)
  }
}

function readIdentityFile(dbPath: string): IdentityFile | undefined {
  const path = identityPath(dbPath)
  try {
    if (!lstatSync(path).isFile()) return undefined
    const text = readFileSync(path, 'utf8').trim()
    // Just the id, as a user writes it back by hand (see the hint of a refused restore).
    if (ID.test(text)) return { id: text, database: '' }
    const parsed = JSON.parse(text) as Partial<IdentityFile>
    if (typeof parsed.id !== 'string' || !ID.test(parsed.id) || typeof parsed.database !== 'string') return undefined
    return { id: parsed.id, database: parsed.database }
  } catch {
    return undefined
  }
}

function writeIdentityFile(dbPath: string, value: IdentityFile): void {
  const path = identityPath(dbPath)
  const partial = `${path}.${process.pid}.partial`
  const fd = openSync(partial, 'w', 0o644)
  try {
    writeSync(fd, `${JSON.stringify(value)}\n`)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  try {
    renameSync(partial, path)
  } catch (error) {
    rmSync(partial, { force: true })
    throw error
  }
}

/**
 * This database's id. `create: false` (listing) never writes: a database without an id, or a copy
 * that has not yet taken its own, has none, and so owns no tagged backup.
 */
export function databaseIdentity(dbPath: string, create: boolean): string | undefined {
  const here = canonicalPath(dbPath)
  const recorded = readIdentityFile(dbPath)
  if (recorded) {
    if (recorded.database === here) return recorded.id
    const original = existsSync(recorded.database) ? readIdentityFile(recorded.database) : undefined
    const copied = original?.id === recorded.id
    if (!copied) {
      // Moved: same id, new path (written only when allowed to write).
      if (create) writeIdentityFile(dbPath, { id: recorded.id, database: here })
      return recorded.id
    }
    if (!create) return undefined
  }
  if (!create) return undefined
  const id = randomBytes(6).toString('hex')
  writeIdentityFile(dbPath, { id, database: here })
  return id
}
