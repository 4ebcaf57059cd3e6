import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, extname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { MigrateError } from '../core/errors.ts'
import type { DiscoveredModels } from './discover.ts'
import type { LoadReply, LoadRequest, WireError } from './load-worker.ts'
import { fromWire } from './transfer.ts'
import type { SchemaProvider } from '../schema/provider.ts'

/**
 * Model files run in a worker thread, because code in this thread cannot stop code in this thread:
 * a top-level await that never settles could be raced against a timer, but an endless loop
 * blocks the timer too. A worker can be terminated whatever it is doing, so a load that overruns
 * its timeout fails the run naming the file, and the next run starts a fresh worker.
 *
 * Starting a worker costs ~40 ms (plus the loader's own modules), so one idle worker is kept for
 * the next load (a dev server loads on every save); it is unreferenced while idle and never keeps
 * a process alive. A second load while the first runs gets a worker of its own.
 */

const here = fileURLToPath(import.meta.url)
// The sources run as TypeScript in a checkout and under the tests; the published package runs dist/.
const ENTRY = join(dirname(here), `load-worker${extname(here)}`)

// Worker code given inline: it loads the worker module, through jiti when that is TypeScript (a
// checkout runs its sources without a build step, on Node versions that cannot strip types).
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads')
const { pathToFileURL } = require('node:url')
if (workerData.entry.endsWith('.ts')) {
  const { createJiti } = require(workerData.jiti)
  createJiti(workerData.entry, { fsCache: true, interopDefault: false }).import(workerData.entry)
} else {
  import(pathToFileURL(workerData.entry).href)
}
`

interface Pending {
  onReply(reply: LoadReply): void
  onError(error: Error): void
  onExit(code: number): void
}

/**
 * Loads one worker serves before it is replaced. Every load compiles the model files again in the
 * worker's own heap, and V8 keeps part of that (code, source positions) for the life of the thread:
 * a dev server saving all day would grow by it. Starting a fresh worker costs ~40 ms once per this
 * many saves; measured by the soak benchmark (bench/soak.mjs).
 */
export const LOADS_PER_WORKER = 25

/** Read by tests: how many loader workers this process started. */
export const loaderStats = { started: 0 }

class LoaderWorker {
  readonly worker: Worker
  pending: Pending | undefined
  dead = false
  loads = 0
  constructor() {
    loaderStats.started++
    const options = { eval: true, workerData: { entry: ENTRY, jiti: createRequire(import.meta.url).resolve('jiti') } }
    try {
      this.worker = new Worker(BOOTSTRAP, options)
    } catch (error) {
      // A worker inherits the process's Node options; some (a debugger's) are refused in workers.
      if ((error as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error
      this.worker = new Worker(BOOTSTRAP, { ...options, execArgv: [] })
    }
    this.worker.on('message', (reply: LoadReply) => this.pending?.onReply(reply))
    // Listened to always: an error a model throws later from a timer must not become this
    // process's uncaught 'error' event. The worker is done for, then; the next load starts another.
    this.worker.on('error', (error) => {
      this.dead = true
      this.pending?.onError(error)
    })
    this.worker.on('exit', (code) => {
      this.dead = true
      this.pending?.onExit(code)
    })
  }
}

let idle: LoaderWorker | undefined
let nextId = 1

/**
 * Start the loader's worker now, idle and unreferenced, so that its start (a thread, its modules,
 * the transform) overlaps with whatever the caller loads meanwhile. The CLI calls this before its own
 * modules load: a run that then needs the models finds the worker ready, one that does not (the
 * fast path) leaves it unused, and an unreferenced worker never keeps the process alive.
 */
export function prestartLoader(): void {
  if (idle && !idle.dead) return
  if (!existsSync(ENTRY)) return
  startIdleWorker()
}

/** A worker for the next load, unreferenced, loading jiti and the transform while it waits. */
function startIdleWorker(): void {
  idle = new LoaderWorker()
  idle.worker.unref()
  idle.worker.postMessage('warm')
}

function takeWorker(): LoaderWorker {
  const kept = idle
  idle = undefined
  if (kept && !kept.dead) return kept
  return new LoaderWorker()
}

function giveBack(loader: LoaderWorker): void {
  loader.pending = undefined
  if (loader.dead) return
  const worn = ++loader.loads >= LOADS_PER_WORKER
  if (worn || (idle && !idle.dead)) {
    void loader.worker.terminate()
    // The replacement of a worn-out worker starts now, while nobody is waiting for a load.
    if (worn && !(idle && !idle.dead)) startIdleWorker()
    return
  }
  loader.worker.unref()
  idle = loader
}

export async function loadModels(modelDir: string, projectRoot: string, timeoutMs: number, provider: SchemaProvider = 'sqlite'): Promise<DiscoveredModels> {
  if (!existsSync(ENTRY)) {
    // This package bundled into another file (its modules are not where they were built): load
    // here, as before the thread existed. Nothing guards against a hang then, and no earlier
    // load is trusted, since what the models read cannot be recorded apart from this thread.
    const { discoverModelsHere } = await import('./discover.ts')
    return discoverModelsHere(modelDir, projectRoot, { env: process.env, record: false })
  }
  const loader = takeWorker()
  loader.worker.ref()
  const id = nextId++
  const request: LoadRequest = { id, modelDir, projectRoot, env: { ...process.env }, timeoutMs, provider }
  const folder = relative(projectRoot, modelDir) || '.'
  let current: { path: string, file: string } | undefined
  const culprit = () => current?.file ?? `${folder}/`
  return new Promise<DiscoveredModels>((resolve, reject) => {
    const finish = (outcome: () => void, keep: boolean) => {
      clearTimeout(timer)
      if (keep) giveBack(loader)
      else {
        loader.pending = undefined
        loader.dead = true
        // A thread stuck in a blocking call (execSync('sleep …'), a read from a pipe) cannot stop
        // until that call returns: it must not keep a CLI or a build waiting for it.
        loader.worker.unref()
        void loader.worker.terminate()
      }
      outcome()
    }
    const expire = () => {
      finish(() => reject(new MigrateError('MODEL_LOAD', `${culprit()}: the model file did not finish loading within ${formatSeconds(timeoutMs)}`, {
        location: { file: culprit() },
        hint: 'something it (or a file it imports) runs at import time never ends: a top-level await that never settles, an endless loop, a wait for a server. Fix that; if loading is only slow, raise [migration] load_timeout in migration.conf',
      })), false)
    }
    // The clock starts again when the first model file starts: a worker's own start (slow on a
    // busy machine, or the first time TypeScript is compiled) is not the models' time.
    let timer = setTimeout(expire, timeoutMs)
    loader.pending = {
      onReply(reply) {
        if (reply.id !== id) return
        if (reply.type === 'loading') {
          if (!current) {
            clearTimeout(timer)
            timer = setTimeout(expire, timeoutMs)
          }
          current = { path: reply.path, file: reply.file }
        }
        else if (reply.type === 'done') {
          finish(() => {
            // Inside a message listener: a throw here would be this process's uncaught exception.
            try {
              resolve(fromWire(reply.models))
            } catch (error) {
              reject(error)
            }
          }, reply.reusable)
        } else finish(() => reject(fromWireError(reply.error)), reply.reusable)
      },
      onError(error) {
        const code = (error as NodeJS.ErrnoException).code
        const what = code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'it ran out of memory' : `it threw, outside the module's own code (a timer or callback): ${error.message}`
        finish(() => reject(new MigrateError('MODEL_LOAD', `${culprit()}: the model file failed to load: ${what}`, {
          location: { file: culprit() },
          hint: 'fix that file; model files are loaded like any module, so whatever they run at import time must succeed',
          cause: error,
        })), false)
      },
      onExit(code) {
        finish(() => reject(new MigrateError('MODEL_LOAD', `${culprit()}: the model file ended the loader while loading (process.exit(${code}))`, {
          location: { file: culprit() },
          hint: 'model files must not exit the process; throw an Error instead, and the run reports it',
        })), false)
      },
    }
    loader.worker.postMessage(request)
  })
}

function formatSeconds(ms: number): string {
  const s = ms / 1000
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`
}

function fromWireError(error: WireError): Error {
  if (error.code) {
    return new MigrateError(error.code, error.message, {
      ...(error.hint ? { hint: error.hint } : {}),
      ...(error.location ? { location: error.location } : {}),
    })
  }
  const plain = new Error(error.message)
  if (error.stack) plain.stack = error.stack
  return plain
}
