import { createInterface } from 'node:readline/promises'
import { existsSync } from 'node:fs'
import { relative } from 'node:path'
import { cac } from 'cac'
import pc from 'picocolors'
import { applyAskingAboutDataLoss, canAskAboutDataLoss } from './cli/confirm-data-loss.ts'
import { regenerateClientAfterApply } from './pipeline/client.ts'
import type { ConfigOverrides } from './core/config.ts'
import { MigrateError, errorMessage, formatLocation } from './core/errors.ts'
import { backups, generate, history, restore, status, type CommonOptions } from './pipeline/inspect.ts'
import { migrate, type Command, type MigrateResult, type RunStep } from './pipeline/migrate.ts'
import type { Plan } from './pipeline/plan.ts'
import { redactSecrets } from './core/redact.ts'
import { applyVerdict, isDataLossWarning, lossCheckLine, warningLine } from './pipeline/verdict-words.ts'
import { TOOL_VERSION } from './core/version.ts'
import { runInit } from './cli/init-command.ts'
import { backupFileJson, errorJson, printJson, runResultJson } from './cli/json.ts'
import { Progress } from './cli/progress.ts'
import { checkOptions, fixHelp, optionSpellings, rawOption, unknownCommand } from './cli/usage.ts'

/**
 * `migrate-plugin <command>`: parses arguments, calls the core, prints. Exit codes: 0 ok,
 * 1 error, 2 changes pending (check).
 */

interface Flags {
  config?: string
  json?: boolean
  yes?: boolean
  backup?: boolean
  force?: boolean
  verify?: boolean
  acceptDataLoss?: boolean
  limit?: number
  '--'?: string[]
}

const useColor = (process.stdout.isTTY && !('NO_COLOR' in process.env)) || 'FORCE_COLOR' in process.env
const c = pc.createColors(useColor)
// Everything printed goes through these two: a secret that slipped into any message is masked here.
const out = (line = '') => process.stdout.write(`${redactSecrets(line)}\n`)
const err = (text: string) => process.stderr.write(redactSecrets(text))

/** The Python original's habits: `--preview`, `--dry-run`, `--status`, `--history` as commands. */
const SEED_FLAGS: Record<string, string> = { '--preview': 'preview', '--dry-run': 'preview', '--status': 'status', '--history': 'history' }
const COMMANDS = ['apply', 'preview', 'dry-run', 'check', 'status', 'history', 'backups', 'restore', 'generate', 'init'] as const

