import { Column, TABLE, foreignKey, index, primaryKey, unique, enumType, type AnyColumn, type AnyTable, type ColumnState, type EnumType, type ForeignKeyDef, type IndexDef, type ReferenceOptions, type TableExtra, type TableMeta } from './dsl.ts'
import type { DiscoveredModels } from './discover.ts'

/**
 * Discovered models as plain data, so they can cross from the loader worker to the pipeline:
 * the DSL objects hold closures (`references(() => users.id)`) and point at each other, which
 * structured clone cannot carry. Tables, columns and enums become numbered entries; a reference
 * is resolved (by calling its closure) to the column it names, or to the error it threw.
 */
export interface WireModels extends Omit<DiscoveredModels, 'tables'> {
  discovered: { table: number, file: string, exportName: string }[]
  tables: WireTable[]
  columns: WireColumn[]
  enums: { name: string, values: string[] }[]
}

interface WireTable {
  name: string
  options: unknown
  definedAt?: { file: string, line: number }
  /** Column index, or the value itself when the entry is not a column (the generator reports it). */
  columns: [string, { column: number } | { value: unknown }][]
  extras: WireExtra[]
}

type WireValue = { column: number } | { value: unknown }

interface WireExtra {
  kind: TableExtra['kind']
  name?: string
  columns: (number | null)[]
  /** A foreign key's referenced columns: one value, a list, or the error its closure threw. */
  target?: { one: WireValue } | { list: WireValue[] } | { error: string }
  options?: unknown
}

interface WireColumn {
  state: Record<string, unknown>
  table?: number
  key?: string
  enumType?: number
  references?: { target: { column: number } | { error: string } | { value: unknown }, options: unknown }
}

export function toWire(models: DiscoveredModels): { wire: WireModels, lossy: boolean } {
  // Set when a value had to be replaced by its description: the copy may then pass a check the
  // original fails, so the caller checks the originals instead.
  let lossy = false
  /** Values the generator only validates or prints: anything structured clone refuses becomes its description. */
  const cloneable = (value: unknown): unknown => {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol')) return value
    try {
      return structuredClone(value)
    } catch {
      lossy = true
      return typeof value === 'function' ? `[function ${(value as { name?: string }).name || 'anonymous'}]` : String(value)
    }
  }
  const tableIds = new Map<AnyTable, number>()
  const columnIds = new Map<AnyColumn, number>()
  const enumIds = new Map<EnumType, number>()
  const tables: WireTable[] = []
  const columns: WireColumn[] = []
  const enums: WireModels['enums'] = []
  const isColumn = (value: unknown): value is AnyColumn => value instanceof Object && (value as AnyColumn).state !== undefined && typeof (value as AnyColumn).state === 'object'

  const enumId = (e: EnumType): number => {
    let id = enumIds.get(e)
    if (id === undefined) {
      id = enums.push({ name: String(e.name), values: [...(e.values ?? [])].map(String) }) - 1
      enumIds.set(e, id)
    }
    return id
  }
  const columnId = (column: AnyColumn): number => {
    let id = columnIds.get(column)
    if (id !== undefined) return id
    const wire: WireColumn = { state: {} }
    id = columns.push(wire) - 1
    columnIds.set(column, id)
    const { table, key, references, enumType: enumOf, ...plain } = column.state as ColumnState
    for (const [k, v] of Object.entries(plain)) wire.state[k] = cloneable(v)
    if (table && (table as AnyTable)[TABLE]) wire.table = tableId(table)
    if (key !== undefined) wire.key = key
    if (typeof enumOf === 'function') wire.enumType = enumId(enumOf)
    if (references) {
      let target: NonNullable<WireColumn['references']>['target']
      try {
        const value = typeof references.target === 'function' ? references.target() : references.target
        target = isColumn(value) ? { column: columnId(value) } : { value: cloneable(value) }
      } catch (error) {
        target = { error: error instanceof Error ? error.message : String(error) }
      }
      wire.references = { target, options: cloneable(references.options) }
    }
    return id
  }
  const tableId = (table: AnyTable): number => {
    let id = tableIds.get(table)
    if (id !== undefined) return id
    const meta = table[TABLE]
    const wire: WireTable = { name: meta.name, options: cloneable(meta.options), columns: [], extras: [] }
    if (meta.definedAt) wire.definedAt = { file: meta.definedAt.file, line: meta.definedAt.line }
    id = tables.push(wire) - 1
    tableIds.set(table, id)
    for (const [key, column] of Object.entries(meta.columns ?? {})) {
      wire.columns.push([key, isColumn(column) ? { column: columnId(column) } : { value: cloneable(column) }])
    }
    for (const extra of Array.isArray(meta.extras) ? meta.extras : []) {
      const item: WireExtra = {
        kind: extra?.kind,
        columns: (Array.isArray(extra?.columns) ? extra.columns : []).map((c) => (isColumn(c) ? columnId(c) : null)),
      }
      if (extra?.kind === 'foreignKey') {
        const target = (extra as ForeignKeyDef).target
        if (target) {
          item.options = cloneable(target.options)
          const one = (value: unknown): WireValue => (isColumn(value) ? { column: columnId(value) } : { value: cloneable(value) })
          try {
            const value = typeof target.columns === 'function' ? target.columns() : target.columns
            item.target = Array.isArray(value) ? { list: value.map(one) } : { one: one(value) }
          } catch (error) {
            item.target = { error: error instanceof Error ? error.message : String(error) }
          }
        }
      } else if ((extra as IndexDef)?.name !== undefined) {
        item.name = String((extra as IndexDef).name)
      }
      wire.extras.push(item)
    }
    return id
  }

  const discovered = models.tables.map((t) => ({ table: tableId(t.table), file: t.file, exportName: t.exportName }))
  return { wire: { ...models, discovered, tables, columns, enums }, lossy }
}

