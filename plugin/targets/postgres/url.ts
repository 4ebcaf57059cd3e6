import { isAbsolute, resolve } from 'node:path'
import { MigrateError } from '../../core/errors.ts'
import { rememberSecrets } from '../../core/redact.ts'

/** A PostgreSQL server's database, reached over the network (or a local socket) with `pg`. */
export interface PostgresServerLocation {
  kind: 'postgres'
  /** What `pg` connects with: the user's URL without the parameters only this tool reads (`schema`). */
  url: string
  database: string
  host: string
  port: number
  /** The schema named by `?schema=` (Prisma's spelling), when there is one; otherwise the role's search_path decides. */
  schema?: string
  /** The password, kept out of `url`'s printed forms; handed to pg_dump through the environment. */
  password?: string
  /** What messages may print: the URL with its password (and any secret parameter) masked. */
  label: string
}

/** A PGlite database: a PostgreSQL compiled to WebAssembly, in a folder of its own. */
export interface PgliteLocation {
  kind: 'pglite'
  /** Absolute path of the data folder. */
  dataDir: string
  label: string
}

export type PostgresLocation = PostgresServerLocation | PgliteLocation

const HINT = 'write it as postgresql://user:password@host:5432/database (percent-encode the characters @ : / ? # in a password, %40 for the at sign), or pglite:./folder for a PGlite database'

/** Query parameters whose values are secrets and never printed. */
const SECRET_PARAM = /pass|secret|token|key$/i

/**
 * Read a `postgres://`, `postgresql://` or `pglite:` URL. The password is registered with the redactor
 * before anything else is done with the URL, so that no error raised while reading it (ours, or
 * one from the URL parser) can show it.
 */
export function parsePostgresLocation(url: string, configDir: string): PostgresLocation {
  if (/^pglite:/i.test(url)) return parsePglite(url, configDir)
  rememberPostgresSecrets(url)
  // Messages show the URL with everything up to its last @ masked: a password with an unencoded @, # or ?
  // is misread by any URL parser, and what it takes for the host or the path may be half the password.
  const shown = maskUserinfo(url)
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new MigrateError('CONFIG', `the database URL ${shown} is not a PostgreSQL URL (it must start with postgresql://, postgres:// or pglite:)`, { hint: HINT })
  }
  if (/\s/.test(url)) {
    throw new MigrateError('CONFIG', `the database URL ${shown} contains white space`, { hint: `remove it, or percent-encode it (a space is %20); ${HINT}` })
  }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new MigrateError('CONFIG', `the database URL ${shown} cannot be read as a URL`, { hint: HINT })
  }
  const decode = (part: string, what: string): string => {
    try {
      return decodeURIComponent(part)
    } catch {
      throw new MigrateError('CONFIG', `the ${what} in the database URL ${shown} has a broken percent-encoding`, { hint: HINT })
    }
  }
  const password = parsed.password === '' ? undefined : decode(parsed.password, 'password')
  const database = decode(parsed.pathname.replace(/^\//, ''), 'database name')
  if (database === '' || database.includes('/')) {
    throw new MigrateError('CONFIG', `the database URL ${shown} ${database === '' ? 'names no database' : /@/.test(parsed.pathname) ? 'has an @ after the host: is an @ in the password not percent-encoded (%40)?' : `names the database "${database}", which holds a /`}`, {
      // libpq would fall back to a database named after the user: migrating a database nobody named is worse than asking.
      hint: `name the database after the host: postgresql://user@host:5432/mydb; ${HINT}`,
    })
  }
  const port = parsed.port === '' ? 5432 : Number(parsed.port)
  const schemaParam = parsed.searchParams.getAll('schema')
  if (schemaParam.length > 1 || schemaParam[0] === '') {
    throw new MigrateError('CONFIG', `the database URL ${shown} gives ${schemaParam.length > 1 ? 'more than one schema' : 'an empty schema'}`, { hint: 'give one schema: ?schema=public' })
  }
  const forPg = new URL(parsed.href)
  forPg.searchParams.delete('schema')
  const label = labelOf(parsed)
  const location: PostgresServerLocation = {
    kind: 'postgres',
    url: forPg.href,
    database,
    host: decode(parsed.hostname, 'host') || 'localhost',
    port,
    label,
  }
  if (schemaParam[0] !== undefined) location.schema = schemaParam[0]
  if (password !== undefined) location.password = password
  return location
}

function parsePglite(url: string, configDir: string): PgliteLocation {
  // `pglite:./data`, `pglite:/abs/data`; `pglite://./data` and `pglite:///abs` are read the same way.
  const path = url.slice('pglite:'.length).replace(/^\/\/(?=[./~]|[A-Za-z]:)/, '')
  if (path.trim() === '') {
    throw new MigrateError('CONFIG', `the database URL ${url} names no folder`, { hint: 'write pglite:./folder (relative to migration.conf) or pglite:/absolute/folder' })
  }
  if (/^[a-z]+:\/\//i.test(path) || path.includes('?')) {
    throw new MigrateError('CONFIG', `the database URL ${url} is not a PGlite folder (PGlite in memory or with options is not supported: the database must outlive the run)`, {
      hint: 'write pglite:./folder (relative to migration.conf) or pglite:/absolute/folder',
    })
  }
  if (path.startsWith('~')) {
    throw new MigrateError('CONFIG', `the database URL ${url} starts with ~, which is not expanded`, { hint: 'write the folder relative to migration.conf (pglite:./data) or as an absolute path' })
  }
  const dataDir = isAbsolute(path) ? resolve(path) : resolve(configDir, path)
  return { kind: 'pglite', dataDir, label: `pglite:${path}` }
}

/** `scheme://***@host…` when the URL has a user part (up to its last @), else the URL as written. */
function maskUserinfo(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)
  const at = url.lastIndexOf('@')
  if (!scheme || at < scheme[0].length) return url
  return `${scheme[0]}***${url.slice(at)}`
}

/**
 * Register the URL's secrets with the redactor: its password (as written and decoded) and the values
 * of secret parameters. Only those: the redactor would take the user of a password-less URL
 * (`postgres://postgres@host/db`) for a token and mask "postgres" in every message after.
 * A URL that cannot be parsed is registered whole: masking too much of it is harmless.
 */
function rememberPostgresSecrets(url: string): void {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    rememberSecrets(url)
    return
  }
  // What lies between the user's colon and the last @ is the password as the user meant it, even when an
  // unencoded @, # or ? made the parser cut it short.
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0].length ?? 0
  const userinfo = url.slice(scheme, Math.max(scheme, url.lastIndexOf('@')))
  const meant = userinfo.includes(':') ? userinfo.slice(userinfo.indexOf(':') + 1) : ''
  const secrets = [parsed.password, meant]
  for (const [key, value] of parsed.searchParams) if (SECRET_PARAM.test(key)) secrets.push(value)
  for (const secret of secrets.filter((s) => s !== '')) rememberSecrets(`postgresql://u:${secret}@h`)
}

/** The URL as messages may show it: no password, no secret parameter value; the rest as the user wrote it. */
function labelOf(parsed: URL): string {
  const shown = new URL(parsed.href)
  if (shown.password !== '') shown.password = 'MASKED'
  const masked = shown.search.replace(/([?&])([^=&]*)=([^&]*)/g, (all, sep: string, key: string) => (SECRET_PARAM.test(safeDecode(key)) ? `${sep}${key}=***` : all))
  return `${shown.href.slice(0, shown.href.length - shown.search.length - shown.hash.length).replace(':MASKED@', ':***@')}${masked}${shown.hash}`
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
