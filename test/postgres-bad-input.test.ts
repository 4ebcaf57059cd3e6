import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import pg from 'pg'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Project } from './helpers.ts'
import { asSuperuser, createRole, freshDatabase, urlFor, type FreshDatabase, type TestRole } from './postgres.ts'
import { snapshot } from './postgres-snapshot.ts'
import { freePort } from './postgres-server.ts'
import { lockDatabase } from '../plugin/targets/postgres/lock.ts'
import { parsePostgresLocation } from '../plugin/targets/postgres/url.ts'

/**
 * Bad input that concerns a PostgreSQL database, through the CLI a user runs: every case gets a
 * message that names what and where, a hint, exit code 1, no stack trace, and leaves the database
 * exactly as it was (every row, column, constraint, index and sequence). Each case starts from a
 * migrated database with rows in it.
 */

const USERS = `import { table, int, text } from 'migrate-plugin/model'
export const users = table('users', {
  id: int().primaryKey({ autoIncrement: true }),
  email: text().notNull().unique(),
})
`
const WITH_BIO = USERS.replace("  email: text().notNull().unique(),\n", "  email: text().notNull().unique(),\n  bio: text(),\n")

let db: FreshDatabase
let p: Project
const roles: TestRole[] = []

const conf = (url: string, extra = '') => `[database]\nurl = "${url}"\n${extra}`

beforeEach(async () => {
  db = await freshDatabase()
  p = new Project({ 'migration.conf': conf(db.url), 'model/users.ts': USERS })
  expect((await p.migrate()).outcome).toBe('applied')
  await asSuperuser((c) => c.query(`INSERT INTO users (email) VALUES ('a@x'), ('b@x')`), db.name)
  // Every case below asks for a change: a refusal must be the only reason nothing happened.
  p.write('model/users.ts', WITH_BIO)
})
afterEach(async () => {
  p.remove()
  await db.drop()
  for (const role of roles.splice(0)) await role.drop()
})

/** Run `apply` and expect a refusal: exit 1, the message, a hint line, no stack, the database as it was. */
async function refusedApply(message: RegExp, env: NodeJS.ProcessEnv = {}, args: string[] = []): Promise<string> {
  const before = await snapshot(db.name)
  const backups = backupFiles()
  const r = p.cli(['apply', ...args], env)
  expect(r.code, r.stdout + r.stderr).toBe(1)
  expect(r.stderr).toMatch(message)
  expect(r.stderr).not.toMatch(/\n\s+at .*\.(ts|js|mjs):\d+/)
  expect(r.stderr).not.toMatch(/unexpected error/i)
  expect(await snapshot(db.name), 'the database is exactly as it was').toEqual(before)
  expect(backupFiles(), 'no backup of a refused run is left behind').toEqual(backups)
  return r.stderr
}

/** `apply` through the CLI while another session holds an ACCESS EXCLUSIVE lock on `table`. */
async function applyWhileLocked(table: string): Promise<{ code: number, stdout: string, stderr: string }> {
  const holder = new pg.Client({ connectionString: db.url })
  await holder.connect()
  try {
    await holder.query(`BEGIN; LOCK TABLE "${table}" IN ACCESS EXCLUSIVE MODE`)
    return await p.cliAsync(['apply'])
  } finally {
    await holder.query('ROLLBACK').catch(() => {})
    await holder.end()
  }
}

function backupFiles(): string[] {
  const dir = join(p.root, 'backups')
  return existsSync(dir) ? readdirSync(dir).sort() : []
}

describe('bad database URLs', () => {
  const cases: [string, string, RegExp][] = [
    ['no database name', 'postgresql://u:Hidden-pw-1@127.0.0.1:5432', /names no database/],
    ['a port that is not one', 'postgresql://u:Hidden-pw-1@127.0.0.1:99999/db', /cannot be read as a URL/],
    ['an empty schema', 'postgresql://u:Hidden-pw-1@127.0.0.1/db?schema=', /empty schema/],
    ['white space in the name', 'postgresql://u:Hidden-pw-1@127.0.0.1/d b', /white space/],
  ]
  it.each(cases)('%s: a CONFIG error naming the problem, never the password', async (_name, url, message) => {
    p.write('migration.conf', conf(url))
    const stderr = await refusedApply(message)
    // The message, then the hint on a line of its own.
    expect(stderr.trim().split('\n').length).toBeGreaterThan(1)
    expect(stderr).not.toContain('Hidden-pw-1')
    // The same URL from the environment says the same.
    p.write('migration.conf', '')
    const fromEnv = await refusedApply(message, { DATABASE_URL: url })
    expect(fromEnv).not.toContain('Hidden-pw-1')
  })
})

