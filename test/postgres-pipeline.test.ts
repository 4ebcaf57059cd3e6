import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Project } from './helpers.ts'
import { asSuperuser, createRole, freshDatabase, urlFor, type FreshDatabase, type TestRole } from './postgres.ts'

/**
 * The whole pipeline on a real PostgreSQL server, through the CLI a user runs: the same models, the
 * same commands and exit codes as on SQLite, with PostgreSQL's own lock, backup and history table.
 */

const USERS = `import { table, int, text } from 'migrate-plugin/model'
export const users = table('users', {
  id: int().primaryKey({ autoIncrement: true }),
  email: text().notNull().unique(),
})
`
const USERS_WITH = (extra: string) => USERS.replace("  email: text().notNull().unique(),\n", `  email: text().notNull().unique(),\n${extra}`)

let db: FreshDatabase
let p: Project

async function query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return asSuperuser(async (c) => (await c.query(sql, params)).rows as T[], db.name)
}

function project(url: string, models = USERS): Project {
  return new Project({ 'migration.conf': `[database]\nurl = "${url}"\n`, 'model/users.ts': models })
}

const json = (r: { stdout: string }) => JSON.parse(r.stdout) as Record<string, unknown>

beforeEach(async () => {
  db = await freshDatabase()
  p = project(db.url)
})
afterEach(async () => {
  p.remove()
  await db.drop()
})

