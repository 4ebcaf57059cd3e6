import { boundSessionBackups } from '../targets/sqlite/backup.ts'
import { errorMessage } from '../core/errors.ts'
import type { MigrateResult } from '../pipeline/migrate.ts'

/**
 * A dev server applies on every save, and every apply takes a backup: over a long session they
 * pile up. One instance lives as long as the dev server (or watch build) and remembers the backups
 * it took, per database; after each apply it keeps the first of the session and the newest
 * `backup_keep_dev` (see boundSessionBackups for what it never deletes). Backups it did not take
 * are left to backup_retention_days.
 */
export class SessionBackups {
  readonly #taken = new Map<string, string[]>()

  /** After an apply of a dev/watch run: returns warnings (a deletion that failed), never throws. */
  record(result: MigrateResult): string[] {
    if (!result.backupPath) return []
    const { databasePath, backupDirectory, backupKeepDev } = result.config
    const taken = this.#taken.get(databasePath) ?? []
    taken.push(result.backupPath)
    const failures: string[] = []
    try {
      const deleted = new Set(boundSessionBackups(databasePath, backupDirectory, taken, backupKeepDev, failures))
      this.#taken.set(databasePath, taken.filter((path) => !deleted.has(path)))
    } catch (error) {
      this.#taken.set(databasePath, taken)
      failures.push(`the dev-server backup bound failed: ${errorMessage(error)}`)
    }
    return failures
  }
}
