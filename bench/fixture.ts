import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface FixtureOptions {
  /** Each tool's PostgreSQL database, when the fixture is for PostgreSQL rather than SQLite files. */
  postgres?: { ours: string, drizzle: string }
  /** How many extra columns table `extraColumnOn` has (default 1): extra, extra1, extra2, … */
  extraColumns?: number
}

/**
 * N tables of ~6 columns, an index and a foreign key each, written twice: as migrate-plugin models
 * (10 tables a file, as a real project would split them) and as the equivalent drizzle schema, for
 * SQLite files or, given `postgres`, for one database per tool on a PostgreSQL server.
 */
export function writeFixture(root: string, n: number, extraColumnOn?: number, options: FixtureOptions = {}): void {
  const { postgres, extraColumns = 1 } = options
  const extras = (i: number, column: (name: string) => string): string => i === extraColumnOn ? Array.from({ length: extraColumns }, (_, k) => `\n  ${column(k ? `extra${k}` : 'extra')},`).join('') : ''
  mkdirSync(join(root, 'model'), { recursive: true })
  const perFile = 10
  for (let f = 0; f * perFile < n; f++) {
    const lines = [`import { table, int, text, real, boolean, datetime, index } from 'migrate-plugin/model'`]
    const imports = new Set<number>()
    for (let i = f * perFile; i < Math.min(n, (f + 1) * perFile); i++) {
      if (i > 0 && Math.floor((i - 1) / perFile) !== f) imports.add(Math.floor((i - 1) / perFile))
      lines.push(`export const t${i} = table('t${i}', {
  id: int().primaryKey({ autoIncrement: true }),
  name: text().notNull(),
  value: real(),
  createdAt: datetime().notNull().defaultNow(),
  active: boolean().notNull().default(true),
  parentId: int()${i > 0 ? `.references(() => t${i - 1}.id)` : ''},${extras(i, (name) => `${name}: text()`)}
}, (t) => [index(t.name)])`)
    }
    for (const other of imports) lines.splice(1, 0, `import { ${Array.from({ length: perFile }, (_, k) => `t${other * perFile + k}`).filter((_, k) => other * perFile + k < n).join(', ')} } from './tables${other}.ts'`)
    writeFileSync(join(root, 'model', `tables${f}.ts`), `${lines.join('\n')}\n`)
  }
  // The models are the same for both databases: only the URL says which one they are kept in.
  writeFileSync(join(root, 'migration.conf'), `[database]\nurl = ${postgres ? JSON.stringify(postgres.ours) : './app.db'}\n\n[safety]\nmax_tables_per_run = 5000\n`)
  if (postgres) writeDrizzlePostgres(root, n, postgres.drizzle, extras)
  else writeDrizzleSqlite(root, n, extras)
}

type Extras = (i: number, column: (name: string) => string) => string

// The default in parentheses, as SQLite stores it: written bare, drizzle-kit reads `(CURRENT_TIMESTAMP)`
// back from the database, sees a change on every table, and each later push rebuilds them all.
function writeDrizzleSqlite(root: string, n: number, extras: Extras): void {
  const drizzle = [`import { sqliteTable, integer, text, real, index } from 'drizzle-orm/sqlite-core'`, `import { sql } from 'drizzle-orm'`]
  for (let i = 0; i < n; i++) {
    drizzle.push(`export const t${i} = sqliteTable('t${i}', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull(),
  value: real('value'),
  createdAt: integer('createdAt', { mode: 'timestamp' }).notNull().default(sql\`(CURRENT_TIMESTAMP)\`),
  active: integer('active', { mode: 'boolean' }).notNull().default(true),
  parentId: integer('parentId')${i > 0 ? `.references((): any => t${i - 1}.id)` : ''},${extras(i, (name) => `${name}: text('${name}')`)}
}, (t) => [index('t${i}_name_idx').on(t.name)])`)
  }
  mkdirSync(join(root, 'drizzle'), { recursive: true })
  writeFileSync(join(root, 'drizzle', 'schema.ts'), `${drizzle.join('\n')}\n`)
  writeFileSync(join(root, 'drizzle.config.ts'), `export default { dialect: 'sqlite', schema: './drizzle/schema.ts', out: './drizzle/migrations', dbCredentials: { url: './drizzle.db' } }\n`)
}

/**
 * The drizzle equivalent of what the models become on PostgreSQL (Prisma's types for them): SERIAL
 * ids, DOUBLE PRECISION for real(), TIMESTAMP(3) for datetime(), foreign keys ON DELETE SET NULL
 * ON UPDATE CASCADE, so that both tools create the same tables and neither is timed for less work.
 */
function writeDrizzlePostgres(root: string, n: number, url: string, extras: Extras): void {
  const drizzle = [`import { pgTable, serial, integer, text, doublePrecision, timestamp, boolean, index } from 'drizzle-orm/pg-core'`, `import { sql } from 'drizzle-orm'`]
  for (let i = 0; i < n; i++) {
    drizzle.push(`export const t${i} = pgTable('t${i}', {
  id: serial('id').primaryKey(),
  name: text('name').notNull(),
  value: doublePrecision('value'),
  createdAt: timestamp('createdAt', { precision: 3 }).notNull().default(sql\`CURRENT_TIMESTAMP\`),
  active: boolean('active').notNull().default(true),
  parentId: integer('parentId')${i > 0 ? `.references((): any => t${i - 1}.id, { onDelete: 'set null', onUpdate: 'cascade' })` : ''},${extras(i, (name) => `${name}: text('${name}')`)}
}, (t) => [index('t${i}_name_idx').on(t.name)])`)
  }
  mkdirSync(join(root, 'drizzle'), { recursive: true })
  writeFileSync(join(root, 'drizzle', 'schema.ts'), `${drizzle.join('\n')}\n`)
  writeFileSync(join(root, 'drizzle.config.ts'), `export default { dialect: 'postgresql', schema: './drizzle/schema.ts', out: './drizzle/migrations', dbCredentials: { url: ${JSON.stringify(url)} } }\n`)
}
