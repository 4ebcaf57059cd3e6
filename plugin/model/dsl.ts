/**
 * The code-first model DSL. `table()` returns a plain object that carries its definition under a
 * well-known symbol, so discovery recognises tables made by any copy of this package (the CLI's,
 * the app's, a linked checkout) and ignores every other export.
 */

export const TABLE = Symbol.for('migrate-plugin.table')
export const COLUMN = Symbol.for('migrate-plugin.column')

export type ColumnKind = 'int' | 'bigint' | 'text' | 'real' | 'decimal' | 'boolean' | 'datetime' | 'json' | 'bytes' | 'enum'

export type ReferentialAction = 'cascade' | 'restrict' | 'no action' | 'set null' | 'set default'

export interface ReferenceOptions {
  onDelete?: ReferentialAction
  onUpdate?: ReferentialAction
  /** Name of the generated relation field on this model (default: the column key without `Id`). */
  field?: string
  /** Name of the generated back-relation field on the referenced model (default: this model's name, plural for a list). */
  backref?: string
  /**
   * Prisma's relation name (`@relation("…")`), on both sides. Needed only to tell apart two relations
   * between the same models, which get one automatically (`messages_senderId`); give one to choose it.
   */
  relationName?: string
}

export interface EnumType<V extends string = string> {
  readonly name: string
  readonly values: readonly V[]
  (dbName?: string): Column<V, true>
}

export type DefaultValue =
  | { kind: 'value', value: unknown }
  | { kind: 'now' }
  | { kind: 'uuid' }
  | { kind: 'cuid' }

export interface ColumnState {
  kind: ColumnKind
  dbName?: string
  notNull: boolean
  primaryKey: boolean
  autoIncrement: boolean
  unique: boolean
  updatedAt: boolean
  default?: DefaultValue
  references?: { target: () => AnyColumn, options: ReferenceOptions }
  enumType?: EnumType
  /** Earlier names of this column in the database, renamed in place instead of dropped and re-added. */
  renamedFrom?: string[]
  /** Set by table(): the owning table and the key the column has there. */
  table?: AnyTable
  key?: string
}

/** A column of value type `T`; `N` says whether it may be null. */
export class Column<T = unknown, N extends boolean = true> {
  declare readonly _type: T
  declare readonly _nullable: N
  readonly [COLUMN] = true
  readonly state: ColumnState

  constructor(kind: ColumnKind, dbName?: string, enumType?: EnumType) {
    this.state = { kind, notNull: false, primaryKey: false, autoIncrement: false, unique: false, updatedAt: false }
    if (dbName !== undefined) this.state.dbName = dbName
    if (enumType !== undefined) this.state.enumType = enumType
  }

  /** NOT NULL. Columns are nullable unless marked (as in SQLAlchemy). */
  notNull(): Column<T, false> {
    this.state.notNull = true
    return this as unknown as Column<T, false>
  }

  /** The primary key (implies NOT NULL). For a composite key use `primaryKey(t.a, t.b)` in the table's extras. */
  primaryKey(options: { autoIncrement?: boolean } = {}): Column<T, false> {
    this.state.primaryKey = true
    this.state.notNull = true
    this.state.autoIncrement = options.autoIncrement ?? false
    return this as unknown as Column<T, false>
  }

  unique(): this {
    this.state.unique = true
    return this
  }

  /** A database default. Checked against the column type when the schema is generated. */
  default(value: T): this {
    this.state.default = { kind: 'value', value }
    return this
  }

  /** DEFAULT CURRENT_TIMESTAMP (datetime columns). */
  defaultNow(): this {
    this.state.default = { kind: 'now' }
    return this
  }

  /** A UUID filled in by Prisma Client on insert (text columns). */
  defaultUuid(): this {
    this.state.default = { kind: 'uuid' }
    return this
  }

  /** A CUID filled in by Prisma Client on insert (text columns). */
  defaultCuid(): this {
    this.state.default = { kind: 'cuid' }
    return this
  }

  /** Set to the current time by Prisma Client on every update (datetime columns). */
  updatedAt(): this {
    this.state.updatedAt = true
    return this
  }

  /** A foreign key to another table's column; relation fields are generated on both models. */
  references(target: () => AnyColumn, options: ReferenceOptions = {}): this {
    this.state.references = { target, options }
    return this
  }

  /** The column's name in the database, when it differs from the key. */
  map(dbName: string): this {
    this.state.dbName = dbName
    return this
  }

