import { MigrateError } from '../core/errors.ts'
import { isSecretName, redactSecrets } from '../core/redact.ts'
import { quoteLiteral } from '../core/sql.ts'

/**
 * What an apply would lose, in rows and values a person can recognise: "column users.age: 3
 * non-null values will be dropped (e.g. 31, 45, 12)". Each target computes it on the run's own
 * connection, inside its transaction and before the push, so it describes the data the push would meet.
 *
 * The digest covers every value at stake, not only the few shown. A confirmation is given for one
 * digest; the apply that follows recomputes it in its own transaction and goes ahead only when it
 * is the same, so a row added, removed or edited meanwhile (by the app, by another process) makes
 * the run refuse instead of losing data nobody was shown.
 */
export interface LossItem {
  kind: 'table' | 'column' | 'rewrite' | 'enum' | 'schema' | 'engine'
  table: string
  column?: string
  /** Rows or values at stake (0 for a schema-only loss). */
  count: number
  /** A few of them, formatted for a terminal: masked, truncated, control characters escaped. */
  samples: string[]
  /** One line, samples included. */
  description: string
}

export interface LossReport {
  items: LossItem[]
  /** The plan the report is about: a confirmation holds for this SQL only. */
  planSql: string
  /** The plan's steps, shown with the question: a confirmation holds for these steps only. */
  planSteps: string[]
  digest: string
}

export const SAMPLES = 3
const MAX_TEXT = 40
const MAX_COLUMNS = 4

export type Row = Record<string, unknown>

/** An engine warning that names what an item already shows is not said twice. */
export function covers(item: LossItem, warning: string): boolean {
  if (item.kind === 'table') return warning.includes(`drop the \`${item.table}\` table`)
  if (item.kind === 'column' || item.kind === 'rewrite') return warning.includes(`\`${item.column}\``) && warning.includes(`\`${item.table}\``)
  return false
}

export function eg(samples: string[], count: number): string {
  if (samples.length === 0) return ''
  return ` (e.g. ${samples.join(', ')}${count > samples.length ? ', …' : ''})`
}

export function showRow(row: Row): string {
  const entries = Object.entries(row)
  const shown = entries.slice(0, MAX_COLUMNS).map(([k, v]) => `${escapeControl(k)} ${showValue(v, k)}`)
  return `(${shown.join(', ')}${entries.length > MAX_COLUMNS ? ', …' : ''})`
}

/**
 * A value as a terminal may show it: secrets masked on the whole value first (a URL cut in its
 * middle would no longer look like one), then long text cut, then control characters escaped so a
 * stored escape sequence cannot rewrite the question it appears in. A value of a column whose name
 * says it holds secrets (`password`, `api_key`, `auth_token`) is masked whatever it looks like: a
 * password is any text, and no shape tells "hunter2" from a name.
 */
export function showValue(value: unknown, column?: string): string {
  if (value === null || value === undefined) return 'NULL'
  if (column !== undefined && isSecretName(column)) return Buffer.isBuffer(value) ? `<blob of ${value.length} byte(s), masked>` : `'***'`
  if (Buffer.isBuffer(value)) return `<blob of ${value.length} byte(s)>`
  if (typeof value === 'number' || typeof value === 'bigint') return redactSecrets(String(value))
  const text = redactSecrets(String(value))
  const chars = [...text]
  const cut = chars.length > MAX_TEXT ? `${chars.slice(0, MAX_TEXT - 1).join('')}…` : text
  return `${quoteLiteral(escapeControl(cut))}${chars.length > MAX_TEXT ? ` (${chars.length} chars)` : ''}`
}

function escapeControl(text: string): string {
  // C0/C1 controls, DEL, and the bidirectional overrides that can reorder what a terminal shows.
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g, (ch) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }
    return named[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
}

/** A refusal to lose data, with what would have been lost: a terminal (or the dev page) can show it and ask. */
export class DataLossError extends MigrateError {
  readonly report: LossReport
  constructor(message: string, report: LossReport, options: { hint: string }) {
    super('GUARD_DATA_LOSS', message, { step: 'guard', hint: options.hint })
    this.report = report
  }
}
