import { relative } from 'node:path'
import pc from 'picocolors'
import { MigrateError, errorMessage, formatLocation } from '../core/errors.ts'
import { redactSecrets } from '../core/redact.ts'
import type { Plan } from '../pipeline/plan.ts'
import { errorJson, printJson } from './json.ts'

const useColor = (process.stdout.isTTY && !('NO_COLOR' in process.env)) || 'FORCE_COLOR' in process.env
export const c = pc.createColors(useColor)
export type Colors = typeof c

// Everything printed goes through these two: a secret that slipped into any message is masked here.
export const out = (line = '') => process.stdout.write(`${redactSecrets(line)}\n`)
export const err = (text: string) => process.stderr.write(redactSecrets(text))

/** A path as the user would type it from here: relative inside the working folder, absolute outside it. */
export function rel(path: string): string {
  const r = relative(process.cwd(), path)
  return r && !r.startsWith('..') ? r : path
}

export function printSteps(plan: Plan): void {
  for (const s of plan.steps) out(`  ${c.cyan('+')} ${s.description}${s.file ? c.dim(` (${s.file})`) : ''}`)
}

/** A history row's status: success, nothing done or restored, or failed. */
export function statusIcon(s: string): string {
  return s === 'success' ? c.green('✅') : s === 'noop' || s === 'restored' ? c.blue('•') : c.red('❌')
}

/** The warnings that follow a result, on stderr so that a script reading stdout gets only the result. */
export function printWarnings(warnings: readonly string[]): void {
  for (const w of warnings) process.stderr.write(`${c.yellow('! warning:')} ${w}\n`)
}

/** Any failure of any command: what went wrong, where, and the hint; as a JSON document under --json. */
export function printError(error: unknown, json: boolean, command?: string): void {
  if (json) {
    // cac's own errors (an unknown option, a missing value) are usage errors, not bugs.
    const usage = (error as { name?: string }).name === 'CACError' ? new MigrateError('USAGE', errorMessage(error), { hint: 'run npx migrate-plugin --help' }) : error
    printJson(errorJson(usage, command))
    return
  }
  if (error instanceof MigrateError) {
    err(`${c.red('✖ migrate-plugin:')} ${error.message}\n`)
    if (error.location && !error.message.includes(formatLocation(error.location).split(':')[0]!)) err(`  at ${formatLocation(error.location)}\n`)
    if (error.hint) err(`  ${c.dim(error.hint.split('\n').join('\n  '))}\n`)
    return
  }
  const name = (error as { name?: string }).name
  if (name === 'CACError') {
    err(`${c.red('✖ migrate-plugin:')} ${errorMessage(error)}\n  run npx migrate-plugin --help\n`)
    return
  }
  err(`${c.red('✖ migrate-plugin: unexpected error:')} ${error instanceof Error ? error.stack : String(error)}\n`)
}
