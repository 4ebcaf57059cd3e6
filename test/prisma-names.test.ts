import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MigrateError } from '../plugin/core/errors.ts'
import { prepare } from '../plugin/pipeline/migrate.ts'
import { camel, modelNameFor, plural } from '../plugin/schema/names.ts'
import { POSTS_MODEL, Project, REPO, USERS_MODEL, cleanEnv } from './helpers.ts'

/**
 * Generated Prisma names read as in Prisma's docs: model `User` for table `users` (mapped back
 * with @@map), `posts Post[]` and `author User`, so the client is `prisma.user.findMany()`. A
 * clash is an error naming both places, and renaming a model never touches the database.
 */

const HEAD = "import { table, int, text, enumType, primaryKey, foreignKey } from 'migrate-plugin/model'\n"

async function schemaText(p: Project): Promise<string> {
  const { schema } = await prepare({ root: p.root, env: {} })
  return schema.validatedText()
}

async function modelError(files: Record<string, string>): Promise<MigrateError> {
  const p = new Project(files)
  const error = await schemaText(p).then(() => undefined, (e: unknown) => e)
  p.remove()
  expect(error).toBeInstanceOf(MigrateError)
  expect((error as MigrateError).code).toBe('MODEL_INVALID')
  return error as MigrateError
}

describe('model names from table names', () => {
  it('singular PascalCase by a small fixed rule set, and plural field names back', () => {
    const cases: [table: string, model: string, list: string][] = [
      ['users', 'User', 'users'], ['user', 'User', 'users'], ['posts', 'Post', 'posts'],
      ['order_items', 'OrderItem', 'orderItems'], ['orderItems', 'OrderItem', 'orderItems'], ['Users', 'User', 'users'],
      ['categories', 'Category', 'categories'], ['companies', 'Company', 'companies'], ['days', 'Day', 'days'],
      ['addresses', 'Address', 'addresses'], ['classes', 'Class', 'classes'], ['status', 'Status', 'statuses'],
      ['statuses', 'Status', 'statuses'], ['boxes', 'Box', 'boxes'], ['matches', 'Match', 'matches'],
      ['wishes', 'Wish', 'wishes'], ['caches', 'Cache', 'caches'], ['houses', 'House', 'houses'],
      ['courses', 'Course', 'courses'], ['databases', 'Database', 'databases'], ['analysis', 'Analysis', 'analysis'],
      ['people', 'Person', 'people'], ['sales_people', 'SalesPerson', 'salesPeople'], ['children', 'Child', 'children'],
      ['movies', 'Movie', 'movies'], ['news', 'News', 'news'], ['series', 'Series', 'series'], ['data', 'Data', 'data'],
      ['aliases', 'Alias', 'aliases'], ['user_settings', 'UserSetting', 'userSettings'], ['HTTPLogs', 'HTTPLog', 'httpLogs'],
      ['s', 'S', 's'], ['t1', 'T1', 't1s'],
    ]
    const actual = cases.map(([table]) => {
      const model = modelNameFor(table)
      return [table, model, camel(plural(model))]
    })
    expect(actual).toEqual(cases)
  })

  it('the schema reads as in Prisma\'s docs: model User @@map("users"), author User, posts Post[], columns as written', async () => {
    const p = new Project({
      'model/users.ts': USERS_MODEL,
      'model/posts.ts': POSTS_MODEL,
      'model/shop.ts': `${HEAD}import { users } from './users.ts'
export const categories = table('categories', { id: int().primaryKey(), created_at: text(), parentId: int().references(() => categories.id) })
export const orderItems = table('order_items', { id: int().primaryKey(), categoryId: int().notNull().references(() => categories.id), buyer_id: int().references(() => users.id) })
export const people = table('people', { id: int().primaryKey(), userId: int().unique().references(() => users.id) })
`,
    })
    const text = await schemaText(p)
    expect([...text.matchAll(/^model (\w+) \{/gm)].map((m) => m[1])).toEqual(['Category', 'OrderItem', 'Person', 'Post', 'User'])
    expect(text).toMatch(/model User \{[^}]*posts\s+Post\[\]\n[^}]*@@map\("users"\)/s)
    expect(text).toMatch(/model Post \{[^}]*author\s+User\s+@relation\(fields: \[authorId\], references: \[id\], onDelete: Cascade\)[^}]*@@map\("posts"\)/s)
    expect(text).toMatch(/model OrderItem \{[^}]*category\s+Category\s+@relation\(fields: \[categoryId\][^}]*buyer\s+User\?\s+@relation\(fields: \[buyer_id\][^}]*@@map\("order_items"\)/s)
    expect(text).toMatch(/model Category \{[^}]*created_at\s+String\?\n[^}]*orderItems\s+OrderItem\[\]/s)
    // One-to-one (a unique key): a single optional field, named after the model.
    expect(text).toMatch(/model User \{[^}]*person\s+Person\?\n/s)
    expect(text).toMatch(/model Category \{[^}]*categoriesByParent\s+Category\[\]\s+@relation\("categories_parentId"\)/s)
    expect(text).toMatch(/model Person \{[^}]*@@map\("people"\)/s)
    // Column keys are the field names, as written: no @map is invented.
    expect(text).not.toMatch(/[^@]@map\(/)
  })

  it('modelName overrides the rule, and settles a clash', async () => {
    const p = new Project({
      'model/t.ts': `${HEAD}export const a = table('user', { id: int().primaryKey() })
export const b = table('users', { id: int().primaryKey() }, null, { modelName: 'Account' })
export const c = table('strings', { id: int().primaryKey() }, null, { modelName: 'Phrase' })
`,
    })
    const text = await schemaText(p)
    expect(text).toMatch(/model User \{[^}]*@@map\("user"\)/s)
    expect(text).toMatch(/model Account \{[^}]*@@map\("users"\)/s)
    expect(text).toMatch(/model Phrase \{[^}]*@@map\("strings"\)/s)
  })
})

