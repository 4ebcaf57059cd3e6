/**
 * The code-first model DSL. `table()` returns a plain object that carries its definition under a
 * well-known symbol, so discovery recognises tables made by any copy of this package (the CLI's,
 * the app's, a linked checkout) and ignores every other export.
 */

export const TABLE = Symbol.for('migrate-plugin.table')
export const COLUMN = Symbol.for('migrate-plugin.column')
const SQL = Symbol.for('migrate-plugin.sql')

/**
 * A model error found while a model file runs (a bad table() call). Discovery turns it into a
 * MODEL_INVALID MigrateError with the file and line; it is its own small class so that the DSL,
 * which apps import too, pulls in nothing else.
 */
export class ModelError extends Error {
  override name = 'ModelError'
  readonly code = 'MODEL_INVALID'
  constructor(message: string, readonly hint: string) {
    super(message)
  }
}

export type ColumnKind = 'int' | 'bigint' | 'text' | 'real' | 'decimal' | 'boolean' | 'datetime' | 'json' | 'bytes' | 'enum' | 'unsupported'

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
  | { kind: 'sql', sql: string }

/**
 * What Prisma Client returns for a `Decimal` field (its `Prisma.Decimal`, from decimal.js), described
 * by shape so that the model types do not depend on @prisma/client: a Prisma.Decimal is one, and one
 * is accepted wherever Prisma Client takes a decimal.
 */
export interface DecimalLike {
  readonly d: number[]
  readonly e: number
  readonly s: number
  toFixed(decimalPlaces?: number): string
  toNumber(): number
  toString(): string
  toJSON(): string
  valueOf(): string
}

/** An SQL expression, made with the `sql` template tag: `.default(sql\`CURRENT_DATE\`)`. */
export interface SqlExpression {
  readonly [SQL]: true
  readonly text: string
}

/**
 * An SQL expression for a column default, written as it would appear in SQLite's DDL. It takes no
 * `${}` values: a default cannot have parameters, and pasting values into SQL is how quoting bugs start.
 */
export function sql(strings: TemplateStringsArray | string, ...values: never[]): SqlExpression {
  if (values.length > 0) {
    throw new ModelError('sql`…` takes no ${…} values', 'write the whole expression as text, e.g. sql`CURRENT_DATE`')
  }
  if (typeof strings !== 'string' && !Array.isArray(strings)) {
    throw new ModelError(`sql takes a template (sql\`CURRENT_DATE\`) or a string, not ${describeArgument(strings)}`, 'write the expression as text, e.g. sql`CURRENT_DATE`')
  }
  const text = typeof strings === 'string' ? strings : strings.join('')
  return Object.freeze({ [SQL]: true as const, text })
}

export function isSql(value: unknown): value is SqlExpression {
  return typeof value === 'object' && value !== null && SQL in value
}

/** What a default may be given as: Prisma Client's input for the type (a decimal as a number or a decimal string). */
type DefaultInput<T> = [T] extends [DecimalLike] ? number | string : T

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
  /** unsupported() columns: the type as the database declares it. */
  declaredType?: string
  /** Earlier names of this column in the database, renamed in place instead of dropped and re-added. */
  renamedFrom?: string[]
  /** Set by table(): the owning table and the key the column has there. */
  table?: AnyTable
  key?: string
}

/**
 * A column of value type `T`; `N` says whether it may be null, `D` whether the database (or Prisma
 * Client) fills it in when an insert leaves it out. Columns are values: every method returns a new
 * column and leaves the one it was called on as it was, so one column can be shared by several
 * tables, or extended in one place, without changing anywhere else.
 */
export class Column<T = unknown, N extends boolean = true, D extends boolean = false> {
  declare readonly _type: T
  declare readonly _nullable: N
  declare readonly _hasDefault: D
  readonly [COLUMN] = true
  readonly state: ColumnState

  constructor(kind: ColumnKind, dbName?: string, enumType?: EnumType) {
    this.state = { kind, notNull: false, primaryKey: false, autoIncrement: false, unique: false, updatedAt: false }
    if (dbName !== undefined) this.state.dbName = dbName
    if (enumType !== undefined) this.state.enumType = enumType
  }

