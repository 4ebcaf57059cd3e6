import { MigrateError } from '../core/errors.ts'
import { isDataLossWarning } from '../pipeline/verdict-words.ts'
import type { SchemaObject } from '../targets/target.ts'
import type { Plan, PlanStep } from '../types.ts'

/**
 * A reviewed plan file: SQL comments a person reads (the steps, what cannot run, what is lost) and
 * a machine reads (where the database was when it was planned), then the SQL, which runs as written.
 * Only three kinds of comment line are read back: the first line, the two `-- from …` / `-- to …`
 * lines and the `-- object: …` lines; everything else is free to edit.
 */

export const FIRST_LINE = '-- migrate-plugin plan'

export interface PlanHeader {
  /** The live schema's fingerprint when the plan was written (what session.fingerprint() says). */
  fingerprint: string
  /** The generated schema's hash the plan leads to. */
  schemaHash: string
  /** The live schema one object at a time, to name what moved. */
  objects: SchemaObject[]
  /**
   * The generated Prisma schema the plan leads to: what the result is verified against when the
   * models have moved on since (an earlier plan of several, applied by a deploy).
   */
  schema: string
}

export interface PlanContent {
  plan: Plan
  warnings: string[]
  unexecutable: string[]
  header: PlanHeader
  database: string
  toolVersion: string
  plannedAt: Date
  /** How the file is named in the apply command (relative to the project when it can be). */
  shownPath: string
}

/** Problems (engine warnings, unexecutable steps) that mention a step's table, for marking the step. */
function mentions(step: PlanStep, problems: string[]): string[] {
  if (!step.table || step.table === '?') return []
  const name = step.table.toLowerCase()
  return problems.filter((p) => {
    const lower = p.toLowerCase()
    return lower.includes(`\`${name}\``) || lower.includes(`"${name}"`) || new RegExp(`(^|[^\\w.])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^\\w]|$)`).test(lower)
  })
}

const comment = (text: string, indent = '') => text.split('\n').map((line) => `--${indent}${line === '' ? '' : ` ${line}`}`.trimEnd())

export function renderPlan(c: PlanContent): string {
  const { plan } = c
  const lossy = c.warnings.filter(isDataLossWarning)
  const otherWarnings = c.warnings.filter((w) => !isDataLossWarning(w))
  const marks = (step: PlanStep): string[] => [
    ...mentions(step, c.unexecutable).map((u) => `!! CANNOT RUN AS WRITTEN: ${u}`),
    ...mentions(step, lossy).map((w) => `!! LOSES DATA: ${w}`),
  ]
  const lines: string[] = [
    `${FIRST_LINE}: review it, edit the SQL below if it needs to (a backfill before a column becomes`,
    '-- required, moving rows off an enum value), then apply it as written with',
    `--   npx migrate-plugin apply --plan ${c.shownPath}`,
    '-- It runs in one transaction after a backup, only on a database still where it was planned from,',
    '-- and only if the database then matches the models; otherwise it is rolled back.',
    '--',
    `-- planned at ${c.plannedAt.toISOString()} by migrate-plugin ${c.toolVersion}, on ${c.database}`,
    `-- from database fingerprint: ${c.header.fingerprint}`,
    `-- to schema hash: ${c.header.schemaHash}`,
    '--',
    '-- Steps:',
  ]
  plan.steps.forEach((step, i) => {
    lines.push(`--   ${i + 1}. ${step.description}${step.file ? ` (${step.file})` : ''}`)
    for (const mark of marks(step)) lines.push(`--      ${mark}`)
  })
  const unmarkedUnexecutable = c.unexecutable.filter((u) => !plan.steps.some((s) => mentions(s, [u]).length > 0))
  const unmarkedLoss = lossy.filter((w) => !plan.steps.some((s) => mentions(s, [w]).length > 0))
  // What no step could be tied to is said once, here; the rest is marked on its step above.
  if (unmarkedUnexecutable.length || unmarkedLoss.length || otherWarnings.length) lines.push('--', '-- Warnings:')
  for (const u of unmarkedUnexecutable) lines.push(...comment(`!! CANNOT RUN AS WRITTEN: ${u}`, '  '))
  for (const w of unmarkedLoss) lines.push(...comment(`!! LOSES DATA: ${w}`, '  '))
  for (const w of otherWarnings) lines.push(...comment(`! ${w}`, '  '))
  if (c.unexecutable.length || lossy.length) {
    lines.push('--')
    lines.push('--   A step marked !! runs exactly as written once applied: the review is the consent. Edit the SQL')
    lines.push('--   (an UPDATE that backfills or moves the rows, before the statement) or the models, then apply.')
  }
  lines.push('--', '-- Starting schema (one line per object, to name what moved when the database is no longer there):')
  if (c.header.objects.length === 0) lines.push('--   (empty database)')
  for (const o of c.header.objects) lines.push(`-- object: ${o.name} ${o.hash}`)
  lines.push('--', '-- The schema it leads to (the generated Prisma schema; the result is checked against it):')
  for (const line of c.header.schema.trimEnd().split('\n')) lines.push(`--| ${line}`.trimEnd())
  lines.push('')
  lines.push(markedSql(plan, marks))
  return `${lines.join('\n')}\n`
}

