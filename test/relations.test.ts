import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Project } from './helpers.ts'
import { discoverModels, discoverModelsHere } from '../plugin/model/discover.ts'
import { generateSchema } from '../plugin/schema/generate.ts'

/**
 * Relations on a real engine and real SQLite files: two foreign keys to one parent, a table
 * pointing at itself, foreign keys over several columns, and the referential actions SQLite then
 * carries out when a parent row goes.
 */

const HEAD = "import { table, int, text, primaryKey, foreignKey, unique, index } from 'migrate-plugin/model'\n"

const USERS = `${HEAD}export const users = table('users', { id: int().primaryKey({ autoIncrement: true }), name: text().notNull() })\n`

/** The CREATE TABLE statement of `table` as SQLite keeps it. */
function ddl(p: Project, table: string): string {
  return p.all<{ sql: string }>(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, table)[0]?.sql ?? ''
}

/** Run SQL with foreign keys enforced, as an app would. */
function withForeignKeys(p: Project, sql: string): void {
  const db = p.db()
  try {
    db.pragma('foreign_keys = ON')
    db.exec(sql)
  } finally {
    db.close()
  }
}

/** A model mistake: the CLI exits 1 naming `message`, and the database file is byte-for-byte as it was. */
function refused(p: Project, model: string, message: RegExp): string {
  const before = p.hash()
  p.write('model/bad.ts', model)
  const result = p.cli(['apply'])
  expect(result.code, result.stdout).toBe(1)
  expect(result.stderr).toMatch(message)
  expect(p.hash()).toBe(before)
  p.write('model/bad.ts', `${HEAD}export {}\n`)
  return result.stderr
}

