import { describe, expect, it } from 'vitest'
import type { MigrateError } from '../plugin/core/errors.ts'
import { Project } from './helpers.ts'

/**
 * Renames declared in the models (`renamedFrom`): a diff alone sees a drop and an add, which
 * loses the data and is refused; with the hint the column or table is renamed in place, rows and
 * all, and the hint can stay in the code afterwards.
 */
const HEAD = "import { table, int, text, index } from 'migrate-plugin/model'\n"

const BEFORE = `${HEAD}
export const users = table('users', {
  id: int().primaryKey({ autoIncrement: true }),
  email: text().notNull(),
  age: int(),
})
export const posts = table('posts', {
  id: int().primaryKey({ autoIncrement: true }),
  title: text().notNull(),
  authorId: int().notNull().references(() => users.id, { onDelete: 'cascade' }),
}, (t) => [index(t.authorId)])
`

async function blog(): Promise<Project> {
  const p = new Project({ 'model/m.ts': BEFORE })
  await p.migrate()
  p.sql(`INSERT INTO users (email, age) VALUES ('ada@x', 36), ('bo@x', NULL);
         INSERT INTO posts (title, authorId) VALUES ('one', 1), ('two', 1), ('three', 2);`)
  return p
}

describe('renames declared in the models', () => {
  it('a column renamed with its data, in the same run as another change; the hint can stay', async () => {
    const p = await blog()
    p.write('model/m.ts', BEFORE.replace('  age: int(),', "  years: int().renamedFrom('age'),\n  city: text(),"))
    const result = await p.migrate()
    expect(result.outcome).toBe('applied')
    expect(result.plan?.steps.map((s) => s.description)).toEqual(['rename column users.age → users.years', 'add column users.city'])
    expect(result.plan?.steps[0]).toMatchObject({ kind: 'rename column', file: 'model/m.ts' })
    expect(p.all('SELECT email, years, city FROM users ORDER BY id')).toEqual([{ email: 'ada@x', years: 36, city: null }, { email: 'bo@x', years: null, city: null }])
    expect(p.columns('users')).not.toContain('age')
    expect(p.all("SELECT sql FROM _migration_history WHERE status = 'success' ORDER BY id DESC LIMIT 1")[0]).toMatchObject({ sql: expect.stringContaining('RENAME COLUMN "age" TO "years"') })
    const again = await p.migrate()
    expect(again).toMatchObject({ outcome: 'in-sync', fastPath: true })
  })

  it('a table renamed with its rows; children keep theirs and now point at the new name', async () => {
    const p = await blog()
    const renamed = BEFORE.replace("table('users', {", "table('people', {").replace("email: text().notNull(),\n  age: int(),\n})", "email: text().notNull(),\n  age: int(),\n}, null, { renamedFrom: 'users' })")
    p.write('model/m.ts', renamed)
    const result = await p.migrate()
    expect(result.outcome).toBe('applied')
    expect(result.plan?.steps.map((s) => s.description)[0]).toBe('rename table users → people')
    expect(p.tables()).toEqual(['_migration_history', 'people', 'posts'])
    expect(p.all('SELECT email, age FROM people ORDER BY id')).toEqual([{ email: 'ada@x', age: 36 }, { email: 'bo@x', age: null }])
    expect(p.all('SELECT title, authorId FROM posts ORDER BY id')).toEqual([{ title: 'one', authorId: 1 }, { title: 'two', authorId: 1 }, { title: 'three', authorId: 2 }])
    expect(p.all('SELECT "table", on_delete FROM pragma_foreign_key_list(\'posts\')')).toEqual([{ table: 'people', on_delete: 'CASCADE' }])
    expect(p.all('PRAGMA foreign_key_check')).toEqual([])
    expect(await p.migrate()).toMatchObject({ outcome: 'in-sync', fastPath: true })
  })

  it('without the hint the same rename is a drop and an add: refused while the column holds data', async () => {
    const p = await blog()
    const before = p.hash()
    p.write('model/m.ts', BEFORE.replace('  age: int(),', '  years: int(),'))
    await expect(p.migrate()).rejects.toMatchObject({ code: 'GUARD_DATA_LOSS' })
    expect(p.hash()).toBe(before)
  })

  it('check and preview report the rename and change nothing', async () => {
    const p = await blog()
    p.write('model/m.ts', BEFORE.replace('  age: int(),', "  years: int().renamedFrom('age'),"))
    const before = p.hash()
    const check = p.cli(['check'])
    expect(check.code).toBe(2)
    expect(check.stdout).toContain('rename column users.age → users.years (model/m.ts)')
    const preview = p.cli(['preview'])
    expect(preview.code, preview.stderr).toBe(0)
    expect(preview.stdout).toContain('rename column users.age → users.years')
    expect(preview.stdout).toContain('ALTER TABLE "users" RENAME COLUMN "age" TO "years";')
    expect(p.hash()).toBe(before)
  })

  it('an old name and a new name that both exist are an error naming the model file; nothing changes', async () => {
    const p = await blog()
    p.sql('ALTER TABLE users ADD COLUMN years INTEGER')
    p.write('model/m.ts', BEFORE.replace('  age: int(),', "  years: int().renamedFrom('age'),"))
    const before = p.hash()
    const error = await p.migrate().then(() => undefined, (e: MigrateError) => e)
    expect(error?.code).toBe('RENAME')
    expect(error?.message).toMatch(/^model\/m\.ts:\d+: column users\.years says renamedFrom 'age', but both columns exist/)
    expect(error?.hint).toMatch(/nothing was changed/)
    expect(p.hash()).toBe(before)
  })
})
