import type { ResolvedConfig } from '../core/config.ts'
import { MigrateError } from '../core/errors.ts'
import type { Findings } from '../targets/target.ts'
import { DataLossError, type LossReport } from './loss-report.ts'
import type { MigrateOptions } from './options.ts'
import type { Plan } from './plan.ts'

/** The guard step: what a run refuses before (or instead of) changing anything. */

export function checkTableCount(plan: Plan, config: ResolvedConfig): void {
  if (plan.tables.length <= config.maxTablesPerRun) return
  throw new MigrateError('GUARD_TOO_MANY_TABLES', `this run would change ${plan.tables.length} tables, more than max_tables_per_run = ${config.maxTablesPerRun}`, {
    step: 'guard', hint: 'review the plan with `npx migrate-plugin preview`, then raise [safety] max_tables_per_run if it is right',
  })
}

/**
 * A plan confirmed on a terminal (its SQL, its steps) is checked whenever one was given, not only
 * under require_confirmation: a data-loss "y" holds for the plan it was shown with.
 */
export function checkConfirmed(plan: Plan, config: ResolvedConfig, options: MigrateOptions): void {
  const stepsDiffer = options.confirmedSteps !== undefined && options.confirmedSteps.join('\n') !== plan.steps.map((s) => s.description).join('\n')
  const sqlDiffers = options.confirmedSql !== undefined && plan.sql !== options.confirmedSql
  const unconfirmed = config.requireConfirmation && !options.yes && plan.sql !== options.confirmedSql
  if (!unconfirmed && !sqlDiffers && !stepsDiffer) return
  throw new MigrateError('GUARD_NOT_CONFIRMED', 'the plan changed after it was confirmed (the database or the models changed meanwhile): nothing was changed', {
    step: 'guard', hint: 'run again to see the new plan and confirm it',
  })
}

/**
 * Data loss goes ahead only when it is exactly what the user was shown and accepted: the report's
 * digest covers every value at stake, so a row added or edited since the question makes it refuse.
 */
export function acceptLossOrRefuse(report: LossReport, options: MigrateOptions, refuse: (report: LossReport) => DataLossError): void {
  const accepted = options.acceptedLoss?.digest
  if (accepted && report.digest === accepted) return
  throw refuse(report)
}

const NOT_AS_ACCEPTED = 'what this run would lose is not what was confirmed (the data or the models changed meanwhile): nothing was changed'
const ACCEPT_HINT = 'if that is really what you want, run again with --accept-data-loss (or set [safety] allow_data_loss = true); nothing was changed'

/**
 * The refusal for data at stake: `ours` are the target's findings (values rewritten, rows an enum
 * no longer allows), `lossy` the engine's data-loss warnings. Without findings, the engine's alone.
 */
export function refuseFindings(ours: string[], lossy: string[], findings: Findings | undefined, options: MigrateOptions): (report: LossReport) => DataLossError {
  return (report) => {
    if (options.acceptedLoss) return new DataLossError(NOT_AS_ACCEPTED, report, { hint: 'run again to see what it would lose now' })
    if (!findings) return new DataLossError(`refusing to lose data: ${lossy.join('; ')}`, report, { hint: ACCEPT_HINT })
    return new DataLossError(`refusing to change data: ${[...ours, ...lossy].join('; ')}`, report, { hint: findings.fixHint ?? ACCEPT_HINT })
  }
}
