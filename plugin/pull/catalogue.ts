import type Database from 'better-sqlite3'

/**
 * What SQLite's catalogue says about one table, read with the PRAGMAs rather than through the
 * engine's introspection: the engine's introspectSql kills the process (see DESIGN.md), and its
 * Prisma-schema output loses what pull must see to be honest — the declared type as written,
 * AUTOINCREMENT, generated columns, CHECK and COLLATE clauses, partial and expression indexes.
 */

export interface CatalogueColumn {
  name: string
  /** As declared (`NVARCHAR(200)`, `money`, or '' for none). */
  type: string
  notNull: boolean
  /** The default's SQL text as SQLite keeps it, or null. */
  default: string | null
  /** 1-based position in the primary key, 0 when not part of it. */
  pk: number
  /** A generated (computed) column: table_xinfo's hidden 2 or 3. */
  generated: boolean
}

export interface CatalogueIndex {
  name: string
  unique: boolean
  /** 'c' CREATE INDEX, 'u' a UNIQUE constraint, 'pk' the primary key. */
  origin: string
  partial: boolean
  /** Column names; null where the index has an expression. */
  columns: (string | null)[]
  /** Some key is DESC or has a collation other than BINARY. */
  ordered: boolean
}

export interface CatalogueForeignKey {
  columns: string[]
  table: string
  /** null where the constraint names no columns: the target's primary key. */
  to: (string | null)[]
  onDelete: string
  onUpdate: string
}

export interface CatalogueTable {
  name: string
  sql: string
  columns: CatalogueColumn[]
  indexes: CatalogueIndex[]
  foreignKeys: CatalogueForeignKey[]
}

export interface Catalogue {
  tables: CatalogueTable[]
  /** Virtual tables and the shadow tables their modules keep: never models. */
  virtual: string[]
  views: string[]
  /** Other tools' bookkeeping tables (Prisma Migrate's _prisma_migrations): left to them. */
  bookkeeping: string[]
  triggers: { name: string, table: string }[]
}

/** A database that Prisma Migrate managed keeps its history here; it is no model of the app's. */
const BOOKKEEPING = new Set(['_prisma_migrations'])

const q = (name: string) => `'${name.replace(/'/g, "''")}'`

export function readCatalogue(db: Database.Database, historyTable: string): Catalogue {
  const listed = db.prepare(`SELECT name, type FROM pragma_table_list WHERE schema = 'main'`).all() as { name: string, type: string }[]
  const virtual = listed.filter((t) => t.type === 'virtual' || t.type === 'shadow').map((t) => t.name)
  const master = db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name`).all() as { type: string, name: string, tbl_name: string, sql: string | null }[]
  const tables: CatalogueTable[] = []
  for (const row of master) {
    if (row.type !== 'table' || row.name.startsWith('sqlite_') || row.name === historyTable || virtual.includes(row.name) || BOOKKEEPING.has(row.name)) continue
    tables.push(readTable(db, row.name, row.sql ?? ''))
  }
  return {
    tables,
    virtual: virtual.filter((name) => !name.startsWith('sqlite_')).sort(),
    views: master.filter((r) => r.type === 'view').map((r) => r.name),
    bookkeeping: master.filter((r) => r.type === 'table' && BOOKKEEPING.has(r.name)).map((r) => r.name),
    triggers: master.filter((r) => r.type === 'trigger').map((r) => ({ name: r.name, table: r.tbl_name })),
  }
}

function readTable(db: Database.Database, name: string, sql: string): CatalogueTable {
  const columns = (db.prepare(`SELECT * FROM pragma_table_xinfo(${q(name)})`).all() as { name: string, type: string, notnull: number, dflt_value: string | null, pk: number, hidden: number }[])
    .filter((c) => c.hidden !== 1)
    .map((c): CatalogueColumn => ({ name: c.name, type: c.type, notNull: c.notnull === 1, default: c.dflt_value, pk: c.pk, generated: c.hidden === 2 || c.hidden === 3 }))
  const indexes = (db.prepare(`SELECT * FROM pragma_index_list(${q(name)})`).all() as { name: string, unique: number, origin: string, partial: number }[])
    .map((i): CatalogueIndex => {
      const keys = (db.prepare(`SELECT * FROM pragma_index_xinfo(${q(i.name)}) WHERE key = 1 ORDER BY seqno`).all() as { cid: number, name: string | null, desc: number, coll: string }[])
      return {
        name: i.name,
        unique: i.unique === 1,
        origin: i.origin,
        partial: i.partial === 1,
        columns: keys.map((k) => (k.cid === -2 ? null : k.name)),
        ordered: keys.some((k) => k.desc === 1 || (k.coll ?? 'BINARY').toUpperCase() !== 'BINARY'),
      }
    })
  const rows = db.prepare(`SELECT * FROM pragma_foreign_key_list(${q(name)}) ORDER BY id, seq`).all() as { id: number, seq: number, table: string, from: string, to: string | null, on_update: string, on_delete: string }[]
  const byId = new Map<number, CatalogueForeignKey>()
  for (const r of rows) {
    const fk = byId.get(r.id) ?? { columns: [], table: r.table, to: [], onDelete: r.on_delete, onUpdate: r.on_update }
    fk.columns.push(r.from)
    fk.to.push(r.to)
    byId.set(r.id, fk)
  }
  // SQLite lists foreign keys last-declared first; the declared order reads better and is stable.
  const foreignKeys = [...byId.entries()].sort((a, b) => b[0] - a[0]).map(([, fk]) => fk)
  return { name, sql, columns, indexes, foreignKeys }
}
