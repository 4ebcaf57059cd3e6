import { closeSync, lstatSync, openSync, readSync, readlinkSync, realpathSync, statSync } from 'node:fs'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import { listModelFiles } from '../model/files.ts'
import { backupFolders, listBackups } from '../targets/sqlite/backup.ts'
import { findPrismaCli } from '../pipeline/client.ts'
import type { ResolvedConfig } from './config.ts'
import { MigrateError } from './errors.ts'
import { SCHEMA_HEADER } from '../schema/header.ts'

/**
 * Everything a run writes, checked once before its first write: the generated schema, the Prisma
 * Client folder (when client generation will run), backups, the lock file, the run marker, and the
 * inputs cache. A setting that points one of them at the database, a backup, a model file or the
 * config — or at a file the user wrote — is refused with the key to change, before anything is
 * touched. Paths are compared as the file system sees them: symlinks resolved, and without regard
 * to case where the file system ignores it.
 */
export function checkOutputs(config: ResolvedConfig): void {
  const db = config.databasePath
  const protectedFiles: { path: string, what: string }[] = [
    { path: db, what: 'the database' },
    ...['-journal', '-wal', '-shm'].map((suffix) => ({ path: `${db}${suffix}`, what: `the database's ${suffix.slice(1)} file` })),
    { path: `${db}-migrate.lock`, what: 'the migrator lock file' },
    { path: `${db}-migrate.run`, what: 'the run marker' },
    { path: `${db}-migrate.id`, what: "the database's id file" },
    ...(config.configFile ? [{ path: config.configFile, what: 'the config file' }] : []),
    ...safeList(() => listBackups(db, backupFolders(config))).map((b) => ({ path: b.path, what: 'a backup' })),
    ...safeList(() => listModelFiles(config.modelDirectory)).map((path) => ({ path, what: 'a model file' })),
  ]
  const cacheDir = join(config.root, 'node_modules', '.cache', 'migrate-plugin')
  const schema = canonical(config.schemaOutput)
  const schemaKey = keyName(config, 'schema_output', 'schemaOutput')

  for (const file of protectedFiles) {
    if (canonical(file.path) === schema) refuse(schemaKey, config.schemaOutput, `it is ${file.what} (${file.path})`, 'schema_output must name a file of its own, e.g. prisma/schema.prisma')
  }
  // A name that looks like one of this database's backups would be listed, and restored, as one.
  if (basename(config.schemaOutput).toLowerCase().startsWith(`${basename(db)}.backup_`.toLowerCase())) {
    refuse(schemaKey, config.schemaOutput, `its name is that of a backup of ${basename(db)}`, 'schema_output must name a file of its own, e.g. prisma/schema.prisma')
  }
  if (isInside(schema, canonical(config.modelDirectory))) {
    refuse(schemaKey, config.schemaOutput, `it is inside the model directory ${config.modelDirectory}, where it would be read back as a model fragment`, 'write the schema outside the model directory, e.g. prisma/schema.prisma')
  }
  if (isInside(schema, canonical(cacheDir))) refuse(schemaKey, config.schemaOutput, `it is inside migrate-plugin's cache ${cacheDir}`, 'write the schema elsewhere, e.g. prisma/schema.prisma')
  checkSchemaFile(config.schemaOutput, schemaKey)

  if (config.generateClient && findPrismaCli(config.root)) {
    // `prisma generate` writes a folder of its own: it must not hold anything else of ours or the user's.
    const client = canonical(config.clientOutput)
    const clientKey = keyName(config, 'client_output', 'clientOutput')
    const fix = 'point client_output at a folder of its own, e.g. generated/prisma (or set generate_client = false)'
    for (const file of protectedFiles) {
      if (isInside(canonical(file.path), client, true)) refuse(clientKey, config.clientOutput, `the Prisma Client folder would hold ${file.what} (${file.path})`, fix)
    }
    const folders: [string, string][] = [
      [config.root, 'the project folder'], [config.modelDirectory, 'the model directory'], [config.backupDirectory, 'the backup directory'], [cacheDir, "migrate-plugin's cache"],
    ]
    for (const [folder, what] of folders) {
      if (isInside(canonical(folder), client, true)) refuse(clientKey, config.clientOutput, `it is ${what} or holds it (${folder})`, fix)
    }
    if (isInside(client, canonical(config.modelDirectory))) {
      refuse(clientKey, config.clientOutput, `it is inside the model directory ${config.modelDirectory}, where the generated files would be loaded as models`, fix)
    }
    if (isInside(schema, client, true)) refuse(schemaKey, config.schemaOutput, `it is inside the Prisma Client folder ${config.clientOutput}`, 'keep the schema and the client apart, e.g. prisma/schema.prisma and generated/prisma')
  }

  // Our marker is JSON whose first key is migrationId (a kill while writing it may leave a prefix of that).
  checkOwnFile(`${db}-migrate.run`, 'the run marker', (head) => head.startsWith(MARKER_START) || MARKER_START.startsWith(head))
  checkOwnFile(`${db}-migrate.lock`, 'the migrator lock file', (head) => head.startsWith('SQLite format 3\0'))
}

const MARKER_START = '{"migrationId":'

function safeList<T>(list: () => T[]): T[] {
  try {
    return list()
  } catch {
    // A missing model or backup directory is reported by the step that needs it, in its own words.
    return []
  }
}

function keyName(config: ResolvedConfig, key: string, option: string): string {
  return config.configFile ? `[migration] ${key} in ${config.configFile} (or the ${option} option)` : `[migration] ${key} in migration.conf (or the ${option} option)`
}

