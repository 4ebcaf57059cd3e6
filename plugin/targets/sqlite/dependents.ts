import type Database from 'better-sqlite3'
import { MigrateError } from '../../core/errors.ts'
import { quoteIdent } from '../../core/sql.ts'
import { escapeRegExp } from '../../core/regexp.ts'

/**
 * What a table rebuild takes with it. SQLite cannot ALTER most column changes, so the engine
 * rebuilds the table (new_t, copy, DROP TABLE t, rename) — and DROP TABLE silently removes the
 * table's triggers and every index the engine does not know about (indexes on expressions and
 * partial indexes: the engine ignores both, so it never recreates them). Views are worse: SQLite
 * checks every view while renaming new_t back to t and fails the whole change ("error in view v:
 * no such table: main.t"). None of these can be described by the models, so they are the user's,
 * and the run must hand them back unchanged:
 *
 * before the engine changes anything (inside the run's transaction), views and triggers are set
 * aside (dropped), and the user's own indexes, the AUTOINCREMENT high-water marks and the
 * full-text indexes fed from a table are remembered; after the engine's push, everything is
 * recreated from its original SQL, in its original order, in the same transaction. An object that
 * no longer fits (a trigger or view using a column the models removed) refuses the run, naming it.
 */
interface SchemaObject {
  type: 'view' | 'trigger' | 'index'
  name: string
  table: string
  sql: string
}

export interface Dependents {
  objects: SchemaObject[]
  /** sqlite_sequence: AUTOINCREMENT tables and the highest id they ever handed out. */
  sequences: Map<string, bigint>
  /** Full-text tables whose rows mirror another table's by rowid (content=…). */
  fullText: { name: string, content: string }[]
}

/** Indexes the engine does not manage: on an expression, or partial (WHERE). */
function userIndexes(db: Database.Database): SchemaObject[] {
  const rows = db.prepare(`SELECT name, tbl_name AS "table", sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY rowid`).all() as Omit<SchemaObject, 'type'>[]
  return rows
    .filter((index) => /\bWHERE\b/i.test(index.sql)
      || (db.prepare('SELECT 1 FROM pragma_index_xinfo(?) WHERE cid = -2 AND key = 1').get(index.name) !== undefined))
    .map((index) => ({ type: 'index', ...index }))
}

/** As bigints: a high-water mark above 2^53 must come back exactly, or an id could be handed out twice. */
function sequences(db: Database.Database): Map<string, bigint> {
  const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'`).get()
  if (!exists) return new Map()
  const rows = db.prepare('SELECT name, seq FROM sqlite_sequence').safeIntegers(true).all() as { name: string, seq: bigint }[]
  return new Map(rows.map((r) => [r.name, BigInt(r.seq)]))
}

export function fullTextTables(db: Database.Database): Dependents['fullText'] {
  const rows = db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'`).all() as { name: string, sql: string }[]
  const result: Dependents['fullText'] = []
  for (const row of rows) {
    if (!/\bUSING\s+fts[345]\b/i.test(row.sql)) continue
    const content = /\bcontent\s*=\s*(?:'((?:[^']|'')*)'|"((?:[^"]|"")*)"|([A-Za-z_][\w$]*))/i.exec(row.sql)
    const table = content?.[1]?.replace(/''/g, "'") ?? content?.[2]?.replace(/""/g, '"') ?? content?.[3]
    if (table) result.push({ name: row.name, content: table })
  }
  return result
}

/** Remember the user's objects and set views and triggers aside. Call inside the run's transaction. */
export function detachDependents(db: Database.Database): Dependents {
  const viewsAndTriggers = db.prepare(`SELECT type, name, tbl_name AS "table", sql FROM sqlite_master WHERE type IN ('view', 'trigger') AND sql IS NOT NULL ORDER BY rowid`).all() as SchemaObject[]
  const dependents: Dependents = { objects: [...viewsAndTriggers, ...userIndexes(db)], sequences: sequences(db), fullText: fullTextTables(db) }
  // Triggers first: a trigger may select from a view.
  for (const object of [...viewsAndTriggers].sort((a, b) => (a.type === b.type ? 0 : a.type === 'trigger' ? -1 : 1))) {
    db.exec(`DROP ${object.type === 'view' ? 'VIEW' : 'TRIGGER'} IF EXISTS ${quoteIdent(object.name)}`)
  }
  return dependents
}

