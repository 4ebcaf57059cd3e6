import { IDENTIFIER, nameProblem } from '../schema/identifiers.ts'
import { RESERVED_MODEL_NAMES, camel, modelNameFor, upperFirst } from '../schema/names.ts'
import type { Catalogue, CatalogueColumn, CatalogueTable } from './catalogue.ts'
import { tsString } from './render.ts'

/**
 * The catalogue in the model DSL's terms: per table, the column builders, keys, indexes and
 * foreign keys a model needs for the engine's diff to find nothing; or why no model can say it.
 * The type and default rules are the engine's, measured (test/pull.test.ts pins them): it
 * compares a column's type family, not its declared text, so NVARCHAR(200) is text() and
 * NUMERIC(10,2) is decimal(); a type it has no family for (SMALLINT, money, none) only matches
 * Prisma's Unsupported("…") with the same text in lower case.
 */

export type Builder = 'int' | 'bigint' | 'text' | 'real' | 'decimal' | 'boolean' | 'datetime' | 'json' | 'bytes' | 'unsupported'

export interface ColumnModel {
  key: string
  name: string
  builder: Builder
  declaredType: string
  notNull: boolean
  primaryKey: boolean
  autoIncrement: boolean
  /** DSL source for the default call (`.default(3)`, `.defaultNow()`), or ''. */
  defaultCall: string
  references?: { table: string, column: string, onDelete: string, onUpdate: string }
  /** --enums: the enum a CHECK (x IN (…)) on a text column made of it. */
  enumType?: { exportName: string, name: string, values: string[] }
}

export interface ExtraModel {
  kind: 'index' | 'unique' | 'primaryKey' | 'foreignKey'
  columns: string[]
  name?: string
  references?: { table: string, columns: string[], onDelete: string, onUpdate: string }
}

export interface TableModel {
  table: string
  /** The exported constant. */
  exportName: string
  /** Set only where the generated Prisma model name would clash or is reserved. */
  modelName?: string
  columns: ColumnModel[]
  extras: ExtraModel[]
  /** What the model does not say and the database keeps (CHECK, COLLATE, triggers, …). */
  notes: string[]
}

export interface Unmodelled {
  table: string
  reasons: string[]
}

export interface PullDescription {
  models: TableModel[]
  unmodelled: Unmodelled[]
  /** Views, virtual tables: the database keeps them; no model describes them. */
  skipped: string[]
}

const AUTOINCREMENT = /\bAUTOINCREMENT\b/i
/** The declared types Prisma itself writes: no note needed. */
const PRISMA_DECLARED = new Set(['INTEGER', 'TEXT', 'REAL', 'BLOB', 'BIGINT', 'BOOLEAN', 'DATETIME', 'DECIMAL', 'JSONB'])

/** The engine's type family for a declared type (its SQLite describer, lower-cased), as a DSL builder. */
export function builderFor(declared: string): Builder {
  const t = declared.toLowerCase()
  if (t === 'int' || t === 'integer' || t === 'serial') return 'int'
  if (t === 'bigint') return 'bigint'
  if (t === 'real' || t === 'float' || t === 'double') return 'real'
  if (t === 'boolean') return 'boolean'
  if (t === 'text' || t.includes('char')) return 'text'
  if (t.includes('numeric') || t.includes('decimal')) return 'decimal'
  if (t === 'date' || t === 'datetime' || t === 'timestamp') return 'datetime'
  if (t === 'binary' || t === 'blob') return 'bytes'
  if (t === 'jsonb') return 'json'
  return 'unsupported'
}

/** A quoted SQL string literal's text, or undefined. */
function stringLiteral(sql: string): string | undefined {
  const m = /^'((?:[^']|'')*)'$/s.exec(sql) ?? /^"((?:[^"]|"")*)"$/s.exec(sql)
  if (!m) return undefined
  return sql.startsWith("'") ? m[1]!.replace(/''/g, "'") : m[1]!.replace(/""/g, '"')
}

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)$/

