import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { parsePostgresLocation } from '../targets/postgres/url.ts'
import { MigrateError } from './errors.ts'
import { parseIni, type IniEntry } from './ini.ts'
import { redactSecrets, rememberSecrets } from './redact.ts'
import { nearestWord } from './suggest.ts'
import type { ConfigOverrides, ResolvedConfig } from '../types.ts'
// The public shapes live in types.ts (which imports nothing, so the shipped declarations stand alone).
export type { ConfigOverrides, ResolvedConfig } from '../types.ts'

/** What to do about pending changes: apply them, fail on them, report them, or skip the run. */
export type Mode = 'apply' | 'check' | 'warn' | 'off'
export const MODES: readonly Mode[] = ['apply', 'check', 'warn', 'off']

type Kind = 'boolean' | 'integer' | 'path' | 'string' | 'mode' | 'url' | 'identifier'

interface KeySpec {
  section: 'database' | 'migration' | 'safety'
  key: string
  option: keyof ConfigOverrides
  kind: Kind
  min?: number
  doc: string
}

/** Every key migration.conf accepts; the README's table is written from the same list. */
export const CONFIG_KEYS: readonly KeySpec[] = [
  { section: 'database', key: 'url', option: 'databaseUrl', kind: 'url', doc: 'SQLite database: sqlite:///./app.db, file:./app.db or a path; relative to this file. DATABASE_URL overrides it.' },
  { section: 'database', key: 'backup_enabled', option: 'backupEnabled', kind: 'boolean', doc: 'Back up the database before every apply that changes it.' },
  { section: 'database', key: 'backup_retention_days', option: 'backupRetentionDays', kind: 'integer', min: 0, doc: 'Delete backups older than this many days (the newest one is always kept). 0 keeps all.' },
  { section: 'database', key: 'backup_directory', option: 'backupDirectory', kind: 'path', doc: 'Where backups go (default: a backups/ folder next to the database, made when first needed). A folder you name must exist.' },
  { section: 'database', key: 'backup_keep_dev', option: 'backupKeepDev', kind: 'integer', min: 0, doc: 'A dev server (vite dev, watch builds) keeps only the last this-many backups it took, plus the first of its session. 0 keeps all.' },
  { section: 'migration', key: 'model_directory', option: 'modelDirectory', kind: 'path', doc: 'Where the models are: .ts/.mts/.cts/.js/.mjs/.cjs files (nested folders too) and .prisma fragments.' },
  { section: 'migration', key: 'auto_verify', option: 'autoVerify', kind: 'boolean', doc: 'After applying, diff again; a non-empty diff fails the run and rolls it back.' },
  { section: 'migration', key: 'schema_output', option: 'schemaOutput', kind: 'path', doc: 'Where the generated Prisma schema is written.' },
  { section: 'migration', key: 'client_output', option: 'clientOutput', kind: 'path', doc: 'The Prisma Client output directory written into the generator block.' },
  { section: 'migration', key: 'load_timeout', option: 'loadTimeout', kind: 'integer', min: 1, doc: 'Seconds loading the model files may take; a file still loading then (a top-level await that never settles, an endless loop) fails the run, naming it.' },
  { section: 'migration', key: 'history_table', option: 'historyTable', kind: 'identifier', doc: 'The table that records every run, inside the database.' },
  { section: 'migration', key: 'dev', option: 'dev', kind: 'mode', doc: 'Pending changes during `vite dev` / watch builds: apply, check (fail), warn or off.' },
  { section: 'migration', key: 'build', option: 'build', kind: 'mode', doc: 'Pending changes during production builds: apply, check (fail), warn or off. With CI set, apply becomes check unless given as an option.' },
  { section: 'migration', key: 'drop_unmodelled_tables', option: 'dropUnmodelledTables', kind: 'boolean', doc: 'Drop tables that no model defines. Off: they are left alone and listed by `status`.' },
  { section: 'migration', key: 'generate_client', option: 'generateClient', kind: 'boolean', doc: 'After an apply, regenerate the Prisma Client (offline) when the project has `prisma` and `@prisma/client` installed.' },
  { section: 'migration', key: 'plans_directory', option: 'plansDirectory', kind: 'path', doc: 'Where `npx migrate-plugin plan` writes reviewed plans (<UTC time>_<name>.sql), and where `apply` and builds look for plans not yet applied.' },
  { section: 'migration', key: 'require_plans', option: 'requirePlans', kind: 'boolean', doc: 'Refuse, in `apply` and production builds, a change that no reviewed plan covers (write one with `npx migrate-plugin plan`); a dev server stays declarative.' },
  { section: 'safety', key: 'require_confirmation', option: 'requireConfirmation', kind: 'boolean', doc: 'Ask before applying (on a terminal); without one, refuse unless --yes.' },
  { section: 'safety', key: 'max_tables_per_run', option: 'maxTablesPerRun', kind: 'integer', min: 1, doc: 'Refuse a run that would change more tables than this.' },
  { section: 'safety', key: 'allow_data_loss', option: 'allowDataLoss', kind: 'boolean', doc: 'Apply changes the engine warns will lose data (dropped columns/tables with rows, lossy casts).' },
  { section: 'safety', key: 'lock_timeout', option: 'lockTimeout', kind: 'integer', min: 0, doc: 'Seconds to wait for another migrator working on the same database.' },
]