  /**
   * The column used to be called `oldName` in the database: rename it (keeping its data) instead
   * of dropping it and adding an empty one. Harmless to leave in place once it has run.
   */
  renamedFrom(...oldNames: string[]): this {
    this.state.renamedFrom = [...(this.state.renamedFrom ?? []), ...oldNames]
    return this
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyColumn = Column<any, boolean>

export const int = (dbName?: string) => new Column<number>('int', dbName)
export const integer = int
export const bigint = (dbName?: string) => new Column<bigint>('bigint', dbName)
export const text = (dbName?: string) => new Column<string>('text', dbName)
/** SQLAlchemy's `String(255)`: SQLite stores TEXT whatever the length, so the length is not enforced. */
export const string = (dbName?: string) => new Column<string>('text', dbName)
export const varchar = string
export const real = (dbName?: string) => new Column<number>('real', dbName)
export const float = real
export const decimal = (dbName?: string) => new Column<string | number>('decimal', dbName)
export const boolean = (dbName?: string) => new Column<boolean>('boolean', dbName)
export const datetime = (dbName?: string) => new Column<Date>('datetime', dbName)
export const json = <T = unknown>(dbName?: string) => new Column<T>('json', dbName)
export const bytes = (dbName?: string) => new Column<Uint8Array>('bytes', dbName)
export const blob = bytes

/** An enum type shared by columns: `const role = enumType('Role', ['admin', 'member'])`, then `role()`. */
export function enumType<const V extends string>(name: string, values: readonly V[]): EnumType<V> {
  const make = ((dbName?: string) => new Column<V>('enum', dbName, make)) as EnumType<V>
  Object.defineProperty(make, 'name', { value: name })
  Object.defineProperty(make, 'values', { value: Object.freeze([...values]) })
  return make
}

export interface IndexDef {
  kind: 'index' | 'unique' | 'primaryKey'
  columns: AnyColumn[]
  name?: string
  /** Give the index (or constraint) its name in the database. */
  named(name: string): IndexDef
}

function indexDef(kind: IndexDef['kind'], columns: AnyColumn[]): IndexDef {
  const def: IndexDef = {
    kind,
    columns,
    named(name) {
      def.name = name
      return def
    },
  }
  return def
}

/** A foreign key over several columns, in the table's extras: `foreignKey(t.a, t.b).references(() => [o.x, o.y])`. */
export interface ForeignKeyDef {
  kind: 'foreignKey'
  columns: AnyColumn[]
  /** Set by references(). */
  target?: { columns: () => AnyColumn | AnyColumn[], options: ReferenceOptions }
  /** The columns of the other table, in the same order; relation fields are generated on both models. */
  references(target: () => AnyColumn | AnyColumn[], options?: ReferenceOptions): ForeignKeyDef
}

/** `foreignKey(t.a, t.b)` or `foreignKey([t.a, t.b])`. */
export function foreignKey(...columns: (AnyColumn | AnyColumn[])[]): ForeignKeyDef {
  const def: ForeignKeyDef = {
    kind: 'foreignKey',
    columns: columns.flat(),
    references(target, options = {}) {
      def.target = { columns: target, options }
      return def
    },
  }
  return def
}

export type TableExtra = IndexDef | ForeignKeyDef

export const index = (...columns: AnyColumn[]) => indexDef('index', columns)
export const unique = (...columns: AnyColumn[]) => indexDef('unique', columns)
export const primaryKey = (...columns: AnyColumn[]) => indexDef('primaryKey', columns)

export interface TableOptions {
  /** The Prisma model name (default: the table name, singular, in PascalCase: `order_items` → `OrderItem`). */
  modelName?: string
  /** Earlier names of the table: renamed in place, with its rows, instead of created anew. */
  renamedFrom?: string | string[]
}

export interface TableMeta {
  name: string
  columns: Record<string, AnyColumn>
  extras: TableExtra[]
  options: TableOptions
  /** Where `table()` was called, for error messages: "file:line". */
  definedAt?: { file: string, line: number }
}

export type Table<N extends string = string, C extends Record<string, AnyColumn> = Record<string, AnyColumn>> = C & {
  readonly [TABLE]: TableMeta & { name: N }
}
export type AnyTable = Table<string, Record<string, AnyColumn>>

export function table<N extends string, C extends Record<string, AnyColumn>>(
  name: N,
  columns: C,
  extras?: ((t: C) => TableExtra[]) | null,
  options: TableOptions = {},
): Table<N, C> {
  const meta: TableMeta & { name: N } = { name, columns, extras: [], options }
  const definedAt = callSite()
  if (definedAt) meta.definedAt = definedAt
  const result = Object.assign(Object.create(null) as object, columns, { [TABLE]: meta }) as Table<N, C>
  for (const [key, column] of Object.entries(columns)) {
    if (column && (column as AnyColumn)[COLUMN]) {
      column.state.table = result
      column.state.key = key
    }
  }
  const list = extras ? extras(columns) : []
  if (!Array.isArray(list)) {
    // A lone index(t.a) without the brackets would otherwise be dropped without a word.
    throw new TypeError(`table('${name}'): the third argument must return a list, e.g. (t) => [index(t.a)]`)
  }
  meta.extras = list
  return result
}

export function isTable(value: unknown): value is AnyTable {
  return typeof value === 'object' && value !== null && TABLE in value
}

export function isColumn(value: unknown): value is AnyColumn {
  return typeof value === 'object' && value !== null && COLUMN in value
}

const thisFile = decodeURIComponent(new URL(import.meta.url).pathname)

/** The first stack frame outside this file: the model file line that called table(). */
function callSite(): { file: string, line: number } | undefined {
  const stack = new Error().stack?.split('\n').slice(1) ?? []
  for (const frame of stack) {
    const match = /\(?((?:file:\/\/)?\/[^():]+|[A-Za-z]:\\[^():]+):(\d+):\d+\)?$/.exec(frame.trim())
    if (!match) continue
    const file = match[1]!.replace(/^file:\/\//, '')
    if (file === thisFile) continue
    return { file, line: Number(match[2]) }
  }
  return undefined
}

type ColumnValue<C> = C extends Column<infer T, infer N> ? (N extends true ? T | null : T) : never

/** The row type of a table: `type User = InferRow<typeof users>`. */
export type InferRow<T> = T extends Table<string, infer C> ? { [K in keyof C]: ColumnValue<C[K]> } : never
