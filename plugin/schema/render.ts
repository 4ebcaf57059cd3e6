import { MigrateError } from '../core/errors.ts'
import type { AnyTable, ColumnKind, IndexDef, ReferentialAction } from '../model/dsl.ts'
import type { DiscoveredTable } from '../model/discover.ts'
import { defaultExpression } from './defaults.ts'
import { IDENTIFIER, lengthProblem, nameProblem } from './identifiers.ts'
import { at, describeValue, meta, where } from './meta.ts'
import { providerFacts, type SchemaProvider } from './provider.ts'
import type { Relation } from './relations.ts'

/** One table → one Prisma `model` block (fields, defaults, relations, indexes), checked on the way. */

const PRISMA_TYPE: Record<Exclude<ColumnKind, 'enum' | 'unsupported'>, string> = {
  int: 'Int',
  bigint: 'BigInt',
  text: 'String',
  real: 'Float',
  decimal: 'Decimal',
  boolean: 'Boolean',
  datetime: 'DateTime',
  json: 'Json',
  bytes: 'Bytes',
}

const ACTIONS: Record<string, string> = {
  'cascade': 'Cascade',
  'restrict': 'Restrict',
  'no action': 'NoAction',
  'noaction': 'NoAction',
  'set null': 'SetNull',
  'setnull': 'SetNull',
  'set default': 'SetDefault',
  'setdefault': 'SetDefault',
}

/** The enums the columns use, by name, with the first file that used each (for messages). */
export type EnumUses = Map<string, { values: readonly string[], file: string, line?: number }>

export interface RenderContext {
  provider: SchemaProvider
  modelNames: Map<AnyTable, string>
  relations: Map<AnyTable, Relation[]>
  /** Filled while rendering: every enum a column uses. */
  enums: EnumUses
}

