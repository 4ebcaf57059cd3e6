import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * N tables of ~6 columns, an index and a foreign key each, written twice: as migrate-plugin models
 * (10 tables a file, as a real project would split them) and as the equivalent drizzle schema.
 */
export function writeFixture(root: string, n: number, extraColumnOn?: number): void {
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
  parentId: int()${i > 0 ? `.references(() => t${i - 1}.id)` : ''},${i === extraColumnOn ? '\n  extra: text(),' : ''}
}, (t) => [index(t.name)])`)
    }
    for (const other of imports) lines.splice(1, 0, `import { ${Array.from({ length: perFile }, (_, k) => `t${other * perFile + k}`).filter((_, k) => other * perFile + k < n).join(', ')} } from './tables${other}.ts'`)
    writeFileSync(join(root, 'model', `tables${f}.ts`), `${lines.join('\n')}\n`)
  }
  writeFileSync(join(root, 'migration.conf'), '[database]\nurl = ./app.db\n\n[safety]\nmax_tables_per_run = 5000\n')

  const drizzle = [`import { sqliteTable, integer, text, real, index } from 'drizzle-orm/sqlite-core'`, `import { sql } from 'drizzle-orm'`]
  for (let i = 0; i < n; i++) {
    drizzle.push(`export const t${i} = sqliteTable('t${i}', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull(),
  value: real('value'),
  createdAt: integer('createdAt', { mode: 'timestamp' }).notNull().default(sql\`CURRENT_TIMESTAMP\`),
  active: integer('active', { mode: 'boolean' }).notNull().default(true),
  parentId: integer('parentId')${i > 0 ? `.references((): any => t${i - 1}.id)` : ''},${i === extraColumnOn ? "\n  extra: text('extra')," : ''}
}, (t) => [index('t${i}_name_idx').on(t.name)])`)
  }
  mkdirSync(join(root, 'drizzle'), { recursive: true })
  writeFileSync(join(root, 'drizzle', 'schema.ts'), `${drizzle.join('\n')}\n`)
  writeFileSync(join(root, 'drizzle.config.ts'), `export default { dialect: 'sqlite', schema: './drizzle/schema.ts', out: './drizzle/migrations', dbCredentials: { url: './drizzle.db' } }\n`)
}
