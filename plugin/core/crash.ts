/**
 * Named points where the crash-safety tests kill the migrating process (SIGKILL, no clean-up):
 * `MIGRATE_PLUGIN_CRASH_AT=after-push npx migrate-plugin apply`. Without the variable this is a
 * no-op; it exists so that every point of an apply can be proven recoverable, not only the ones a
 * timer happens to hit.
 */
export type CrashPoint = 'locked' | 'during-backup' | 'after-backup' | 'after-push' | 'after-verify' | 'after-record' | 'after-commit'

export function crashPoint(name: CrashPoint): void {
  if (process.env.MIGRATE_PLUGIN_CRASH_AT === name) process.kill(process.pid, 'SIGKILL')
}
