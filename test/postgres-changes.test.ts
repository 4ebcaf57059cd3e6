import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { ConfigOverrides } from '../plugin/core/config.ts'
import type { MigrateError } from '../plugin/core/errors.ts'
import type { MigrateResult } from '../plugin/pipeline/migrate.ts'
import { Project } from './helpers.ts'
import { asSuperuser, freshDatabase, type FreshDatabase } from './postgres.ts'
import { snapshot as snapshotOf } from './postgres-snapshot.ts'

/**
 * The schema-change catalogue (changes.test.ts, data-safety.test.ts) on a real PostgreSQL server,
 * each change on tables holding rows. Every change is either applied (the plan says what it did,
 * the schema is what the model says, every row is still there with its values, a second run is in
 * sync through the fast path) or refused (the expected code and words, and the database exactly as
 * it was: every table's rows, columns, constraints, indexes, enum types and sequences).
 */

const HEAD = "import { table, int, bigint, text, real, boolean, enumType, index, unique, primaryKey } from 'migrate-plugin/model'\n"
const MODEL = 'model/m.ts'
const model = (body: string) => `${HEAD}${body}\n`

let db: FreshDatabase | undefined
let project: Project | undefined
afterEach(async () => {
  project?.remove()
  project = undefined
  await db?.drop()
  db = undefined
})

async function query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return asSuperuser(async (c) => (await c.query(sql, params)).rows as T[], db!.name)
}

/** A project on a fresh database whose model is `body`, created by a first run, then given `rows`. */
async function start(body: string, rows = ''): Promise<Project> {
  db = await freshDatabase()
  const p = project = new Project({ 'migration.conf': `[database]\nurl = "${db.url}"\n`, [MODEL]: model(body) })
  const created = await p.migrate()
  expect(created.outcome).toBe('applied')
  if (rows) await query(rows)
  return p
}

const snapshot = (options: { history?: boolean } = {}) => snapshotOf(db!.name, options)

function backups(p: Project): string[] {
  const dir = join(p.root, 'backups')
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.includes('.backup_')).sort() : []
}

/** Change the model and migrate: it must apply, and a second run must find nothing left to do. */
async function applied(p: Project, body: string, overrides: ConfigOverrides = {}): Promise<{ result: MigrateResult, steps: string[] }> {
  p.write(MODEL, model(body))
  const result = await p.migrate({ overrides })
  expect(result.outcome).toBe('applied')
  const again = await p.migrate({ overrides })
  expect(again.outcome, 'a second run finds the database in sync').toBe('in-sync')
  expect(again.fastPath, 'and knows it without loading the engine').toBe(true)
  return { result, steps: result.plan?.steps.map((s) => s.description) ?? [] }
}

/** Change the model and migrate: it must be refused with `code`, the database exactly as it was, no backup left. */
async function refused(p: Project, body: string, code: string, overrides: ConfigOverrides = {}): Promise<MigrateError> {
  const before = await snapshot()
  const backupsBefore = backups(p)
  p.write(MODEL, model(body))
  const error = await p.migrate({ overrides }).then(
    (r) => { throw new Error(`expected ${code}, got outcome ${r.outcome}: ${r.plan?.steps.map((s) => s.description).join('; ')}`) },
    (e: unknown) => e as MigrateError,
  )
  expect(error.code, error.message).toBe(code)
  expect(await snapshot(), 'the database is exactly as it was').toEqual(before)
  expect(backups(p), 'the backup of a refused run is not left behind').toEqual(backupsBefore)
  return error
}

/** A run that failed inside its transaction: rolled back (the schema and rows as they were), the attempt recorded. */
async function rolledBack(p: Project, body: string, code: string, overrides: ConfigOverrides = {}): Promise<MigrateError> {
  const before = await snapshot({ history: false })
  const history = await query<{ n: number }>('SELECT count(*)::int AS n FROM "_migration_history"')
  p.write(MODEL, model(body))
  const error = await p.migrate({ overrides }).then(
    (r) => { throw new Error(`expected ${code}, got outcome ${r.outcome}`) },
    (e: unknown) => e as MigrateError,
  )
  expect(error.code, error.message).toBe(code)
  expect(error.message).toMatch(/rolled back; the database is as it was/)
  expect(await snapshot({ history: false }), 'the schema and every row are as they were').toEqual(before)
  expect(await query('SELECT status FROM "_migration_history" ORDER BY id DESC LIMIT 1')).toEqual([{ status: 'rolled_back' }])
  expect(await query<{ n: number }>('SELECT count(*)::int AS n FROM "_migration_history"')).toEqual([{ n: history[0]!.n + 1 }])
  return error
}

