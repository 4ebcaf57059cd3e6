import { afterEach, describe, expect, it } from 'vitest'
import { MigrateError } from '../plugin/core/errors.ts'
import { prepare } from '../plugin/pipeline/migrate.ts'
import { sql } from '../plugin/model/dsl.ts'
import { Project, modelError, removeProjects } from './helpers.ts'

/**
 * SQL expression defaults, `.default(sql`…`)`, on the real engine and real SQLite files. Prisma's
 * engine can keep only the bare keywords in step on SQLite (see plugin/schema/sql-default.ts); every
 * other expression is refused before the database is touched. The last test pins the engine
 * behaviour that restriction rests on.
 */

const HEAD = `import { table, int, text, datetime, real, json, sql } from 'migrate-plugin/model'\n`

afterEach(removeProjects)

/** Forget the last in-sync run, so that the next run diffs with the engine instead of taking the fast path. */
function forgetFastPath(p: Project): void {
  p.sql(`UPDATE _migration_history SET schema_hash = 'forgotten'`)
}

function defaultOf(p: Project, tableName: string, column: string): string | null {
  return p.all<{ dflt_value: string | null }>('SELECT dflt_value FROM pragma_table_info(?) WHERE name = ?', tableName, column)[0]!.dflt_value
}

describe('SQL expression defaults', () => {
  it('sql`CURRENT_DATE` on a datetime column: the schema validates, the table gets the default, an insert without the column gets today, and re-runs that diff with the engine stay in sync', async () => {
    const p = new Project({
      'model/events.ts': `${HEAD}export const events = table('events', {
  id: int().primaryKey({ autoIncrement: true }),
  day: datetime().notNull().default(sql\`CURRENT_DATE\`),
  at: datetime().default(sql\` ( current_time ) \`),
  createdAt: datetime().notNull().defaultNow(),
})
`,
    })
    const { schema } = await prepare({ root: p.root, env: {} })
    // Validated by Prisma's own validator on access: a rejected schema throws here.
    expect(schema.validatedText()).toMatch(/day\s+DateTime\s+@default\(dbgenerated\("CURRENT_DATE"\)\)/)
    expect(schema.validatedText()).toMatch(/at\s+DateTime\?\s+@default\(dbgenerated\("CURRENT_TIME"\)\)/)
    const first = await p.migrate()
    expect(first.outcome).toBe('applied')
    expect(defaultOf(p, 'events', 'day')).toBe('CURRENT_DATE')
    expect(defaultOf(p, 'events', 'at')).toBe('CURRENT_TIME')
    p.sql('INSERT INTO events DEFAULT VALUES')
    const row = p.all<{ day: string, at: string, today: string }>(`SELECT day, at, date('now') AS today FROM events`)[0]!
    expect(row.day).toBe(row.today)
    expect(row.at).toMatch(/^\d\d:\d\d:\d\d$/)

    // Twice with the engine: an expression it re-diffed would show up as a rebuild of events.
    forgetFastPath(p)
    const second = await p.migrate()
    expect(second).toMatchObject({ outcome: 'in-sync', fastPath: false })
    p.write('model/other.ts', `${HEAD}export const other = table('other', { id: int().primaryKey() })\n`)
    const third = await p.migrate()
    expect(third.outcome).toBe('applied')
    expect(third.plan!.tables).toEqual(['other'])
    forgetFastPath(p)
    expect(await p.migrate()).toMatchObject({ outcome: 'in-sync', fastPath: false })
    expect(p.all('SELECT count(*) AS n FROM events')).toEqual([{ n: 1 }])
  })

  it('sql`CURRENT_TIMESTAMP` and sql`datetime(\'now\')` are defaultNow(): the same schema, the same column', async () => {
    const p = new Project({
      'model/t.ts': `${HEAD}export const t = table('t', {
  id: int().primaryKey(),
  a: datetime().default(sql\`CURRENT_TIMESTAMP\`),
  b: datetime().default(sql\`(datetime('now'))\`),
  c: datetime().defaultNow(),
})
`,
    })
    const { schema } = await prepare({ root: p.root, env: {} })
    expect(schema.validatedText().match(/DateTime\?\s+@default\(now\(\)\)/g)).toHaveLength(3)
    expect((await p.migrate()).outcome).toBe('applied')
    expect(['a', 'b', 'c'].map((c) => defaultOf(p, 't', c))).toEqual(['CURRENT_TIMESTAMP', 'CURRENT_TIMESTAMP', 'CURRENT_TIMESTAMP'])
    forgetFastPath(p)
    expect(await p.migrate()).toMatchObject({ outcome: 'in-sync', fastPath: false })
  })

  it.each([
    ['a random text id', 'text()', 'sql`(lower(hex(randomblob(16))))`', /cannot keep an SQL expression default in step with SQLite/, /\.defaultUuid\(\) or \.defaultCuid\(\)/],
    ['an expression without parentheses', 'text()', 'sql`lower(hex(randomblob(16)))`', /cannot keep an SQL expression default in step/, /\.defaultUuid\(\)/],
    ['an arithmetic default', 'int()', 'sql`(1 + 2)`', /cannot keep an SQL expression default in step/, /a literal \.default\(value\)/],
    ['a date expression', 'datetime()', "sql`(datetime('now', '+1 day'))`", /cannot keep an SQL expression default in step/, /\.defaultNow\(\)/],
    ['a date keyword on a text column', 'text()', 'sql`CURRENT_DATE`', /CURRENT_DATE is a date or time, and the column is text/, /\.default\('…'\)/],
    ['a date keyword on a number column', 'real()', 'sql`CURRENT_TIMESTAMP`', /CURRENT_TIMESTAMP is a date or time, and the column is real/, /a literal \.default\(value\)/],
    ['a json column', 'json()', "sql`('{}')`", /cannot keep an SQL expression default in step/, /json\(\) columns take no default in SQLite/],
    ['an empty expression', 'text()', 'sql`  `', /the SQL expression is empty/, /remove the default/],
    ['a NUL inside', 'datetime()', 'sql("CURRENT_DATE\\u0000")', /contains a NUL character/, /remove the \\u0000/],
  ])('refuses %s with the file, line, column and what to use instead; nothing is written', async (_label, builder, expression, message, hint) => {
    const p = new Project({ 'model/t.ts': `${HEAD}export const t = table('t', { id: int().primaryKey() })\n` })
    expect((await p.migrate()).outcome).toBe('applied')
    p.write('model/t.ts', `${HEAD}\nexport const t = table('t', {\n  id: int().primaryKey(),\n  v: ${builder}.default(${expression}),\n})\n`)
    const e = await modelError(p)
    expect(e.code).toBe('MODEL_INVALID')
    expect(e.message).toMatch(/^model\/t\.ts:3: column t\.v: default sql`/)
    expect(e.message).toMatch(message)
    expect(e.location).toMatchObject({ file: 'model/t.ts', line: 3 })
    expect(e.hint).toMatch(hint)
  })

  it('the CLI prints the refusal with its hint and exits 1, leaving the database byte-for-byte as it was', async () => {
    const p = new Project({ 'model/t.ts': `${HEAD}export const t = table('t', { id: int().primaryKey() })\n` })
    expect(p.cli(['apply']).code).toBe(0)
    p.write('model/t.ts', `${HEAD}export const t = table('t', { id: int().primaryKey(), token: text().notNull().default(sql\`(hex(randomblob(8)))\`) })\n`)
    const before = p.hash()
    const run = p.cli(['apply'])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/model\/t\.ts:2: column t\.token: default sql`\(hex\(randomblob\(8\)\)\)`: Prisma's engine cannot keep an SQL expression default in step with SQLite/)
    expect(run.stderr).toContain('.defaultUuid()')
    expect(p.hash()).toBe(before)
  })

  it('sql takes no ${} values, and only text: a model file that tries fails with the file and line', async () => {
    expect(() => (sql as unknown as (s: TemplateStringsArray, ...v: unknown[]) => unknown)(Object.assign(['a', ''], { raw: ['a', ''] }), 1)).toThrow(/takes no \$\{…\} values/)
    const p = new Project({ 'model/t.ts': `${HEAD}const n = 5\nexport const t = table('t', { id: int().primaryKey(), v: int().default(sql\`(\${n})\` as never) })\n` })
    const e = await modelError(p)
    expect(e.code).toBe('MODEL_INVALID')
    expect(e.message).toMatch(/^model\/t\.ts:3:\d+: sql`…` takes no \$\{…\} values/)
    p.write('model/t.ts', `${HEAD}\nexport const t = table('t', { id: int().primaryKey(), v: int().default(sql(5 as never)) })\n`)
    const notText = await modelError(p)
    expect(notText.code).toBe('MODEL_INVALID')
    expect(notText.message).toMatch(/^model\/t\.ts:3:\d+: sql takes a template \(sql`CURRENT_DATE`\) or a string, not number/)
  })

  it('engine contract: a dbgenerated expression default still re-diffs on SQLite (when this fails, the engine was fixed and sql defaults can be widened)', async () => {
    // Written as a .prisma fragment, which is merged as it is: the engine creates the table, then the
    // verifying diff finds the same default "changed" (SQLite reports it without its parentheses),
    // so the run is rolled back (only the failure is recorded in the history table).
    const p = new Project({ 'model/t.ts': `${HEAD}export const t = table('t', { id: int().primaryKey() })\n` })
    expect((await p.migrate()).outcome).toBe('applied')
    p.write('model/tokens.prisma', 'model Token {\n  id    Int     @id\n  value String? @default(dbgenerated("(lower(hex(randomblob(16))))"))\n}\n')
    const schemaNow = () => p.all(`SELECT type, name, sql FROM sqlite_master WHERE tbl_name <> '_migration_history' ORDER BY name`)
    const before = schemaNow()
    const error = await p.migrate().then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(MigrateError)
    expect((error as MigrateError).message).toMatch(/^verify failed: after applying, the database still differs from the models:[\s\S]*DEFAULT \(lower\(hex\(randomblob\(16\)\)\)\)/)
    expect(schemaNow()).toEqual(before)
    expect(p.tables()).not.toContain('Token')
  })
})
