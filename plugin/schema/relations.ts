import { MigrateError, type Location } from '../core/errors.ts'
import type { AnyColumn, AnyTable, ForeignKeyDef, IndexDef, ReferenceOptions, TableMeta } from '../model/dsl.ts'
import { TABLE } from '../model/dsl.ts'
import type { DiscoveredTable } from '../model/discover.ts'
import { camel, plural, upperFirst } from './names.ts'

/**
 * Foreign keys → Prisma relations: one relation field on each model, named as Prisma's docs name
 * them (`author User` on the post, `posts Post[]` on the user), and a relation name wherever two
 * relations join the same models (or a model to itself), which Prisma needs to tell them apart.
 */
export interface Relation {
  /** Table holding the foreign key. */
  from: DiscoveredTable
  /** Keys of the foreign key's columns on `from`, in order. */
  fields: string[]
  target: DiscoveredTable
  /** Keys of the referenced columns on `target`, in the same order. */
  references: string[]
  options: ReferenceOptions
  /** `messages.senderId`, or `messages (a, b)` for a foreign key over several columns: what error messages call it. */
  label: string
  forwardField: string
  backField: string
  name?: string
  /** Another relation joins the same models, or this one joins a model to itself: field names say which. */
  shared: boolean
  oneToOne: boolean
  /** Any of the columns may be NULL: the relation field is optional. */
  optional: boolean
}

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/

function meta(table: AnyTable): TableMeta {
  return table[TABLE]
}

function at(entry: DiscoveredTable): { text: string, location: Location } {
  const line = meta(entry.table).definedAt?.line
  return { text: line === undefined ? entry.file : `${entry.file}:${line}`, location: line === undefined ? { file: entry.file } : { file: entry.file, line } }
}

function fail(entry: DiscoveredTable, message: string, hint?: string): MigrateError {
  const { text, location } = at(entry)
  return new MigrateError('MODEL_INVALID', `${text}: ${message}`, { location, ...(hint ? { hint } : {}) })
}

