import Database from 'better-sqlite3'
import { existsSync, statSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { Project, USERS_MODEL } from './helpers.ts'

/**
 * The backup before an apply is the last commit, whatever journal the database uses: a small
 * database is copied from SQLite's own image of its pages, and must open on its own.
 */
describe('the backup copy', () => {
  const projects: Project[] = []
  afterEach(() => {
    for (const p of projects.splice(0)) p.remove()
  })

  it('of a WAL database whose last commits are still in the -wal file holds them, and opens alone as a plain file', async () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL })
    projects.push(p)
    await p.migrate()
    // The app: WAL mode, no checkpoint, connection kept open, so its rows live only in dev.db-wal.
    const app = new Database(p.dbPath)
    try {
      app.pragma('journal_mode = WAL')
      app.pragma('wal_autocheckpoint = 0')
      const insert = app.prepare('INSERT INTO users (email, createdAt) VALUES (?, 0)')
      app.transaction(() => { for (let i = 0; i < 500; i++) insert.run(`u${i}@x`) })()
      expect(statSync(`${p.dbPath}-wal`).size).toBeGreaterThan(0)
      p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
      const result = await p.migrate()
      expect(result.outcome).toBe('applied')
      const backup = result.backupPath!
      expect(existsSync(`${backup}-wal`)).toBe(false)
      const copy = new Database(backup, { readonly: true, fileMustExist: true })
      try {
        expect(copy.pragma('integrity_check', { simple: true })).toBe('ok')
        expect(copy.pragma('journal_mode', { simple: true })).toBe('delete')
        expect(copy.prepare('SELECT count(*) AS n FROM users').get()).toEqual({ n: 500 })
        // The schema before the change: the copy was taken before it.
        expect((copy.prepare("SELECT name FROM pragma_table_info('users')").all() as { name: string }[]).map((c) => c.name)).not.toContain('phone')
      } finally {
        copy.close()
      }
      expect(existsSync(`${backup}-wal`), 'opening the copy read-only left no -wal beside it').toBe(false)
    } finally {
      app.close()
    }
  })

  it('of a database with free pages (deleted rows) holds every remaining row, intact', async () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL })
    projects.push(p)
    await p.migrate()
    const db = p.db()
    try {
      const insert = db.prepare('INSERT INTO users (email, createdAt, name) VALUES (?, 0, ?)')
      db.transaction(() => { for (let i = 0; i < 2000; i++) insert.run(`u${i}@x`, 'x'.repeat(200)) })()
      db.exec('DELETE FROM users WHERE id % 2 = 0')
    } finally {
      db.close()
    }
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
    const result = await p.migrate()
    const copy = new Database(result.backupPath!, { readonly: true, fileMustExist: true })
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(copy.prepare('SELECT count(*) AS n, sum(length(name)) AS chars FROM users').get()).toEqual({ n: 1000, chars: 200_000 })
    } finally {
      copy.close()
    }
  })
})
