import type Database from 'better-sqlite3'
import { quoteIdent } from '../../core/sql.ts'
import { tableSql } from './dependents.ts'

/**
 * A rebuild copies rows with `INSERT INTO new_t (…) SELECT … FROM t`, which does not carry the rowid
 * of a table whose key is not an INTEGER PRIMARY KEY: SQLite hands out new ones, 1…n. Whatever
 * stores those rowids — a contentless full-text index fed by a trigger with `new.rowid`, a table of
 * the user's — would then point at other rows, silently. So each such table's rowids are noted by
 * primary key before the push and put back after it, inside the same transaction.
 */
export interface SavedRowids {
  table: string
  temp: string
  keys: string[]
}

function needsSaving(db: Database.Database, table: string): string[] | undefined {
  const sql = tableSql(db, table)
  if (!sql || /\bWITHOUT\s+ROWID\b/i.test(sql)) return undefined
  const keys = (db.prepare('SELECT name, type FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk').all(table) as { name: string, type: string }[])
  // A single INTEGER PRIMARY KEY is the rowid itself: the copy keeps it. Without a key, rows cannot be matched.
  if (keys.length === 0 || (keys.length === 1 && keys[0]!.type.toUpperCase() === 'INTEGER')) return undefined
  return keys.map((k) => k.name)
}

export function saveRowids(db: Database.Database, tables: string[]): SavedRowids[] {
  const saved: SavedRowids[] = []
  tables.forEach((table, i) => {
    const keys = needsSaving(db, table)
    if (!keys) return
    const temp = `_migrate_plugin_rowids_${i}`
    db.exec(`DROP TABLE IF EXISTS temp.${quoteIdent(temp)}; CREATE TEMP TABLE ${quoteIdent(temp)} AS SELECT rowid AS r, ${keys.map(quoteIdent).join(', ')} FROM main.${quoteIdent(table)}`)
    saved.push({ table, temp, keys })
  })
  return saved
}

/** Put the noted rowids back: first out of the way (negative), then each row to its own. */
export function restoreRowids(db: Database.Database, saved: SavedRowids[]): void {
  for (const { table, temp, keys } of saved) {
    const columns = new Set((db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[]).map((c) => c.name))
    if (columns.size > 0 && keys.every((k) => columns.has(k))) {
      const t = `main.${quoteIdent(table)}`
      const match = keys.map((k) => `m.${quoteIdent(k)} IS ${t}.${quoteIdent(k)}`).join(' AND ')
      db.exec(`UPDATE ${t} SET rowid = -rowid`)
      db.exec(`UPDATE ${t} SET rowid = coalesce((SELECT m.r FROM temp.${quoteIdent(temp)} m WHERE ${match}), -rowid)`)
    }
    db.exec(`DROP TABLE temp.${quoteIdent(temp)}`)
  }
}