describe('the server and the login', () => {
  it('a server that is not running: "cannot reach", with the host and port, for apply, check and preview', async () => {
    const port = await freePort()
    p.write('migration.conf', conf(`postgresql://postgres@127.0.0.1:${port}/${db.name}`))
    await refusedApply(new RegExp(`cannot reach .*is the server running on 127\\.0\\.0\\.1:${port}\\?`))
    for (const command of ['check', 'preview']) {
      const r = p.cli([command])
      expect(r.code, command).toBe(1)
      expect(r.stderr, command).toMatch(/cannot reach/)
      expect(r.stderr, command).toMatch(/start the PostgreSQL server, or correct the host and port/)
    }
  })

  it('a wrong password: "cannot log in", naming the user and server, never the password', async () => {
    const role = await createRole('Right-pa55word-1', { owns: db.name })
    roles.push(role)
    p.write('migration.conf', conf(role.url(db.name).replace('Right-pa55word-1', 'Wr0ng-pa55word-2')))
    const stderr = await refusedApply(/cannot log in to postgresql:\/\/mp_role_\w+:\*\*\*@127\.0\.0\.1:\d+\/mp_test_\w+: password authentication failed/)
    expect(stderr).toMatch(/check the user name and password/)
    expect(stderr).not.toContain('Wr0ng-pa55word-2')
  })

  it('a database that does not exist: named, with how to create it, and not created', async () => {
    const missing = `${db.name}_missing`
    p.write('migration.conf', conf(urlFor(missing)))
    await refusedApply(new RegExp(`the database "${missing}" does not exist.*\\n.*createdb ${missing}`))
    expect(await asSuperuser(async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [missing])).rowCount)).toBe(0)
  })
})

