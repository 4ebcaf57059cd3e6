import { rmSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createRequire } from 'node:module'
import { engineStats, loadEngineModule } from '../plugin/engine/schema-engine.ts'
import { openSqliteEngine as openEngineSession } from '../plugin/targets/sqlite/engine-connection.ts'
import { Project } from './helpers.ts'

/**
 * The schema engine package is "internal" upstream: these tests pin down exactly what we rely on,
 * so a version bump that changes it fails here first, loudly.
 */
const SCHEMA = `datasource db {\n  provider = "sqlite"\n}\nmodel Parent {\n  id Int @id\n  kids Kid[]\n}\nmodel Kid {\n  id Int @id\n  parentId Int\n  parent Parent @relation(fields: [parentId], references: [id], onDelete: Cascade)\n}\n`
const filters = { externalTables: ['_migration_history'], externalEnums: [] }

describe('engine contract', () => {
  it('uses the pinned versions', () => {
    const require = createRequire(import.meta.url)
    const pkg = require('../package.json') as { dependencies: Record<string, string> }
    expect(pkg.dependencies['@prisma/schema-engine-wasm']).toBe('7.10.0-4.0edf323efd1d98336f3f0a68684b56f689b900d3')
    expect(pkg.dependencies['@prisma/adapter-better-sqlite3']).toBe('7.10.0')
  })

  it('loads once, diffs from an empty database, pushes inside our transaction, and verifies empty', async () => {
    const p = new Project()
    const bg = await loadEngineModule()
    expect(await loadEngineModule()).toBe(bg)
    const session = await openEngineSession(p.dbPath, filters, 1000)
    const script = await session.diff(SCHEMA)
    expect(script).toContain('CREATE TABLE "Parent"')
    expect(script).toContain('CONSTRAINT "Kid_parentId_fkey" FOREIGN KEY')
    expect(session.connection().inTransaction).toBe(true)
    const pushed = await session.push(SCHEMA, false)
    expect(pushed).toEqual({ executedSteps: expect.any(Number), unexecutable: [], warnings: [] })
    expect(await session.diff(SCHEMA)).toBe('')
    await session.commit()
    expect(p.tables()).toEqual(['Kid', 'Parent'])
  })

  it('rolls back everything, leaving the file byte-identical', async () => {
    const p = new Project()
    let session = await openEngineSession(p.dbPath, filters, 1000)
    await session.push(SCHEMA, false)
    await session.commit()
    p.sql('INSERT INTO Parent VALUES (1); INSERT INTO Kid VALUES (1, 1), (2, 1)')
    const before = p.hash()
    session = await openEngineSession(p.dbPath, filters, 1000)
    await session.push(SCHEMA.replace('model Kid {', 'model Extra {\n  id Int @id\n}\nmodel Kid {'), false)
    await session.rollback()
    expect(p.hash()).toBe(before)
  })

  it('reports unexecutable steps and data-loss warnings without applying', async () => {
    const p = new Project()
    let session = await openEngineSession(p.dbPath, filters, 1000)
    await session.push(SCHEMA, false)
    await session.commit()
    p.sql('INSERT INTO Parent VALUES (1)')
    session = await openEngineSession(p.dbPath, filters, 1000)
    const required = await session.push(SCHEMA.replace('  kids Kid[]', '  kids Kid[]\n  name String'), false)
    expect(required.executedSteps).toBe(0)
    expect(required.unexecutable[0]).toMatch(/required column `name`/)
    await session.rollback()
    p.sql('ALTER TABLE Parent ADD COLUMN legacy TEXT; UPDATE Parent SET legacy = \'x\'')
    session = await openEngineSession(p.dbPath, { ...filters }, 1000)
    const drop = await session.push(SCHEMA, false)
    expect(drop.executedSteps).toBe(0)
    expect(drop.warnings[0]).toMatch(/drop the column `legacy`/)
    await session.rollback()
  })

  it('leaves external tables out of the diff', async () => {
    const p = new Project()
    p.sql('CREATE TABLE _migration_history (id INTEGER PRIMARY KEY)')
    const session = await openEngineSession(p.dbPath, filters, 1000)
    const script = await session.diff(SCHEMA)
    expect(script).not.toContain('_migration_history')
    await session.rollback()
    rmSync(p.root, { recursive: true, force: true })
  })

  // What plugin/targets/sqlite/dependents.ts, rewrites.ts and autoincrement.ts exist for: if one of these
  // changes in an engine upgrade, the module built on it must change too.
  it('reads a partial index only through the double-quoted query we bind, and ignores expression and partial indexes', async () => {
    const p = new Project()
    let session = await openEngineSession(p.dbPath, filters, 1000)
    await session.push(SCHEMA, false)
    await session.commit()
    p.sql('CREATE INDEX "kid_partial" ON "Kid" ("parentId") WHERE "parentId" > 0; CREATE INDEX "kid_expr" ON "Kid" (("parentId" + 1))')
    const before = engineStats.boundIndexQueries
    session = await openEngineSession(p.dbPath, filters, 1000)
    expect(await session.diff(SCHEMA)).toBe('')
    expect(engineStats.boundIndexQueries).toBeGreaterThan(before)
    await session.rollback()
    rmSync(p.root, { recursive: true, force: true })
  })

  it('rewrites NULLs with coalesce when a column becomes required with a default, and cannot see AUTOINCREMENT', async () => {
    const p = new Project()
    p.sql('CREATE TABLE "T" ("id" INTEGER NOT NULL PRIMARY KEY, "v" TEXT)')
    const session = await openEngineSession(p.dbPath, filters, 1000)
    const datasource = 'datasource db {\n  provider = "sqlite"\n}\n'
    expect(await session.diff(`${datasource}model T {\n  id Int @id @default(autoincrement())\n  v String?\n}\n`)).toBe('')
    const script = await session.diff(`${datasource}model T {\n  id Int @id\n  v String @default("x")\n}\n`)
    expect(script).toMatch(/^INSERT INTO "new_T" \(.*\) SELECT .*coalesce\("v", 'x'\) AS "v".* FROM "T";$/m)
    expect(script).toContain('"id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT')
    await session.rollback()
    rmSync(p.root, { recursive: true, force: true })
  })
})
