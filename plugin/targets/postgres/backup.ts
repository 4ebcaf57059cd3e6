import { spawn } from 'node:child_process'
import { closeSync, existsSync, fchmodSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { MigrateError, errorMessage } from '../../core/errors.ts'
import { listTables, quoteIdent } from './catalogue.ts'
import { loadPglite, openConnection, openSession, pgliteOpeners } from './connection.ts'
import type { PgliteLocation, PostgresServerLocation } from './url.ts'

export type PgTool = 'pg_dump' | 'pg_restore' | 'psql'

/** A PostgreSQL client program: PATH first, then the newest of Debian's /usr/lib/postgresql/<version>/bin. */
export function findPgTool(tool: PgTool): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, tool))) return join(dir, tool)
  }
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a)) : []
  for (const version of versions) {
    const path = join(root, version, 'bin', tool)
    if (existsSync(path)) return path
  }
  return undefined
}

function requireTool(tool: PgTool, code: 'BACKUP' | 'RESTORE'): string {
  const path = findPgTool(tool)
  if (path) return path
  throw new MigrateError(code, `no ${tool} found (looked on PATH and in /usr/lib/postgresql/*/bin); ${code === 'BACKUP' ? 'the backup taken before every change needs it' : 'restoring a backup needs it'}`, {
    hint: `install the PostgreSQL client programs, as new as the server (Debian/Ubuntu: apt-get install postgresql-client; macOS: brew install libpq)${code === 'BACKUP' ? ', or set [database] backup_enabled = false in migration.conf to migrate without a backup' : ''}`,
  })
}

/**
 * The connection for a client program: the URL without its password in argv (where `ps` shows it
 * to every user of the machine); the password goes through the environment.
 */
function clientConnection(location: PostgresServerLocation): { dbname: string, env: NodeJS.ProcessEnv } {
  const url = new URL(location.url)
  url.password = ''
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env.PGPASSWORD
  if (location.password !== undefined) env.PGPASSWORD = location.password
  return { dbname: url.href, env }
}

interface Ran { code: number | null, stdout: Buffer, stderr: string }

function run(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }))
    child.stdin.on('error', () => { /* the program ended early; its exit code says why */ })
    child.stdin.end(input ?? '')
  })
}

/** Create `file` for our eyes only before anything is written into it: a dump holds every row. */
function createPrivateFile(file: string): void {
  let fd: number
  try {
    // wx: an existing file (an earlier backup, somebody's file) is never overwritten.
    fd = openSync(file, 'wx', 0o600)
  } catch (error) {
    throw new MigrateError('BACKUP', `cannot create the backup file ${file}: ${errorMessage(error)}`, { hint: 'check that its folder exists and is writable, and that no file of that name is there; nothing was changed', cause: error })
  }
  try {
    fchmodSync(fd, 0o600)
  } finally {
    closeSync(fd)
  }
}

/** `pg_dump -Fc` of the whole database into `file` (created 0600; removed again when the dump fails). */
export async function dumpDatabase(location: PostgresServerLocation, file: string, lockWaitMs?: number): Promise<void> {
  const pgDump = requireTool('pg_dump', 'BACKUP')
  const { dbname, env } = clientConnection(location)
  createPrivateFile(file)
  let result: Ran
  try {
    // A table lock held elsewhere (somebody's long ALTER, a LOCK TABLE) must end the backup with our
    // message, not leave the run waiting on it with no end.
    const lockWait = lockWaitMs === undefined ? [] : [`--lock-wait-timeout=${Math.max(1000, lockWaitMs)}`]
    result = await run(pgDump, ['-Fc', '--no-owner', ...lockWait, '-f', file, '--dbname', dbname], env)
  } catch (error) {
    rmSync(file, { force: true })
    throw new MigrateError('BACKUP', `cannot run ${pgDump}: ${errorMessage(error)}`, { hint: 'check the PostgreSQL client installation, or set [database] backup_enabled = false in migration.conf', cause: error })
  }
  if (result.code === 0) return
  rmSync(file, { force: true })
  const stderr = result.stderr.trim()
  if (/server version mismatch/i.test(stderr)) {
    throw new MigrateError('BACKUP', `${pgDump} is older than the server of ${location.label}, and pg_dump cannot dump a newer server: ${stderr}`, {
      hint: 'install the PostgreSQL client programs of the server\'s version (or newer) and put them first on PATH, or set [database] backup_enabled = false in migration.conf to skip the backup',
    })
  }
  // pg_dump's --lock-wait-timeout is a statement_timeout around its LOCK TABLE statements.
  if (/could not obtain lock|canceling statement due to statement timeout[\s\S]*LOCK TABLE/i.test(stderr)) {
    throw new MigrateError('BACKUP', `pg_dump of ${location.label} could not lock a table within [safety] lock_timeout: ${stderr}`, {
      hint: 'another session holds a lock on a table (a long ALTER TABLE or LOCK TABLE); let it finish and run again, or raise [safety] lock_timeout; nothing was changed',
    })
  }
  throw new MigrateError('BACKUP', `pg_dump of ${location.label} failed (exit ${result.code}): ${stderr}`, {
    hint: 'see pg_dump\'s message above; nothing was changed. [database] backup_enabled = false in migration.conf skips the backup',
  })
}

/**
 * Put the database back as it was in `file`, all or nothing: tables and enum types made after the
 * dump are dropped, the dump's objects are dropped and recreated with their rows, all in one
 * transaction (psql --single-transaction, stopping at the first error). pg_restore --clean alone
 * would leave the later tables in place.
 */
