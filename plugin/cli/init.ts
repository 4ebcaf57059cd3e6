import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, rmSync, rmdirSync, statSync, writeSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { CONFIG_KEYS, DEFAULTS, sqlitePath, type ConfigOverrides } from '../core/config.ts'
import { MigrateError, errorMessage } from '../core/errors.ts'
import { parseIni } from '../core/ini.ts'
import { openForReading } from '../targets/sqlite/open.ts'
import { listModelFiles } from '../model/files.ts'

/**
 * `migrate-plugin init`: the files a new project needs, and nothing it already has. Every target
 * is checked before the first byte is written, so a refusal leaves the folder exactly as it was;
 * files are created with O_EXCL, so even a file that appears meanwhile is never overwritten.
 */

export interface InitOptions {
  root: string
  /** The database file, relative to the project (default ./dev.db). */
  database?: string
}

export interface InitResult {
  configFile: string
  databasePath: string
  /** Created, relative to the project, in the order they were made. */
  created: string[]
  gitignoreAdded: string[]
  /** Why no example model was written, when one was not. */
  skipped?: string
}

export const DEFAULT_DATABASE = 'dev.db'
const MODEL_DIRECTORY = 'model'
const EXAMPLE_MODEL = 'users.ts'

/**
 * A database path the config file, the URL and .gitignore all read the same way: no quotes, `#`,
 * `;`, `?` (each is a comment, a fragment or a query in one of them), no backslash or control
 * characters, no leading `!` or `-`.
 */
export function checkDatabasePath(input: string): string {
  const path = input.trim()
  const refuse = (why: string) => new MigrateError('USAGE', `database path ${JSON.stringify(input)} ${why}`, {
    hint: 'give a file path like dev.db or data/app.db (letters, digits, and . _ - / @ + and spaces)',
  })
  if (path === '') throw refuse('is empty')
  // migration.conf trims a value, so `a.db ` would be read as `a.db`: refused rather than renamed.
  if (path !== input) throw refuse('starts or ends with a space, which migration.conf would not keep')
  if (!/^[\w.\-/@+ ]+$/.test(path)) throw refuse('has characters that migration.conf or .gitignore would read differently')
  if (/^[-!]/.test(path) || path.endsWith('/') || path.split('/').pop() === '.' || path.split('/').pop() === '..') throw refuse('does not name a file')
  return path
}

function urlFor(path: string): string {
  // The seed's own spelling: three slashes then a relative path, four for an absolute one.
  return isAbsolute(path) ? `sqlite:///${path}` : `sqlite:///./${path.replace(/^\.\//, '')}`
}

export function configText(databaseUrl: string, databasePath = 'dev.db'): string {
  // The default backup folder is backups/ beside the database: shown as the path that means it here.
  const slash = databasePath.lastIndexOf('/')
  const backupsDefault = `${slash >= 0 ? databasePath.slice(0, slash + 1) : ''}backups`
  const value = (option: keyof ConfigOverrides): string | undefined => {
    if (option === 'databaseUrl') return databaseUrl
    const v = DEFAULTS[option]
    return v === '' ? undefined : String(v)
  }
  const lines = [
    '# migrate-plugin settings. Relative paths are relative to this file.',
    '# Every key is shown with its default; delete a line to go back to the default.',
    '# Plugin options (migrate({ ... }) in vite.config.ts) and CLI flags win over this file;',
    '# DATABASE_URL wins over [database] url.',
  ]
  for (const section of ['database', 'migration', 'safety'] as const) {
    lines.push('', `[${section}]`)
    for (const spec of CONFIG_KEYS.filter((k) => k.section === section)) {
      lines.push(`# ${spec.doc}`)
      const v = value(spec.option)
      // A key without a value is refused by the reader, so an unset one is shown commented out.
      lines.push(v === undefined ? `# ${spec.key} = ${backupsDefault}` : `${spec.key} = ${v}`)
    }
  }
  return `${lines.join('\n')}\n`
}

