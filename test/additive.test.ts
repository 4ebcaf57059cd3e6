import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { engineStats } from '../plugin/engine/schema-engine.ts'
import { additiveStatements } from '../plugin/targets/sqlite/additive.ts'
import { Project, USERS_MODEL } from './helpers.ts'

/**
 * A script that only adds runs as planned (no engine push, one diff of the database fewer); anything
 * that touches rows still goes through the push and its warnings. Both routes end verified.
 */
describe('a change that only adds runs as planned', () => {
  const projects: Project[] = []
  afterEach(() => {
    for (const p of projects.splice(0)) p.remove()
  })
  const project = (files: Record<string, string>) => {
    const p = new Project(files)
    projects.push(p)
    return p
  }
  const counted = async <T>(run: () => Promise<T>) => {
    const before = { ...engineStats }
    const result = await run()
    return { result, diffs: engineStats.diffs - before.diffs, pushes: engineStats.pushes - before.pushes }
  }

  it('tells additive scripts from the rest', () => {
    const additive = [
      'CREATE TABLE "a" (\n    "id" INTEGER NOT NULL PRIMARY KEY,\n    "name" TEXT NOT NULL\n);',
      'ALTER TABLE "users" ADD COLUMN "phone" TEXT;',
      'ALTER TABLE "users" ADD COLUMN "score" INTEGER NOT NULL DEFAULT 0;',
      'CREATE INDEX "users_name_idx" ON "users"("name");',
      '-- CreateTable\nCREATE TABLE "b" ("id" INTEGER NOT NULL PRIMARY KEY);\n-- CreateIndex\nCREATE UNIQUE INDEX "b_id_key" ON "b"("id");',
    ]
    for (const script of additive) expect(additiveStatements(script), script).toBeDefined()
    const notAdditive = [
      // a rebuild copies rows; a drop loses them; a unique index over existing rows may fail
      'CREATE TABLE "new_users" ("id" INTEGER NOT NULL PRIMARY KEY);\nINSERT INTO "new_users" SELECT "id" FROM "users";',
      'DROP TABLE "users";',
      'ALTER TABLE "users" DROP COLUMN "name";',
      'CREATE UNIQUE INDEX "users_email_key" ON "users"("email");',
      // a required column without a default cannot be added to rows that exist
      'ALTER TABLE "users" ADD COLUMN "code" TEXT NOT NULL;',
      // a default that merely mentions the words does not count as one
      'ALTER TABLE "users" ADD COLUMN "note" TEXT NOT NULL CHECK ("note" <> \'DEFAULT\');',
      'PRAGMA foreign_keys=OFF;',
      '',
    ]
    for (const script of notAdditive) expect(additiveStatements(script), script).toBeUndefined()
  })

  it('adding a column to a table with rows: no push, the verifying diff still runs, every row kept', async () => {
    const p = project({ 'model/users.ts': USERS_MODEL })
    await p.migrate()
    p.sql("INSERT INTO users (email, createdAt) VALUES ('a@x', 0), ('b@x', 0)")
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),\n  score: int().default(0),'))
    const { result, diffs, pushes } = await counted(() => p.migrate())
    expect(result.outcome).toBe('applied')
    expect(pushes).toBe(0)
    // the plan's diff and the verifying diff
    expect(diffs).toBe(2)
    expect(p.columns('users')).toEqual(expect.arrayContaining(['phone', 'score']))
    expect(p.all('SELECT email, phone, score FROM users ORDER BY id')).toEqual([{ email: 'a@x', phone: null, score: 0 }, { email: 'b@x', phone: null, score: 0 }])
    expect(p.all<{ status: string }>('SELECT status FROM _migration_history ORDER BY id').map((r) => r.status)).toEqual(['success', 'success'])
    expect((await p.migrate({ command: 'check' })).outcome).toBe('in-sync')
  })

  it('a new table whose key is not AUTOINCREMENT is created that way at once, not rebuilt after', async () => {
    const p = project({ 'model/users.ts': USERS_MODEL })
    await p.migrate()
    p.write('model/tags.ts', "import { table, int, text } from 'migrate-plugin/model'\nexport const tags = table('tags', {\n  id: int().primaryKey(),\n  label: text().notNull(),\n})\n")
    const { result, pushes } = await counted(() => p.migrate())
    expect(result.outcome).toBe('applied')
    expect(pushes).toBe(0)
    const sql = p.all<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'tags'")[0]!.sql
    expect(sql).not.toMatch(/AUTOINCREMENT/)
    expect((await p.migrate({ command: 'check' })).outcome).toBe('in-sync')
  })

  it('a required column without a default still goes through the push, which refuses it on a table with rows', async () => {
    const p = project({ 'model/users.ts': USERS_MODEL })
    await p.migrate()
    p.sql("INSERT INTO users (email, createdAt) VALUES ('a@x', 0)")
    const before = readFileSync(p.dbPath)
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  code: text().notNull(),'))
    const { result, pushes } = await counted(() => p.migrate().catch((error: Error) => error))
    expect(pushes).toBe(1)
    expect(String(result)).toMatch(/cannot apply/)
    expect(readFileSync(p.dbPath).equals(before), 'the database is byte for byte as it was').toBe(true)
  })
})
