import { databaseMissing } from '../core/config.ts'
import { MigrateError, errorMessage, formatLocation } from '../core/errors.ts'
import { redactSecrets } from '../core/redact.ts'
import { applyVerdict, isDataLossWarning, lossCheckLine, planRequiredAdvice, shownPath, warningLine } from '../pipeline/verdict-words.ts'
import type { MigrateResult } from '../types.ts'

/**
 * A run's result as Markdown, for the places a change is reviewed: GitHub's job summary, a pull
 * request comment a bot posts from `check --format markdown`. Everything the models or the
 * database named (tables, columns, warnings, SQL) is data: escaped, so that a name holding `*`,
 * `<` or backticks reads as itself and cannot open a block, a link or HTML.
 */

/** Where a step's model file is, as the reader should see it (`model/users.ts:7`). */
export type StepPlace = string | undefined

/** GitHub refuses a job summary over 1 MiB; a plan that large is cut, with a pointer to the rest. */
export const MAX_SQL_CHARS = 200_000
export const MAX_LISTED_STEPS = 500

/** `icon`: ❌ where pending changes fail the job (check, a build), ⚠️ where they only warn. */
export function resultMarkdown(result: MigrateResult, places: readonly StepPlace[] = [], icon: '❌' | '⚠️' = '❌'): string {
  const db = code(shownPath(result))
  if (result.outcome === 'in-sync') return `✅ migrate-plugin: ${db} is in sync with the models\n`
  const plan = result.plan
  const steps = plan?.steps ?? []
  if (result.outcome === 'applied') return `✅ migrate-plugin: applied ${steps.length} change(s) to ${db}\n`
  const created = steps.filter((s) => s.kind === 'create table').length
  const lines: string[] = [
    databaseMissing(result.config)
      ? `### ${icon} migrate-plugin: ${db} does not exist; ${created} table(s) would be created`
      : `### ${icon} migrate-plugin: ${steps.length} pending change(s) in ${db}`,
    '',
  ]
  steps.slice(0, MAX_LISTED_STEPS).forEach((step, i) => {
    const place = places[i] ?? step.file
    lines.push(`- ${inline(step.description)}${place ? ` — ${code(place)}` : ''}`)
  })
  if (steps.length > MAX_LISTED_STEPS) lines.push(`- … and ${steps.length - MAX_LISTED_STEPS} more (run \`npx migrate-plugin preview\` to see them all)`)
  const notes = [
    ...result.warnings.map((w) => `- ⚠️ ${inline(warningLine(w).replace(/^! /, ''))}`),
    ...result.unexecutable.map((u) => `- ⛔ cannot run: ${inline(u)}`),
    ...(result.previewError ? [`- ⛔ apply would fail: ${inline(result.previewError)}`] : []),
    ...(result.lossCheckError ? [`- ⚠️ ${inline(lossCheckLine(result.lossCheckError))}`] : []),
  ]
  if (notes.length) lines.push('', '**Warnings**', '', ...notes)
  if (plan?.sql) {
    const all = redactSecrets(plan.sql)
    const sql = all.length > MAX_SQL_CHARS ? `${all.slice(0, MAX_SQL_CHARS)}\n-- … cut here: run npx migrate-plugin preview for the rest` : all
    const fence = fenceFor(sql)
    lines.push('', '<details><summary>SQL</summary>', '', `${fence}sql`, sql, fence, '', '</details>')
  }
  lines.push('', applyAdvice(result))
  return `${lines.join('\n')}\n`
}

/** The last line: the command that applies the change, or why an apply would refuse it. */
export function applyAdvice(result: MigrateResult): string {
  const verdict = applyVerdict(result)
  if (verdict.refuses) return `An apply would refuse this: ${inline(verdict.fix)}.`
  if (result.warnings.some(isDataLossWarning)) return 'Applying this loses data; if that is intended: `npx migrate-plugin apply --accept-data-loss`'
  return 'Apply with: `npx migrate-plugin apply`'
}

/** The same advice as plain text, for an annotation's message. */
export function applyAdviceText(result: MigrateResult): string {
  const verdict = applyVerdict(result)
  if (verdict.refuses) return `An apply would refuse this: ${verdict.fix}.`
  const planRequired = planRequiredAdvice(result)
  if (planRequired) return `${planRequired}.`
  if (result.warnings.some(isDataLossWarning)) return 'Applying it loses data; if that is intended: npx migrate-plugin apply --accept-data-loss'
  return 'Apply with: npx migrate-plugin apply'
}

/** A failed run: what, where, and the hint. */
export function errorMarkdown(error: unknown, command: string | undefined, place: string | undefined): string {
  const message = errorMessage(error)
  const lines = [`### ❌ migrate-plugin${command ? ` ${inline(command)}` : ''} failed`, '', inline(message)]
  if (place) lines.push('', `at ${code(place)}`)
  if (error instanceof MigrateError && error.hint) lines.push('', inline(error.hint))
  return `${lines.join('\n')}\n`
}

/** `file:line` for a MigrateError's location, as given. */
export function locationText(error: unknown): string | undefined {
  return error instanceof MigrateError && error.location ? formatLocation(error.location) : undefined
}

/**
 * Text as itself in Markdown: every character that could start emphasis, code, a link, HTML, a
 * heading or a table cell is escaped, and line breaks stay inside the list item.
 */
export function inline(text: string): string {
  return redactSecrets(text)
    .replace(/[\\`*_{}[\]<>()#+!|~&]/g, (ch) => `\\${ch}`)
    .replace(/\r\n|\r|\n/g, '<br>')
}

/** A code span that holds any text: fenced with more backticks than the longest run inside it. */
export function code(text: string): string {
  const clean = redactSecrets(text).replace(/\r\n|\r|\n/g, ' ')
  const longest = Math.max(0, ...[...clean.matchAll(/`+/g)].map((m) => m[0].length))
  const fence = '`'.repeat(longest + 1)
  const pad = clean.startsWith('`') || clean.endsWith('`') ? ' ' : ''
  return `${fence}${pad}${clean}${pad}${fence}`
}

/** A code fence longer than any run of backticks in the block, so SQL holding ``` cannot close it. */
export function fenceFor(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`{3,}/g)].map((m) => m[0].length))
  return '`'.repeat(Math.max(3, longest + 1))
}