const columnsOf = async (table: string) => (await query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`, [table])).map((r) => r.column_name)
const columnInfo = async (table: string, column: string) => (await query<{ data_type: string, is_nullable: string, column_default: string | null }>(`SELECT data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND column_name = $2`, [table, column]))[0]
const tables = async () => (await query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).map((r) => r.t)
const indexes = async (table: string) => (await query<{ indexname: string, indexdef: string }>(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1 AND indexname NOT LIKE '%_pkey' ORDER BY 1`, [table]))
const foreignKeys = async (table: string) => (await query<{ def: string }>(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE contype = 'f' AND conrelid = $1::regclass ORDER BY conname`, [`"${table}"`])).map((r) => r.def)
const enumLabels = async (name: string) => (await query<{ v: string }>(`SELECT e.enumlabel AS v FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = $1 ORDER BY e.enumsortorder`, [name])).map((r) => r.v)

const USERS = `export const users = table('users', {
  id: int().primaryKey({ autoIncrement: true }),
  email: text().notNull(),
  name: text(),
  age: text(),
})`
const usersWith = (extra: string) => USERS.replace('  age: text(),\n', `  age: text(),\n  ${extra}\n`)
const usersReplacing = (line: string, by: string) => {
  expect(USERS).toContain(line)
  return USERS.replace(line, by)
}

const SEED = "INSERT INTO users (email, name, age) VALUES ('a@x', 'Ann', '31'), ('b@x', 'Bob', NULL), ('c@x', NULL, '47')"
const SEEDED = [
  { id: 1, email: 'a@x', name: 'Ann', age: '31' },
  { id: 2, email: 'b@x', name: 'Bob', age: null },
  { id: 3, email: 'c@x', name: null, age: '47' },
]
const usersRows = (columns = 'id, email, name, age') => query(`SELECT ${columns} FROM users ORDER BY id`)

const TEAMS = `export const teams = table('teams', {
  id: int().primaryKey({ autoIncrement: true }),
  title: text().notNull(),
})`

describe('tables', () => {
  it('add a table', async () => {
    const p = await start(USERS, SEED)
    const { steps } = await applied(p, `${USERS}\n${TEAMS}`)
    expect(steps).toEqual(['create table teams'])
    expect(await tables()).toEqual(['_migration_history', 'teams', 'users'])
    expect(await columnsOf('teams')).toEqual(['id', 'title'])
    expect(await usersRows()).toEqual(SEEDED)
  })

  it('drop a table without rows: left alone and reported unless drop_unmodelled_tables, then dropped', async () => {
    const p = await start(`${USERS}\n${TEAMS}`, SEED)
    p.write(MODEL, model(USERS))
    const kept = await p.migrate()
    expect(kept.outcome).toBe('in-sync')
    expect(kept.unmodelledTables).toEqual(['teams'])
    expect(await tables()).toContain('teams')
    const { result, steps } = await applied(p, USERS, { dropUnmodelledTables: true })
    expect(steps).toEqual(['drop table teams'])
    expect(result.unmodelledTables).toEqual(['teams'])
    expect(await tables()).toEqual(['_migration_history', 'users'])
    expect(await usersRows()).toEqual(SEEDED)
  })

  it('drop a table with rows: refused (GUARD_DATA_LOSS), naming it and its rows, unless data loss is allowed', async () => {
    const p = await start(`${USERS}\n${TEAMS}`, `${SEED}; INSERT INTO teams (title) VALUES ('red'), ('blue')`)
    const error = await refused(p, USERS, 'GUARD_DATA_LOSS', { dropUnmodelledTables: true })
    expect(error.message).toMatch(/drop the `teams` table, which is not empty \(2 rows\)/)
    const { steps } = await applied(p, USERS, { dropUnmodelledTables: true, allowDataLoss: true })
    expect(steps).toEqual(['drop table teams'])
    expect(await tables()).toEqual(['_migration_history', 'users'])
    expect(await usersRows()).toEqual(SEEDED)
  })

  it("a new table name without renamedFrom: the new table is created, the old one left alone with its rows", async () => {
    const p = await start(USERS, SEED)
    const { result, steps } = await applied(p, USERS.replace("table('users'", "table('people'"))
    expect(steps).toEqual(['create table people'])
    expect(result.unmodelledTables).toEqual(['users'])
    expect(await query('SELECT count(*)::int AS n FROM people')).toEqual([{ n: 0 }])
    expect(await usersRows()).toEqual(SEEDED)
  })
})

describe('columns', () => {
  it('add a nullable column', async () => {
    const p = await start(USERS, SEED)
    const { steps } = await applied(p, usersWith('phone: text(),'))
    expect(steps).toEqual(['add column users.phone'])
    expect(await columnInfo('users', 'phone')).toEqual({ data_type: 'text', is_nullable: 'YES', column_default: null })
    expect(await usersRows('id, email, name, age, phone')).toEqual(SEEDED.map((r) => ({ ...r, phone: null })))
  })

  it('add a required column with a default to a table with rows: every row gets the default', async () => {
    const p = await start(USERS, SEED)
    const { steps } = await applied(p, usersWith('score: int().notNull().default(10),'))
    expect(steps).toEqual(['add column users.score'])
    expect(await columnInfo('users', 'score')).toEqual({ data_type: 'integer', is_nullable: 'NO', column_default: '10' })
    expect(await usersRows('id, email, name, age, score')).toEqual(SEEDED.map((r) => ({ ...r, score: 10 })))
  })

  it('add a required column without a default to an empty table', async () => {
    const p = await start(USERS)
    const { steps } = await applied(p, usersWith('phone: text().notNull(),'))
    expect(steps).toEqual(['add column users.phone'])
    expect(await columnInfo('users', 'phone')).toMatchObject({ is_nullable: 'NO', column_default: null })
  })

  it('add a required column without a default to a table with rows: refused (GUARD_UNEXECUTABLE), even with data loss allowed', async () => {
    const p = await start(USERS, SEED)
    const error = await refused(p, usersWith('phone: text().notNull(),'), 'GUARD_UNEXECUTABLE')
    expect(error.message).toMatch(/required column `phone`.*3 rows/)
    expect(error.hint).toMatch(/default/)
    await refused(p, usersWith('phone: text().notNull(),'), 'GUARD_UNEXECUTABLE', { allowDataLoss: true })
    expect(await usersRows()).toEqual(SEEDED)
  })

  it('drop a column that holds no data (all NULL)', async () => {
    const p = await start(usersWith('phone: text(),'), SEED)
    const { steps } = await applied(p, USERS)
    expect(steps).toEqual(['drop column users.phone'])
    expect(await columnsOf('users')).toEqual(['id', 'email', 'name', 'age'])
    expect(await usersRows()).toEqual(SEEDED)
  })

  it('drop a column with data: refused (GUARD_DATA_LOSS) naming it, applied with allow_data_loss', async () => {
    const p = await start(USERS, SEED)
    const withoutAge = usersReplacing('  age: text(),\n', '')
    const error = await refused(p, withoutAge, 'GUARD_DATA_LOSS')
    expect(error.message).toMatch(/drop the column `age`/)
    const { steps } = await applied(p, withoutAge, { allowDataLoss: true })
    expect(steps).toEqual(['drop column users.age'])
    expect(await usersRows('id, email, name')).toEqual(SEEDED.map(({ age: _, ...rest }) => rest))
  })

  it('a new db name for a column without renamedFrom is a drop and an add: refused while the old column holds data', async () => {
    const p = await start(USERS, SEED)
    const error = await refused(p, usersReplacing('age: text(),', "age: text().map('years'),"), 'GUARD_DATA_LOSS')
    expect(error.message).toMatch(/age/)
  })

  it('drop an indexed column that holds no data: the index goes with it', async () => {
    const p = await start(usersWith('phone: text(),').replace('\n})', '\n}, (t) => [index(t.phone), index(t.name)])'), SEED)
    expect((await indexes('users')).map((i) => i.indexname)).toEqual(['users_name_idx', 'users_phone_idx'])
    await applied(p, USERS.replace('\n})', '\n}, (t) => [index(t.name)])'))
    expect((await indexes('users')).map((i) => i.indexname)).toEqual(['users_name_idx'])
    expect(await usersRows()).toEqual(SEEDED)
  })
})

describe('nullability', () => {
  it('make a column required when no row holds NULL', async () => {
    const p = await start(USERS, "INSERT INTO users (email, name) VALUES ('a@x', 'Ann'), ('b@x', 'Bob')")
    const { steps } = await applied(p, usersReplacing('name: text(),', 'name: text().notNull(),'))
    expect(steps).toEqual(['make column users.name required'])
    expect(await columnInfo('users', 'name')).toMatchObject({ is_nullable: 'NO' })
    expect(await usersRows('email, name')).toEqual([{ email: 'a@x', name: 'Ann' }, { email: 'b@x', name: 'Bob' }])
  })

  it('make a column required when some rows hold NULL: refused (GUARD_UNEXECUTABLE), even with data loss allowed', async () => {
    const p = await start(USERS, SEED)
    const required = usersReplacing('name: text(),', 'name: text().notNull(),')
    const error = await refused(p, required, 'GUARD_UNEXECUTABLE')
    expect(error.message).toMatch(/`name`.*required.*1 existing NULL value/)
    await refused(p, required, 'GUARD_UNEXECUTABLE', { allowDataLoss: true })
    expect(await usersRows()).toEqual(SEEDED)
  })

  it('make a column required with a default while rows hold NULL: refused, naming the NULLs; nothing rewritten', async () => {
    const p = await start(USERS, SEED)
    const required = usersReplacing('name: text(),', "name: text().notNull().default('nobody'),")
    const error = await refused(p, required, 'GUARD_UNEXECUTABLE')
    expect(error.message).toMatch(/`name`.*1 existing NULL value/)
    expect(await usersRows()).toEqual(SEEDED)
  })

  it('make a required column optional', async () => {
    const p = await start(USERS, SEED)
    const { steps } = await applied(p, usersReplacing('email: text().notNull(),', 'email: text(),'))
    expect(steps).toEqual(['make column users.email optional'])
    expect(await columnInfo('users', 'email')).toMatchObject({ is_nullable: 'YES' })
    expect(await usersRows()).toEqual(SEEDED)
  })
})

describe('types', () => {
  it('change a type on an empty column (text → int, all NULL) applies without a word', async () => {
    const p = await start(usersWith('rank: text(),'), SEED)
    const { result, steps } = await applied(p, usersWith('rank: int(),'))
    expect(steps).toEqual(['drop column users.rank and add it again as INTEGER (its values are not kept)'])
    expect(result.warnings).toEqual([])
    expect(await columnInfo('users', 'rank')).toMatchObject({ data_type: 'integer' })
    expect(await usersRows()).toEqual(SEEDED)
  })

  it('change a type PostgreSQL cannot cast (text → int) over values: refused, saying the column is dropped and recreated; accepted, its values go and the history says so', async () => {
    const p = await start(USERS, SEED)
    const toInt = usersReplacing('age: text(),', 'age: int(),')
    const warning = 'The `age` column on the `users` table would be dropped and recreated. This will lead to data loss.'
    p.write(MODEL, model(toInt))
    const check = await p.migrate({ command: 'check' })
    expect(check.plan?.steps.map((s) => s.description)).toEqual(['drop column users.age and add it again as INTEGER (its values are not kept)'])
    expect(check.warnings).toEqual([warning])
    const error = await refused(p, toInt, 'GUARD_DATA_LOSS')
    expect(error.message).toContain(warning)
    expect(error.hint).toMatch(/--accept-data-loss/)
    const { result } = await applied(p, toInt, { allowDataLoss: true })
    expect(result.warnings).toEqual([warning])
    expect(await columnInfo('users', 'age')).toMatchObject({ data_type: 'integer' })
    expect(await usersRows()).toEqual(SEEDED.map((r) => ({ ...r, age: null })))
    expect(await query(`SELECT warnings FROM "_migration_history" WHERE status = 'success' ORDER BY id DESC LIMIT 1`)).toEqual([{ warnings: JSON.stringify([warning]) }])
  })

  it('widen a type (int → real, int → bigint): every value kept, without a word', async () => {
    const p = await start(usersWith("score: int(),\n  big: int(),"), `${SEED}; UPDATE users SET score = id * 7, big = id`)
    const { result } = await applied(p, usersWith("score: real(),\n  big: bigint(),"))
    expect(result.warnings).toEqual([])
    expect(await columnInfo('users', 'score')).toMatchObject({ data_type: 'double precision' })
    expect(await columnInfo('users', 'big')).toMatchObject({ data_type: 'bigint' })
    expect(await usersRows('id, score, big::int AS big')).toEqual([{ id: 1, score: 7, big: 1 }, { id: 2, score: 14, big: 2 }, { id: 3, score: 21, big: 3 }])
  })
})

describe('defaults', () => {
  it('change a default: rows keep their values, new rows get the new default', async () => {
    const withStatus = (value: string) => usersWith(`status: text().notNull().default('${value}'),`)
    const p = await start(withStatus('new'), SEED)
    const { steps } = await applied(p, withStatus('fresh'))
    expect(steps).toEqual(["set the default of users.status to 'fresh'"])
    await query("INSERT INTO users (email) VALUES ('d@x')")
    expect(await usersRows('id, status')).toEqual([{ id: 1, status: 'new' }, { id: 2, status: 'new' }, { id: 3, status: 'new' }, { id: 4, status: 'fresh' }])
  })

  it('drop a default: rows keep their values', async () => {
    const p = await start(usersWith("status: text().default('new'),"), SEED)
    const { steps } = await applied(p, usersWith('status: text(),'))
    expect(steps).toEqual(['drop the default of users.status'])
    expect(await columnInfo('users', 'status')).toMatchObject({ column_default: null })
    expect(await usersRows('id, status')).toEqual([{ id: 1, status: 'new' }, { id: 2, status: 'new' }, { id: 3, status: 'new' }])
  })
})

describe('unique constraints and indexes', () => {
  it('add a unique constraint over duplicate values: the apply fails and is rolled back, rows intact, no index', async () => {
    const p = await start(USERS, `${SEED}; INSERT INTO users (email, name) VALUES ('a@x', 'Ann again')`)
    const error = await rolledBack(p, usersReplacing('email: text().notNull(),', 'email: text().notNull().unique(),'), 'APPLY')
    expect(error.message).toMatch(/unique constraint failed.*email|could not create unique index/is)
    expect(await indexes('users')).toEqual([])
  })

  it('add a unique constraint over clean data', async () => {
    const p = await start(USERS, SEED)
    const { steps } = await applied(p, usersReplacing('email: text().notNull(),', 'email: text().notNull().unique(),'))
    expect(steps).toEqual(['create unique index on users (email)'])
    expect(await usersRows()).toEqual(SEEDED)
    await expect(query("INSERT INTO users (email) VALUES ('a@x')")).rejects.toThrow(/duplicate key value violates unique constraint/)
  })

  it('add a composite unique constraint over clean data', async () => {
    const p = await start(USERS, SEED)
    const { steps } = await applied(p, usersReplacing('  age: text(),\n})', '  age: text(),\n}, (t) => [unique(t.name, t.age)])'))
    expect(steps).toEqual(['create unique index on users (name, age)'])
    expect(await usersRows()).toEqual(SEEDED)
  })

  it('drop a unique constraint', async () => {
    const p = await start(usersReplacing('email: text().notNull(),', 'email: text().notNull().unique(),'), SEED)
    await applied(p, USERS)
    expect(await indexes('users')).toEqual([])
    await query("INSERT INTO users (email) VALUES ('a@x')")
    expect(await query('SELECT count(*)::int AS n FROM users')).toEqual([{ n: 4 }])
  })

  it('add an index, then drop it', async () => {
    const p = await start(USERS, SEED)
    const { steps } = await applied(p, usersReplacing('  age: text(),\n})', '  age: text(),\n}, (t) => [index(t.name)])'))
    expect(steps).toEqual(['create index on users (name)'])
    expect((await indexes('users')).map((i) => i.indexname)).toEqual(['users_name_idx'])
    const dropped = await applied(p, USERS)
    expect(dropped.steps).toEqual(['drop index users_name_idx on users'])
    expect(await indexes('users')).toEqual([])
    expect(await usersRows()).toEqual(SEEDED)
  })
})

describe('relations', () => {
  const withTeam = (action: string, required = '.notNull()') => `${TEAMS}\n${usersWith(`teamId: int()${required}.references(() => teams.id, { onDelete: '${action}' }),`)}`

  it('add a foreign key column referencing another table', async () => {
    const p = await start(`${TEAMS}\n${USERS}`, `${SEED}; INSERT INTO teams (title) VALUES ('red')`)
    const { steps } = await applied(p, withTeam('set null', ''))
    expect(steps).toEqual(['add column users.teamId', 'add foreign key users (teamId) → teams (id) on delete set null'])
    expect(await foreignKeys('users')).toEqual(['FOREIGN KEY ("teamId") REFERENCES teams(id) ON UPDATE CASCADE ON DELETE SET NULL'])
    expect(await usersRows('id, email, name, age, "teamId"')).toEqual(SEEDED.map((r) => ({ ...r, teamId: null })))
  })

  it('change onDelete (cascade → restrict): rows kept, the new action in force', async () => {
    const p = await start(withTeam('cascade'), "INSERT INTO teams (title) VALUES ('red'), ('blue'); INSERT INTO users (email, name, age, \"teamId\") VALUES ('a@x', 'Ann', '31', 1), ('b@x', 'Bob', NULL, 2), ('c@x', NULL, '47', 1)")
    await applied(p, withTeam('restrict'))
    expect(await foreignKeys('users')).toEqual(['FOREIGN KEY ("teamId") REFERENCES teams(id) ON UPDATE CASCADE ON DELETE RESTRICT'])
    expect(await usersRows('id, email, name, age, "teamId"')).toEqual(SEEDED.map((r, i) => ({ ...r, teamId: [1, 2, 1][i] })))
    await expect(query('DELETE FROM teams WHERE id = 1')).rejects.toThrow(/violates foreign key constraint/)
    expect(await query('SELECT count(*)::int AS n FROM users')).toEqual([{ n: 3 }])
  })

  it('a foreign key over rows that break it: the apply fails and is rolled back, every row kept', async () => {
    const p = await start(`${TEAMS}\n${usersWith('teamId: int(),')}`, `INSERT INTO teams (title) VALUES ('red'); INSERT INTO users (email, "teamId") VALUES ('a@x', 1), ('b@x', 99)`)
    const error = await rolledBack(p, withTeam('cascade', ''), 'APPLY')
    expect(error.message).toMatch(/foreign key/i)
  })

  it('a self-referencing table (onDelete: cascade) changed keeps every row', async () => {
    const tree = (label: string) => `export const nodes = table('nodes', {
  id: int().primaryKey({ autoIncrement: true }),
  parentId: int().references(() => nodes.id, { onDelete: 'cascade' }),
  ${label}
})`
    let rows = `INSERT INTO nodes ("parentId", label) VALUES (NULL, 'root');`
    for (let i = 2; i <= 50; i++) rows += `INSERT INTO nodes ("parentId", label) VALUES (${Math.floor(i / 2)}, 'n${i}');`
    const p = await start(tree('label: text(),'), rows)
    const before = await query('SELECT id, "parentId", label FROM nodes ORDER BY id')
    await applied(p, tree('label: text().notNull(),'))
    await applied(p, tree("label: text().notNull(),\n  depth: int().notNull().default(0),"))
    expect(await query('SELECT id, "parentId", label FROM nodes ORDER BY id')).toEqual(before)
  })

  it('a parent table changed (type, nullability, new column) keeps every child and grandchild row', async () => {
    const family = (parent: string) => `export const teams = table('teams', {
  id: int().primaryKey({ autoIncrement: true }),
  title: text().notNull(),
  ${parent}
})
export const members = table('members', {
  id: int().primaryKey({ autoIncrement: true }),
  teamId: int().notNull().references(() => teams.id, { onDelete: 'cascade' }),
  nick: text(),
}, (t) => [index(t.teamId)])
export const tasks = table('tasks', {
  id: int().primaryKey({ autoIncrement: true }),
  memberId: int().notNull().references(() => members.id, { onDelete: 'cascade' }),
  teamId: int().references(() => teams.id, { onDelete: 'set null' }),
})`
    let rows = "INSERT INTO teams (title, founded) VALUES ('red', 2001), ('blue', 1999), ('green', NULL);"
    for (let i = 1; i <= 120; i++) rows += `INSERT INTO members ("teamId", nick) VALUES (${(i % 3) + 1}, 'm${i}'); INSERT INTO tasks ("memberId", "teamId") VALUES (${i}, ${(i % 3) + 1}), (${i}, NULL);`
    const p = await start(family('founded: int(),'), rows)
    const children = async () => ({ members: await query('SELECT * FROM members ORDER BY id'), tasks: await query('SELECT * FROM tasks ORDER BY id') })
    const before = await children()
    expect(before.tasks).toHaveLength(240)
    await applied(p, family('founded: real(),'))
    await applied(p, family('founded: real(),').replace('title: text().notNull(),', 'title: text(),'))
    await applied(p, family("founded: real(),\n  active: boolean().notNull().default(true),").replace('title: text().notNull(),', 'title: text(),'))
    expect(await query('SELECT id, title, founded, active FROM teams ORDER BY id')).toEqual([
      { id: 1, title: 'red', founded: 2001, active: true },
      { id: 2, title: 'blue', founded: 1999, active: true },
      { id: 3, title: 'green', founded: null, active: true },
    ])
    expect(await children()).toEqual(before)
  })
})

describe('enums', () => {
  const ROLES = (values: string, dflt = '') => `const role = enumType('Role', [${values}])\nexport const members = table('members', { id: int().primaryKey({ autoIncrement: true }), role: role()${dflt} })`

  it('add a value: rows keep theirs, the new one is usable after the run', async () => {
    const p = await start(ROLES("'admin', 'staff'"), "INSERT INTO members (role) VALUES ('admin'), ('staff'), (NULL)")
    const { steps } = await applied(p, ROLES("'admin', 'staff', 'guest'"))
    expect(steps).toEqual(['add value guest to enum Role'])
    expect(await enumLabels('Role')).toEqual(['admin', 'staff', 'guest'])
    await query("INSERT INTO members (role) VALUES ('guest')")
    expect(await query('SELECT role FROM members ORDER BY id')).toEqual([{ role: 'admin' }, { role: 'staff' }, { role: null }, { role: 'guest' }])
  })

  it('remove a value no row holds: the enum is redefined, every row kept, without --accept-data-loss', async () => {
    const p = await start(ROLES("'admin', 'staff', 'guest'"), "INSERT INTO members (role) VALUES ('admin'), ('staff'), (NULL)")
    const { steps } = await applied(p, ROLES("'admin', 'staff'"))
    expect(steps).toEqual(['redefine enum Role with the values admin, staff (columns using it are converted)'])
    expect(await enumLabels('Role')).toEqual(['admin', 'staff'])
    expect(await query('SELECT role FROM members ORDER BY id')).toEqual([{ role: 'admin' }, { role: 'staff' }, { role: null }])
  })

  it('remove a value rows still hold: check says it may fail; the cast fails and is rolled back, even with data loss allowed; applied once the rows are moved', async () => {
    const p = await start(ROLES("'admin', 'staff', 'guest'"), "INSERT INTO members (role) VALUES ('admin'), ('guest'), ('guest'), (NULL)")
    p.write(MODEL, model(ROLES("'admin', 'staff'")))
    const check = p.cli(['check'])
    expect(check.code).toBe(2)
    expect(check.stdout).toMatch(/! may fail: The values \[guest\] on the enum `Role` will be removed/)
    for (const overrides of [{}, { allowDataLoss: true }]) {
      // The server's own words ("invalid input value for enum") do not reach the message: see the report.
      await rolledBack(p, ROLES("'admin', 'staff'"), 'APPLY', overrides)
    }
    expect(await enumLabels('Role')).toEqual(['admin', 'staff', 'guest'])
    await query("UPDATE members SET role = 'staff' WHERE role = 'guest'")
    await applied(p, ROLES("'admin', 'staff'"))
    expect(await query('SELECT role FROM members ORDER BY id')).toEqual([{ role: 'admin' }, { role: 'staff' }, { role: 'staff' }, { role: null }])
  })

  it('an enum column with a default: change the default to another existing value', async () => {
    const p = await start(ROLES("'admin', 'staff'", ".notNull().default('staff')"), "INSERT INTO members (role) VALUES ('admin'), (DEFAULT)")
    await applied(p, ROLES("'admin', 'staff'", ".notNull().default('admin')"))
    await query('INSERT INTO members DEFAULT VALUES')
    expect(await query('SELECT role FROM members ORDER BY id')).toEqual([{ role: 'admin' }, { role: 'staff' }, { role: 'admin' }])
  })
})

describe('renames (renamedFrom)', () => {
  it('rename a table and a column: every row moves with them', async () => {
    const p = await start(USERS, SEED)
    const renamed = USERS.replace("table('users', {", "table('people', {").replace('age: text(),', "years: text().renamedFrom('age'),").replace('\n})', "\n}, { renamedFrom: 'users' })")
    const { steps } = await applied(p, renamed)
    expect(steps).toEqual(['rename table users → people', 'rename column people.age → people.years', 'rename constraint users_pkey → people_pkey on people'])
    expect(await tables()).toEqual(['_migration_history', 'people'])
    expect(await query('SELECT id, email, name, years FROM people ORDER BY id')).toEqual(SEEDED.map(({ age, ...r }) => ({ ...r, years: age })))
    // The id sequence went with the table: the next row gets the next id.
    await query("INSERT INTO people (email) VALUES ('d@x')")
    expect(await query('SELECT max(id)::int AS id FROM people')).toEqual([{ id: 4 }])
  })

  it('a rename that only changes case, for a column and a table', async () => {
    const p = await start("export const users = table('users', { id: int().primaryKey(), name: text() })", "INSERT INTO users VALUES (1, 'Ada')")
    const { steps } = await applied(p, "export const users = table('Users', { id: int().primaryKey(), Name: text().renamedFrom('name') }, null, { renamedFrom: 'users' })")
    expect(steps).toEqual(['rename table users → Users', 'rename column Users.name → Users.Name', 'rename constraint users_pkey → Users_pkey on Users'])
    expect(await query('SELECT "Name" FROM "Users"')).toEqual([{ Name: 'Ada' }])
  })

  it('renamedFrom a column the models still define is a model error, and nothing changes', async () => {
    const p = await start("export const x = table('x', { id: int().primaryKey(), a: text(), b: text() })", "INSERT INTO x VALUES (1, 'A', 'B')")
    await refused(p, "export const x = table('x', { id: int().primaryKey(), a: text().renamedFrom('b'), b: text().renamedFrom('a') })", 'MODEL_INVALID')
  })
})

describe('keys', () => {
  it('a composite primary key: created, rows kept when a column is added, duplicates refused by the server', async () => {
    const PAIRS = (extra = '') => `export const pairs = table('pairs', { a: int().notNull(), b: int().notNull(), note: text(),${extra} }, (t) => [primaryKey(t.a, t.b)])`
    const p = await start(PAIRS(), "INSERT INTO pairs VALUES (1, 1, 'x'), (1, 2, 'y'), (2, 1, NULL)")
    expect(await query(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE contype = 'p' AND conrelid = 'pairs'::regclass`)).toEqual([{ def: 'PRIMARY KEY (a, b)' }])
    await applied(p, PAIRS(' n: int().notNull().default(0),'))
    expect(await query('SELECT a, b, note, n FROM pairs ORDER BY a, b')).toEqual([{ a: 1, b: 1, note: 'x', n: 0 }, { a: 1, b: 2, note: 'y', n: 0 }, { a: 2, b: 1, note: null, n: 0 }])
    await expect(query('INSERT INTO pairs (a, b) VALUES (1, 1)')).rejects.toThrow(/duplicate key/)
  })

  it('moving the primary key to another column keeps every row', async () => {
    const p = await start("export const codes = table('codes', { id: int().primaryKey(), code: text().notNull() })", "INSERT INTO codes VALUES (1, 'a'), (2, 'b')")
    const result = await applied(p, "export const codes = table('codes', { id: int().notNull(), code: text().notNull().primaryKey() })")
    expect(result.result.warnings.join(' ')).toMatch(/primary key for the `codes` table will be changed/)
    expect(await query('SELECT id, code FROM codes ORDER BY id')).toEqual([{ id: 1, code: 'a' }, { id: 2, code: 'b' }])
  })

  it('a primary key over duplicate values fails inside the transaction and rolls back', async () => {
    const p = await start("export const codes = table('codes', { id: int().primaryKey(), code: text().notNull() })", "INSERT INTO codes VALUES (1, 'a'), (2, 'a')")
    await rolledBack(p, "export const codes = table('codes', { id: int().notNull(), code: text().notNull().primaryKey() })", 'APPLY')
  })
})