const exists = (db: Database.Database, type: string, name: string) =>
  db.prepare('SELECT 1 FROM sqlite_master WHERE type = ? AND name = ?').get(type, name) !== undefined

/**
 * Recreate what detachDependents set aside or a rebuild dropped, keep every AUTOINCREMENT
 * high-water mark (a rebuilt table would otherwise restart from its highest remaining id and hand
 * out ids that deleted rows once had), and re-index full-text tables over rebuilt tables (a
 * rebuild may renumber rowids of tables without an INTEGER PRIMARY KEY).
 */
export function reattachDependents(db: Database.Database, dependents: Dependents, rebuilt: string[]): void {
  const failures: string[] = []
  // Views before triggers (a trigger body may use a view); each in the order it was first created.
  const order = (o: SchemaObject) => (o.type === 'view' ? 0 : o.type === 'trigger' ? 1 : 2)
  for (const object of [...dependents.objects].sort((a, b) => order(a) - order(b))) {
    if (exists(db, object.type, object.name)) continue
    // A trigger may sit on a view (INSTEAD OF): its view is recreated just before it.
    if (object.type !== 'view' && !exists(db, 'table', object.table) && !exists(db, 'view', object.table)) {
      failures.push(`${object.type} ${object.name} on ${object.table}, a table this change drops`)
      continue
    }
    try {
      db.exec(object.sql)
    } catch (error) {
      failures.push(`${object.type} ${object.name}: ${(error as Error).message}`)
      continue
    }
    // SQLite accepts a view or trigger that names a missing column and fails only when it is used
    // (or when the schema is next checked, as the engine's verifying read does): check it now.
    const problem = schemaProblem(db)
    if (problem) {
      failures.push(`${object.type} ${object.name}: ${problem.replace(/^error in \w+ [^:]+: /, '')}`)
      db.exec(`DROP ${object.type.toUpperCase()} ${quoteIdent(object.name)}`)
    }
  }
  if (failures.length > 0) {
    throw new MigrateError('GUARD_DEPENDENT_OBJECTS', `this change would break ${failures.length} object(s) the models do not describe: ${failures.join('; ')}`, {
      step: 'apply',
      hint: 'drop or rewrite them for the new schema first (or keep what they use in the models); nothing was changed',
    })
  }
  const now = sequences(db)
  for (const [table, seq] of dependents.sequences) {
    if (!now.has(table) && !exists(db, 'table', table)) continue
    if (!now.has(table)) {
      // A table that lost AUTOINCREMENT in this run has no sequence row, and must not get one back.
      if (!/\bAUTOINCREMENT\b/i.test(tableSql(db, table))) continue
      db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(table, seq)
    } else if ((now.get(table) ?? 0n) < seq) {
      db.prepare('UPDATE sqlite_sequence SET seq = ? WHERE name = ?').run(seq, table)
    }
  }
  const rebuiltSet = new Set(rebuilt.map((t) => t.toLowerCase()))
  for (const fts of dependents.fullText) {
    if (rebuiltSet.has(fts.content.toLowerCase()) && exists(db, 'table', fts.name)) {
      db.prepare(`INSERT INTO ${quoteIdent(fts.name)} (${quoteIdent(fts.name)}) VALUES ('rebuild')`).run()
    }
  }
}

/**
 * SQLite re-reads every view and trigger when a table is renamed, and names the first one that no
 * longer fits ("error in view v: no such column: age"): renaming a scratch table is the cheapest
 * way to ask it. The run's transaction holds the write lock, so the scratch table is ours alone.
 */
function schemaProblem(db: Database.Database): string | undefined {
  try {
    db.exec('CREATE TABLE "_migrate_plugin_probe" (x); ALTER TABLE "_migrate_plugin_probe" RENAME TO "_migrate_plugin_probe2"; DROP TABLE "_migrate_plugin_probe2"')
    return undefined
  } catch (error) {
    db.exec('DROP TABLE IF EXISTS "_migrate_plugin_probe"; DROP TABLE IF EXISTS "_migrate_plugin_probe2"')
    return (error as Error).message
  }
}

export function tableSql(db: Database.Database, table: string): string {
  return (db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table) as { sql: string } | undefined)?.sql ?? ''
}