export const EXAMPLE_MODEL_TEXT = `// An example model: edit it, or delete this file and write your own. Every table() exported
// from a file under model/ is a model; \`npx migrate-plugin apply\` (or \`vite dev\` with the plugin)
// creates and changes the tables to match. Nested folders work too.
import { table, int, text, boolean, datetime, type InferRow } from 'migrate-plugin/model'

export const users = table('users', {
  id: int().primaryKey({ autoIncrement: true }),
  email: text().notNull().unique(),
  name: text(), // nullable unless .notNull()
  isActive: boolean().notNull().default(true),
  createdAt: datetime().notNull().defaultNow(),
})

export type User = InferRow<typeof users>

// Another file refers to it by importing it:
//   import { users } from './users.ts'
//   authorId: int().notNull().references(() => users.id, { onDelete: 'cascade' }),
`

/** The lines .gitignore should have: the database and every file that follows it, and the generated client. */
export function gitignoreLines(root: string, databasePath: string): string[] {
  const lines: string[] = []
  const db = relative(root, databasePath).split(sep).join('/')
  // A database outside the project is not the project's git's business.
  if (db && !db.startsWith('..') && !isAbsolute(db)) {
    // The id file says which database the backups belong to: it follows the database, not the
    // repository (committed, every clone would claim the same id and each other's backups).
    for (const suffix of ['', '-journal', '-wal', '-shm', '-migrate.lock', '-migrate.run', '-migrate.id', '.backup_*']) lines.push(`/${db}${suffix}`)
    // Backups go to backups/ next to the database unless backup_directory says otherwise
    // (`.backup_*` above covers the ones 0.1 left next to the database).
    const folder = db.includes('/') ? db.slice(0, db.lastIndexOf('/') + 1) : ''
    lines.push(`/${folder}backups/`)
  }
  const client = relative(root, resolve(root, DEFAULTS.clientOutput)).split(sep).join('/')
  lines.push(`/${client}/`)
  return lines
}

function kindOf(path: string): 'missing' | 'file' | 'directory' | 'other' {
  try {
    const stat = lstatSync(path)
    return stat.isFile() ? 'file' : stat.isDirectory() ? 'directory' : 'other'
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing'
    throw error
  }
}

