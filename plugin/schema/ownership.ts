import { MigrateError } from '../core/errors.ts'
import type { AnyTable } from '../model/dsl.ts'
import type { DiscoveredModels, DiscoveredTable } from '../model/discover.ts'
import { IDENTIFIER, nameProblem } from './identifiers.ts'
import { at, meta, where } from './meta.ts'
import { RESERVED_MODEL_NAMES, modelNameFor } from './names.ts'
import type { SchemaProvider } from './provider.ts'

/** Which model file owns each table, and what each table's Prisma model is called. */

export interface ModelOwner {
  /** Prisma model name. */
  model: string
  /** Table name in the database. */
  table: string
  /** Model file (relative) that defines it. */
  file: string
  line?: number
}

/** One owner per table, across code and .prisma files; every table name valid on `provider`. */
export function checkOwnership(models: DiscoveredModels, provider: SchemaProvider): ModelOwner[] {
  const byTable = new Map<string, ModelOwner>()
  const owners: ModelOwner[] = []
  const claim = (owner: ModelOwner) => {
    const key = owner.table.toLowerCase()
    const other = byTable.get(key)
    if (other) {
      throw new MigrateError('MODEL_INVALID', `table "${owner.table}" is defined twice: in ${at(other.file, other.line)} and in ${at(owner.file, owner.line)}`, {
        location: where(owner.file, owner.line),
        hint: 'each table must be defined by exactly one model; remove or rename one of them',
      })
    }
    byTable.set(key, owner)
    owners.push(owner)
  }
  for (const { table, file } of models.tables) {
    const m = meta(table)
    validateTableName(m.name, provider, file, m.definedAt?.line)
    claim({ model: m.options.modelName ?? '', table: m.name, file, ...(m.definedAt ? { line: m.definedAt.line } : {}) })
  }
  for (const fragment of models.fragments) {
    for (const block of fragment.blocks) {
      if (block.kind === 'model') claim({ model: block.name, table: block.table ?? block.name, file: fragment.file, line: block.line })
    }
  }
  return owners
}

function validateTableName(name: unknown, provider: SchemaProvider, file: string, line?: number): void {
  const problem = nameProblem(name, provider, 'table')
  if (problem) {
    throw new MigrateError('MODEL_INVALID', `${at(file, line)}: invalid table name ${JSON.stringify(name)}: ${problem}`, {
      location: where(file, line),
      hint: 'use letters, digits and underscores, starting with a letter, e.g. table(\'order_items\', …)',
    })
  }
}

/**
 * One Prisma model name per table: the one the table asks for (`modelName`), else its name singular
 * in PascalCase (`users` → `User`). Names are compared without case, as the client's delegates are
 * (`prisma.user`): a clash with another table, a fragment's model or an enum is an error naming
 * both, never a silent `User2` that would rename the client's API when a table is added.
 */
export function assignModelNames(tables: DiscoveredTable[], fragments: DiscoveredModels['fragments']): Map<AnyTable, string> {
  const taken = new Map<string, { where: string, what: string }>()
  for (const fragment of fragments) {
    for (const block of fragment.blocks) {
      if (block.kind === 'model' || block.kind === 'enum' || block.kind === 'view' || block.kind === 'type') {
        taken.set(block.name.toLowerCase(), { where: at(fragment.file, block.line), what: `the ${block.kind} ${block.name}` })
      }
    }
  }
  const sorted = [...tables].sort((a, b) => meta(a.table).name.localeCompare(meta(b.table).name))
  for (const { table, file } of sorted) {
    const m = meta(table)
    for (const column of Object.values(m.columns)) {
      const e = column?.state?.kind === 'enum' ? column.state.enumType : undefined
      if (typeof e?.name === 'string' && !taken.has(e.name.toLowerCase())) taken.set(e.name.toLowerCase(), { where: at(file, m.definedAt?.line), what: `the enum ${e.name}` })
    }
  }
  const names = new Map<AnyTable, string>()
  for (const { table, file } of sorted) {
    const m = meta(table)
    const here = at(file, m.definedAt?.line)
    const explicit = m.options?.modelName
    if (explicit !== undefined && (typeof explicit !== 'string' || !IDENTIFIER.test(explicit))) {
      throw new MigrateError('MODEL_INVALID', `${here}: invalid model name ${JSON.stringify(explicit)} for table "${m.name}"`, {
        location: where(file, m.definedAt?.line),
        hint: 'a model name must start with a letter and contain only letters, digits and underscores',
      })
    }
    const name = explicit ?? modelNameFor(m.name)
    const how = explicit === undefined ? `becomes the Prisma model "${name}"` : `asks for the Prisma model name "${name}"`
    const fix = explicit === undefined ? `give one of the two its own Prisma name with the table option modelName (e.g. modelName: '${name}Record')` : 'pick another modelName'
    if (RESERVED_MODEL_NAMES.has(name)) {
      throw new MigrateError('MODEL_INVALID', `${here}: table "${m.name}" ${how}, a name Prisma reserves`, {
        location: where(file, m.definedAt?.line),
        hint: `give it another Prisma name with the table option modelName (e.g. modelName: '${name}Entry')`,
      })
    }
    const other = taken.get(name.toLowerCase())
    if (other) {
      throw new MigrateError('MODEL_INVALID', `${here}: table "${m.name}" ${how}, which is already ${other.what} (${other.where})`, {
        location: where(file, m.definedAt?.line),
        hint: fix,
      })
    }
    taken.set(name.toLowerCase(), { where: here, what: `the model of table "${m.name}"` })
    names.set(table, name)
  }
  return names
}