  /** NOT NULL. Columns are nullable unless marked (as in SQLAlchemy). */
  notNull(): Column<T, false, D> {
    return derive(this, { notNull: true })
  }

  /** The primary key (implies NOT NULL). For a composite key use `primaryKey(t.a, t.b)` in the table's extras. */
  primaryKey<A extends boolean = false>(options: { autoIncrement?: A } = {}): Column<T, false, [A] extends [true] ? true : D> {
    return derive(this, { primaryKey: true, notNull: true, autoIncrement: options.autoIncrement ?? false })
  }

  unique(): Column<T, N, D> {
    return derive(this, { unique: true })
  }

  /**
   * A database default: a value (checked against the column type when the schema is generated), or
   * an SQL expression made with `sql` where SQLite and Prisma's engine can keep one in step.
   */
  default(value: DefaultInput<T> | SqlExpression): Column<T, N, true> {
    return derive(this, { default: isSql(value) ? { kind: 'sql', sql: value.text } : { kind: 'value', value } })
  }

  /** DEFAULT CURRENT_TIMESTAMP (datetime columns). */
  defaultNow(): Column<T, N, true> {
    return derive(this, { default: { kind: 'now' } })
  }

  /** A UUID filled in by Prisma Client on insert (text columns). */
  defaultUuid(): Column<T, N, true> {
    return derive(this, { default: { kind: 'uuid' } })
  }

  /** A CUID filled in by Prisma Client on insert (text columns). */
  defaultCuid(): Column<T, N, true> {
    return derive(this, { default: { kind: 'cuid' } })
  }

  /** Set to the current time by Prisma Client on every update (datetime columns). */
  updatedAt(): Column<T, N, true> {
    return derive(this, { updatedAt: true })
  }

  /** A foreign key to another table's column; relation fields are generated on both models. */
  references(target: () => AnyColumn, options: ReferenceOptions = {}): Column<T, N, D> {
    // Resolved when called: the target may be a column given to table(), which holds a copy of it.
    return derive(this, { references: { target: () => ownedColumn(target()), options } })
  }

  /** The column's name in the database, when it differs from the key. */
  map(dbName: string): Column<T, N, D> {
    return derive(this, { dbName })
  }

  /**
   * The column used to be called `oldName` in the database: rename it (keeping its data) instead
   * of dropping it and adding an empty one. Harmless to leave in place once it has run.
   */
  renamedFrom(...oldNames: string[]): Column<T, N, D> {
    return derive(this, { renamedFrom: [...(this.state.renamedFrom ?? []), ...oldNames] })
  }

  /**
   * Narrow the TypeScript type of the column's values (`text().$type<'draft' | 'published'>()`,
   * a branded id). Types only: the database column does not change.
   */
  $type<U extends T>(): Column<U, N, D> {
    return derive(this, {})
  }
}

/** A new column with `column`'s settings plus `patch`, belonging to no table yet. */
function derive<T, N extends boolean, D extends boolean>(column: AnyColumn, patch: Partial<ColumnState>): Column<T, N, D> {
  const next = new Column<T, N, D>(column.state.kind)
  const { table: _table, key: _key, ...settings } = column.state
  Object.assign(next.state, settings, patch)
  if (next.state.renamedFrom) next.state.renamedFrom = [...next.state.renamedFrom]
  return next
}

/** The copies table() made of a column, so that a reference to the column as written finds its table. */
const copiesOf = new WeakMap<object, AnyColumn[]>()