export const DEFAULTS: Required<ConfigOverrides> = {
  databaseUrl: './dev.db',
  backupEnabled: true,
  backupRetentionDays: 30,
  backupDirectory: '',
  backupKeepDev: 10,
  modelDirectory: 'model',
  autoVerify: true,
  schemaOutput: 'prisma/schema.prisma',
  clientOutput: 'generated/prisma',
  historyTable: '_migration_history',
  dev: 'apply',
  build: 'check',
  dropUnmodelledTables: false,
  generateClient: true,
  requireConfirmation: false,
  maxTablesPerRun: 50,
  allowDataLoss: false,
  lockTimeout: 30,
  loadTimeout: 30,
  plansDirectory: 'migrations',
  requirePlans: false,
}

const SECTIONS = ['database', 'migration', 'safety'] as const

export interface LoadConfigOptions {
  /** Project root: where migration.conf is looked for, and what relative paths are against without one. */
  root?: string
  /** An explicit config file (--config): it must exist. */
  configFile?: string
  overrides?: ConfigOverrides
  env?: NodeJS.ProcessEnv
}

export function loadConfig(options: LoadConfigOptions = {}): ResolvedConfig {
  const projectRoot = resolve(options.root ?? process.cwd())
  const env = options.env ?? process.env
  let configFile: string | undefined
  if (options.configFile !== undefined) {
    configFile = resolve(projectRoot, options.configFile)
    if (!existsSync(configFile)) {
      throw new MigrateError('CONFIG', `config file ${options.configFile} does not exist (looked at ${configFile})`, {
        location: { file: configFile },
        hint: 'check the --config path, or leave it out to use migration.conf in the project root',
      })
    }
  } else if (existsSync(resolve(projectRoot, 'migration.conf'))) {
    configFile = resolve(projectRoot, 'migration.conf')
  }
  const root = configFile ? dirname(configFile) : projectRoot
  const fromFile: ConfigOverrides = {}
  if (configFile) Object.assign(fromFile, readConfigFile(configFile))

  const merged = { ...DEFAULTS, ...fromFile, ...definedOnly(options.overrides ?? {}) } as Required<ConfigOverrides>
  for (const spec of CONFIG_KEYS) {
    const value = options.overrides?.[spec.option]
    if (value !== undefined) checkOverride(spec, value)
  }
  let databaseUrlSource: ResolvedConfig['databaseUrlSource'] = options.overrides?.databaseUrl !== undefined ? 'option' : fromFile.databaseUrl !== undefined ? 'config' : 'default'
  if (env.DATABASE_URL && options.overrides?.databaseUrl === undefined) {
    merged.databaseUrl = env.DATABASE_URL
    databaseUrlSource = 'env'
  }
  // Before anything can print it: from here on the URL's secrets are masked wherever they appear.
  // (A PostgreSQL URL's are remembered by its own parser, which knows that a bare user name is not one.)
  if (!/^\s*(postgres(ql)?:|pglite:)/i.test(merged.databaseUrl)) rememberSecrets(merged.databaseUrl)
  const urlSource = databaseUrlSource === 'env' ? 'DATABASE_URL' : databaseUrlSource === 'option' ? 'the databaseUrl option' : configFile ?? 'the database url'
  const location = databaseLocation(merged.databaseUrl, urlSource, root)
  const databasePath = location.path
  const readOnly = location.kind === 'sqlite' && isReadOnlyUrl(merged.databaseUrl)
  if (location.kind !== 'sqlite') connectionUrls.set(redactSecrets(merged.databaseUrl), merged.databaseUrl.trim())
  return {
    ...(configFile ? { configFile } : {}),
    root,
    ...merged,
    databaseUrl: redactSecrets(merged.databaseUrl),
    databaseKind: location.kind,
    databasePath,
    ...(readOnly ? { databaseReadOnly: true } : {}),
    databaseUrlSource,
    // Not the project root any more: a long dev session would fill it with backups.
    // A server database has no folder of its own: its backups go next to the config.
    backupDirectory: merged.backupDirectory ? resolve(root, merged.backupDirectory) : join(location.kind === 'postgres' ? root : dirname(databasePath), 'backups'),
    ...(merged.backupDirectory || location.kind !== 'sqlite' ? {} : { legacyBackupDirectory: dirname(databasePath) }),
    modelDirectory: resolve(root, merged.modelDirectory),
    schemaOutput: resolve(root, merged.schemaOutput),
    plansDirectory: resolve(root, merged.plansDirectory),
    clientOutput: resolve(root, merged.clientOutput),
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

function readConfigFile(file: string): ConfigOverrides {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new MigrateError('CONFIG', `cannot read config file ${file}: ${(error as Error).message}`, { location: { file } })
  }
  const doc = parseIni(text, file)
  const result: Record<string, unknown> = {}
  for (const [section, { line, entries }] of doc.sections) {
    if (!(SECTIONS as readonly string[]).includes(section)) {
      const suggestion = suggest(section, SECTIONS)
      throw new MigrateError('CONFIG', `${file}:${line}: unknown section [${section}]${suggestion ? ` — did you mean [${suggestion}]?` : ''}`, {
        location: { file, line },
        hint: `the sections are ${SECTIONS.map((s) => `[${s}]`).join(', ')}`,
      })
    }
    for (const entry of entries.values()) {
      const spec = CONFIG_KEYS.find((k) => k.section === section && k.key === entry.key)
      if (!spec) throw unknownKey(entry, file)
      result[spec.option] = parseValue(spec, entry, file)
    }
  }
  return result as ConfigOverrides
}

function unknownKey(entry: IniEntry, file: string): MigrateError {
  const inSection = CONFIG_KEYS.filter((k) => k.section === entry.section).map((k) => k.key)
  const elsewhere = CONFIG_KEYS.find((k) => k.key === entry.key)
  let suggestion = ''
  if (elsewhere) suggestion = ` — it belongs in [${elsewhere.section}]`
  else {
    const near = suggest(entry.key, CONFIG_KEYS.map((k) => k.key))
    if (near) {
      const spec = CONFIG_KEYS.find((k) => k.key === near)!
      suggestion = ` — did you mean ${near}${spec.section === entry.section ? '' : ` (in [${spec.section}])`}?`
    }
  }
  return new MigrateError('CONFIG', `${file}:${entry.line}: unknown key ${entry.key} in [${entry.section}]${suggestion}`, {
    location: { file, line: entry.line },
    hint: `[${entry.section}] accepts: ${inSection.join(', ')}`,
  })
}

function suggest(word: string, candidates: readonly string[]): string | undefined {
  return nearestWord(word, candidates, { atLeast: 2, per: 3 })
}

function parseValue(spec: KeySpec, entry: IniEntry, file: string): unknown {
  const bad = (accepted: string) => new MigrateError('CONFIG', `${file}:${entry.line}: ${spec.key} = ${JSON.stringify(entry.value)} is not valid`, {
    location: { file, line: entry.line },
    hint: `${spec.key} accepts ${accepted}`,
  })
  const v = entry.value
  switch (spec.kind) {
    case 'boolean': {
      const lower = v.toLowerCase()
      if (['true', 'yes', 'on', '1'].includes(lower)) return true
      if (['false', 'no', 'off', '0'].includes(lower)) return false
      throw bad('true or false (also yes/no, on/off, 1/0)')
    }
    case 'integer': {
      if (!/^\d+$/.test(v) || Number(v) < (spec.min ?? 0) || !Number.isSafeInteger(Number(v))) throw bad(`a whole number ≥ ${spec.min ?? 0}`)
      return Number(v)
    }
    case 'mode':
      if (!(MODES as readonly string[]).includes(v)) throw bad(MODES.join(', '))
      return v
    case 'identifier':
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v) || /^sqlite_/i.test(v)) throw bad('a table name: letters, digits and underscores, not starting with sqlite_')
      return v
    case 'path':
    case 'url':
    case 'string':
      if (entry.inlineComment) {
        // A file name may contain " #" or " ;" (`./data #1/app.db`): reading the rest as a comment
        // could migrate another file without a word, so the line is refused instead of guessed.
        const shown = entry.key === 'url' ? redactSecrets(entry.raw) : entry.raw
        throw new MigrateError('CONFIG', `${file}:${entry.line}: ${spec.key} = ${shown} is ambiguous: is ${JSON.stringify(entry.raw.slice(entry.value.length).trim())} a comment or part of the ${spec.kind === 'url' ? 'URL' : 'path'}?`, {
          location: { file, line: entry.line },
          hint: `quote the whole value if it is part of it (${spec.key} = "${shown}"), or put the comment on a line of its own`,
        })
      }
      if (v === '') throw bad('a non-empty value')
      return v
  }
}