export async function main(argv: string[]): Promise<number> {
  // `migrate-plugin history | head` closes the pipe early: that is not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw error
  })
  const args = [...argv]
  const seed = args.findIndex((a) => a in SEED_FLAGS)
  if (seed >= 0 && !(COMMANDS as readonly string[]).includes(args[0] ?? '')) {
    const [flag] = args.splice(seed, 1)
    args.unshift(SEED_FLAGS[flag!]!)
  }
  let exitCode = 0
  let json = false
  let commandName: string | undefined
  const cli = cac('migrate-plugin')
  const common = (command: ReturnType<typeof cli.command>) => command
    .option('--config <path>', 'Config file (default: ./migration.conf)')
    .option('--json', 'Machine-readable output')
    .option('--yes', 'Answer yes to confirmations')
  const opts = (flags: Flags): CommonOptions => ({ ...(flags.config ? { config: flags.config } : {}) })
  const run = (command: Command) => async (flags: Flags) => {
    json = !!flags.json
    exitCode = await runMigrate(command, flags)
  }

  common(cli.command('apply', 'Apply pending model changes (the default command)'))
    .option('--no-backup', 'Skip the backup (not recommended)')
    .option('--force', 'Same as --no-backup (the original tool\'s flag)')
    .option('--no-verify', 'Skip the verifying diff after applying')
    .option('--accept-data-loss', 'Apply even when the engine warns that data will be lost')
    .example('npx migrate-plugin apply')
    .example('npx migrate-plugin apply --accept-data-loss')
    .action(run('apply'))
  common(cli.command('preview', 'Show the plan, the SQL and the warnings; change nothing').alias('dry-run'))
    .example('npx migrate-plugin preview')
    .action(run('preview'))
  common(cli.command('check', 'Exit 2 when changes are pending, 0 when in sync (for CI)'))
    .example('npx migrate-plugin check || echo "run npx migrate-plugin apply"')
    .action(run('check'))
  common(cli.command('status', 'Config, models per file, tables, pending changes, last migration'))
    .action(async (flags: Flags) => {
      json = !!flags.json
      const report = await status(opts(flags))
      if (json) return printJson({ ok: true, command: 'status', ...report, pending: runResultJson(report.pending) })
      const cfg = report.config
      out(`${c.bold('config')}    ${cfg.configFile ? rel(cfg.configFile) : '(none: defaults)'}`)
      out(`${c.bold('database')}  ${rel(cfg.databasePath)}${report.databaseExists ? '' : c.yellow(' (does not exist yet)')}${cfg.databaseUrlSource === 'env' ? ' (from DATABASE_URL)' : ''}`)
      out(`${c.bold('models')}    ${rel(cfg.modelDirectory)}/`)
      for (const m of report.models) out(`  ${m.file}: ${m.tables.join(', ')}`)
      out(c.bold('tables'))
      if (report.tables.length === 0) out('  (none)')
      for (const t of report.tables) out(`  ${t.name} ${c.dim(`${t.rows} rows`)}${t.file ? '' : c.yellow('  unmodelled: no model defines it; left alone')}`)
      const p = report.pending
      if (p.outcome === 'pending' && p.plan) {
        out(c.bold(`pending   ${p.plan.steps.length} change(s)`))
        printSteps(p.plan)
        out(`next: ${c.cyan('npx migrate-plugin preview')} to see the SQL, ${c.cyan('npx migrate-plugin apply')} to apply`)
      } else {
        out(`${c.bold('pending')}   ${c.green('none: the database matches the models')}`)
      }
      const last = report.lastMigration
      out(`${c.bold('last run')}  ${last ? `${statusIcon(last.status)} ${last.finishedAt} ${last.description}` : '(none)'}`)
    })
  common(cli.command('history', 'Migration history, newest first'))
    .option('--limit <n>', 'How many entries', { default: 20 })
    .action(async (flags: Flags) => {
      json = !!flags.json
      const limit = Number(flags.limit)
      if (!Number.isSafeInteger(limit) || limit < 1) throw new MigrateError('USAGE', `--limit ${flags.limit} is not a positive whole number`)
      const { entries } = history({ ...opts(flags), limit })
      if (json) return printJson({ ok: true, command: 'history', entries })
      if (entries.length === 0) return out('No migrations recorded yet. Run: npx migrate-plugin apply')
      out(c.bold('Migration history (newest first)'))
      for (const e of entries) {
        out(`${statusIcon(e.status)} ${e.finishedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}  ${e.status}  ${e.description}  ${c.dim(`${e.durationMs} ms · ${e.trigger} · ${e.migrationId}`)}`)
        for (const s of e.steps) out(`    ${s.description}${s.file ? c.dim(` (${s.file})`) : ''}`)
        if (e.error) out(c.red(`    error (${e.failedStep}): ${e.error}`))
        if (e.backupPath) out(c.dim(`    backup: ${rel(e.backupPath)}`))
      }
    })
  common(cli.command('backups', 'List backups, newest first'))
    .action(async (flags: Flags) => {
      json = !!flags.json
      const { backups: list, config } = backups(opts(flags))
      if (json) return printJson({ ok: true, command: 'backups', backups: list.map(backupFileJson) })
      if (list.length === 0) return out(`No backups of ${rel(config.databasePath)} yet.`)
      for (const b of list) out(`${b.name}  ${c.dim(`${(b.size / 1024).toFixed(1)} KiB · ${b.createdAt.toISOString()}`)}  ${c.dim(rel(b.path))}${b.verified ? '' : c.yellow('  unverified: made by 0.1.0 in a shared folder, may belong to another database named the same')}`)
      out(`restore one with: ${c.cyan(`npx migrate-plugin restore ${list[0]!.name}`)}`)
    })
  common(cli.command('restore [backup]', 'Replace the database with a backup (the newest by default)'))
    .example('npx migrate-plugin restore')
    .example('npx migrate-plugin restore dev.db.backup_20261124_143022Z_3f9a1c2b4d5e --yes')
    .action(async (backup: string | undefined, flags: Flags) => {
      json = !!flags.json
      const result = await restore({
        ...opts(flags),
        ...(backup ? { backup } : {}),
        ...(flags.yes ? { yes: true } : {}),
        ...(canAsk() ? { confirm: (b, database) => ask(`Replace ${rel(database)} with ${b.name}?`) } : {}),
      })
      if (json) return printJson({ ok: true, command: 'restore', ...result, restored: backupFileJson(result.restored) })
      out(`${c.green('✔')} restored ${result.restored.name} (checked: the database now holds the backup's schema and rows)`)
      if (result.undone?.length) for (const u of result.undone) out(c.dim(`  undid ${u.migrationId} (${u.status}): ${u.description}`))
      if (result.safetyBackup) out(c.dim(`  the database as it was is in ${rel(result.safetyBackup)}${result.safetyCopy === 'bytes' ? ' (a byte copy: it was not readable as SQLite)' : ''}`))
      for (const w of result.warnings) process.stderr.write(`${c.yellow('! warning:')} ${w}\n`)
    })
  common(cli.command('generate', 'Write the Prisma schema from the models; touch no database'))
    .action(async (flags: Flags) => {
      json = !!flags.json
      const result = await generate(opts(flags))
      if (json) return printJson({ ok: true, command: 'generate', ...result })
      out(`${result.changed ? 'wrote' : 'unchanged:'} ${rel(result.path)} (${result.tables} models)`)
    })
  cli.command('init', 'Create migration.conf, an example model and .gitignore entries in this folder')
    .option('--database <path>', 'The database file (default: dev.db; asked on a terminal)')
    .option('--json', 'Machine-readable output')
    .option('--yes', 'Ask nothing: use the defaults')
    .example('npx migrate-plugin init')
    .example('npx migrate-plugin init --database data/app.db --yes')
    .action(async (flags: Flags & { database?: string }) => {
      json = !!flags.json
      await runInit({ database: flags.database, json, yes: !!flags.yes, canAsk: canAsk(), out, c, rel })
    })
  // No command: apply, as `python migrate.py` did.
  common(cli.command('', 'Same as apply'))
    .usage('[command] [options]')
    .option('--no-backup', 'Skip the backup (not recommended)')
    .option('--force', 'Same as --no-backup')
    .option('--no-verify', 'Skip the verifying diff after applying')
    .option('--accept-data-loss', 'Apply even when the engine warns that data will be lost')
    .action(run('apply'))
  cli.help(fixHelp)
  // Not cli.version(): cac would print it by itself, as text even under --json, and only before a command.
  cli.option('-v, --version', 'Print the version')
  cli.globalCommand.versionNumber = TOOL_VERSION

  try {
    json = args.includes('--json')
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
    if (cli.matchedCommand?.name === '' && cli.args.length > 0) throw unknownCommand(String(cli.args[0]), COMMANDS.filter((n) => n !== 'dry-run'))
    if (cli.matchedCommand) {
      const known = optionSpellings([...cli.matchedCommand.options, ...cli.globalCommand.options].map((o) => o.rawName))
      checkOptions(args, known, cli.matchedCommand.name, Object.keys(SEED_FLAGS))
    }
    for (const name of ['config', 'database']) {
      const raw = rawOption(args, `--${name}`)
      if (raw === '') throw new MigrateError('USAGE', `--${name} is given an empty value`, { hint: `give --${name} a path, or leave it out` })
      if (raw !== undefined) cli.options[name] = raw
    }
    await cli.runMatchedCommand()
    return exitCode
  } catch (error) {
    printError(error, json, commandName)
    return 1
  }
}

