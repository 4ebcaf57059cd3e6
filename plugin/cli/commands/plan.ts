import { databaseLabel } from '../../core/config.ts'
import { MigrateError, errorMessage } from '../../core/errors.ts'
import { configFor } from '../../pipeline/prepare.ts'
import { warningLine } from '../../pipeline/verdict-words.ts'
import { defineCommand, type Flags } from '../command.ts'
import { printJson, runResultJson } from '../json.ts'
import { c, out, printSteps, printWarnings, rel } from '../print.ts'

/**
 * `plan` writes the pending change as a file to review; `apply --plan <file>` (routed here from
 * apply) runs such a file as written. Exit codes: 0 ok (a plan written, or nothing to plan), 1 error.
 */

export const plan = defineCommand({
  name: 'plan',
  description: 'Write the pending change as a SQL file to review and edit (apply it with apply --plan)',
  common: true,
  options: [['--name <slug>', 'Words for the file name (default: the first step)']],
  examples: ['npx migrate-plugin plan --name backfill_user_names', 'npx migrate-plugin apply --plan migrations/20260101120000_backfill_user_names.sql'],
  async handler(_args, flags) {
    const name: unknown = flags.name
    if (name !== undefined && typeof name !== 'string') throw new MigrateError('USAGE', '--name needs a value', { hint: 'e.g. --name backfill_user_names' })
    const { writePlan } = await import('../../plans/write.ts')
    const written = await writePlan({ ...(flags.config ? { config: flags.config } : {}), ...(name !== undefined ? { name } : {}), trigger: 'cli' })
    const { result } = written
    if (flags.json) {
      printJson({ ok: true, command: 'plan', ...runResultJson(result), ...(written.path ? { path: written.path } : {}), pendingPlans: written.pendingPlans })
      return 0
    }
    const pendingNote = written.pendingPlans.length
      ? c.yellow(`  ! ${written.pendingPlans.length} plan file(s) not yet applied to this database (${written.pendingPlans.map(rel).join(', ')}): this plan starts from the database without them`)
      : undefined
    if (written.outcome === 'in-sync') {
      out(`${c.green('✔')} nothing to plan: ${databaseLabel(result.config, rel)} matches the models; no file written`)
      if (pendingNote) out(pendingNote)
      return 0
    }
    out(`${c.green('✔')} wrote the plan ${c.bold(rel(written.path!))} (${result.plan!.steps.length} step(s) from ${databaseLabel(result.config, rel)}; nothing was changed)`)
    printSteps(result.plan!)
    for (const w of result.warnings) out(c.yellow(`  ${warningLine(w)}`))
    for (const u of result.unexecutable) out(c.red(`  ✖ cannot run as written: ${u} (marked in the file: edit its SQL)`))
    if (pendingNote) out(pendingNote)
    out(`review and edit it, then: ${c.cyan(`npx migrate-plugin apply --plan ${rel(written.path!)}`)}`)
    return 0
  },
})

/** `apply --plan <file>`. */
export async function applyPlanCommand(flags: Flags): Promise<number> {
  if (typeof flags.plan !== 'string' || flags.plan === '') throw new MigrateError('USAGE', '--plan needs the plan file', { hint: 'e.g. npx migrate-plugin apply --plan migrations/20260101120000_backfill_user_names.sql' })
  const config = configFor(flags.config ? { config: flags.config } : {})
  const [{ applyPlanFile }, { regenerateClientAfterApply }] = await Promise.all([import('../../plans/api.ts'), import('../../pipeline/client.ts')])
  const result = await applyPlanFile(flags.plan, {
    ...(flags.config ? { config: flags.config } : {}),
    trigger: 'cli',
    backup: flags.backup !== false && !flags.force,
  }, config)
  const postCommitWarnings = [...(result.postCommitWarnings ?? [])]
  let client: Awaited<ReturnType<typeof regenerateClientAfterApply>> | undefined
  try {
    client = await regenerateClientAfterApply(result)
  } catch (error) {
    postCommitWarnings.push(`the Prisma Client was not regenerated: ${errorMessage(error)}${error instanceof MigrateError && error.hint ? ` (${error.hint})` : ''}`)
  }
  if (flags.json) {
    printJson({ ok: true, command: 'apply', ...runResultJson(result), ...(postCommitWarnings.length ? { postCommitWarnings } : {}), ...(client && client.state !== 'disabled' ? { client: client.state } : {}) })
    return 0
  }
  const ran = result.plans?.[0]
  if (result.outcome !== 'applied' || !ran) {
    out(`${c.green('✔')} nothing to do: the plan ${flags.plan} was already applied`)
  } else {
    out(`${c.green('✔')} applied the plan ${rel(ran.file)} to ${databaseLabel(result.config, rel)} ${c.dim(`· sha256 ${ran.sha256.slice(0, 12)}… · ${Math.round(result.durationMs)} ms`)}`)
    printSteps({ ...result.plan!, steps: result.plan!.steps.filter((s) => s.kind !== 'plan file') })
    for (const w of result.warnings) out(c.yellow(`  ! ${w}`))
    if (result.backupPath) out(c.dim(`  backup: ${rel(result.backupPath)}`))
    if (client?.state === 'generated') out(c.dim(`  Prisma Client regenerated in ${rel(client.output!)}`))
    out(c.dim('  see it in: npx migrate-plugin history'))
  }
  printWarnings(postCommitWarnings)
  return 0
}
