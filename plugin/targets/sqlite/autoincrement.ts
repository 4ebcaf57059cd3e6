import type Database from 'better-sqlite3'
import type { DiscoveredModels } from '../../model/discover.ts'
import { MigrateError } from '../../core/errors.ts'
import { tableSql } from './dependents.ts'
import type { PlanStep } from '../../pipeline/plan.ts'
import { meta } from '../../schema/meta.ts'
import { quoteIdent } from '../../core/sql.ts'
import { escapeRegExp } from '../../core/regexp.ts'

/**
 * `AUTOINCREMENT` is invisible to the engine's diff: it creates every single-column Int primary key
 * with it, and reads a table with or without it as matching any model. Yet it decides whether ids
 * of deleted rows can come back, so `int().primaryKey({ autoIncrement })` is enforced here: a
 * table whose keyword differs from its model is rebuilt by the run (inside its transaction, with
 * every row, index and sequence kept), and `check` reports it as pending.
 */
export interface AutoIncrementChange {
  table: string
  column: string
  /** True: add AUTOINCREMENT; false: remove it. */
  on: boolean
  file: string
}

export function autoIncrementChanges(db: Database.Database, models: DiscoveredModels): AutoIncrementChange[] {
  const changes: AutoIncrementChange[] = []
  for (const entry of models.tables) {
    const m = meta(entry.table)
    if (m.extras.some((e) => e.kind === 'primaryKey')) continue
    const keys = Object.entries(m.columns).filter(([, c]) => c.state.primaryKey)
    if (keys.length !== 1 || keys[0]![1].state.kind !== 'int') continue
    const [key, column] = keys[0]!
    const sql = tableSql(db, m.name)
    if (!sql) continue
    const has = /\bAUTOINCREMENT\b/i.test(sql)
    if (has !== column.state.autoIncrement) changes.push({ table: m.name, column: column.state.dbName ?? key, on: column.state.autoIncrement, file: entry.file })
  }
  return changes
}

/**
 * The engine's script as the run leaves the database: its CREATE TABLE statements say AUTOINCREMENT
 * for every Int key, and the run takes it out again where the model says `autoIncrement: false`
 * (the default). Shown, and written into a reviewed plan, as the engine wrote it, the SQL would
 * tell a reviewer something the run does not do — and a plan run as written would not need that.
 */
export function scriptAsApplied(script: string, models: DiscoveredModels): string {
  const plain = new Set<string>()
  for (const entry of models.tables) {
    const m = meta(entry.table)
    if (m.extras.some((e) => e.kind === 'primaryKey')) continue
    const keys = Object.values(m.columns).filter((c) => c.state.primaryKey)
    if (keys.length === 1 && keys[0]!.state.kind === 'int' && !keys[0]!.state.autoIncrement) plain.add(m.name)
  }
  if (plain.size === 0) return script
  return script.replace(/^CREATE TABLE "((?:[^"]|"")+)" \([\s\S]*?\n\);$/gm, (statement, quoted: string) => {
    const name = quoted.replace(/""/g, '"')
    const table = plain.has(name) ? name : name.startsWith('new_') && plain.has(name.slice(4)) ? name.slice(4) : undefined
    return table === undefined ? statement : statement.replace(/ PRIMARY KEY AUTOINCREMENT\b/, ' PRIMARY KEY')
  })
}

export function autoIncrementStep(c: AutoIncrementChange): PlanStep {
  return {
    kind: 'redefine table', table: c.table, file: c.file, sql: [],
    description: c.on
      ? `redefine table ${c.table}: ${c.column} becomes AUTOINCREMENT (ids of deleted rows are never handed out again)`
      : `redefine table ${c.table}: ${c.column} is no longer AUTOINCREMENT`,
  }
}

/** The table's own CREATE statement with the keyword added or removed, under another name. */
function redefined(sql: string, c: AutoIncrementChange, tempName: string): string {
  let body: string
  if (c.on) {
    const col = escapeRegExp(c.column)
    const pk = new RegExp(`((?:"${col}"|\`${col}\`|\\[${col}\\]|\\b${col}\\b)\\s+INTEGER\\b[^,]*?\\bPRIMARY\\s+KEY\\b(?:\\s+(?:ASC|DESC))?(?:\\s+ON\\s+CONFLICT\\s+\\w+)?)`, 'i')
    if (!pk.test(sql)) {
      throw new MigrateError('GUARD_UNEXECUTABLE', `cannot make ${c.table}.${c.column} AUTOINCREMENT: the table does not declare it as \`${c.column} INTEGER PRIMARY KEY\`, the only form SQLite allows it on`, {
        step: 'guard', hint: `rebuild the table by hand, or set autoIncrement: false on ${c.table}.${c.column} in ${c.file}; nothing was changed`,
      })
    }
    body = sql.replace(pk, '$1 AUTOINCREMENT')
  } else {
    body = sql.replace(/\s+AUTOINCREMENT\b/i, '')
  }
  return body.replace(/^CREATE TABLE\s+(?:"(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|[^\s(]+)/i, `CREATE TABLE ${quoteIdent(tempName)}`)
}

/**
 * SQLite's own recipe for a change ALTER cannot make: create the new table, copy every row, drop
 * the old one, rename, recreate its indexes. Foreign keys are off for the run's connection, so
 * children are not touched; the caller has set triggers and views aside and restores them after.
 */
export function applyAutoIncrementChange(db: Database.Database, c: AutoIncrementChange): void {
  const sql = tableSql(db, c.table)
  const temp = `_migrate_plugin_rebuild_${c.table}`
  const indexes = (db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY rowid`).all(c.table) as { sql: string }[]).map((r) => r.sql)
  const columns = (db.prepare('SELECT name FROM pragma_table_info(?)').all(c.table) as { name: string }[]).map((r) => quoteIdent(r.name)).join(', ')
  const highest = (db.prepare(`SELECT coalesce(max(${quoteIdent(c.column)}), 0) AS n FROM ${quoteIdent(c.table)}`).safeIntegers(true).get() as { n: bigint }).n
  db.exec(redefined(sql, c, temp))
  db.exec(`INSERT INTO ${quoteIdent(temp)} (${columns}) SELECT ${columns} FROM ${quoteIdent(c.table)}`)
  db.exec(`DROP TABLE ${quoteIdent(c.table)}`)
  db.exec(`ALTER TABLE ${quoteIdent(temp)} RENAME TO ${quoteIdent(c.table)}`)
  for (const index of indexes) db.exec(index)
  if (c.on) {
    // The copy set the sequence to the highest id present; the caller raises it to any higher mark it knew.
    db.prepare('DELETE FROM sqlite_sequence WHERE name = ?').run(c.table)
    db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(c.table, highest)
  } else if (db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'`).get()) {
    db.prepare('DELETE FROM sqlite_sequence WHERE name = ?').run(c.table)
  }
}
