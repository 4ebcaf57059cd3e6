import type { ResolvedConfig } from '../core/config.ts'
import { MigrateError, errorMessage } from '../core/errors.ts'
import { regenerateClientAfterApply } from '../pipeline/client.ts'
import { migrate, prepare, type MigrateResult } from '../pipeline/migrate.ts'
import { backups, restore } from '../index.ts'
import type { CommonOptions, RestoreResult } from '../types.ts'
import type { ShownLoss } from './state.ts'

/**
 * The page's two actions. Both run what the CLI runs: an apply that goes ahead only when it would
 * lose exactly the data the page showed (the digest of that report, the plan's SQL and steps), and
 * the checked restore of `migrate-plugin restore`.
 */

/** `npx migrate-plugin apply` answered "y" to the data-loss question, with the page as the terminal. */
export async function applyShownLoss(config: ResolvedConfig, shown: ShownLoss): Promise<{ result: MigrateResult, warnings: string[] }> {
  // The models are read again: an edit saved after the page showed the loss makes the plan differ, and the run refuses.
  const prepared = await prepare({}, config)
  const result = await migrate({
    prepared, command: 'apply', trigger: 'vite-dev-page', pendingPlans: false,
    acceptedLoss: { digest: shown.report.digest }, confirmedSql: shown.report.planSql, confirmedSteps: shown.report.planSteps,
  })
  const warnings = [...(result.postCommitWarnings ?? [])]
  try {
    await regenerateClientAfterApply(result)
  } catch (error) {
    warnings.push(`the Prisma Client was not regenerated: ${errorMessage(error)}${error instanceof MigrateError && error.hint ? ` (${error.hint})` : ''}`)
  }
  return { result, warnings }
}

/**
 * `npx migrate-plugin restore <name> --yes` after the page's confirmation. Only a backup the page
 * listed can be named: restore also takes a path, and a path from a request could be any file.
 */
export async function restoreListed(options: CommonOptions, name: string): Promise<RestoreResult> {
  const listed = backups(options).backups
  if (!listed.some((b) => b.name === name)) {
    throw new MigrateError('RESTORE', `no backup named ${JSON.stringify(name)} in this database's backups`, { hint: 'reload the page to see the backups there are now' })
  }
  return restore({ ...options, backup: name, yes: true, trigger: 'vite-dev-page' })
}