function checkOverride(spec: KeySpec, value: unknown): void {
  const fail = (accepted: string) => {
    throw new MigrateError('CONFIG', `option ${spec.option} = ${JSON.stringify(value)} is not valid`, { hint: `${spec.option} accepts ${accepted}` })
  }
  switch (spec.kind) {
    case 'boolean': if (typeof value !== 'boolean') fail('true or false'); break
    case 'integer': if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < (spec.min ?? 0)) fail(`a whole number ≥ ${spec.min ?? 0}`); break
    case 'mode': if (!(MODES as readonly string[]).includes(value as string)) fail(MODES.join(', ')); break
    default: if (typeof value !== 'string' || value === '') fail('a non-empty string')
  }
}

/**
 * The database as messages name it: a SQLite file or PGlite folder through `shown` (relative to the
 * project, or the working directory), a server by its URL with the password masked — never a path.
 */
export function databaseLabel(config: Pick<ResolvedConfig, 'databaseKind' | 'databasePath'>, shown: (path: string) => string): string {
  return config.databaseKind === 'postgres' ? config.databasePath : shown(config.databasePath)
}

/** A database file or folder that is not there yet (a server's missing database is an error before this is asked). */
export function databaseMissing(config: Pick<ResolvedConfig, 'databaseKind' | 'databasePath'>): boolean {
  return config.databaseKind !== 'postgres' && !existsSync(config.databasePath)
}

