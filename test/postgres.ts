import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { inject } from 'vitest'

/**
 * Databases and roles on the run's PostgreSQL server (test/postgres-server.ts). Test files run in
 * parallel on the one server, so each takes databases and roles of its own, uniquely named.
 */

export interface FreshDatabase {
  /** A superuser URL of the new database. */
  url: string
  name: string
  drop(): Promise<void>
}

export function serverUrl(): string {
  return inject('postgresUrl')
}

function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`
}

export function urlFor(database: string, user?: string, password?: string): string {
  const url = new URL(serverUrl())
  url.pathname = `/${database}`
  if (user !== undefined) url.username = encodeURIComponent(user)
  if (password !== undefined) url.password = encodeURIComponent(password)
  return url.toString()
}

/** Run `fn` on a superuser connection to the server's `postgres` database. */
export async function asSuperuser<T>(fn: (client: pg.Client) => Promise<T>, database = 'postgres'): Promise<T> {
  const client = new pg.Client({ connectionString: urlFor(database) })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

export async function freshDatabase(): Promise<FreshDatabase> {
  const name = uniqueName('mp_test')
  await asSuperuser((c) => c.query(`CREATE DATABASE "${name}"`))
  return {
    url: urlFor(name),
    name,
    // FORCE: a test that failed half-way may still hold a connection; the database must go anyway.
    drop: () => asSuperuser((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  }
}

export interface TestRole {
  name: string
  password: string
  /** This role's URL (with its password) for `database`. */
  url(database: string): string
  drop(): Promise<void>
}

/**
 * A login role that must give its password (the server trusts only `postgres`): for the tests of
 * what a wrong password, or a password in an error message, does.
 */
export async function createRole(password: string, options: { owns?: string } = {}): Promise<TestRole> {
  const name = uniqueName('mp_role')
  await asSuperuser(async (c) => {
    await c.query(`CREATE ROLE "${name}" LOGIN PASSWORD ${pg.escapeLiteral(password)}`)
    if (options.owns) await c.query(`ALTER DATABASE "${options.owns}" OWNER TO "${name}"`)
  })
  return {
    name,
    password,
    url: (database) => urlFor(database, name, password),
    drop: () => asSuperuser(async (c) => {
      await c.query(`DROP OWNED BY "${name}" CASCADE`).catch(() => {})
      await c.query(`DROP ROLE IF EXISTS "${name}"`)
    }).then(() => undefined),
  }
}
