import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { discoverModels } from '../plugin/model/discover.ts'
import { generateSchema } from '../plugin/schema/generate.ts'
import { MigrateError } from '../plugin/core/errors.ts'
import { migrate, prepare } from '../plugin/pipeline/migrate.ts'
import { POSTS_MODEL, Project, USERS_MODEL } from './helpers.ts'
import { fuzzSeed, random } from './fuzz.ts'

async function schemaOf(files: Record<string, string>) {
  const p = new Project(files)
  const { schema } = await prepare({ root: p.root, env: {} })
  return schema
}

async function failure(files: Record<string, string>): Promise<MigrateError> {
  try {
    await schemaOf(files).then((s) => s.validatedText())
  } catch (error) {
    expect(error).toBeInstanceOf(MigrateError)
    return error as MigrateError
  }
  throw new Error('expected an error')
}

describe('discovery', () => {
  it('finds table() exports in .ts, .mts, .js and .mjs files, nested, and ignores other exports', async () => {
    const p = new Project({
      'model/users.ts': `${USERS_MODEL}\nexport const notAModel = { name: 'x' }\nexport function helper() {}\n`,
      'model/blog/posts.ts': POSTS_MODEL.replace("'./users.ts'", "'../users.ts'"),
      'model/a.mts': `import { table, int } from 'migrate-plugin/model'\nexport const a = table('a_things', { id: int().primaryKey() })\n`,
      'model/b.js': `import { table, int } from 'migrate-plugin/model'\nexport const b = table('b_things', { id: int().primaryKey() })\n`,
      'model/deep/er/c.mjs': `import { table, int } from 'migrate-plugin/model'\nexport const c = table('c_things', { id: int().primaryKey() })\n`,
      'model/index.ts': `export * from './users.ts'\n`,
      'model/types.d.ts': `export type X = number\n`,
    })
    const found = await discoverModels(`${p.root}/model`, p.root)
    expect(found.tables.map((t) => `${t.file}#${t.exportName}`).sort()).toEqual([
      'model/a.mts#a', 'model/b.js#b', 'model/blog/posts.ts#posts', 'model/deep/er/c.mjs#c', 'model/users.ts#users',
    ])
    expect(found.files.map((f) => f.file)).toContain('model/index.ts')
    expect(found.files.every((f) => /^[0-9a-f]{64}$/.test(f.hash))).toBe(true)
  })

  it('names the file and line of a syntax error', async () => {
    const e = await failure({ 'model/users.ts': USERS_MODEL, 'model/broken.ts': `import { table } from 'migrate-plugin/model'\n\nexport const x = table('x', {\n  id: ,\n})\n` })
    expect(e.code).toBe('MODEL_LOAD')
    expect(e.message).toMatch(/^model\/broken\.ts:4:\d+: the model file failed to load/)
  })

  it('names the file and line of a model file that throws', async () => {
    const e = await failure({ 'model/users.ts': USERS_MODEL, 'model/throws.ts': `const a = 1\n\nthrow new Error('no config for ' + a)\n` })
    expect(e.code).toBe('MODEL_LOAD')
    expect(e.message).toMatch(/^model\/throws\.ts:3:\d+: the model file failed to load: no config for 1/)
  })

  it('refuses a model directory with no models, or none at all', async () => {
    const empty = await failure({ 'model/readme.ts': 'export const x = 1\n' })
    expect(empty.code).toBe('NO_MODELS')
    const p = new Project()
    await expect(prepare({ root: p.root, env: {} })).rejects.toMatchObject({ code: 'NO_MODELS', message: expect.stringMatching(/does not exist/) })
  })

  it('names both files when a table is defined twice, in code or in .prisma', async () => {
    const twice = await failure({
      'model/users.ts': USERS_MODEL,
      'model/again.ts': `import { table, int } from 'migrate-plugin/model'\n\nexport const u = table('users', { id: int().primaryKey() })\n`,
    })
    expect(twice.message).toMatch(/table "users" is defined twice: in model\/(again|users)\.ts:3 and in model\/(users|again)\.ts:3/)
    const mixed = await failure({
      'model/users.ts': USERS_MODEL,
      'model/legacy.prisma': `model LegacyUser {\n  id Int @id\n  @@map("users")\n}\n`,
    })
    expect(mixed.message).toMatch(/table "users" is defined twice: in model\/users\.ts:3 and in model\/legacy\.prisma:1/)
  })

  it('refuses a reference to a table no model exports', async () => {
    const e = await failure({
      'model/posts.ts': `import { table, int } from 'migrate-plugin/model'\nconst ghosts = table('ghosts', { id: int().primaryKey() })\nexport const posts = table('posts', {\n  id: int().primaryKey(),\n  ghostId: int().references(() => ghosts.id),\n})\n`,
    })
    expect(e.code).toBe('MODEL_INVALID')
    expect(e.message).toMatch(/model\/posts\.ts:3: posts\.ghostId references table "ghosts", which no model in the model directory exports/)
  })

  it.each([
    ['quotes', 'us"ers'], ['semicolon', 'users;drop'], ['sqlite_ prefix', 'sqlite_users'], ['empty', ''], ['300 chars', 'a'.repeat(300)],
  ])('refuses an invalid table name (%s)', async (_label, name) => {
    const e = await failure({ 'model/t.ts': `import { table, int } from 'migrate-plugin/model'\nexport const t = table(${JSON.stringify(name)}, { id: int().primaryKey() })\n` })
    expect(e.code).toBe('MODEL_INVALID')
    expect(e.message).toMatch(/model\/t\.ts:2: invalid table name/)
  })

  it('refuses invalid column names, unknown types and mistyped defaults', async () => {
    const col = await failure({ 'model/t.ts': `import { table, int, text } from 'migrate-plugin/model'\nexport const t = table('t', { id: int().primaryKey(), name: text().map('bad name') })\n` })
    expect(col.message).toMatch(/column t\.name: invalid column name "bad name"/)
    const type = await failure({ 'model/t.ts': `import { table, int, Column } from 'migrate-plugin/model'\nexport const t = table('t', { id: int().primaryKey(), x: new Column('uuid') })\n` })
    expect(type.message).toMatch(/column t\.x: unknown column type "uuid"/)
    const def = await failure({ 'model/t.ts': `import { table, int } from 'migrate-plugin/model'\nexport const t = table('t', { id: int().primaryKey(), n: int().default('ten') })\n` })
    expect(def.message).toMatch(/model\/t\.ts:2: column t\.n: default "ten" does not fit an int column \(expected an integer\)/)
    const notCol = await failure({ 'model/t.ts': `import { table, int } from 'migrate-plugin/model'\nexport const t = table('t', { id: int().primaryKey(), n: 5 })\n` })
    expect(notCol.message).toMatch(/column t\.n is not a column/)
  })

  it('reports a Prisma validation error against the model file', async () => {
    const e = await failure({
      'model/users.ts': USERS_MODEL,
      'model/posts.ts': `import { table, int } from 'migrate-plugin/model'\nimport { users } from './users.ts'\n\nexport const posts = table('posts', {\n  id: int().primaryKey(),\n  authorName: int().references(() => users.name),\n})\n`,
    })
    expect(e.code).toBe('SCHEMA_INVALID')
    expect(e.message).toMatch(/^model\/posts\.ts:4: the generated Prisma schema is invalid/)
  })
})

