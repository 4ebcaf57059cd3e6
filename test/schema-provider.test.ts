import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { MigrateError } from '../plugin/core/errors.ts'
import { datasourceOnly } from '../plugin/engine/schema-engine.ts'
import { discoverModels } from '../plugin/model/discover.ts'
import { generateSchema, type GeneratedSchema } from '../plugin/schema/generate.ts'
import { providerOfAdapter, type SchemaProvider } from '../plugin/schema/provider.ts'
import { Project, removeProjects } from './helpers.ts'

/**
 * The generator for both databases: the same models render the same model blocks, and each
 * database gets what it can hold (checked by Prisma's own validator), or a model error naming the
 * file, the line and the database.
 */

afterEach(removeProjects)

const IMPORTS = "import { table, int, bigint, text, real, decimal, boolean, datetime, json, bytes, enumType, index, unique, primaryKey, foreignKey, sql } from 'migrate-plugin/model'\n"

/** Every column kind the DSL has, nullable and required, with every default that fits both databases. */
const PORTABLE = `${IMPORTS}
export const level = enumType('Level', ['low', 'high'])
export const everything = table('everything', {
  id: int().primaryKey({ autoIncrement: true }),
  i: int().default(-2147483648), iReq: int().notNull().default(2147483647),
  big: bigint().default(10n), bigReq: bigint().notNull().default(9007199254740991),
  t: text().default('it\\'s "quoted" \\\\ here'), tReq: text().notNull().default(''),
  uuid: text().defaultUuid(), cuid: text().notNull().defaultCuid(),
  r: real().default(1.5), rReq: real().notNull().default(-0.25),
  d: decimal().default('9.99'), dReq: decimal().notNull().default(2.5),
  b: boolean().default(false), bReq: boolean().notNull().default(true),
  at: datetime().defaultNow(), fixed: datetime().notNull().default(new Date(0)), iso: datetime().default('2024-02-29T12:00:00Z'),
  day: datetime().default(sql\`CURRENT_DATE\`), stamp: datetime().notNull().default(sql\`current_timestamp\`), up: datetime().updatedAt(),
  j: json(), jReq: json().notNull(),
  raw: bytes(), rawReq: bytes().notNull(),
  lvl: level().notNull().default('low'), lvlOpt: level(),
  firstName: text('first_name').unique(),
}, (t) => [index(t.t, t.r).named('ix_t_r'), unique(t.d, t.b)])
export const pairs = table('pairs', { a: int().notNull(), b: int().notNull() }, (t) => [primaryKey(t.a, t.b)])
export const kids = table('kids', {
  id: int().primaryKey(),
  a: int(), b: int(),
  parentId: int().default(1).references(() => everything.id, { onDelete: 'set default', onUpdate: 'cascade' }),
  otherId: int().references(() => everything.id, { onDelete: 'set null', onUpdate: 'no action', relationName: 'other' }),
}, (t) => [foreignKey(t.a, t.b).references(() => [pairs.a, pairs.b], { onDelete: 'restrict' })])
`

async function schemaFor(files: Record<string, string>, provider?: SchemaProvider): Promise<GeneratedSchema> {
  const p = new Project(files)
  const models = await discoverModels(`${p.root}/model`, p.root)
  return generateSchema(models, { clientOutput: '../generated/prisma', ...(provider ? { provider } : {}) })
}

async function refusal(files: Record<string, string>, provider: SchemaProvider): Promise<MigrateError> {
  const error = await schemaFor(files, provider).then((s) => s.validatedText(), (e: unknown) => e)
  expect(error).toBeInstanceOf(MigrateError)
  return error as MigrateError
}