export function planRelations(tables: DiscoveredTable[], modelNames: Map<AnyTable, string>): Map<AnyTable, Relation[]> {
  // By name, not identity: a model file imported by another one is a separate module instance.
  const byName = new Map<string, DiscoveredTable>(tables.map((t) => [meta(t.table).name, t]))
  const sorted = [...tables].sort((a, b) => meta(a.table).name.localeCompare(meta(b.table).name))
  const relations: Relation[] = []

  /** The referenced columns, all of one table that a model exports. */
  const resolveTarget = (entry: DiscoveredTable, label: string, read: () => unknown, count: number): { target: DiscoveredTable, keys: string[] } => {
    let value: unknown
    try {
      value = read()
    } catch (error) {
      throw fail(entry, `${label} references something that cannot be read: ${(error as Error).message}`, 'write .references(() => otherTable.id) with the other table imported')
    }
    const list = (Array.isArray(value) ? value : [value]) as (AnyColumn | undefined)[]
    if (list.length !== count) {
      throw fail(entry, `${label} has ${count} column(s) but references ${list.length}`, 'list as many referenced columns as the foreign key has, in the same order: foreignKey(t.a, t.b).references(() => [other.x, other.y])')
    }
    let target: DiscoveredTable | undefined
    const keys: string[] = []
    for (const column of list) {
      const table = column?.state?.table as AnyTable | undefined
      const found = table ? byName.get(meta(table).name) : undefined
      if (!column?.state || !table || !found || column.state.key === undefined) {
        const desc = table ? `table "${meta(table).name}"` : 'a column that belongs to no table()'
        throw fail(entry, `${label} references ${desc}, which no model in the model directory exports`, 'export the referenced table from a file in the model directory')
      }
      if (target && target !== found) {
        throw fail(entry, `${label} references columns of two tables ("${meta(target.table).name}" and "${meta(found.table).name}")`, 'a foreign key references columns of one table')
      }
      target = found
      keys.push(column.state.key)
    }
    return { target: target!, keys }
  }

  // The same columns given a foreign key twice (a repeated foreignKey() extra, or one beside the column's
  // own .references()) would become two identical constraints and a second relation field `order2`.
  const add = (entry: DiscoveredTable, r: Relation): void => {
    const twin = relations.find((o) => o.from === entry && o.fields.join('\u0000') === r.fields.join('\u0000'))
    if (twin) {
      throw fail(entry, `the columns ${meta(entry.table).name} (${r.fields.join(', ')}) are given a foreign key twice (${twin.label} and ${r.label})`, 'keep one: either .references() on the column or a foreignKey() in the extras, once')
    }
    relations.push(r)
  }

  for (const entry of sorted) {
    const m = meta(entry.table)
    for (const [key, column] of Object.entries(m.columns)) {
      const ref = column?.state?.references
      if (!ref) continue
      const label = `${m.name}.${key}`
      const { target, keys } = resolveTarget(entry, label, ref.target, 1)
      add(entry, relation(entry, [key], [column], target, keys, ref.options ?? {}, label))
    }
    for (const extra of m.extras) {
      if (extra?.kind !== 'foreignKey') continue
      const fk = extra as ForeignKeyDef
      const fields = foreignKeyColumns(entry, fk)
      const label = `${m.name} (${fields.map(([k]) => k).join(', ')})`
      if (!fk.target) {
        throw fail(entry, `the foreign key ${label} references nothing`, 'add the referenced columns: foreignKey(t.a, t.b).references(() => [other.x, other.y])')
      }
      const { target, keys } = resolveTarget(entry, `the foreign key ${label}`, fk.target.columns, fields.length)
      add(entry, relation(entry, fields.map(([k]) => k), fields.map(([, c]) => c), target, keys, fk.target.options ?? {}, label))
    }
  }
  nameRelations(relations, modelNames)
  nameFields(relations, modelNames)

  const result = new Map<AnyTable, Relation[]>()
  for (const r of relations) {
    for (const t of [r.from.table, r.target.table]) {
      const list = result.get(t) ?? []
      if (!list.includes(r)) list.push(r)
      result.set(t, list)
    }
  }
  return result
}

function foreignKeyColumns(entry: DiscoveredTable, fk: ForeignKeyDef): [string, AnyColumn][] {
  const m = meta(entry.table)
  const columns = Array.isArray(fk.columns) ? fk.columns : []
  if (columns.length === 0) throw fail(entry, `a foreign key of table "${m.name}" has no columns`, 'list this table\'s columns: foreignKey(t.a, t.b)')
  const seen = new Set<string>()
  return columns.map((column) => {
    const key = column?.state?.key
    if (!key || column.state.table !== entry.table) {
      throw fail(entry, `a foreign key of table "${m.name}" lists a column of another table`, 'list this table\'s own columns: (t) => [foreignKey(t.a, t.b).references(…)]')
    }
    if (seen.has(key)) throw fail(entry, `a foreign key of table "${m.name}" lists ${key} twice`)
    seen.add(key)
    return [key, column]
  })
}

function relation(from: DiscoveredTable, fields: string[], columns: AnyColumn[], target: DiscoveredTable, references: string[], options: ReferenceOptions, label: string): Relation {
  const m = meta(from.table)
  const sameSet = (keys: string[]) => keys.length === fields.length && keys.every((k) => fields.includes(k))
  // One-to-one when the foreign key's columns are unique on their own: Prisma then wants `Model?`, not a list.
  const oneToOne = (fields.length === 1 && (columns[0]!.state.unique || columns[0]!.state.primaryKey))
    || m.extras.some((e) => (e?.kind === 'unique' || e?.kind === 'primaryKey') && sameSet(((e as IndexDef).columns ?? []).map((c) => c?.state?.key ?? '')))
  return {
    from, fields, target, references, options, label,
    forwardField: '', backField: '', shared: false, oneToOne,
    optional: columns.some((c) => !c.state.notNull),
  }
}