describe('schema generation', () => {
  it('generates relation fields on both sides, named, with @@map back to the table', async () => {
    const s = await schemaOf({ 'model/users.ts': USERS_MODEL, 'model/posts.ts': POSTS_MODEL })
    expect(s.validatedText()).toMatch(/^\/\/ Generated by migrate-plugin/)
    expect(s.validatedText()).toContain('provider = "sqlite"')
    expect(s.validatedText()).toMatch(/model Post \{[^}]*author\s+User\s+@relation\(fields: \[authorId\], references: \[id\], onDelete: Cascade\)[^}]*@@index\(\[authorId\]\)[^}]*@@map\("posts"\)/s)
    expect(s.validatedText()).toMatch(/model User \{[^}]*posts\s+Post\[\][^}]*@@map\("users"\)/s)
    expect(s.owners.map((o) => [o.model, o.table, o.file]).sort()).toEqual([['Post', 'posts', 'model/posts.ts'], ['User', 'users', 'model/users.ts']])
  })

  it('names relations when two join the same models, handles self-relations and one-to-one', async () => {
    const s = await schemaOf({
      'model/users.ts': USERS_MODEL,
      'model/msgs.ts': `import { table, int, text } from 'migrate-plugin/model'
import { users } from './users.ts'
export const messages = table('messages', {
  id: int().primaryKey({ autoIncrement: true }),
  senderId: int().notNull().references(() => users.id),
  recipientId: int().references(() => users.id, { onDelete: 'set null' }),
  replyToId: int().references(() => messages.id),
})
export const profiles = table('profiles', {
  id: int().primaryKey(),
  userId: int().notNull().unique().references(() => users.id, { field: 'owner', backref: 'profile' }),
  bio: text(),
})
`,
    })
    expect(s.validatedText()).toMatch(/sender\s+User\s+@relation\("messages_senderId", fields: \[senderId\]/)
    expect(s.validatedText()).toMatch(/recipient\s+User\?\s+@relation\("messages_recipientId", fields: \[recipientId\], references: \[id\], onDelete: SetNull\)/)
    expect(s.validatedText()).toMatch(/replyTo\s+Message\?\s+@relation\("messages_replyToId"/)
    expect(s.validatedText()).toMatch(/messagesByReplyTo\s+Message\[\]\s+@relation\("messages_replyToId"\)/)
    expect(s.validatedText()).toMatch(/owner\s+User\s+@relation\(fields: \[userId\]/)
    expect(s.validatedText()).toMatch(/profile\s+Profile\?/)
  })

  it('is deterministic: same models, same bytes, whatever the file order', async () => {
    const a = await schemaOf({ 'model/users.ts': USERS_MODEL, 'model/posts.ts': POSTS_MODEL })
    const b = await schemaOf({ 'model/z/posts.ts': POSTS_MODEL.replace("'./users.ts'", "'../a/users.ts'"), 'model/a/users.ts': USERS_MODEL })
    expect(b.validatedText()).toBe(a.validatedText())
    expect(b.hash).toBe(a.hash)
  })

  it('supports enums, composite keys, named indexes, column names and every column type', async () => {
    const s = await schemaOf({
      'model/all.ts': `import { table, int, bigint, text, real, decimal, boolean, datetime, json, bytes, enumType, index, unique, primaryKey } from 'migrate-plugin/model'
export const level = enumType('Level', ['low', 'high'])
export const everything = table('everything', {
  id: int().primaryKey({ autoIncrement: true }),
  big: bigint().default(10n), t: text().default('it\\'s "quoted"'), r: real().default(1.5), d: decimal().default('9.99'),
  b: boolean().default(false), at: datetime().defaultNow(), up: datetime().updatedAt(), j: json(), raw: bytes(),
  lvl: level().notNull().default('low'), firstName: text('first_name'), code: text().defaultUuid(),
}, (t) => [index(t.t, t.r).named('ix_t_r'), unique(t.d, t.b)])
export const pairs = table('pairs', { a: int().notNull(), b: int().notNull() }, (t) => [primaryKey(t.a, t.b)])
`,
    })
    expect(s.validatedText()).toMatch(/big\s+BigInt\?\s+@default\(10\)/)
    expect(s.validatedText()).toMatch(/t\s+String\?\s+@default\("it's \\"quoted\\""\)/)
    expect(s.validatedText()).toMatch(/j\s+Json\?\n/)
    expect(s.validatedText()).toMatch(/lvl\s+Level\s+@default\(low\)/)
    expect(s.validatedText()).toMatch(/firstName\s+String\?\s+@map\("first_name"\)/)
    expect(s.validatedText()).toMatch(/code\s+String\?\s+@default\(uuid\(\)\)/)
    expect(s.validatedText()).toMatch(/up\s+DateTime\?\s+@updatedAt/)
    expect(s.validatedText()).toContain('@@index([t, r], map: "ix_t_r")')
    expect(s.validatedText()).toContain('@@unique([d, b])')
    expect(s.validatedText()).toContain('@@id([a, b])')
    expect(s.validatedText()).toMatch(/enum Level \{\s+low\s+high\s+\}/)
  })

  it('refuses a json() default, which the engine would write unquoted into CREATE TABLE, naming the file and line', async () => {
    const p = new Project({ 'model/docs.ts': "import { table, int, json } from 'migrate-plugin/model'\nexport const docs = table('docs', { id: int().primaryKey(), meta: json().default({ a: 1 }) })\n" })
    const result = p.cli(['apply'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/model\/docs\.ts:2: column docs\.meta: default \{"a":1\} does not fit a json column \(expected no default \(json columns cannot have one in SQLite/)
    expect(existsSync(p.dbPath)).toBe(false)
  })

  it('merges .prisma fragments as they are', async () => {
    const s = await schemaOf({
      'model/users.ts': USERS_MODEL,
      'model/audit.prisma': `model AuditLog {\n  id      Int    @id @default(autoincrement())\n  message String\n\n  @@map("audit_log")\n}\n`,
    })
    expect(s.validatedText()).toContain('// from model/audit.prisma')
    expect(s.validatedText()).toMatch(/model AuditLog \{/)
    expect(s.owners.find((o) => o.table === 'audit_log')?.file).toBe('model/audit.prisma')
  })

  it('random model definitions: most reach the engine and get a plan; a faulty one fails with a clear error naming the file and line', async () => {
    const rand = random(fuzzSeed())
    const seed = `MP_FUZZ_SEED=${rand.seed}`
    const MODELS = 40
    const defaults: Record<string, string[]> = {
      int: ['.default(0)', '.default(42)'], bigint: ['.default(10n)'], text: [".default('x')", '.default("it\'s")'],
      real: ['.default(1.5)'], decimal: [".default('9.99')"], boolean: ['.default(true)', '.default(false)'],
      datetime: ['.defaultNow()', '.updatedAt()'], bytes: [],
      // json() takes no default: the engine writes it into CREATE TABLE unquoted (see the test above).
      json: [],
    }
    const kinds = Object.keys(defaults)
    /** A column a model may well have: modifiers that fit its type and each other. */
    const validColumn = (j: number) => {
      const kind = rand.pick(kinds)
      let column = `${kind}()`
      if (rand.chance(0.4)) column += '.notNull()'
      if (rand.chance(0.2) && !['json', 'bytes'].includes(kind)) column += '.unique()'
      if (rand.chance(0.5) && defaults[kind]!.length > 0) column += rand.pick(defaults[kind]!)
      if (rand.chance(0.2)) column += `.map('c${j}_col')`
      return column
    }
    /** One mistake a user could make, and what must be said about it. */
    const faults: { column: (j: number) => string, code: string, message: RegExp }[] = [
      { column: () => "int().default('lots')", code: 'MODEL_INVALID', message: /default "lots" does not fit an int column/ },
      { column: () => 'boolean().default(3)', code: 'MODEL_INVALID', message: /default 3 does not fit a boolean column/ },
      { column: () => 'text().updatedAt()', code: 'MODEL_INVALID', message: /updatedAt\(\) needs a datetime\(\) column/ },
      { column: () => "text().map('id')", code: 'MODEL_INVALID', message: /column name "id" is used twice in table "t"/ },
      { column: () => "text().map('a;b')", code: 'MODEL_INVALID', message: /invalid column name "a;b"/ },
      { column: () => 'text().primaryKey({ autoIncrement: true })', code: 'MODEL_INVALID', message: /autoIncrement needs an int\(\) column/ },
      { column: () => 'int().frobnicate()', code: 'MODEL_LOAD', message: /the model file failed to load: .*frobnicate/ },
      { column: () => 'int(', code: 'MODEL_LOAD', message: /the model file failed to load/ },
    ]
    let planned = 0
    let refused = 0
    for (let i = 0; i < MODELS; i++) {
      const count = 1 + rand.int(4)
      const faultAt = rand.chance(0.25) ? rand.int(count) : -1
      const fault = faultAt >= 0 ? rand.pick(faults) : undefined
      const cols = Array.from({ length: count }, (_, j) => `  c${j}: ${j === faultAt ? fault!.column(j) : validColumn(j)},`)
      const source = `import { table, int, bigint, text, real, decimal, boolean, datetime, json, bytes } from 'migrate-plugin/model'\nexport const t = table('t', {\n  id: int().primaryKey(),\n${cols.join('\n')}\n})\n`
      const label = `${seed}, model ${i}:\n${source}`
      const p = new Project({ 'model/t.ts': source })
      const outcome = await prepare({ root: p.root, env: {} }).then(
        async (prepared) => ({ prepared, result: await migrate({ root: p.root, env: {}, prepared, command: 'preview' }) }),
        (error: unknown) => ({ error }),
      )
      if (!fault) {
        // What validates must also be accepted by the engine: a plan creating the table, never a raw panic.
        expect('error' in outcome ? outcome.error : undefined, label).toBeUndefined()
        if (!('result' in outcome)) continue
        expect(outcome.prepared.schema.validatedText(), label).toContain('model T {')
        expect(outcome.result.outcome, label).toBe('previewed')
        expect(outcome.result.previewError, label).toBeUndefined()
        const [create, ...rest] = outcome.result.plan?.steps.map((s) => s.description) ?? []
        expect(create, label).toBe('create table t')
        for (const step of rest) expect(step, label).toMatch(/^create unique index on t \(c\d(_col)?\)$/)
        planned++
      } else {
        const error = 'error' in outcome ? outcome.error : undefined
        expect(error, label).toBeInstanceOf(MigrateError)
        const e = error as MigrateError
        expect(e.code, `${label}\n${e.message}`).toBe(fault.code)
        expect(e.message, label).toMatch(fault.message)
        // Where: the file and line (a column's mistake is placed at its table's line, and names the column).
        expect(e.message, label).toMatch(fault.code === 'MODEL_LOAD' ? /^model\/t\.ts:\d+:\d+: / : new RegExp(`^model/t\\.ts:2: column t\\.c${faultAt}: `))
        refused++
      }
      p.remove()
    }
    console.log(`model fuzzing (${seed}): ${planned} of ${MODELS} planned by the engine, ${refused} refused with the right error`)
    expect(planned + refused, seed).toBe(MODELS)
    expect(planned, `${seed}: at least half of the models must reach the engine`).toBeGreaterThanOrEqual(MODELS / 2)
    expect(refused, `${seed}: some faults must be tried`).toBeGreaterThan(0)
  })
})

void generateSchema
