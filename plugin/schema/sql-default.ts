import type { ColumnKind } from '../model/dsl.ts'
import { SCHEMA_PROVIDERS, providerFacts, type SchemaProvider } from './provider.ts'

/**
 * SQL expression defaults (`.default(sql`…`)`) as the generated Prisma schema can carry them.
 *
 * Prisma's SQLite engine writes `@default(dbgenerated("…"))` into the DDL as it is written, so an
 * expression must come with its parentheses (`DEFAULT (lower(hex(randomblob(16))))`) — but SQLite
 * reports that default back without them (`lower(hex(randomblob(16)))`), and the engine compares
 * the two texts. Every run would then find a difference and rebuild the table: a change that never
 * settles. (A text column is worse: the engine reads any default of one back as a plain string.)
 * Only the bare keywords survive that round trip, on datetime columns, so those are what is
 * accepted; anything else is refused with the alternative that fits the column. The engine
 * contract test in test/sql-defaults.test.ts fails when an engine upgrade lifts this limit.
 *
 * PostgreSQL reports a default back in its own words (`lower('ABC')` as `lower('ABC'::text)`,
 * `1 + 2` with parentheses): measured on PostgreSQL 15 with the pinned engine, some expressions
 * settle and others change again on every run, with nothing to tell them apart beforehand. The
 * same short list is accepted there, minus what PostgreSQL cannot run: CURRENT_TIME (a time of day
 * with time zone, which no timestamp column takes) and SQLite's datetime('now'); plus now(), its
 * own name for the current time (written as now(): as `dbgenerated("now()")` it never settles).
 */

export type SqlDefault = { attribute: string } | { problem: string, hint: string }

/** The expression without surrounding whitespace and redundant outer parentheses, spaces collapsed, upper case. */
function canonical(expression: string): string {
  let text = expression.trim()
  while (/^\(.*\)$/s.test(text) && balanced(text.slice(1, -1))) text = text.slice(1, -1).trim()
  return text.replace(/\s+/g, ' ').replace(/\s*([(),])\s*/g, '$1').toUpperCase()
}

function balanced(text: string): boolean {
  let depth = 0
  for (const ch of text) {
    if (ch === '(') depth++
    else if (ch === ')' && --depth < 0) return false
  }
  return depth === 0
}

export function sqlDefault(expression: unknown, kind: ColumnKind, provider: SchemaProvider = 'sqlite'): SqlDefault {
  const label = providerFacts(provider).label
  if (typeof expression !== 'string' || expression.trim() === '') {
    return { problem: 'the SQL expression is empty', hint: 'write the expression, e.g. sql`CURRENT_DATE`, or remove the default' }
  }
  if (expression.includes('\u0000')) {
    return { problem: `the SQL expression contains a NUL character (\\u0000), where ${label} would end the statement`, hint: 'remove the \\u0000' }
  }
  const text = canonical(expression)
  const accepted = ACCEPTED[provider]
  if (kind === 'datetime') {
    const attribute = accepted.get(text)
    if (attribute) return { attribute }
  }
  return { problem: refusal(text, kind, provider), hint: alternatives(kind, provider) }
}

function refusal(text: string, kind: ColumnKind, provider: SchemaProvider): string {
  const label = providerFacts(provider).label
  const elsewhere = SCHEMA_PROVIDERS.find((other) => other !== provider && ACCEPTED[other].has(text))
  if (kind !== 'datetime' && (ACCEPTED[provider].has(text) || KEYWORDS.includes(text))) return `${text} is a date or time, and the column is ${kind}`
  if (kind === 'datetime' && text === 'CURRENT_TIME' && provider === 'postgresql') return 'CURRENT_TIME is a time of day without a date, which PostgreSQL cannot store in a datetime (timestamp) column'
  if (elsewhere) return `${text} is ${providerFacts(elsewhere).label} SQL, and the database is ${label}`
  return provider === 'sqlite'
    ? 'Prisma\'s engine cannot keep an SQL expression default in step with SQLite (SQLite reports it back without its parentheses, so every run would rebuild the table)'
    : `Prisma's engine cannot keep an SQL expression default in step with ${label} (the database reports it back in its own words, so every run would change the column again)`
}

const KEYWORDS = ['CURRENT_TIMESTAMP', 'CURRENT_DATE', 'CURRENT_TIME']

/**
 * The expressions each database keeps in step, on datetime columns, and what they are written as:
 * the engine reads the current time back as now(), so it must be written as now() to compare equal.
 */
const ACCEPTED: Record<SchemaProvider, ReadonlyMap<string, string>> = {
  sqlite: new Map([
    ['CURRENT_TIMESTAMP', 'now()'],
    ["DATETIME('NOW')", 'now()'],
    ['CURRENT_DATE', 'dbgenerated("CURRENT_DATE")'],
    ['CURRENT_TIME', 'dbgenerated("CURRENT_TIME")'],
  ]),
  // CURRENT_TIME is a time with time zone, which PostgreSQL cannot cast to the timestamp column;
  // datetime('now') is SQLite's function and does not exist there.
  postgresql: new Map([
    ['CURRENT_TIMESTAMP', 'now()'],
    ['NOW()', 'now()'],
    ['CURRENT_DATE', 'dbgenerated("CURRENT_DATE")'],
  ]),
}

function alternatives(kind: ColumnKind, provider: SchemaProvider): string {
  const words = [...ACCEPTED[provider].keys()]
  const common = `SQL expressions work as defaults only as ${words.slice(0, -1).join(', ')} or ${words.at(-1)} on a datetime() column`
  switch (kind) {
    case 'text':
      return `for a generated id use .defaultUuid() or .defaultCuid() (Prisma Client fills them in); for a fixed text use .default('…'); otherwise set the value when you insert. ${common}`
    case 'json':
      return provider === 'sqlite'
        ? `set the value when you insert (json() columns take no default in SQLite). ${common}`
        : `use a literal .default({ … }), or set the value when you insert. ${common}`
    case 'bytes':
      return `set the value when you insert (bytes() columns take no default). ${common}`
    case 'datetime':
      return `use .defaultNow() for the current time, .default(new Date(…)) for a fixed one, or set the value when you insert. ${common}`
    default:
      return `use a literal .default(value), or set the value when you insert. ${common}`
  }
}
