import { writeSync } from 'node:fs'

/**
 * Named points where the crash-safety tests kill the migrating process (SIGKILL, no clean-up):
 * `MIGRATE_PLUGIN_CRASH_AT=after-push npx migrate-plugin apply`. Inside the write transaction
 * every SQL statement the engine sends is a point too, numbered from 1 (`statement:17`), so that
 * kills can be placed by the run's own progress rather than by a clock that mostly lands in
 * start-up. MIGRATE_PLUGIN_TRACE=1 writes one stderr line per point reached, for the tests to
 * see where a kill landed: `migrate-plugin:trace <epoch ms> <point>`.
 *
 * MIGRATE_PLUGIN_PAUSE_AT=<point>[,<point>…] holds the process at each of those points for a second
 * (synchronously), so that a test's signal, or another process's work, is certain to land while the
 * run is there, however loaded the machine.
 *
 * Without these variables this is a no-op: no statement is wrapped, nothing is written.
 */
export type CrashPoint = 'locked' | 'begin' | 'during-backup' | 'after-backup' | 'after-push' | 'after-verify' | 'after-record' | 'after-commit' | 'check-copied'

export const TRACE_PREFIX = 'migrate-plugin:trace'

export function crashPoint(name: CrashPoint): void {
  if (process.env.MIGRATE_PLUGIN_CRASH_AT === undefined && process.env.MIGRATE_PLUGIN_TRACE === undefined && process.env.MIGRATE_PLUGIN_PAUSE_AT === undefined) return
  reached(name)
}

function reached(point: string): void {
  if (process.env.MIGRATE_PLUGIN_TRACE === '1') {
    // Synchronous, so the line is out before a kill at this very point.
    writeSync(2, `${TRACE_PREFIX} ${(performance.timeOrigin + performance.now()).toFixed(3)} ${point}\n`)
  }
  if (process.env.MIGRATE_PLUGIN_CRASH_AT === point) process.kill(process.pid, 'SIGKILL')
  if (process.env.MIGRATE_PLUGIN_PAUSE_AT?.split(',').includes(point)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000)
}

interface StatementRunner {
  queryRaw(query: never): Promise<unknown>
  executeRaw(query: never): Promise<unknown>
  executeScript(script: string): Promise<void>
}

/** Make every statement sent through `adapter` from now on a crash point: `statement:1`, `statement:2`, … */
export function countStatements(adapter: StatementRunner): void {
  if (process.env.MIGRATE_PLUGIN_CRASH_AT === undefined && process.env.MIGRATE_PLUGIN_TRACE === undefined) return
  let count = 0
  for (const method of ['queryRaw', 'executeRaw', 'executeScript'] as const) {
    const original = (adapter[method] as (arg: never) => Promise<unknown>).bind(adapter)
    ;(adapter as unknown as Record<string, (arg: never) => Promise<unknown>>)[method] = (arg: never) => {
      reached(`statement:${++count}`)
      return original(arg)
    }
  }
}