describe('PostgreSQL through the same pipeline', () => {
  it('creates the tables, records the run in its history table, then checks in sync through the fast path', async () => {
    const apply = p.cli(['apply', '--json'])
    expect(apply.code, apply.stdout + apply.stderr).toBe(0)
    expect(json(apply).outcome).toBe('applied')
    const columns = await query<{ column_name: string, data_type: string }>(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'users' ORDER BY ordinal_position`)
    expect(columns).toEqual([{ column_name: 'id', data_type: 'integer' }, { column_name: 'email', data_type: 'text' }])
    const history = await query<{ status: string, description: string }>('SELECT status, description FROM "_migration_history" ORDER BY id')
    expect(history).toEqual([{ status: 'success', description: 'create table users; create unique index on users (email)' }])
    const check = p.cli(['check', '--json'])
    expect(check.code, check.stdout + check.stderr).toBe(0)
    expect(json(check)).toMatchObject({ outcome: 'in-sync', fastPath: true })
    const status = p.cli(['status', '--json'])
    expect(status.code, status.stderr).toBe(0)
    expect(status.stdout).toContain('"users"')
    const historyCmd = p.cli(['history', '--json'])
    expect(historyCmd.code, historyCmd.stderr).toBe(0)
    expect(historyCmd.stdout).toContain('create table users')
  })

  it('adds a column keeping every row, with a pg_dump backup taken first', async () => {
    expect(p.cli(['apply']).code).toBe(0)
    await query(`INSERT INTO users (email) VALUES ('a@x'), ('b@x')`)
    p.write('model/users.ts', USERS_WITH("  bio: text(),\n"))
    const check = p.cli(['check'])
    expect(check.code).toBe(2)
    expect(check.stdout).toContain('add column users.bio')
    const apply = p.cli(['apply', '--json'])
    expect(apply.code, apply.stdout + apply.stderr).toBe(0)
    const backup = json(apply).backupPath as string
    expect(backup).toMatch(/backups\/mp_test_\w+\.backup_\d{8}_\d{6}Z_[0-9a-f]{12}\.dump$/)
    expect(existsSync(backup)).toBe(true)
    expect(await query('SELECT email, bio FROM users ORDER BY id')).toEqual([{ email: 'a@x', bio: null }, { email: 'b@x', bio: null }])
  })

  it('refuses to drop a column that holds data, changing nothing, and names the values; --accept-data-loss drops it', async () => {
    p.write('model/users.ts', USERS_WITH("  bio: text(),\n"))
    expect(p.cli(['apply']).code).toBe(0)
    await query(`INSERT INTO users (email, bio) VALUES ('a@x', 'likes tea')`)
    p.write('model/users.ts', USERS)
    const check = p.cli(['check'])
    expect(check.code).toBe(2)
    expect(check.stdout).toMatch(/drop the column `bio`/)
    const refused = p.cli(['apply', '--json'])
    expect(refused.code).toBe(1)
    expect(json(refused)).toMatchObject({ ok: false, error: { code: 'GUARD_DATA_LOSS' } })
    expect(await query('SELECT bio FROM users')).toEqual([{ bio: 'likes tea' }])
    expect(readdirSync(join(p.root, 'backups')).filter((f) => f.includes('.backup_'))).toHaveLength(1)
    const accepted = p.cli(['apply', '--accept-data-loss'])
    expect(accepted.code, accepted.stdout + accepted.stderr).toBe(0)
    expect((await query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'users'`)).map((r) => r.column_name)).not.toContain('bio')
  })

  it('preview runs the change and rolls it back: the schema and the history are as they were', async () => {
    expect(p.cli(['apply']).code).toBe(0)
    p.write('model/users.ts', USERS_WITH("  age: int(),\n"))
    const preview = p.cli(['preview'])
    expect(preview.code, preview.stdout + preview.stderr).toBe(0)
    expect(preview.stdout).toContain('add column users.age')
    expect((await query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'users'`)).map((r) => r.column_name)).toEqual(['id', 'email'])
    expect(await query('SELECT count(*)::int AS n FROM "_migration_history"')).toEqual([{ n: 1 }])
  })

  it('a required column without a default on a table with rows is refused before anything runs', async () => {
    expect(p.cli(['apply']).code).toBe(0)
    await query(`INSERT INTO users (email) VALUES ('a@x')`)
    p.write('model/users.ts', USERS_WITH("  name: text().notNull(),\n"))
    const r = p.cli(['apply', '--json'])
    expect(r.code).toBe(1)
    expect(json(r)).toMatchObject({ error: { code: 'GUARD_UNEXECUTABLE' } })
    expect((await query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'users'`)).map((r2) => r2.column_name)).toEqual(['id', 'email'])
  })

  it('enums are native PostgreSQL enums; a new value used as the default in the same run is refused with how to split it', async () => {
    const colors = (values: string, dflt?: string) => `import { table, int, enumType } from 'migrate-plugin/model'
const color = enumType('Color', [${values}])
export const paints = table('paints', { id: int().primaryKey(), color: color().notNull()${dflt ? `.default('${dflt}')` : ''} })
`
    p.write('model/users.ts', USERS).write('model/paints.ts', colors(`'red', 'green'`))
    expect(p.cli(['apply']).code).toBe(0)
    const enumValues = async () => (await query<{ v: string }>(`SELECT e.enumlabel AS v FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = 'Color' ORDER BY e.enumsortorder`)).map((r) => r.v)
    expect(await enumValues()).toEqual(['red', 'green'])
    p.write('model/paints.ts', colors(`'red', 'green', 'blue'`, 'blue'))
    const r = p.cli(['apply'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/unsafe use of new value/)
    expect(r.stderr).toMatch(/split the change in two runs/)
    expect(await enumValues()).toEqual(['red', 'green'])
    // Split as the message says: the value first, then the default.
    p.write('model/paints.ts', colors(`'red', 'green', 'blue'`))
    expect(p.cli(['apply']).code).toBe(0)
    p.write('model/paints.ts', colors(`'red', 'green', 'blue'`, 'blue'))
    expect(p.cli(['apply']).code).toBe(0)
    expect(await enumValues()).toEqual(['red', 'green', 'blue'])
  })

  it('four migrators at once: one applies, the others find nothing to do', async () => {
    const runs = await Promise.all([1, 2, 3, 4].map(() => p.cliAsync(['apply', '--json'])))
    expect(runs.map((r) => r.code), runs.map((r) => r.stderr).join('\n')).toEqual([0, 0, 0, 0])
    const outcomes = runs.map((r) => json(r).outcome).sort()
    expect(outcomes).toEqual(['applied', 'in-sync', 'in-sync', 'in-sync'])
    expect(await query('SELECT status FROM "_migration_history" WHERE status = \'success\'')).toHaveLength(1)
  })

  it('a migrator killed in the middle of its transaction leaves the old schema, and frees the lock for the next run', async () => {
    expect(p.cli(['apply']).code).toBe(0)
    await query(`INSERT INTO users (email) VALUES ('a@x')`)
    p.write('model/users.ts', USERS_WITH("  bio: text(),\n"))
    for (const point of ['after-push', 'after-verify', 'after-record']) {
      const killed = p.cli(['apply'], { MIGRATE_PLUGIN_CRASH_AT: point })
      expect(killed.code, `${point}: ${killed.stderr}`).toBe(-1)
      expect((await query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'users'`)).map((r) => r.column_name), point).toEqual(['id', 'email'])
      expect(await query('SELECT count(*)::int AS n FROM "_migration_history"')).toEqual([{ n: 1 }])
    }
    const apply = p.cli(['apply', '--json'])
    expect(apply.code, apply.stderr).toBe(0)
    expect(await query('SELECT email, bio FROM users')).toEqual([{ email: 'a@x', bio: null }])
  })

  it('restore puts a pg_dump backup back, after a safety backup, and the history says what it undid', async () => {
    expect(p.cli(['apply']).code).toBe(0)
    await query(`INSERT INTO users (email) VALUES ('a@x')`)
    p.write('model/users.ts', USERS_WITH("  bio: text(),\n"))
    const added = p.cli(['apply', '--json'])
    expect(added.code, added.stderr).toBe(0)
    await query(`UPDATE users SET bio = 'later'`)
    const listed = p.cli(['backups', '--json'])
    expect(listed.code, listed.stderr).toBe(0)
    // Newest first: the one taken before the column was added, then the one before the tables were created.
    expect(JSON.parse(listed.stdout).backups.map((b: { path: string }) => b.path)[0]).toBe(json(added).backupPath)
    const restored = p.cli(['restore', '--yes', '--json'])
    expect(restored.code, restored.stdout + restored.stderr).toBe(0)
    expect((await query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'users'`)).map((r) => r.column_name)).toEqual(['id', 'email'])
    expect(await query('SELECT email FROM users')).toEqual([{ email: 'a@x' }])
    const last = await query<{ status: string, description: string }>('SELECT status, description FROM "_migration_history" ORDER BY id DESC LIMIT 1')
    expect(last[0]!.status).toBe('restored')
    expect(last[0]!.description).toMatch(/undid 1 later run\(s\): .*add column users\.bio/)
    // The safety backup holds the database as it was before the restore.
    expect(json(restored).safetyBackup).toMatch(/\d{6}Z_before-restore_[0-9a-f]{12}\.dump$/)
    expect(p.cli(['check']).code).toBe(2)
  })

  it("restore refuses a backup of another database with the same name (another server or schema): nothing is changed", async () => {
    expect(p.cli(['apply']).code).toBe(0)
    await query(`INSERT INTO users (email) VALUES ('mine@x')`)
    p.write('model/users.ts', USERS_WITH("  bio: text(),\n"))
    const mine = p.cli(['apply', '--json'])
    expect(mine.code, mine.stderr).toBe(0)
    // The same database name in another schema of the same server: its backups land in the same folder.
    await query('CREATE SCHEMA other')
    const otherUrl = `${db.url}?schema=other`
    const other = p.cli(['apply', '--json'], { DATABASE_URL: otherUrl })
    expect(other.code, other.stderr).toBe(0)
    p.write('model/users.ts', USERS)
    const again = p.cli(['apply', '--json', '--accept-data-loss'], { DATABASE_URL: otherUrl })
    expect(again.code, again.stderr).toBe(0)
    const foreign = json(again).backupPath as string
    const listed = JSON.parse(p.cli(['backups', '--json']).stdout).backups.map((b: { path: string }) => b.path)
    expect(listed).toContain(json(mine).backupPath)
    expect(listed).not.toContain(foreign)
    const refused = p.cli(['restore', foreign, '--yes'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/is a backup of another database with the same name/)
    expect(await query('SELECT email, bio FROM users')).toEqual([{ email: 'mine@x', bio: null }])
  })

  it('a database that does not exist is named, with how to create it, and is not created', async () => {
    const missing = `${db.name}_missing`
    const q = project(urlFor(missing))
    try {
      for (const command of ['apply', 'check', 'preview']) {
        const r = q.cli([command])
        expect(r.code, command).toBe(1)
        expect(r.stderr).toContain(`the database "${missing}" does not exist`)
        expect(r.stderr).toContain(`createdb ${missing}`)
      }
      expect(await asSuperuser(async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [missing])).rowCount)).toBe(0)
    } finally {
      q.remove()
    }
  })
})

