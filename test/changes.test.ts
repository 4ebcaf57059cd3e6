import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { MigrateError } from '../plugin/core/errors.ts'
import type { ConfigOverrides } from '../plugin/core/config.ts'
import type { MigrateResult } from '../plugin/pipeline/migrate.ts'
import { Project } from './helpers.ts'

/**
 * A catalogue of schema changes, each on a real SQLite file with rows in it. Every change is
 * either applied (the plan says what it did, the schema is what the model says, every row that
 * was there is still there with its values, and a second run is in sync) or refused (the promise
 * rejects with the expected code and the database file is byte-identical to before).
 */

const HEAD = "import { table, int, text, real, boolean, datetime, index, unique } from 'migrate-plugin/model'\n"
const MODEL = 'model/m.ts'

function model(body: string): string {
  return `${HEAD}${body}\n`
}

/** A project whose model is `body`, created by a first migrate, then filled with `rows`. */
async function start(body: string, rows = ''): Promise<Project> {
  const p = new Project({ [MODEL]: model(body) })
  const created = await p.migrate()
  expect(created.outcome).toBe('applied')
  if (rows) p.sql(rows)
  return p
}

/** Change the model and migrate: it must apply, and a second run must find nothing left to do. */
async function applied(p: Project, body: string, overrides: ConfigOverrides = {}): Promise<{ result: MigrateResult, steps: string[] }> {
  p.write(MODEL, model(body))
  const result = await p.migrate({ overrides })
  expect(result.outcome).toBe('applied')
  const again = await p.migrate({ overrides })
  expect(again.outcome, 'a second run finds the database in sync').toBe('in-sync')
  expect(again.fastPath, 'and knows it without loading the engine').toBe(true)
  expect(p.all('PRAGMA foreign_key_check')).toEqual([])
  expect(p.all('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }])
  return { result, steps: result.plan?.steps.map((s) => s.description) ?? [] }
}

function backups(p: Project): string[] {
  return existsSync(join(p.root, 'backups')) ? readdirSync(join(p.root, 'backups')).filter((f) => f.startsWith('dev.db.backup_')).sort() : []
}

/** Change the model and migrate: it must be refused with `code`, the database file untouched. */
async function refused(p: Project, body: string, code: string, overrides: ConfigOverrides = {}): Promise<MigrateError> {
  const hash = p.hash()
  const before = backups(p)
  p.write(MODEL, model(body))
  let error: MigrateError | undefined
  await p.migrate({ overrides }).then(
    (r) => { throw new Error(`expected ${code}, got outcome ${r.outcome}: ${r.plan?.steps.map((s) => s.description).join('; ')}`) },
    (e: MigrateError) => { error = e },
  )
  expect(error?.code, error?.message).toBe(code)
  expect(p.hash(), 'the database file is byte-identical').toBe(hash)
  expect(backups(p), 'the backup of a refused run is not left behind').toEqual(before)
  return error!
}

const indexes = (p: Project, table: string) =>
  p.all<{ name: string, unique: number }>('SELECT name, "unique" FROM pragma_index_list(?) WHERE origin = \'c\' ORDER BY name', table)
const indexColumns = (p: Project, index: string) =>
  p.all<{ name: string }>('SELECT name FROM pragma_index_info(?) ORDER BY seqno', index).map((c) => c.name)
const columnInfo = (p: Project, table: string, column: string) =>
  p.all<{ name: string, type: string, notnull: number, dflt_value: string | null }>('SELECT name, type, "notnull", dflt_value FROM pragma_table_info(?) WHERE name = ?', table, column)[0]
const foreignKeys = (p: Project, table: string) =>
  p.all<{ from: string, table: string, to: string, on_delete: string }>('SELECT "from", "table", "to", on_delete FROM pragma_foreign_key_list(?)', table)

const USERS = `export const users = table('users', {
  id: int().primaryKey({ autoIncrement: true }),
  email: text().notNull(),
  name: text(),
  age: text(),
})`

/** USERS with `extra` as further column lines. */
const usersWith = (extra: string) => USERS.replace('  age: text(),\n', `  age: text(),\n  ${extra}\n`)
/** USERS with `line` (a column line) replaced by `by`. */
const usersReplacing = (line: string, by: string) => {
  expect(USERS).toContain(line)
  return USERS.replace(line, by)
}

const SEED = "INSERT INTO users (email, name, age) VALUES ('a@x', 'Ann', '31'), ('b@x', 'Bob', NULL), ('c@x', NULL, '47');"
const SEEDED = [
  { id: 1, email: 'a@x', name: 'Ann', age: '31' },
  { id: 2, email: 'b@x', name: 'Bob', age: null },
  { id: 3, email: 'c@x', name: null, age: '47' },
]
const usersRows = (p: Project, columns = 'id, email, name, age') => p.all(`SELECT ${columns} FROM users ORDER BY id`)

const TEAMS = `export const teams = table('teams', {
  id: int().primaryKey({ autoIncrement: true }),
  title: text().notNull(),
})`

describe('schema changes on a database with rows', () => {
  it('add a table', async () => {
    const p = await start(USERS, SEED)
    const { steps } = await applied(p, `${USERS}\n${TEAMS}`)
    expect(steps).toEqual(['create table teams'])
    expect(p.tables()).toEqual(['_migration_history', 'teams', 'users'])
    expect(p.columns('teams')).toEqual(['id', 'title'])
    expect(usersRows(p)).toEqual(SEEDED)
  })

  it('drop a table without rows: left alone and reported unless drop_unmodelled_tables, then dropped', async () => {
    const p = await start(`${USERS}\n${TEAMS}`, SEED)
    p.write(MODEL, model(USERS))
    const hash = p.hash()
    const kept = await p.migrate()
    // Nothing to change in the modelled tables; the stray table is only reported.
    expect(kept.outcome).toBe('in-sync')
    expect(kept.unmodelledTables).toEqual(['teams'])
    expect(p.tables()).toContain('teams')
    expect(p.all('SELECT count(*) AS n FROM users')).toEqual([{ n: 3 }])
    // The model files changed, so the run looked (no fast path) and recorded the unchanged database.
    expect(kept.fastPath).toBe(false)
    expect(p.all('SELECT status, description FROM _migration_history ORDER BY id DESC LIMIT 1')).toEqual([{ status: 'noop', description: 'database already matches the models' }])
    expect(p.hash()).not.toBe(hash)

    const { result, steps } = await applied(p, USERS, { dropUnmodelledTables: true })
    expect(steps).toEqual(['drop table teams'])
    expect(result.unmodelledTables).toEqual(['teams']) // what it found before dropping
    expect(p.tables()).toEqual(['_migration_history', 'users'])
    expect(usersRows(p)).toEqual(SEEDED)
  })

  it('drop a table with rows: refused (GUARD_DATA_LOSS) unless data loss is allowed', async () => {
    const p = await start(`${USERS}\n${TEAMS}`, `${SEED} INSERT INTO teams (title) VALUES ('red'), ('blue');`)
    const error = await refused(p, USERS, 'GUARD_DATA_LOSS', { dropUnmodelledTables: true })
    expect(error.message).toMatch(/drop the `teams` table, which is not empty \(2 rows\)/)
    expect(p.all('SELECT title FROM teams ORDER BY id')).toEqual([{ title: 'red' }, { title: 'blue' }])

    const { steps } = await applied(p, USERS, { dropUnmodelledTables: true, allowDataLoss: true })
    expect(steps).toEqual(['drop table teams'])
    expect(p.tables()).toEqual(['_migration_history', 'users'])
    expect(usersRows(p)).toEqual(SEEDED)
  })

  it('add a nullable column', async () => {
    const p = await start(USERS, SEED)
    const { steps } = await applied(p, usersWith('phone: text(),'))
    expect(steps).toEqual(['add column users.phone'])
    expect(columnInfo(p, 'users', 'phone')).toEqual({ name: 'phone', type: 'TEXT', notnull: 0, dflt_value: null })
    expect(usersRows(p)).toEqual(SEEDED)
    expect(usersRows(p, 'phone')).toEqual([{ phone: null }, { phone: null }, { phone: null }])
  })

  it('add a required column with a default to a table with rows: every row gets the default', async () => {
    const p = await start(USERS, SEED)
    const { steps } = await applied(p, usersWith('score: int().notNull().default(10),'))
    // The engine rebuilds the table for a required column rather than ALTER TABLE … ADD COLUMN.
    expect(steps).toEqual(['redefine table users: add column score (required)'])
    expect(columnInfo(p, 'users', 'score')).toEqual({ name: 'score', type: 'INTEGER', notnull: 1, dflt_value: '10' })
    expect(usersRows(p)).toEqual(SEEDED)
    expect(usersRows(p, 'score')).toEqual([{ score: 10 }, { score: 10 }, { score: 10 }])
  })

  it('add a required column without a default to an empty table', async () => {
    const p = await start(USERS)
    const { steps } = await applied(p, usersWith('phone: text().notNull(),'))
    expect(steps).toEqual(['redefine table users: add column phone (required)'])
    expect(columnInfo(p, 'users', 'phone')).toMatchObject({ type: 'TEXT', notnull: 1, dflt_value: null })
    expect(usersRows(p)).toEqual([])
  })

  it('add a required column without a default to a table with rows: refused (GUARD_UNEXECUTABLE), even with data loss allowed', async () => {
    const p = await start(USERS, SEED)
    const error = await refused(p, usersWith('phone: text().notNull(),'), 'GUARD_UNEXECUTABLE')
    expect(error.message).toMatch(/required column `phone`.*3 rows/)
    await refused(p, usersWith('phone: text().notNull(),'), 'GUARD_UNEXECUTABLE', { allowDataLoss: true })
    expect(p.columns('users')).toEqual(['id', 'email', 'name', 'age'])
    expect(usersRows(p)).toEqual(SEEDED)
  })

  it('drop a column that holds no data (all NULL)', async () => {
    const p = await start(usersWith('phone: text(),'), SEED)
    const { steps } = await applied(p, USERS)
    expect(steps).toEqual(['redefine table users: drop column phone'])
    expect(p.columns('users')).toEqual(['id', 'email', 'name', 'age'])
    expect(usersRows(p)).toEqual(SEEDED)
  })

  it('drop a column with data: refused (GUARD_DATA_LOSS), applied with allow_data_loss', async () => {
    const p = await start(USERS, SEED)
    const withoutAge = usersReplacing('  age: text(),\n', '')
    const error = await refused(p, withoutAge, 'GUARD_DATA_LOSS')
    expect(error.message).toMatch(/age/)
    expect(usersRows(p)).toEqual(SEEDED)

    const { steps } = await applied(p, withoutAge, { allowDataLoss: true })
    expect(steps).toEqual(['redefine table users: drop column age'])
    expect(p.columns('users')).toEqual(['id', 'email', 'name'])
    expect(usersRows(p, 'id, email, name')).toEqual(SEEDED.map(({ age: _, ...rest }) => rest))
  })

  it('change a type with data (String → Int, numeric strings): the engine warns, so refused; with allow_data_loss the values are cast', async () => {
    const p = await start(USERS, SEED)
    const toInt = usersReplacing('age: text(),', 'age: int(),')
    const error = await refused(p, toInt, 'GUARD_DATA_LOSS')
    expect(error.message).toMatch(/`age`.*String.*Int|Int.*`age`/s)
    expect(usersRows(p)).toEqual(SEEDED)

    const { steps } = await applied(p, toInt, { allowDataLoss: true })
    expect(steps).toEqual(['redefine table users: type of age String → Int'])
    expect(columnInfo(p, 'users', 'age')).toMatchObject({ type: 'INTEGER' })
    expect(p.all('SELECT id, email, name, age, typeof(age) AS t FROM users ORDER BY id')).toEqual([
      { id: 1, email: 'a@x', name: 'Ann', age: 31, t: 'integer' },
      { id: 2, email: 'b@x', name: 'Bob', age: null, t: 'null' },
      { id: 3, email: 'c@x', name: null, age: 47, t: 'integer' },
    ])
  })

  it('change a type with data that does not fit (String → Int, "abc"): refused; with allow_data_loss still refused (SQLite would keep the text), then applied once the value is converted', async () => {
    const p = await start(USERS, "INSERT INTO users (email, age) VALUES ('a@x', 'abc'), ('b@x', '12')")
    const toInt = usersReplacing('age: text(),', 'age: int(),')
    await refused(p, toInt, 'GUARD_DATA_LOSS')
    // The engine's rebuild copies with a plain INSERT … SELECT (no CAST), and SQLite's INTEGER affinity
    // converts '12' but keeps a non-numeric 'abc' as TEXT, which Prisma Client cannot read: refused.
    const rows = () => p.all('SELECT email, age, typeof(age) AS t FROM users ORDER BY id')
    const before = rows()
    const error = await p.migrate({ overrides: { allowDataLoss: true } }).then(() => undefined, (e: unknown) => e as MigrateError)
    expect(error?.code).toBe('VERIFY')
    expect(error?.message).toContain("1 value(s) in users.age are not INTEGER (e.g. 'abc')")
    expect(rows()).toEqual(before)
    p.sql("UPDATE users SET age = NULL WHERE age = 'abc'")
    const { result } = await applied(p, toInt, { allowDataLoss: true })
    expect(result.plan?.sql).toContain('INSERT INTO "new_users" ("age", "email", "id", "name") SELECT "age", "email", "id", "name" FROM "users";')
    expect(rows()).toEqual([
      { email: 'a@x', age: null, t: 'null' },
      { email: 'b@x', age: 12, t: 'integer' },
    ])
  })

  it('rename a column (a new db name): seen as drop + add, so refused (GUARD_DATA_LOSS) while the old column holds data', async () => {
    const p = await start(USERS, SEED)
    const renamed = usersReplacing('age: text(),', "age: text().map('years'),")
    const error = await refused(p, renamed, 'GUARD_DATA_LOSS')
    expect(error.message).toMatch(/age/)
    expect(usersRows(p)).toEqual(SEEDED)
  })

  it('drop an indexed column that holds no data: the index goes with it', async () => {
    const p = await start(usersWith('phone: text(),').replace("\n})", "\n}, (t) => [index(t.phone), index(t.name)])"), SEED)
    expect(indexes(p, 'users').map((i) => i.name)).toEqual(['users_name_idx', 'users_phone_idx'])
    const { steps } = await applied(p, USERS.replace("\n})", "\n}, (t) => [index(t.name)])"))
    // No DROP INDEX in the engine's script: the index goes with the old table, and the rebuild
    // recreates only the indexes the model still has. The plan says so all the same.
    expect(steps).toEqual(['redefine table users: drop column phone', 'drop index users_phone_idx on users (the models do not list it; rebuilding users removes it)'])
    expect(p.columns('users')).toEqual(['id', 'email', 'name', 'age'])
    expect(indexes(p, 'users')).toEqual([{ name: 'users_name_idx', unique: 0 }])
    expect(usersRows(p)).toEqual(SEEDED)
  })

  it('preview and check of a lossy change leave the database file byte-identical', async () => {
    const p = await start(USERS, SEED)
    const hash = p.hash()
    p.write(MODEL, model(usersReplacing('  age: text(),\n', '')))
    const preview = await p.migrate({ command: 'preview' })
    expect(preview.outcome).toBe('previewed')
    expect(preview.plan?.steps.map((s) => s.description)).toEqual(['redefine table users: drop column age'])
    expect(preview.warnings.join(' ')).toMatch(/age/)
    const check = await p.migrate({ command: 'check' })
    expect(check.outcome).toBe('pending')
    expect(p.hash()).toBe(hash)
    expect(backups(p)).toEqual([])
    expect(usersRows(p)).toEqual(SEEDED)
  })

  it('a self-referencing table (onDelete: cascade) redefined keeps every row', async () => {
    const tree = (label: string) => `export const nodes = table('nodes', {
  id: int().primaryKey({ autoIncrement: true }),
  parentId: int().references(() => nodes.id, { onDelete: 'cascade' }),
  ${label}
})`
    let rows = "INSERT INTO nodes (parentId, label) VALUES (NULL, 'root');"
    for (let i = 2; i <= 50; i++) rows += `INSERT INTO nodes (parentId, label) VALUES (${Math.floor(i / 2)}, 'n${i}');`
    const p = await start(tree('label: text(),'), rows)
    const before = p.all('SELECT id, parentId, label FROM nodes ORDER BY id')
    const { steps } = await applied(p, tree('label: text().notNull(),'))
    expect(steps).toEqual(['redefine table nodes: label becomes required'])
    expect(p.all('SELECT id, parentId, label FROM nodes ORDER BY id')).toEqual(before)
    expect(foreignKeys(p, 'nodes')).toEqual([{ from: 'parentId', table: 'nodes', to: 'id', on_delete: 'CASCADE' }])
  })

  it('add a unique constraint over duplicate values: the apply fails and is rolled back, rows intact, no index', async () => {
    const p = await start(USERS, `${SEED} INSERT INTO users (email, name) VALUES ('a@x', 'Ann again');`)
    const rows = usersRows(p)
    const schemaBefore = p.all("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE '_migration_history%' AND name <> 'sqlite_sequence' ORDER BY name")
    const historyBefore = p.all<{ n: number }>('SELECT count(*) AS n FROM _migration_history')[0]!.n
    p.write(MODEL, model(usersReplacing('email: text().notNull(),', 'email: text().notNull().unique(),')))
    // The engine only warns that this "will fail if there are duplicates"; the tool runs it, SQLite
    // refuses the index, and the one transaction is rolled back. The failed attempt is recorded in
    // the history table, so the file itself changes: compare the data and schema instead.
    const error = await p.migrate().then(() => undefined, (e: MigrateError) => e)
    expect(error?.code, error?.message).toBe('APPLY')
    expect(error?.message).toMatch(/Unique constraint failed on the fields: \(`email`\).*rolled back/s)
    expect(usersRows(p)).toEqual(rows)
    expect(indexes(p, 'users')).toEqual([])
    expect(p.all("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE '_migration_history%' AND name <> 'sqlite_sequence' ORDER BY name")).toEqual(schemaBefore)
    expect(p.all('SELECT status FROM _migration_history ORDER BY id')).toHaveLength(historyBefore + 1)
    expect(p.all('SELECT status FROM _migration_history ORDER BY id DESC LIMIT 1')).toEqual([{ status: 'rolled_back' }])
  })

  it('add a unique constraint over clean data', async () => {
    const p = await start(USERS, SEED)
    const { steps } = await applied(p, usersReplacing('email: text().notNull(),', 'email: text().notNull().unique(),'))
    expect(steps).toEqual(['create unique index on users (email)'])
    const [idx] = indexes(p, 'users')
    expect(idx).toMatchObject({ unique: 1 })
    expect(indexColumns(p, idx!.name)).toEqual(['email'])
    expect(usersRows(p)).toEqual(SEEDED)
    expect(() => p.sql("INSERT INTO users (email) VALUES ('a@x')")).toThrow(/UNIQUE constraint failed/)
  })

  it('add a composite unique constraint over clean data', async () => {
    const p = await start(USERS, SEED)
    const { steps } = await applied(p, usersReplacing("  age: text(),\n})", "  age: text(),\n}, (t) => [unique(t.name, t.age)])"))
    expect(steps).toEqual(['create unique index on users (name, age)'])
    const [idx] = indexes(p, 'users')
    expect(idx).toMatchObject({ unique: 1 })
    expect(indexColumns(p, idx!.name)).toEqual(['name', 'age'])
    expect(usersRows(p)).toEqual(SEEDED)
  })

  it('add an index', async () => {
    const p = await start(USERS, SEED)
    const { steps } = await applied(p, usersReplacing("  age: text(),\n})", "  age: text(),\n}, (t) => [index(t.name)])"))
    expect(steps).toEqual(['create index on users (name)'])
    expect(indexes(p, 'users')).toEqual([{ name: 'users_name_idx', unique: 0 }])
    expect(indexColumns(p, 'users_name_idx')).toEqual(['name'])
    expect(usersRows(p)).toEqual(SEEDED)
  })

  it('drop an index', async () => {
    const p = await start(usersReplacing("  age: text(),\n})", "  age: text(),\n}, (t) => [index(t.name), index(t.age)])"), SEED)
    expect(indexes(p, 'users').map((i) => i.name)).toEqual(['users_age_idx', 'users_name_idx'])
    const { steps } = await applied(p, usersReplacing("  age: text(),\n})", "  age: text(),\n}, (t) => [index(t.age)])"))
    expect(steps).toEqual(['drop index users_name_idx on users'])
    expect(indexes(p, 'users')).toEqual([{ name: 'users_age_idx', unique: 0 }])
    expect(usersRows(p)).toEqual(SEEDED)
  })

  it('add a foreign key column referencing another table', async () => {
    const p = await start(`${TEAMS}\n${USERS}`, `${SEED} INSERT INTO teams (title) VALUES ('red');`)
    const { steps } = await applied(p, `${TEAMS}\n${usersWith("teamId: int().references(() => teams.id, { onDelete: 'set null' }),")}`)
    expect(steps).toEqual(['redefine table users: add column teamId, add foreign key teamId → teams.id (on delete set null)'])
    expect(foreignKeys(p, 'users')).toEqual([{ from: 'teamId', table: 'teams', to: 'id', on_delete: 'SET NULL' }])
    expect(usersRows(p)).toEqual(SEEDED)
    expect(usersRows(p, 'teamId')).toEqual([{ teamId: null }, { teamId: null }, { teamId: null }])
    expect(p.all('SELECT id, title FROM teams')).toEqual([{ id: 1, title: 'red' }])
  })

  it("rename a table (table('users') → table('people')): the new table is created, the old one left alone with its rows", async () => {
    const p = await start(USERS, SEED)
    const { result, steps } = await applied(p, USERS.replace("table('users'", "table('people'"))
    expect(steps).toEqual(['create table people'])
    expect(result.unmodelledTables).toEqual(['users'])
    expect(p.tables()).toEqual(['_migration_history', 'people', 'users'])
    expect(p.all('SELECT count(*) AS n FROM people')).toEqual([{ n: 0 }])
    expect(usersRows(p)).toEqual(SEEDED)
  })

  it('a table no model defines is listed as unmodelled on every run, the fast path included', async () => {
    const p = await start(USERS, SEED)
    p.write(MODEL, model(USERS.replace("table('users'", "table('people'")))
    expect((await p.migrate()).unmodelledTables).toEqual(['users'])
    // Nothing changed since: the same database, the same stray table, so the same report —
    // whether or not the run could skip loading the engine.
    const again = await p.migrate()
    expect(again).toMatchObject({ outcome: 'in-sync', fastPath: true })
    expect(again.unmodelledTables).toEqual(['users'])
    const check = await p.migrate({ command: 'check' })
    expect(check.unmodelledTables).toEqual(['users'])
  })

  it('change a relation (onDelete cascade → restrict): the table is redefined, rows kept, the new action in force', async () => {
    const withTeam = (action: string) => `${TEAMS}\n${usersWith(`teamId: int().notNull().references(() => teams.id, { onDelete: '${action}' }),`)}`
    const p = await start(withTeam('cascade'), "INSERT INTO teams (title) VALUES ('red'), ('blue'); INSERT INTO users (email, name, age, teamId) VALUES ('a@x', 'Ann', '31', 1), ('b@x', 'Bob', NULL, 2), ('c@x', NULL, '47', 1);")
    const { steps } = await applied(p, withTeam('restrict'))
    expect(steps).toEqual(['redefine table users: add foreign key teamId → teams.id (on delete restrict), drop foreign key teamId → teams.id'])
    expect(foreignKeys(p, 'users')).toEqual([{ from: 'teamId', table: 'teams', to: 'id', on_delete: 'RESTRICT' }])
    expect(usersRows(p, 'id, email, name, age, teamId')).toEqual(SEEDED.map((r, i) => ({ ...r, teamId: [1, 2, 1][i] })))
    expect(() => p.sql('PRAGMA foreign_keys = ON; DELETE FROM teams WHERE id = 1')).toThrow(/FOREIGN KEY constraint failed/)
    expect(p.all('SELECT count(*) AS n FROM users')).toEqual([{ n: 3 }])
  })

  it('change a default: rows keep their values, new rows get the new default', async () => {
    const withStatus = (value: string) => usersWith(`status: text().notNull().default('${value}'),`)
    const p = await start(withStatus('new'), SEED)
    expect(usersRows(p, 'status')).toEqual([{ status: 'new' }, { status: 'new' }, { status: 'new' }])
    const { steps } = await applied(p, withStatus('fresh'))
    expect(steps).toEqual(["redefine table users: default of status 'new' → 'fresh'"])
    expect(columnInfo(p, 'users', 'status')).toMatchObject({ dflt_value: "'fresh'", notnull: 1 })
    p.sql("INSERT INTO users (email) VALUES ('d@x')")
    expect(usersRows(p, 'id, email, name, age, status')).toEqual([
      ...SEEDED.map((r) => ({ ...r, status: 'new' })),
      { id: 4, email: 'd@x', name: null, age: null, status: 'fresh' },
    ])
  })

  it('make a column required when no row holds NULL', async () => {
    const p = await start(USERS, "INSERT INTO users (email, name) VALUES ('a@x', 'Ann'), ('b@x', 'Bob')")
    const { steps } = await applied(p, usersReplacing('name: text(),', 'name: text().notNull(),'))
    expect(steps).toEqual(['redefine table users: name becomes required'])
    expect(columnInfo(p, 'users', 'name')).toMatchObject({ notnull: 1 })
    expect(usersRows(p)).toEqual([
      { id: 1, email: 'a@x', name: 'Ann', age: null },
      { id: 2, email: 'b@x', name: 'Bob', age: null },
    ])
  })

  it('make a column required when some rows hold NULL: refused (GUARD_UNEXECUTABLE), even with data loss allowed', async () => {
    const p = await start(USERS, SEED)
    const required = usersReplacing('name: text(),', 'name: text().notNull(),')
    // The engine reports the step as unexecutable (it cannot invent values for the NULLs); the
    // tool refuses before anything runs.
    const error = await refused(p, required, 'GUARD_UNEXECUTABLE')
    expect(error.message).toMatch(/`name`.*required.*1 existing NULL value/)
    await refused(p, required, 'GUARD_UNEXECUTABLE', { allowDataLoss: true })
    expect(columnInfo(p, 'users', 'name')).toMatchObject({ notnull: 0 })
    expect(usersRows(p)).toEqual(SEEDED)
  })

  it('make a required column optional', async () => {
    const p = await start(USERS, SEED)
    const { steps } = await applied(p, usersReplacing('email: text().notNull(),', 'email: text(),'))
    expect(steps).toEqual(['redefine table users: email becomes optional'])
    expect(columnInfo(p, 'users', 'email')).toMatchObject({ notnull: 0 })
    expect(usersRows(p)).toEqual(SEEDED)
    p.sql('INSERT INTO users (name) VALUES (\'nobody\')')
    expect(usersRows(p, 'email, name').at(-1)).toEqual({ email: null, name: 'nobody' })
  })
})

/** A parent with two levels of onDelete: 'cascade' children: a rebuild of the parent must not cascade. */
const family = (parentColumns: string) => `export const teams = table('teams', {
  id: int().primaryKey({ autoIncrement: true }),
  title: text().notNull(),
  ${parentColumns}
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

function familyRows(): string {
  let sql = "INSERT INTO teams (title, founded) VALUES ('red', '2001'), ('blue', '1999'), ('green', NULL);"
  for (let i = 1; i <= 120; i++) sql += `INSERT INTO members (teamId, nick) VALUES (${(i % 3) + 1}, 'm${i}'); INSERT INTO tasks (memberId, teamId) VALUES (${i}, ${(i % 3) + 1}), (${i}, NULL);`
  return sql
}

const snapshot = (p: Project) => ({
  members: p.all('SELECT id, teamId, nick FROM members ORDER BY id'),
  tasks: p.all('SELECT id, memberId, teamId FROM tasks ORDER BY id'),
})

describe('redefining a parent table with onDelete: cascade children', () => {
  it('a type change on the parent keeps every child and grandchild row', async () => {
    const p = await start(family('founded: text(),'), familyRows())
    const before = snapshot(p)
    expect(before.members).toHaveLength(120)
    expect(before.tasks).toHaveLength(240)
    const { steps } = await applied(p, family('founded: int(),'), { allowDataLoss: true })
    expect(steps).toEqual(['redefine table teams: type of founded String → Int'])
    expect(p.all('SELECT id, title, founded FROM teams ORDER BY id')).toEqual([
      { id: 1, title: 'red', founded: 2001 },
      { id: 2, title: 'blue', founded: 1999 },
      { id: 3, title: 'green', founded: null },
    ])
    expect(snapshot(p)).toEqual(before)
    // The cascade is still there after the rebuild.
    p.sql('PRAGMA foreign_keys = ON; DELETE FROM teams WHERE id = 1')
    expect(p.all('SELECT count(*) AS n FROM members WHERE teamId = 1')).toEqual([{ n: 0 }])
  })

  it('a nullability change on the parent keeps every child and grandchild row', async () => {
    const p = await start(family('founded: text(),'), familyRows())
    const before = snapshot(p)
    const { steps } = await applied(p, family('founded: text(),').replace('title: text().notNull(),', 'title: text(),'))
    expect(steps).toEqual(['redefine table teams: title becomes optional'])
    expect(p.all('SELECT id, title, founded FROM teams ORDER BY id')).toEqual([
      { id: 1, title: 'red', founded: '2001' },
      { id: 2, title: 'blue', founded: '1999' },
      { id: 3, title: 'green', founded: null },
    ])
    expect(snapshot(p)).toEqual(before)
  })

  it('a required column with a default added to the parent keeps every child row', async () => {
    const p = await start(family('founded: text(),'), familyRows())
    const before = snapshot(p)
    await applied(p, family("founded: text(),\n  active: boolean().notNull().default(true),"))
    expect(p.all('SELECT count(*) AS n FROM teams WHERE active = 1')).toEqual([{ n: 3 }])
    expect(snapshot(p)).toEqual(before)
  })
})

describe('after every successful apply the next run is in sync', () => {
  it('a sequence of changes on one database', async () => {
    const p = await start(USERS, SEED)
    const sequence = [
      usersWith('phone: text(),'),
      usersWith("phone: text(),\n  score: int().notNull().default(0),"),
      usersWith("phone: text(),\n  score: int().notNull().default(5),"),
      `${usersWith("phone: text(),\n  score: int().notNull().default(5),").replace("\n})", "\n}, (t) => [index(t.phone)])")}`,
      `${usersWith("phone: text(),\n  score: int().notNull().default(5),").replace("\n})", "\n}, (t) => [index(t.phone), unique(t.email)])")}\n${TEAMS}`,
      `${usersWith("phone: text(),\n  score: real().notNull().default(5),").replace("\n})", "\n}, (t) => [unique(t.email)])")}\n${TEAMS}`,
      `${USERS}\n${TEAMS}`,
    ]
    for (const body of sequence) {
      p.write(MODEL, model(body))
      const result = await p.migrate({ overrides: { allowDataLoss: true } })
      expect(result.outcome, body).toBe('applied')
      const again = await p.migrate({ overrides: { allowDataLoss: true } })
      expect(again, body).toMatchObject({ outcome: 'in-sync', fastPath: true })
      expect(usersRows(p)).toEqual(SEEDED)
    }
    expect(p.all<{ status: string }>('SELECT status FROM _migration_history ORDER BY id').map((r) => r.status)).toEqual(Array(sequence.length + 1).fill('success'))
  })
})
