import { loadConfig } from '../core/config.ts'
import { MigrateError, errorMessage } from '../core/errors.ts'
import type { Command, MigrateResult } from '../pipeline/migrate.ts'
import { isGitHubActions } from '../report/github-env.ts'
import type { Flags } from './command.ts'
import { out } from './print.ts'
import { rawOption } from './usage.ts'

/**
 * What `check` adds for CI: `--format` (text, json, markdown) and, on GitHub Actions, the
 * annotations and the job summary. Kept apart from the commands so that they only route here.
 */

export const FORMATS = ['text', 'json', 'markdown'] as const
export type Format = (typeof FORMATS)[number]

/** The output format asked for; `--format json` is `--json` (one spelling for scripts that build flags). */
export function formatOf(flags: Flags): Format {
  const raw = flags.format
  if (raw === undefined) return flags.json ? 'json' : 'text'
  const value = String(raw)
  if (!(FORMATS as readonly string[]).includes(value)) {
    throw new MigrateError('USAGE', `--format ${JSON.stringify(value)} is not a format`, { hint: `choose one of: ${FORMATS.join(', ')} (e.g. --format markdown)` })
  }
  if (flags.json && value !== 'json') {
    throw new MigrateError('USAGE', `--json and --format ${value} ask for two different outputs`, { hint: 'give one of them: --json is the same as --format json' })
  }
  return value as Format
}

/** The format, read from the raw arguments: for an error raised before the command saw its flags. */
export function formatInArgs(args: readonly string[]): string | undefined {
  return rawOption(args, '--format')
}

/**
 * After a run of `check`: on GitHub Actions the annotations and the job summary; with --format
 * markdown, the summary on stdout (returned true: the human result is not printed then).
 * Returns the warnings to print after the result.
 */
export async function reportCheck(command: Command, result: MigrateResult, format: Format, env = process.env): Promise<{ printed: boolean, warnings: string[] }> {
  if (command !== 'check' || (format !== 'markdown' && !isGitHubActions(env))) return { printed: false, warnings: [] }
  // Loaded only when there is a report to make: most runs are on a terminal.
  const { emitReport, pendingReport, quietReport } = await import('../report/github.ts')
  let report
  try {
    report = result.outcome === 'pending' ? pendingReport(result, 'error', env) : quietReport(result)
  } catch (error) {
    // The result itself is still printed (as text): the check's answer matters more than its dress.
    return { printed: false, warnings: [`the CI summary could not be made: ${errorMessage(error)}`] }
  }
  const warnings: string[] = []
  if (isGitHubActions(env)) {
    const warning = emitReport(report, env)
    if (warning) warnings.push(warning)
  }
  if (format !== 'markdown') return { printed: false, warnings }
  out(report.summary.replace(/\n$/, ''))
  return { printed: true, warnings }
}

/**
 * A command that failed: on GitHub Actions an `::error` (on the model line at fault when the error
 * names one) and the job summary; with --format markdown, the error as Markdown on stdout too.
 * The human or JSON error is printed by main as before.
 */
export async function reportFailure(error: unknown, args: readonly string[], command: string | undefined, env = process.env): Promise<void> {
  try {
    const github = isGitHubActions(env)
    const markdown = command === 'check' && formatInArgs(args) === 'markdown' && !args.includes('--json')
    if (!github && !markdown) return
    const [{ emitReport, failureReport }, { errorMarkdown, locationText }] = await Promise.all([import('../report/github.ts'), import('../report/markdown.ts')])
    const report = failureReport(error, projectRoot(args), command, env)
    if (github) emitReport(report, env)
    if (markdown) out(errorMarkdown(error, command, locationText(error)).replace(/\n$/, ''))
  } catch {
    // The error itself is still printed by the caller: its CI echo must not replace it.
  }
}

/** What relative locations in errors are relative to: the config file's folder, else here. */
function projectRoot(args: readonly string[]): string {
  try {
    const configFile = rawOption(args, '--config')
    return loadConfig(configFile ? { configFile } : {}).root
  } catch {
    return process.cwd()
  }
}