describe('secrets in a PostgreSQL URL', () => {
  let role: TestRole
  afterAll(async () => { await role?.drop() })

  it('the password never appears in any output: runs, JSON, errors, history', async () => {
    const password = 'S3cret-pa55word-xyz'
    role = await createRole(password, { owns: db.name })
    const q = project(role.url(db.name))
    try {
      const outputs: string[] = []
      const run = (args: string[]) => { const r = q.cli(args); outputs.push(r.stdout, r.stderr); return r }
      expect(run(['apply']).code).toBe(0)
      run(['status']); run(['status', '--json']); run(['history', '--json']); run(['check', '--json'])
      // A wrong password: the error names the user and the server, not the password.
      const wrong = project(role.url(db.name).replace(encodeURIComponent(password), 'Wr0ng-pa55word-abc'))
      try {
        const r = wrong.cli(['check'])
        outputs.push(r.stdout, r.stderr)
        expect(r.code).toBe(1)
        expect(r.stderr).toMatch(/cannot log in/)
        expect(r.stderr).not.toContain('Wr0ng-pa55word-abc')
      } finally {
        wrong.remove()
      }
      for (const text of outputs) expect(text).not.toContain(password)
      const rows = await query<Record<string, unknown>>('SELECT * FROM "_migration_history"')
      expect(JSON.stringify(rows)).not.toContain(password)
    } finally {
      q.remove()
    }
  })
})

