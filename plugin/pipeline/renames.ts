import type { DiscoveredModels } from '../model/discover.ts'
import { meta } from '../schema/meta.ts'
import { MigrateError } from '../core/errors.ts'
import type { PlanStep } from './plan.ts'
import { quoteIdent as quote } from '../core/sql.ts'

/**
 * Renames the models declare (`table(…, { renamedFrom })`, `column.renamedFrom(…)`). A schema diff
 * cannot tell a rename from a drop plus an add, and the drop loses the data, so the engine would
 * refuse it; these hints run as `ALTER TABLE … RENAME` inside the run's transaction before the
 * engine diffs, which then sees the data where the models want it. A hint applies while the old
 * name exists and the new one does not, so it can stay in the code after it has run.
 */
export interface RenameHint {
  kind: 'table' | 'column'
  /** The table the hint belongs to, by its (new) name. */
  table: string
  from: string
  to: string
  file: string
  line?: number
}

export interface Rename extends RenameHint {
  step: PlanStep
}

export function renameHints(models: DiscoveredModels): RenameHint[] {
  const hints: RenameHint[] = []
  const claimed = new Map<string, RenameHint>()
  /** Two models claiming the same old table (or two columns the same old column) cannot both get its rows. */
  const claim = (hint: RenameHint) => {
    const key = `${hint.kind}\u0000${hint.kind === 'column' ? hint.table.toLowerCase() : ''}\u0000${hint.from.toLowerCase()}`
    const other = claimed.get(key)
    if (other && other.to.toLowerCase() !== hint.to.toLowerCase()) {
      const place = (h: RenameHint) => `${h.file}${h.line ? `:${h.line}` : ''}`
      const what = hint.kind === 'table' ? `table ${hint.from}` : `column ${hint.table}.${hint.from}`
      throw new MigrateError('MODEL_INVALID', `${what} is claimed by two renamedFrom hints: ${other.to} in ${place(other)} and ${hint.to} in ${place(hint)}`, {
        location: { file: hint.file, ...(hint.line ? { line: hint.line } : {}) },
        hint: 'only one of them can receive its rows: remove the renamedFrom hint from the other',
      })
    }
    claimed.set(key, hint)
    hints.push(hint)
  }
  for (const entry of models.tables) {
    const m = meta(entry.table)
    const at = { file: entry.file, ...(m.definedAt ? { line: m.definedAt.line } : {}) }
    for (const from of [m.options.renamedFrom ?? []].flat()) claim({ kind: 'table', table: m.name, from, to: m.name, ...at })
    const columnNames = Object.entries(m.columns).map(([key, column]) => column.state.dbName ?? key)
    for (const [key, column] of Object.entries(m.columns)) {
      const to = column.state.dbName ?? key
      for (const from of column.state.renamedFrom ?? []) {
        // Renaming away from a column the model still has would empty it (or, for a swap, do nothing).
        const still = columnNames.find((name) => same(name, from) && !same(name, to))
        if (still) stillModelled(`column ${m.name}.${to}`, `column ${m.name}.${still}`, at)
        claim({ kind: 'column', table: m.name, from, to, ...at })
      }
    }
  }
  const tableFiles = new Map(models.tables.map((t) => [meta(t.table).name.toLowerCase(), t]))
  for (const hint of hints.filter((h) => h.kind === 'table' && !same(h.from, h.to))) {
    const other = tableFiles.get(hint.from.toLowerCase())
    if (other) stillModelled(`table ${hint.to}`, `table ${meta(other.table).name} (${other.file})`, hint)
  }
  return hints
}

