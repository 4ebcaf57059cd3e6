import type { ColumnKind } from '../model/dsl.ts'

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

export function sqlDefault(expression: unknown, kind: ColumnKind): SqlDefault {
  if (typeof expression !== 'string' || expression.trim() === '') {
    return { problem: 'the SQL expression is empty', hint: 'write the expression, e.g. sql`CURRENT_DATE`, or remove the default' }
  }
  if (expression.includes('\u0000')) {
    return { problem: 'the SQL expression contains a NUL character (\\u0000), where SQLite would end the statement', hint: 'remove the \\u0000' }
  }
  const text = canonical(expression)
  if (kind === 'datetime') {
    // The engine reads these back as now(), so they must be written as now() to compare equal.
    if (text === 'CURRENT_TIMESTAMP' || text === "DATETIME('NOW')") return { attribute: 'now()' }
    if (text === 'CURRENT_DATE' || text === 'CURRENT_TIME') return { attribute: `dbgenerated(${JSON.stringify(text)})` }
  }
  const keyword = ['CURRENT_TIMESTAMP', 'CURRENT_DATE', 'CURRENT_TIME'].includes(text)
  return {
    problem: keyword
      ? `${text} is a date or time, and the column is ${kind}`
      : 'Prisma\'s engine cannot keep an SQL expression default in step with SQLite (SQLite reports it back without its parentheses, so every run would rebuild the table)',
    hint: alternatives(kind),
  }
}

function alternatives(kind: ColumnKind): string {
  const common = 'SQL expressions work as defaults only as CURRENT_TIMESTAMP, CURRENT_DATE or CURRENT_TIME on a datetime() column'
  switch (kind) {
    case 'text':
      return `for a generated id use .defaultUuid() or .defaultCuid() (Prisma Client fills them in); for a fixed text use .default('…'); otherwise set the value when you insert. ${common}`
    case 'json':
    case 'bytes':
      return `set the value when you insert (${kind}() columns take no default in SQLite). ${common}`
    case 'datetime':
      return `use .defaultNow() for the current time, .default(new Date(…)) for a fixed one, or set the value when you insert. ${common}`
    default:
      return `use a literal .default(value), or set the value when you insert. ${common}`
  }
}
