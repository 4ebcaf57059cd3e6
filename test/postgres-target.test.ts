import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { MigrateError } from '../plugin/core/errors.ts'
import { ensureHistoryTable } from '../plugin/targets/sqlite/history.ts'
import { redactSecrets } from '../plugin/core/redact.ts'
import { dumpDatabase, findPgTool, restoreDatabase } from '../plugin/targets/postgres/backup.ts'
import { databaseExists, listTables, rowCount, schemaFingerprint, tableColumns } from '../plugin/targets/postgres/catalogue.ts'
import { openConnection } from '../plugin/targets/postgres/connection.ts'
import { historyColumnsQuery, historyTableDdl } from '../plugin/targets/postgres/history-ddl.ts'
import { acquireAdvisoryLock, advisoryLockId } from '../plugin/targets/postgres/lock.ts'
import { splitStatements } from '../plugin/targets/postgres/sql-split.ts'
import { parsePostgresLocation, type PostgresServerLocation } from '../plugin/targets/postgres/url.ts'
import { REPO } from './helpers.ts'
import { DATASOURCE, withEngine } from './pg-engine.ts'
import { asSuperuser, createRole, freshDatabase, urlFor, type FreshDatabase } from './postgres.ts'
import { engineScenarios, enumValues, withConnection } from './postgres-scenarios.ts'

let db: FreshDatabase
let location: PostgresServerLocation
const temps: string[] = []
const tempDir = () => { const dir = mkdtempSync(join(tmpdir(), 'mp-pg-')); temps.push(dir); return dir }

beforeAll(async () => {
  db = await freshDatabase()
  location = parsePostgresLocation(db.url, REPO) as PostgresServerLocation
})
afterAll(async () => { await db?.drop() })
afterEach(() => { for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true }) })

describe('the test server', () => {
  it('is a real PostgreSQL, and a role must give its right password', async () => {
    const version = await asSuperuser(async (c) => (await c.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v)
    expect(Number(version)).toBeGreaterThanOrEqual(130000)
    const other = await freshDatabase()
    const role = await createRole('right-Pa55word', { owns: other.name })
    try {
      const good = new pg.Client({ connectionString: role.url(other.name) })
      await good.connect()
      await good.end()
      const bad = new pg.Client({ connectionString: urlFor(other.name, role.name, 'wrong-Pa55word') })
      await expect(bad.connect()).rejects.toThrow(/password authentication failed/)
    } finally {
      await other.drop()
      await role.drop()
    }
  })
})

describe('engine on a PostgreSQL server, in one transaction', () => {
  engineScenarios(() => location, true)

  it('the engine and our queries hold exactly one connection to the database', async () => {
    await withEngine(location, 'ROLLBACK', async (e) => {
      await e.push(`${DATASOURCE}model A {\n  id Int @id\n}\nmodel B {\n  id Int @id\n}\n`)
      await e.diff(`${DATASOURCE}model A {\n  id Int @id\n}\n`)
      const count = await asSuperuser(async (c) => (await c.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [db.name])).rows[0]!.n)
      expect(count).toBe(1)
    })
  })
})

describe('connection errors', () => {
  it('a wrong password: DATABASE, and neither message nor hint nor JSON holds the password', async () => {
    const role = await createRole('Sekr1t-pa55word-xyz', { owns: db.name })
    try {
      const wrong = 'Wr0ng-pa55word-abc'
      const url = urlFor(db.name, role.name, wrong)
      const error = await openConnection(parsePostgresLocation(url, REPO), 5000).then(() => undefined, (e: unknown) => e)
      expect(error).toBeInstanceOf(MigrateError)
      const e = error as MigrateError
      expect(e.code).toBe('DATABASE')
      expect(e.message).toMatch(/cannot log in to postgresql:\/\/mp_role_\w+:\*\*\*@127\.0\.0\.1:\d+\/mp_test_\w+/)
      expect(e.message).toMatch(/password authentication failed/)
      expect(e.hint).toMatch(/user name and password/)
      for (const text of [e.message, e.hint ?? '', JSON.stringify(e), String(e.stack)]) {
        expect(text).not.toContain(wrong)
        expect(text).not.toContain(encodeURIComponent(wrong))
      }
      // The right password logs in.
      const c = await openConnection(parsePostgresLocation(role.url(db.name), REPO), 5000)
      await c.close()
    } finally {
      await asSuperuser((c) => c.query(`ALTER DATABASE "${db.name}" OWNER TO postgres`))
      await role.drop()
    }
  })

  it('a server that is not running: "is the server running on host:port?"', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)) })
    })
    const error = await openConnection(parsePostgresLocation(`postgresql://u:Pa55-word-123@127.0.0.1:${port}/x`, REPO), 3000).then(() => undefined, (e: unknown) => e as MigrateError)
    expect(error?.code).toBe('DATABASE')
    expect(error?.message).toContain(`is the server running on 127.0.0.1:${port}?`)
    expect(error?.message).not.toContain('Pa55-word-123')
  })

  it('a database that does not exist is named, with how to create it', async () => {
    const error = await openConnection(parsePostgresLocation(urlFor('mp_no_such_db'), REPO), 5000).then(() => undefined, (e: unknown) => e as MigrateError)
    expect(error?.code).toBe('DATABASE')
    expect(error?.message).toMatch(/the database "mp_no_such_db" does not exist on 127\.0\.0\.1:\d+/)
    expect(error?.hint).toMatch(/createdb mp_no_such_db/)
  })
})