function refuse(key: string, value: string, problem: string, fix: string): never {
  throw new MigrateError('CONFIG', `refusing to write ${value}: ${problem}. Nothing was changed`, { hint: `change ${key}: ${fix}` })
}

/**
 * Just before the schema is written: a long-lived process (a dev server) reuses the checks of its
 * last model load, and a file may have appeared at schema_output since.
 */
export function checkSchemaTarget(config: ResolvedConfig): void {
  checkSchemaFile(config.schemaOutput, keyName(config, 'schema_output', 'schemaOutput'))
}

/** The generated schema may replace an earlier generated schema, or an empty file, and nothing else. */
function checkSchemaFile(path: string, key: string): void {
  let stat
  try {
    stat = statSync(path)
  } catch {
    return
  }
  if (stat.isDirectory()) refuse(key, path, 'it is a directory', 'name a file, e.g. prisma/schema.prisma')
  // A FIFO would block the write forever, a device would take it: only a regular file is replaced.
  if (!stat.isFile()) refuse(key, path, 'it is not a regular file', 'name a file, e.g. prisma/schema.prisma')
  if (stat.size === 0) return
  const head = readHead(path, 256)
  if (!head.replace(/^\uFEFF/, '').startsWith(SCHEMA_HEADER[0]!)) {
    refuse(key, path, 'the file there was not generated by migrate-plugin (it lacks the "// Generated by migrate-plugin" header), so it may be yours', 'point schema_output at another file, or move that file away if it really is an old generated schema')
  }
}

/** A lock file or run marker name already taken by a file that is not ours: refuse rather than delete or reuse it. */
function checkOwnFile(path: string, what: string, ours: (head: string) => boolean): void {
  let stat
  try {
    // Not followed: a symbolic link there (to the database, to a file of the user's) is not ours either.
    stat = lstatSync(path)
  } catch {
    return
  }
  if (stat.isFile() && stat.size === 0) return
  if (!stat.isFile() || !ours(readHead(path, 16))) {
    throw new MigrateError('CONFIG', `${path} is where migrate-plugin keeps ${what}, and something else is there. Nothing was changed`, {
      hint: 'move that file away, or point [database] url at another database name',
    })
  }
}

function readHead(path: string, bytes: number): string {
  const fd = openSync(path, 'r')
  try {
    const buffer = Buffer.alloc(bytes)
    const n = readSync(fd, buffer, 0, bytes, 0)
    return buffer.subarray(0, n).toString('latin1')
  } finally {
    closeSync(fd)
  }
}

/** `inner` is `outer` or below it (orEqual), or strictly below it. */
function isInside(inner: string, outer: string, orEqual = true): boolean {
  if (inner === outer) return orEqual
  const r = relative(outer, inner)
  return r !== '' && !r.startsWith('..') && !r.startsWith(sep) && !/^[a-z]:/i.test(r)
}

/**
 * The path the file system will really write: the real path of the part that exists (symlinks,
 * even dangling ones, followed), the rest appended; lower-cased where the file system ignores case.
 */
export function canonical(path: string, depth = 0): string {
  const absolute = resolve(path)
  let existing = absolute
  const rest: string[] = []
  for (;;) {
    try {
      const link = lstatSync(existing)
      if (link.isSymbolicLink() && depth < 20) {
        let real: string | undefined
        try {
          real = realpathSync.native(existing)
        } catch {
          // A dangling link: writing through it creates its target.
          return canonical(join(resolve(dirname(existing), readlinkSync(existing)), ...rest), depth + 1)
        }
        existing = real
      }
      break
    } catch {
      const parent = dirname(existing)
      if (parent === existing) break
      rest.unshift(basename(existing))
      existing = parent
    }
  }
  let real = existing
  try {
    real = realpathSync.native(existing)
  } catch { /* keep it as written */ }
  const full = join(real, ...rest)
  return caseInsensitive(real) ? full.toLowerCase() : full
}

const caseMemo = new Map<string, boolean>()

/** Whether the file system holding `dir` (an existing path) ignores case: ask it, with the other case of a name on it. */
function caseInsensitive(dir: string): boolean {
  let probe = dir
  while (!/[a-z]/i.test(basename(probe)) && dirname(probe) !== probe) probe = dirname(probe)
  const cached = caseMemo.get(probe)
  if (cached !== undefined) return cached
  let result = process.platform === 'darwin' || process.platform === 'win32'
  const name = basename(probe)
  if (/[a-z]/i.test(name)) {
    const swapped = join(dirname(probe), [...name].map((ch) => (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase())).join(''))
    try {
      const a = statSync(probe)
      const b = statSync(swapped)
      result = a.ino === b.ino && a.dev === b.dev
    } catch {
      result = false
    }
  }
  caseMemo.set(probe, result)
  return result
}

/**
 * A URL that asks for read-only access (`?mode=ro`, `?immutable=1`) is taken at its word: check,
 * status and history read; apply and preview (which runs the real change inside a transaction it
 * rolls back) and restore are refused before anything is locked or written.
 */
export function refuseReadOnly(config: ResolvedConfig, command: string): void {
  if (!config.databaseReadOnly || command === 'check') return
  throw new MigrateError('CONFIG', `the database URL asks for read-only access (mode=ro or immutable=1), and ${command} would write ${config.databasePath}. Nothing was changed`, {
    hint: `remove mode=ro / immutable=1 from ${config.databaseUrlSource === 'env' ? 'DATABASE_URL' : '[database] url'} to let migrate-plugin change the database, or run \`npx migrate-plugin check\`, which only reads`,
  })
}
