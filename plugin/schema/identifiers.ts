import { providerFacts, type SchemaProvider } from './provider.ts'

/** What the generator accepts as a table, column, model, enum or enum value name. */
export const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/

/** Why `name` cannot be a table or column name on `provider`, or undefined when it can. */
export function nameProblem(name: unknown, provider: SchemaProvider, kind: 'table' | 'column'): string | undefined {
  const facts = providerFacts(provider)
  if (typeof name !== 'string' || name.length === 0) return 'it is empty'
  const tooLong = lengthProblem(name, provider)
  if (tooLong) return tooLong
  if (kind === 'table' && facts.reservedTablePrefix?.test(name)) return `names starting with "${facts.reservedTablePrefix.source.replace(/^\^/, '')}" are reserved by ${facts.label}`
  if (!IDENTIFIER.test(name)) return 'only letters, digits and underscores are allowed, starting with a letter'
  if (kind === 'column' && facts.reservedColumns.has(name.toLowerCase())) return `${facts.label} gives every table a system column of that name`
  return undefined
}

/** Why a name is too long for `provider` (counted in bytes, as databases count), or undefined. */
export function lengthProblem(name: string, provider: SchemaProvider): string | undefined {
  const { maxNameBytes, truncates, label } = providerFacts(provider)
  const bytes = Buffer.byteLength(name, 'utf8')
  if (bytes <= maxNameBytes) return undefined
  const why = truncates ? `: ${label} would silently cut it short` : ''
  return `it is ${bytes} ${bytes === name.length ? 'characters' : 'bytes'} long (at most ${maxNameBytes}${why})`
}
