import { closeSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { createPrivateFile } from './backup.ts'
import { crashPoint } from '../../core/crash.ts'
import type { ResolvedConfig } from '../../core/config.ts'
import { errorMessage } from '../../core/errors.ts'
import type { Plan } from '../../pipeline/plan.ts'
import type { Verdict } from '../target.ts'
import { openForReading } from './open.ts'

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
 *
 * The copy holds all the data, so it must not outlive the check nor be readable by more people
 * than the database: it is created 0600 before a byte is written, removed on SIGINT/SIGTERM/SIGHUP,
 * and the folder carries the pid so that the next check removes the copies of killed processes.
 * When no copy can be made, `lossCheckError` says so: a check that could not look must not read as
 * "nothing would be lost".
 */
const PREFIX = 'migrate-plugin-check-'

export function needsVerdict(plan: Plan, dbPath: string): boolean {
  if (!existsSync(dbPath) || statSync(dbPath).size === 0) return false
  return plan.steps.some((step) => step.kind !== 'create table')
}

export async function verdictOnCopy(config: ResolvedConfig, preview: (config: ResolvedConfig) => Promise<Verdict>): Promise<Verdict> {
  removeStaleCopies()
  let scratch: string
  try {
    scratch = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`))
  } catch (error) {
    return { warnings: [], unexecutable: [], lossCheckError: copyFailed(tmpdir(), error) }
  }
  const copy = join(scratch, basename(config.databasePath))
  const remove = () => rmSync(scratch, { recursive: true, force: true })
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
  const onSignal = (signal: NodeJS.Signals) => {
    remove()
    for (const s of signals) process.off(s, onSignal)
    // Re-raised once this handler is gone, so that the process ends as the signal asked (its exit
    // status says so). Always: a library's exit hook (signal-exit) that also listens re-raises only
    // when it is the last listener, and would otherwise wait for us while we wait for it.
    process.kill(process.pid, signal)
  }
  for (const s of signals) process.on(s, onSignal)
  try {
    try {
      // Created empty and private first: VACUUM INTO would create it with the umask's mode (0644).
      closeSync(createPrivateFile(copy, 0o600))
      const source = openForReading(config.databasePath, config.lockTimeout * 1000)
      try {
        source.prepare('VACUUM INTO ?').run(copy)
      } finally {
        source.close()
      }
    } catch (error) {
      // No room for a copy, say: the check still reports the plan and its own data-loss findings,
      // and says that it could not look further.
      return { warnings: [], unexecutable: [], lossCheckError: copyFailed(scratch, error) }
    }
    crashPoint('check-copied')
    // Paths in the engine's or our messages name the copy; the user knows only the database.
    const real = (text: string) => text.split(copy).join(config.databasePath)
    try {
      const result = await preview({ ...config, databasePath: copy, databaseReadOnly: false, backupEnabled: false, backupDirectory: scratch, requireConfirmation: false })
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
    remove()
    // The copy and the preview are mostly synchronous, so a signal that came during them is still
    // waiting in the event loop, read at its next poll phase: the handler stays until a poll phase
    // has run, or the signal would be dropped with it. An immediate scheduled from an immediate
    // runs in a later loop turn's check phase, which always follows that turn's poll phase —
    // whatever phase this runs in, and however long the machine stalls (a timer did not: under
    // load it could fire before the poll).
    setImmediate(() => setImmediate(() => {
      for (const s of signals) process.off(s, onSignal)
    }))
  }
}

function copyFailed(folder: string, error: unknown): string {
  return `no copy of the database could be made in ${folder}: ${errorMessage(error)}; TMPDIR chooses the folder`
}

/**
 * Remove the copies left by checks that were killed (SIGKILL, a power cut): their folder names a
 * pid that no longer runs. A folder whose process still runs, or cannot be asked (EPERM: another
 * user's), is left alone: it may be a check in progress.
 */
function removeStaleCopies(): void {
  let entries: string[]
  try {
    entries = readdirSync(tmpdir())
  } catch {
    return
  }
  for (const entry of entries) {
    const pid = new RegExp(`^${PREFIX}(\\d+)-[A-Za-z0-9]{6}$`).exec(entry)?.[1]
    if (pid === undefined || Number(pid) === process.pid || isRunning(Number(pid))) continue
    try {
      rmSync(join(tmpdir(), entry), { recursive: true, force: true })
    } catch {
      // Not ours to remove (another user's, in a sticky /tmp): it is theirs to clean.
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}
