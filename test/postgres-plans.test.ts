import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { MigrateError } from '../plugin/core/errors.ts'
import { applyPlanFile, writePlan } from '../plugin/index.ts'
import { Project } from './helpers.ts'
import { asSuperuser, freshDatabase, type FreshDatabase } from './postgres.ts'
import { snapshot as snapshotOf } from './postgres-snapshot.ts'

/**
 * Reviewed plans on a real PostgreSQL server (test/postgres-server.ts): the same `plan` and
 * `apply --plan` as on SQLite, through the same target seam. PostgreSQL's engine script is not
 * SQLite's (ALTER TABLE in place; an enum redefinition in a BEGIN … COMMIT of its own), so the
 * file runs here as the server sees it.
 */

const HEAD = "import { table, int, text, enumType } from 'migrate-plugin/model'\n"
const MODEL = 'model/users.ts'
const USERS = (name: string, extra = '') => `${HEAD}${extra}export const users = table('users', { id: int().primaryKey({ autoIncrement: true }), email: text().notNull(), name: ${name} })\n`

let db: FreshDatabase | undefined
let project: Project | undefined
afterEach(async () => {
  project?.remove()
  project = undefined
  await db?.drop()
  db = undefined
})

async function query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  return asSuperuser(async (c) => (await c.query(sql)).rows as T[], db!.name)
}

async function start(model: string, rows: string): Promise<Project> {
  db = await freshDatabase()
  const p = project = new Project({ 'migration.conf': `[database]\nurl = "${db.url}"\n`, [MODEL]: model })
  expect((await p.migrate()).outcome).toBe('applied')
  await query(rows)
  return p
}

function insertBeforeSql(file: string, sql: string): void {
  const lines = readFileSync(file, 'utf8').split('\n')
  lines.splice(lines.findIndex((l) => l.trim() !== '' && !l.startsWith('--')), 0, sql)
  writeFileSync(file, lines.join('\n'))
}

const backups = (p: Project) => (existsSync(join(p.root, 'backups')) ? readdirSync(join(p.root, 'backups')).sort() : [])

describe('reviewed plans on PostgreSQL', () => {
  it('plan → edit → apply --plan: a backfill before a column becomes required keeps every row; check is then in sync', async () => {
    const p = await start(USERS('text()'), "INSERT INTO users (email, name) VALUES ('a@x', 'Ann'), ('b@x', NULL)")
    p.write(MODEL, USERS('text().notNull()'))
    expect(p.cli(['apply']).code).toBe(1)
    const before = await snapshotOf(db!.name)
    const written = await writePlan({ root: p.root, env: {}, name: 'require names' })
    expect(written.outcome).toBe('written')
    expect(await snapshotOf(db!.name), 'plan changes nothing').toEqual(before)
    const text = readFileSync(written.path!, 'utf8')
    expect(text).toMatch(/^-- object: table users [0-9a-f]{12}$/m)
    expect(text).toContain('ALTER TABLE "users" ALTER COLUMN "name" SET NOT NULL;')
    insertBeforeSql(written.path!, `UPDATE "users" SET "name" = 'anon' WHERE "name" IS NULL;`)
    const r = p.cli(['apply', '--plan', written.path!, '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).plans[0]).toMatchObject({ file: written.path, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) })
    expect(await query('SELECT email, name FROM users ORDER BY id')).toEqual([{ email: 'a@x', name: 'Ann' }, { email: 'b@x', name: 'anon' }])
    expect(p.cli(['check']).code).toBe(0)
    const [row] = await query<{ sql: string, status: string }>('SELECT sql, status FROM _migration_history ORDER BY id DESC LIMIT 1')
    expect(row).toEqual({ status: 'success', sql: readFileSync(written.path!, 'utf8') })
  })

  it('an enum value rows still hold: the plan moves them with an UPDATE, and the engine\'s BEGIN … COMMIT runs inside the one transaction', async () => {
    const roles = (values: string) => `const role = enumType('Role', [${values}])\n`
    const model = (values: string) => `${HEAD}${roles(values)}export const members = table('members', { id: int().primaryKey({ autoIncrement: true }), role: role() })\n`
    db = await freshDatabase()
    const p = project = new Project({ 'migration.conf': `[database]\nurl = "${db.url}"\n`, 'model/members.ts': model("'admin', 'staff', 'guest'") })
    expect((await p.migrate()).outcome).toBe('applied')
    await query(`INSERT INTO members (role) VALUES ('admin'), ('guest')`)
    p.write('model/members.ts', model("'admin', 'staff'"))
    expect(p.cli(['apply']).code).toBe(1)
    const written = await writePlan({ root: p.root, env: {} })
    const text = readFileSync(written.path!, 'utf8')
    expect(text).toMatch(/^BEGIN;$/m)
    expect(text).toMatch(/^COMMIT;$/m)
    insertBeforeSql(written.path!, `UPDATE "members" SET "role" = 'staff' WHERE "role" = 'guest';`)
    const result = await applyPlanFile(written.path!, { root: p.root, env: {} })
    expect(result.outcome).toBe('applied')
    expect(await query('SELECT role::text AS role FROM members ORDER BY id')).toEqual([{ role: 'admin' }, { role: 'staff' }])
    expect(p.cli(['check']).code).toBe(0)
  })

  it('a moved database is refused by name, unchanged, with no backup left; a failing statement names its line and is rolled back', async () => {
    const p = await start(USERS('text()'), "INSERT INTO users (email) VALUES ('a@x')")
    p.write(MODEL, USERS('text(), nickname: text()'))
    const written = await writePlan({ root: p.root, env: {} })
    await query('CREATE TABLE audit (id int PRIMARY KEY)')
    await query('ALTER TABLE users ADD COLUMN age int')
    const before = await snapshotOf(db!.name, { history: true })
    const backupsBefore = backups(p)
    const error = (await applyPlanFile(written.path!, { root: p.root, env: {} }).catch((e: unknown) => e)) as MigrateError
    expect(error).toMatchObject({ code: 'GUARD_PLAN_MOVED' })
    expect(error.message).toContain('table audit was added')
    expect(error.message).toContain('table users changed')
    expect(await snapshotOf(db!.name, { history: true })).toEqual(before)
    expect(backups(p)).toEqual(backupsBefore)

    await query('DROP TABLE audit; ALTER TABLE users DROP COLUMN age')
    insertBeforeSql(written.path!, 'UPDATE "users" SET "nme" = 1;')
    const line = readFileSync(written.path!, 'utf8').split('\n').indexOf('UPDATE "users" SET "nme" = 1;') + 1
    const failed = (await applyPlanFile(written.path!, { root: p.root, env: {} }).catch((e: unknown) => e)) as MigrateError
    expect(failed).toMatchObject({ code: 'APPLY' })
    expect(failed.message).toContain(`${written.path!.split('/').pop()}:${line}: the statement`)
    expect(failed.message).toContain('rolled back')
    expect((await query<{ column_name: string }>("SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY ordinal_position")).map((c) => c.column_name)).toEqual(['id', 'email', 'name'])
    expect(await query('SELECT status FROM _migration_history ORDER BY id DESC LIMIT 1')).toEqual([{ status: 'rolled_back' }])
  })
})