async function runMigrate(command: Command, flags: Flags): Promise<number> {
  const overrides: ConfigOverrides = {}
  if (flags.acceptDataLoss) overrides.allowDataLoss = true
  const progress = new Progress({ json: !!flags.json })
  // The progress line is erased before the loss is listed and the question asked.
  const lossPrompt = command === 'apply' && canAskAboutDataLoss(!!flags.json)
    ? { print: (line: string) => { progress.done(); out(c.yellow(line)) }, ask: (question: string) => { progress.done(); return ask(question) } }
    : undefined
  const result = await applyAskingAboutDataLoss((accepted) => withProgress(progress, () => migrate({
    onStep: (step) => progress.step(STEP_LABELS[step]),
    ...(flags.config ? { config: flags.config } : {}),
    overrides,
    command,
    trigger: 'cli',
    backup: flags.backup !== false && !flags.force,
    verify: flags.verify !== false,
    ...(flags.yes ? { yes: true } : {}),
    ...(canAsk() ? { confirm: async (plan: Plan) => { progress.done(); printSteps(plan); return ask('Apply these changes?') } } : {}),
    ...(lossPrompt ? { confirmingDataLoss: true } : {}),
    ...accepted,
  })), lossPrompt)
  // The database is migrated (or already was): what follows can only add warnings, never exit 1.
  const postCommitWarnings = [...(result.postCommitWarnings ?? [])]
  let client: Awaited<ReturnType<typeof regenerateClientAfterApply>>
  if (command === 'apply') {
    try {
      client = await withProgress(progress, () => {
        progress.step('generating the Prisma Client')
        return regenerateClientAfterApply(result)
      })
    } catch (error) {
      postCommitWarnings.push(`the Prisma Client was not regenerated: ${errorMessage(error)}${error instanceof MigrateError && error.hint ? ` (${error.hint})` : ''}`)
    }
  }
  // A preview of a change that apply would refuse (unexecutable steps, a step that fails) is not a
  // plan to act on: scripts that preview before applying must see it fail.
  const exitCode = command === 'check' && result.outcome === 'pending' ? 2 : command === 'preview' && applyVerdict(result).refuses ? 1 : 0
  try {
    if (flags.json) {
      const body = { ok: true as const, ...runResultJson(result), ...(postCommitWarnings.length ? { postCommitWarnings } : {}) }
      printJson(command === 'apply' ? { ...body, command, ...(client && client.state !== 'disabled' ? { client: client.state } : {}) } : { ...body, command })
      return exitCode
    }
    if (result.interruptedRun) out(c.yellow(`! a previous ${result.interruptedRun.trigger} run was killed during ${result.interruptedRun.step}; the database had kept its old schema (recorded in history)`))
    printResult(command, result)
    if (client?.state === 'generated') out(c.dim(`  Prisma Client regenerated in ${rel(client.output!)}`))
  } catch (error) {
    postCommitWarnings.push(`could not print the result: ${errorMessage(error)}`)
  }
  for (const w of postCommitWarnings) process.stderr.write(`${c.yellow('! warning:')} ${w}\n`)
  return exitCode
}

