import { databaseLabel, databaseMissing } from '../../core/config.ts'
import type { ConfigOverrides } from '../../core/config.ts'
import { MigrateError, errorMessage } from '../../core/errors.ts'
import { regenerateClientAfterApply } from '../../pipeline/client.ts'
import { migrate, type Command, type MigrateResult, type RunStep } from '../../pipeline/migrate.ts'
import type { Plan } from '../../pipeline/plan.ts'
import { applyVerdict, isDataLossWarning, lossCheckLine, planRequiredAdvice, warningLine } from '../../pipeline/verdict-words.ts'
import { ask, canAsk } from '../ask.ts'
import { formatOf, reportCheck, type Format } from '../ci-report.ts'
import { defineCommand, type Flags } from '../command.ts'
import { applyAskingAboutDataLoss, canAskAboutDataLoss } from '../confirm-data-loss.ts'
import { printJson, runResultJson } from '../json.ts'
import { c, out, printSteps, printWarnings, rel } from '../print.ts'
import { Progress } from '../progress.ts'

/**
 * apply, preview and check: one run of the pipeline each, printed the same way. Exit codes: 0 ok,
 * 1 error (or a preview that apply would refuse), 2 changes pending (check).
 */

const run = (name: Command) => (_args: unknown, flags: Flags) => runMigrate(name, flags)

export const apply = defineCommand({
  name: 'apply',
  description: 'Apply pending model changes (the default command)',
  common: true,
  options: [
    ['--no-backup', 'Skip the backup (not recommended)'],
    ['--force', 'Same as --no-backup (the original tool\'s flag)'],
    ['--no-verify', 'Skip the verifying diff after applying'],
    ['--accept-data-loss', 'Apply even when the engine warns that data will be lost'],
    ['--plan <file>', 'Apply a reviewed plan file as written (see plan)'],
  ],
  examples: ['npx migrate-plugin apply', 'npx migrate-plugin apply --accept-data-loss'],
  handler: async (_args, flags) => (flags.plan !== undefined ? (await import('./plan.ts')).applyPlanCommand(flags) : runMigrate('apply', flags)),
})

export const preview = defineCommand({
  name: 'preview',
  alias: 'dry-run',
  description: 'Show the plan, the SQL and the warnings; change nothing',
  common: true,
  examples: ['npx migrate-plugin preview'],
  handler: run('preview'),
})

export const check = defineCommand({
  name: 'check',
  description: 'Exit 2 when changes are pending, 0 when in sync (for CI)',
  common: true,
  options: [['--format <format>', 'Output: text (default), json (same as --json) or markdown (a summary for a pull request)']],
  examples: ['npx migrate-plugin check || echo "run npx migrate-plugin apply"', 'npx migrate-plugin check --format markdown > schema-change.md'],
  handler: run('check'),
})

/** No command: apply, as `python migrate.py` did. */
export const applyByDefault = defineCommand({
  name: '',
  description: 'Same as apply',
  usage: '[command] [options]',
  common: true,
  options: [
    ['--no-backup', 'Skip the backup (not recommended)'],
    ['--force', 'Same as --no-backup'],
    ['--no-verify', 'Skip the verifying diff after applying'],
    ['--accept-data-loss', 'Apply even when the engine warns that data will be lost'],
    ['--plan <file>', 'Apply a reviewed plan file as written (see plan)'],
  ],
  handler: async (_args, flags) => (flags.plan !== undefined ? (await import('./plan.ts')).applyPlanCommand(flags) : runMigrate('apply', flags)),
})

async function runMigrate(command: Command, flags: Flags): Promise<number> {
  // Checked before the run: a bad --format must not cost a migration run first.
  const format: Format = command === 'check' ? formatOf(flags) : flags.json ? 'json' : 'text'
  const json = format === 'json'
  const overrides: ConfigOverrides = {}
  if (flags.acceptDataLoss) overrides.allowDataLoss = true
  const progress = new Progress({ json: format !== 'text' })
  // The progress line is erased before the loss is listed and the question asked.
  const lossPrompt = command === 'apply' && canAskAboutDataLoss(json)
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
    // GitHub annotations and the job summary; with --format markdown, the result itself.
    const ci = await reportCheck(command, result, format)
    postCommitWarnings.push(...ci.warnings)
    if (ci.printed) {
      printWarnings(postCommitWarnings)
      return exitCode
    }
    if (json) {
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
  printWarnings(postCommitWarnings)
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
    out(`${c.green('✔')} nothing to do: ${databaseLabel(r.config, rel)} matches the models ${ms}`)
    if (r.unmodelledTables.length) out(c.dim(`  left alone (no model): ${r.unmodelledTables.join(', ')}`))
    return
  }
  const plan = r.plan!
  if (r.outcome === 'applied') {
    out(`${c.green('✔')} applied ${plan.steps.filter((s) => s.kind !== 'plan file').length} change(s) to ${databaseLabel(r.config, rel)} ${ms}`)
    printSteps(plan)
    if (r.warnings.length) for (const w of r.warnings) out(c.yellow(`  ! ${w}`))
    if (r.backupPath) out(c.dim(`  backup: ${rel(r.backupPath)}`))
    out(c.dim('  see it in: npx migrate-plugin history'))
    return
  }
  if (r.outcome === 'pending') {
    const missing = databaseMissing(r.config)
    out(missing
      ? `${c.yellow('●')} ${databaseLabel(r.config, rel)} does not exist; ${describeCreation(plan)} ${ms}`
      : `${c.yellow('●')} ${plan.steps.length} pending change(s) in ${databaseLabel(r.config, rel)} ${ms}`)
    printSteps(plan)
    for (const w of r.warnings) out(c.yellow(`  ${warningLine(w)}`))
    for (const u of r.unexecutable) out(c.red(`  ✖ cannot run: ${u}`))
    if (r.previewError) out(c.red(`  ✖ apply would fail: ${r.previewError}`))
    if (r.lossCheckError) out(c.yellow(`  ! ${lossCheckLine(r.lossCheckError)}`))
    out(applyAdvice(r, missing))
    return
  }
  out(`${c.bold('Preview')} of ${plan.steps.length} change(s) to ${databaseLabel(r.config, rel)} — nothing was changed ${ms}`)
  printSteps(plan)
  out(c.bold('\nSQL'))
  out(c.dim(plan.sql))
  for (const w of r.warnings) out(c.yellow(warningLine(w)))
  for (const u of r.unexecutable) out(c.red(`✖ cannot run: ${u}`))
  if (r.previewError) out(c.red(`✖ apply would fail: ${r.previewError}`))
  out(applyAdvice(r, databaseMissing(r.config)))
}

/** What `apply` would do with this plan, and what it needs: the last line of check and preview. */
function applyAdvice(r: MigrateResult, missing: boolean): string {
  const verdict = applyVerdict(r)
  if (verdict.refuses) return c.red(`apply would refuse this (the ✖ lines above): ${verdict.fix}; nothing was changed`)
  const planRequired = planRequiredAdvice(r)
  if (planRequired) return planRequired
  const losesData = r.warnings.some(isDataLossWarning)
  const command = c.cyan(`npx migrate-plugin apply${losesData ? ' --accept-data-loss' : ''}`)
  if (losesData) return `apply refuses this without consent (data loss). If the data-loss lines above are what you want: ${command}`
  return `${missing ? 'create it with' : 'apply them with'}: ${command}`
}


function describeCreation(plan: Plan): string {
  const tables = plan.steps.filter((s) => s.kind === 'create table').length
  return `${tables} table(s) would be created`
}