export function modelBlock(entry: DiscoveredTable, context: RenderContext): string {
  const { provider, modelNames, relations, enums } = context
  const label = providerFacts(provider).label
  const m = meta(entry.table)
  const line = m.definedAt?.line
  const lines: string[] = []
  const columnKeys = Object.keys(m.columns)
  if (columnKeys.length === 0) {
    throw new MigrateError('MODEL_INVALID', `${at(entry.file, line)}: table "${m.name}" has no columns`, {
      location: where(entry.file, line),
      hint: 'give it at least a primary key, e.g. id: int().primaryKey({ autoIncrement: true })',
    })
  }
  const dbNames = new Set<string>()
  for (const key of columnKeys) {
    const column = m.columns[key]!
    const colWhere = `${at(entry.file, line)}: column ${m.name}.${key}`
    if (!column || !column.state) {
      throw new MigrateError('MODEL_INVALID', `${colWhere} is not a column: ${JSON.stringify(column)}`, {
        location: where(entry.file, line),
        hint: 'use a column builder: int(), text(), real(), boolean(), datetime(), json(), bytes(), decimal(), bigint() or an enumType()',
      })
    }
    const s = column.state
    if (!IDENTIFIER.test(key)) {
      throw new MigrateError('MODEL_INVALID', `${colWhere}: invalid field name ${JSON.stringify(key)}`, {
        location: where(entry.file, line),
        hint: `use an identifier as the key and give the database name with .map(), e.g. firstName: text().map(${JSON.stringify(key)})`,
      })
    }
    const dbName = s.dbName ?? key
    const problem = nameProblem(dbName, provider, 'column')
    if (problem) {
      throw new MigrateError('MODEL_INVALID', `${colWhere}: invalid column name ${JSON.stringify(dbName)}: ${problem}`, {
        location: where(entry.file, line),
        hint: dbName === key
          ? `keep the key and give the column another name in the database with .map(), e.g. ${key}: ….map('${key.slice(0, 40)}_value')`
          : 'use letters, digits and underscores, starting with a letter',
      })
    }
    if (dbNames.has(dbName.toLowerCase())) {
      throw new MigrateError('MODEL_INVALID', `${colWhere}: column name "${dbName}" is used twice in table "${m.name}"`, {
        location: where(entry.file, line),
      })
    }
    dbNames.add(dbName.toLowerCase())
    let type: string
    if (s.kind === 'enum') {
      type = useEnum(s.enumType!, provider, enums, colWhere, entry.file, line)
    } else if (s.kind === 'unsupported') {
      // The engine compares an unsupported type with the database's in lower case: another case
      // would read as a change of type on every run.
      type = `Unsupported(${JSON.stringify(String(s.declaredType).toLowerCase())})`
    } else if (s.kind in PRISMA_TYPE) {
      type = PRISMA_TYPE[s.kind]
    } else {
      throw new MigrateError('MODEL_INVALID', `${colWhere}: unknown column type ${JSON.stringify(s.kind)}`, {
        location: where(entry.file, line),
        hint: 'use int, bigint, text, real, decimal, boolean, datetime, json, bytes or an enumType()',
      })
    }
    const attrs: string[] = []
    if (s.primaryKey) attrs.push('@id')
    if (typeof s.autoIncrement !== 'boolean') {
      // Anything else would be read one way here and another by the AUTOINCREMENT check of every run.
      throw new MigrateError('MODEL_INVALID', `${colWhere}: autoIncrement must be true or false, not ${describeValue(s.autoIncrement)}`, {
        location: where(entry.file, line),
        hint: 'write .primaryKey({ autoIncrement: true }) or .primaryKey()',
      })
    }
    if (s.autoIncrement) {
      // SQLite has AUTOINCREMENT only on an INTEGER PRIMARY KEY; the engine makes a bigint() key BIGINT,
      // which gets no value at all when an insert leaves it out. PostgreSQL has a sequence for both
      // (serial, bigserial).
      const fits = s.kind === 'int' || (s.kind === 'bigint' && provider === 'postgresql')
      if (!fits) {
        throw new MigrateError('MODEL_INVALID', `${colWhere}: autoIncrement needs an int() column${provider === 'postgresql' ? ' or a bigint() column' : ''} on ${label}`, {
          location: where(entry.file, line),
          hint: s.kind === 'bigint' ? 'use int(): SQLite stores it as a 64-bit INTEGER, the only type AUTOINCREMENT works on' : 'use an int() primary key for generated ids, or drop autoIncrement',
        })
      }
      attrs.push('@default(autoincrement())')
    }
    if (s.unique && !s.primaryKey) attrs.push('@unique')
    if (s.default) attrs.push(`@default(${defaultExpression(s.default, s.kind, s.enumType?.values, provider, colWhere, where(entry.file, line))})`)
    if (s.updatedAt) {
      if (s.kind !== 'datetime') throw new MigrateError('MODEL_INVALID', `${colWhere}: updatedAt() needs a datetime() column`, { location: where(entry.file, line) })
      attrs.push('@updatedAt')
    }
    if (dbName !== key) attrs.push(`@map(${JSON.stringify(dbName)})`)
    lines.push(`  ${key} ${type}${s.notNull ? '' : '?'}${attrs.length ? ` ${attrs.join(' ')}` : ''}`)
  }
  for (const r of relations.get(entry.table) ?? []) {
    if (r.from.table === entry.table) {
      const args = [
        ...(r.name ? [JSON.stringify(r.name)] : []),
        `fields: [${r.fields.join(', ')}]`,
        `references: [${r.references.join(', ')}]`,
        ...(r.options.onDelete ? [`onDelete: ${action(r.options.onDelete, 'onDelete', entry, r.label)}`] : []),
        ...(r.options.onUpdate ? [`onUpdate: ${action(r.options.onUpdate, 'onUpdate', entry, r.label)}`] : []),
      ]
      lines.push(`  ${r.forwardField} ${modelNames.get(r.target.table)}${r.optional ? '?' : ''} @relation(${args.join(', ')})`)
    }
    if (r.target.table === entry.table) {
      const type = `${modelNames.get(r.from.table)}${r.oneToOne ? '?' : '[]'}`
      lines.push(`  ${r.backField} ${type}${r.name ? ` @relation(${JSON.stringify(r.name)})` : ''}`)
    }
  }
  for (const extra of m.extras) {
    if (extra?.kind !== 'foreignKey') lines.push(extraAttribute(extra as IndexDef, entry, provider))
  }
  lines.push(`  @@map(${JSON.stringify(m.name)})`)
  const hasId = Object.values(m.columns).some((c) => c.state.primaryKey) || m.extras.some((e) => e.kind === 'primaryKey')
  if (!hasId) {
    throw new MigrateError('MODEL_INVALID', `${at(entry.file, line)}: table "${m.name}" has no primary key`, {
      location: where(entry.file, line),
      hint: 'mark a column with .primaryKey() (e.g. id: int().primaryKey({ autoIncrement: true })), or add primaryKey(t.a, t.b) to the extras',
    })
  }
  return `model ${modelNames.get(entry.table)} {\n${lines.join('\n')}\n}`
}

