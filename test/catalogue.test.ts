import { describe, expect, it } from 'vitest'
import type { MigrateError } from '../plugin/core/errors.ts'
import type { MigrateResult } from '../plugin/core/migrate.ts'
import { Project } from './helpers.ts'

/**
 * A catalogue of schema changes on real SQLite files with rows in them: each change is either
 * applied with every row preserved, or refused with the database file byte-identical.
 */
const HEAD = "import { table, int, text, real, boolean, datetime, index, unique } from 'migrate-plugin/model'\n"

function model(body: string): string {
  return `${HEAD}${body}\n`
}

const PEOPLE = `export const people = table('people', {
  id: int().primaryKey({ autoIncrement: true }),
  name: text().notNull(),
  age: text(),
})`

interface Outcome {
  p: Project
  result?: MigrateResult
  error?: MigrateError
  unchanged: boolean
}

async function change(before: string, rows: string, after: string, overrides: Record<string, unknown> = {}): Promise<Outcome> {
  const p = new Project({ 'model/m.ts': model(before) })
  await p.migrate()
  if (rows) p.sql(rows)
  const hash = p.hash()
  p.write('model/m.ts', model(after))
  try {
    const result = await p.migrate({ overrides })
    expect(await p.migrate({ overrides }), 'a second run finds nothing to do').toMatchObject({ outcome: 'in-sync' })
    return { p, result, unchanged: p.hash() === hash }
  } catch (error) {
    return { p, error: error as MigrateError, unchanged: p.hash() === hash }
  }
}

const steps = (o: Outcome) => o.result?.plan?.steps.map((s) => s.description) ?? []

