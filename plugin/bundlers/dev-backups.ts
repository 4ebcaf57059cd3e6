import { errorMessage } from '../core/errors.ts'
import type { MigrateResult } from '../pipeline/migrate.ts'
import { targetFor } from '../targets/index.ts'

/**
 * A dev server applies on every save, and every apply takes a backup: over a long session they
 * pile up. One instance lives as long as the dev server (or watch build) and remembers the backups
 * it took, per database; after each apply its target keeps the first of the session and the newest
 * `backup_keep_dev` (see Target.boundSessionBackups for what it never deletes). Backups it did not
 * take are left to backup_retention_days.
 */
export class SessionBackups {
  readonly #taken = new Map<string, string[]>()

  /** After an apply of a dev/watch run: returns warnings (a deletion that failed), never throws. */
  async record(result: MigrateResult): Promise<string[]> {
    if (!result.backupPath) return []
    const { databasePath } = result.config
    const taken = this.#taken.get(databasePath) ?? []
    taken.push(result.backupPath)
    const failures: string[] = []
    try {
      const target = await targetFor(result.config)
      const deleted = new Set(target.boundSessionBackups(result.config, taken, failures))
      this.#taken.set(databasePath, taken.filter((path) => !deleted.has(path)))
    } catch (error) {
      this.#taken.set(databasePath, taken)
      failures.push(`the dev-server backup bound failed: ${errorMessage(error)}`)
    }
    return failures
  }
}