/**
 * The real URLs of PostgreSQL servers, by their printable (masked) form: the resolved config holds
 * only the masked one, so that no output can print a password, and the target asks here to connect.
 */
const connectionUrls = new Map<string, string>()

export function connectionUrl(config: Pick<ResolvedConfig, 'databaseUrl'>): string {
  return connectionUrls.get(config.databaseUrl) ?? config.databaseUrl
}

/**
 * Which database a URL names, chosen once: `postgres://` / `postgresql://` (a server; the path is
 * the masked URL, for messages), `pglite:./folder` (an embedded PostgreSQL in a folder), anything
 * else a SQLite file (see sqlitePath).
 */
export function databaseLocation(url: string, source: string, root: string): { kind: ResolvedConfig['databaseKind'], path: string } {
  const trimmed = url.trim()
  if (/^(postgres(ql)?:\/\/|pglite:)/i.test(trimmed)) {
    let location
    try {
      location = parsePostgresLocation(trimmed, root)
    } catch (error) {
      // Said against where the URL came from, like every other config problem.
      if (error instanceof MigrateError) throw new MigrateError('CONFIG', `${source}: ${error.message}`, { ...(error.hint ? { hint: error.hint } : {}) })
      throw error
    }
    return location.kind === 'postgres' ? { kind: 'postgres', path: location.label } : { kind: 'pglite', path: location.dataDir }
  }
  return { kind: 'sqlite', path: resolve(root, sqlitePath(url, source)) }
}