function ownedColumn(value: unknown): AnyColumn {
  const column = value as AnyColumn
  if (!isColumn(value) || column.state?.table) return column
  const copies = copiesOf.get(column) ?? []
  if (copies.length === 1) return copies[0]!
  if (copies.length > 1) {
    const places = copies.map((c) => `${c.state.table ? c.state.table[TABLE].name : '?'}.${c.state.key}`)
    throw new Error(`the referenced column is used in ${copies.length} places (${places.join(', ')}): reference it through its table, e.g. () => ${places[0]!.split('.')[0]}.${copies[0]!.state.key}`)
  }
  return column
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyColumn = Column<any, boolean, boolean>

export const int = (dbName?: string) => new Column<number>('int', dbName)
export const integer = int
export const bigint = (dbName?: string) => new Column<bigint>('bigint', dbName)
export const text = (dbName?: string) => new Column<string>('text', dbName)
/** SQLAlchemy's `String(255)`: SQLite stores TEXT whatever the length, so the length is not enforced. */
export const string = (dbName?: string) => new Column<string>('text', dbName)
export const varchar = string
export const real = (dbName?: string) => new Column<number>('real', dbName)
export const float = real
/** Read back as Prisma Client's `Prisma.Decimal` (see DecimalLike); defaults and inserts take numbers or decimal strings too. */
export const decimal = (dbName?: string) => new Column<DecimalLike>('decimal', dbName)
export const boolean = (dbName?: string) => new Column<boolean>('boolean', dbName)
export const datetime = (dbName?: string) => new Column<Date>('datetime', dbName)
export const json = <T = unknown>(dbName?: string) => new Column<T>('json', dbName)
// Annotated: left to inference, the declaration would read Uint8Array<ArrayBufferLike>, which TypeScript before 5.7 rejects.
export const bytes = (dbName?: string): Column<Uint8Array> => new Column<Uint8Array>('bytes', dbName)
export const blob = bytes

/**
 * A column whose declared type Prisma has no type for (`SMALLINT`, `money`, or none at all), kept
 * as the database declares it: Prisma's `Unsupported("…")`. Prisma Client neither reads nor writes
 * it; its default, if any, is SQL: `.default(sql\`3\`)`. `pull` writes these so that an existing
 * table matches its model as it is; change it to int(), text(), … when the client should see it
 * (one table rebuild, the values kept).
 */
export const unsupported = (declaredType: string, dbName?: string): Column<unknown> => {
  if (typeof declaredType !== 'string' || /["\\\u0000]/.test(declaredType)) {
    throw new ModelError(`unsupported() takes the declared type as text, without quotes or backslashes, not ${describeArgument(declaredType)}`, "write it as the database declares it, e.g. unsupported('smallint')")
  }
  const column = new Column<unknown>('unsupported', dbName)
  column.state.declaredType = declaredType
  return column
}

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

/** The options form of table()'s third argument: `table('people', { … }, { renamedFrom: 'users' })`. */
export interface TableConfig<C> extends TableOptions {
  /** Indexes, unique constraints, a composite primary key and foreign keys over several columns, given this table's own columns. */
  extras?: (t: C) => TableExtra[]
}

const OPTION_KEYS = ['extras', 'modelName', 'renamedFrom'] as const

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

/**
 * A table. The third argument is either the extras function, `(t) => [index(t.email)]` (then the
 * options may follow as a fourth), or an options object `{ extras, modelName, renamedFrom }`.
 *
 * The table holds its own copy of every column it is given, so one column (or a spread set of
 * them, `...timestamps`) can serve several tables, and `t.createdAt` in the extras is this table's.
 */
export function table<N extends string, C extends Record<string, AnyColumn>>(name: N, columns: C, config?: TableConfig<C>): Table<N, C>
export function table<N extends string, C extends Record<string, AnyColumn>>(
  name: N,
  columns: C,
  extras?: ((t: C) => TableExtra[]) | null,
  options?: TableOptions,
): Table<N, C>
export function table<N extends string, C extends Record<string, AnyColumn>>(
  name: N,
  columns: C,
  third?: TableConfig<C> | ((t: C) => TableExtra[]) | null,
  fourth?: TableOptions,
): Table<N, C> {
  const { extras, options } = tableArguments(name, third, fourth)
  const meta: TableMeta & { name: N } = { name, columns: {}, extras: [], options }
  const definedAt = callSite()
  if (definedAt) meta.definedAt = definedAt
  const own: Record<string, AnyColumn> = {}
  const copies = new Map<AnyColumn, string[]>()
  const result = Object.create(null) as Table<N, C>
  for (const [key, column] of Object.entries(columns ?? {})) {
    if (!isColumn(column)) {
      // Not a column: kept as given, for the generator to report against this file and line.
      own[key] = column
      continue
    }
    const copy = derive(column, {})
    copy.state.table = result
    copy.state.key = key
    own[key] = copy
    copiesOf.set(column, [...(copiesOf.get(column) ?? []), copy])
    copies.set(column, [...(copies.get(column) ?? []), key])
  }
  meta.columns = own
  Object.assign(result, own, { [TABLE]: meta })
  const made: unknown = extras ? extras(own as C) : []
  if (!Array.isArray(made)) {
    throw new ModelError(`table(${JSON.stringify(name)}): extras must return an array, not ${describeArgument(made)}`, 'write (t) => [index(t.someColumn)], with the brackets')
  }
  meta.extras = (made as TableExtra[]).map((def) => ownExtra(def, name, own, copies))
  return result
}

/** Sort out the two forms of table()'s arguments, refusing what neither form accepts. */
function tableArguments<C>(name: string, third: unknown, fourth: unknown): { extras?: (t: C) => TableExtra[], options: TableOptions } {
  const where = `table(${JSON.stringify(name)})`
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
  let extras: unknown
  let options: Record<string, unknown>
  if (third === undefined || third === null || typeof third === 'function') {
    if (fourth !== undefined && !isObject(fourth)) {
      throw new ModelError(`${where}: the fourth argument must be an options object, not ${describeArgument(fourth)}`, `write table(${JSON.stringify(name)}, { … }, { extras: (t) => [ … ], renamedFrom: 'old_name' })`)
    }
    options = fourth ?? {}
    if ('extras' in options && third) {
      throw new ModelError(`${where}: extras are given twice, as the third argument and in the options`, 'keep one of them: table(name, columns, { extras: (t) => [ … ] })')
    }
    extras = third ?? options.extras
  } else if (isObject(third)) {
    if (fourth !== undefined) {
      throw new ModelError(`${where}: an options object is the last argument; a fourth one is not read`, 'put everything in the one options object: { extras, modelName, renamedFrom }')
    }
    options = third
    extras = third.extras
  } else {
    throw new ModelError(`${where}: the third argument must be (t) => [ … ] or an options object, not ${describeArgument(third)}`, `write table(${JSON.stringify(name)}, { … }, (t) => [index(t.someColumn)]) or table(${JSON.stringify(name)}, { … }, { extras, modelName, renamedFrom })`)
  }
  for (const key of Object.keys(options)) {
    if ((OPTION_KEYS as readonly string[]).includes(key)) continue
    const near = nearest(key, OPTION_KEYS)
    const suggestion = near ? ` — did you mean ${near}?` : ''
    throw new ModelError(`${where}: unknown option ${JSON.stringify(key)}${suggestion}`, `table options are ${OPTION_KEYS.join(', ')}`)
  }
  if (extras !== undefined && extras !== null && typeof extras !== 'function') {
    throw new ModelError(`${where}: extras must be a function of the table's columns, not ${describeArgument(extras)}`, 'write extras: (t) => [index(t.someColumn)]')
  }
  const { extras: _extras, ...rest } = options
  return { ...(typeof extras === 'function' ? { extras: extras as (t: C) => TableExtra[] } : {}), options: rest as TableOptions }
}

/** The candidate a mistyped word was most likely meant to be (case aside, a couple of edits away), if any. */
function nearest(word: string, candidates: readonly string[]): string | undefined {
  const edits = (a: string, b: string): number => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j)
    for (let i = 1; i <= a.length; i++) {
      const next = [i]
      for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
      row = next
    }
    return row[b.length]!
  }
  let best: { word: string, cost: number } | undefined
  for (const candidate of candidates) {
    const cost = edits(word.toLowerCase(), candidate.toLowerCase())
    if (!best || cost < best.cost) best = { word: candidate, cost }
  }
  return best && best.cost <= Math.max(2, Math.floor(word.length / 3)) ? best.word : undefined
}