describe('PGlite in a folder', () => {
  it('apply creates the folder and the tables; check is then in sync; a second process sees the same data', async () => {
    const q = new Project({ 'migration.conf': '[database]\nurl = pglite:./pgdata\n', 'model/users.ts': USERS })
    try {
      const check = q.cli(['check'])
      expect(check.code, check.stdout + check.stderr).toBe(2)
      expect(existsSync(join(q.root, 'pgdata'))).toBe(false)
      const apply = q.cli(['apply'])
      expect(apply.code, apply.stdout + apply.stderr).toBe(0)
      expect(existsSync(join(q.root, 'pgdata', 'PG_VERSION'))).toBe(true)
      const again = q.cli(['check', '--json'])
      expect(again.code, again.stdout + again.stderr).toBe(0)
      expect(json(again).outcome).toBe('in-sync')
      q.write('model/users.ts', USERS_WITH("  bio: text(),\n"))
      const add = q.cli(['apply', '--json'])
      expect(add.code, add.stdout + add.stderr).toBe(0)
      expect(json(add).backupPath).toMatch(/pgdata\.backup_\d{8}_\d{6}Z_[0-9a-f]{12}\.tar\.gz$/)
      expect(q.cli(['history']).stdout).toContain('add column users.bio')
    } finally {
      q.remove()
    }
  })
})

