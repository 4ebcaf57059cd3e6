import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Plugin, ViteDevServer } from 'vite'
import Database from 'better-sqlite3'
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import { loadConfig } from '../plugin/core/config.ts'
import { readHistory } from '../plugin/targets/sqlite/history.ts'
import { openForReading } from '../plugin/targets/sqlite/open.ts'

/**
 * A small read-only API in the dev server: the tables of the database with their rows, and the
 * migration history. The tables and their columns come from SQLite itself (the page shows what the
 * database is); the rows of every modelled table are read with the generated Prisma Client, which
 * the plugin regenerates after each apply, so the page also proves the client follows the models.
 * Tables no model owns, the history table, or a project without a generated client are read with
 * better-sqlite3. Each table says which reader produced it.
 */
export function dataApi(projectRoot: string): Plugin {
  return {
    name: 'playground-data-api',
    configureServer(server) {
      const clients = new ClientLoader(server)
      server.middlewares.use('/api/data', (_req, res) => {
        void (async () => {
          const config = loadConfig({ root: projectRoot })
          let body: unknown
          try {
            seedDemoRows(config.databasePath)
            const client = await clients.load(config.clientOutput, config.databasePath)
            const models = tableModels(config.schemaOutput)
            const db = openForReading(config.databasePath, 5000)
            try {
              const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> ? ORDER BY name`)
                .all(config.historyTable) as { name: string }[]).map((r) => r.name)
              const tables = []
              for (const name of names) {
                const columns = db.prepare('SELECT name, type FROM pragma_table_info(?)').all(name) as { name: string, type: string }[]
                const model = models.get(name)
                const delegate = client && model ? client.delegate(model) : undefined
                if (delegate) {
                  const records = await delegate.findMany({ take: 50 })
                  tables.push({ name, columns, reader: 'prisma-client', rows: records.map((r) => columns.map((c) => r[c.name] ?? null)) })
                } else {
                  tables.push({ name, columns, reader: 'better-sqlite3', rows: db.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}" LIMIT 50`).raw().all() })
                }
              }
              body = { database: config.databasePath, tables, history: readHistory(db, config.historyTable, 20) }
            } finally {
              db.close()
            }
          } catch (error) {
            body = { database: config.databasePath, tables: [], history: [], error: (error as Error).message }
          }
          res.setHeader('content-type', 'application/json')
          res.end(JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)))
        })()
      })
    },
  }
}

interface Delegate {
  findMany(args: { take: number }): Promise<Record<string, unknown>[]>
}

/**
 * The generated client, loaded through Vite's SSR loader (it is TypeScript). The plugin rewrites it
 * after an apply; its files sit outside the playground's root, so Vite does not notice: a changed
 * client.ts stamp drops the old modules and the old client.
 */
class ClientLoader {
  private current: { stamp: string, prisma: Record<string, unknown> & { $disconnect(): Promise<void> } } | undefined
  constructor(private readonly server: ViteDevServer) {}

  async load(outputDir: string, databasePath: string): Promise<{ delegate(model: string): Delegate | undefined } | undefined> {
    const entry = join(outputDir, 'client.ts')
    if (!existsSync(entry)) return undefined
    const stamp = `${entry}:${statSync(entry).mtimeMs}`
    if (this.current?.stamp !== stamp) {
      const old = this.current
      this.current = undefined
      await old?.prisma.$disconnect()
      this.server.environments.ssr.moduleGraph.invalidateAll()
      const { PrismaClient } = await this.server.ssrLoadModule(entry) as { PrismaClient: new (options: unknown) => NonNullable<ClientLoader['current']>['prisma'] }
      this.current = { stamp, prisma: new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: `file:${databasePath}` }) }) }
    }
    const prisma = this.current.prisma
    return { delegate: (model) => prisma[model.charAt(0).toLowerCase() + model.slice(1)] as Delegate | undefined }
  }
}

/** Table name → Prisma model name, from the generated schema the client was made from (`@@map`, else the model name). */
function tableModels(schemaPath: string): Map<string, string> {
  const map = new Map<string, string>()
  if (!existsSync(schemaPath)) return map
  for (const block of readFileSync(schemaPath, 'utf8').matchAll(/^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm)) {
    const mapped = /@@map\("([^"]+)"\)/.exec(block[2]!)
    map.set(mapped ? mapped[1]! : block[1]!, block[1]!)
  }
  return map
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
