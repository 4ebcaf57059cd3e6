import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MigrateError } from '../plugin/core/errors.ts'
import { dumpDataDir, restoreDataDir } from '../plugin/targets/postgres/backup.ts'
import { databaseExists, listTables, rowCount, schemaFingerprint } from '../plugin/targets/postgres/catalogue.ts'
import { openConnection, pgliteOpeners, type PgConnection } from '../plugin/targets/postgres/connection.ts'
import { parsePostgresLocation, type PgliteLocation } from '../plugin/targets/postgres/url.ts'
import { engineQuirkStats } from '../plugin/targets/postgres/engine-adapter.ts'
import { DATASOURCE, withEngine } from './pg-engine.ts'
import { engineScenarios, withConnection } from './postgres-scenarios.ts'

let root: string
let location: PgliteLocation
let keeper: PgConnection | undefined

/**
 * PGlite's first open of a folder runs initdb in WebAssembly (2 s on an idle machine, over 20 s on a
 * busy one); opening an existing folder takes about a second. So the run makes one data folder and
 * copies it for every database a test needs, and keeps a connection open on the scenarios'
 * database, so that its shared instance lives for the whole file.
 */
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mp-pglite-'))
  await withConnection(at('template'), async () => {})
  location = fresh('db')
  keeper = await openConnection(location, 0)
})
afterAll(async () => {
  await keeper?.close()
  rmSync(root, { recursive: true, force: true })
})

const at = (name: string) => parsePostgresLocation(`pglite:./${name}`, root) as PgliteLocation

/** A new, empty PGlite database: a copy of the template folder. */
function fresh(name: string): PgliteLocation {
  cpSync(join(root, 'template'), join(root, name), { recursive: true })
  return at(name)
}

describe('engine on PGlite, in one transaction', () => {
  engineScenarios(() => location, false)

  it('PGlite is PostgreSQL 18, whose NOT NULL constraints the engine must not be shown (contract: the engine still sends that query)', async () => {
    const [row] = await keeper!.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)
    expect(Number(row!.v)).toBeGreaterThanOrEqual(180000)
    await keeper!.exec('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public')
    const before = engineQuirkStats.notNullConstraintsSkipped
    await withEngine(location, 'ROLLBACK', async (e) => {
      await e.push(`${DATASOURCE}model User {\n  id Int @id\n  email String\n}\n`)
      expect(await e.diff(`${DATASOURCE}model User {\n  id Int @id\n  email String\n}\n`)).toBe('')
    })
    expect(engineQuirkStats.notNullConstraintsSkipped).toBeGreaterThan(before)
  })
})

describe('PGlite connections', () => {
  it('one instance per folder, shared and counted: closing one connection leaves the others working', async () => {
    const l = fresh('shared')
    const a = await openConnection(l, 0)
    const b = await openConnection(l, 0)
    expect(pgliteOpeners(l.dataDir)).toBe(2)
    await a.exec('CREATE TABLE t (id int); INSERT INTO t VALUES (1)')
    await a.close()
    await a.close()
    expect(await rowCount(b, 't')).toBe(1)
    await b.close()
    expect(pgliteOpeners(l.dataDir)).toBe(0)
    // Closed for good, and written to the folder: a new instance reads it back.
    expect(await withConnection(l, (c) => rowCount(c, 't'))).toBe(1)
    await expect(a.query('SELECT 1')).rejects.toThrow(/already closed/)
  })

  it('a folder with other files in it is not taken for a database, and is left as it was', async () => {
    const dir = join(root, 'not-a-db')
    mkdirSync(dir)
    writeFileSync(join(dir, 'notes.txt'), 'mine')
    const error = await openConnection(at('not-a-db'), 0).then(() => undefined, (e: unknown) => e as MigrateError)
    expect(error?.code).toBe('DATABASE')
    expect(error?.message).toMatch(/not a PGlite database/)
    expect(readdirSync(dir)).toEqual(['notes.txt'])
  })

  it('databaseExists: missing for an absent or empty folder (and nothing is created), then empty, then ok', async () => {
    expect(await databaseExists(at('absent'))).toBe('missing')
    expect(existsSync(join(root, 'absent'))).toBe(false)
    mkdirSync(join(root, 'empty-folder'))
    expect(await databaseExists(at('empty-folder'))).toBe('missing')
    expect(readdirSync(join(root, 'empty-folder'))).toEqual([])
    await keeper!.exec('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public')
    expect(await databaseExists(location)).toBe('empty')
    await keeper!.exec('CREATE TABLE t (id int)')
    expect(await databaseExists(location)).toBe('ok')
  })

  it('schemaFingerprint is stable and changes with a column', async () => {
    await withConnection(location, async (c) => {
      await c.exec(`DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public; CREATE TYPE "Color" AS ENUM ('red'); CREATE TABLE "User" (id serial PRIMARY KEY, color "Color")`)
      const first = await schemaFingerprint(c, '_h')
      expect(await schemaFingerprint(c, '_h')).toBe(first)
      await c.exec('ALTER TABLE "User" ADD COLUMN phone text')
      expect(await schemaFingerprint(c, '_h')).not.toBe(first)
    })
  })
})

describe('PGlite backup and restore', () => {
  it('dumpDataDir → change → restoreDataDir gives back the rows and drops what came later; the backup is 0600', async () => {
    const l = fresh('backed-up')
    await withConnection(l, (c) => c.exec(`CREATE TABLE "User" (id int PRIMARY KEY, email text); INSERT INTO "User" VALUES (1, 'a'), (2, 'b')`))
    const file = join(root, 'backup.tar.gz')
    await dumpDataDir(l, file)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    await withConnection(l, (c) => c.exec(`DELETE FROM "User"; CREATE TABLE "Later" (id int)`))
    // Not under the feet of an open connection.
    const open = await openConnection(l, 0)
    await expect(restoreDataDir(l, file)).rejects.toMatchObject({ code: 'RESTORE', message: expect.stringMatching(/is open in this process/) })
    await open.close()
    await restoreDataDir(l, file)
    await withConnection(l, async (c) => {
      expect(await c.query('SELECT id, email FROM "User" ORDER BY id')).toEqual([{ id: 1, email: 'a' }, { id: 2, email: 'b' }])
      expect(await listTables(c)).toEqual(['User'])
    })
    // No restore or old folder left beside the database.
    expect(readdirSync(root).filter((n) => n.includes('.restore-') || n.includes('.old-'))).toEqual([])
  })

  it('a broken backup restores nothing: the database stays as it was', async () => {
    const l = fresh('kept')
    await withConnection(l, (c) => c.exec('CREATE TABLE t (id int); INSERT INTO t VALUES (7)'))
    const broken = join(root, 'broken.tar.gz')
    writeFileSync(broken, 'not a tarball')
    await expect(restoreDataDir(l, broken)).rejects.toMatchObject({ code: 'RESTORE' })
    expect(await withConnection(l, (c) => c.query('SELECT id FROM t'))).toEqual([{ id: 7 }])
    expect(readdirSync(root).filter((n) => n.includes('.restore-') || n.includes('.old-'))).toEqual([])
  })
})