describe('what is in the database', () => {
  it('a history table that is not ours: refused, naming it and how to keep it', async () => {
    await asSuperuser((c) => c.query('DROP TABLE "_migration_history"; CREATE TABLE "_migration_history" (id serial PRIMARY KEY, version text NOT NULL); INSERT INTO "_migration_history" (version) VALUES (\'v1\')'), db.name)
    const stderr = await refusedApply(/the relation _migration_history has other columns than migrate-plugin's history .*it was not made by migrate-plugin/)
    expect(stderr).toMatch(/history_table = migrate_plugin_history/)
    const history = p.cli(['history'])
    expect(history.code).toBe(1)
    expect(history.stderr).toMatch(/not made by migrate-plugin/)
  })

  it('a view under the history table\'s name: refused the same way', async () => {
    await asSuperuser((c) => c.query('DROP TABLE "_migration_history"; CREATE VIEW "_migration_history" AS SELECT 1 AS one'), db.name)
    await refusedApply(/the relation _migration_history is a view; it was not made by migrate-plugin/)
  })

  it('a role that may not create tables in the schema: refused before anything runs, with the GRANT that fixes it', async () => {
    const role = await createRole('Reader-pa55word-3')
    roles.push(role)
    await asSuperuser(async (c) => {
      await c.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`)
      await c.query(`GRANT USAGE ON SCHEMA public TO "${role.name}"`)
      await c.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "${role.name}"`)
      await c.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "${role.name}"`)
    }, db.name)
    p.write('migration.conf', conf(role.url(db.name)))
    const stderr = await refusedApply(/the user may not create tables in the schema public/)
    expect(stderr).toMatch(/GRANT CREATE ON SCHEMA public TO <user>/)
    expect(stderr).not.toContain('Reader-pa55word-3')
    // Reading is still allowed: check says what is pending.
    const check = p.cli(['check'])
    expect(check.code, check.stderr).toBe(2)
    expect(check.stdout).toContain('add column users.bio')
  })

  it('another migrator holding the lock past lock_timeout: LOCKED, then the run goes through once it is released', async () => {
    p.write('migration.conf', conf(db.url, '[safety]\nlock_timeout = 1\n'))
    const holder = await lockDatabase(parsePostgresLocation(db.url, p.root), 5)
    try {
      const stderr = await refusedApply(/another migrate-plugin process is migrating postgresql:\/\/[^@\s]*@127\.0\.0\.1:\d+\/mp_test_\w+; gave up after waiting 1 s/)
      expect(stderr).toMatch(/raise \[safety\] lock_timeout/)
    } finally {
      await holder.release()
    }
    const r = p.cli(['apply'])
    expect(r.code, r.stderr).toBe(0)
    expect(await asSuperuser(async (c) => (await c.query('SELECT email, bio FROM users ORDER BY id')).rows, db.name)).toEqual([{ email: 'a@x', bio: null }, { email: 'b@x', bio: null }])
  })
})

describe('pg_dump and the backup', () => {
  /** A PATH with node and the usual tools but none of PostgreSQL's client programs. */
  function pathWithout(extra: string[] = []): string {
    const node = dirname(process.execPath)
    const bin = join(p.root, 'no-pg-bin')
    mkdirSync(bin, { recursive: true })
    return [...extra, bin, node].join(':')
  }

  it('a pg_dump on PATH that cannot be run: a BACKUP error naming it, with how to skip the backup; the database unchanged', async () => {
    // A broken client install: the file is there, but not executable.
    const broken = join(p.root, 'broken-bin')
    mkdirSync(broken, { recursive: true })
    writeFileSync(join(broken, 'pg_dump'), 'not a program\n')
    chmodSync(join(broken, 'pg_dump'), 0o644)
    const stderr = await refusedApply(/cannot run .*broken-bin\/pg_dump: spawn .*EACCES/, { PATH: pathWithout([broken]) })
    expect(stderr).toMatch(/\[database\] backup_enabled = false/)
    expect(stderr).not.toMatch(/\[backup\] enabled/)
    expect(await asSuperuser(async (c) => (await c.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY ordinal_position`)).rows.map((r) => r.column_name), db.name)).toEqual(['id', 'email'])
  })

  it('a table another session keeps locked: the run gives up after lock_timeout, saying so, and nothing changes', async () => {
    p.write('migration.conf', conf(db.url, '[safety]\nlock_timeout = 1\n'))
    const before = await snapshot(db.name)
    const backups = backupFiles()
    const r = await applyWhileLocked('users')
    expect(r.code, r.stdout + r.stderr).toBe(1)
    // The run's own catalogue reads wait for the lock first (a column default is read with pg_get_expr).
    expect(r.stderr).toMatch(/a query on postgresql:\/\/\S+ waited longer than \[safety\] lock_timeout for a table lock another session holds/)
    expect(r.stderr).toMatch(/another session holds a lock on a table/)
    expect(await snapshot(db.name)).toEqual(before)
    expect(backupFiles()).toEqual(backups)
  })

  it('a table only pg_dump needs, kept locked by another session: the backup gives up after lock_timeout with a BACKUP error, and nothing changes', async () => {
    // A table of the user's the models do not own, without defaults or indexes: the run reads
    // nothing of it that needs its lock, pg_dump does.
    await asSuperuser((c) => c.query(`CREATE TABLE notes (id int, body text); INSERT INTO notes VALUES (1, 'keep')`), db.name)
    p.write('migration.conf', conf(db.url, '[safety]\nlock_timeout = 1\n'))
    const before = await snapshot(db.name)
    const backups = backupFiles()
    const r = await applyWhileLocked('notes')
    expect(r.code, r.stdout + r.stderr).toBe(1)
    expect(r.stderr).toMatch(/pg_dump of postgresql:\/\/\S+ could not lock a table within \[safety\] lock_timeout/)
    expect(r.stderr).toMatch(/let it finish and run again, or raise \[safety\] lock_timeout; nothing was changed/)
    expect(await snapshot(db.name)).toEqual(before)
    expect(backupFiles()).toEqual(backups)
  })

  it('with backup_enabled = false the same broken PATH migrates, without a backup', async () => {
    const broken = join(p.root, 'broken-bin')
    mkdirSync(broken, { recursive: true })
    writeFileSync(join(broken, 'pg_dump'), 'not a program\n')
    chmodSync(join(broken, 'pg_dump'), 0o644)
    p.write('migration.conf', conf(db.url, 'backup_enabled = false\n'))
    const before = backupFiles()
    const r = p.cli(['apply', '--json'], { PATH: pathWithout([broken]) })
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'applied' })
    expect(JSON.parse(r.stdout).backupPath).toBeUndefined()
    expect(backupFiles()).toEqual(before)
    expect(await asSuperuser(async (c) => (await c.query('SELECT email, bio FROM users ORDER BY id')).rows, db.name)).toEqual([{ email: 'a@x', bio: null }, { email: 'b@x', bio: null }])
  })

  it.runIf(existsSync('/usr/lib/postgresql'))('no pg_dump on PATH at all: the newest one under /usr/lib/postgresql is used, and the backup is taken', async () => {
    const r = p.cli(['apply', '--json'], { PATH: pathWithout() })
    expect(r.code, r.stderr).toBe(0)
    const backup = JSON.parse(r.stdout).backupPath as string
    expect(backup).toMatch(/\.dump$/)
    expect(existsSync(backup)).toBe(true)
  })
})