function describeArgument(value: unknown): string {
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'string' ? `the string ${JSON.stringify(value)}` : typeof value
}

/**
 * An extra as this table holds it: a column written as the shared value it was made from (the
 * `createdAt` given in the columns, rather than `t.createdAt`) stands for this table's copy.
 */
function ownExtra<E extends TableExtra>(def: E, tableName: string, own: Record<string, AnyColumn>, copies: Map<AnyColumn, string[]>): E {
  if (!def || !Array.isArray(def.columns)) return def
  let changed = false
  const columns = def.columns.map((column) => {
    const keys = copies.get(column)
    if (!keys) return column
    if (keys.length > 1) {
      throw new ModelError(`table(${JSON.stringify(tableName)}): an ${def.kind} lists a column given as both ${keys.join(' and ')}`, `say which one through the table's columns: (t) => [${def.kind}(t.${keys[0]})]`)
    }
    changed = true
    return own[keys[0]!]!
  })
  if (!changed) return def
  return Object.assign(Object.create(Object.getPrototypeOf(def) as object) as E, def, { columns })
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
    // `at fn (/path:line:col)` or `at /path:line:col`; a path may itself hold "(", ")" and ":"
    // (`users (copy).ts`, a folder `co:lon`): the path is what follows "at " or one of the "(",
    // whichever starts an absolute path, up to the final `:line:col`.
    const text = frame.trim().replace(/^at /, '')
    const end = /:(\d+):\d+\)?$/.exec(text)
    if (!end) continue
    const body = text.slice(0, end.index)
    const starts = [0, ...[...body.matchAll(/\(/g)].map((m) => m.index + 1)]
    const path = starts.map((i) => body.slice(i)).find((candidate) => /^(file:\/\/)?\//.test(candidate) || /^[A-Za-z]:\\/.test(candidate))
    if (!path) continue
    const file = path.startsWith('file://') ? decodeURIComponent(new URL(path).pathname) : path
    if (file === thisFile) continue
    return { file, line: Number(end[1]) }
  }
  return undefined
}