export function init(options: InitOptions): InitResult {
  const root = resolve(options.root)
  const database = checkDatabasePath(options.database ?? DEFAULT_DATABASE)
  const configFile = join(root, 'migration.conf')
  const modelDir = join(root, MODEL_DIRECTORY)
  const modelFile = join(modelDir, EXAMPLE_MODEL)
  const gitignore = join(root, '.gitignore')
  const show = (path: string) => relative(root, path) || '.'
  const exists = (path: string, what: string) => new MigrateError('OUTPUT', `${show(path)} already exists (${what}): init never overwrites a file, and wrote nothing`, {
    location: { file: path },
    hint: 'move it away and run init again, or edit it yourself (the keys are listed in the README)',
  })

  // 1. Check everything.
  if (kindOf(configFile) !== 'missing') throw exists(configFile, 'a config file')
  const text = configText(urlFor(database), database)
  // What init writes must be what the config reader reads: the same database, no surprise.
  const databasePath = resolve(root, sqlitePath(parseIni(text, configFile).sections.get('database')!.entries.get('url')!.value, configFile))
  if (databasePath !== resolve(root, database)) throw new MigrateError('USAGE', `database path ${JSON.stringify(database)} would be read back as ${databasePath}`, { hint: 'give a simpler path, like data/app.db' })
  if (kindOf(databasePath) === 'directory') throw new MigrateError('USAGE', `the database path ${show(databasePath)} is a folder`, { hint: 'name a file, like data/app.db' })
  const existingTables = tablesOf(databasePath, show(databasePath))
  const modelKind = kindOf(modelDir)
  let skipped: string | undefined
  // An example users table next to a database that has tables of its own could collide with one of them.
  if (existingTables.length > 0) skipped = `${show(databasePath)} already has tables (${existingTables.slice(0, 5).join(', ')}${existingTables.length > 5 ? ', …' : ''}): no example model added; write models for them in ${MODEL_DIRECTORY}/`
  if (modelKind === 'file' || modelKind === 'other') throw exists(modelDir, 'not a folder, where the models go')
  if (modelKind === 'directory') {
    const models = listModelFiles(modelDir)
    // Adding a users table to someone's existing models would change their schema on the next apply.
    if (models.length > 0) skipped = `${show(modelDir)}/ already has ${models.length} model file(s): no example added`
    else if (!skipped && kindOf(modelFile) !== 'missing') throw exists(modelFile, 'not a model file')
  }
  const gitKind = kindOf(gitignore)
  if (gitKind !== 'missing' && gitKind !== 'file') throw exists(gitignore, 'not a regular file, so nothing can be appended to it')
  const existing = gitKind === 'file' ? readFileSync(gitignore, 'utf8') : ''
  const have = new Set(existing.split(/\r?\n/).map((l) => l.trim()))
  const missing = gitignoreLines(root, databasePath).filter((l) => !have.has(l))
  const databaseDir = dirname(databasePath)
  const dirKind = kindOf(databaseDir)
  if (dirKind !== 'missing' && dirKind !== 'directory') throw exists(databaseDir, 'not a folder, where the database goes')

  // 2. Write; on a failure, take back what this run made.
  const created: string[] = []
  const madeDirs: string[] = []
  try {
    createFile(configFile, text)
    created.push(show(configFile))
    if (modelKind === 'missing') {
      mkdirSync(modelDir)
      madeDirs.push(modelDir)
      if (skipped) created.push(`${show(modelDir)}/`)
    }
    if (!skipped) {
      createFile(modelFile, EXAMPLE_MODEL_TEXT)
      created.push(show(modelFile))
    }
    if (dirKind === 'missing') {
      const first = mkdirSync(databaseDir, { recursive: true })
      if (first) madeDirs.push(first)
      created.push(`${show(databaseDir)}/`)
    }
    if (missing.length > 0) {
      const block = `${existing === '' || existing.endsWith('\n') ? '' : '\n'}${existing === '' ? '' : '\n'}# migrate-plugin: the database, the files that follow it, its backups, and the generated Prisma Client\n${missing.join('\n')}\n`
      const fd = openSync(gitignore, 'a')
      try {
        writeSync(fd, block)
      } finally {
        closeSync(fd)
      }
      if (gitKind === 'missing') created.push('.gitignore')
    }
  } catch (error) {
    for (const file of [...created].reverse()) if (!file.endsWith('/') && file !== '.gitignore') rmSync(join(root, file), { force: true })
    for (const dir of madeDirs.reverse()) {
      try {
        rmdirSync(dir)
      } catch { /* not empty: something else is in it now; leave it */ }
    }
    if (error instanceof MigrateError) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw new MigrateError('OUTPUT', `init could not write in ${root}: ${code ?? (error as Error).message}`, {
      hint: code === 'EEXIST' ? 'a file appeared while init ran; nothing was overwritten' : 'check the folder\'s permissions',
    })
  }
  return { configFile, databasePath, created, gitignoreAdded: missing, ...(skipped ? { skipped } : {}) }
}

/**
 * The tables of an existing database; none when there is no file yet (or an empty one). A file
 * that is not SQLite is refused: init would point the config (and .gitignore) at someone's file.
 */
function tablesOf(path: string, shown: string): string[] {
  let size: number
  try {
    size = statSync(path).size
  } catch {
    return []
  }
  if (size === 0) return []
  const header = Buffer.alloc(16)
  const fd = openSync(path, 'r')
  try {
    readSync(fd, header, 0, 16, 0)
  } finally {
    closeSync(fd)
  }
  if (header.toString('latin1') !== 'SQLite format 3\0') {
    throw new MigrateError('USAGE', `${shown} exists and is not a SQLite database: init will not point migration.conf (or .gitignore) at it`, {
      hint: 'choose another database file with --database',
    })
  }
  try {
    const db = openForReading(path, 2000)
    try {
      return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> ? ORDER BY name`).all(DEFAULTS.historyTable) as { name: string }[]).map((r) => r.name)
    } finally {
      db.close()
    }
  } catch (error) {
    if (error instanceof MigrateError) throw error
    throw new MigrateError('DATABASE', `cannot read ${shown}: ${errorMessage(error)}`, { hint: 'check the file, or choose another with --database' })
  }
}

function createFile(path: string, text: string): void {
  // 'wx': fails if anything is there, a dangling link included.
  const fd = openSync(path, 'wx', 0o644)
  try {
    writeSync(fd, text)
  } finally {
    closeSync(fd)
  }
}