/** Two relations between one pair of models (or a model and itself) need names; a user's name is used as given. */
function nameRelations(relations: Relation[], modelNames: Map<AnyTable, string>): void {
  const pairKey = (r: Relation) => [modelNames.get(r.from.table)!, modelNames.get(r.target.table)!].sort().join('\u0000')
  const pairs = new Map<string, Relation[]>()
  for (const r of relations) pairs.set(pairKey(r), [...(pairs.get(pairKey(r)) ?? []), r])
  for (const group of pairs.values()) {
    const taken = new Map<string, Relation>()
    for (const r of group) {
      const wanted = r.options.relationName
      if (wanted === undefined) continue
      if (typeof wanted !== 'string' || !IDENTIFIER.test(wanted)) {
        throw fail(r.from, `${r.label}: relationName ${JSON.stringify(wanted)} is not a name`, 'use letters, digits and underscores, starting with a letter, e.g. relationName: \'SentMessages\'')
      }
      const other = taken.get(wanted.toLowerCase())
      if (other) {
        throw fail(r.from, `${r.label} and ${other.label} both use the relationName "${wanted}"`, 'give each relation between the same two tables its own relationName')
      }
      taken.set(wanted.toLowerCase(), r)
      r.name = wanted
    }
    const self = group[0]!.from.table === group[0]!.target.table
    if (group.length < 2 && !self) continue
    for (const r of group) {
      r.shared = true
      if (r.name !== undefined) continue
      const base = `${meta(r.from.table).name}_${r.fields.join('_')}`
      let name = base
      for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${base}_${n}`
      taken.set(name.toLowerCase(), r)
      r.name = name
    }
  }
}

/**
 * Relation fields: names the user chose first (a clash with another field is an error), then the
 * generated ones, which step aside from every name already on the model with a number.
 */
function nameFields(relations: Relation[], modelNames: Map<AnyTable, string>): void {
  const fieldsOf = new Map<AnyTable, Map<string, string>>()
  const fields = (t: AnyTable) => {
    let map = fieldsOf.get(t)
    if (!map) {
      map = new Map(Object.keys(meta(t).columns).map((k) => [k.toLowerCase(), `the column ${k}`]))
      fieldsOf.set(t, map)
    }
    return map
  }
  const claim = (r: Relation, t: AnyTable, name: unknown, option: string) => {
    if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
      throw fail(r.from, `${r.label}: ${option} ${JSON.stringify(name)} is not a field name`, 'use letters, digits and underscores, starting with a letter')
    }
    const map = fields(t)
    const other = map.get(name.toLowerCase())
    if (other) {
      throw fail(r.from, `${r.label}: ${option} "${name}" is already ${other} of model ${modelNames.get(t)}`, `pick another ${option}`)
    }
    map.set(name.toLowerCase(), `the relation field of ${r.label}`)
    return name
  }
  const generated = (r: Relation, t: AnyTable, wanted: string) => {
    const map = fields(t)
    let name = wanted
    for (let n = 2; map.has(name.toLowerCase()); n++) name = `${wanted}${n}`
    map.set(name.toLowerCase(), `the relation field of ${r.label}`)
    return name
  }
  for (const r of relations) {
    if (r.options.field !== undefined) r.forwardField = claim(r, r.from.table, r.options.field, 'field')
    if (r.options.backref !== undefined) r.backField = claim(r, r.target.table, r.options.backref, 'backref')
  }
  for (const r of relations) {
    if (r.forwardField === '') {
      const key = r.fields[0]!
      const stripped = key.replace(/_?(Id|ID|id)$/, '')
      const wanted = r.fields.length > 1
        ? camel(modelNames.get(r.target.table)!)
        : stripped && stripped !== key ? stripped : `${key}Ref`
      r.forwardField = generated(r, r.from.table, wanted)
    }
    if (r.backField === '') {
      const fromModel = modelNames.get(r.from.table)!
      const base = r.oneToOne ? camel(fromModel) : camel(plural(fromModel))
      r.backField = generated(r, r.target.table, r.shared ? `${base}By${upperFirst(r.forwardField)}` : base)
    }
  }
}
