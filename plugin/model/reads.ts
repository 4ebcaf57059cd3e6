import { createHash } from 'node:crypto'
import { readFileSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs'

/**
 * What model code read while it loaded, beyond its own source files: environment variables and
 * files (contents, folder listings, existence, stat). A schema made from those reads is only
 * valid while each read would still see what it saw, so both the fresh-process fast path (the
 * inputs record) and the dev server's cache re-check them before trusting an earlier load.
 */
export type ReadKind = 'env' | 'env-all' | 'cwd' | 'file' | 'dir' | 'exists' | 'stat' | 'link'

export interface Read {
  kind: ReadKind
  /** The variable name or the absolute path ('' for env-all and cwd). */
  target: string
  /** A fingerprint of what the model saw: a hash, 'missing', … (compared, never interpreted). */
  seen: string
}

export interface LoadReads {
  reads: Read[]
  /**
   * Set when the models did something whose result cannot be re-checked cheaply (ran a process,
   * used the network): then no earlier load may be reused, and every run loads the models again.
   */
  untracked?: string
}

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')

/**
 * The current fingerprint of one read. The fs functions are captured when this module loads,
 * before the loader wraps them, so checking a read is never itself recorded as one.
 */
const fs = { readFileSync, readdirSync, readlinkSync, realpathSync, statSync }

export function fingerprint(kind: ReadKind, target: string, env: NodeJS.ProcessEnv): string {
  switch (kind) {
    case 'env': {
      const value = env[target]
      return value === undefined ? 'unset' : sha(value)
    }
    case 'cwd':
      // A relative path, or process.cwd() itself: the same code reads another file from elsewhere.
      return process.cwd()
    case 'env-all':
      return sha(JSON.stringify(Object.keys(env).sort().map((k) => [k, env[k]])))
    case 'file':
      try {
        return sha(fs.readFileSync(target))
      } catch (error) {
        return `error:${(error as NodeJS.ErrnoException).code ?? 'unknown'}`
      }
    case 'dir':
      try {
        return sha(fs.readdirSync(target).sort().join('\n'))
      } catch (error) {
        return `error:${(error as NodeJS.ErrnoException).code ?? 'unknown'}`
      }
    case 'exists':
      try {
        return fs.statSync(target).isDirectory() ? 'dir' : 'file'
      } catch {
        return 'missing'
      }
    case 'link': {
      // Both the link itself (readlink) and where the whole path leads (realpath).
      let link = ''
      try { link = fs.readlinkSync(target) } catch { /* not a link */ }
      try {
        return `${link}\u0000${fs.realpathSync(target)}`
      } catch (error) {
        return `${link}\u0000error:${(error as NodeJS.ErrnoException).code ?? 'unknown'}`
      }
    }
    case 'stat':
      try {
        const s = fs.statSync(target)
        return `${s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other'}:${s.size}:${s.mtimeMs}:${s.mode}`
      } catch (error) {
        return `error:${(error as NodeJS.ErrnoException).code ?? 'unknown'}`
      }
  }
}

/** Whether every read would still see what it saw (env: this process's environment). */
export function readsUnchanged(loaded: LoadReads | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!loaded) return true
  if (loaded.untracked) return false
  return loaded.reads.every((r) => fingerprint(r.kind, r.target, env) === r.seen)
}

/** The paths a watcher should add so that an edit to something the models read re-runs them. */
export function readPaths(loaded: LoadReads | undefined): string[] {
  return [...new Set((loaded?.reads ?? []).filter((r) => r.kind !== 'env' && r.kind !== 'env-all' && r.kind !== 'cwd').map((r) => r.target))].sort()
}
