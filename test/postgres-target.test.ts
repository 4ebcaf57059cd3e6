import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { asSuperuser, createRole, freshDatabase, type FreshDatabase } from './postgres.ts'

let db: FreshDatabase
beforeAll(async () => { db = await freshDatabase() })
afterAll(async () => { await db?.drop() })

describe('the test server', () => {
  it('is a real PostgreSQL, and a role must give its right password', async () => {
    const version = await asSuperuser(async (c) => (await c.query<{ server_version_num: string }>('SHOW server_version_num')).rows[0]!.server_version_num)
    expect(Number(version)).toBeGreaterThanOrEqual(130000)
    const role = await createRole('right-Pa55word', { owns: db.name })
    try {
      const good = new pg.Client({ connectionString: role.url(db.name) })
      await good.connect()
      await good.end()
      const bad = new pg.Client({ connectionString: role.url(db.name).replace('right-Pa55word', 'wrong-Pa55word') })
      await expect(bad.connect()).rejects.toThrow(/password authentication failed/)
    } finally {
      await db.drop()
      db = await freshDatabase()
      await role.drop()
    }
  })
})
