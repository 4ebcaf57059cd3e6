import { parentPort } from 'node:worker_threads'
import { MigrateError, errorMessage } from '../core/errors.ts'
import { generateSchema } from '../schema/generate.ts'
import type { SchemaProvider } from '../schema/provider.ts'
import { discoverModelsHere } from './discover.ts'
import { toWire, type WireModels } from './transfer.ts'

/**
 * The model loader's worker thread (started by loader.ts). It loads the model files on request and
 * answers with plain data, so that the caller can give up on a load that never ends (terminating
 * a thread stops even an endless loop) and model code runs apart from a dev server's own state.
 */
// What model code prints goes to stderr: stdout belongs to the command's own output, which
// `--json` callers parse (a model's "loading…" line there would make it invalid JSON).
process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write
for (const name of ['log', 'info', 'debug', 'dir', 'table'] as const) console[name] = console.error

export interface LoadRequest {
  id: number
  modelDir: string
  projectRoot: string
  env: Record<string, string | undefined>
  timeoutMs: number
  /** The database the models are for: the check below must refuse what that database refuses, nothing else. */
  provider: SchemaProvider
}

export interface WireError {
  code?: MigrateError['code']
  message: string
  hint?: string
  location?: MigrateError['location']
  stack?: string
}

export type LoadReply =
  | { id: number, type: 'loading', path: string, file: string }
  | { id: number, type: 'done', models: WireModels, reusable: boolean }
  | { id: number, type: 'failed', error: WireError, reusable: boolean }

function toWireError(error: unknown): WireError {
  if (error instanceof MigrateError) {
    return { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}), ...(error.location ? { location: error.location } : {}) }
  }
  return { message: errorMessage(error), ...(error instanceof Error && error.stack ? { stack: error.stack } : {}) }
}

/** Timers, sockets, watchers: not the requests in flight that end by themselves (a file being closed). */
function lasting(): string[] {
  return process.getActiveResourcesInfo().filter((type) => !/Req$|^FSReq/.test(type))
}

const port = parentPort!
port.on('message', (request: LoadRequest | 'warm') => {
  // Started ahead of need (loader.ts prestartLoader): load what the first load will use meanwhile.
  if (request === 'warm') {
    void Promise.all([import('jiti'), import('./transform.ts').then((t) => t.loadTransform())]).catch(() => { /* the load itself reports it */ })
    return
  }
  void (async () => {
    const post = (reply: LoadReply) => port.postMessage(reply)
    // A load that leaves timers, sockets or new globals behind would leave them to the next load
    // too (an interval per save, a registry that keeps growing): such a worker is not reused.
    const globalsBefore = new Set(Object.getOwnPropertyNames(globalThis))
    const resourcesBefore = lasting().length
    const leftNothing = () => lasting().length <= resourcesBefore && Object.getOwnPropertyNames(globalThis).every((name) => globalsBefore.has(name))
    try {
      const models = await discoverModelsHere(request.modelDir, request.projectRoot, {
        env: request.env,
        timeoutMs: request.timeoutMs,
        onFile: (path, file) => post({ id: request.id, type: 'loading', path, file }),
      })
      const { wire, lossy } = toWire(models)
      // A value that could not be copied as it is (a function given as a default): the generator's
      // checks run here, on the objects as the model files made them, so that the error reads as
      // it would without the thread in between. The client output only changes the generator block.
      if (lossy && models.tables.length > 0) generateSchema(models, { clientOutput: '', provider: request.provider })
      post({ id: request.id, type: 'done', models: wire, reusable: leftNothing() })
    } catch (error) {
      post({ id: request.id, type: 'failed', error: toWireError(error), reusable: leftNothing() })
    }
  })()
})
