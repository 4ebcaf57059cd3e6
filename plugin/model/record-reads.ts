import childProcess from 'node:child_process'
import nodeCrypto from 'node:crypto'
import dns from 'node:dns'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import { createRequire, syncBuiltinESMExports } from 'node:module'
import net from 'node:net'
import { dirname, isAbsolute, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fingerprint, type LoadReads, type Read, type ReadKind } from './reads.ts'

/**
 * Records what model code reads while it loads (see reads.ts). Runs inside the loader worker only:
 * it swaps `process.env` for a recording view of the caller's environment and wraps the fs
 * functions that observe files, for the duration of one load, then puts everything back.
 */
export interface Recording {
  stop(): LoadReads
}

type AnyFn = (...args: unknown[]) => unknown
type Patch = { target: Record<string, unknown>, name: string, original: unknown }

const FILE_FUNCTIONS: [Record<string, unknown>, string, ReadKind, 'sync' | 'callback' | 'promise'][] = [
  [fs as never, 'readFileSync', 'file', 'sync'],
  [fs as never, 'openSync', 'file', 'sync'],
  [fs as never, 'createReadStream', 'file', 'sync'],
  [fs as never, 'readdirSync', 'dir', 'sync'],
  [fs as never, 'opendirSync', 'dir', 'sync'],
  [fs as never, 'existsSync', 'exists', 'sync'],
  [fs as never, 'accessSync', 'exists', 'sync'],
  [fs as never, 'statSync', 'stat', 'sync'],
  [fs as never, 'lstatSync', 'stat', 'sync'],
  [fs as never, 'readFile', 'file', 'callback'],
  [fs as never, 'open', 'file', 'callback'],
  [fs as never, 'readdir', 'dir', 'callback'],
  [fs as never, 'opendir', 'dir', 'callback'],
  [fs as never, 'exists', 'exists', 'callback'],
  [fs as never, 'access', 'exists', 'callback'],
  [fs as never, 'stat', 'stat', 'callback'],
  [fs as never, 'lstat', 'stat', 'callback'],
  [fsp as never, 'readFile', 'file', 'promise'],
  [fsp as never, 'open', 'file', 'promise'],
  [fsp as never, 'readdir', 'dir', 'promise'],
  [fsp as never, 'opendir', 'dir', 'promise'],
  [fsp as never, 'access', 'exists', 'promise'],
  [fsp as never, 'stat', 'stat', 'promise'],
  [fsp as never, 'lstat', 'stat', 'promise'],
  // Where a link points (a `current → v2` folder switch changes what the models read next).
  [fs as never, 'readlinkSync', 'link', 'sync'],
  [fs as never, 'realpathSync', 'link', 'sync'],
  [fs as never, 'readlink', 'link', 'callback'],
  [fs as never, 'realpath', 'link', 'callback'],
  [fsp as never, 'readlink', 'link', 'promise'],
  [fsp as never, 'realpath', 'link', 'promise'],
  // A copy reads its source: the model may read the copy, which lives outside what is recorded.
  [fs as never, 'copyFileSync', 'file', 'sync'],
  [fs as never, 'copyFile', 'file', 'callback'],
  [fsp as never, 'copyFile', 'file', 'promise'],
  [fs as never, 'cpSync', 'file', 'sync'],
  [fs as never, 'cp', 'file', 'callback'],
  [fsp as never, 'cp', 'file', 'promise'],
]

/** Results that depend on the world outside the project's files: nothing cheap can re-check them. */
const UNTRACKED: [Record<string, unknown>, string, string][] = [
  ...['exec', 'execSync', 'execFile', 'execFileSync', 'spawn', 'spawnSync', 'fork'].map((name) => [childProcess as never, name, `ran a child process (${name})`] as [Record<string, unknown>, string, string]),
  [http as never, 'request', 'used the network (http.request)'],
  [http as never, 'get', 'used the network (http.get)'],
  [https as never, 'request', 'used the network (https.request)'],
  [https as never, 'get', 'used the network (https.get)'],
  [net as never, 'connect', 'used the network (net.connect)'],
  [net as never, 'createConnection', 'used the network (net.createConnection)'],
  [dns as never, 'lookup', 'used the network (dns.lookup)'],
  [globalThis as never, 'fetch', 'used the network (fetch)'],
]

const thisFile = fileURLToPath(import.meta.url)
// Taken before any load can replace Date.now.
const now = Date.now
// This package's own modules (discovery, the DSL) run inside the load too.
const ownSources = `${dirname(dirname(thisFile))}${sep}`
const jitiPath = createRequire(import.meta.url).resolve('jiti')
const marker = `${sep}node_modules${sep}jiti${sep}`
const jitiRoot = jitiPath.includes(marker) ? jitiPath.slice(0, jitiPath.indexOf(marker) + marker.length) : undefined