describe('catalogue', () => {
  beforeEach(async () => {
    await withConnection(location, (c) => c.exec('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public'))
  })

  it('databaseExists: missing (and not created), empty, ok', async () => {
    const missing = parsePostgresLocation(urlFor('mp_missing_db_probe'), REPO)
    expect(await databaseExists(missing)).toBe('missing')
    const created = await asSuperuser(async (c) => (await c.query(`SELECT 1 FROM pg_database WHERE datname = 'mp_missing_db_probe'`)).rowCount)
    expect(created).toBe(0)
    expect(await databaseExists(location)).toBe('empty')
    await withConnection(location, (c) => c.exec('CREATE TABLE t (id int)'))
    expect(await databaseExists(location)).toBe('ok')
  })

  it('listTables, tableColumns and rowCount read the current schema only', async () => {
    await withConnection(location, async (c) => {
      await c.exec(`CREATE SCHEMA IF NOT EXISTS other; CREATE TABLE other.hidden (id int);
        CREATE TABLE "B" (id serial PRIMARY KEY, name varchar(20) NOT NULL DEFAULT 'x', note text);
        CREATE TABLE a (id int); INSERT INTO a VALUES (1), (2), (3); CREATE VIEW v AS SELECT 1 AS one`)
      try {
        expect(await listTables(c)).toEqual(['B', 'a'])
        expect(await tableColumns(c, 'B')).toEqual([
          { name: 'id', type: 'integer', nullable: false, default: `nextval('"B_id_seq"'::regclass)` },
          { name: 'name', type: 'character varying(20)', nullable: false, default: `'x'::character varying` },
          { name: 'note', type: 'text', nullable: true, default: null },
        ])
        expect(await rowCount(c, 'a')).toBe(3)
      } finally {
        await c.exec('DROP SCHEMA other CASCADE')
      }
    })
  })

  it('schemaFingerprint is stable, ignores the history table and rows, and changes with a column, an index, an enum value, a default', async () => {
    await withConnection(location, async (c) => {
      await c.exec(`CREATE TYPE "Color" AS ENUM ('red', 'green');
        CREATE TABLE "User" (id serial PRIMARY KEY, email text NOT NULL, color "Color");
        ${historyTableDdl('_migrate_history')}`)
      const fp = () => schemaFingerprint(c, '_migrate_history')
      const first = await fp()
      expect(first).toMatch(/^[0-9a-f]{64}$/)
      expect(await fp()).toBe(first)
      await c.exec(`INSERT INTO "User" (email) VALUES ('a'); INSERT INTO "_migrate_history" (migration_id, started_at, finished_at, status, description, steps, model_files, schema_hash, sql, warnings, duration_ms, trigger, tool_version)
        VALUES ('m1', 't', 't', 'applied', 'd', '[]', '[]', 'h', '', '[]', 1, 'cli', '0.2.0')`)
      expect(await fp()).toBe(first)
      const seen = new Set([first])
      for (const change of [
        'ALTER TABLE "User" ADD COLUMN phone text',
        'CREATE INDEX user_email ON "User" (email)',
        `ALTER TYPE "Color" ADD VALUE 'blue'`,
        `ALTER TABLE "User" ALTER COLUMN email SET DEFAULT ''`,
        'ALTER TABLE "User" ALTER COLUMN email DROP NOT NULL',
        'ALTER TABLE "User" ADD CONSTRAINT email_unique UNIQUE (email)',
      ]) {
        await c.exec(change)
        const next = await fp()
        expect(seen.has(next), change).toBe(false)
        seen.add(next)
        expect(await fp(), change).toBe(next)
      }
      // A change to the history table itself is not a schema change of the models.
      const last = await fp()
      await c.exec('CREATE INDEX history_status ON "_migrate_history" (status)')
      expect(await fp()).toBe(last)
    })
  })
})

