import type { MigrateOptions as PublicMigrateOptions } from '../types.ts'
import type { PlanFile } from '../plans/plan-file.ts'
import type { TargetSession } from '../targets/target.ts'
import type { Prepared } from './prepare.ts'
// The public shapes live in types.ts (which imports nothing, so the shipped declarations stand alone).
export type { Command, MigrateResult, Outcome, RunStep } from '../types.ts'

/** The public options (types.ts) and what only the package's own callers pass. */
export interface MigrateOptions extends Omit<PublicMigrateOptions, 'env'> {
  /** The plan's SQL as the user confirmed it: the apply refuses if its own plan differs. */
  confirmedSql?: string
  /**
   * Data loss the user was shown and accepted (the digest of a DataLossError's report). The run
   * goes ahead only if it would lose exactly that data; otherwise it refuses, changing nothing.
   */
  acceptedLoss?: { digest: string }
  /** The plan's steps as shown with the data-loss question; the run refuses if its own differ. */
  confirmedSteps?: string[]
  /** The caller shows a refusal's loss report and may ask: compute its digest (a full read of the data at stake). */
  confirmingDataLoss?: boolean
  env?: NodeJS.ProcessEnv
  /** Reuse models and schema already prepared by the caller (status, the dev server's watcher). */
  prepared?: Prepared
  /** `apply --plan`: run this reviewed plan file instead of the engine's change. */
  planFile?: PlanFile
  /**
   * A deploy's run of a pending plan: one already recorded as applied (a deploy racing another), or
   * whose schema the database already has, is nothing to run rather than a refusal.
   */
  skipAppliedPlan?: boolean
  /** false: a declarative apply that leaves pending plan files alone (a dev server). */
  pendingPlans?: boolean
  /** Called with the open session before anything runs in it (`plan` reads the starting schema). */
  onSession?: (session: TargetSession) => Promise<void>
}