describe('one model set, two databases', () => {
  it('renders the same model and enum blocks for SQLite and PostgreSQL, each with its own datasource and hash', async () => {
    const sqlite = await schemaFor({ 'model/all.ts': PORTABLE }, 'sqlite')
    const postgres = await schemaFor({ 'model/all.ts': PORTABLE }, 'postgresql')
    expect(sqlite.provider).toBe('sqlite')
    expect(postgres.provider).toBe('postgresql')
    const pgText = postgres.validatedText()
    expect(pgText).toContain('datasource db {\n  provider = "postgresql"\n}')
    expect(pgText).not.toContain('"sqlite"')
    expect(pgText.replace('provider = "postgresql"', 'provider = "sqlite"')).toBe(sqlite.validatedText())
    expect(postgres.hash).not.toBe(sqlite.hash)
    expect(postgres.owners).toEqual(sqlite.owners)
  })

  it('leaves out the provider and gets SQLite, byte for byte', async () => {
    const implicit = await schemaFor({ 'model/all.ts': PORTABLE })
    const explicit = await schemaFor({ 'model/all.ts': PORTABLE }, 'sqlite')
    expect(implicit.provider).toBe('sqlite')
    expect(implicit.hash).toBe(explicit.hash)
    expect(implicit.validatedText()).toBe(explicit.validatedText())
  })

  it('gives PostgreSQL what only it can hold, and Prisma\'s validator accepts every column kind and default', async () => {
    const s = await schemaFor({
      'model/all.ts': PORTABLE,
      'model/pg.ts': `${IMPORTS}
export const pgOnly = table('pg_only', {
  id: bigint().primaryKey({ autoIncrement: true }),
  doc: json().notNull().default({ b: 1, a: [1, 'x', null], nested: { ok: true } }),
  list: json().default([]), word: json().default('text'),
  now: datetime().default(sql\`now()\`),
  sqlite_like: text(),
})
export const sqlite_stats = table('sqlite_stats', { id: int().primaryKey() })
`,
    }, 'postgresql')
    const text = s.validatedText()
    expect(text).toMatch(/id\s+BigInt\s+@id @default\(autoincrement\(\)\)/)
    expect(text).toMatch(/doc\s+Json\s+@default\("\{\\"b\\":1,\\"a\\":\[1,\\"x\\",null\],\\"nested\\":\{\\"ok\\":true\}\}"\)/)
    expect(text).toMatch(/list\s+Json\?\s+@default\("\[\]"\)/)
    expect(text).toMatch(/word\s+Json\?\s+@default\("\\"text\\""\)/)
    expect(text).toMatch(/now\s+DateTime\?\s+@default\(now\(\)\)/)
    expect(text).toMatch(/stamp\s+DateTime\s+@default\(now\(\)\)/)
    expect(text).toMatch(/day\s+DateTime\?\s+@default\(dbgenerated\("CURRENT_DATE"\)\)/)
    expect(text).toMatch(/iReq\s+Int\s+@default\(2147483647\)/)
    expect(text).toMatch(/lvl\s+Level\s+@default\(low\)/)
    expect(text).toMatch(/enum Level \{\s+low\s+high\s+\}/)
    // SQLite keeps the sqlite_ prefix for itself; PostgreSQL does not.
    expect(s.owners.map((o) => o.table)).toContain('sqlite_stats')
  })
})