describe('history table', () => {
  it('has the same columns as the SQLite history table, and historyColumnsQuery reads them', async () => {
    const sqlite = new Database(':memory:')
    ensureHistoryTable(sqlite, 'h')
    const sqliteColumns = (sqlite.prepare('SELECT name FROM pragma_table_info(?)').all('h') as { name: string }[]).map((r) => r.name)
    sqlite.close()
    await withConnection(location, async (c) => {
      await c.exec('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public')
      expect(await c.query(historyColumnsQuery, ['_migrate_history'])).toEqual([])
      await c.exec(historyTableDdl('_migrate_history'))
      await c.exec(historyTableDdl('_migrate_history'))
      const rows = await c.query<{ kind: string, name: string, nullable: boolean, has_default: boolean }>(historyColumnsQuery, ['_migrate_history'])
      expect(rows.map((r) => r.name)).toEqual(sqliteColumns)
      expect(rows.every((r) => r.kind === 'BASE TABLE')).toBe(true)
      expect(rows.find((r) => r.name === 'id')).toMatchObject({ nullable: false, has_default: true })
      expect(rows.find((r) => r.name === 'error')).toMatchObject({ nullable: true, has_default: false })
    })
  })
})

describe('advisory lock', () => {
  it('a second holder waits, gets LOCKED after the timeout, and gets the lock once the first releases', async () => {
    const first = await acquireAdvisoryLock(location, 'scenario-1', 1)
    const started = Date.now()
    const error = await acquireAdvisoryLock(location, 'scenario-1', 1).then(() => undefined, (e: unknown) => e as MigrateError)
    const waited = Date.now() - started
    expect(error?.code).toBe('LOCKED')
    // redactSecrets masks a user name without a password too (it cannot tell it from a token): postgresql://***@host.
    expect(error?.message).toBe(`another migrate-plugin process is migrating ${redactSecrets(location.label)}; gave up after waiting 1 s`)
    expect(error?.message).toMatch(/migrating postgresql:\/\/\S+@127\.0\.0\.1:\d+\/mp_test_/)
    expect(error?.hint).toMatch(/lock_timeout/)
    expect(waited).toBeGreaterThanOrEqual(900)
    // Another key is another lock.
    const other = await acquireAdvisoryLock(location, 'scenario-other', 1)
    await other.release()
    // A waiter that is still polling gets it as soon as the first lets go.
    const waiting = acquireAdvisoryLock(location, 'scenario-1', 10)
    setTimeout(() => { void first.release() }, 300)
    const second = await waiting
    await second.release()
    await second.release()
  })

  it('a holder killed with SIGKILL frees the lock with its connection', async () => {
    const id = advisoryLockId('scenario-kill')
    const child = spawn(process.execPath, ['-e', `
      const pg = require('pg')
      const c = new pg.Client({ connectionString: process.argv[1] })
      c.connect().then(() => c.query('SELECT pg_advisory_lock($1::bigint)', [process.argv[2]])).then(() => console.log('locked'))
      setInterval(() => {}, 1000)
    `, db.url, id], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('locked')) resolve() })
        child.on('exit', (code) => reject(new Error(`the lock holder exited early (${code})`)))
      })
      await expect(acquireAdvisoryLock(location, 'scenario-kill', 0.5)).rejects.toMatchObject({ code: 'LOCKED' })
      child.kill('SIGKILL')
      const lock = await acquireAdvisoryLock(location, 'scenario-kill', 10)
      await lock.release()
    } finally {
      child.kill('SIGKILL')
    }
  })
})

