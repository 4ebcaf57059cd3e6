import { MigrateError, type Location } from '../core/errors.ts'
import type { AnyColumn, ColumnKind } from '../model/dsl.ts'
import { providerFacts, type SchemaProvider } from './provider.ts'
import { sqlDefault } from './sql-default.ts'

/** A column's `.default(…)` as the argument of Prisma's `@default(…)`, checked against the column type and the database. */

export type ColumnDefault = NonNullable<AnyColumn['state']['default']>

/** PostgreSQL's `integer`, which Prisma's Int is there: a wider default fails CREATE TABLE. */
const INT4_MIN = -(2 ** 31)
const INT4_MAX = 2 ** 31 - 1
const INT8_MIN = -(2n ** 63n)
const INT8_MAX = 2n ** 63n - 1n

export function defaultExpression(
  value: ColumnDefault,
  kind: ColumnKind,
  enumValues: readonly string[] | undefined,
  provider: SchemaProvider,
  colWhere: string,
  location: Location,
): string {
  const label = providerFacts(provider).label
  const bad = (expected: string) => new MigrateError('MODEL_INVALID', `${colWhere}: default ${describeDefault(value)} does not fit ${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} column (expected ${expected})`, {
    location,
    hint: `give .default() ${/^(an? |true )/.test(expected) ? expected : `a ${expected}`}, or remove it`,
  })
  if (value.kind === 'now') {
    if (kind !== 'datetime') throw bad('datetime column for defaultNow()')
    return 'now()'
  }
  if (value.kind === 'uuid' || value.kind === 'cuid') {
    if (kind !== 'text') throw bad(`text column for default${value.kind === 'uuid' ? 'Uuid' : 'Cuid'}()`)
    return `${value.kind}()`
  }
  if (kind === 'unsupported') {
    // Prisma keeps an unsupported column's default only as SQL text, which SQLite reports back as written.
    if (value.kind === 'sql' && typeof value.sql === 'string' && !/[\u0000"\\]/.test(value.sql)) return `dbgenerated(${JSON.stringify(value.sql)})`
    throw new MigrateError('MODEL_INVALID', `${colWhere}: an unsupported() column takes its default as SQL without quotes or backslashes, e.g. .default(sql\`3\`), not ${describeDefault(value)}`, {
      location, hint: "write the default as the database declares it: .default(sql`3`), .default(sql`'Y'`)",
    })
  }
  if (value.kind === 'sql') {
    const rendered = sqlDefault(value.sql, kind, provider)
    if ('attribute' in rendered) return rendered.attribute
    throw new MigrateError('MODEL_INVALID', `${colWhere}: default ${describeDefault(value)}: ${rendered.problem}`, { location, hint: rendered.hint })
  }
  const v = value.value
  switch (kind) {
    case 'int':
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad('an integer')
      if (provider === 'postgresql' && (v < INT4_MIN || v > INT4_MAX)) {
        throw new MigrateError('MODEL_INVALID', `${colWhere}: default ${v} is out of range for an int column on ${label} (a 32-bit integer: ${INT4_MIN} to ${INT4_MAX})`, {
          location, hint: 'use a bigint() column for larger values, or a smaller default',
        })
      }
      return String(v)
    case 'bigint':
      if (typeof v !== 'bigint' && !(typeof v === 'number' && Number.isSafeInteger(v))) throw bad('a bigint')
      if (BigInt(v) < INT8_MIN || BigInt(v) > INT8_MAX) {
        throw new MigrateError('MODEL_INVALID', `${colWhere}: default ${describeDefault(value)} is out of range for a bigint column (a 64-bit integer: ${INT8_MIN} to ${INT8_MAX})`, {
          location, hint: 'use a decimal() column for larger values, or a smaller default',
        })
      }
      return String(v)
    case 'real':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('a finite number')
      return plainNumber(v)
    case 'decimal': {
      if (!(typeof v === 'number' && Number.isFinite(v)) && !(typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v))) throw bad('a number or a decimal string')
      const text = typeof v === 'number' ? plainNumber(v) : v
      if (provider === 'postgresql') checkNumericFits(text, colWhere, location)
      return text
    }
    case 'boolean':
      if (typeof v !== 'boolean') throw bad('true or false')
      return String(v)
    case 'text':
      if (typeof v !== 'string') throw bad('a string')
      if (v.includes('\u0000')) {
        // SQLite's SQL text ends at a NUL: the engine would write a broken DEFAULT clause, or a shorter
        // value than asked for. PostgreSQL's text cannot hold a NUL at all.
        throw new MigrateError('MODEL_INVALID', `${colWhere}: default ${describeDefault(value)} contains a NUL character (\\u0000), which a ${label} column default cannot hold`, {
          location, hint: 'remove the \\u0000 from the default, or set the value from your code when inserting',
        })
      }
      return JSON.stringify(v)
    case 'datetime': {
      const date = v instanceof Date ? v : typeof v === 'string' ? isoMoment(v, colWhere, location) : undefined
      if (!date || Number.isNaN(date.getTime())) throw bad('a Date or an ISO date string')
      return JSON.stringify(date.toISOString())
    }
    case 'json':
      if (provider === 'sqlite') {
        // The engine writes a Json default into SQLite's CREATE TABLE without quotes
        // (`DEFAULT {"a":1}`), which SQLite cannot parse: the table could never be created.
        throw bad('no default (json columns cannot have one in SQLite: set the value when you insert, or use a text() column with a default)')
      }
      if (v === null) {
        // JSON's null, not SQL NULL: a row inserted without the column would hold a value that
        // Prisma Client reads as JsonNull, where the model's author most likely meant "no value".
        throw new MigrateError('MODEL_INVALID', `${colWhere}: default null on a json column would be JSON's null value, not SQL NULL`, {
          location, hint: 'leave .default() out: a nullable json() column is NULL when an insert leaves it out',
        })
      }
      return JSON.stringify(jsonText(v, bad))
    case 'enum':
      if (typeof v !== 'string' || !enumValues?.includes(v)) throw bad(`one of ${enumValues?.map((e) => `'${e}'`).join(', ')}`)
      return v
    case 'bytes':
      throw bad('no default (bytes columns cannot have one)')
  }
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i

/**
 * A datetime default written as text, read the same way on every machine. `new Date()` alone
 * would move 2024-02-30 to March 1st without a word, read "2024-01-01 10:00" in the local time
 * zone (another schema, and another default, on a colleague's machine), guess at "March 5, 2024"
 * and drop digits past the millisecond that the column keeps.
 */
function isoMoment(text: string, colWhere: string, location: Location): Date {
  const fail = (problem: string, hint: string) => new MigrateError('MODEL_INVALID', `${colWhere}: default ${JSON.stringify(text)} ${problem}`, { location, hint })
  const m = ISO.exec(text.trim())
  if (!m) throw fail('is not an ISO 8601 date or date and time', "write it as '2024-03-05' or '2024-03-05T10:00:00Z', or pass a Date")
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', zone] = m
  // setUTCFullYear, not Date.UTC: that one reads the years 0–99 as 1900–1999.
  const daysInMonth = new Date(new Date(0).setUTCFullYear(Number(year), Number(month), 0)).getUTCDate()
  if (Number(month) < 1 || Number(month) > 12 || Number(day) < 1 || Number(day) > daysInMonth || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) {
    throw fail('is not a date that exists', 'check the month, day and time')
  }
  if (m[4] !== undefined && zone === undefined) {
    throw fail('has a time but no time zone, so it would mean another moment on a machine in another zone', `add Z for UTC (${JSON.stringify(`${text.trim()}Z`)}) or an offset such as +02:00`)
  }
  if (/[1-9]/.test(fraction.slice(3))) throw fail('has digits past the millisecond, which the column cannot keep', 'give at most three digits after the seconds')
  return new Date(text.trim())
}

/** PostgreSQL's column for Prisma's Decimal: DECIMAL(65,30). */
const DECIMAL_FRACTION_DIGITS = 30
const DECIMAL_INTEGER_DIGITS = 65 - DECIMAL_FRACTION_DIGITS

/**
 * PostgreSQL rounds a longer fraction to 30 digits without a word (an insert then stores another
 * value than the model's default) and refuses more than 35 integer digits only at insert time.
 */
function checkNumericFits(text: string, colWhere: string, location: Location): void {
  const [whole = '', fraction = ''] = text.replace(/^-/, '').split('.')
  const integerDigits = whole.replace(/^0+/, '').length
  const fractionDigits = fraction.replace(/0+$/, '').length
  if (integerDigits <= DECIMAL_INTEGER_DIGITS && fractionDigits <= DECIMAL_FRACTION_DIGITS) return
  const what = fractionDigits > DECIMAL_FRACTION_DIGITS ? `${fractionDigits} digits after the point (PostgreSQL would round them to ${DECIMAL_FRACTION_DIGITS})` : `${integerDigits} digits before the point (at most ${DECIMAL_INTEGER_DIGITS})`
  throw new MigrateError('MODEL_INVALID', `${colWhere}: default ${text} has ${what}: a decimal column on PostgreSQL is DECIMAL(65,30)`, {
    location, hint: 'give .default() a decimal string that fits, e.g. \'0.1234\'',
  })
}

/**
 * A number as Prisma's schema language writes it: JavaScript shows 1e-7 and 1e21 in exponent
 * notation, which Prisma cannot parse ("not a valid field or attribute definition"). Numbers
 * JavaScript shows plainly are returned as before, so no schema that worked changes its text.
 */
export function plainNumber(v: number): string {
  const shown = String(v)
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(shown)
  if (!m) return shown
  const [, sign, first, rest = '', exponent] = m
  const digits = `${first}${rest}`
  const point = 1 + Number(exponent)
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`
}

/** A json() default as the JSON text Prisma takes: only values that survive JSON as they are. */
function jsonText(v: unknown, bad: (expected: string) => MigrateError): string {
  const expected = 'a JSON value (an object, array, string, number, boolean or null, with nothing JSON would drop or change)'
  let text: string | undefined
  try {
    text = JSON.stringify(v)
  } catch {
    throw bad(expected)
  }
  // JSON.stringify drops undefined, functions and symbols, turns NaN into null and Dates into
  // strings: a default that reads back different from what the model wrote is refused, not stored.
  if (text === undefined || !sameJson(JSON.parse(text), v)) throw bad(expected)
  if (text.includes('\\u0000')) throw bad('JSON without a NUL character (\\u0000), which PostgreSQL\'s jsonb cannot hold')
  return text
}

function sameJson(parsed: unknown, original: unknown): boolean {
  if (parsed === null || typeof parsed !== 'object') return Object.is(parsed, original) || (typeof original === 'number' && parsed === original)
  if (original === null || typeof original !== 'object') return false
  if (Array.isArray(parsed)) return Array.isArray(original) && parsed.length === original.length && parsed.every((item, i) => sameJson(item, (original as unknown[])[i]))
  const proto = Object.getPrototypeOf(original) as unknown
  if (Array.isArray(original) || (proto !== Object.prototype && proto !== null)) return false
  const keys = Object.keys(original)
  const parsedKeys = Object.keys(parsed)
  return keys.length === parsedKeys.length && keys.every((key) => key in parsed && sameJson((parsed as Record<string, unknown>)[key], (original as Record<string, unknown>)[key]))
}

/** A default as the model file wrote it, for messages. */
export function describeDefault(value: ColumnDefault): string {
  if (value.kind === 'sql') return `sql\`${value.sql}\``
  if (value.kind !== 'value') return `${value.kind}()`
  const v = value.value
  return typeof v === 'bigint' ? `${v}n` : v instanceof Date ? v.toISOString() : JSON.stringify(v) ?? String(v)
}