/**
 * Whether the code asking is the loader itself (jiti and the Babel it bundles read package.json
 * files and a few environment variables to do their work; Node's module loader reads a few
 * more): not the models' inputs.
 * Only the nearest caller counts, so a library the models use to read files or settings is still
 * recorded.
 */
function askedByLoader(): boolean {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 30
  const stack = new Error().stack ?? ''
  Error.stackTraceLimit = limit
  for (const line of stack.split('\n').slice(1)) {
    if (line.includes(thisFile) || line.includes('(node:') || /at node:/.test(line) || !line.includes(sep)) continue
    return (jitiRoot !== undefined && line.includes(jitiRoot)) || line.includes(ownSources)
  }
  // Only Node's own frames (its module loader reading NODE_V8_COVERAGE): code of the models or of
  // a package they call always has a frame of its own on the stack.
  return true
}

function opensToRead(flags: unknown): boolean {
  if (flags === undefined || flags === null || typeof flags === 'function') return true
  if (typeof flags === 'number') return (flags & fs.constants.O_WRONLY) === 0
  return typeof flags !== 'string' || /[r+]/.test(flags)
}

/** The arguments of execSync / execFileSync / spawnSync with a timeout no later than `deadline`. */
function withTimeout(args: unknown[], deadline: number): unknown[] {
  const left = Math.max(1, deadline - now())
  const last = args.length > 1 ? args[args.length - 1] : undefined
  const hasOptions = typeof last === 'object' && last !== null && !Array.isArray(last)
  const options = (hasOptions ? last : {}) as { timeout?: number, killSignal?: string }
  const timeout = options.timeout && options.timeout > 0 ? Math.min(options.timeout, left) : left
  const merged = { ...options, timeout, killSignal: 'SIGKILL' }
  return hasOptions ? [...args.slice(0, -1), merged] : [...args, merged]
}

function pathOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (value instanceof URL) return value.protocol === 'file:' ? fileURLToPath(value) : undefined
  if (Buffer.isBuffer(value)) return value.toString()
  return undefined
}

/**
 * Start recording. `ignore` drops paths whose content is covered elsewhere (model files, installed
 * packages, the loader's own cache), so that the record stays small and cheap to re-check.
 */