/** The DSL call for a column default, or a reason it cannot be written so the diff stays empty. */
export function defaultCall(builder: Builder, raw: string | null): { call: string } | { problem: string } {
  if (raw === null) return { call: '' }
  let sql = raw.trim()
  if (/^null$/i.test(sql)) return { call: '' }
  if (builder === 'unsupported') {
    if (/["\\\u0000`$]/.test(sql)) return { problem: `its default ${raw} has characters an SQL default in a model cannot carry` }
    return { call: `.default(sql\`${sql}\`)` }
  }
  while (/^\(.*\)$/s.test(sql) && builder !== 'text') sql = sql.slice(1, -1).trim()
  const text = stringLiteral(sql)
  switch (builder) {
    case 'int':
    case 'bigint': {
      const v = text ?? sql
      if (/^[-+]?\d+$/.test(v) && Number.isSafeInteger(Number(v))) return { call: `.default(${Number(v)})` }
      break
    }
    case 'real': {
      const v = text ?? sql
      if (NUMBER.test(v) && Number.isFinite(Number(v))) return { call: `.default(${Number(v)})` }
      break
    }
    case 'decimal': {
      const v = text ?? sql
      if (NUMBER.test(v)) {
        const plain = v.replace(/^\+/, '').replace(/^(-?)\./, '$10.').replace(/\.$/, '')
        return { call: `.default(${tsString(plain)})` }
      }
      break
    }
    case 'boolean': {
      const v = (text ?? sql).toLowerCase()
      if (v === 'true' || v === '1') return { call: '.default(true)' }
      if (v === 'false' || v === '0') return { call: '.default(false)' }
      break
    }
    case 'text':
      if (text !== undefined && !text.includes('\u0000')) return { call: `.default(${tsString(text)})` }
      if (NUMBER.test(sql)) return { call: `.default(${tsString(sql)})` }
      break
    case 'datetime': {
      const word = sql.replace(/\s+/g, ' ').toUpperCase()
      if (word === 'CURRENT_TIMESTAMP' || word === "DATETIME('NOW')") return { call: '.defaultNow()' }
      if (word === 'CURRENT_DATE' || word === 'CURRENT_TIME') return { call: `.default(sql\`${word}\`)` }
      break
    }
    default:
      break
  }
  return { problem: `the default ${raw} of a ${builder}() column has no model form that keeps it as it is` }
}

/** The options after CREATE TABLE's closing parenthesis: `STRICT`, `WITHOUT ROWID`, or both. */
function tableOptions(sql: string): { strict: boolean, withoutRowid: boolean } {
  const tail = /\)\s*((?:STRICT|WITHOUT\s+ROWID)(?:\s*,\s*(?:STRICT|WITHOUT\s+ROWID))*)\s*;?\s*$/i.exec(sql)?.[1] ?? ''
  return { strict: /STRICT/i.test(tail), withoutRowid: /WITHOUT/i.test(tail) }
}

/** A single-column INTEGER primary key is SQLite's rowid: never NULL, whatever table_info says. */
function isRowidAlias(table: CatalogueTable): boolean {
  const pk = table.columns.filter((c) => c.pk > 0)
  return pk.length === 1 && pk[0]!.type.toUpperCase() === 'INTEGER' && !tableOptions(table.sql).withoutRowid
}

function action(sqlAction: string): string {
  return sqlAction.toLowerCase()
}

const JS_WORDS = new Set(['break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield', 'let', 'static', 'implements', 'interface', 'package', 'private', 'protected', 'public', 'await', 'arguments', 'eval', 'undefined', 'NaN', 'Infinity'])
/** Names a model file imports from migrate-plugin/model: a table export must not shadow them. */
export const DSL_NAMES = new Set(['table', 'int', 'bigint', 'text', 'real', 'decimal', 'boolean', 'datetime', 'json', 'bytes', 'unsupported', 'index', 'unique', 'primaryKey', 'foreignKey', 'sql'])

function exportNameFor(table: string, taken: Set<string>): string {
  let base = camel(table.replace(/^[^A-Za-z]+/, ''))
  if (!IDENTIFIER.test(base)) base = 'table'
  if (JS_WORDS.has(base) || DSL_NAMES.has(base)) base = `${base}Table`
  let name = base
  for (let n = 2; taken.has(name); n++) name = `${base}${n}`
  taken.add(name)
  return name
}

export function describeCatalogue(catalogue: Catalogue, options: { enums?: boolean } = {}): PullDescription {
  const byName = new Map(catalogue.tables.map((t) => [t.name, t]))
  const reasons = new Map<string, string[]>()
  const reason = (table: string, why: string) => reasons.set(table, [...(reasons.get(table) ?? []), why])

  for (const t of catalogue.tables) {
    const nameIssue = nameProblem(t.name, 'sqlite', 'table')
    if (nameIssue) reason(t.name, `its name ${JSON.stringify(t.name)} cannot be a model's table name (${nameIssue})`)
    for (const c of t.columns) {
      const issue = nameProblem(c.name, 'sqlite', 'column')
      if (issue) reason(t.name, `column ${JSON.stringify(c.name)} cannot be named in a model (${issue})`)
      if (c.generated) reason(t.name, `column ${c.name} is generated (computed) by SQLite, which a model cannot say, and a table rebuild would lose`)
      if (builderFor(c.type) === 'unsupported' && /["\\\u0000]/.test(c.type)) reason(t.name, `column ${c.name} is declared ${c.type}, with characters unsupported() cannot carry`)
      const d = defaultCall(builderFor(c.type), c.default)
      if ('problem' in d) reason(t.name, `column ${c.name}: ${d.problem}`)
    }
    const pk = t.columns.filter((c) => c.pk > 0)
    // Prisma can neither key nor relate on an Unsupported("…") field.
    for (const c of pk) if (builderFor(c.type) === 'unsupported') reason(t.name, `its primary key column ${c.name} is declared ${c.type || 'without a type'}, a type Prisma has none for, and a model's key needs one`)
    for (const fk of t.foreignKeys) {
      for (const name of fk.columns) {
        const c = t.columns.find((x) => x.name === name)
        if (c && builderFor(c.type) === 'unsupported') reason(t.name, `its foreign key column ${c.name} is declared ${c.type || 'without a type'}, a type Prisma has none for, and a relation needs one`)
      }
    }
    if (pk.length === 0) reason(t.name, 'it has no primary key, and every model needs one (adding it would rebuild the table)')
    if (!isRowidAlias(t)) {
      for (const c of pk) {
        if (!c.notNull) reason(t.name, `its primary key column ${c.name} may hold NULL (SQLite allows that outside an INTEGER PRIMARY KEY) and a model's key is NOT NULL: the first apply would rebuild the table to add it. Make it NOT NULL yourself (after checking no row has NULL there), then pull again`)
      }
    }
    for (const i of t.indexes) {
      if (i.partial) reason(t.name, `index ${i.name} is partial (WHERE …), which a model cannot say`)
      if (i.columns.some((c) => c === null)) reason(t.name, `index ${i.name} is on an expression, which a model cannot say`)
      if (i.ordered && i.origin !== 'u') reason(t.name, `index ${i.name} has DESC or COLLATE keys, which a model cannot say`)
      // Measured: the engine wants such an index replaced by a named one, and SQLite cannot drop it.
      if (i.origin === 'u') reason(t.name, `its UNIQUE (${i.columns.join(', ')}) is a constraint inside CREATE TABLE, which a model cannot say (a model's unique() is a named CREATE UNIQUE INDEX, and SQLite cannot drop the constraint's own index)`)
    }
  }
  // A foreign key needs its target modelled, and a target Prisma can relate to (its key or a unique set).
  for (let changed = true; changed;) {
    changed = false
    for (const t of catalogue.tables) {
      if (reasons.has(t.name)) continue
      for (const fk of t.foreignKeys) {
        const target = byName.get(fk.table) ?? [...byName.values()].find((x) => x.name.toLowerCase() === fk.table.toLowerCase())
        let why: string | undefined
        if (!target) why = `its foreign key (${fk.columns.join(', ')}) refers to ${fk.table}, which is not a table here`
        else if (reasons.has(target.name)) why = `its foreign key (${fk.columns.join(', ')}) refers to ${target.name}, which is left unmodelled`
        else {
          const to = resolveTargets(fk.to, target)
          if (!to) why = `its foreign key (${fk.columns.join(', ')}) → ${target.name} names columns ${target.name} does not have`
          else if (!isUniqueSet(target, to)) why = `its foreign key (${fk.columns.join(', ')}) → ${target.name} (${to.join(', ')}) does not point at a primary key or unique set, which a relation needs`
          else {
            for (let i = 0; i < fk.columns.length; i++) {
              const from = t.columns.find((c) => c.name === fk.columns[i])
              const into = target.columns.find((c) => c.name === to[i])
              if (!from || !into) continue
              const a = builderFor(from.type)
              const b = builderFor(into.type)
              if (a !== b || (a === 'unsupported' && from.type.toLowerCase() !== into.type.toLowerCase())) {
                why = `its foreign key column ${from.name} (${from.type || 'no type'}) and ${target.name}.${into.name} (${into.type || 'no type'}) are not the same type, which a relation needs`
              }
            }
          }
        }
        if (why) {
          reason(t.name, why)
          changed = true
          break
        }
      }
    }
  }

  const taken = new Set<string>()
  const exportNames = new Map<string, string>()
  for (const t of catalogue.tables) if (!reasons.has(t.name)) exportNames.set(t.name, exportNameFor(t.name, taken))
  const modelNamesUsed = new Map<string, number>()
  for (const t of catalogue.tables) if (!reasons.has(t.name)) modelNamesUsed.set(modelNameFor(t.name).toLowerCase(), (modelNamesUsed.get(modelNameFor(t.name).toLowerCase()) ?? 0) + 1)

  const models: TableModel[] = []
  for (const t of catalogue.tables) {
    if (reasons.has(t.name)) continue
    const generated = modelNameFor(t.name)
    const clash = (modelNamesUsed.get(generated.toLowerCase()) ?? 0) > 1 || RESERVED_MODEL_NAMES.has(generated)
    models.push(modelOf(t, byName, exportNames, clash ? `${upperFirst(camel(t.name))}Table` : undefined, catalogue))
  }
  if (options.enums) inferEnums(models, catalogue, taken)
  return {
    models,
    unmodelled: [...reasons].map(([table, why]) => ({ table, reasons: why })),
    skipped: [...catalogue.views.map((v) => `view ${v}`), ...catalogue.virtual.map((v) => `virtual table ${v}`), ...catalogue.bookkeeping.map((b) => `${b} (Prisma Migrate's history)`)],
  }
}

function resolveTargets(to: (string | null)[], target: CatalogueTable): string[] | undefined {
  if (to.every((c) => c === null)) {
    const pk = target.columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name)
    return pk.length === to.length ? pk : undefined
  }
  if (to.some((c) => c === null || !target.columns.some((x) => x.name === c))) return undefined
  return to as string[]
}

function isUniqueSet(target: CatalogueTable, columns: string[]): boolean {
  const same = (set: string[]) => set.length === columns.length && set.every((c) => columns.includes(c))
  const pk = target.columns.filter((c) => c.pk > 0).map((c) => c.name)
  if (same(pk)) return true
  return target.indexes.some((i) => i.unique && !i.partial && same(i.columns.filter((c): c is string => c !== null)))
}

function modelOf(t: CatalogueTable, byName: Map<string, CatalogueTable>, exportNames: Map<string, string>, modelName: string | undefined, catalogue: Catalogue): TableModel {
  const pk = t.columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk)
  const single = pk.length === 1 ? pk[0]! : undefined
  const autoIncrement = !!single && isRowidAlias(t) && AUTOINCREMENT.test(t.sql.replace(/'(?:[^']|'')*'/g, "''"))
  const extras: ExtraModel[] = []
  if (pk.length > 1) extras.push({ kind: 'primaryKey', columns: pk.map((c) => c.name) })
  // Named, so that the engine finds the index it would create already there.
  for (const i of t.indexes) if (i.origin === 'c') extras.push({ kind: i.unique ? 'unique' : 'index', columns: i.columns as string[], name: i.name })
  const fkByColumn = new Map<string, ColumnModel['references']>()
  for (const fk of t.foreignKeys) {
    const target = byName.get(fk.table) ?? [...byName.values()].find((x) => x.name.toLowerCase() === fk.table.toLowerCase())!
    const to = resolveTargets(fk.to, target)!
    const actions = { onDelete: action(fk.onDelete), onUpdate: action(fk.onUpdate) }
    if (fk.columns.length === 1 && !fkByColumn.has(fk.columns[0]!)) fkByColumn.set(fk.columns[0]!, { table: target.name, column: to[0]!, ...actions })
    else extras.push({ kind: 'foreignKey', columns: fk.columns, references: { table: target.name, columns: to, ...actions } })
  }
  const columns = t.columns.map((c: CatalogueColumn): ColumnModel => {
    const builder = builderFor(c.type)
    const d = defaultCall(builder, c.default) as { call: string }
    const references = fkByColumn.get(c.name)
    return {
      key: c.name,
      name: c.name,
      builder,
      declaredType: c.type,
      notNull: c.notNull || (c.pk > 0 && (pk.length > 1 || !isRowidAlias(t))),
      primaryKey: single === c,
      autoIncrement: single === c && autoIncrement,
      defaultCall: d.call,
      ...(references ? { references } : {}),
    }
  })
  return { table: t.name, exportName: exportNames.get(t.name)!, ...(modelName ? { modelName } : {}), columns, extras, notes: notesFor(t, catalogue) }
}

/** What the database keeps that the model does not say: said in the file, so nobody is surprised. */
function notesFor(t: CatalogueTable, catalogue: Catalogue): string[] {
  const notes: string[] = []
  const body = t.sql.replace(/'(?:[^']|'')*'/g, "''")
  const checks = body.match(/\bCHECK\s*\(/gi)?.length ?? 0
  if (checks > 0) notes.push(`${checks} CHECK constraint(s): SQLite keeps enforcing them, but a model cannot say them: a change that rebuilds this table lists them as something it would lose, and applies only once you accept that.`)
  if (/\bCOLLATE\b/i.test(body)) notes.push('COLLATE clause(s): kept by SQLite, not said by the model: a change that rebuilds this table lists them as something it would lose, and applies only once you accept that.')
  const { strict, withoutRowid } = tableOptions(body)
  if (withoutRowid || strict) notes.push(`${[strict ? 'STRICT' : '', withoutRowid ? 'WITHOUT ROWID' : ''].filter(Boolean).join(', ')}: kept by SQLite, not said by the model; a change that would rebuild this table is refused, since the rebuild would drop it.`)
  const triggers = catalogue.triggers.filter((x) => x.table === t.name).map((x) => x.name)
  if (triggers.length > 0) notes.push(`trigger(s) ${triggers.join(', ')}: kept in the database (a table rebuild puts them back), not part of the model.`)
  const unsupported = t.columns.filter((c) => builderFor(c.type) === 'unsupported')
  if (unsupported.length > 0) {
    notes.push(`${unsupported.map((c) => `${c.name} (${c.type === '' ? 'no declared type' : c.type})`).join(', ')}: a type Prisma has no type for, kept as unsupported(); Prisma Client does not read or write ${unsupported.length === 1 ? 'it' : 'them'}. Change to int(), text(), … to have the client see it (one table rebuild; the values are kept).`)
    const blocking = unsupported.filter((c) => c.notNull && (c.default === null || /^null$/i.test(c.default.trim())))
    if (blocking.length > 0) notes.push(`${blocking.map((c) => c.name).join(', ')}: required with no default, so Prisma Client cannot create rows of this table until ${blocking.length === 1 ? 'it gets' : 'they get'} a type Prisma has.`)
  }
  const legacy = t.columns.filter((c) => builderFor(c.type) !== 'unsupported' && c.type !== '' && !PRISMA_DECLARED.has(c.type.toUpperCase()))
  if (legacy.length > 0) {
    notes.push(`declared ${legacy.map((c) => `${c.name} ${c.type}`).join(', ')}: the model's types match them as they are; a change that rebuilds this table declares them as Prisma does (INTEGER, TEXT, DECIMAL, DATETIME, …), the values kept.`)
  }
  return notes
}

/**
 * --enums: a text column whose table has `CHECK (column IN ('a', 'b'))` becomes an enumType() with
 * those values. Measured: the engine reads a SQLite enum column as the TEXT it is, so the diff stays
 * empty; the CHECK stays in the database. Values that are not identifiers (Sakila's 'PG-13') cannot
 * be enum values in Prisma, and such a column stays text(), said in the file.
 */
function inferEnums(models: TableModel[], catalogue: Catalogue, taken: Set<string>): void {
  const prismaNames = new Set(models.map((m) => (m.modelName ?? modelNameFor(m.table)).toLowerCase()))
  for (const model of models) {
    const sql = catalogue.tables.find((t) => t.name === model.table)?.sql ?? ''
    for (const column of model.columns) {
      if (column.builder !== 'text' || column.references) continue
      const values = checkedValues(sql, column.name)
      if (!values) continue
      if (values.length === 0 || values.some((v) => !IDENTIFIER.test(v)) || new Set(values).size !== values.length) {
        model.notes.push(`--enums: ${column.name} is checked against ${values.map((v) => `'${v}'`).join(', ')}, which cannot all be enum values (letters, digits and underscores, starting with a letter), so it stays text().`)
        continue
      }
      if (column.defaultCall && !values.some((v) => column.defaultCall === `.default(${tsString(v)})`)) continue
      let name = `${upperFirst(camel(model.table))}${upperFirst(camel(column.name))}`
      for (let n = 2; prismaNames.has(name.toLowerCase()) || RESERVED_MODEL_NAMES.has(name); n++) name = `${upperFirst(camel(model.table))}${upperFirst(camel(column.name))}${n}`
      prismaNames.add(name.toLowerCase())
      let exportName = `${model.exportName}${upperFirst(camel(column.name))}`
      for (let n = 2; taken.has(exportName); n++) exportName = `${model.exportName}${upperFirst(camel(column.name))}${n}`
      taken.add(exportName)
      column.enumType = { exportName, name, values }
    }
  }
}

/** The values of a `CHECK (column IN ('a', 'b'))` on `column` in a CREATE TABLE, if it has one. */
function checkedValues(sql: string, column: string): string[] | undefined {
  const quoted = [column, `"${column}"`, `[${column}]`, `\`${column}\``].map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')
  const m = new RegExp(`CHECK\\s*\\(\\s*(?:${quoted})\\s+IN\\s*\\(((?:\\s*'(?:[^']|'')*'\\s*,?)+)\\)\\s*\\)`, 'i').exec(sql)
  if (!m) return undefined
  return [...m[1]!.matchAll(/'((?:[^']|'')*)'/g)].map((v) => v[1]!.replace(/''/g, "'"))
}
