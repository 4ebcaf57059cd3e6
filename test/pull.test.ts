import { existsSync, lstatSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { POSTS_MODEL, Project, REPO, USERS_MODEL, removeProjects } from './helpers.ts'

/**
 * `pull`: model files from an existing SQLite database. The promise: right after it, `check` finds
 * nothing to do, on databases nobody here designed (Northwind and Sakila, from their public
 * repositories: test/fixtures/samples/*), and a change to a pulled model then applies with every
 * row kept — also a rebuild of a table other tables refer to.
 */

afterAll(removeProjects)

const SAMPLES = join(REPO, 'test', 'fixtures', 'samples')

function fromSample(name: string): Project {
  const p = new Project()
  p.sql(readFileSync(join(SAMPLES, name, `${name}.sql`), 'utf8'))
  return p
}

/** Every row of every table, by rowid, as text: what "every row kept, content unchanged" is compared on. */
function contents(p: Project): Map<string, { columns: string[], rows: string[] }> {
  const result = new Map<string, { columns: string[], rows: string[] }>()
  for (const table of p.tables()) {
    if (table === '_migrations' || table.startsWith('_migrate')) continue
    const columns = p.columns(table)
    const rows = p.all<{ row: string }>(`SELECT json_array(${columns.map((c) => `quote("${c.replace(/"/g, '""')}")`).join(', ')}) AS row FROM "${table.replace(/"/g, '""')}" ORDER BY rowid`).map((r) => r.row)
    result.set(table, { columns, rows })
  }
  return result
}

/** The rows of `before`'s columns as they are now: a table that gained a column is compared on the columns it had. */
function expectSameRows(p: Project, before: Map<string, { columns: string[], rows: string[] }>): void {
  for (const [table, was] of before) {
    const rows = p.all<{ row: string }>(`SELECT json_array(${was.columns.map((c) => `quote("${c.replace(/"/g, '""')}")`).join(', ')}) AS row FROM "${table.replace(/"/g, '""')}" ORDER BY rowid`).map((r) => r.row)
    expect(rows, `rows of ${table}`).toEqual(was.rows)
  }
  // The sample's own empty tables (film_text, CustomerCustomerDemo) aside, there must be rows to keep.
  expect([...before.values()].reduce((n, t) => n + t.rows.length, 0)).toBeGreaterThan(0)
}

function triggersAndViews(p: Project): string[] {
  return p.all<{ x: string }>(`SELECT type || ' ' || name AS x FROM sqlite_master WHERE type IN ('trigger', 'view') ORDER BY 1`).map((r) => r.x)
}

/** `check --json`: exit 0, in sync, and none of our own findings (rewrites, dropped CHECK, type fit) said anything. */
function expectInSync(p: Project): void {
  const r = p.cli(['check', '--json'])
  expect(r.code, r.stdout + r.stderr).toBe(0)
  const doc = JSON.parse(r.stdout) as { outcome: string, warnings: string[], plan?: { steps: unknown[] } }
  expect(doc.outcome).toBe('in-sync')
  expect(doc.warnings).toEqual([])
  expect(doc.plan?.steps ?? []).toEqual([])
}

describe('pull on Sakila (jOOQ/sakila, SQLite port)', () => {
  const p = fromSample('sakila')

  it('writes one model file per table without touching the database, and check then has nothing to do', () => {
    const hash = p.hash()
    const r = p.cli(['pull'])
    expect(r.code, r.stderr).toBe(0)
    expect(p.hash()).toBe(hash)
    const files = readdirSync(join(p.root, 'model')).sort()
    expect(files).toEqual(['actor', 'address', 'category', 'city', 'country', 'customer', 'film', 'film_actor', 'film_category', 'film_text', 'inventory', 'language', 'payment', 'rental', 'staff', 'store'].map((t) => `${t}.ts`))
    expect(r.stdout).toContain('16 table(s) modelled')
    expect(r.stdout).toContain('view customer_list')
    // Legacy types as the engine compares them: VARCHAR(n) is text(), DECIMAL(4,2) decimal(), SMALLINT kept as declared.
    const film = p.read('model/film.ts')
    expect(film).toContain("import { datetime, decimal, index, int, sql, table, text, unsupported } from 'migrate-plugin/model'")
    expect(film).toContain("import { language } from './language.ts'")
    expect(film).toContain("  rental_duration: unsupported('smallint').notNull().default(sql`3`),")
    expect(film).toContain("  rental_rate: decimal().notNull().default('4.99'),")
    expect(film).toContain("  description: unsupported('blob sub_type text'),")
    expect(film).toContain("  language_id: int().notNull().references(() => language.language_id, { onDelete: 'no action', onUpdate: 'no action' }),")
    expect(film).toContain("    index(t.language_id).named('idx_fk_language_id'),")
    expect(film).toMatch(/2 CHECK constraint\(s\)/)
    expect(film).toMatch(/trigger\(s\) film_trigger_ai, film_trigger_au/)
    // A composite key, and a key without AUTOINCREMENT (none of Sakila's has it).
    expect(p.read('model/film_actor.ts')).toContain('    primaryKey(t.actor_id, t.film_id),')
    expect(p.read('model/actor.ts')).toContain('  actor_id: int().primaryKey(),')
    expect(p.read('model/payment.ts')).toContain("  rental_id: int().references(() => rental.rental_id, { onDelete: 'set null', onUpdate: 'cascade' }),")
    // store and staff refer to each other: each file imports the other.
    expect(p.read('model/store.ts')).toContain("import { staff } from './staff.ts'")
    expect(p.read('model/staff.ts')).toContain("import { store } from './store.ts'")
    expect(p.hash()).toBe(hash)
    expectInSync(p)
    expect(p.hash()).toBe(hash)
  }, 120_000)

  it('a column added to a pulled model, and a parent table rebuilt (country, which city refers to), apply with every row kept', () => {
    const before = contents(p)
    for (const table of ['actor', 'country', 'city']) expect(before.get(table)!.rows.length, table).toBeGreaterThan(2)
    const kept = triggersAndViews(p)
    p.write('model/actor.ts', p.read('model/actor.ts').replace('  last_update: datetime().notNull(),\n', '  last_update: datetime().notNull(),\n  nickname: text(),\n'))
    p.write('model/country.ts', p.read('model/country.ts').replace('  last_update: datetime(),\n', '  last_update: datetime().notNull(),\n'))
    const r = p.cli(['apply', '--yes'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.stdout).toContain('add column actor.nickname')
    expect(r.stdout).toMatch(/redefine table country/)
    expect(p.all<{ notnull: number }>(`SELECT "notnull" FROM pragma_table_info('country') WHERE name = 'last_update'`)[0]!.notnull).toBe(1)
    expect(p.columns('actor')).toContain('nickname')
    expectSameRows(p, before)
    expect(triggersAndViews(p)).toEqual(kept)
    expect(p.all('PRAGMA foreign_key_check')).toEqual([])
    expectInSync(p)
  }, 120_000)
})

describe('pull on Northwind (jpwhite3/northwind-SQLite3)', () => {
  const p = fromSample('northwind')

  it('models what a file can say faithfully, leaves the rest alone with a file saying why, and check has nothing to do', () => {
    const hash = p.hash()
    const r = p.cli(['pull'])
    expect(r.code, r.stderr).toBe(0)
    expect(p.hash()).toBe(hash)
    expect(r.stdout).toContain('9 table(s) modelled')
    // Customers' TEXT key may hold NULL (not an INTEGER PRIMARY KEY), which no model can say;
    // Orders and CustomerCustomerDemo refer to it; "Order Details" is no name a model can have.
    const customers = p.read('model/Customers.ts')
    expect(customers).toContain('has no model')
    expect(customers).toMatch(/primary key column CustomerID may hold NULL/)
    expect(p.read('model/Orders.ts')).toMatch(/refers to Customers, which is left unmodelled/)
    expect(p.read('model/Order_Details.ts')).toMatch(/its name "Order Details" cannot be a model's table name/)
    for (const table of ['Customers', 'Orders', 'Order Details', 'CustomerCustomerDemo']) expect(r.stdout).toContain(`  ${table}: `)
    const categories = p.read('model/Categories.ts')
    expect(categories).toContain('  CategoryID: int().primaryKey({ autoIncrement: true }),')
    expect(categories).toContain('  Picture: bytes(),')
    expect(p.read('model/Regions.ts')).toContain('  RegionID: int().primaryKey(),')
    expect(p.read('model/EmployeeTerritories.ts')).toContain('    primaryKey(t.EmployeeID, t.TerritoryID),')
    const employees = p.read('model/Employees.ts')
    expect(employees).toContain("  ReportsTo: int().references(() => employees.EmployeeID, { onDelete: 'no action', onUpdate: 'no action' }),")
    expect(employees).toContain('  BirthDate: datetime(),')
    const products = p.read('model/Products.ts')
    expect(products).toContain("  UnitPrice: decimal().default('0'),")
    expect(products).toContain("  Discontinued: text().notNull().default('0'),")
    expect(products).toMatch(/4 CHECK constraint\(s\)/)
    expectInSync(p)
    expect(p.hash()).toBe(hash)
  }, 120_000)

  it('a column added to Products and a rebuild of Categories (which Products refers to) keep every row, AUTOINCREMENT and the views', () => {
    const before = contents(p)
    for (const table of ['Products', 'Categories', 'Orders']) expect(before.get(table)!.rows.length, table).toBeGreaterThan(2)
    const kept = triggersAndViews(p)
    p.write('model/Products.ts', p.read('model/Products.ts').replace('  QuantityPerUnit: text(),\n', '  QuantityPerUnit: text(),\n  Barcode: text(),\n'))
    p.write('model/Categories.ts', p.read('model/Categories.ts').replace('  CategoryName: text(),\n', '  CategoryName: text().notNull(),\n'))
    const r = p.cli(['apply', '--yes'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.stdout).toMatch(/redefine table Categories/)
    expect(p.all<{ sql: string }>(`SELECT sql FROM sqlite_master WHERE name = 'Categories'`)[0]!.sql).toMatch(/AUTOINCREMENT/)
    expect(p.columns('Products')).toContain('Barcode')
    expectSameRows(p, before)
    expect(triggersAndViews(p)).toEqual(kept)
    expect(p.all('PRAGMA foreign_key_check')).toEqual([])
    expectInSync(p)
  }, 120_000)
})

describe('pull: declared types and defaults as the engine compares them', () => {
  it('legacy and odd declared types round-trip: check has nothing to do, and a rebuild keeps every value', () => {
    const p = new Project()
    p.sql(`
      CREATE TABLE legacy (id INTEGER PRIMARY KEY, a NVARCHAR(200) NOT NULL, b NUMERIC(10,2), c DATETIME, d BLOB, e money DEFAULT 0,
        f SMALLINT DEFAULT 3 NOT NULL, g, h CHAR(1) DEFAULT 'Y' NOT NULL, i DECIMAL(4,2) DEFAULT 4.99, j BOOLEAN DEFAULT 1,
        k BOOLEAN DEFAULT false, l VARCHAR(5) DEFAULT NULL, m TIMESTAMP DEFAULT CURRENT_TIMESTAMP, n REAL DEFAULT -1.5,
        o INT DEFAULT '7', p TEXT DEFAULT 0, q DATE DEFAULT CURRENT_DATE, r DOUBLE PRECISION, s UNSIGNED BIG INT, t TEXT DEFAULT 'it''s');
      INSERT INTO legacy (a, b, c, d, e, g, r, s) VALUES ('x', 12.34, '2020-01-02 03:04:05', X'0102', 12.5, 'any', 1.25, 99);
      INSERT INTO legacy (a, e, f, g) VALUES ('y', 'not money', 7, X'FF');
    `)
    const r = p.cli(['pull'])
    expect(r.code, r.stderr).toBe(0)
    const model = p.read('model/legacy.ts')
    for (const line of [
      '  id: int().primaryKey(),', '  a: text().notNull(),', '  b: decimal(),', '  c: datetime(),', '  d: bytes(),',
      "  e: unsupported('money').default(sql`0`),", "  f: unsupported('smallint').notNull().default(sql`3`),", "  g: unsupported(''),",
      "  h: text().notNull().default('Y'),", "  i: decimal().default('4.99'),", '  j: boolean().default(true),', '  k: boolean().default(false),',
      '  l: text(),', '  m: datetime().defaultNow(),', '  n: real().default(-1.5),', '  o: int().default(7),', "  p: text().default('0'),",
      '  q: datetime().default(sql`CURRENT_DATE`),', "  r: unsupported('double precision'),", "  s: unsupported('unsigned big int'),",
      "  t: text().default('it\\'s'),",
    ]) expect(model).toContain(line)
    expectInSync(p)
    const before = contents(p)
    // A rebuild (a changed default: SQLite cannot ALTER one) must carry every value, the odd types' too.
    p.write('model/legacy.ts', model.replace("  h: text().notNull().default('Y'),", "  h: text().notNull().default('N'),"))
    const applied = p.cli(['apply', '--yes'])
    expect(applied.code, applied.stdout + applied.stderr).toBe(0)
    expect(applied.stdout).toMatch(/redefine table legacy/)
    expectSameRows(p, before)
    expect(p.all(`SELECT typeof(e) AS e, typeof(g) AS g FROM legacy ORDER BY id`)).toEqual([{ e: 'real', g: 'text' }, { e: 'text', g: 'blob' }])
    expectInSync(p)
  }, 120_000)

  it('CHECK, COLLATE, STRICT and WITHOUT ROWID tables are modelled with a comment saying what the model does not, and check has nothing to do', () => {
    const p = new Project()
    p.sql(`
      CREATE TABLE kept (id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL COLLATE NOCASE, qty INTEGER CHECK (qty > 0));
      CREATE TABLE wr (k TEXT NOT NULL PRIMARY KEY, v INTEGER) WITHOUT ROWID;
      CREATE TABLE st (id INTEGER PRIMARY KEY, a TEXT NOT NULL, b ANY) STRICT;
      CREATE TABLE "table" (id INTEGER PRIMARY KEY, "text" TEXT);
      CREATE TABLE selfref (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES selfref (id) ON DELETE SET NULL, sib INTEGER REFERENCES selfref);
      CREATE TABLE pair (a INTEGER NOT NULL, b TEXT NOT NULL, PRIMARY KEY (a, b));
      CREATE TABLE pairref (id INTEGER PRIMARY KEY, pa INTEGER, pb TEXT, FOREIGN KEY (pa, pb) REFERENCES pair ON DELETE CASCADE ON UPDATE SET DEFAULT);
      CREATE UNIQUE INDEX pairref_pair ON pairref (pa, pb);
      INSERT INTO kept (code, qty) VALUES ('a', 1);
    `)
    expect(p.cli(['pull']).code).toBe(0)
    const kept = p.read('model/kept.ts')
    expect(kept).toMatch(/1 CHECK constraint\(s\)/)
    expect(kept).toMatch(/COLLATE clause\(s\)/)
    expect(p.read('model/wr.ts')).toMatch(/WITHOUT ROWID: kept by SQLite/)
    expect(p.read('model/st.ts')).toMatch(/STRICT: kept by SQLite/)
    expect(p.read('model/st.ts')).toContain("  b: unsupported('any'),")
    // A table named like a DSL import gets another export name, so it does not hide table().
    expect(p.read('model/table.ts')).toContain("export const tableTable = table('table', {")
    expect(p.read('model/selfref.ts')).toContain("  sib: int().references(() => selfref.id, { onDelete: 'no action', onUpdate: 'no action' }),")
    const pairref = p.read('model/pairref.ts')
    expect(pairref).toContain("    foreignKey(t.pa, t.pb).references(() => [pair.a, pair.b], { onDelete: 'cascade', onUpdate: 'set default' }),")
    expect(pairref).toContain("    unique(t.pa, t.pb).named('pairref_pair'),")
    expectInSync(p)
  }, 120_000)

  it('tables no model can say faithfully are left unmodelled, each file saying why, and check leaves them alone', () => {
    const p = new Project()
    p.sql(`
      CREATE TABLE ok (id INTEGER PRIMARY KEY, a TEXT);
      CREATE TABLE nullpk (k TEXT PRIMARY KEY, v INTEGER);
      CREATE TABLE nopk (a INTEGER, b TEXT);
      CREATE TABLE gen (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2) VIRTUAL);
      CREATE TABLE expr (id INTEGER PRIMARY KEY, a TEXT); CREATE INDEX expr_lower ON expr (lower(a));
      CREATE TABLE part (id INTEGER PRIMARY KEY, a TEXT); CREATE INDEX part_a ON part (a) WHERE a IS NOT NULL;
      CREATE TABLE uq (id INTEGER PRIMARY KEY, a TEXT UNIQUE);
      CREATE TABLE child (id INTEGER PRIMARY KEY, k TEXT REFERENCES nullpk (k));
      CREATE TABLE "odd name" (id INTEGER PRIMARY KEY);
      CREATE TABLE oddcol (id INTEGER PRIMARY KEY, "first name" TEXT);
      CREATE TABLE exprdefault (id INTEGER PRIMARY KEY, a TEXT DEFAULT (lower('X')));
      CREATE TABLE typemix (id INTEGER PRIMARY KEY, r INTEGER REFERENCES oddkey (k));
      CREATE TABLE oddkey (k SMALLINT NOT NULL PRIMARY KEY);
      CREATE TABLE oddref (id INTEGER PRIMARY KEY, r SMALLINT REFERENCES ok (id));
      CREATE VIRTUAL TABLE ft USING fts5(body);
      CREATE TABLE _prisma_migrations (id TEXT PRIMARY KEY NOT NULL, checksum TEXT NOT NULL);
      INSERT INTO nopk VALUES (1, 'x');
    `)
    const hash = p.hash()
    const r = p.cli(['pull'])
    expect(r.code, r.stderr).toBe(0)
    expect(p.hash()).toBe(hash)
    const why: Record<string, RegExp> = {
      nullpk: /primary key column k may hold NULL/,
      nopk: /no primary key/,
      gen: /column b is generated/,
      expr: /index expr_lower is on an expression/,
      part: /index part_a is partial/,
      uq: /UNIQUE \(a\) is a constraint inside CREATE TABLE/,
      child: /refers to nullpk, which is left unmodelled/,
      odd_name: /its name "odd name" cannot be a model's table name/,
      oddcol: /column "first name" cannot be named in a model/,
      exprdefault: /the default lower\('X'\) of a text\(\) column has no model form/,
      typemix: /refers to oddkey, which is left unmodelled/,
      oddkey: /primary key column k is declared SMALLINT, a type Prisma has none for/,
      oddref: /foreign key column r is declared SMALLINT, a type Prisma has none for/,
    }
    for (const [file, reason] of Object.entries(why)) {
      const text = p.read(`model/${file}.ts`)
      expect(text, file).toMatch(reason)
      expect(text, file).toContain('export {}')
      expect(text, file).not.toContain('table(')
    }
    expect(r.stdout).toContain('1 table(s) modelled')
    expect(r.stdout).toContain('virtual table ft')
    expect(r.stdout).toContain("_prisma_migrations (Prisma Migrate's history)")
    for (const skipped of ['ft', '_prisma_migrations']) expect(existsSync(join(p.root, 'model', `${skipped}.ts`)), skipped).toBe(false)
    expectInSync(p)
    expect(p.all('SELECT * FROM nopk')).toEqual([{ a: 1, b: 'x' }])
  }, 120_000)
})

describe('pull --enums', () => {
  it('a text column with CHECK (column IN (…)) becomes an enumType() when asked, and check has nothing to do', () => {
    const p = new Project()
    p.sql(`
      CREATE TABLE tickets (id INTEGER PRIMARY KEY, state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')), rating TEXT CHECK ("rating" IN ('G', 'PG-13')));
      INSERT INTO tickets (state, rating) VALUES ('closed', 'PG-13');
    `)
    const plain = p.cli(['pull', '--dry-run'])
    expect(plain.stdout).toContain("  state: text().notNull().default('open'),")
    const r = p.cli(['pull', '--enums'])
    expect(r.code, r.stderr).toBe(0)
    const model = p.read('model/tickets.ts')
    expect(model).toContain("export const ticketsState = enumType('TicketsState', ['open', 'closed'])")
    expect(model).toContain("  state: ticketsState().notNull().default('open'),")
    // 'PG-13' cannot be an enum value: the column stays text, and the file says why.
    expect(model).toContain('  rating: text(),')
    expect(model).toMatch(/--enums: rating is checked against 'G', 'PG-13', which cannot all be enum values/)
    expectInSync(p)
  }, 60_000)
})

describe('pull on a database migrate-plugin made', () => {
  it('skips the history table, and the pulled models match the database the original models made', async () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL, 'model/posts.ts': POSTS_MODEL })
    const applied = await p.migrate()
    expect(applied.outcome).toBe('applied')
    rmSync(join(p.root, 'model'), { recursive: true })
    const r = p.cli(['pull'])
    expect(r.code, r.stderr).toBe(0)
    expect(readdirSync(join(p.root, 'model')).sort()).toEqual(['posts.ts', 'users.ts'])
    expect(p.read('model/posts.ts')).toContain("import { users } from './users.ts'")
    expectInSync(p)
  }, 60_000)
})

describe('pull: what it refuses, and what it writes nowhere', () => {
  it('never overwrites a model file: exit 1 naming it, and no file is written; --force replaces them', () => {
    const p = new Project()
    p.sql('CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TABLE b (id INTEGER PRIMARY KEY);')
    p.write('model/b.ts', '// mine\n')
    const r = p.cli(['pull'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/pull would overwrite 1 existing model file\(s\): model\/b\.ts; nothing was written/)
    expect(r.stderr).toMatch(/--force/)
    expect(readdirSync(join(p.root, 'model'))).toEqual(['b.ts'])
    expect(p.read('model/b.ts')).toBe('// mine\n')
    const forced = p.cli(['pull', '--force'])
    expect(forced.code, forced.stderr).toBe(0)
    expect(forced.stdout).toContain('replaced model/b.ts')
    expect(p.read('model/b.ts')).toContain("export const b = table('b', {")
    expect(p.read('model/a.ts')).toContain("export const a = table('a', {")
  }, 60_000)

  it('--force replaces a link in the model folder with a file, never writing where it points; a table name with a JavaScript line break stays inside its comment', () => {
    const p = new Project()
    // U+2028 ends a // comment in JavaScript: the rest of such a name must not become code.
    const evil = `t\u2028process['exit'](7)\u2028//`
    p.sql(`CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TABLE "${evil}" (x TEXT);`)
    const outside = join(p.root, 'outside.txt')
    p.write('outside.txt', 'precious\n')
    p.write('model/.keep', '')
    symlinkSync(outside, join(p.root, 'model', 'a.ts'))
    expect(p.cli(['pull']).code).toBe(1)
    const forced = p.cli(['pull', '--force'])
    expect(forced.code, forced.stderr).toBe(0)
    expect(readFileSync(outside, 'utf8')).toBe('precious\n')
    expect(lstatSync(join(p.root, 'model', 'a.ts')).isSymbolicLink()).toBe(false)
    expect(p.read('model/a.ts')).toContain("export const a = table('a', {")
    const check = p.cli(['check'])
    // Had the name's code run, loading the models would have ended the check (process.exit is refused).
    expect(check.code, check.stderr).toBe(0)
  }, 60_000)

  it('a table no model can name because it holds "." is refused by every run with what to do, the database unchanged', () => {
    const p = new Project()
    p.sql('CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TABLE "a.b" (x TEXT);')
    expect(p.cli(['pull']).code).toBe(0)
    const before = p.hash()
    for (const command of ['check', 'apply']) {
      const r = p.cli([command])
      expect(r.code, command).toBe(1)
      expect(r.stderr).toContain('the table "a.b" has no model, and a name holding "." cannot be passed to the schema engine')
      expect(r.stderr).toContain('ALTER TABLE "a.b" RENAME TO "a_b"')
    }
    expect(p.hash()).toBe(before)
    p.sql('ALTER TABLE "a.b" RENAME TO "a_b"')
    expect(p.cli(['check']).code).toBe(0)
  }, 60_000)

  it('other model files already in the folder are named, since a table defined twice fails check', () => {
    const p = new Project({ 'model/mine.ts': "import { table, int } from 'migrate-plugin/model'\nexport const mine = table('a', { id: int().primaryKey() })\n" })
    p.sql('CREATE TABLE a (id INTEGER PRIMARY KEY);')
    const r = p.cli(['pull'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('model/ also holds model/mine.ts')
    const check = p.cli(['check'])
    expect(check.code).toBe(1)
    expect(check.stderr).toMatch(/table "a" is defined twice: in model\/(mine|a)\.ts:\d+ and in model\/(mine|a)\.ts:\d+/)
  }, 60_000)

  it('--dry-run prints every file and writes nothing; --json lists them', () => {
    const p = new Project()
    p.sql('CREATE TABLE a (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL);')
    const hash = p.hash()
    const r = p.cli(['pull', '--dry-run'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('--- model/a.ts')
    expect(r.stdout).toContain('  name: text().notNull(),')
    expect(r.stdout).toContain('nothing written')
    expect(existsSync(join(p.root, 'model'))).toBe(false)
    const json = p.cli(['pull', '--dry-run', '--json'])
    expect(json.code).toBe(0)
    const doc = JSON.parse(json.stdout) as { ok: boolean, command: string, dryRun: boolean, files: { path: string, table: string, modelled: boolean, content: string }[], written: string[] }
    expect(doc).toMatchObject({ ok: true, command: 'pull', dryRun: true, written: [] })
    expect(doc.files.map((f) => [f.path, f.table, f.modelled])).toEqual([['model/a.ts', 'a', true]])
    expect(existsSync(join(p.root, 'model'))).toBe(false)
    expect(p.hash()).toBe(hash)
  }, 60_000)

  it('a missing database is an error (exit 1), and no database is created', () => {
    const p = new Project()
    const r = p.cli(['pull'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/does not exist: there is nothing to pull models from/)
    expect(r.stderr).toMatch(/never creates one/)
    expect(existsSync(p.dbPath)).toBe(false)
    expect(existsSync(join(p.root, 'model'))).toBe(false)
  }, 60_000)

  it('a file that is not SQLite, or a model directory that is a file: exit 1 with what and how, nothing written, the file unchanged', () => {
    const p = new Project()
    p.write('dev.db', 'not a database, just text\n')
    const hash = p.hash()
    const r = p.cli(['pull'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/dev\.db is corrupt: file is not a database/)
    expect(p.hash()).toBe(hash)
    const q = new Project()
    q.sql('CREATE TABLE a (id INTEGER PRIMARY KEY);')
    q.write('model', 'a file\n')
    const hashQ = q.hash()
    const s = q.cli(['pull'])
    expect(s.code).toBe(1)
    expect(s.stderr).toMatch(/the model directory model is not a folder/)
    expect(q.read('model')).toBe('a file\n')
    expect(q.hash()).toBe(hashQ)
  }, 60_000)

  it('PostgreSQL and PGlite URLs: "pull supports SQLite for now" (exit 1), nothing written', () => {
    const p = new Project()
    for (const url of ['postgresql://user:secret@127.0.0.1:1/app', 'pglite:./data']) {
      const r = p.cli(['pull'], { DATABASE_URL: url })
      expect(r.code, url).toBe(1)
      expect(r.stderr, url).toMatch(/pull supports SQLite for now/)
      expect(r.stderr, url).not.toContain('secret')
    }
    expect(readdirSync(p.root)).toEqual([])
  }, 60_000)
})

describe('unsupported(): a declared type Prisma has no type for', () => {
  it('a model with one creates the column as declared, and check then has nothing to do', () => {
    const p = new Project({
      'model/m.ts': `import { table, int, unsupported, sql } from 'migrate-plugin/model'
export const m = table('m', { id: int().primaryKey(), cents: unsupported('money').notNull().default(sql\`0\`) })
`,
    })
    const r = p.cli(['apply', '--yes'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(p.all(`SELECT type, dflt_value, "notnull" FROM pragma_table_info('m') WHERE name = 'cents'`)).toEqual([{ type: 'money', dflt_value: '0', notnull: 1 }])
    expectInSync(p)
  }, 60_000)

  it('a declared type with a quote is refused where the model is written', () => {
    const p = new Project({
      'model/m.ts': `import { table, int, unsupported } from 'migrate-plugin/model'
export const m = table('m', { id: int().primaryKey(), x: unsupported('a"b') })
`,
    })
    const r = p.cli(['check'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/model\/m\.ts:2.*unsupported\(\) takes the declared type as text, without quotes or backslashes/)
    expect(existsSync(p.dbPath)).toBe(false)
  }, 60_000)

  it('a value default is refused with a model error naming the column', () => {
    const p = new Project({
      'model/m.ts': `import { table, int, unsupported } from 'migrate-plugin/model'
export const m = table('m', { id: int().primaryKey(), cents: unsupported('money').default(0 as never) })
`,
    })
    const r = p.cli(['check'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/column m\.cents: an unsupported\(\) column takes its default as SQL/)
    expect(existsSync(p.dbPath)).toBe(false)
  }, 60_000)
})
