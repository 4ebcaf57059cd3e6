import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { basename, isAbsolute, relative, resolve } from 'node:path'
import type { ResolvedConfig } from '../core/config.ts'
import { MigrateError, errorMessage } from '../core/errors.ts'
import type { HistoryRecord } from '../types.ts'
import { parsePlanHeader, type PlanHeader } from './format.ts'
import { planStatements, type PlanStatement } from './statements.ts'

/** A plan file read from disk, checked, and split into the statements an apply runs. */
export interface PlanFile {
  path: string
  /** The file name: with the hash, what the history records and compares. */
  name: string
  /** As messages show it: relative to the config's folder when inside it. */
  shown: string
  text: string
  /** SHA-256 of the file as applied (line endings as \n): an edit after review is the point, and it is what gets recorded. */
  sha256: string
  header: PlanHeader
  statements: PlanStatement[]
}

/**
 * The file's text: an editor's byte-order mark is not SQL, and a checkout that turns \n into \r\n
 * (git's autocrlf on Windows) must not make an applied plan look edited.
 */
export function planText(bytes: Buffer): string {
  return bytes.toString('utf8').replace(/^\uFEFF/, '').replace(/\r\n/g, '\n')
}

/**
 * A plan is UTF-8, as `plan` writes it. Decoded leniently, a file an editor saved in Latin-1 would
 * turn its accented values into U+FFFD, and the plan would write those into the rows, with success.
 */
function refuseNonUtf8(bytes: Buffer, shown: string, path: string): void {
  const lenient = bytes.toString('utf8')
  if (!lenient.includes('\uFFFD')) return
  // Valid UTF-8 encodes back to the same bytes; the first byte that differs is the first bad one.
  const again = Buffer.from(lenient, 'utf8')
  let bad = 0
  while (bad < bytes.length && bytes[bad] === again[bad]) bad++
  if (bad === bytes.length && again.length === bytes.length) return
  const line = bytes.subarray(0, bad).toString('utf8').split('\n').length
  throw new MigrateError('PLAN', `${shown}:${line}: the plan file is not UTF-8 (byte 0x${(bytes[bad] ?? 0).toString(16).toUpperCase().padStart(2, '0')}); nothing was run`, {
    location: { file: path, line },
    hint: 'save it as UTF-8 (plan writes it so); an editor may have saved it in Latin-1 or UTF-16',
  })
}

export function planHash(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

export function shownPath(config: ResolvedConfig, path: string): string {
  const r = relative(config.root, path)
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : path
}

export function loadPlanFile(file: string, config: ResolvedConfig, cwd = process.cwd()): PlanFile {
  const path = resolve(cwd, file)
  let bytes: Buffer
  try {
    if (!statSync(path).isFile()) throw new Error('not a file')
    bytes = readFileSync(path)
  } catch (error) {
    throw new MigrateError('PLAN', `cannot read the plan file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : errorMessage(error)}`, {
      location: { file: path },
      hint: `the plans are in ${shownPath(config, config.plansDirectory)}/ (write one with \`npx migrate-plugin plan\`)`,
    })
  }
  const shown = shownPath(config, path)
  refuseNonUtf8(bytes, shown, path)
  const text = planText(bytes)
  const header = parsePlanHeader(text, shown)
  const statements = planStatements(text, shown, config.databaseKind === 'sqlite' ? 'sqlite' : 'postgres')
  return { path, name: basename(path), shown, text, sha256: planHash(text), header, statements }
}

/**
 * A plan run is recorded in the history's own columns, so that databases made by 0.1 and 0.2 (whose
 * history tables have no other columns) and those versions themselves read it: the first step names
 * the file and its hash, the sql column holds the file exactly as applied.
 */
const MARK = /^plan file (.+) \(sha256 ([0-9a-f]{64})\)$/

export function planStepMark(plan: { name: string, sha256: string }): string {
  return `plan file ${plan.name} (sha256 ${plan.sha256})`
}

/** The plan a history row ran, if it ran one. */
export function planOfRecord(record: Pick<HistoryRecord, 'steps'>): { name: string, sha256: string } | undefined {
  const m = MARK.exec(record.steps[0]?.description ?? '')
  return m ? { name: m[1]!, sha256: m[2]! } : undefined
}