export function startRecording(env: NodeJS.ProcessEnv, ignore: (path: string) => boolean, resolvePath: (path: string) => string, deadline?: number): Recording {
  const reads = new Map<string, Read>()
  let untracked: string | undefined
  let active = true
  const patches: Patch[] = []

  // The caller's environment, as a view that notes each variable read. A variable the model sets
  // before it reads it is its own doing, not an input.
  const written = new Set<string>()
  const view: NodeJS.ProcessEnv = { ...env }
  const noteEnv = (name: string) => {
    if (!active || written.has(name) || reads.has(`env:${name}`) || askedByLoader()) return
    reads.set(`env:${name}`, { kind: 'env', target: name, seen: fingerprint('env', name, view) })
  }
  const envProxy = new Proxy(view, {
    get(target, key) {
      if (typeof key === 'string') noteEnv(key)
      return Reflect.get(target, key)
    },
    has(target, key) {
      if (typeof key === 'string') noteEnv(key)
      return Reflect.has(target, key)
    },
    getOwnPropertyDescriptor(target, key) {
      if (typeof key === 'string') noteEnv(key)
      return Reflect.getOwnPropertyDescriptor(target, key)
    },
    ownKeys(target) {
      // Enumerating the environment makes all of it an input.
      if (active && !reads.has('env-all:') && !askedByLoader()) reads.set('env-all:', { kind: 'env-all', target: '', seen: fingerprint('env-all', '', env) })
      return Reflect.ownKeys(target)
    },
    set(target, key, value) {
      if (typeof key === 'string') written.add(key)
      return Reflect.set(target, key, typeof key === 'string' ? String(value) : value)
    },
    deleteProperty(target, key) {
      if (typeof key === 'string') written.add(key)
      return Reflect.deleteProperty(target, key)
    },
  })
  const originalEnv = process.env
  process.env = envProxy

  // Fingerprinted before and after the call: if the two differ the file changed while the model
  // read it, and the read can never match again (the next run loads afresh).
  // fs calls itself through its exports (readFileSync → fs.openSync): calls made while a
  // fingerprint is taken or a recorded sync call runs are the outer call's own work, not reads.
  let depth = 0
  const quietly = <T>(fn: () => T): T => {
    depth++
    try {
      return fn()
    } finally {
      depth--
    }
  }
  const noteCwd = () => {
    if (active && !reads.has('cwd:') && !askedByLoader()) reads.set('cwd:', { kind: 'cwd', target: '', seen: fingerprint('cwd', '', env) })
  }
  const begin = (kind: ReadKind, raw: unknown): (() => void) | undefined => {
    if (!active || depth > 0) return undefined
    const given = pathOf(raw)
    if (given === undefined) return undefined
    if (!isAbsolute(given)) noteCwd()
    const path = resolvePath(given)
    const id = `${kind}:${path}`
    if (reads.has(id) || ignore(path) || askedByLoader()) return undefined
    const before = quietly(() => fingerprint(kind, path, env))
    return () => {
      if (reads.has(id)) return
      const after = quietly(() => fingerprint(kind, path, env))
      reads.set(id, { kind, target: path, seen: before === after ? before : 'changed-while-loading' })
    }
  }
  const patch = (target: Record<string, unknown>, name: string, replacement: AnyFn, original: AnyFn) => {
    // Keep what callers may look up on the function itself (fs.realpathSync.native, promisify.custom).
    Object.defineProperties(replacement, Object.getOwnPropertyDescriptors(original))
    patches.push({ target, name, original })
    target[name] = replacement
  }

  for (const [target, name, kind, style] of FILE_FUNCTIONS) {
    const original = target[name] as AnyFn | undefined
    if (typeof original !== 'function') continue
    const opens = name === 'open' || name === 'openSync'
    patch(target, name, function (this: unknown, ...args: unknown[]) {
      // Opening to write (a log the model appends to) reads nothing.
      const end = opens && !opensToRead(args[1]) ? undefined : begin(kind, args[0])
      if (!end) return original.apply(this, args)
      if (style === 'sync') {
        try {
          return quietly(() => original.apply(this, args))
        } finally {
          end()
        }
      }
      if (style === 'promise') return (original.apply(this, args) as Promise<unknown>).finally(end)
      const last = args.length - 1
      const callback = args[last]
      if (typeof callback === 'function') {
        args[last] = function (this: unknown, ...results: unknown[]) {
          end()
          return (callback as AnyFn).apply(this, results)
        }
      }
      return original.apply(this, args)
    }, original)
  }
  for (const [target, name, what] of UNTRACKED) {
    const original = target[name] as AnyFn | undefined
    if (typeof original !== 'function') continue
    const blocking = target === (childProcess as never) && name.endsWith('Sync')
    patch(target, name, function (this: unknown, ...args: unknown[]) {
      if (active) untracked ??= what
      // A synchronous child process blocks this thread in native code, where terminating the
      // thread cannot reach it (and a process cannot exit while one of its threads is stuck): it
      // gets the time left to the load as its own timeout.
      if (active && blocking && deadline !== undefined) args = withTimeout(args, deadline)
      return original.apply(this, args)
    }, original)
  }
  // The clock and randomness: a schema made from them differs from load to load, and nothing can
  // be re-checked, so such models are loaded every time (as asked by model code, not the loader).
  const clock = (what: string) => {
    if (active && !untracked && !askedByLoader()) untracked = what
  }
  const OriginalDate = Date
  const RecordingDate: DateConstructor = new Proxy(OriginalDate, {
    construct(target, args, newTarget): object {
      if (args.length === 0) clock('read the clock (new Date())')
      return Reflect.construct(target, args, newTarget === RecordingDate ? target : newTarget) as object
    },
    apply(target, thisArg, args) {
      clock('read the clock (Date())')
      return Reflect.apply(target, thisArg, args) as unknown
    },
  })
  patches.push({ target: globalThis as never, name: 'Date', original: OriginalDate })
  globalThis.Date = RecordingDate
  for (const [target, name, what] of [
    [OriginalDate, 'now', 'read the clock (Date.now)'],
    [Math, 'random', 'used randomness (Math.random)'],
    [crypto, 'randomUUID', 'used randomness (crypto.randomUUID)'],
    [crypto, 'getRandomValues', 'used randomness (crypto.getRandomValues)'],
    [nodeCrypto, 'randomUUID', 'used randomness (randomUUID)'],
    [nodeCrypto, 'randomBytes', 'used randomness (randomBytes)'],
    [nodeCrypto, 'randomInt', 'used randomness (randomInt)'],
  ] as [Record<string, unknown>, string, string][]) {
    const original = target[name] as AnyFn | undefined
    if (typeof original !== 'function') continue
    patch(target, name, function (this: unknown, ...args: unknown[]) {
      clock(what)
      return original.apply(this, args)
    }, original)
  }

  const cwd = process.cwd
  patches.push({ target: process as never, name: 'cwd', original: cwd })
  process.cwd = function () {
    noteCwd()
    return cwd.call(process)
  }
  syncBuiltinESMExports()

  return {
    stop() {
      active = false
      process.env = originalEnv
      for (const { target, name, original } of patches.reverse()) target[name] = original
      syncBuiltinESMExports()
      return { reads: [...reads.values()], ...(untracked ? { untracked } : {}) }
    },
  }
}