function stillModelled(what: string, from: string, at: { file: string, line?: number }): never {
  throw new MigrateError('MODEL_INVALID', `${at.file}${at.line ? `:${at.line}` : ''}: ${what} says renamedFrom ${from.split(' (')[0]!.replace(/^(table|column) /, '')}, but the models still define ${from}`, {
    location: { file: at.file, ...(at.line ? { line: at.line } : {}) },
    hint: 'a rename moves the rows (or values) out of the old name: remove the old definition, or the renamedFrom hint',
  })
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()

/** What renames need to know about the live database; each target reads it in its own catalogue. */
export interface RenameCatalogue {
  tables: string[]
  columns(table: string): string[]
  /** Refuse a rename this database cannot follow (SQLite: a full-text table fed by the renamed table or column). */
  refuse?(hint: RenameHint, table: string, where: string): void
}

/** The hints that still have something to rename in the database, as steps with their SQL, tables first. */
export function applicableRenames(catalogue: RenameCatalogue, hints: RenameHint[], historyTable: string): Rename[] {
  const { tables } = catalogue
  const exists = (name: string) => tables.some((t) => same(t, name))
  const where = (h: RenameHint) => `${h.file}${h.line ? `:${h.line}` : ''}`
  const renames: Rename[] = []
  const refuseFullText = (h: RenameHint, table: string) => catalogue.refuse?.(h, table, where(h))
  // Where each model's table is now: under its old name until its own rename has run.
  const currentName = new Map<string, string>()
  for (const h of hints.filter((x) => x.kind === 'table')) {
    if (same(h.from, historyTable) || !exists(h.from)) continue
    if (same(h.from, h.to)) {
      // Only the case changes (users → Users). SQLite compares names without case, so it refuses a
      // direct rename ("there is already another table with this name"): go through a free name.
      const live = tables.find((t) => same(t, h.from))!
      if (live === h.to || live !== h.from) continue
      const temp = `_migrate_plugin_rename_${h.to}`
      const sql = `ALTER TABLE ${quote(live)} RENAME TO ${quote(temp)};\nALTER TABLE ${quote(temp)} RENAME TO ${quote(h.to)};`
      currentName.set(h.to.toLowerCase(), h.to)
      renames.push({ ...h, step: { kind: 'rename table', table: h.to, description: `rename table ${live} → ${h.to}`, file: h.file, sql: sql.split('\n') } })
      continue
    }
    refuseFullText(h, h.from)
    if (exists(h.to)) {
      throw new MigrateError('RENAME', `${where(h)}: table ${h.to} says renamedFrom '${h.from}', but both tables exist`, {
        hint: `move what you need from ${h.from} into ${h.to} and drop ${h.from}, or remove the renamedFrom hint; nothing was changed`,
      })
    }
    if (currentName.has(h.to.toLowerCase())) {
      throw new MigrateError('RENAME', `${where(h)}: table ${h.to} could be renamed from more than one existing table (${currentName.get(h.to.toLowerCase())}, ${h.from})`, {
        hint: 'keep only the renamedFrom name that exists; nothing was changed',
      })
    }
    currentName.set(h.to.toLowerCase(), h.from)
    const sql = `ALTER TABLE ${quote(h.from)} RENAME TO ${quote(h.to)};`
    renames.push({ ...h, step: { kind: 'rename table', table: h.to, description: `rename table ${h.from} → ${h.to}`, file: h.file, sql: [sql] } })
  }
  for (const h of hints.filter((x) => x.kind === 'column')) {
    const table = currentName.get(h.table.toLowerCase()) ?? h.table
    if (!exists(table)) continue
    // The catalogue was read before any rename ran: after a change of case only (users → Users), its
    // columns are under the live spelling, and PostgreSQL (unlike SQLite) tells the two apart.
    const columns = catalogue.columns(tables.includes(table) ? table : tables.find((t) => same(t, table))!)
    if (!columns.some((c) => same(c, h.from))) continue
    refuseFullText(h, table)
    if (same(h.from, h.to)) {
      // A change of case only (name → Name): SQLite renames a column to a case variant directly.
      const live = columns.find((c) => same(c, h.from))!
      if (live === h.to || live !== h.from) continue
      const sql = `ALTER TABLE ${quote(h.table)} RENAME COLUMN ${quote(live)} TO ${quote(h.to)};`
      renames.push({ ...h, step: { kind: 'rename column', table: h.table, description: `rename column ${h.table}.${live} → ${h.table}.${h.to}`, file: h.file, sql: [sql] } })
      continue
    }
    if (columns.some((c) => same(c, h.to))) {
      throw new MigrateError('RENAME', `${where(h)}: column ${h.table}.${h.to} says renamedFrom '${h.from}', but both columns exist`, {
        hint: `copy what you need from ${h.from} into ${h.to} and drop ${h.from} from the model and the table, or remove the renamedFrom hint; nothing was changed`,
      })
    }
    const sql = `ALTER TABLE ${quote(h.table)} RENAME COLUMN ${quote(h.from)} TO ${quote(h.to)};`
    renames.push({ ...h, step: { kind: 'rename column', table: h.table, description: `rename column ${h.table}.${h.from} → ${h.table}.${h.to}`, file: h.file, sql: [sql] } })
  }
  return renames
}
