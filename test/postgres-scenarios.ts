import { beforeEach, expect, it } from 'vitest'
import { MigrateError } from '../plugin/core/errors.ts'
import { listTables, rowCount, schemaFingerprint } from '../plugin/targets/postgres/catalogue.ts'
import { openConnection, type PgConnection } from '../plugin/targets/postgres/connection.ts'
import { historyTableDdl } from '../plugin/targets/postgres/history-ddl.ts'
import type { PostgresLocation } from '../plugin/targets/postgres/url.ts'
import { DATASOURCE, withEngine } from './pg-engine.ts'

/**
 * The engine-in-one-transaction scenarios, run on a PostgreSQL server (postgres-target.test.ts) and
 * on PGlite (pglite-target.test.ts): the same guarantees on both.
 */

const USERS = `${DATASOURCE}model User {\n  id Int @id\n  email String\n}\n`
const USERS_AND_POSTS = `${USERS}model Post {\n  id Int @id\n  title String\n}\n`
const USERS_UNIQUE_AND_POSTS = `${DATASOURCE}model User {\n  id Int @id\n  email String @unique\n}\nmodel Post {\n  id Int @id\n  title String\n}\n`
const enumSchema = (values: string[]) => `${DATASOURCE}enum Color {\n${values.map((v) => `  ${v}\n`).join('')}}\nmodel Paint {\n  id Int @id\n  color Color\n}\n`

export async function withConnection<T>(location: PostgresLocation, fn: (c: PgConnection) => Promise<T>): Promise<T> {
  const c = await openConnection(location, 10_000)
  try {
    return await fn(c)
  } finally {
    await c.close()
  }
}

export async function enumValues(c: PgConnection, type: string): Promise<string[]> {
  const rows = await c.query<{ v: string }>(`SELECT e.enumlabel AS v FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
    WHERE t.typname = $1 ORDER BY e.enumsortorder`, [type])
  return rows.map((r) => r.v)
}

/**
 * `location()`: the database of the test file. `separateSessions`: whether a second connection is a
 * second session (a server) or the same one (PGlite, one session per process), which decides
 * whether a test can look at the database from outside while the transaction is open.
 */
