import { afterEach, describe, expect, it } from 'vitest'
import { prepare } from '../plugin/pipeline/migrate.ts'
import { datetime, index, int, table, text } from '../plugin/model/dsl.ts'
import { Project, modelError, removeProjects } from './helpers.ts'

/**
 * Columns are values: a table holds its own copy of each column it is given, so columns (and
 * spread sets of them) can be shared between tables, and a builder chain never changes a column
 * someone else already uses. And table()'s options object form.
 */

const HEAD = `import { table, int, text, datetime, index, unique } from 'migrate-plugin/model'\n`

afterEach(removeProjects)

interface IndexInfo { name: string, unique: number }
function indexesOf(p: Project, tableName: string): { name: string, unique: number, columns: string[] }[] {
  return p.all<IndexInfo>(`SELECT name, "unique" FROM pragma_index_list(?) WHERE origin = 'c' ORDER BY name`, tableName)
    .map((i) => ({ ...i, columns: p.all<{ name: string }>('SELECT name FROM pragma_index_info(?) ORDER BY seqno', i.name).map((c) => c.name) }))
}

function columnInfo(p: Project, tableName: string): Record<string, { notnull: number, dflt_value: string | null }> {
  const rows = p.all<{ name: string, notnull: number, dflt_value: string | null }>('SELECT name, "notnull", dflt_value FROM pragma_table_info(?)', tableName)
  return Object.fromEntries(rows.map((r) => [r.name, { notnull: r.notnull, dflt_value: r.dflt_value }]))
}