/**
 * `sqlite:///./app.db` (SQLAlchemy's form: three slashes, then a relative path; four for an
 * absolute one), `file:./app.db` (Prisma's) or a plain path. Anything else is refused: only SQLite
 * is supported, and a URL with a password is never echoed back. Query parameters are SQLite's URI
 * options; `mode=ro` and `immutable=1` are honoured (see isReadOnlyUrl), the others are ignored.
 */
export function sqlitePath(url: string, source: string): string {
  const trimmed = url.trim()
  let path: string
  const isUri = /^(sqlite|file):/i.test(trimmed)
  if (/^sqlite:\/\//i.test(trimmed)) {
    path = trimmed.replace(/^sqlite:\/\/\/?/i, '')
  } else if (/^file:/i.test(trimmed)) {
    path = trimmed.replace(/^file:(\/\/(?=\/))?/i, '')
  } else if (/^[a-z][a-z0-9+.-]+:/i.test(trimmed)) {
    // Any other scheme, with or without "//" (`postgres:/…`, `libsql:…`): never a path to create.
    // One letter before the colon is a Windows drive (C:\app.db), not a scheme.
    throw new MigrateError('CONFIG', `${source}: ${redactSecrets(trimmed)} is not a database URL migrate-plugin knows`, {
      hint: 'use a SQLite file (sqlite:///./app.db, file:./app.db or a path), postgresql://user@host:5432/db, or pglite:./folder',
    })
  } else {
    path = trimmed
  }
  const query = path.indexOf('?')
  if (query >= 0) path = path.slice(0, query)
  if (isUri && /^[^/]*@/.test(trimmed.replace(/^(sqlite|file):\/*/i, '')) && /@/.test(path)) {
    // `sqlite://user:secret@host/app.db` would otherwise become a file named after the password.
    throw new MigrateError('CONFIG', `${source}: ${redactSecrets(trimmed)} has a user or password, which a SQLite database file cannot use`, {
      hint: 'a SQLite URL names a file: sqlite:///./app.db or file:./app.db',
    })
  }
  if (isUri && path.includes('#')) {
    // In a URI, "#" starts a fragment: "file:./data #1/app.db" could mean "./data " or the whole path.
    throw new MigrateError('CONFIG', `${source}: ${JSON.stringify(redactSecrets(trimmed))} has a "#" in its path, which a URL reads as the start of a fragment`, {
      hint: 'write the file as a plain path instead (url = "./data #1/app.db"), or rename the folder',
    })
  }
  if (path === '' || path === ':memory:' || /(^|&)mode=memory(&|$)/i.test(trimmed.slice(trimmed.indexOf('?') + 1))) {
    throw new MigrateError('CONFIG', `${source}: ${JSON.stringify(redactSecrets(url))} does not name a database file`, {
      hint: 'give a file path, e.g. sqlite:///./app.db',
    })
  }
  return path
}

/** SQLite's read-only URI options, wherever they are in the query: `mode=ro`, `immutable=1`. */
export function isReadOnlyUrl(url: string): boolean {
  const query = url.indexOf('?')
  if (query < 0) return false
  // Read as SQLite reads a URI: a fragment ends the query, and %xx escapes are decoded.
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text)
    } catch {
      return text
    }
  }
  return url.slice(query + 1).replace(/#.*$/s, '').split('&').some((pair) => {
    const [key = '', value = ''] = pair.split('=')
    const k = decode(key).trim().toLowerCase()
    const v = decode(value).trim().toLowerCase()
    return (k === 'mode' && v === 'ro') || (k === 'immutable' && ['1', 'true', 'yes', 'on'].includes(v))
  })
}