export function engineScenarios(location: () => PostgresLocation, separateSessions: boolean): void {
  beforeEach(async () => {
    await withConnection(location(), (c) => c.exec('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public'))
  })

  it('diff, push and a verifying diff run in one transaction; ROLLBACK leaves no table behind', async () => {
    const seen = await withEngine(location(), 'ROLLBACK', async (e) => {
      const script = await e.diff(USERS)
      expect(script).toContain('CREATE TABLE "User"')
      const pushed = await e.push(USERS)
      expect(pushed.executedSteps).toBeGreaterThan(0)
      expect(await e.diff(USERS)).toBe('')
      // Our own queries run on the engine's connection, inside its transaction: they see its table.
      await e.session.connection().exec(`INSERT INTO "User" (id, email) VALUES (1, 'a@b')`)
      const inside = await listTables(e.session.connection())
      if (separateSessions) expect(await withConnection(location(), listTables)).toEqual([])
      return inside
    })
    expect(seen).toEqual(['User'])
    expect(await withConnection(location(), listTables)).toEqual([])
  })

  it('COMMIT keeps the pushed tables, the rows written on connection() and nothing else', async () => {
    await withEngine(location(), 'COMMIT', async (e) => {
      await e.push(USERS)
      await e.session.connection().exec(historyTableDdl('_migrate_history'))
      await e.session.connection().exec(`INSERT INTO "User" (id, email) VALUES (1, 'a@b')`)
      // The history table is kept out of the diff by the engine's filter, schema-qualified on PostgreSQL.
      expect(await e.diff(USERS)).toBe('')
    }, { externalTables: ['public._migrate_history'] })
    await withConnection(location(), async (c) => {
      expect(await listTables(c)).toEqual(['User', '_migrate_history'])
      expect(await rowCount(c, 'User')).toBe(1)
    })
  })

  it('the engine works on exactly one connection: it sees what connection() did before the engine started', async () => {
    await withEngine(location(), 'ROLLBACK', async (e) => {
      await e.session.connection().exec('CREATE TABLE "User" (id integer NOT NULL PRIMARY KEY, email text NOT NULL)')
      // On a second connection the engine would not see the uncommitted table, and would plan to create it.
      expect(await e.diff(USERS)).toBe('')
    })
    expect(await withConnection(location(), listTables)).toEqual([])
  })

  it('the engine\'s own BEGIN/COMMIT around an enum rewrite stay inside our transaction: ROLLBACK undoes the enum change', async () => {
    await withEngine(location(), 'COMMIT', async (e) => {
      await e.push(enumSchema(['red', 'green']))
      await e.session.connection().exec(`INSERT INTO "Paint" (id, color) VALUES (1, 'red')`)
    })
    await withEngine(location(), 'ROLLBACK', async (e) => {
      const script = await e.diff(enumSchema(['red', 'blue']))
      // The script the engine runs carries its own transaction control; that is what is being tested.
      expect(script).toMatch(/^BEGIN;$/m)
      expect(script).toMatch(/^COMMIT;$/m)
      const pushed = await e.push(enumSchema(['red', 'blue']), true)
      expect(pushed.warnings.join(' ')).toMatch(/green/)
      expect(await e.diff(enumSchema(['red', 'blue']))).toBe('')
      expect(await enumValues(e.session.connection(), 'Color')).toEqual(['red', 'blue'])
      // The engine's COMMIT must not have committed anything: from outside, the enum is unchanged.
      if (separateSessions) expect(await withConnection(location(), (c) => enumValues(c, 'Color'))).toEqual(['red', 'green'])
      // More work after the engine's COMMIT is still in the transaction.
      await e.session.connection().exec(`INSERT INTO "Paint" (id, color) VALUES (2, 'blue')`)
    })
    await withConnection(location(), async (c) => {
      expect(await enumValues(c, 'Color')).toEqual(['red', 'green'])
      expect(await rowCount(c, 'Paint')).toBe(1)
      expect(await c.query(`SELECT count(*)::int AS n FROM pg_type WHERE typname LIKE 'Color_%'`)).toEqual([{ n: 0 }])
    })
  })

  it('an enum change committed through our COMMIT is kept whole', async () => {
    await withEngine(location(), 'COMMIT', (e) => e.push(enumSchema(['red', 'green'])))
    await withEngine(location(), 'COMMIT', async (e) => {
      await e.push(enumSchema(['red', 'green', 'blue']), true)
      expect(await e.diff(enumSchema(['red', 'green', 'blue']))).toBe('')
    })
    expect(await withConnection(location(), (c) => enumValues(c, 'Color'))).toEqual(['red', 'green', 'blue'])
  })

  it('a failing step (unique index over duplicates, force push) rolls back every earlier step, and COMMIT refuses the failed transaction', async () => {
    await withEngine(location(), 'COMMIT', async (e) => {
      await e.push(USERS)
      await e.session.connection().exec(`INSERT INTO "User" (id, email) VALUES (1, 'same'), (2, 'same')`)
    })
    const before = await withConnection(location(), (c) => schemaFingerprint(c, '_migrate_history'))
    const failure = await withEngine(location(), 'COMMIT', async (e) => {
      // The new table comes first in the engine's script, the failing index after it.
      expect((await e.diff(USERS_UNIQUE_AND_POSTS)).indexOf('CREATE TABLE "Post"')).toBeGreaterThanOrEqual(0)
      return e.push(USERS_UNIQUE_AND_POSTS, true).then(() => undefined, (error: unknown) => error as Error)
    }).then(() => undefined, (error: unknown) => error)
    // The push failed on the duplicates, and the COMMIT asked for afterwards was refused and rolled back.
    expect(failure).toBeInstanceOf(MigrateError)
    expect((failure as MigrateError).code).toBe('APPLY')
    expect((failure as MigrateError).message).toMatch(/rolled back instead of committed/)
    await withConnection(location(), async (c) => {
      expect(await listTables(c)).toEqual(['User'])
      expect(await rowCount(c, 'User')).toBe(2)
      expect(await schemaFingerprint(c, '_migrate_history')).toBe(before)
    })
  })

  it('the push error names the duplicates; after ROLLBACK nothing of the push is left', async () => {
    await withEngine(location(), 'COMMIT', async (e) => {
      await e.push(USERS)
      await e.session.connection().exec(`INSERT INTO "User" (id, email) VALUES (1, 'same'), (2, 'same')`)
    })
    const error = await withEngine(location(), 'ROLLBACK', (e) => e.push(USERS_UNIQUE_AND_POSTS, true).then(() => undefined, (err: unknown) => err as Error))
    expect(error?.message).toMatch(/unique|duplicate/i)
    expect(await withConnection(location(), listTables)).toEqual(['User'])
  })

  it('the adapter reads "char" columns (OID 18) as text, runs scripts split at the right semicolons, and reports a failing script', async () => {
    await withEngine(location(), 'ROLLBACK', async (e) => {
      const adapter = await e.session.factory.connect()
      const result = await adapter.queryRaw({ sql: `SELECT relkind FROM pg_class WHERE relname = 'pg_class'`, args: [], argTypes: [] })
      expect(result.rows).toEqual([['r']])
      await adapter.executeScript(`CREATE TABLE t (v text DEFAULT 'a;b', w text DEFAULT $$c;d$$); -- a comment; with a semicolon\nINSERT INTO t DEFAULT VALUES;`)
      expect(await e.session.connection().query('SELECT v, w FROM t')).toEqual([{ v: 'a;b', w: 'c;d' }])
      await expect(adapter.executeScript('SELECT * FROM no_such_table')).rejects.toThrow(/no_such_table/)
    })
  })

  it('with begin: false there is no transaction of ours: the engine\'s push is committed as it goes', async () => {
    await withEngine(location(), 'ROLLBACK', (e) => e.push(USERS), { begin: false })
    expect(await withConnection(location(), listTables)).toEqual(['User'])
  })
}