describe('what the user sees through the CLI', () => {
  it('check lists a lossy change and exits 2; apply refuses it with exit 1 and the words; preview changes nothing', async () => {
    const p = await start(USERS, SEED)
    p.write(MODEL, model(usersReplacing('  age: text(),\n', '')))
    const before = await snapshot()
    const check = p.cli(['check'])
    expect(check.code, check.stderr).toBe(2)
    expect(check.stdout).toContain('drop column users.age')
    expect(check.stdout).toMatch(/drop the column `age`/)
    expect(check.stdout).toContain('npx migrate-plugin apply --accept-data-loss')
    const preview = p.cli(['preview'])
    expect(preview.code, preview.stderr).toBe(0)
    expect(preview.stdout).toContain('drop column users.age')
    const apply = p.cli(['apply'])
    expect(apply.code).toBe(1)
    expect(apply.stderr).toMatch(/refusing to lose data/)
    expect(apply.stderr).toMatch(/--accept-data-loss/)
    expect(await snapshot()).toEqual(before)
    expect(backups(p)).toHaveLength(1)
  })

  it('a sequence of changes on one database, each applied once and then in sync', async () => {
    const p = await start(USERS, SEED)
    const sequence = [
      usersWith('phone: text(),'),
      usersWith("phone: text(),\n  score: int().notNull().default(0),"),
      usersWith("phone: text(),\n  score: int().notNull().default(5),"),
      usersWith("phone: text(),\n  score: int().notNull().default(5),").replace('\n})', '\n}, (t) => [index(t.phone)])'),
      `${usersWith("phone: text(),\n  score: int().notNull().default(5),").replace('\n})', '\n}, (t) => [index(t.phone), unique(t.email)])')}\n${TEAMS}`,
      `${usersWith("phone: text(),\n  score: real().notNull().default(5),").replace('\n})', '\n}, (t) => [unique(t.email)])')}\n${TEAMS}`,
      `${USERS}\n${TEAMS}`,
    ]
    for (const body of sequence) {
      p.write(MODEL, model(body))
      expect((await p.migrate({ overrides: { allowDataLoss: true } })).outcome, body).toBe('applied')
      expect(await p.migrate({ overrides: { allowDataLoss: true } }), body).toMatchObject({ outcome: 'in-sync', fastPath: true })
      expect(await usersRows()).toEqual(SEEDED)
    }
    expect((await query<{ status: string }>('SELECT status FROM "_migration_history" ORDER BY id')).map((r) => r.status)).toEqual(Array(sequence.length + 1).fill('success'))
  })
})