/** The plan's SQL, with a `-- !!` line before the first statement of each marked step. */
function markedSql(plan: Plan, marks: (step: PlanStep) => string[]): string {
  let sql = plan.sql
  const unplaced: string[] = []
  for (const step of plan.steps) {
    const found = marks(step)
    if (found.length === 0) continue
    const first = step.sql[0]
    const at = first ? sql.indexOf(first) : -1
    const text = found.map((m) => `-- ${m.split('\n').join(' ')}`).join('\n')
    if (at < 0) unplaced.push(`-- step: ${step.description}\n${text}`)
    else sql = `${sql.slice(0, at)}${text}\n${sql.slice(at)}`
  }
  // Steps with no SQL of their own (rows holding an enum value the models drop): their fix goes first.
  for (const step of plan.steps) {
    if (step.sql.length === 0 && step.kind === 'enum values') unplaced.push(`-- !! ${step.description}: move those rows with an UPDATE here`)
  }
  return [...unplaced, sql].filter((s) => s !== '').join('\n')
}

const HEX64 = /^[0-9a-f]{64}$/

/** The machine-read part of a plan file; a MigrateError('PLAN') naming the file and line when it is not one. */
export function parsePlanHeader(text: string, file: string): PlanHeader {
  const lines = text.split(/\r?\n/)
  const first = lines.findIndex((l) => l.trim() !== '')
  if (first < 0 || !lines[first]!.startsWith(FIRST_LINE)) {
    throw new MigrateError('PLAN', `${file}:${first < 0 ? 1 : first + 1}: not a plan written by \`npx migrate-plugin plan\` (it must start with "${FIRST_LINE}")`, {
      location: { file, line: first < 0 ? 1 : first + 1 },
      hint: 'write the plan with `npx migrate-plugin plan`, then edit its SQL; keep its comment lines at the top',
    })
  }
  let fingerprint: string | undefined
  let schemaHash: string | undefined
  const objects: SchemaObject[] = []
  const schema: string[] = []
  lines.forEach((line, i) => {
    let m: RegExpExecArray | null
    const bad = (what: string) => new MigrateError('PLAN', `${file}:${i + 1}: ${what}`, {
      location: { file, line: i + 1 }, hint: 'the `-- from …`, `-- to …` and `-- object: …` lines are read back: restore them from `npx migrate-plugin plan`, or write the plan again',
    })
    if ((m = /^-- from database fingerprint:\s*(\S*)\s*$/.exec(line))) {
      if (!HEX64.test(m[1]!)) throw bad(`the database fingerprint "${m[1]}" is not a SHA-256 (64 hex digits)`)
      fingerprint = m[1]!
    } else if ((m = /^-- to schema hash:\s*(\S*)\s*$/.exec(line))) {
      if (m[1] === '') throw bad('the schema hash is empty')
      schemaHash = m[1]!
    } else if ((m = /^-- object: (.+) ([0-9a-f]{12})\s*$/.exec(line))) {
      objects.push({ name: m[1]!, hash: m[2]! })
    } else if (line.startsWith('--|')) {
      schema.push(line.slice(line.startsWith('--| ') ? 4 : 3))
    }
  })
  if (!fingerprint || !schemaHash || schema.length === 0) {
    const missing = !fingerprint ? '-- from database fingerprint: …' : !schemaHash ? '-- to schema hash: …' : '--| … (the schema it leads to)'
    throw new MigrateError('PLAN', `${file}: the line "${missing}" is missing, so the plan cannot tell whether the database is still where it started`, {
      location: { file },
      hint: 'restore the header from `npx migrate-plugin plan`, or write the plan again',
    })
  }
  return { fingerprint, schemaHash, objects, schema: `${schema.join('\n')}\n` }
}

/** What moved between the plan's starting schema and the database now, in words. */
export function describeMoves(then: SchemaObject[], now: SchemaObject[]): string[] {
  const before = new Map(then.map((o) => [o.name, o.hash]))
  const after = new Map(now.map((o) => [o.name, o.hash]))
  const moves: string[] = []
  for (const [name, hash] of after) {
    if (!before.has(name)) moves.push(`${name} was added`)
    else if (before.get(name) !== hash) moves.push(`${name} changed`)
  }
  for (const name of before.keys()) if (!after.has(name)) moves.push(`${name} was removed`)
  return moves
}

/** A slug for the file name: letters, digits and underscores, at most 60 characters. */
export function slugOf(words: string): string {
  return words.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 60).replace(/_+$/, '')
}

/** The default slug: the first step in words, and how many more. */
export function defaultSlug(plan: Plan): string {
  const first = plan.steps[0]
  const base = slugOf(first ? first.description.replace(/:.*$/, '') : 'change') || 'change'
  return plan.steps.length > 1 ? `${base.slice(0, 45)}_and_${plan.steps.length - 1}_more` : base
}