/**
 * Plain indexes on a rebuilt table that the models no longer list: the engine does not recreate
 * them, and (unlike when no rebuild happens) says nothing about it. They are listed as steps so
 * that the plan says everything the run will change.
 */
export function indexesDroppedByRebuild(db: Database.Database, rebuilt: string[], script: string): { table: string, name: string }[] {
  const created = new Set([...script.matchAll(/CREATE (?:UNIQUE )?INDEX "((?:[^"]|"")+)"/g)].map((m) => m[1]!.replace(/""/g, '"')))
  const user = new Set(userIndexes(db).map((i) => i.name))
  const dropped: { table: string, name: string }[] = []
  for (const table of rebuilt) {
    const rows = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name`).all(table) as { name: string }[]
    for (const { name } of rows) if (!created.has(name) && !user.has(name)) dropped.push({ table, name })
  }
  return dropped
}

/** `CHECK (…)` clauses and `COLLATE` names in a CREATE TABLE (or INDEX) statement, balanced parentheses included. */
function tableClauses(sql: string): string[] {
  const clauses: string[] = []
  const check = /\bCHECK\s*\(/gi
  for (let m = check.exec(sql); m; m = check.exec(sql)) {
    let depth = 0
    let end = m.index + m[0].length - 1
    for (; end < sql.length; end++) {
      if (sql[end] === '(') depth++
      else if (sql[end] === ')' && --depth === 0) break
    }
    clauses.push(sql.slice(m.index, end + 1))
  }
  for (const m of sql.matchAll(/\bCOLLATE\s+("?)(\w+)\1/gi)) if (m[2]!.toUpperCase() !== 'BINARY') clauses.push(`COLLATE ${m[2]}`)
  return clauses
}

const normalized = (sql: string) => sql.replace(/\s+/g, ' ').replace(/"/g, '').toLowerCase()

/**
 * What a rebuild would drop: the engine rebuilds from the models, which cannot express a CHECK, a
 * collation, STRICT or WITHOUT ROWID, or a generated column, so one the user added by hand would
 * silently stop being enforced (or, for a generated column, disappear with its values).
 */
export function constraintsDroppedByRebuild(db: Database.Database, rebuilt: string[], script: string): { table: string, clause: string }[] {
  const dropped: { table: string, clause: string }[] = []
  for (const table of rebuilt) {
    const escaped = escapeRegExp(quoteIdent(`new_${table}`))
    const created = new RegExp(`CREATE TABLE ${escaped} \\([\\s\\S]*?\\n\\);`).exec(script)?.[0]
    if (!created) continue
    const after = normalized(created)
    const sql = tableSql(db, table)
    for (const clause of tableClauses(sql)) {
      if (!after.includes(normalized(clause))) dropped.push({ table, clause: clause.replace(/\s+/g, ' ') })
    }
    // Table options: STRICT (type enforcement) and WITHOUT ROWID, which the models cannot express.
    const options = /\)\s*((?:STRICT|WITHOUT\s+ROWID)(?:\s*,\s*(?:STRICT|WITHOUT\s+ROWID))*)\s*$/i.exec(sql)?.[1]
    for (const option of options?.split(',') ?? []) dropped.push({ table, clause: option.trim().replace(/\s+/g, ' ').toUpperCase() })
    // Generated columns: the engine neither reads nor writes them, so a rebuild loses them and their values.
    const generated = db.prepare('SELECT name FROM pragma_table_xinfo(?) WHERE hidden IN (2, 3)').all(table) as { name: string }[]
    for (const { name } of generated) dropped.push({ table, clause: `the generated column ${name}` })
    // An index the engine recreates under the same name, but without a collation it had (a unique
    // email index made case-insensitive by hand would start accepting duplicates that differ in case).
    const indexes = db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL`).all(table) as { name: string, sql: string }[]
    for (const index of indexes) {
      const recreated = new RegExp(`CREATE (?:UNIQUE )?INDEX ${escapeRegExp(quoteIdent(index.name))} ON [^;]*;`).exec(script)?.[0]
      if (!recreated) continue
      for (const clause of tableClauses(index.sql)) {
        if (!normalized(recreated).includes(normalized(clause))) dropped.push({ table, clause: `${clause} of index ${index.name}` })
      }
    }
  }
  return dropped
}