describe('two foreign keys to one parent, and a table pointing at itself', () => {
  it('get named relations on both sides, FOREIGN KEY clauses in SQLite, and their actions when a parent row is deleted', async () => {
    const p = new Project({
      'model/users.ts': USERS,
      'model/messages.ts': `${HEAD}import { users } from './users.ts'
export const messages = table('messages', {
  id: int().primaryKey({ autoIncrement: true }),
  senderId: int().notNull().references(() => users.id, { onDelete: 'cascade' }),
  recipientId: int().references(() => users.id, { onDelete: 'set null' }),
  body: text(),
})
export const employees = table('employees', {
  id: int().primaryKey(),
  name: text().notNull(),
  managerId: int().references(() => employees.id, { onDelete: 'set null' }),
})
`,
    })
    const result = await p.migrate()
    expect(result.outcome).toBe('applied')
    const schema = p.read('prisma/schema.prisma')
    expect(schema).toMatch(/sender\s+User\s+@relation\("messages_senderId", fields: \[senderId\], references: \[id\], onDelete: Cascade\)/)
    expect(schema).toMatch(/recipient\s+User\?\s+@relation\("messages_recipientId", fields: \[recipientId\], references: \[id\], onDelete: SetNull\)/)
    expect(schema).toMatch(/messagesBySender\s+Message\[\]\s+@relation\("messages_senderId"\)/)
    expect(schema).toMatch(/messagesByRecipient\s+Message\[\]\s+@relation\("messages_recipientId"\)/)
    expect(schema).toMatch(/manager\s+Employee\?\s+@relation\("employees_managerId", fields: \[managerId\], references: \[id\], onDelete: SetNull\)/)
    expect(schema).toMatch(/employeesByManager\s+Employee\[\]\s+@relation\("employees_managerId"\)/)

    expect(ddl(p, 'messages')).toContain('FOREIGN KEY ("senderId") REFERENCES "users" ("id") ON DELETE CASCADE')
    expect(ddl(p, 'messages')).toContain('FOREIGN KEY ("recipientId") REFERENCES "users" ("id") ON DELETE SET NULL')
    expect(ddl(p, 'employees')).toContain('FOREIGN KEY ("managerId") REFERENCES "employees" ("id") ON DELETE SET NULL')

    withForeignKeys(p, `
      INSERT INTO users (id, name) VALUES (1, 'Ada'), (2, 'Linus');
      INSERT INTO messages (senderId, recipientId, body) VALUES (1, 2, 'from Ada'), (2, 1, 'from Linus'), (2, 2, 'note to self');
      INSERT INTO employees (id, name, managerId) VALUES (1, 'boss', NULL), (2, 'lead', 1), (3, 'dev', 2);
      DELETE FROM users WHERE id = 1;
      DELETE FROM employees WHERE id = 1;
    `)
    // Ada's message went with her (cascade); the one she received lost its recipient (set null).
    expect(p.all('SELECT senderId, recipientId, body FROM messages ORDER BY id')).toEqual([
      { senderId: 2, recipientId: null, body: 'from Linus' },
      { senderId: 2, recipientId: 2, body: 'note to self' },
    ])
    expect(p.all('SELECT id, managerId FROM employees ORDER BY id')).toEqual([{ id: 2, managerId: null }, { id: 3, managerId: 2 }])
    // A required foreign key blocks rows pointing nowhere.
    expect(() => withForeignKeys(p, 'INSERT INTO messages (senderId) VALUES (99)')).toThrow(/FOREIGN KEY constraint failed/)

    expect((await p.migrate({ command: 'check' })).outcome).toBe('in-sync')
  })

  it('relationName is used on both sides; the same relationName twice between two tables is an error naming both', async () => {
    const p = new Project({
      'model/users.ts': USERS,
      'model/posts.ts': `${HEAD}import { users } from './users.ts'
export const posts = table('posts', {
  id: int().primaryKey(),
  authorId: int().notNull().references(() => users.id, { relationName: 'WrittenPosts', backref: 'writtenPosts' }),
  editorId: int().references(() => users.id, { relationName: 'EditedPosts' }),
})
`,
    })
    expect((await p.migrate()).outcome).toBe('applied')
    const schema = p.read('prisma/schema.prisma')
    expect(schema).toMatch(/author\s+User\s+@relation\("WrittenPosts", fields: \[authorId\]/)
    expect(schema).toMatch(/writtenPosts\s+Post\[\]\s+@relation\("WrittenPosts"\)/)
    expect(schema).toMatch(/editor\s+User\?\s+@relation\("EditedPosts", fields: \[editorId\]/)
    expect(schema).toMatch(/postsByEditor\s+Post\[\]\s+@relation\("EditedPosts"\)/)

    refused(p, `${HEAD}import { users } from './users.ts'
export const notes = table('notes', {
  id: int().primaryKey(),
  a: int().references(() => users.id, { relationName: 'Same' }),
  b: int().references(() => users.id, { relationName: 'Same' }),
})
`, /model\/bad\.ts:3: notes\.b and notes\.a both use the relationName "Same"/)
    refused(p, `${HEAD}import { users } from './users.ts'\nexport const notes = table('notes', { id: int().primaryKey(), a: int().references(() => users.id, { relationName: 'has "quotes"' }) })\n`,
      /model\/bad\.ts:3: notes\.a: relationName "has \\"quotes\\"" is not a name/)
  })

  it('a field or backref that is already a field of the model is an error; generated names step aside', async () => {
    const p = new Project({ 'model/users.ts': USERS })
    expect((await p.migrate()).outcome).toBe('applied')
    refused(p, `${HEAD}import { users } from './users.ts'\nexport const notes = table('notes', { id: int().primaryKey(), body: text(), userId: int().references(() => users.id, { field: 'body' }) })\n`,
      /model\/bad\.ts:3: notes\.userId: field "body" is already the column body of model Note/)
    refused(p, `${HEAD}import { users } from './users.ts'\nexport const notes = table('notes', { id: int().primaryKey(), userId: int().references(() => users.id, { backref: 'name' }) })\n`,
      /model\/bad\.ts:3: notes\.userId: backref "name" is already the column name of model User/)
    // A column already called `author` keeps its name; the generated relation field takes the next free one.
    p.write('model/bad.ts', `${HEAD}import { users } from './users.ts'\nexport const notes = table('notes', { id: int().primaryKey(), author: text(), authorId: int().references(() => users.id) })\n`)
    expect((await p.migrate()).outcome).toBe('applied')
    expect(p.read('prisma/schema.prisma')).toMatch(/author2\s+User\?\s+@relation\(fields: \[authorId\]/)
  })
})

const ORDERS = `${HEAD}export const orders = table('orders', {
  shopId: int().notNull(),
  number: int().notNull(),
  note: text(),
}, (t) => [primaryKey(t.shopId, t.number)])
`

describe('foreign keys over several columns', () => {
  it('create FOREIGN KEY (a, b) REFERENCES …, carry out their actions, and read as one key in the plan when an action changes', async () => {
    const p = new Project({
      'model/orders.ts': ORDERS,
      'model/lines.ts': `${HEAD}import { orders } from './orders.ts'
export const orderLines = table('order_lines', {
  id: int().primaryKey({ autoIncrement: true }),
  shopId: int().notNull(),
  orderNumber: int().notNull(),
  qty: int().notNull(),
}, (t) => [foreignKey(t.shopId, t.orderNumber).references(() => [orders.shopId, orders.number], { onDelete: 'cascade', onUpdate: 'restrict' }), index(t.shopId, t.orderNumber)])
export const invoices = table('invoices', {
  id: int().primaryKey(),
  shopId: int(),
  orderNumber: int(),
}, (t) => [unique(t.shopId, t.orderNumber), foreignKey([t.shopId, t.orderNumber]).references(() => [orders.shopId, orders.number], { onDelete: 'set null' })])
`,
    })
    expect((await p.migrate()).outcome).toBe('applied')
    expect(ddl(p, 'order_lines')).toContain('FOREIGN KEY ("shopId", "orderNumber") REFERENCES "orders" ("shopId", "number") ON DELETE CASCADE ON UPDATE RESTRICT')
    expect(ddl(p, 'invoices')).toContain('FOREIGN KEY ("shopId", "orderNumber") REFERENCES "orders" ("shopId", "number") ON DELETE SET NULL')
    const schema = p.read('prisma/schema.prisma')
    expect(schema).toMatch(/order\s+Order\s+@relation\(fields: \[shopId, orderNumber\], references: \[shopId, number\], onDelete: Cascade, onUpdate: Restrict\)/)
    // Unique over the key's columns: one invoice per order, so a single optional field on Order.
    expect(schema).toMatch(/order\s+Order\?\s+@relation\(fields: \[shopId, orderNumber\], references: \[shopId, number\], onDelete: SetNull\)/)
    expect(schema).toMatch(/model Order \{[^}]*invoice\s+Invoice\?\n[^}]*orderLines\s+OrderLine\[\]/s)

    withForeignKeys(p, `
      INSERT INTO orders (shopId, number) VALUES (1, 1), (1, 2), (2, 1);
      INSERT INTO order_lines (shopId, orderNumber, qty) VALUES (1, 1, 5), (1, 2, 7), (2, 1, 9);
      INSERT INTO invoices (id, shopId, orderNumber) VALUES (1, 1, 1), (2, 2, 1);
      DELETE FROM orders WHERE shopId = 1 AND number = 1;
    `)
    expect(p.all('SELECT shopId, orderNumber, qty FROM order_lines ORDER BY id')).toEqual([{ shopId: 1, orderNumber: 2, qty: 7 }, { shopId: 2, orderNumber: 1, qty: 9 }])
    expect(p.all('SELECT id, shopId, orderNumber FROM invoices ORDER BY id')).toEqual([{ id: 1, shopId: null, orderNumber: null }, { id: 2, shopId: 2, orderNumber: 1 }])
    // ON UPDATE RESTRICT: a referenced order cannot change its key while lines point at it.
    expect(() => withForeignKeys(p, 'UPDATE orders SET number = 3 WHERE shopId = 2 AND number = 1')).toThrow(/FOREIGN KEY constraint failed/)
    // Half a key pointing nowhere is refused too.
    expect(() => withForeignKeys(p, 'INSERT INTO order_lines (shopId, orderNumber, qty) VALUES (1, 99, 1)')).toThrow(/FOREIGN KEY constraint failed/)
    expect((await p.migrate({ command: 'check' })).outcome).toBe('in-sync')

    // Another action: the table is rebuilt with its rows, and the plan names the key once.
    p.write('model/lines.ts', p.read('model/lines.ts').replace("{ onDelete: 'cascade', onUpdate: 'restrict' }", "{ onDelete: 'restrict' }"))
    const changed = await p.migrate()
    expect(changed.outcome).toBe('applied')
    expect(changed.plan?.steps.map((s) => s.description)).toEqual([
      'redefine table order_lines: add foreign key (shopId, orderNumber) → orders (shopId, number) (on delete restrict), drop foreign key (shopId, orderNumber) → orders (shopId, number)',
    ])
    expect(ddl(p, 'order_lines')).toContain('REFERENCES "orders" ("shopId", "number") ON DELETE RESTRICT ON UPDATE CASCADE')
    expect(p.all('SELECT qty FROM order_lines ORDER BY id')).toEqual([{ qty: 7 }, { qty: 9 }])
    expect(() => withForeignKeys(p, 'DELETE FROM orders WHERE shopId = 2')).toThrow(/FOREIGN KEY constraint failed/)
    expect((await p.migrate({ command: 'check' })).outcome).toBe('in-sync')
  })

  it('the same schema whether the models load in the worker or in this thread', async () => {
    const p = new Project({
      'model/orders.ts': ORDERS,
      'model/lines.ts': `${HEAD}import { orders } from './orders.ts'
export const lines = table('lines', { id: int().primaryKey(), s: int(), n: int() }, (t) => [foreignKey(t.s, t.n).references(() => [orders.shopId, orders.number], { onDelete: 'cascade', relationName: 'OrderLines', field: 'parent', backref: 'children' })])
`,
    })
    const dir = join(p.root, 'model')
    const options = { clientOutput: '../generated/prisma' }
    const viaWorker = generateSchema(await discoverModels(dir, p.root), options)
    const here = generateSchema(await discoverModelsHere(dir, p.root, { env: process.env }), options)
    expect(viaWorker.validatedText()).toBe(here.validatedText())
    expect(viaWorker.validatedText()).toMatch(/parent\s+Order\?\s+@relation\("OrderLines", fields: \[s, n\], references: \[shopId, number\], onDelete: Cascade\)/)
    expect(viaWorker.validatedText()).toMatch(/children\s+Line\[\]\s+@relation\("OrderLines"\)/)
  })

  it('mistakes in a foreign key are model errors naming the file and line; the database is left as it was', async () => {
    const p = new Project({ 'model/orders.ts': ORDERS })
    expect((await p.migrate()).outcome).toBe('applied')
    const imp = "import { orders } from './orders.ts'\n"
    const cases: [string, RegExp][] = [
      [`export const x = table('x', { id: int().primaryKey(), a: int() }, (t) => [foreignKey(t.a).references(() => [orders.shopId, orders.number])])`,
        /model\/bad\.ts:3: the foreign key x \(a\) has 1 column\(s\) but references 2/],
      [`const other = table('other', { id: int().primaryKey() })\nexport { other }\nexport const x = table('x', { id: int().primaryKey(), a: int(), b: int() }, (t) => [foreignKey(t.a, t.b).references(() => [orders.shopId, other.id])])`,
        /model\/bad\.ts:5: the foreign key x \(a, b\) references columns of two tables \("orders" and "other"\)/],
      [`export const x = table('x', { id: int().primaryKey(), a: int(), b: int() }, (t) => [foreignKey(t.a, t.b)])`,
        /model\/bad\.ts:3: the foreign key x \(a, b\) references nothing/],
      [`export const x = table('x', { id: int().primaryKey(), a: int() }, (t) => [foreignKey(t.a, orders.note).references(() => [orders.shopId, orders.number])])`,
        /model\/bad\.ts:3: a foreign key of table "x" lists a column of another table/],
      [`export const x = table('x', { id: int().primaryKey(), a: int() }, (t) => [foreignKey(t.a, t.a).references(() => [orders.shopId, orders.number])])`,
        /model\/bad\.ts:3: a foreign key of table "x" lists a twice/],
      [`export const x = table('x', { id: int().primaryKey(), a: int(), b: int() }, (t) => [foreignKey(t.a, t.b).references(() => { throw new Error('not yet') })])`,
        /model\/bad\.ts:3: the foreign key x \(a, b\) references something that cannot be read: not yet/],
      [`export const x = table('x', { id: int().primaryKey(), a: int() }, (t) => index(t.a) as never)`,
        /model\/bad\.ts:3:\d+: table\("x"\): extras must return an array, not object\n  write \(t\) => \[index/],
      [`export const x = table('x', { id: int().primaryKey(), a: int() }, () => [{ kind: 'check' } as never])`,
        /model\/bad\.ts:3: an extra of table "x" is not an index\(\), unique\(\), primaryKey\(\) or foreignKey\(\): \{"kind":"check","columns":\[\]\}/],
      [`export const x = table('x', { id: int().primaryKey(), a: int(), b: int() }, (t) => [foreignKey(t.a, t.b).references(() => [orders.shopId, orders.number]), foreignKey(t.a, t.b).references(() => [orders.shopId, orders.number])])`,
        /model\/bad\.ts:3: the columns x \(a, b\) are given a foreign key twice/],
      [`export const x = table('x', { id: int().primaryKey(), a: int().references(() => orders.shopId) }, (t) => [foreignKey(t.a).references(() => orders.shopId)])`,
        /model\/bad\.ts:3: the columns x \(a\) are given a foreign key twice \(x\.a and x \(a\)\)/],
      // References what Prisma cannot use as a target (not unique): Prisma's own words, placed at the model.
      [`export const x = table('x', { id: int().primaryKey(), a: int() }, (t) => [foreignKey(t.a).references(() => orders.note)])`,
        /model\/bad\.ts:3: the generated Prisma schema is invalid/],
    ]
    for (const [body, message] of cases) refused(p, `${HEAD}${imp}${body}\n`, message)
  })
})

describe('primaryKey({ autoIncrement })', () => {
  it('false (or left out) creates no AUTOINCREMENT in SQLite, true does; the next run is in sync', async () => {
    const p = new Project({
      'model/t.ts': `${HEAD}export const plain = table('plain', { id: int().primaryKey({ autoIncrement: false }), v: text() })
export const bare = table('bare', { id: int().primaryKey(), v: text() })
export const counted = table('counted', { id: int().primaryKey({ autoIncrement: true }), v: text() })
`,
    })
    expect((await p.migrate()).outcome).toBe('applied')
    expect(ddl(p, 'plain')).toMatch(/"id" INTEGER NOT NULL PRIMARY KEY,/)
    expect(ddl(p, 'plain')).not.toMatch(/AUTOINCREMENT/)
    expect(ddl(p, 'bare')).not.toMatch(/AUTOINCREMENT/)
    expect(ddl(p, 'counted')).toMatch(/"id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT/)
    // What AUTOINCREMENT is for: without it SQLite hands the id of a deleted last row out again.
    p.sql("INSERT INTO plain (v) VALUES ('a'), ('b'); DELETE FROM plain WHERE id = 2; INSERT INTO plain (v) VALUES ('c');")
    p.sql("INSERT INTO counted (v) VALUES ('a'), ('b'); DELETE FROM counted WHERE id = 2; INSERT INTO counted (v) VALUES ('c');")
    expect(p.all('SELECT id FROM plain ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }])
    expect(p.all('SELECT id FROM counted ORDER BY id')).toEqual([{ id: 1 }, { id: 3 }])
    expect(p.read('prisma/schema.prisma')).toMatch(/model Plain \{\n\s+id Int\s+@id\n/)
    const check = p.cli(['check'])
    expect(check.code, check.stdout + check.stderr).toBe(0)
    expect((await p.migrate()).outcome).toBe('in-sync')
  })

  it('a value that is not true or false, or autoIncrement on a bigint() key, is a model error; nothing is created', () => {
    const p = new Project({ 'model/t.ts': `${HEAD}export const t = table('t', { id: int().primaryKey({ autoIncrement: 'yes' as never }) })\n` })
    const result = p.cli(['apply'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/model\/t\.ts:2: column t\.id: autoIncrement must be true or false, not "yes"/)
    expect(existsSync(p.dbPath)).toBe(false)
    p.write('model/t.ts', "import { table, bigint } from 'migrate-plugin/model'\nexport const t = table('t', { id: bigint().primaryKey({ autoIncrement: true }) })\n")
    const big = p.cli(['apply'])
    expect(big.code).toBe(1)
    expect(big.stderr).toMatch(/model\/t\.ts:2: column t\.id: autoIncrement needs an int\(\) column/)
    expect(big.stderr).toMatch(/use int\(\): SQLite stores it as a 64-bit INTEGER/)
    expect(existsSync(p.dbPath)).toBe(false)
  })
})
