import { createHash } from 'node:crypto'
import { MigrateError } from '../core/errors.ts'
import { TOOL_VERSION } from '../core/version.ts'
import type { DiscoveredModels } from '../model/discover.ts'
import { formatAndValidate } from '../engine/prisma-format.ts'
import { at, meta, where } from './meta.ts'
import { assignModelNames, checkOwnership, type ModelOwner } from './ownership.ts'
import { SCHEMA_PROVIDERS, datasourceBlock, providerFacts, type SchemaProvider } from './provider.ts'
import { planRelations } from './relations.ts'
import { enumBlock, modelBlock, type EnumUses } from './render.ts'

/**
 * Models → Prisma schema text. Deterministic: the same models give the same bytes, whatever the
 * order files were read in, so the hash of the text can drive the fast path.
 */

export interface GeneratedSchema {
  /** The database the schema is for. */
  provider: SchemaProvider
  /** Hash of the unformatted text, the tool version and the settings that change the diff: same inputs, same hash. */
  hash: string
  /** Every table the models own, with the file that owns it. */
  owners: ModelOwner[]
  /**
   * The schema text, formatted and validated by Prisma's own tooling. The first call loads Prisma's
   * schema wasm (the fast path compares `hash` and never calls this) and throws SCHEMA_INVALID, against
   * the model file, when Prisma rejects the schema; later calls return the same text.
   */
  validatedText(): string
}

import { SCHEMA_HEADER } from './header.ts'

export interface GenerateOptions {
  /** Where the Prisma Client is generated, relative to the schema file. */
  clientOutput: string
  /** Changes what the diff contains, so it is part of the hash the fast path compares. */
  dropUnmodelledTables?: boolean
  /** The database the schema is for (default: sqlite). */
  provider?: SchemaProvider
}

export function generateSchema(models: DiscoveredModels, options: GenerateOptions): GeneratedSchema {
  const provider = options.provider ?? 'sqlite'
  // Typed, but a JavaScript caller (plugin options) can pass anything.
  if (!SCHEMA_PROVIDERS.includes(provider)) {
    throw new MigrateError('CONFIG', `unknown database provider ${JSON.stringify(provider)}`, { hint: `use one of ${SCHEMA_PROVIDERS.join(', ')}` })
  }
  const owners = checkOwnership(models, provider)
  const modelNames = assignModelNames(models.tables, models.fragments)
  const relations = planRelations(models.tables, modelNames)
  for (const owner of owners) {
    const entry = models.tables.find((t) => meta(t.table).name === owner.table)
    if (entry) owner.model = modelNames.get(entry.table)!
  }

  const enums: EnumUses = new Map()
  const blocks: string[] = []
  const sortedTables = [...models.tables].sort((a, b) => meta(a.table).name.localeCompare(meta(b.table).name))
  for (const entry of sortedTables) {
    blocks.push(modelBlock(entry, { provider, modelNames, relations, enums }))
  }
  if (provider === 'postgresql') checkEnumTypeNames(enums, owners)
  checkIndexNames(models, owners, provider)
  for (const [name, { values }] of [...enums].sort(([a], [b]) => a.localeCompare(b))) {
    blocks.push(enumBlock(name, values))
  }
  const fragments = [...models.fragments].sort((a, b) => a.file.localeCompare(b.file))
  for (const fragment of fragments) {
    blocks.push(`// from ${fragment.file}\n${fragment.content.trim()}`)
  }
  const head = [
    ...SCHEMA_HEADER,
    '',
    datasourceBlock(provider),
    '',
    `generator client {\n  provider = "prisma-client"\n  output   = ${JSON.stringify(options.clientOutput)}\n}`,
  ].join('\n')
  const raw = `${head}\n\n${blocks.join('\n\n')}\n`
  let text: string | undefined
  return {
    provider,
    // The unformatted text: hashing it needs no wasm, which is what keeps the fast path fast.
    hash: createHash('sha256').update(`${TOOL_VERSION}\n${options.dropUnmodelledTables ? 'drop-unmodelled\n' : ''}${raw}`).digest('hex'),
    owners,
    validatedText() {
      text ??= formatAndValidate(raw, owners)
      return text
    },
  }
}

/**
 * Indexes and tables share one namespace in both databases (sqlite_master; pg_class): an index
 * named like a table fails CREATE INDEX in the middle of the apply. Said here, against the model.
 */
function checkIndexNames(models: DiscoveredModels, owners: ModelOwner[], provider: SchemaProvider): void {
  for (const entry of models.tables) {
    const m = meta(entry.table)
    for (const extra of m.extras) {
      const name = extra.kind === 'foreignKey' ? undefined : extra.name
      if (typeof name !== 'string') continue
      // SQLite compares names without case; PostgreSQL exactly (the engine quotes them).
      const table = owners.find((o) => provider === 'sqlite' ? o.table.toLowerCase() === name.toLowerCase() : o.table === name)
      if (!table) continue
      throw new MigrateError('MODEL_INVALID', `${at(entry.file, m.definedAt?.line)}: an ${extra.kind} of table "${m.name}" has the name "${name}", which is the table "${table.table}" (${at(table.file, table.line)}): ${providerFacts(provider).label} keeps tables and indexes in one namespace`, {
        location: where(entry.file, m.definedAt?.line),
        hint: `give it another name, e.g. .named('${m.name}_${name}_idx'), or leave the name out`,
      })
    }
  }
}

/**
 * PostgreSQL gives every table a composite type of its own name, in the same namespace as the
 * enum types: an enum named like a table could never be created (`type "x" already exists`).
 */
function checkEnumTypeNames(enums: EnumUses, owners: ModelOwner[]): void {
  for (const [name, use] of enums) {
    const table = owners.find((o) => o.table === name)
    if (!table) continue
    throw new MigrateError('MODEL_INVALID', `${at(use.file, use.line)}: enum "${name}" has the name of the table "${table.table}" (${at(table.file, table.line)}), and PostgreSQL keeps one type per name for both`, {
      location: where(use.file, use.line),
      hint: `rename the enum (e.g. enumType('${name}Kind', …)) or the table`,
    })
  }
}
