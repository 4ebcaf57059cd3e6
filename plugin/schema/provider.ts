/**
 * The database a generated schema is for, and the facts about it that rendering and validation
 * depend on. Everything provider-specific in plugin/schema/ asks here, so that adding a provider
 * means reading one list, not grepping for "sqlite".
 */

export type SchemaProvider = 'sqlite' | 'postgresql'

export const SCHEMA_PROVIDERS: readonly SchemaProvider[] = ['sqlite', 'postgresql']

interface ProviderFacts {
  /** How messages name the database. */
  label: string
  /**
   * Longest table, column, enum, enum value and index name. PostgreSQL cuts identifiers to 63 bytes
   * without an error, so a longer name would be created under another name than the one the models
   * give, and every later diff would want to create it again. SQLite has no limit: 128 keeps names
   * readable and well within what any tool shows.
   */
  maxNameBytes: number
  /** The database itself shortens a longer name (rather than refusing it). */
  truncates: boolean
  /** A table name prefix the database keeps for itself. */
  reservedTablePrefix?: RegExp
  /** Column names the database refuses because every table already has them (system columns). */
  reservedColumns: ReadonlySet<string>
}

const FACTS: Record<SchemaProvider, ProviderFacts> = {
  sqlite: {
    label: 'SQLite',
    maxNameBytes: 128,
    truncates: false,
    reservedTablePrefix: /^sqlite_/i,
    // rowid, oid and _rowid_ are aliases SQLite gives up when a column takes the name: allowed.
    reservedColumns: new Set(),
  },
  postgresql: {
    label: 'PostgreSQL',
    maxNameBytes: 63,
    truncates: true,
    // CREATE TABLE refuses these ("column name conflicts with a system column name").
    reservedColumns: new Set(['tableoid', 'xmin', 'cmin', 'xmax', 'cmax', 'ctid']),
  },
}

export function providerFacts(provider: SchemaProvider): ProviderFacts {
  return FACTS[provider]
}

/** The datasource block of a schema for `provider`; the engine's "from the live database" side uses it too. */
export function datasourceBlock(provider: SchemaProvider): string {
  return `datasource db {\n  provider = ${JSON.stringify(provider)}\n}`
}

/** The schema provider a Prisma driver adapter speaks (adapters say "postgres", schemas "postgresql"). */
export function providerOfAdapter(adapterProvider: string): SchemaProvider {
  if (adapterProvider === 'sqlite') return 'sqlite'
  if (adapterProvider === 'postgres' || adapterProvider === 'postgresql') return 'postgresql'
  throw new Error(`no schema provider for the driver adapter provider ${JSON.stringify(adapterProvider)}`)
}
