import { afterAll, describe, expect, it } from 'vitest'
import { Project, removeProjects } from './helpers.ts'

/**
 * SQLite keeps 'abc-123' as text in a column rebuilt as INTEGER: the DDL matches the models, and
 * Prisma Client then fails on that row. A type change that would leave such values is refused,
 * even when data loss is accepted; values that were already there under the same type are not.
 */
afterAll(removeProjects)

const HEAD = "import { table, int, text, real, boolean } from 'migrate-plugin/model'\n"
const model = (phone: string, extra = '') => `${HEAD}export const users = table('users', {\n  id: int().primaryKey(),\n  phone: ${phone},\n  note: text(),${extra}\n})\n`

describe('a type change leaves no value the new type cannot hold', () => {
  it('text → int over a value that is not a number: refused with the values named, even with --accept-data-loss; rolled back', async () => {
    const p = new Project({ 'model/users.ts': model('text()') })
    expect((await p.migrate()).outcome).toBe('applied')
    p.sql("INSERT INTO users (id, phone) VALUES (1, 'abc-123'), (2, '42'), (3, NULL)")
    p.write('model/users.ts', model('int()'))
    const state = () => ({ sql: p.all("SELECT sql FROM sqlite_master WHERE name = 'users'"), rows: p.all('SELECT * FROM users ORDER BY id') })
    const before = state()
    const r = p.cli(['apply', '--accept-data-loss'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("1 value(s) in users.phone are not INTEGER (e.g. 'abc-123')")
    expect(r.stderr).toMatch(/Prisma Client cannot read them/)
    expect(r.stderr).toMatch(/UPDATE "users" SET "phone" = … WHERE "phone" IS NOT NULL AND typeof\("phone"\) NOT IN \('integer'\)/)
    // Rolled back: the table and its rows as they were (the attempt itself is in the history).
    expect(state()).toEqual(before)
    expect(p.all('SELECT status FROM _migration_history ORDER BY id DESC LIMIT 1')).toEqual([{ status: 'rolled_back' }])
    // check names it too (from its private copy), as something apply would refuse.
    const check = p.cli(['check'])
    expect(check.code).toBe(2)
    expect(check.stdout).toMatch(/apply would refuse this/)
    expect(check.stdout).toContain("users.phone are not INTEGER (e.g. 'abc-123')")
    // Once the value is converted, the same change applies and every row is kept, as numbers.
    p.sql("UPDATE users SET phone = NULL WHERE phone = 'abc-123'")
    expect(p.cli(['apply', '--accept-data-loss']).code).toBe(0)
    expect(p.all('SELECT id, phone, typeof(phone) AS t FROM users ORDER BY id')).toEqual([
      { id: 1, phone: null, t: 'null' }, { id: 2, phone: 42, t: 'integer' }, { id: 3, phone: null, t: 'null' },
    ])
  })

  it('text → real and text → boolean the same way; numbers in text cast cleanly', async () => {
    const p = new Project({ 'model/users.ts': model('text()', '\n  flag: text(),') })
    expect((await p.migrate()).outcome).toBe('applied')
    p.sql("INSERT INTO users (id, phone, flag) VALUES (1, '1.5', 'yes')")
    p.write('model/users.ts', model('real()', '\n  flag: boolean(),'))
    const r = p.cli(['apply', '--accept-data-loss'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("1 value(s) in users.flag are not BOOLEAN (e.g. 'yes')")
    expect(r.stderr).not.toMatch(/users\.phone are not/)
  })

  it('values already out of type under an unchanged column do not block an unrelated rebuild', async () => {
    const p = new Project({ 'model/users.ts': model('int()') })
    expect((await p.migrate()).outcome).toBe('applied')
    // A legacy row: text in an INTEGER column, there before this run.
    p.sql("INSERT INTO users (id, phone, note) VALUES (1, 'legacy', 'x')")
    p.write('model/users.ts', model('int()').replace('note: text(),', 'note: text().notNull().default(\'\'),'))
    const r = p.cli(['apply'])
    expect(r.code, r.stderr).toBe(0)
    expect(p.all('SELECT phone FROM users')).toEqual([{ phone: 'legacy' }])
  })
})
