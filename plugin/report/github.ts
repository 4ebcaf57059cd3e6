import { appendFileSync, closeSync, openSync, readSync } from 'node:fs'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import { MigrateError, errorMessage } from '../core/errors.ts'
import { redactSecrets } from '../core/redact.ts'
import { applyVerdict, isDataLossWarning, shownPath } from '../pipeline/verdict-words.ts'
import type { Environment, MigrateResult } from '../types.ts'
import { applyAdviceText, errorMarkdown, resultMarkdown } from './markdown.ts'
import { modelPlaces } from './model-lines.ts'
import { isGitHubActions } from './github-env.ts'

/**
 * GitHub Actions output: workflow commands (`::error file=…,line=…::…`) that GitHub turns into
 * annotations on the changed lines of a pull request, and the job summary ($GITHUB_STEP_SUMMARY).
 * https://docs.github.com/actions/reference/workflow-commands-for-github-actions
 *
 * The commands go to stderr: GitHub reads them from both streams, and stdout stays what the
 * command promises (the human result, one JSON document, or Markdown).
 */

export { isGitHubActions } from './github-env.ts'

export type Level = 'error' | 'warning'

export interface Annotation {
  level: Level
  /** Relative to the repository root (GITHUB_WORKSPACE), as GitHub matches it to the diff. */
  file?: string
  line?: number
  col?: number
  title: string
  message: string
}

/** Beyond this, GitHub shows none of them on the diff anyway: the rest are counted in one more. */
export const MAX_ANNOTATIONS = 50

/**
 * GitHub's escaping for a command's message: `%`, CR and LF, so that a message cannot end the
 * command early or start another one on a new line (the runner's own rules, as @actions/core).
 */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

/** A property value also escapes `:` and `,`, which would end the value or the property list. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

export function workflowCommand(a: Annotation): string {
  const props: string[] = []
  if (a.file !== undefined) props.push(`file=${escapeProperty(redactSecrets(a.file))}`)
  if (a.line !== undefined) props.push(`line=${a.line}`)
  if (a.col !== undefined) props.push(`col=${a.col}`)
  props.push(`title=${escapeProperty(redactSecrets(a.title))}`)
  return `::${a.level} ${props.join(',')}::${escapeData(redactSecrets(a.message))}`
}

/** A path as GitHub names files: relative to the checkout, with forward slashes; absolute when outside it. */
export function repoPath(path: string, env: Environment = process.env): string {
  const workspace = env.GITHUB_WORKSPACE || process.cwd()
  const rel = relative(workspace, path)
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return path.split(sep).join('/')
  return rel.split(sep).join('/')
}

export interface GitHubReport {
  annotations: Annotation[]
  /** Markdown for the job summary. */
  summary: string
}

/** Pending changes: one annotation per step on the model line it comes from, and the whole plan in the summary. */
export function pendingReport(result: MigrateResult, level: Level, env: Environment = process.env): GitHubReport {
  const steps = result.plan?.steps ?? []
  const places = modelPlaces(steps, result.config.root)
  const shown = places.map((p) => (p ? `${repoPath(p.path, env)}:${p.line}` : undefined))
  const db = shownPath(result)
  const advice = applyAdviceText(result)
  // A refusal or a data-loss warning is about some steps, not all: the others say where to read it,
  // or a `create table` annotation would say "applying it loses data".
  const concerns = [...result.unexecutable, ...result.warnings, ...(result.previewError ? [result.previewError] : [])]
  const plain = !applyVerdict(result).refuses && !result.warnings.some(isDataLossWarning)
  const concerned = (table: string) => table !== '' && concerns.some((c) => new RegExp(`[\\s\`"'(.]${table.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\\s\`"'.),:]`).test(` ${c} `))
  const annotations: Annotation[] = steps.slice(0, MAX_ANNOTATIONS).map((step, i) => {
    const place = places[i]
    const said = plain || concerned(step.table) ? advice : 'Another pending step holds up the apply: see the job summary.'
    return {
      level,
      ...(place ? { file: repoPath(place.path, env), line: place.line } : {}),
      title: 'migrate-plugin: pending change',
      message: `${step.description}: not yet in ${db}. ${said}`,
    }
  })
  if (steps.length > MAX_ANNOTATIONS) {
    annotations.push({ level, title: 'migrate-plugin: pending changes', message: `and ${steps.length - MAX_ANNOTATIONS} more pending change(s) in ${db}: see the job summary, or run npx migrate-plugin preview` })
  }
  if (steps.length === 0) annotations.push({ level, title: 'migrate-plugin: pending changes', message: `${db} differs from the models. ${advice}` })
  return { annotations, summary: resultMarkdown(result, shown, level === 'error' ? '❌' : '⚠️') }
}

/** In sync (or applied): nothing to annotate, one line in the summary. */
export function quietReport(result: MigrateResult): GitHubReport {
  return { annotations: [], summary: resultMarkdown(result) }
}

/** A run that failed: one error on the model line at fault when the error has one. */
export function failureReport(error: unknown, projectRoot: string, command: string | undefined, env: Environment = process.env): GitHubReport {
  const location = error instanceof MigrateError ? error.location : undefined
  const file = location ? repoPath(isAbsolute(location.file) ? location.file : resolve(projectRoot, location.file), env) : undefined
  const hint = error instanceof MigrateError && error.hint ? `\n${error.hint}` : ''
  const annotation: Annotation = {
    level: 'error',
    ...(file ? { file, line: location?.line ?? 1 } : {}),
    ...(location?.column !== undefined ? { col: location.column } : {}),
    title: `migrate-plugin${command ? ` ${command}` : ''} failed${error instanceof MigrateError ? ` (${error.code})` : ''}`,
    message: `${errorMessage(error)}${hint}`,
  }
  const place = file ? `${file}${location?.line !== undefined ? `:${location.line}` : ''}` : undefined
  return { annotations: [annotation], summary: errorMarkdown(error, command, place) }
}

/**
 * Print the annotations and append the summary. A summary that cannot be written (a read-only
 * path, a full disk) is returned as a warning: the annotations are out, and the run's own result
 * (a check's exit code, a build's outcome) must not change because of it.
 */
export function emitReport(report: GitHubReport, env: Environment = process.env, write: (text: string) => void = (text) => process.stderr.write(text)): string | undefined {
  for (const a of report.annotations) write(`${workflowCommand(a)}\n`)
  const path = env.GITHUB_STEP_SUMMARY
  if (!path) return undefined
  try {
    // Markdown appended to a database (a mistyped variable naming dev.db, or a backup) would corrupt it.
    if (isSqliteFile(path)) throw new Error('it is a SQLite database, which a summary must not be appended to')
    appendFileSync(path, `${redactSecrets(report.summary)}\n`)
    return undefined
  } catch (error) {
    const warning = `the job summary could not be written to GITHUB_STEP_SUMMARY (${path}): ${errorMessage(error)}`
    write(`${workflowCommand({ level: 'warning', title: 'migrate-plugin: job summary not written', message: warning })}\n`)
    return warning
  }
}

function isSqliteFile(path: string): boolean {
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
    const header = Buffer.alloc(16)
    return readSync(fd, header, 0, 16, 0) === 16 && header.toString('latin1') === 'SQLite format 3\0'
  } catch {
    // Missing (GitHub makes the file; append creates it otherwise) or unreadable: the append says why.
    return false
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
