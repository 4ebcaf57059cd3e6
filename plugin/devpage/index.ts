import type { IncomingMessage, ServerResponse } from 'node:http'
import { posix } from 'node:path'
import type { MigrateContext } from '../bundlers/context.ts'
import type { PluginOptions } from '../bundlers/runner.ts'
import type { CommonOptions } from '../types.ts'
import type { PageSettings } from './assets.ts'
import { devPagePath } from './options.ts'
import { devPageMiddleware } from './routes.ts'
import { PageState, dataLossOf } from './state.ts'

export { devPagePath, type DevPageOption } from './options.ts'

/** What a dev server gives the page: where the project is, how to start a run, how to talk to browsers. */
export interface DevServerHooks {
  /** The project root the runs use. */
  root(): string
  /** A dev run, as a saved model starts one. */
  rerun(): Promise<void>
  /** Sends a custom HMR event to every connected browser. */
  send(event: string, data: unknown): void
  /** How a browser reaches the HMR socket, or null when HMR is off. */
  hmr(): PageSettings['hmr']
}

export interface DevPage {
  path: string
  middleware: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void
  /** Stops listening to the runner, and waits for the page's own run under way. */
  close(): Promise<void>
}

/** The page for one plugin instance's dev server, or undefined when `devPage: false`. */
export function createDevPage(ctx: MigrateContext, server: DevServerHooks): DevPage | undefined {
  const path = devPagePath(ctx.devPage)
  if (!path) return undefined
  const config = () => ctx.runner.config(server.root())
  const state = new PageState(config)
  const stop = ctx.runner.onFinished((finished) => {
    const run = state.update(finished)
    // The refusal printed above names the terminal and the plugin option; the page is the third way.
    if (finished.error !== undefined && dataLossOf(finished.error)) console.error(`migrate-plugin: or review what it loses and confirm it on the dev server's page: ${path}`)
    // Only that a run finished: every browser on the HMR socket gets this, including ones on the
    // network when the server is exposed (--host); the details are for the loopback-only API.
    server.send('migrate:run', { ok: run.ok, at: run.at })
  })
  const middleware = devPageMiddleware({
    path, state, config, common: () => commonOptions(ctx.options, server.root()), rerun: server.rerun, hmr: server.hmr,
  })
  return {
    path, middleware,
    close: async () => {
      stop()
      await state.close()
    },
  }
}

/** The same settings the runner uses (its root, its config file, the options that override migration.conf), for index.ts's API. */
function commonOptions(options: PluginOptions, root: string): CommonOptions {
  const { config, root: ownRoot, watch: _w, quiet: _q, dev: _d, build: _b, devPage: _p, ...overrides } = options
  return { root: ownRoot ?? root, ...(config ? { config } : {}), overrides }
}

/** Vite's HMR socket as its own client finds it: the server's port and base, or what `server.hmr` says. */
export function viteHmr(config: { base: string, webSocketToken: string, server: { hmr?: boolean | { protocol?: string, host?: string, port?: number, clientPort?: number, path?: string } } }): PageSettings['hmr'] {
  const hmr = config.server.hmr
  if (hmr === false) return null
  const options = typeof hmr === 'object' ? hmr : {}
  const port = options.clientPort ?? options.port
  return {
    ...(options.protocol ? { protocol: options.protocol } : {}),
    ...(options.host ? { host: options.host } : {}),
    ...(port ? { port } : {}),
    path: posix.join(config.base || '/', options.path ?? '/'),
    token: config.webSocketToken,
  }
}