export function fromWire(wire: WireModels): DiscoveredModels {
  const enums = wire.enums.map((e) => enumType(e.name, e.values))
  const columns: AnyColumn[] = wire.columns.map((c) => new Column(String(c.state.kind) as ColumnState['kind']))
  const tables: AnyTable[] = wire.tables.map((t) => {
    const record: Record<string, AnyColumn> = {}
    for (const [key, entry] of t.columns) record[key] = ('column' in entry ? columns[entry.column] : entry.value) as AnyColumn
    const meta: TableMeta = { name: t.name, columns: record, extras: [], options: t.options as TableMeta['options'] }
    if (t.definedAt) meta.definedAt = t.definedAt
    return Object.assign(Object.create(null) as object, record, { [TABLE]: meta }) as AnyTable
  })
  wire.tables.forEach((t, i) => {
    const builders = { index, unique, primaryKey }
    const value = (v: WireValue) => ('column' in v ? columns[v.column] : v.value) as AnyColumn
    tables[i]![TABLE].extras = t.extras.map((e): TableExtra => {
      const cols = e.columns.map((c) => (c === null ? undefined : columns[c]) as AnyColumn)
      if (e.kind === 'foreignKey') {
        const def = foreignKey(...cols)
        const target = e.target
        if (target) {
          def.references(() => {
            if ('error' in target) throw new Error(target.error)
            return 'list' in target ? target.list.map(value) : value(target.one)
          }, e.options as ReferenceOptions)
        }
        return def
      }
      // An unknown kind is kept as it came, for the generator to report.
      const build = builders[e.kind as IndexDef['kind']]
      if (!build) return { kind: e.kind, columns: cols } as unknown as TableExtra
      const def = build(...cols)
      return e.name === undefined ? def : def.named(e.name)
    })
  })
  wire.columns.forEach((c, i) => {
    const state = columns[i]!.state as unknown as Record<string, unknown>
    for (const key of Object.keys(state)) delete state[key]
    Object.assign(state, c.state)
    if (c.table !== undefined) state.table = tables[c.table]
    if (c.key !== undefined) state.key = c.key
    if (c.enumType !== undefined) state.enumType = enums[c.enumType]
    if (c.references) {
      const target = c.references.target
      state.references = {
        options: c.references.options,
        target: () => {
          if ('error' in target) throw new Error(target.error)
          return 'column' in target ? columns[target.column] : target.value
        },
      }
    }
  })
  const { discovered, tables: _t, columns: _c, enums: _e, ...rest } = wire
  return { ...rest, tables: discovered.map((d) => ({ table: tables[d.table]!, file: d.file, exportName: d.exportName })) }
}