/** Check an enum a column uses and record it; the same name must mean the same values everywhere. */
function useEnum(e: { name: string, values: readonly string[] }, provider: SchemaProvider, enums: EnumUses, colWhere: string, file: string, line?: number): string {
  if (!IDENTIFIER.test(e.name) || e.values.length === 0 || e.values.some((v) => !IDENTIFIER.test(v))) {
    throw new MigrateError('MODEL_INVALID', `${colWhere}: enum ${JSON.stringify(e.name)} needs an identifier name and at least one identifier value`, {
      location: where(file, line),
    })
  }
  // PostgreSQL makes a type of the enum and a label of each value, both cut at 63 bytes.
  for (const name of providerFacts(provider).truncates ? [e.name, ...e.values] : []) {
    const tooLong = lengthProblem(name, provider)
    if (tooLong) {
      throw new MigrateError('MODEL_INVALID', `${colWhere}: enum ${name === e.name ? 'name' : `"${e.name}" value`} "${name}": ${tooLong}`, {
        location: where(file, line),
        hint: 'use a shorter name',
      })
    }
  }
  const known = enums.get(e.name)
  if (known && known.values.join() !== e.values.join()) {
    throw new MigrateError('MODEL_INVALID', `${colWhere}: enum "${e.name}" is defined with different values in ${known.file}`, {
      location: where(file, line),
      hint: 'define the enum once and import it where you need it',
    })
  }
  if (!known) enums.set(e.name, { values: e.values, file, ...(line === undefined ? {} : { line }) })
  return e.name
}

/** The `enum` block of a schema. */
export function enumBlock(name: string, values: readonly string[]): string {
  return `enum ${name} {\n${values.map((v) => `  ${v}`).join('\n')}\n}`
}

function action(value: ReferentialAction, option: string, entry: DiscoveredTable, label: string): string {
  const mapped = ACTIONS[String(value).toLowerCase().replace(/_/g, ' ')] ?? ACTIONS[String(value).toLowerCase()]
  if (!mapped) {
    const m = meta(entry.table)
    throw new MigrateError('MODEL_INVALID', `${at(entry.file, m.definedAt?.line)}: ${label}: ${option} ${JSON.stringify(value)} is not a referential action`, {
      location: where(entry.file, m.definedAt?.line),
      hint: "use 'cascade', 'restrict', 'no action', 'set null' or 'set default'",
    })
  }
  return mapped
}

function extraAttribute(extra: IndexDef, entry: DiscoveredTable, provider: SchemaProvider): string {
  const m = meta(entry.table)
  if (!['index', 'unique', 'primaryKey'].includes(extra?.kind)) {
    throw new MigrateError('MODEL_INVALID', `${at(entry.file, m.definedAt?.line)}: an extra of table "${m.name}" is not an index(), unique(), primaryKey() or foreignKey(): ${describeValue(extra)}`, {
      location: where(entry.file, m.definedAt?.line),
      hint: 'the third argument of table() returns a list of index(…), unique(…), primaryKey(…) and foreignKey(…).references(…)',
    })
  }
  const keys = extra.columns.map((column) => {
    const key = column?.state?.key
    if (!key || column.state.table !== entry.table) {
      throw new MigrateError('MODEL_INVALID', `${at(entry.file, m.definedAt?.line)}: an ${extra.kind} of table "${m.name}" lists a column of another table`, {
        location: where(entry.file, m.definedAt?.line),
        hint: 'list this table\'s own columns: (t) => [index(t.someColumn)]',
      })
    }
    return key
  })
  if (keys.length === 0) {
    throw new MigrateError('MODEL_INVALID', `${at(entry.file, m.definedAt?.line)}: an ${extra.kind} of table "${m.name}" has no columns`, {
      location: where(entry.file, m.definedAt?.line),
    })
  }
  const attr = extra.kind === 'index' ? '@@index' : extra.kind === 'unique' ? '@@unique' : '@@id'
  const label = providerFacts(provider).label
  if (extra.name !== undefined && (typeof extra.name !== 'string' || extra.name === '' || extra.name.includes('\u0000'))) {
    // A NUL would end the engine's SQL text in the middle of the name, as in a text default.
    throw new MigrateError('MODEL_INVALID', `${at(entry.file, m.definedAt?.line)}: an ${extra.kind} of table "${m.name}" has the name ${JSON.stringify(extra.name)}, which ${label} cannot hold`, {
      location: where(entry.file, m.definedAt?.line),
      hint: 'give it a plain name, e.g. users_email_idx, or leave the name out',
    })
  }
  // Only where the database would shorten it: SQLite keeps an index name of any length.
  const tooLong = extra.name === undefined || !providerFacts(provider).truncates ? undefined : lengthProblem(extra.name, provider)
  if (tooLong) {
    throw new MigrateError('MODEL_INVALID', `${at(entry.file, m.definedAt?.line)}: an ${extra.kind} of table "${m.name}" has the name ${JSON.stringify(extra.name)}: ${tooLong}`, {
      location: where(entry.file, m.definedAt?.line),
      hint: 'give it a shorter name, or leave the name out (Prisma then makes one that fits)',
    })
  }
  const name = extra.name === undefined ? '' : `, map: ${JSON.stringify(extra.name)}`
  return `  ${attr}([${keys.join(', ')}]${name})`
}
