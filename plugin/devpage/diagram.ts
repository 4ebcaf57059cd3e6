import { isAbsolute, join } from 'node:path'
import { databaseMissing, type ResolvedConfig } from '../core/config.ts'
import { readCatalogue } from '../pull/catalogue.ts'
import type { ModelOwner } from '../schema/ownership.ts'
import { openForReading } from '../targets/sqlite/open.ts'
import { targetFor } from '../targets/index.ts'

/**
 * What the page draws: the live tables (what the database is, not what the models say it should
 * be), each with its columns, keys, row count, and the model file and line that define it, and the
 * relations between them with their ON DELETE. The browser lays it out (see assets.ts).
 */
export interface DiagramColumn {
  name: string
  type: string
  notNull: boolean
  primary: boolean
  unique: boolean
  /** The table this column refers to, when it is part of a foreign key. */
  references?: string
}

export interface DiagramTable {
  name: string
  columns: DiagramColumn[]
  rows: number
  /** The model file (relative to the project) and the line of its table() call. */
  file?: string
  line?: number
  /** Absolute path, for the editor link. */
  path?: string
}

export interface DiagramRelation {
  from: string
  fromColumns: string[]
  to: string
  toColumns: (string | null)[]
  onDelete: string
}

export interface Diagram {
  tables: DiagramTable[]
  relations: DiagramRelation[]
  /** Why the columns are missing, when they are (a database that does not exist yet, PostgreSQL). */
  note?: string
}

export async function readDiagram(config: ResolvedConfig, owners: ModelOwner[]): Promise<Diagram> {
  const ownerOf = new Map(owners.map((o) => [o.table.toLowerCase(), o]))
  const place = (name: string): Pick<DiagramTable, 'file' | 'line' | 'path'> => {
    const owner = ownerOf.get(name.toLowerCase())
    if (!owner) return {}
    return { file: owner.file, path: isAbsolute(owner.file) ? owner.file : join(config.root, owner.file), ...(owner.line !== undefined ? { line: owner.line } : {}) }
  }
  if (databaseMissing(config)) return { tables: [], relations: [], note: 'the database does not exist yet' }
  const rows = new Map((await (await targetFor(config)).tables(config.historyTable)).map((t) => [t.name, t.rows]))
  if (config.databaseKind !== 'sqlite') {
    // The catalogue reader is SQLite's; on PostgreSQL the page lists the tables without their columns.
    return { tables: [...rows].map(([name, count]) => ({ name, columns: [], rows: count, ...place(name) })), relations: [], note: 'columns and relations are drawn for SQLite databases only' }
  }
  const db = openForReading(config.databasePath, config.lockTimeout * 1000)
  try {
    const catalogue = readCatalogue(db, config.historyTable)
    const relations: DiagramRelation[] = []
    const tables = catalogue.tables.map((t): DiagramTable => {
      const uniques = new Set(t.indexes.filter((i) => i.unique && !i.partial && i.origin !== 'pk' && i.columns.length === 1 && i.columns[0]).map((i) => i.columns[0]!))
      const refs = new Map<string, string>()
      for (const fk of t.foreignKeys) {
        relations.push({ from: t.name, fromColumns: fk.columns, to: fk.table, toColumns: fk.to, onDelete: fk.onDelete })
        for (const c of fk.columns) refs.set(c, fk.table)
      }
      const columns = t.columns.map((c): DiagramColumn => ({
        name: c.name, type: c.type, notNull: c.notNull, primary: c.pk > 0, unique: uniques.has(c.name),
        ...(refs.has(c.name) ? { references: refs.get(c.name)! } : {}),
      }))
      return { name: t.name, columns, rows: rows.get(t.name) ?? 0, ...place(t.name) }
    })
    return { tables, relations }
  } finally {
    db.close()
  }
}