describe('a model name used twice is an error naming both places', () => {
  it('two tables that become one model (user and users), across files', async () => {
    const e = await modelError({
      'model/a.ts': `${HEAD}export const user = table('user', { id: int().primaryKey() })\n`,
      'model/b.ts': `${HEAD}\nexport const users = table('users', { id: int().primaryKey() })\n`,
    })
    expect(e.message).toBe('model/b.ts:3: table "users" becomes the Prisma model "User", which is already the model of table "user" (model/a.ts:2)')
    expect(e.hint).toMatch(/modelName/)
    expect(e.location).toEqual({ file: 'model/b.ts', line: 3 })
  })

  it('two modelNames the same, whatever their case', async () => {
    const e = await modelError({
      'model/a.ts': `${HEAD}export const a = table('alpha', { id: int().primaryKey() }, null, { modelName: 'Thing' })\nexport const b = table('beta', { id: int().primaryKey() }, null, { modelName: 'thing' })\n`,
    })
    expect(e.message).toBe('model/a.ts:3: table "beta" asks for the Prisma model name "thing", which is already the model of table "alpha" (model/a.ts:2)')
  })

  it('a .prisma fragment whose model, or enum, has the generated name names both files', async () => {
    const fragment = await modelError({
      'model/users.ts': USERS_MODEL,
      'model/legacy.prisma': '// kept by hand\nmodel User {\n  id Int @id\n  @@map("legacy_users")\n}\n',
    })
    expect(fragment.message).toBe('model/users.ts:3: table "users" becomes the Prisma model "User", which is already the model User (model/legacy.prisma:2)')
    const fragmentEnum = await modelError({
      'model/roles.ts': `${HEAD}export const roles = table('roles', { id: int().primaryKey() })\n`,
      'model/enums.prisma': 'enum Role {\n  admin\n  member\n}\n',
    })
    expect(fragmentEnum.message).toBe('model/roles.ts:2: table "roles" becomes the Prisma model "Role", which is already the enum Role (model/enums.prisma:1)')
  })

  it('an enumType of the models with the generated name, and a name Prisma reserves', async () => {
    const e = await modelError({
      'model/users.ts': `${HEAD}export const role = enumType('Role', ['admin', 'member'])\nexport const users = table('users', { id: int().primaryKey(), role: role() })\n`,
      'model/roles.ts': `${HEAD}export const roles = table('roles', { id: int().primaryKey() })\n`,
    })
    expect(e.message).toBe('model/roles.ts:2: table "roles" becomes the Prisma model "Role", which is already the enum Role (model/users.ts:3)')
    const reserved = await modelError({ 'model/s.ts': `${HEAD}export const strings = table('strings', { id: int().primaryKey() })\n` })
    expect(reserved.message).toBe('model/s.ts:2: table "strings" becomes the Prisma model "String", a name Prisma reserves')
    expect(reserved.hint).toMatch(/modelName: 'StringEntry'/)
  })

  it('from the CLI: exit 1, and the database is left byte-for-byte as it was', async () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL })
    expect((await p.migrate()).outcome).toBe('applied')
    const before = p.hash()
    p.write('model/user.ts', `${HEAD}export const user = table('user', { id: int().primaryKey() })\n`)
    const result = p.cli(['apply'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/model\/users\.ts:3: table "users" becomes the Prisma model "User", which is already the model of table "user" \(model\/user\.ts:2\)/)
    expect(p.hash()).toBe(before)
  })
})