type Simplify<T> = { [K in keyof T]: T[K] } & {}
type ColumnValue<C> = C extends Column<infer T, infer N, boolean> ? ([N] extends [false] ? T : T | null) : never
/** What Prisma Client accepts for a value of type `T` on insert: a decimal also as a number or a decimal string. */
type InsertInput<T> = [T] extends [DecimalLike] ? T | number | string : T
type InsertValue<C> = C extends Column<infer T, infer N, boolean> ? ([N] extends [false] ? InsertInput<T> : InsertInput<T> | null) : never
/** An insert may leave a column out when it may be null or something fills it in (a default, autoincrement, updatedAt). */
type MayOmit<C> = C extends Column<unknown, infer N, infer D> ? ([N] extends [false] ? ([D] extends [false] ? false : true) : true) : true
type ColumnsOf<T> = T extends Table<string, infer C> ? C : never

/** The row type of a table, as Prisma Client returns it: `type User = InferRow<typeof users>`. */
export type InferRow<T> = Simplify<{ [K in keyof ColumnsOf<T> & string]: ColumnValue<ColumnsOf<T>[K]> }>
/** drizzle's name for InferRow. */
export type InferSelect<T> = InferRow<T>
/**
 * What an insert needs: required columns as required keys; nullable columns, and columns with a
 * default, autoincrement or updatedAt(), as optional ones. `type NewUser = InferInsert<typeof users>`.
 */
export type InferInsert<T> = Simplify<
  & { [K in keyof ColumnsOf<T> & string as MayOmit<ColumnsOf<T>[K]> extends true ? never : K]: InsertValue<ColumnsOf<T>[K]> }
  & { [K in keyof ColumnsOf<T> & string as MayOmit<ColumnsOf<T>[K]> extends true ? K : never]?: InsertValue<ColumnsOf<T>[K]> }
>
