import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { errorMessage } from './errors.ts'
import type { MigrateOptions, MigrateResult, Prepared } from './migrate.ts'
import type { Plan } from './plan.ts'
import { openForReading } from './sqlite.ts'

/**
 * What an apply would say about a pending plan, for `check` (and so for CI builds and the dev
 * server in check mode): the engine's data-loss warnings ("You are about to drop the column `age`
 * … which still contains 1 non-null values"), its unexecutable steps, and a view or trigger the
 * change would break. The engine tells these only while pushing, and `check` promises to be
 * read-only (it works on read-only files and never takes the write lock), so the push runs as a
 * preview on a snapshot of the database in a private temporary folder, which is then deleted.
 *
 * Costs a copy of the database, only when changes are pending and only when a step could touch
 * existing rows: creating tables cannot lose anything.
 */
export interface Verdict {
  warnings: string[]
  unexecutable: string[]
  previewError?: string
}

export function needsVerdict(plan: Plan, dbPath: string): boolean {
  if (!existsSync(dbPath) || statSync(dbPath).size === 0) return false
  return plan.steps.some((step) => step.kind !== 'create table')
}

export async function engineVerdict(
  prepared: Prepared,
  trigger: string | undefined,
  run: (options: MigrateOptions) => Promise<MigrateResult>,
): Promise<Verdict | undefined> {
  const { config } = prepared
  const scratch = mkdtempSync(join(tmpdir(), 'migrate-plugin-check-'))
  const copy = join(scratch, basename(config.databasePath))
  try {
    try {
      const source = openForReading(config.databasePath, config.lockTimeout * 1000)
      try {
        source.prepare('VACUUM INTO ?').run(copy)
      } finally {
        source.close()
      }
    } catch {
      // No room for a copy, say: the check still reports the plan and its own data-loss findings.
      return undefined
    }
    // Paths in the engine's or our messages name the copy; the user knows only the database.
    const real = (text: string) => text.split(copy).join(config.databasePath)
    try {
      const result = await run({
        prepared: { ...prepared, config: { ...config, databasePath: copy, databaseReadOnly: false, backupEnabled: false, backupDirectory: scratch, requireConfirmation: false } },
        command: 'preview',
        ...(trigger ? { trigger } : {}),
      })
      return {
        warnings: result.warnings.map(real),
        unexecutable: result.unexecutable.map(real),
        ...(result.previewError ? { previewError: real(result.previewError) } : {}),
      }
    } catch (error) {
      // A refusal before the push (more tables than max_tables_per_run): an apply would refuse too.
      return { warnings: [], unexecutable: [], previewError: real(errorMessage(error)) }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}