describe('backup and restore', () => {
  beforeEach(async () => {
    await withConnection(location, (c) => c.exec('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public'))
  })

  it('dump → change (rows, a new table, an enum value) → restore gives back the database as it was; the dump file is 0600', async () => {
    await withConnection(location, (c) => c.exec(`CREATE TYPE "Color" AS ENUM ('red');
      CREATE TABLE "User" (id int PRIMARY KEY, email text, color "Color"); INSERT INTO "User" VALUES (1, 'a', 'red'), (2, 'b', NULL)`))
    const before = await withConnection(location, (c) => schemaFingerprint(c, '_h'))
    const file = join(tempDir(), 'backup.dump')
    await dumpDatabase(location, file)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('PGDMP')
    await withConnection(location, (c) => c.exec(`DELETE FROM "User" WHERE id = 1; UPDATE "User" SET email = 'changed';
      CREATE TABLE "Later" (id int); ALTER TYPE "Color" ADD VALUE 'blue'; CREATE TYPE "Mood" AS ENUM ('ok')`))
    await restoreDatabase(location, file)
    await withConnection(location, async (c) => {
      expect(await c.query('SELECT id, email, color FROM "User" ORDER BY id')).toEqual([{ id: 1, email: 'a', color: 'red' }, { id: 2, email: 'b', color: null }])
      expect(await listTables(c)).toEqual(['User'])
      expect(await enumValues(c, 'Color')).toEqual(['red'])
      expect(await schemaFingerprint(c, '_h')).toBe(before)
    })
  })

  it('a dump never overwrites an existing file, and a broken backup restores nothing', async () => {
    await withConnection(location, (c) => c.exec(`CREATE TABLE "User" (id int); INSERT INTO "User" VALUES (1)`))
    const dir = tempDir()
    const existing = join(dir, 'taken.dump')
    writeFileSync(existing, 'somebody else\'s file')
    await expect(dumpDatabase(location, existing)).rejects.toMatchObject({ code: 'BACKUP', message: expect.stringContaining('cannot create the backup file') })
    expect(readFileSync(existing, 'utf8')).toBe('somebody else\'s file')
    const broken = join(dir, 'broken.dump')
    writeFileSync(broken, 'PGDMP but not really')
    await expect(restoreDatabase(location, broken)).rejects.toMatchObject({ code: 'RESTORE' })
    expect(await withConnection(location, (c) => rowCount(c, 'User'))).toBe(1)
  })

  it('pg_dump gets the password through the environment, never on its command line', async () => {
    const password = 'Dump-pa55word-q7'
    const role = await createRole(password, { owns: db.name })
    const bin = tempDir()
    const log = join(bin, 'argv.log')
    const real = findPgTool('pg_dump')!
    // A pg_dump in front of the real one on PATH that writes down what it was given.
    writeFileSync(join(bin, 'pg_dump'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${log}'\nprintf 'PGPASSWORD=%s\\n' "$PGPASSWORD" >> '${log}'\nexec '${real}' "$@"\n`)
    chmodSync(join(bin, 'pg_dump'), 0o755)
    const path = process.env.PATH
    process.env.PATH = `${bin}:${path}`
    try {
      const roleLocation = parsePostgresLocation(role.url(db.name), REPO) as PostgresServerLocation
      const file = join(bin, 'role.dump')
      await dumpDatabase(roleLocation, file)
      expect(existsSync(file)).toBe(true)
      const [argv, env] = readFileSync(log, 'utf8').split('PGPASSWORD=')
      expect(argv).toContain(role.name)
      expect(argv).not.toContain(password)
      expect(env!.trim()).toBe(password)
    } finally {
      process.env.PATH = path
      await asSuperuser((c) => c.query(`ALTER DATABASE "${db.name}" OWNER TO postgres`))
      await role.drop()
    }
  })

  it('a pg_dump older than the server is a BACKUP error that says so and how to skip the backup', async () => {
    const bin = tempDir()
    // pg_dump's own words when it meets a newer server (it refuses before writing anything).
    writeFileSync(join(bin, 'pg_dump'), `#!/bin/sh\necho 'pg_dump: error: aborting because of server version mismatch' >&2\necho 'pg_dump: detail: server version: 17.2; pg_dump version: 15.18' >&2\nexit 1\n`)
    chmodSync(join(bin, 'pg_dump'), 0o755)
    const path = process.env.PATH
    process.env.PATH = `${bin}:${path}`
    try {
      const file = join(bin, 'x.dump')
      const error = await dumpDatabase(location, file).then(() => undefined, (e: unknown) => e as MigrateError)
      expect(error?.code).toBe('BACKUP')
      expect(error?.message).toMatch(/is older than the server/)
      expect(error?.hint).toMatch(/\[database\] backup_enabled = false/)
      expect(existsSync(file)).toBe(false)
    } finally {
      process.env.PATH = path
    }
  })
})

describe('database URLs', () => {
  it('postgres:// and postgresql:// give the database, host, port and a label without the password', () => {
    const l = parsePostgresLocation('postgres://app:s3cr%40t-pw@db.example.com:6543/shop?sslmode=require&password=other-s3cret&schema=sales', '/proj')
    expect(l).toMatchObject({ kind: 'postgres', database: 'shop', host: 'db.example.com', port: 6543, schema: 'sales', password: 's3cr@t-pw' })
    if (l.kind !== 'postgres') throw new Error('not a server location')
    expect(l.label).toBe('postgres://app:***@db.example.com:6543/shop?sslmode=require&password=***&schema=sales')
    expect(l.url).not.toContain('schema=')
    // The password is remembered: wherever a driver re-prints it, decoded or not, it is masked.
    expect(redactSecrets('login failed for s3cr@t-pw and s3cr%40t-pw')).not.toMatch(/s3cr/)
    expect(parsePostgresLocation('postgresql://u@localhost/db', '/p')).toMatchObject({ database: 'db', port: 5432 })
  })

  it('bad URLs are CONFIG errors that name the problem and never the password', () => {
    const cases: [string, RegExp][] = [
      ['postgresql://u:Hidden-pw-1@host:5432', /names no database/],
      ['postgresql://u:Hidden-pw-1@host:99999/db', /cannot be read as a URL/],
      ['postgresql://u:Hidden-pw-1@host/db?schema=', /empty schema/],
      ['postgresql://u:Hidden-pw-1@host/d b', /white space/],
      ['mysql://u:Hidden-pw-1@host/db', /not a PostgreSQL URL/],
      ['pglite:', /names no folder/],
      ['pglite:memory://', /not a PGlite folder/],
      ['pglite:~/data', /not expanded/],
    ]
    for (const [url, message] of cases) {
      const error = (() => { try { parsePostgresLocation(url, '/proj'); return undefined } catch (e) { return e as MigrateError } })()
      expect(error, url).toBeInstanceOf(MigrateError)
      expect(error?.code, url).toBe('CONFIG')
      expect(error?.message, url).toMatch(message)
      expect(error?.hint, url).toBeTruthy()
      expect(`${error?.message} ${error?.hint}`, url).not.toContain('Hidden-pw-1')
    }
  })

  it('pglite: folders resolve against the config folder', () => {
    expect(parsePostgresLocation('pglite:./data', '/proj')).toEqual({ kind: 'pglite', dataDir: '/proj/data', label: 'pglite:./data' })
    expect(parsePostgresLocation('pglite:///abs/db', '/proj')).toMatchObject({ dataDir: '/abs/db' })
    expect(parsePostgresLocation('pglite://./rel', '/proj')).toMatchObject({ dataDir: '/proj/rel' })
    expect(parsePostgresLocation('pglite:../up', '/proj/sub')).toMatchObject({ dataDir: '/proj/up' })
  })
})

describe('splitting scripts into statements', () => {
  it('splits only at the semicolons that end statements', () => {
    expect(splitStatements(`CREATE TABLE "a;b" (v text DEFAULT 'x;y', w text DEFAULT E'it\\'s;z');
      /* a; /* nested; */ comment; */ INSERT INTO t VALUES ($$p;q$$, $fn$r;$$;s$fn$);
      -- only a comment; here
      SELECT 'don''t;' ;;
      SELECT 1`)).toEqual([
      `CREATE TABLE "a;b" (v text DEFAULT 'x;y', w text DEFAULT E'it\\'s;z')`,
      `/* a; /* nested; */ comment; */ INSERT INTO t VALUES ($$p;q$$, $fn$r;$$;s$fn$)`,
      `-- only a comment; here\n      SELECT 'don''t;'`,
      'SELECT 1',
    ])
    expect(splitStatements('  ;\n-- nothing\n')).toEqual([])
  })
})