describe('what one database cannot hold is a model error naming the file, the line and the database', () => {
  const column = (definition: string, extra = '') => ({
    'model/t.ts': `${IMPORTS}${extra}\nexport const t = table('t', {\n  id: int().primaryKey(),\n  v: ${definition},\n})\n`,
  })
  const LINE = 3

  it.each<[string, SchemaProvider, Record<string, string>, RegExp, RegExp]>([
    ['a json() default on SQLite', 'sqlite', column('json().default({ a: 1 })'), /default \{"a":1\} does not fit a json column \(expected no default \(json columns cannot have one in SQLite/, /json columns cannot have one in SQLite/],
    ['autoIncrement on a bigint() key on SQLite', 'sqlite', { 'model/t.ts': `${IMPORTS}\nexport const t = table('t', {\n  id: bigint().primaryKey({ autoIncrement: true }),\n})\n` }, /column t\.id: autoIncrement needs an int\(\) column on SQLite/, /use int\(\)/],
    ['PostgreSQL\'s now() on SQLite', 'sqlite', column('datetime().default(sql`now()`)'), /default sql`now\(\)`: NOW\(\) is PostgreSQL SQL, and the database is SQLite/, /CURRENT_TIMESTAMP/],
    ['SQLite\'s datetime(\'now\') on PostgreSQL', 'postgresql', column("datetime().default(sql`datetime('now')`)"), /DATETIME\('NOW'\) is SQLite SQL, and the database is PostgreSQL/, /\.defaultNow\(\)/],
    ['CURRENT_TIME on a PostgreSQL datetime column', 'postgresql', column('datetime().default(sql`CURRENT_TIME`)'), /CURRENT_TIME is a time of day without a date, which PostgreSQL cannot store/, /CURRENT_TIMESTAMP, NOW\(\) or CURRENT_DATE/],
    ['an SQL expression PostgreSQL reports back in other words', 'postgresql', column("text().default(sql`lower('ABC')`)"), /cannot keep an SQL expression default in step with PostgreSQL/, /\.defaultUuid\(\)/],
    ['an int() default beyond 32 bits on PostgreSQL', 'postgresql', column('int().default(2147483648)'), /default 2147483648 is out of range for an int column on PostgreSQL \(a 32-bit integer/, /bigint\(\)/],
    ['a bigint() default beyond 64 bits, on SQLite', 'sqlite', column('bigint().default(9223372036854775808n)'), /default 9223372036854775808n is out of range for a bigint column \(a 64-bit integer: -9223372036854775808 to 9223372036854775807\)/, /decimal\(\)/],
    ['a bigint() default beyond 64 bits, on PostgreSQL', 'postgresql', column('bigint().default(-9223372036854775809n)'), /default -9223372036854775809n is out of range for a bigint column/, /decimal\(\)/],
    ['a decimal() default PostgreSQL would round (31 digits after the point)', 'postgresql', column(`decimal().default('0.${'1'.repeat(31)}')`), /default 0\.1{31} has 31 digits after the point \(PostgreSQL would round them to 30\): a decimal column on PostgreSQL is DECIMAL\(65,30\)/, /decimal string that fits/],
    ['a decimal() default too large for PostgreSQL (36 digits before the point)', 'postgresql', column('decimal().default(1e35)'), /default 1(0){35} has 36 digits before the point \(at most 35\)/, /decimal string that fits/],
    ['a NUL in a text default on PostgreSQL', 'postgresql', column("text().default('a\\u0000b')"), /contains a NUL character \(\\u0000\), which a PostgreSQL column default cannot hold/, /remove the \\u0000/],
    ['a json() default JSON would change (a Date inside)', 'postgresql', column('json().default({ at: new Date(0) })'), /does not fit a json column \(expected a JSON value/, /JSON value/],
    ['a json() default JSON would drop (undefined inside)', 'postgresql', column('json().default({ a: undefined })'), /does not fit a json column \(expected a JSON value/, /JSON value/],
    ['a json() default holding a NUL', 'postgresql', column("json().default({ a: 'x\\u0000' })"), /JSON without a NUL character/, /JSON without a NUL/],
    ['a json() default of null (JSON\'s null, not SQL NULL)', 'postgresql', column('json().default(null)'), /default null on a json column would be JSON's null value, not SQL NULL/, /leave \.default\(\) out/],
    ['a bytes() default', 'postgresql', column('bytes().default(new Uint8Array([1]))'), /does not fit a bytes column \(expected no default \(bytes columns cannot have one\)\)/, /remove it/],
    ['a column name over 63 bytes on PostgreSQL', 'postgresql', column(`text('${'c'.repeat(64)}')`), /invalid column name "c{64}": it is 64 characters long \(at most 63: PostgreSQL would silently cut it short\)/, /letters, digits/],
    ['a system column name on PostgreSQL', 'postgresql', { 'model/t.ts': `${IMPORTS}\nexport const t = table('t', {\n  id: int().primaryKey(), xmin: int(),\n})\n` }, /column t\.xmin: invalid column name "xmin": PostgreSQL gives every table a system column of that name/, /\.map\('xmin_value'\)/],
    ['an enum value over 63 bytes on PostgreSQL', 'postgresql', column('kind()', `const kind = enumType('Kind', ['${'v'.repeat(64)}'])`), /enum "Kind" value "v{64}": it is 64 characters long \(at most 63: PostgreSQL would silently cut it short\)/, /shorter name/],
    ['an index name over 63 bytes on PostgreSQL', 'postgresql', { 'model/t.ts': `${IMPORTS}\nexport const t = table('t', {\n  id: int().primaryKey(), v: int(),\n}, (c) => [index(c.v).named('${'i'.repeat(64)}')])\n` }, /an index of table "t" has the name "i{64}": it is 64 characters long \(at most 63: PostgreSQL would silently cut it short\)/, /shorter name/],
  ])('%s', async (_label, provider, files, message, hint) => {
    const e = await refusal(files, provider)
    expect(e.code).toBe('MODEL_INVALID')
    expect(e.message).toMatch(new RegExp(`^model/t\\.ts:${LINE}: `))
    expect(e.message).toMatch(message)
    expect(e.hint).toMatch(hint)
    expect(e.location).toEqual({ file: 'model/t.ts', line: LINE })
  })

  it('each of those is accepted by the other database where it fits there', async () => {
    // The same definitions as above, on the database that can hold them: not refused, and valid for Prisma.
    const pg = await schemaFor(column('json().default({ a: 1 })'), 'postgresql')
    expect(pg.validatedText()).toMatch(/v\s+Json\?\s+@default\("\{\\"a\\":1\}"\)/)
    const pgBig = await schemaFor({ 'model/t.ts': `${IMPORTS}\nexport const t = table('t', { id: bigint().primaryKey({ autoIncrement: true }) })\n` }, 'postgresql')
    expect(pgBig.validatedText()).toMatch(/id\s+BigInt\s+@id @default\(autoincrement\(\)\)/)
    const sqliteInt = await schemaFor(column('int().default(2147483648)'), 'sqlite')
    expect(sqliteInt.validatedText()).toMatch(/v\s+Int\?\s+@default\(2147483648\)/)
    const sqliteLong = await schemaFor({ 'model/t.ts': `${IMPORTS}\nexport const t = table('t', { id: int().primaryKey(), v: text('${'c'.repeat(64)}'), xmin: int() }, (c) => [index(c.v).named('${'i'.repeat(64)}')])\n` }, 'sqlite')
    expect(sqliteLong.validatedText()).toContain(`@map("${'c'.repeat(64)}")`)
    expect(sqliteLong.validatedText()).toMatch(/xmin\s+Int\?/)
    const sqliteDecimal = await schemaFor(column(`decimal().default('0.${'1'.repeat(31)}')`), 'sqlite')
    expect(sqliteDecimal.validatedText()).toContain(`@default(0.${'1'.repeat(31)})`)
    const pgEdges = await schemaFor(column(`decimal().default('-${'9'.repeat(35)}.${'9'.repeat(30)}000')`), 'postgresql')
    expect(pgEdges.validatedText()).toContain(`@default(-${'9'.repeat(35)}.${'9'.repeat(30)}000)`)
    const sqliteTime = await schemaFor(column("datetime().default(sql`datetime('now')`)"), 'sqlite')
    expect(sqliteTime.validatedText()).toMatch(/v\s+DateTime\?\s+@default\(now\(\)\)/)
  })

  it('a table name over 63 bytes, on PostgreSQL only', async () => {
    const files = { 'model/t.ts': `${IMPORTS}\nexport const t = table('${'t'.repeat(64)}', { id: int().primaryKey() })\n` }
    const e = await refusal(files, 'postgresql')
    expect(e.code).toBe('MODEL_INVALID')
    expect(e.message).toMatch(/^model\/t\.ts:3: invalid table name "t{64}": it is 64 characters long \(at most 63: PostgreSQL would silently cut it short\)/)
    expect(e.location).toEqual({ file: 'model/t.ts', line: 3 })
    expect((await schemaFor(files, 'sqlite')).owners.map((o) => o.table)).toEqual(['t'.repeat(64)])
  })

  it('an enum named like a table, on PostgreSQL only (both would be types of the same name)', async () => {
    const files = {
      'model/status.ts': `${IMPORTS}\nexport const status = table('Status', { id: int().primaryKey() }, { modelName: 'StatusRow' })\n`,
      'model/t.ts': `${IMPORTS}\nexport const kind = enumType('Status', ['open', 'closed'])\n\nexport const t = table('t', {\n  id: int().primaryKey(), state: kind(),\n})\n`,
    }
    const e = await refusal(files, 'postgresql')
    expect(e.code).toBe('MODEL_INVALID')
    expect(e.message).toMatch(/^model\/t\.ts:5: enum "Status" has the name of the table "Status" \(model\/status\.ts:3\), and PostgreSQL keeps one type per name for both/)
    expect(e.location).toEqual({ file: 'model/t.ts', line: 5 })
    expect(e.hint).toMatch(/rename the enum/)
  })
})

describe('numbers JavaScript writes with an exponent (1e-7, 1e21)', () => {
  const MODEL = `${IMPORTS}\nexport const m = table('m', {\n  id: int().primaryKey(),\n  tiny: real().notNull().default(1e-7), huge: real().notNull().default(1e21), d: decimal().notNull().default(2.5e-7),\n})\n`

  it('are written out plainly, which Prisma\'s validator accepts for both databases', async () => {
    for (const provider of ['sqlite', 'postgresql'] as const) {
      const text = (await schemaFor({ 'model/m.ts': MODEL }, provider)).validatedText()
      expect(text).toMatch(/tiny\s+Float\s+@default\(0\.0000001\)/)
      expect(text).toMatch(/huge\s+Float\s+@default\(1000000000000000000000\)/)
      expect(text).toMatch(/d\s+Decimal\s+@default\(0\.00000025\)/)
    }
  })

  it('on SQLite: the table gets the defaults, an insert gets the values, and a re-diff with the engine stays in sync', async () => {
    const p = new Project({ 'model/m.ts': MODEL })
    expect((await p.migrate()).outcome).toBe('applied')
    p.sql('INSERT INTO m (id) VALUES (1)')
    expect(p.all('SELECT tiny, huge FROM m')).toEqual([{ tiny: 1e-7, huge: 1e21 }])
    // Forget the last run's hash, so that the next run diffs with the engine instead of taking the fast path.
    p.sql(`UPDATE _migration_history SET schema_hash = 'forgotten'`)
    expect(await p.migrate()).toMatchObject({ outcome: 'in-sync', fastPath: false })
  })
})

describe('a datetime default written as text means one moment, on every machine and both databases', () => {
  const model = (value: string) => ({ 'model/t.ts': `${IMPORTS}\nexport const t = table('t', {\n  id: int().primaryKey(),\n  v: datetime().default(${JSON.stringify(value)}),\n})\n` })

  it.each<[string, string, RegExp, RegExp]>([
    ['a day that does not exist (JavaScript would move it to March 1st)', '2024-02-30', /default "2024-02-30" is not a date that exists/, /month, day and time/],
    ['a time without a time zone (read in the local zone of whoever runs it)', '2024-01-01 10:00', /default "2024-01-01 10:00" has a time but no time zone, so it would mean another moment on a machine in another zone/, /add Z for UTC \("2024-01-01 10:00Z"\) or an offset/],
    ['a date that is not ISO 8601', 'March 5, 2024', /default "March 5, 2024" is not an ISO 8601 date or date and time/, /'2024-03-05T10:00:00Z'/],
    ['digits past the millisecond', '2024-01-01T10:00:00.1234Z', /default "2024-01-01T10:00:00\.1234Z" has digits past the millisecond/, /at most three digits/],
  ])('refuses %s', async (_label, value, message, hint) => {
    for (const provider of ['sqlite', 'postgresql'] as const) {
      const e = await refusal(model(value), provider)
      expect(e.code).toBe('MODEL_INVALID')
      expect(e.message).toMatch(/^model\/t\.ts:3: column t\.v: /)
      expect(e.message).toMatch(message)
      expect(e.hint).toMatch(hint)
      expect(e.location).toEqual({ file: 'model/t.ts', line: 3 })
    }
  })

  it.each([
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2024-01-01T10:00:00+02:00', '2024-01-01T08:00:00.000Z'],
    ['2024-01-01 10:00:00.120000Z', '2024-01-01T10:00:00.120Z'],
  ])('accepts %s as %s', async (value, moment) => {
    for (const provider of ['sqlite', 'postgresql'] as const) {
      expect((await schemaFor(model(value), provider)).validatedText()).toContain(`@default("${moment}")`)
    }
  })
})

describe('what neither database can hold', () => {
  it.each<[SchemaProvider, string]>([['sqlite', 'USERS'], ['postgresql', 'users']])('an index named like a table, on %s', async (provider, name) => {
    const e = await refusal({
      'model/users.ts': `${IMPORTS}\nexport const users = table('users', { id: int().primaryKey() })\n`,
      'model/t.ts': `${IMPORTS}\nexport const t = table('t', {\n  id: int().primaryKey(), v: int(),\n}, (c) => [index(c.v).named('${name}')])\n`,
    }, provider)
    expect(e.code).toBe('MODEL_INVALID')
    expect(e.message).toMatch(new RegExp(`^model/t\\.ts:3: an index of table "t" has the name "${name}", which is the table "users" \\(model/users\\.ts:3\\): ${provider === 'sqlite' ? 'SQLite' : 'PostgreSQL'} keeps tables and indexes in one namespace`))
    expect(e.location).toEqual({ file: 'model/t.ts', line: 3 })
    expect(e.hint).toMatch(/give it another name/)
  })

  it('from the CLI: exit 1 with the file and line, and the SQLite database left byte for byte as it was', async () => {
    const p = new Project({
      'model/users.ts': `${IMPORTS}\nexport const users = table('users', { id: int().primaryKey() })\n`,
      'model/t.ts': `${IMPORTS}\nexport const t = table('t', {\n  id: int().primaryKey(), v: int(),\n})\n`,
    })
    expect((await p.migrate()).outcome).toBe('applied')
    const before = readFileSync(p.dbPath)
    p.write('model/t.ts', `${IMPORTS}\nexport const t = table('t', {\n  id: int().primaryKey(), v: int(),\n}, (c) => [index(c.v).named('users')])\n`)
    const run = p.cli(['apply'])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/model\/t\.ts:3: an index of table "t" has the name "users", which is the table "users"/)
    expect(run.stderr).toMatch(/give it another name/)
    expect(readFileSync(p.dbPath).equals(before)).toBe(true)
  })
})

describe('the model loader\'s own check', () => {
  it('follows the database: a value the loader cannot copy is judged by that database\'s rules, not SQLite\'s', async () => {
    // "a" sorts first and holds what only SQLite refuses; "b" holds a function as a default, which
    // no database takes and which the loader's thread checks on the original object.
    const p = new Project({
      'model/a.ts': `${IMPORTS}\nexport const a = table('a', { id: int().primaryKey(), doc: json().default({ k: 1 }) })\n`,
      'model/b.ts': `${IMPORTS}\nexport const b = table('b', { id: int().primaryKey(), label: text().default((() => 'x') as unknown as string) })\n`,
    })
    const failure = (provider?: SchemaProvider) => discoverModels(`${p.root}/model`, p.root, provider ? { provider } : {}).then(() => undefined, (e: unknown) => e as MigrateError)
    const pg = await failure('postgresql')
    expect(pg).toBeInstanceOf(MigrateError)
    expect(pg!.message).toMatch(/^model\/b\.ts:3: column b\.label: default .* does not fit a text column/)
    const sqlite = await failure()
    expect(sqlite!.message).toMatch(/^model\/a\.ts:3: column a\.doc: default \{"k":1\} does not fit a json column \(expected no default \(json columns cannot have one in SQLite/)
  })
})

describe('the engine\'s side', () => {
  it('describes the live database by the provider its adapter speaks', () => {
    expect(datasourceOnly('sqlite')).toBe('datasource db {\n  provider = "sqlite"\n}\n')
    expect(datasourceOnly('postgresql')).toBe('datasource db {\n  provider = "postgresql"\n}\n')
    expect(providerOfAdapter('sqlite')).toBe('sqlite')
    expect(providerOfAdapter('postgres')).toBe('postgresql')
    expect(() => providerOfAdapter('mysql')).toThrow(/no schema provider for the driver adapter provider "mysql"/)
  })
})