describe('sharing columns between tables', () => {
  it('one column object and a spread set of columns serve several tables, each with its own index', async () => {
    const p = new Project({
      'model/shared.ts': `${HEAD}
export const createdAt = datetime().notNull().defaultNow()
export const timestamps = { createdAt, updatedAt: datetime().updatedAt() }
`,
      'model/users.ts': `${HEAD}import { createdAt } from './shared.ts'
export const users = table('users', {
  id: int().primaryKey({ autoIncrement: true }),
  email: text().notNull(),
  createdAt,
}, (t) => [index(t.createdAt)])
`,
      'model/posts.ts': `${HEAD}import { timestamps } from './shared.ts'
import { users } from './users.ts'
export const posts = table('posts', {
  id: int().primaryKey({ autoIncrement: true }),
  authorId: int().notNull().references(() => users.id),
  ...timestamps,
}, (t) => [index(t.createdAt), index(t.authorId, t.updatedAt)])
// A table spread into another: the copy is the archive's, the original keeps its own.
export const archivedPosts = table('archived_posts', { ...posts }, (t) => [unique(t.createdAt, t.id)])
`,
    })
    const first = await p.migrate()
    expect(first.outcome).toBe('applied')
    expect(p.tables()).toEqual(expect.arrayContaining(['archived_posts', 'posts', 'users']))
    expect(indexesOf(p, 'users')).toEqual([{ name: 'users_createdAt_idx', unique: 0, columns: ['createdAt'] }])
    expect(indexesOf(p, 'posts')).toEqual([
      { name: 'posts_authorId_updatedAt_idx', unique: 0, columns: ['authorId', 'updatedAt'] },
      { name: 'posts_createdAt_idx', unique: 0, columns: ['createdAt'] },
    ])
    expect(indexesOf(p, 'archived_posts')).toEqual([{ name: 'archived_posts_createdAt_id_key', unique: 1, columns: ['createdAt', 'id'] }])
    for (const name of ['users', 'posts', 'archived_posts']) {
      expect(columnInfo(p, name).createdAt).toEqual({ notnull: 1, dflt_value: 'CURRENT_TIMESTAMP' })
    }
    // The shared defaults work in every table that holds the column.
    p.sql(`INSERT INTO users (email) VALUES ('a@x'); INSERT INTO posts (authorId, updatedAt) VALUES (1, '2026-01-01')`)
    expect(p.all<{ createdAt: string }>('SELECT createdAt FROM posts')[0]!.createdAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
    const again = await p.migrate()
    expect(again.outcome).toBe('in-sync')
  })

  it('a builder chain on a shared column makes a new column: nothing already given to a table changes', async () => {
    const shared = int()
    const stricter = shared.notNull().unique()
    expect(stricter).not.toBe(shared)
    expect(shared.state.notNull).toBe(false)
    expect(shared.state.unique).toBe(false)
    const base = text().renamedFrom('old')
    const renamed = base.renamedFrom('older')
    expect(base.state.renamedFrom).toEqual(['old'])
    expect(renamed.state.renamedFrom).toEqual(['old', 'older'])

    const p = new Project({
      'model/t.ts': `${HEAD}
const n = int()
const name = text()
export const a = table('a', { id: int().primaryKey(), n, nick: name, name: name.notNull() })
// After a took its copy: chaining on the same builder must not reach back into a.
const strict = n.notNull().unique().default(7)
export const b = table('b', { id: int().primaryKey(), n: strict })
export const c = table('c', { id: int().primaryKey(), n })
`,
    })
    expect((await p.migrate()).outcome).toBe('applied')
    expect(columnInfo(p, 'a')).toMatchObject({ n: { notnull: 0, dflt_value: null }, nick: { notnull: 0 }, name: { notnull: 1 } })
    expect(columnInfo(p, 'b').n).toEqual({ notnull: 1, dflt_value: '7' })
    expect(columnInfo(p, 'c').n).toEqual({ notnull: 0, dflt_value: null })
    expect(indexesOf(p, 'a')).toEqual([])
    expect(indexesOf(p, 'c')).toEqual([])
    expect(indexesOf(p, 'b').map((i) => [i.unique, i.columns])).toEqual([[1, ['n']]])
  })

  it('the table holds copies: the column given and the table\'s column are different objects, each table\'s its own', () => {
    const createdAt = datetime().notNull()
    const users = table('users', { id: int().primaryKey(), createdAt }, (t) => [index(t.createdAt)])
    const posts = table('posts', { id: int().primaryKey(), createdAt }, (t) => [index(createdAt)])
    expect(users.createdAt).not.toBe(createdAt)
    expect(users.createdAt).not.toBe(posts.createdAt)
    expect(createdAt.state.table).toBeUndefined()
    const TABLE = Symbol.for('migrate-plugin.table')
    const extrasOf = (t: object) => (t as Record<symbol, { extras: { columns: unknown[] }[] }>)[TABLE]!.extras
    expect(extrasOf(users)[0]!.columns[0]).toBe(users.createdAt)
    // Written as the shared value itself, the index still means this table's copy.
    expect(extrasOf(posts)[0]!.columns[0]).toBe(posts.createdAt)
  })

  it('an index naming the shared column itself means this table\'s copy, in every table that holds it', async () => {
    const p = new Project({
      'model/t.ts': `${HEAD}
const createdAt = datetime().notNull().defaultNow()
export const a = table('a', { id: int().primaryKey(), createdAt }, () => [index(createdAt)])
export const b = table('b', { id: int().primaryKey(), createdAt }, () => [index(createdAt).named('b_when')])
`,
    })
    expect((await p.migrate()).outcome).toBe('applied')
    expect(indexesOf(p, 'a').map((i) => i.columns)).toEqual([['createdAt']])
    expect(indexesOf(p, 'b')).toEqual([{ name: 'b_when', unique: 0, columns: ['createdAt'] }])
  })

  it('an index naming a column given under two keys of one table is refused, naming both keys', async () => {
    const p = new Project({
      'model/t.ts': `${HEAD}
const stamp = datetime()
export const a = table('a', { id: int().primaryKey(), createdAt: stamp, updatedAt: stamp }, () => [index(stamp)])
`,
    })
    const e = await modelError(p)
    expect(e.code).toBe('MODEL_INVALID')
    expect(e.message).toMatch(/^model\/t\.ts:4:\d+: table\("a"\): an index lists a column given as both createdAt and updatedAt/)
    expect(e.hint).toContain('(t) => [index(t.createdAt)]')
  })

  it('a reference to a column as written before table() finds its table; one shared by two tables is refused as ambiguous', async () => {
    const p = new Project({
      'model/t.ts': `${HEAD}
const userId = int().primaryKey({ autoIncrement: true })
export const users = table('users', { id: userId, email: text() })
export const posts = table('posts', { id: int().primaryKey(), authorId: int().notNull().references(() => userId) })
`,
    })
    expect((await p.migrate()).outcome).toBe('applied')
    expect(p.all('SELECT "table", "from", "to" FROM pragma_foreign_key_list(\'posts\')')).toEqual([{ table: 'users', from: 'authorId', to: 'id' }])

    p.write('model/t.ts', `${HEAD}
const id = int().primaryKey()
export const users = table('users', { id, email: text() })
export const admins = table('admins', { id })
export const posts = table('posts', { id: int().primaryKey(), authorId: int().notNull().references(() => id) })
`)
    const e = await modelError(p)
    expect(e.code).toBe('MODEL_INVALID')
    expect(e.message).toMatch(/^model\/t\.ts:6: posts\.authorId references something that cannot be read: the referenced column is used in 2 places \((users\.id, admins\.id|admins\.id, users\.id)\)/)
  })
})

describe('table() options object', () => {
  it('renames with { renamedFrom } and no null placeholder, keeping the rows, with extras and modelName in the same object', async () => {
    const p = new Project({
      'model/people.ts': `${HEAD}export const users = table('users', { id: int().primaryKey(), email: text().notNull() })\n`,
    })
    expect((await p.migrate()).outcome).toBe('applied')
    p.sql(`INSERT INTO users (id, email) VALUES (1, 'a@x'), (2, 'b@x')`)
    p.write('model/people.ts', `${HEAD}export const people = table('people', { id: int().primaryKey(), email: text().notNull() }, {
  renamedFrom: 'users',
  modelName: 'Person',
  extras: (t) => [unique(t.email)],
})
`)
    const result = await p.migrate()
    expect(result.outcome).toBe('applied')
    expect(p.tables()).not.toContain('users')
    expect(p.all('SELECT id, email FROM people ORDER BY id')).toEqual([{ id: 1, email: 'a@x' }, { id: 2, email: 'b@x' }])
    expect(indexesOf(p, 'people')).toEqual([{ name: 'people_email_key', unique: 1, columns: ['email'] }])
    expect(p.read('prisma/schema.prisma')).toMatch(/model Person \{[^}]*@@unique\(\[email\]\)[^}]*@@map\("people"\)/s)
    expect((await p.migrate()).outcome).toBe('in-sync')
  })

  it('the positional form still works: table(name, columns, extras, options) and table(name, columns, null, options)', async () => {
    const p = new Project({
      'model/t.ts': `${HEAD}
export const a = table('a', { id: int().primaryKey(), n: int() }, (t) => [index(t.n)], { modelName: 'Alpha' })
export const b = table('b', { id: int().primaryKey() }, null, { modelName: 'Beta' })
`,
    })
    expect((await p.migrate()).outcome).toBe('applied')
    const { schema } = await prepare({ root: p.root, env: {} })
    expect(schema.validatedText()).toMatch(/model Alpha \{[^}]*@@index\(\[n\]\)[^}]*@@map\("a"\)/s)
    expect(schema.validatedText()).toMatch(/model Beta \{[^}]*@@map\("b"\)/s)
  })

  it('an unknown option key is a model error naming the file, the line, the key and the nearest option; the CLI exits 1 and leaves the database as it was', async () => {
    const p = new Project({ 'model/people.ts': `${HEAD}export const users = table('users', { id: int().primaryKey() })\n` })
    expect((await p.migrate()).outcome).toBe('applied')
    p.write('model/people.ts', `${HEAD}
export const people = table('people', { id: int().primaryKey() }, { renamedFom: 'users' })
`)
    const before = p.hash()
    const run = p.cli(['apply'])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/model\/people\.ts:3(:\d+)?: table\("people"\): unknown option "renamedFom" — did you mean renamedFrom\?/)
    expect(run.stderr).toContain('table options are extras, modelName, renamedFrom')
    expect(p.hash()).toBe(before)
    const e = await modelError(p)
    expect(e.code).toBe('MODEL_INVALID')
    expect(e.location).toMatchObject({ file: 'model/people.ts', line: 3 })
  })

  it.each([
    ['a key nothing is near', `{ colour: 'red' }`, /table\("t"\): unknown option "colour"$/m],
    ['a key in the wrong case', `{ modelname: 'T' }`, /unknown option "modelname" — did you mean modelName\?/],
    ['the positional options too', `null, { renamed_from: 'x' }`, /unknown option "renamed_from" — did you mean renamedFrom\?/],
    ['extras that are not a function', `{ extras: [] }`, /table\("t"\): extras must be a function of the table's columns, not an array/],
    ['extras that return no array', `(t) => index(t.id)`, /table\("t"\): extras must return an array, not object/],
    ['extras given twice', `(t) => [], { extras: (t) => [] }`, /table\("t"\): extras are given twice/],
    ['an options object and a fourth argument', `{ modelName: 'T' }, { renamedFrom: 'x' }`, /table\("t"\): an options object is the last argument/],
    ['a string as the third argument', `'old_t'`, /table\("t"\): the third argument must be \(t\) => \[ … \] or an options object, not the string "old_t"/],
    ['a string as the fourth argument', `null, 'old_t'`, /table\("t"\): the fourth argument must be an options object, not the string "old_t"/],
  ])('refuses %s, naming the file and line', async (_label, args, message) => {
    const p = new Project({ 'model/t.ts': `${HEAD}\nexport const t = table('t', { id: int().primaryKey() }, ${args})\n` })
    const e = await modelError(p)
    expect(e.code).toBe('MODEL_INVALID')
    expect(e.message).toMatch(/^model\/t\.ts:3:\d+: /)
    expect(e.message).toMatch(message)
    expect(e.hint).toBeTruthy()
  })
})