/** What the progress line says during each step of a run. */
const STEP_LABELS: Record<RunStep, string> = {
  models: 'loading the models',
  lock: 'waiting for the migration lock',
  plan: 'starting the schema engine and planning',
  backup: 'backing up the database',
  apply: 'applying the changes',
  verify: 'verifying',
  record: 'recording the run in the history',
}

/** The line is erased before anything else is printed, whether the work succeeded or not. */
async function withProgress<T>(progress: Progress, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } finally {
    progress.done()
  }
}

function printResult(command: Command, r: MigrateResult): void {
  const ms = c.dim(`· ${Math.round(r.durationMs)} ms`)
  if (r.outcome === 'in-sync') {
    out(`${c.green('✔')} nothing to do: ${rel(r.config.databasePath)} matches the models ${ms}`)
    if (r.unmodelledTables.length) out(c.dim(`  left alone (no model): ${r.unmodelledTables.join(', ')}`))
    return
  }
  const plan = r.plan!
  if (r.outcome === 'applied') {
    out(`${c.green('✔')} applied ${plan.steps.length} change(s) to ${rel(r.config.databasePath)} ${ms}`)
    printSteps(plan)
    if (r.warnings.length) for (const w of r.warnings) out(c.yellow(`  ! ${w}`))
    if (r.backupPath) out(c.dim(`  backup: ${rel(r.backupPath)}`))
    out(c.dim('  see it in: npx migrate-plugin history'))
    return
  }
  if (r.outcome === 'pending') {
    const missing = databaseMissing(r)
    out(missing
      ? `${c.yellow('●')} ${rel(r.config.databasePath)} does not exist; ${describeCreation(plan)} ${ms}`
      : `${c.yellow('●')} ${plan.steps.length} pending change(s) in ${rel(r.config.databasePath)} ${ms}`)
    printSteps(plan)
    for (const w of r.warnings) out(c.yellow(`  ${warningLine(w)}`))
    for (const u of r.unexecutable) out(c.red(`  ✖ cannot run: ${u}`))
    if (r.previewError) out(c.red(`  ✖ apply would fail: ${r.previewError}`))
    if (r.lossCheckError) out(c.yellow(`  ! ${lossCheckLine(r.lossCheckError)}`))
    out(applyAdvice(r, missing))
    return
  }
  out(`${c.bold('Preview')} of ${plan.steps.length} change(s) to ${rel(r.config.databasePath)} — nothing was changed ${ms}`)
  printSteps(plan)
  out(c.bold('\nSQL'))
  out(c.dim(plan.sql))
  for (const w of r.warnings) out(c.yellow(warningLine(w)))
  for (const u of r.unexecutable) out(c.red(`✖ cannot run: ${u}`))
  if (r.previewError) out(c.red(`✖ apply would fail: ${r.previewError}`))
  out(applyAdvice(r, databaseMissing(r)))
}