export async function restoreDatabase(location: PostgresServerLocation, file: string): Promise<void> {
  const pgRestore = requireTool('pg_restore', 'RESTORE')
  const psql = requireTool('psql', 'RESTORE')
  const { dbname, env } = clientConnection(location)
  if (!existsSync(file)) throw new MigrateError('RESTORE', `the backup ${file} does not exist`, { hint: 'give the path of a backup made by migrate-plugin (pg_dump -Fc)' })
  const list = await run(pgRestore, ['--list', file], env)
  if (list.code !== 0) throw new MigrateError('RESTORE', `${file} is not a backup pg_restore can read: ${list.stderr.trim()}`, { hint: 'give the path of a backup made by migrate-plugin (pg_dump -Fc); nothing was changed' })
  const c = await openConnection(location, 10_000)
  let drops: string
  try {
    const [row] = await c.query<{ schema: string }>('SELECT current_schema() AS schema')
    const schema = row?.schema ?? 'public'
    const toc = list.stdout.toString()
    const inDump = (kind: string) => new Set([...toc.matchAll(new RegExp(`^\\d+; \\d+ \\d+ ${kind} (\\S+) (\\S+) `, 'gm'))].filter((m) => m[1] === schema).map((m) => m[2]!))
    const dumpedTables = inDump('TABLE')
    const dumpedTypes = inDump('TYPE')
    const types = await c.query<{ name: string }>(`SELECT t.typname AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = current_schema() AND t.typtype = 'e'`)
    drops = [
      ...(await listTables(c)).filter((t) => !dumpedTables.has(t)).map((t) => `DROP TABLE IF EXISTS ${quoteIdent(schema)}.${quoteIdent(t)} CASCADE;`),
      ...types.map((t) => t.name).filter((t) => !dumpedTypes.has(t)).map((t) => `DROP TYPE IF EXISTS ${quoteIdent(schema)}.${quoteIdent(t)} CASCADE;`),
    ].join('\n')
  } finally {
    await c.close()
  }
  const script = await run(pgRestore, ['--clean', '--if-exists', '--no-owner', '-f', '-', file], env)
  if (script.code !== 0) throw new MigrateError('RESTORE', `pg_restore cannot read ${file}: ${script.stderr.trim()}`, { hint: 'nothing was changed' })
  const applied = await run(psql, ['--no-psqlrc', '--quiet', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '--dbname', dbname, '-f', '-'], env, `${drops}\n${script.stdout.toString()}`)
  if (applied.code !== 0) {
    throw new MigrateError('RESTORE', `restoring ${file} into ${location.label} failed, and was rolled back: ${applied.stderr.trim()}`, { hint: 'the database is as it was before the restore; see the message above' })
  }
}

// ---- PGlite ----------------------------------------------------------------------------------

/** PGlite's own dump of its data folder (a gzipped tarball) into `file`, created 0600. */
export async function dumpDataDir(location: PgliteLocation, file: string): Promise<void> {
  const session = await openSession(location, 0)
  let created = false
  try {
    if (session.kind !== 'pglite') throw new MigrateError('INTERNAL', 'not a PGlite session')
    const blob = await session.db.dumpDataDir('gzip')
    createPrivateFile(file)
    created = true
    writeFileSync(file, Buffer.from(await blob.arrayBuffer()))
  } catch (error) {
    if (created) rmSync(file, { force: true })
    if (error instanceof MigrateError) throw error
    throw new MigrateError('BACKUP', `cannot back up the PGlite database ${location.label}: ${errorMessage(error)}`, { hint: 'nothing was changed; [database] backup_enabled = false in migration.conf skips the backup', cause: error })
  } finally {
    await session.connection.close()
  }
}

/**
 * Put a PGlite data folder back from a dumpDataDir tarball: it is loaded into a new folder beside
 * the live one, and only when that worked are the folders swapped, so a bad tarball leaves the
 * database as it was. Nobody in this process may have the folder open.
 */
export async function restoreDataDir(location: PgliteLocation, file: string): Promise<void> {
  if (pgliteOpeners(location.dataDir) > 0) {
    throw new MigrateError('RESTORE', `the PGlite database ${location.label} is open in this process; it cannot be replaced under its users`, { hint: 'close its connections first' })
  }
  if (!existsSync(file)) throw new MigrateError('RESTORE', `the backup ${file} does not exist`, { hint: 'give the path of a backup made by migrate-plugin' })
  const { PGlite } = await loadPglite()
  const stamp = `${process.pid}-${Date.now()}`
  const fresh = join(dirname(location.dataDir), `.${stampName(location.dataDir)}.restore-${stamp}`)
  const old = join(dirname(location.dataDir), `.${stampName(location.dataDir)}.old-${stamp}`)
  try {
    const db = await PGlite.create(fresh, { loadDataDir: new Blob([readFileSync(file)]) })
    await db.query('SELECT 1')
    await db.close()
  } catch (error) {
    rmSync(fresh, { recursive: true, force: true })
    throw new MigrateError('RESTORE', `${file} cannot be loaded as a PGlite backup: ${errorMessage(error)}`, { hint: 'the database was not changed', cause: error })
  }
  const hadOld = existsSync(location.dataDir)
  if (hadOld) renameSync(location.dataDir, old)
  try {
    renameSync(fresh, location.dataDir)
  } catch (error) {
    if (hadOld) renameSync(old, location.dataDir)
    rmSync(fresh, { recursive: true, force: true })
    throw new MigrateError('RESTORE', `cannot put the restored PGlite folder in place of ${location.dataDir}: ${errorMessage(error)}`, { hint: 'the database was not changed', cause: error })
  }
  rmSync(old, { recursive: true, force: true })
}

function stampName(dir: string): string {
  return dir.split(/[\\/]/).filter(Boolean).pop() ?? 'pglite'
}