describe('renaming models touches no table', () => {
  it('a database made under the old names (Users, Posts) has no pending change under the new ones, and keeps every row', async () => {
    // What 0.1 generated for USERS_MODEL and POSTS_MODEL, applied as a fragment through the same engine.
    const old = `model Posts {
  id       Int    @id @default(autoincrement())
  title    String
  authorId Int
  author   Users  @relation(fields: [authorId], references: [id], onDelete: Cascade)

  @@index([authorId])
  @@map("posts")
}

model Users {
  id        Int      @id @default(autoincrement())
  email     String   @unique
  name      String?
  isActive  Boolean  @default(true)
  createdAt DateTime @default(now())
  posts     Posts[]

  @@map("users")
}
`
    const p = new Project({ 'model/old.prisma': old })
    expect((await p.migrate()).outcome).toBe('applied')
    p.sql("INSERT INTO users (email, createdAt) VALUES ('ada@example.com', 0); INSERT INTO posts (title, authorId) VALUES ('Hello', 1)")
    const ddl = () => p.all('SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE \'_migration%\' ORDER BY name')
    const tablesBefore = ddl()
    const rowsBefore = [p.all('SELECT * FROM users'), p.all('SELECT * FROM posts')]

    rmSync(join(p.root, 'model/old.prisma'))
    p.write('model/users.ts', USERS_MODEL).write('model/posts.ts', POSTS_MODEL)
    const check = await p.migrate({ command: 'check' })
    expect(check.outcome).toBe('in-sync')
    const applied = await p.migrate()
    expect(applied.outcome).toBe('in-sync')
    expect(p.read('prisma/schema.prisma')).toMatch(/model User \{/)
    expect(ddl()).toEqual(tablesBefore)
    expect([p.all('SELECT * FROM users'), p.all('SELECT * FROM posts')]).toEqual(rowsBefore)
  })
})

describe('Prisma Client', () => {
  it('reads as in Prisma\'s docs: prisma.user.findMany(), nested posts, a self-relation and a foreign key over two columns', () => {
    // Inside the repository so that the project resolves `prisma` and `@prisma/client` from its node_modules.
    mkdirSync(join(REPO, '.tmp-tests'), { recursive: true })
    const p = new Project()
    const root = mkdtempSync(join(REPO, '.tmp-tests', 'names-'))
    Object.defineProperty(p, 'root', { value: root })
    p.write('package.json', '{ "type": "module" }').write('model/users.ts', USERS_MODEL).write('model/posts.ts', POSTS_MODEL)
      .write('model/org.ts', `${HEAD}export const employees = table('employees', { id: int().primaryKey({ autoIncrement: true }), name: text().notNull(), managerId: int().references(() => employees.id, { onDelete: 'set null' }) })
export const orders = table('orders', { shopId: int().notNull(), number: int().notNull() }, (t) => [primaryKey(t.shopId, t.number)])
export const orderLines = table('order_lines', { id: int().primaryKey({ autoIncrement: true }), shopId: int().notNull(), orderNumber: int().notNull(), qty: int().notNull() },
  (t) => [foreignKey(t.shopId, t.orderNumber).references(() => [orders.shopId, orders.number], { onDelete: 'cascade' })])
`)
    const applied = p.cli(['apply'])
    expect(applied.code, applied.stderr).toBe(0)
    expect(applied.stdout).toMatch(/Prisma Client regenerated in generated\/prisma/)
    writeFileSync(join(root, 'use.ts'), `import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import { PrismaClient } from './generated/prisma/client.ts'
const prisma = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: 'file:' + ${JSON.stringify(p.dbPath)} }) })
await prisma.user.create({ data: { email: 'ada@example.com', posts: { create: [{ title: 'Hello' }, { title: 'Again' }] } } })
const users = await prisma.user.findMany({ include: { posts: { orderBy: { id: 'asc' } } } })
const boss = await prisma.employee.create({ data: { name: 'boss', employeesByManager: { create: [{ name: 'dev' }] } } })
const team = await prisma.employee.findUnique({ where: { id: boss.id }, include: { employeesByManager: true } })
await prisma.order.create({ data: { shopId: 1, number: 7, orderLines: { create: [{ qty: 2 }, { qty: 3 }] } } })
const line = await prisma.orderLine.findFirst({ where: { qty: 3 }, include: { order: true } })
await prisma.order.delete({ where: { shopId_number: { shopId: 1, number: 7 } } })
console.log(JSON.stringify({
  users: users.map((u) => ({ email: u.email, posts: u.posts.map((p) => p.title) })),
  team: team?.employeesByManager.map((e) => e.name),
  lineOrder: line?.order.number,
  linesLeft: await prisma.orderLine.count(),
}))
await prisma.$disconnect()
`)
    const run = spawnSync(process.execPath, ['--import', 'jiti/register', 'use.ts'], { cwd: root, encoding: 'utf8', env: cleanEnv(), timeout: 60_000 })
    expect(run.status, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout.trim().split('\n').pop()!)).toEqual({
      users: [{ email: 'ada@example.com', posts: ['Hello', 'Again'] }],
      team: ['dev'],
      lineOrder: 7,
      linesLeft: 0,
    })
  })
})
