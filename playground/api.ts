import type { Plugin } from 'vite'
import Database from 'better-sqlite3'
import { loadConfig } from '../plugin/core/config.ts'
import { readHistory } from '../plugin/core/history.ts'

/**
 * A small read-only API in the dev server: the tables of the database with their rows, and the
 * migration history. It opens the database per request, so it always shows what is on disk now.
 */
export function dataApi(projectRoot: string): Plugin {
  return {
    name: 'playground-data-api',
    configureServer(server) {
      server.middlewares.use('/api/data', (_req, res) => {
        const config = loadConfig({ root: projectRoot })
        let body: unknown
        try {
          seedDemoRows(config.databasePath)
          const db = new Database(config.databasePath, { readonly: true, fileMustExist: true })
          try {
            const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> ? ORDER BY name`)
              .all(config.historyTable) as { name: string }[]).map((r) => r.name)
            const tables = names.map((name) => {
              const q = `"${name.replace(/"/g, '""')}"`
              const columns = (db.prepare('SELECT name, type FROM pragma_table_info(?)').all(name) as { name: string, type: string }[])
              const rows = db.prepare(`SELECT * FROM ${q} LIMIT 50`).raw().all()
              return { name, columns, rows }
            })
            body = { database: config.databasePath, tables, history: readHistory(db, config.historyTable, 20) }
          } finally {
            db.close()
          }
        } catch (error) {
          body = { database: config.databasePath, tables: [], history: [], error: (error as Error).message }
        }
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)))
      })
    },
  }
}

/** An empty demo database gets a few rows, so the page has something to show. */
function seedDemoRows(path: string): void {
  const db = new Database(path, { fileMustExist: true })
  try {
    const has = (table: string) => db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table) !== undefined
    if (!has('users') || !has('products') || !has('orders')) return
    if ((db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n > 0) return
    const now = Date.now()
    db.transaction(() => {
      db.prepare(`INSERT INTO users (email, name, createdAt) VALUES (?, ?, ?), (?, ?, ?)`).run('ada@example.com', 'Ada', now, 'linus@example.com', 'Linus', now)
      db.prepare(`INSERT INTO products (sku, name, price, createdAt) VALUES ('KB-1', 'Keyboard', 49.5, ?), ('MS-2', 'Mouse', 19, ?)`).run(now, now)
      db.prepare(`INSERT INTO orders (userId, total, createdAt) VALUES (1, 68.5, ?)`).run(now)
    })()
  } catch {
    // The models may have changed shape; the demo rows are only a convenience.
  } finally {
    db.close()
  }
}
