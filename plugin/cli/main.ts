import { cac } from 'cac'
import { MigrateError } from '../core/errors.ts'
import { TOOL_VERSION } from '../core/version.ts'
import type { CommandSpec, Flags } from './command.ts'
import { backups } from './commands/backups.ts'
import { generate } from './commands/generate.ts'
import { history } from './commands/history.ts'
import { init } from './commands/init.ts'
import { plan } from './commands/plan.ts'
import { apply, applyByDefault, check, preview } from './commands/migrate.ts'
import { pull } from './commands/pull.ts'
import { restore } from './commands/restore.ts'
import { status } from './commands/status.ts'
import { formatInArgs, reportFailure } from './ci-report.ts'
import { printJson } from './json.ts'
import { out, printError } from './print.ts'
import { checkOptions, fixHelp, optionSpellings, rawOption, unknownCommand } from './usage.ts'

/**
 * `migrate-plugin <command>`: parses the arguments, runs the one command they name, and prints
 * any error. Exit codes: 0 ok, 1 error, 2 changes pending (check).
 */

/** In the order `--help` lists them; the default command (no name) last. */
const COMMANDS: readonly CommandSpec[] = [apply, preview, check, plan, status, history, backups, restore, generate, init, pull, applyByDefault]

/** Every word that names a command, aliases included. */
const COMMAND_WORDS = COMMANDS.flatMap((spec) => [spec.name.split(' ')[0]!, ...(spec.alias ? [spec.alias] : [])]).filter((word) => word !== '')

/** The Python original's habits: `--preview`, `--dry-run`, `--status`, `--history` as commands. */
const SEED_FLAGS: Record<string, string> = { '--preview': 'preview', '--dry-run': 'preview', '--status': 'status', '--history': 'history' }

export async function main(argv: string[]): Promise<number> {
  // `migrate-plugin history | head` closes the pipe early: that is not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw error
  })
  const args = [...argv]
  const seed = args.findIndex((a) => a in SEED_FLAGS)
  if (seed >= 0 && !COMMAND_WORDS.includes(args[0] ?? '')) {
    const [flag] = args.splice(seed, 1)
    args.unshift(SEED_FLAGS[flag!]!)
  }
  let exitCode = 0
  let json = false
  let commandName: string | undefined
  const cli = cac('migrate-plugin')
  for (const spec of COMMANDS) {
    const declared = cli.command(spec.name, spec.description)
    if (spec.alias) declared.alias(spec.alias)
    if (spec.usage) declared.usage(spec.usage)
    if (spec.common) {
      declared
        .option('--config <path>', 'Config file (default: ./migration.conf)')
        .option('--json', 'Machine-readable output')
        .option('--yes', 'Answer yes to confirmations')
    }
    for (const [rawName, description, config] of spec.options ?? []) declared.option(rawName, description, config)
    for (const example of spec.examples ?? []) declared.example(example)
    // cac passes the declared arguments, then the options.
    declared.action(async (...params: unknown[]) => {
      const flags = params.pop() as Flags
      json = !!flags.json || flags.format === 'json'
      exitCode = (await spec.handler(params as (string | undefined)[], flags)) ?? 0
    })
  }
  cli.help(fixHelp)
  // Not cli.version(): cac would print it by itself, as text even under --json, and only before a command.
  cli.option('-v, --version', 'Print the version')
  cli.globalCommand.versionNumber = TOOL_VERSION

  try {
    json = args.includes('--json') || formatInArgs(args) === 'json'
    cli.parse(['node', 'migrate-plugin', ...args], { run: false })
    commandName = cli.matchedCommand?.name || (cli.args.length === 0 ? 'apply' : undefined)
    if (cli.options.help) return 0
    if (cli.options.version) {
      // Wherever it appears (`apply -v` too): asking for the version never runs a command.
      if (json) printJson({ ok: true, command: 'version', toolVersion: TOOL_VERSION })
      else out(`migrate-plugin/${TOOL_VERSION} node-${process.version}`)
      return 0
    }
    // The default command takes no arguments: a word there is a command that does not exist.
    if (cli.matchedCommand?.name === '' && cli.args.length > 0) throw unknownCommand(String(cli.args[0]), COMMAND_WORDS.filter((n) => n !== 'dry-run'))
    if (cli.matchedCommand) {
      const known = optionSpellings([...cli.matchedCommand.options, ...cli.globalCommand.options].map((o) => o.rawName))
      checkOptions(args, known, cli.matchedCommand.name, Object.keys(SEED_FLAGS))
    }
    for (const name of ['config', 'database', 'format']) {
      const raw = rawOption(args, `--${name}`)
      if (raw === '') throw new MigrateError('USAGE', `--${name} is given an empty value`, { hint: name === 'format' ? 'give --format text, json or markdown, or leave it out' : `give --${name} a path, or leave it out` })
      if (raw !== undefined) cli.options[name] = raw
    }
    await cli.runMatchedCommand()
    return exitCode
  } catch (error) {
    printError(error, json, commandName)
    await reportFailure(error, args, commandName)
    return 1
  }
}