describe('catalogue of schema changes', () => {
  it('1. add a table', async () => {
    const o = await change(PEOPLE, "INSERT INTO people (name) VALUES ('a')", `${PEOPLE}\nexport const pets = table('pets', { id: int().primaryKey(), name: text() })`)
    expect(steps(o)).toEqual(['create table pets'])
    expect(o.p.all('SELECT name FROM people')).toEqual([{ name: 'a' }])
  })

  it('2. drop an empty table no model defines any more: left alone, or dropped when asked', async () => {
    const kept = await change(`${PEOPLE}\nexport const pets = table('pets', { id: int().primaryKey() })`, '', PEOPLE)
    expect(kept.result).toMatchObject({ outcome: 'in-sync', unmodelledTables: ['pets'] })
    expect(kept.p.tables()).toContain('pets')
    const dropped = await change(`${PEOPLE}\nexport const pets = table('pets', { id: int().primaryKey() })`, '', PEOPLE, { dropUnmodelledTables: true })
    expect(steps(dropped)).toEqual(['drop table pets'])
    expect(dropped.p.tables()).not.toContain('pets')
  })

  it('3. drop a table with rows: refused unless data loss is allowed', async () => {
    const before = `${PEOPLE}\nexport const pets = table('pets', { id: int().primaryKey() })`
    const refused = await change(before, 'INSERT INTO pets VALUES (1)', PEOPLE, { dropUnmodelledTables: true })
    expect(refused.error?.code).toBe('GUARD_DATA_LOSS')
    expect(refused.error?.message).toMatch(/drop the `pets` table, which is not empty \(1 rows\)/)
    expect(refused.unchanged).toBe(true)
    const allowed = await change(before, 'INSERT INTO pets VALUES (1)', PEOPLE, { dropUnmodelledTables: true, allowDataLoss: true })
    expect(allowed.p.tables()).not.toContain('pets')
  })

  it('4. add a nullable column', async () => {
    const o = await change(PEOPLE, "INSERT INTO people (name) VALUES ('a')", PEOPLE.replace('age: text(),', 'age: text(),\n  email: text(),'))
    expect(steps(o)).toEqual(['add column people.email'])
    expect(o.p.all('SELECT name, email FROM people')).toEqual([{ name: 'a', email: null }])
  })

  it('5. add a required column with a default to a table with rows: the rows get the default', async () => {
    const o = await change(PEOPLE, "INSERT INTO people (name) VALUES ('a'), ('b')", PEOPLE.replace('age: text(),', "age: text(),\n  status: text().notNull().default('new'),"))
    expect(steps(o)).toEqual(['redefine table people: add column status (required)'])
    expect(o.p.all('SELECT name, status FROM people ORDER BY id')).toEqual([{ name: 'a', status: 'new' }, { name: 'b', status: 'new' }])
  })

  it('6. add a required column without a default to an empty table', async () => {
    const o = await change(PEOPLE, '', PEOPLE.replace('age: text(),', 'age: text(),\n  email: text().notNull(),'))
    expect(steps(o)).toEqual(['redefine table people: add column email (required)'])
    expect(o.p.columns('people')).toContain('email')
  })

  it('7. add a required column without a default to a table with rows: refused, unchanged', async () => {
    const o = await change(PEOPLE, "INSERT INTO people (name) VALUES ('a')", PEOPLE.replace('age: text(),', 'age: text(),\n  email: text().notNull(),'), { allowDataLoss: true })
    expect(o.error?.code).toBe('GUARD_UNEXECUTABLE')
    expect(o.error?.message).toMatch(/required column `email`.*1 rows/)
    expect(o.unchanged).toBe(true)
  })

  it('8. drop a column that holds no data', async () => {
    const o = await change(PEOPLE, "INSERT INTO people (name) VALUES ('a')", PEOPLE.replace('  age: text(),\n', ''))
    expect(steps(o)).toEqual(['redefine table people: drop column age'])
    expect(o.p.all('SELECT * FROM people')).toEqual([{ id: 1, name: 'a' }])
  })

  it('9. drop a column with data: refused, unchanged; applied with allow_data_loss', async () => {
    const refused = await change(PEOPLE, "INSERT INTO people (name, age) VALUES ('a', '30')", PEOPLE.replace('  age: text(),\n', ''))
    expect(refused.error?.code).toBe('GUARD_DATA_LOSS')
    expect(refused.unchanged).toBe(true)
    const allowed = await change(PEOPLE, "INSERT INTO people (name, age) VALUES ('a', '30')", PEOPLE.replace('  age: text(),\n', ''), { allowDataLoss: true })
    expect(allowed.p.all('SELECT * FROM people')).toEqual([{ id: 1, name: 'a' }])
  })

  it('10. change a type with data (String → Int): the engine warns; refused, then applied with allow_data_loss, values cast', async () => {
    const to = PEOPLE.replace('age: text(),', 'age: int(),')
    const refused = await change(PEOPLE, "INSERT INTO people (name, age) VALUES ('a', '30'), ('b', NULL)", to)
    expect(refused.error?.code).toBe('GUARD_DATA_LOSS')
    expect(refused.error?.message).toMatch(/`age`.*String.*Int|Int.*`age`/s)
    expect(refused.unchanged).toBe(true)
    const allowed = await change(PEOPLE, "INSERT INTO people (name, age) VALUES ('a', '30'), ('b', NULL)", to, { allowDataLoss: true })
    expect(steps(allowed)).toEqual(['redefine table people: type of age String → Int'])
    expect(allowed.p.all('SELECT name, age, typeof(age) AS t FROM people ORDER BY id')).toEqual([{ name: 'a', age: 30, t: 'integer' }, { name: 'b', age: null, t: 'null' }])
  })

  it('11. add a unique constraint over duplicates: fails, rolled back, rows intact, failure recorded', async () => {
    const o = await change(PEOPLE, "INSERT INTO people (name) VALUES ('a'), ('a')", PEOPLE.replace('name: text().notNull(),', 'name: text().notNull().unique(),'))
    expect(o.error?.code).toBe('APPLY')
    expect(o.error?.message).toMatch(/Unique constraint failed on the fields: \(`name`\).*rolled back/s)
    expect(o.p.all('SELECT name FROM people')).toEqual([{ name: 'a' }, { name: 'a' }])
    expect(o.p.all("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'people'")).toEqual([])
    expect(o.p.all('SELECT status FROM _migration_history ORDER BY id DESC LIMIT 1')).toEqual([{ status: 'rolled_back' }])
  })

  it('12. add a unique constraint over clean data', async () => {
    const o = await change(PEOPLE, "INSERT INTO people (name) VALUES ('a'), ('b')", PEOPLE.replace('name: text().notNull(),', 'name: text().notNull().unique(),'))
    expect(steps(o)).toEqual(['create unique index on people (name)'])
  })

  it('13. add an index, then 14. drop it', async () => {
    const indexed = PEOPLE.replace("  age: text(),\n})", "  age: text(),\n}, (t) => [index(t.age)])")
    const added = await change(PEOPLE, "INSERT INTO people (name) VALUES ('a')", indexed)
    expect(steps(added)).toEqual(['create index on people (age)'])
    const dropped = await change(indexed, "INSERT INTO people (name) VALUES ('a')", PEOPLE)
    expect(steps(dropped)).toEqual(['drop index people_age_idx on people'])
    expect(dropped.p.all('SELECT name FROM people')).toEqual([{ name: 'a' }])
  })

  it('15. add a foreign key column to an existing table', async () => {
    const teams = "export const teams = table('teams', { id: int().primaryKey() })\n"
    const o = await change(`${teams}${PEOPLE}`, "INSERT INTO teams VALUES (1); INSERT INTO people (name) VALUES ('a')",
      `${teams}${PEOPLE.replace('age: text(),', "age: text(),\n  teamId: int().references(() => teams.id, { onDelete: 'set null' }),")}`)
    expect(steps(o)).toEqual(['redefine table people: add column teamId, add foreign key teamId → teams.id (on delete set null)'])
    expect(o.p.all('SELECT name, teamId FROM people')).toEqual([{ name: 'a', teamId: null }])
  })

  it('16. rename a table in the model: the new table is created, the old one (and its rows) left alone', async () => {
    const o = await change(PEOPLE, "INSERT INTO people (name) VALUES ('a')", PEOPLE.replace("table('people'", "table('persons'"))
    expect(steps(o)).toEqual(['create table persons'])
    expect(o.result?.unmodelledTables).toEqual(['people'])
    expect(o.p.all('SELECT name FROM people')).toEqual([{ name: 'a' }])
  })

  it('17. change a relation (onDelete cascade → restrict): redefined, rows kept', async () => {
    const teams = "export const teams = table('teams', { id: int().primaryKey() })\n"
    const ref = (action: string) => `${teams}${PEOPLE.replace('age: text(),', `age: text(),\n  teamId: int().notNull().references(() => teams.id, { onDelete: '${action}' }),`)}`
    const o = await change(ref('cascade'), "INSERT INTO teams VALUES (1); INSERT INTO people (name, teamId) VALUES ('a', 1), ('b', 1)", ref('restrict'))
    expect(steps(o)).toEqual(['redefine table people: add foreign key teamId → teams.id (on delete restrict), drop foreign key teamId → teams.id'])
    expect(o.p.all('SELECT count(*) AS n FROM people')).toEqual([{ n: 2 }])
  })

  it('18. change a default: rows keep their values, new rows get the new default', async () => {
    const from = PEOPLE.replace('age: text(),', "age: text(),\n  status: text().notNull().default('new'),")
    const o = await change(from, "INSERT INTO people (name) VALUES ('a')", from.replace("default('new')", "default('fresh')"))
    expect(steps(o)).toEqual(["redefine table people: default of status 'new' → 'fresh'"])
    o.p.sql("INSERT INTO people (name) VALUES ('b')")
    expect(o.p.all('SELECT name, status FROM people ORDER BY id')).toEqual([{ name: 'a', status: 'new' }, { name: 'b', status: 'fresh' }])
  })

  it('19. make a column required when no row is null', async () => {
    const o = await change(PEOPLE, "INSERT INTO people (name, age) VALUES ('a', '1')", PEOPLE.replace('age: text(),', 'age: text().notNull(),'))
    expect(steps(o)).toEqual(['redefine table people: age becomes required'])
    expect(o.p.all('SELECT age FROM people')).toEqual([{ age: '1' }])
  })

  it('20. make a column required when some rows are null: refused, unchanged', async () => {
    const o = await change(PEOPLE, "INSERT INTO people (name) VALUES ('a')", PEOPLE.replace('age: text(),', 'age: text().notNull(),'), { allowDataLoss: true })
    expect(o.error?.code).toBe('GUARD_UNEXECUTABLE')
    expect(o.error?.message).toMatch(/`age`.*required.*1 existing NULL value/)
    expect(o.unchanged).toBe(true)
  })

  it('21. make a required column optional', async () => {
    const o = await change(PEOPLE, "INSERT INTO people (name) VALUES ('a')", PEOPLE.replace('name: text().notNull(),', 'name: text(),'))
    expect(steps(o)).toEqual(['redefine table people: name becomes optional'])
    expect(o.p.all('SELECT name FROM people')).toEqual([{ name: 'a' }])
  })

  it('22. a parent table redefined under onDelete: cascade children keeps every child row', async () => {
    const parent = (age: string) => `export const teams = table('teams', {
  id: int().primaryKey({ autoIncrement: true }),
  name: text().notNull(),
  ${age}
})
export const members = table('members', {
  id: int().primaryKey({ autoIncrement: true }),
  teamId: int().notNull().references(() => teams.id, { onDelete: 'cascade' }),
}, (t) => [index(t.teamId)])
export const tasks = table('tasks', {
  id: int().primaryKey({ autoIncrement: true }),
  memberId: int().notNull().references(() => members.id, { onDelete: 'cascade' }),
})`
    let rows = "INSERT INTO teams (name, founded) VALUES ('x', '2001'), ('y', '1999');"
    for (let i = 1; i <= 200; i++) rows += `INSERT INTO members (teamId) VALUES (${(i % 2) + 1}); INSERT INTO tasks (memberId) VALUES (${i}), (${i});`
    const o = await change(parent('founded: text(),'), rows, parent('founded: int(),'), { allowDataLoss: true })
    expect(steps(o)).toEqual(['redefine table teams: type of founded String → Int'])
    expect(o.p.all('SELECT (SELECT count(*) FROM teams) AS t, (SELECT count(*) FROM members) AS m, (SELECT count(*) FROM tasks) AS k')).toEqual([{ t: 2, m: 200, k: 400 }])
    expect(o.p.all('PRAGMA foreign_key_check')).toEqual([])
  })
})

