import type Database from 'better-sqlite3'
import { MigrateError } from '../../core/errors.ts'
import { escapeRegExp } from '../../core/regexp.ts'
import type { RenameCatalogue, RenameHint } from '../../pipeline/renames.ts'
import { fullTextTables, tableSql } from './dependents.ts'

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()

/** The live tables and columns a rename needs, and the one rename SQLite cannot follow. */
export function renameCatalogue(db: Database.Database): RenameCatalogue {
  const columns = (table: string) => (db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[]).map((c) => c.name)
  // A full-text table reads its rows from its content table by name (content='docs'), and SQLite
  // cannot change that option: renaming the table, or a column it indexes, would break every search.
  const fullText = fullTextTables(db)
  return {
    tables: (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((r) => r.name),
    columns,
    refuse(h: RenameHint, table: string, where: string) {
      const indexes = (name: string) => h.kind === 'table'
        || columns(name).some((c) => same(c, h.from))
        || new RegExp(`content_rowid\\s*=\\s*['"]?${escapeRegExp(h.from)}\\b`, 'i').test(tableSql(db, name))
      const fts = fullText.find((f) => same(f.content, table) && indexes(f.name))
      if (!fts) return
      throw new MigrateError('RENAME', `${where}: ${h.kind} ${h.kind === 'table' ? h.from : `${h.table}.${h.from}`} feeds the full-text table ${fts.name} (content='${fts.content}'), which cannot follow a rename`, {
        hint: `drop ${fts.name} (and its triggers) first and create it again after the rename, or remove the renamedFrom hint; nothing was changed`,
      })
    },
  }
}