/** What `apply` would do with this plan, and what it needs: the last line of check and preview. */
function applyAdvice(r: MigrateResult, missing: boolean): string {
  const verdict = applyVerdict(r)
  if (verdict.refuses) return c.red(`apply would refuse this (the ✖ lines above): ${verdict.fix}; nothing was changed`)
  const losesData = r.warnings.some(isDataLossWarning)
  const command = c.cyan(`npx migrate-plugin apply${losesData ? ' --accept-data-loss' : ''}`)
  if (losesData) return `apply refuses this without consent (data loss). If the data-loss lines above are what you want: ${command}`
  return `${missing ? 'create it with' : 'apply them with'}: ${command}`
}

function databaseMissing(r: MigrateResult): boolean {
  return !existsSync(r.config.databasePath)
}

function describeCreation(plan: Plan): string {
  const tables = plan.steps.filter((s) => s.kind === 'create table').length
  return `${tables} table(s) would be created`
}

function printSteps(plan: Plan): void {
  for (const s of plan.steps) out(`  ${c.cyan('+')} ${s.description}${s.file ? c.dim(` (${s.file})`) : ''}`)
}

function printError(error: unknown, json: boolean, command?: string): void {
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

function statusIcon(s: string): string {
  return s === 'success' ? c.green('✅') : s === 'noop' || s === 'restored' ? c.blue('•') : c.red('❌')
}

function rel(path: string): string {
  const r = relative(process.cwd(), path)
  return r && !r.startsWith('..') ? r : path
}

function canAsk(): boolean {
  return !!process.stdin.isTTY && !!process.stdout.isTTY
}

async function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout })
  try {
    const answer = await rl.question(`${question} [y/N] `)
    return /^y(es)?$/i.test(answer.trim())
  } catch (error) {
    // Ctrl-D or Ctrl-C at the question is a "no", not a crash: the caller refuses and changes nothing.
    if (error instanceof Error && error.name === 'AbortError') {
      process.stdout.write('\n')
      return false
    }
    throw error
  } finally {
    rl.close()
  }
}
