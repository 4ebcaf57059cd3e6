import { MigrateError } from '../core/errors.ts'
import { DataLossError, type LossReport } from '../pipeline/loss-report.ts'
import type { MigrateResult } from '../pipeline/migrate.ts'
import { isCI } from '../core/ci-env.ts'

/**
 * On a terminal, an apply that would lose data shows what it would lose and asks, as `prisma db
 * push` and `drizzle-kit push` do. The question is asked between two runs, not inside one: the
 * first run refuses (rolling back and releasing the lock, so the app can keep writing while a
 * person reads), and the second goes ahead only if it would lose exactly the data that was shown,
 * which it checks in its own transaction (see loss-report.ts). Anything else, a row added or a
 * model edited meanwhile, is refused.
 *
 * `--yes` does not answer this question: like Prisma and drizzle-kit, losing data takes its own
 * flag (`--accept-data-loss`) or a typed "y".
 */
export interface DataLossPrompt {
  /** Prints one line (the caller's printer: masked, coloured or not). */
  print: (line: string) => void
  ask: (question: string) => Promise<boolean>
}

export const DATA_LOSS_QUESTION = 'Apply and lose this data?'

/** Only a person at a terminal is asked: never with --json, in CI, or when input or output is not a terminal. */
export function canAskAboutDataLoss(json: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return !json && !isCI(env) && !!process.stdin.isTTY && !!process.stdout.isTTY
}

export function lossLines(report: LossReport): string[] {
  return [
    `This change would lose data:`,
    ...report.items.map((item) => `  - ${item.description}`),
    // The steps are part of what is confirmed: a step added meanwhile (another process's index
    // that a rebuild would drop) makes the run after the "y" refuse.
    `Its steps:`,
    ...report.planSteps.map((step) => `  ${step}`),
  ]
}

/**
 * Runs `apply`; when it refuses to lose data and a prompt is given, shows the loss, asks, and
 * on "y" runs again with that loss (and that plan) accepted.
 */
export async function applyAskingAboutDataLoss(
  apply: (accepted?: { acceptedLoss: { digest: string }, confirmedSql: string, confirmedSteps: string[] }) => Promise<MigrateResult>,
  prompt: DataLossPrompt | undefined,
): Promise<MigrateResult> {
  try {
    return await apply()
  } catch (error) {
    if (!prompt || !(error instanceof DataLossError)) throw error
    for (const line of lossLines(error.report)) prompt.print(line)
    if (!(await prompt.ask(DATA_LOSS_QUESTION))) {
      throw new MigrateError('GUARD_NOT_CONFIRMED', 'not confirmed: nothing was changed', {
        step: 'guard', hint: 'change the models to keep the data, or answer y (or pass --accept-data-loss) to apply',
      })
    }
    return apply({ acceptedLoss: { digest: error.report.digest }, confirmedSql: error.report.planSql, confirmedSteps: error.report.planSteps })
  }
}
