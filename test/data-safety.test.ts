import { rmSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import type { MigrateError } from '../plugin/core/errors.ts'
import { Runner } from '../plugin/bundlers/runner.ts'
import { Project } from './helpers.ts'

/**
 * Data changes the engine does not flag, each on a real SQLite file: values a rebuild would
 * rewrite, the user's own triggers, views, expression and partial indexes and full-text tables,
 * AUTOINCREMENT high-water marks, enum values held by rows, foreign-key problems that were already
 * there, primary-key changes that keep every row, and renames that only change case.
 */

const HEAD = "import { table, int, text, enumType, index } from 'migrate-plugin/model'\n"
const MODEL = 'model/m.ts'
const projects: Project[] = []
afterAll(() => {
  for (const p of projects) rmSync(p.root, { recursive: true, force: true })
})

async function start(body: string, rows = ''): Promise<Project> {
  const p = new Project({ [MODEL]: HEAD + body })
  projects.push(p)
  expect((await p.migrate()).outcome).toBe('applied')
  if (rows) p.sql(rows)
  return p
}

async function refused(p: Project, code: string): Promise<MigrateError> {
  const before = p.hash()
  const error = (await p.migrate().catch((e: unknown) => e)) as MigrateError
  expect(error).toMatchObject({ code })
  expect(p.hash(), 'a refusal leaves the file byte-identical').toBe(before)
  return error
}

const PEOPLE = "export const people = table('people', { id: int().primaryKey({ autoIncrement: true }), name: text(), age: text() })"

describe('values a rebuild would rewrite are data loss', () => {
  const REQUIRED = PEOPLE.replace('age: text()', "age: text().notNull().default('unknown')")

  it('making a column required with a default while rows hold NULL: counted in check, preview, the CLI and the build error; refused; applied only when accepted', async () => {
    const p = await start(PEOPLE, "INSERT INTO people (name, age) VALUES ('a', NULL), ('b', '30'), ('c', NULL)")
    p.write(MODEL, HEAD + REQUIRED)
    const warning = "making people.age required rewrites 2 row(s) holding NULL to its default 'unknown'"

    const check = await p.migrate({ command: 'check' })
    expect(check).toMatchObject({ outcome: 'pending', warnings: [warning] })
    const cli = p.cli(['check', '--json'])
    expect(cli.code).toBe(2)
    expect(JSON.parse(cli.stdout).warnings).toEqual([warning])
    const text = p.cli(['check'])
    expect(text.stdout).toContain(`! data loss: ${warning}`)
    expect(text.stdout).toContain('npx migrate-plugin apply --accept-data-loss')

    const preview = await p.migrate({ command: 'preview' })
    expect(preview.warnings).toContain(warning)

    const build = new Runner({ build: 'check' })
    await expect(build.run({ root: p.root, watch: false, trigger: 'test' })).rejects.toThrow(`data loss: ${warning}`)

    const error = await refused(p, 'GUARD_DATA_LOSS')
    expect(error.message).toContain(warning)
    expect(p.all('SELECT age FROM people ORDER BY id')).toEqual([{ age: null }, { age: '30' }, { age: null }])

    const accepted = await p.migrate({ overrides: { allowDataLoss: true } })
    expect(accepted.outcome).toBe('applied')
    expect(accepted.warnings).toContain(warning)
    expect(p.all('SELECT age FROM people ORDER BY id')).toEqual([{ age: 'unknown' }, { age: '30' }, { age: 'unknown' }])
    expect(p.all("SELECT warnings FROM _migration_history WHERE status = 'success' ORDER BY id DESC LIMIT 1")).toEqual([{ warnings: JSON.stringify([warning]) }])
  })

  it('the same change over rows without NULL rewrites nothing and applies without a word', async () => {
    const p = await start(PEOPLE, "INSERT INTO people (name, age) VALUES ('a', '1')")
    p.write(MODEL, HEAD + REQUIRED)
    const result = await p.migrate()
    expect(result).toMatchObject({ outcome: 'applied', warnings: [] })
    expect(p.all('SELECT age FROM people')).toEqual([{ age: '1' }])
  })
})

describe('a rebuild keeps what the models do not describe', () => {
  const SETUP = `
    CREATE TABLE audit (id INTEGER PRIMARY KEY, person INTEGER, what TEXT);
    CREATE TRIGGER people_audit AFTER INSERT ON people BEGIN INSERT INTO audit (person, what) VALUES (new.id, 'insert'); END;
    CREATE VIEW adults AS SELECT id, name FROM people WHERE CAST(age AS INTEGER) >= 18;
    CREATE VIEW adult_names AS SELECT name FROM adults;
    CREATE INDEX people_lower_name ON people (lower(name));
    CREATE INDEX people_named ON people (name) WHERE name IS NOT NULL;
    CREATE VIRTUAL TABLE people_fts USING fts5(name, content='people', content_rowid='id');
    CREATE TRIGGER people_fts_insert AFTER INSERT ON people BEGIN INSERT INTO people_fts (rowid, name) VALUES (new.id, new.name); END;
    INSERT INTO people (name, age) VALUES ('Ada', '36'), ('Brian', '12'), ('Cleo', '40');`

  it('triggers, views (even a view of a view), expression and partial indexes and a full-text table survive a table rebuild, in one transaction', async () => {
    const p = await start(PEOPLE, SETUP)
    const objects = () => p.all<{ type: string, name: string, sql: string }>("SELECT type, name, sql FROM sqlite_master WHERE type IN ('trigger', 'view', 'index') AND sql IS NOT NULL ORDER BY name")
    const before = objects()
    // age text → int: the engine rebuilds people (it cannot ALTER a type), with data loss accepted for the cast.
    p.write(MODEL, HEAD + PEOPLE.replace('age: text()', 'age: int()'))
    const preview = await p.migrate({ command: 'preview' })
    expect(preview.previewError, 'a view over the rebuilt table no longer makes the change impossible').toBeUndefined()
    const result = await p.migrate({ overrides: { allowDataLoss: true } })
    expect(result.plan?.steps.map((s) => s.description)).toEqual(['redefine table people: type of age String → Int'])
    expect(objects()).toEqual(before)
    expect(p.all('SELECT name FROM adult_names ORDER BY name')).toEqual([{ name: 'Ada' }, { name: 'Cleo' }])
    p.sql("INSERT INTO people (name, age) VALUES ('Dora', 50)")
    expect(p.all('SELECT person FROM audit ORDER BY id')).toEqual([{ person: 1 }, { person: 2 }, { person: 3 }, { person: 4 }])
    expect(p.all("SELECT rowid FROM people_fts WHERE people_fts MATCH 'cleo OR dora' ORDER BY rowid")).toEqual([{ rowid: 3 }, { rowid: 4 }])
    expect(p.all("SELECT name FROM people INDEXED BY people_named WHERE name = 'Ada'")).toEqual([{ name: 'Ada' }])
    expect((await p.migrate()).outcome, 'the kept objects do not make the next run pending').toBe('in-sync')
  })

  it('a view or trigger that uses a column the models drop refuses the run, naming it; nothing changes', async () => {
    const p = await start(PEOPLE, SETUP)
    p.write(MODEL, HEAD + PEOPLE.replace(', age: text()', ''))
    const before = p.hash()
    const error = (await p.migrate({ overrides: { allowDataLoss: true } }).catch((e: unknown) => e)) as MigrateError
    expect(error.code).toBe('GUARD_DEPENDENT_OBJECTS')
    expect(error.message).toMatch(/view adults: no such column: age/)
    expect(error.message).not.toMatch(/\n\s+0: /)
    expect(p.hash()).toBe(before)
    expect(p.columns('people')).toEqual(['id', 'name', 'age'])
  })

  it('a CHECK constraint or collation added by hand, which a rebuild would drop, is data loss: refused, named, applied only when accepted', async () => {
    const p = new Project({ [MODEL]: HEAD + PEOPLE })
    projects.push(p)
    p.sql('CREATE TABLE "people" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "name" TEXT COLLATE NOCASE, "age" TEXT, CHECK (length("name") > 0)); INSERT INTO people (name) VALUES (\'Ada\')')
    expect((await p.migrate()).outcome).toBe('in-sync')
    p.write(MODEL, HEAD + PEOPLE.replace('age: text()', 'age: int()'))
    const check = await p.migrate({ command: 'check' })
    expect(check.warnings).toEqual([
      'rebuilding people drops CHECK (length("name") > 0), which the models cannot describe',
      'rebuilding people drops COLLATE NOCASE, which the models cannot describe',
    ])
    const error = await refused(p, 'GUARD_DATA_LOSS')
    expect(error.message).toContain('CHECK (length("name") > 0)')
    expect((await p.migrate({ overrides: { allowDataLoss: true } })).outcome).toBe('applied')
    expect(p.all('SELECT name FROM people')).toEqual([{ name: 'Ada' }])
  })

  it('a partial index does not stop the engine from reading the database', async () => {
    const p = await start(PEOPLE, "CREATE INDEX people_named ON people (name) WHERE name IS NOT NULL; INSERT INTO people (name) VALUES ('a')")
    expect((await p.migrate({ command: 'check' })).outcome).toBe('in-sync')
    p.write(MODEL, HEAD + PEOPLE.replace('name: text()', 'name: text(), email: text()'))
    expect((await p.migrate()).outcome).toBe('applied')
    expect(p.all("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'people_named'")).toHaveLength(1)
  })

  it('the AUTOINCREMENT high-water mark survives a rebuild: no id is ever handed out twice', async () => {
    const p = await start(PEOPLE, "INSERT INTO people (name) VALUES ('a'), ('b'), ('c'); DELETE FROM people WHERE id = 3")
    p.write(MODEL, HEAD + PEOPLE.replace('age: text()', "age: text().default('?')"))
    const result = await p.migrate()
    expect(result.plan?.steps[0]?.kind).toBe('redefine table')
    p.sql("INSERT INTO people (name) VALUES ('d')")
    expect(p.all('SELECT id, name FROM people ORDER BY id')).toEqual([{ id: 1, name: 'a' }, { id: 2, name: 'b' }, { id: 4, name: 'd' }])
  })
})

describe('what the engine cannot see in SQLite', () => {
  const ROLES = (values: string) => `const role = enumType('Role', [${values}])\nexport const members = table('members', { id: int().primaryKey({ autoIncrement: true }), role: role() })`

  it('rows holding an enum value the model removed keep the run pending until they are moved, or the loss is accepted', async () => {
    const p = await start(ROLES("'admin', 'staff', 'guest'"), "INSERT INTO members (role) VALUES ('admin'), ('guest'), ('guest'), (NULL)")
    p.write(MODEL, HEAD + ROLES("'admin', 'staff'"))
    const problem = "members.role has 2 row(s) holding 'guest', which enum Role no longer allows (admin, staff)"
    const check = p.cli(['check', '--json'])
    expect(check.code).toBe(2)
    expect(JSON.parse(check.stdout)).toMatchObject({ outcome: 'pending', warnings: [problem], plan: { steps: [{ kind: 'enum values', description: "move 2 row(s) of members.role off values enum Role no longer has ('guest')", file: MODEL }] } })
    const error = await refused(p, 'GUARD_DATA_LOSS')
    expect(error.hint).toContain(`UPDATE "members" SET "role" = 'admin' WHERE "role" = 'guest'`)
    // The user moves the values: the run is then an ordinary in-sync run, recorded for the fast path.
    p.sql("UPDATE members SET role = 'staff' WHERE role = 'guest'")
    expect((await p.migrate()).outcome).toBe('in-sync')
    expect((await p.migrate()).fastPath).toBe(true)
  })

  it('accepting keeps the values as they are and records the warning', async () => {
    const p = await start(ROLES("'admin', 'guest'"), "INSERT INTO members (role) VALUES ('guest')")
    p.write(MODEL, HEAD + ROLES("'admin'"))
    const result = await p.migrate({ overrides: { allowDataLoss: true } })
    expect(result.outcome).toBe('applied')
    expect(result.warnings).toEqual(["members.role has 1 row(s) holding 'guest', which enum Role no longer allows (admin)"])
    expect(p.all('SELECT role FROM members')).toEqual([{ role: 'guest' }])
    expect((await p.migrate()).outcome).toBe('in-sync')
  })

  it('switching autoIncrement off and on is a change: rebuilt with every row, the sequence following', async () => {
    const p = await start(PEOPLE, "INSERT INTO people (name) VALUES ('a'), ('b'), ('c'); DELETE FROM people WHERE id = 3")
    const tableSql = () => p.all<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'people'")[0]!.sql
    expect(tableSql()).toMatch(/AUTOINCREMENT/)
    p.write(MODEL, HEAD + PEOPLE.replace('primaryKey({ autoIncrement: true })', 'primaryKey()'))
    const check = await p.migrate({ command: 'check' })
    expect(check.plan?.steps.map((s) => s.description)).toEqual(['redefine table people: id is no longer AUTOINCREMENT'])
    expect((await p.migrate()).outcome).toBe('applied')
    expect(tableSql()).not.toMatch(/AUTOINCREMENT/)
    expect(p.all('SELECT id, name FROM people ORDER BY id')).toEqual([{ id: 1, name: 'a' }, { id: 2, name: 'b' }])
    expect(p.all("SELECT seq FROM sqlite_sequence WHERE name = 'people'")).toEqual([])
    expect((await p.migrate()).outcome).toBe('in-sync')

    p.write(MODEL, HEAD + PEOPLE)
    expect((await p.migrate()).plan?.steps.map((s) => s.description)).toEqual(['redefine table people: id becomes AUTOINCREMENT (ids of deleted rows are never handed out again)'])
    expect(tableSql()).toMatch(/AUTOINCREMENT/)
    p.sql("DELETE FROM people WHERE id = 2; INSERT INTO people (name) VALUES ('d')")
    expect(p.all('SELECT id FROM people ORDER BY id')).toEqual([{ id: 1 }, { id: 3 }])
    expect((await p.migrate()).outcome).toBe('in-sync')
  })

  it('a table made elsewhere without AUTOINCREMENT gets it when the model asks, with the sequence at its highest id', async () => {
    const p = new Project({ [MODEL]: HEAD + PEOPLE })
    projects.push(p)
    p.sql("CREATE TABLE people (id INTEGER NOT NULL PRIMARY KEY, name TEXT, age TEXT); INSERT INTO people (id, name) VALUES (1, 'a'), (7, 'b')")
    expect((await p.migrate({ command: 'check' })).outcome).toBe('pending')
    expect((await p.migrate()).outcome).toBe('applied')
    expect(p.all("SELECT seq FROM sqlite_sequence WHERE name = 'people'")).toEqual([{ seq: 7 }])
  })
})

describe('changes that keep every row are not data loss', () => {
  it('moving the primary key to another column applies without --accept-data-loss, every row kept', async () => {
    const p = await start("export const codes = table('codes', { id: int().primaryKey(), code: text().notNull() })", "INSERT INTO codes VALUES (1, 'a'), (2, 'b')")
    p.write(MODEL, `${HEAD}export const codes = table('codes', { id: int().notNull(), code: text().notNull().primaryKey() })`)
    const result = await p.migrate()
    expect(result.outcome).toBe('applied')
    expect(result.warnings.join(' ')).toMatch(/primary key for the `codes` table will be changed/)
    expect(p.all('SELECT id, code FROM codes ORDER BY id')).toEqual([{ id: 1, code: 'a' }, { id: 2, code: 'b' }])
  })

  it('a primary key over duplicate values fails inside the transaction and rolls back', async () => {
    const p = await start("export const codes = table('codes', { id: int().primaryKey(), code: text().notNull() })", "INSERT INTO codes VALUES (1, 'a'), (2, 'a')")
    p.write(MODEL, `${HEAD}export const codes = table('codes', { id: int().notNull(), code: text().notNull().primaryKey() })`)
    const before = p.all('SELECT * FROM codes')
    await expect(p.migrate()).rejects.toMatchObject({ code: 'APPLY', message: expect.stringMatching(/unique constraint failed.*rolled back/is) })
    expect(p.all('SELECT * FROM codes')).toEqual(before)
  })
})

describe('renames', () => {
  it('a rename that only changes case works, for a column and for a table', async () => {
    const p = await start("export const users = table('users', { id: int().primaryKey(), name: text() })", "INSERT INTO users VALUES (1, 'Ada')")
    p.write(MODEL, `${HEAD}export const users = table('Users', { id: int().primaryKey(), Name: text().renamedFrom('name') }, null, { renamedFrom: 'users' })`)
    const result = await p.migrate()
    expect(result.plan?.steps.map((s) => s.description)).toEqual(['rename table users → Users', 'rename column Users.name → Users.Name'])
    expect(p.tables()).toContain('Users')
    expect(p.columns('Users')).toEqual(['id', 'Name'])
    expect(p.all('SELECT Name FROM Users')).toEqual([{ Name: 'Ada' }])
    expect((await p.migrate()).outcome).toBe('in-sync')
  })

  it('two tables claiming renamedFrom the same table is a model error naming both files', async () => {
    const p = new Project({
      'model/a.ts': `${HEAD}export const a = table('a', { id: int().primaryKey() }, null, { renamedFrom: 'old' })`,
      'model/b.ts': `${HEAD}export const b = table('b', { id: int().primaryKey() }, null, { renamedFrom: 'old' })`,
    })
    projects.push(p)
    const result = p.cli(['check'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/table old is claimed by two renamedFrom hints: a in model\/a\.ts:2 and b in model\/b\.ts:2/)
  })
})

describe('what a hostile review found after the first pass', () => {
  it('a rebuild that would drop a generated column, STRICT, WITHOUT ROWID or an index collation is data loss: refused, named', async () => {
    const cases: [string, string][] = [
      ['CREATE TABLE "t" ("id" INTEGER NOT NULL PRIMARY KEY, "name" TEXT, "up" TEXT GENERATED ALWAYS AS (upper("name")) STORED) STRICT', 'the generated column up'],
      ['CREATE TABLE "t" ("id" INTEGER NOT NULL PRIMARY KEY, "name" TEXT) STRICT', 'STRICT'],
      ['CREATE TABLE "t" ("id" INTEGER NOT NULL PRIMARY KEY, "name" TEXT) WITHOUT ROWID', 'WITHOUT ROWID'],
      ['CREATE TABLE "t" ("id" INTEGER NOT NULL PRIMARY KEY, "name" TEXT); CREATE UNIQUE INDEX "t_name_key" ON "t" ("name" COLLATE NOCASE)', 'COLLATE NOCASE of index t_name_key'],
    ]
    for (const [ddl, what] of cases) {
      const unique = what.includes('index') ? '.unique()' : ''
      const p = new Project({ [MODEL]: `${HEAD}export const t = table('t', { id: int().primaryKey(), name: text()${unique} })` })
      projects.push(p)
      p.sql(`${ddl}; INSERT INTO t (id, name) VALUES (1, 'a')`)
      expect((await p.migrate()).outcome, what).toBe('in-sync')
      p.write(MODEL, `${HEAD}export const t = table('t', { id: int().primaryKey(), name: text()${unique}, n: int().notNull().default(1) })`)
      const error = await refused(p, 'GUARD_DATA_LOSS')
      expect(error.message, what).toContain(`rebuilding t drops ${what}`)
    }
  })

  it('rowids of a table without an INTEGER PRIMARY KEY survive a rebuild: a contentless full-text index keeps pointing at the right rows', async () => {
    const p = await start("export const docs = table('docs', { slug: text().primaryKey(), body: text() })", `
      CREATE VIRTUAL TABLE docs_fts USING fts5(body, content='');
      CREATE TRIGGER docs_ai AFTER INSERT ON docs BEGIN INSERT INTO docs_fts (rowid, body) VALUES (new.rowid, new.body); END;
      INSERT INTO docs VALUES ('a', 'apple'), ('b', 'banana'), ('c', 'cherry'), ('e', 'elder');
      DELETE FROM docs WHERE slug IN ('a', 'c');`)
    const search = (word: string) => p.all(`SELECT docs.slug FROM docs_fts JOIN docs ON docs.rowid = docs_fts.rowid WHERE docs_fts MATCH '${word}'`)
    const rowids = p.all('SELECT rowid, slug FROM docs ORDER BY rowid')
    p.write(MODEL, HEAD + "export const docs = table('docs', { slug: text().primaryKey(), body: text(), n: int().notNull().default(1) })")
    expect((await p.migrate()).outcome).toBe('applied')
    expect(p.all('SELECT rowid, slug FROM docs ORDER BY rowid')).toEqual(rowids)
    expect(search('banana')).toEqual([{ slug: 'b' }])
    expect(search('elder')).toEqual([{ slug: 'e' }])
  })

  it('an AUTOINCREMENT high-water mark above 2^53 comes back exactly', async () => {
    const p = await start(PEOPLE, 'INSERT INTO people (id, name) VALUES (9007199254740997, \'x\'); DELETE FROM people')
    p.write(MODEL, HEAD + PEOPLE.replace('age: text()', "age: text().default('?')"))
    expect((await p.migrate()).outcome).toBe('applied')
    const db = p.db(true)
    try {
      expect(db.prepare("SELECT seq, typeof(seq) AS type FROM sqlite_sequence WHERE name = 'people'").safeIntegers(true).get()).toEqual({ seq: 9007199254740997n, type: 'integer' })
    } finally {
      db.close()
    }
  })

  it('an enum in a .prisma fragment is checked against the rows like one made with enumType()', async () => {
    const p = new Project({ 'model/paint.prisma': 'enum Color {\n  red\n  green\n  blue\n}\n\nmodel Paint {\n  id    Int   @id\n  color Color @default(red)\n  @@map("paint")\n}\n' })
    projects.push(p)
    expect((await p.migrate()).outcome).toBe('applied')
    p.sql("INSERT INTO paint VALUES (1, 'blue')")
    p.write('model/paint.prisma', p.read('model/paint.prisma').replace('  blue\n', ''))
    expect(await p.migrate({ command: 'check' })).toMatchObject({ outcome: 'pending', warnings: ["paint.color has 1 row(s) holding 'blue', which enum Color no longer allows (red, green)"] })
    await refused(p, 'GUARD_DATA_LOSS')
  })

  it('renamedFrom a table or column the models still define is a model error (it would empty it, or silently swap nothing)', async () => {
    const p = await start("export const x = table('x', { id: int().primaryKey(), a: text(), b: text() })", "INSERT INTO x VALUES (1, 'A', 'B')")
    const before = p.hash()
    p.write(MODEL, `${HEAD}export const x = table('x', { id: int().primaryKey(), a: text(), b: text() })\nexport const y = table('y', { id: int().primaryKey() }, null, { renamedFrom: 'x' })`)
    await expect(p.migrate()).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/model\/m\.ts:3: table y says renamedFrom x, but the models still define table x/) })
    p.write(MODEL, `${HEAD}export const x = table('x', { id: int().primaryKey(), a: text().renamedFrom('b'), b: text().renamedFrom('a') })`)
    await expect(p.migrate()).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/column x\.a says renamedFrom x\.b, but the models still define column x\.b/) })
    expect(p.hash()).toBe(before)
  })

  it('renaming a table, or a column, that feeds an external-content full-text table is refused, naming it', async () => {
    const p = await start("export const d = table('d', { id: int().primaryKey(), body: text(), note: text() })", `
      CREATE VIRTUAL TABLE dfts USING fts5(body, content='d', content_rowid='id');
      INSERT INTO d VALUES (1, 'apple', 'n');`)
    p.write(MODEL, `${HEAD}export const docs = table('docs', { id: int().primaryKey(), body: text(), note: text() }, null, { renamedFrom: 'd' })`)
    expect((await refused(p, 'RENAME')).message).toMatch(/table d feeds the full-text table dfts \(content='d'\)/)
    p.write(MODEL, `${HEAD}export const d = table('d', { id: int().primaryKey(), text: text().renamedFrom('body'), note: text() })`)
    expect((await refused(p, 'RENAME')).message).toMatch(/column d\.body feeds the full-text table dfts/)
    // A column the full-text table does not index renames as usual.
    p.write(MODEL, `${HEAD}export const d = table('d', { id: int().primaryKey(), body: text(), remark: text().renamedFrom('note') })`)
    expect((await p.migrate()).outcome).toBe('applied')
  })

  it('an INSTEAD OF trigger on a view does not block a migration', async () => {
    const p = await start(PEOPLE, "CREATE TABLE log (x); CREATE VIEW names AS SELECT name FROM people; CREATE TRIGGER names_del INSTEAD OF DELETE ON names BEGIN INSERT INTO log VALUES (old.name); END;")
    p.write(MODEL, `${HEAD}${PEOPLE}\nexport const pets = table('pets', { id: int().primaryKey() })`)
    expect((await p.migrate()).outcome).toBe('applied')
    expect(p.all("SELECT name FROM sqlite_master WHERE type = 'trigger'")).toEqual([{ name: 'names_del' }])
  })

  it('an orphan already in the database does not fail a change that adds another foreign key to its table', async () => {
    const PARENTS = "export const p = table('p', { id: int().primaryKey() })\nexport const q = table('q', { id: int().primaryKey() })\n"
    const pr = await start(`${PARENTS}export const c = table('c', { id: int().primaryKey(), pid: int().references(() => p.id), qid: int() })`, 'PRAGMA foreign_keys=OFF; INSERT INTO q VALUES (1); INSERT INTO c VALUES (2, 99, 1)')
    pr.write(MODEL, `${HEAD}${PARENTS}export const c = table('c', { id: int().primaryKey(), pid: int().references(() => p.id), qid: int().references(() => q.id) })`)
    expect((await pr.migrate()).outcome).toBe('applied')
    expect(pr.all('PRAGMA foreign_key_check')).toHaveLength(1)
  })
})

