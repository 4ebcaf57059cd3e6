import type { UnpluginOptions } from 'unplugin'
import { bundlerError, NAME, type MigrateContext } from './context.ts'
import type { RunContext } from './runner.ts'

type ViteHooks = NonNullable<UnpluginOptions['vite']>

/** What Vite's overlay shows: the message, and where (file, line, column, code frame) when known. */
interface OverlayError {
  message: string
  stack: string
  id?: string
  loc?: { file: string, line: number, column: number }
  frame?: string
}

/**
 * Vite: `configResolved` says whether this is the dev server (`command`) or a watch build
 * (`build.watch`); the run is awaited in `buildStart`. The dev server's own watcher re-runs it on
 * a model change, and a failure there goes to the browser's overlay instead of stopping the server.
 */
export function viteHooks(ctx: MigrateContext): ViteHooks {
  let viteRoot = process.cwd()
  let viteWatch = false
  let viteServe = false
  let lastError: OverlayError | undefined
  let sendToBrowser: ((payload: unknown) => void) | undefined
  let watchNewDevTargets: (() => void) | undefined
  let closePage: (() => Promise<void>) | undefined

  const runGuarded = async (run: RunContext, keepServing: boolean): Promise<void> => {
    const failure = await ctx.attempt(run)
    if (!failure) {
      if (lastError) {
        lastError = undefined
        sendToBrowser?.({ type: 'full-reload', path: '*' })
      }
      return
    }
    if (!keepServing) throw bundlerError(failure)
    console.error(failure.message)
    lastError = { message: failure.message, stack: '', ...failure.place }
    sendToBrowser?.({ type: 'error', err: { ...lastError, plugin: NAME } })
  }

  return {
    configResolved(config) {
      viteRoot = config.root
      viteServe = config.command === 'serve'
      viteWatch = viteServe || !!config.build.watch
    },
    async buildStart() {
      try {
        // Vite calls buildStart per environment (client, ssr): the runner shares one run.
        // In dev a failure must not stop the server from starting: report it and keep serving.
        await runGuarded({ root: viteRoot, watch: viteWatch, trigger: viteServe ? 'vite-dev' : viteWatch ? 'vite-watch' : 'vite-build' }, viteServe)
      } finally {
        // `vite build --watch` rebuilds through Rollup's watcher: tell it about the model files.
        if (viteWatch && !viteServe) {
          const { files, dirs } = ctx.watchPaths(ctx.options.root ?? viteRoot)
          for (const path of [...files, ...dirs]) this.addWatchFile(path)
        }
        watchNewDevTargets?.()
      }
    },
    async configureServer(server) {
      sendToBrowser = (payload) => server.ws.send(payload as Parameters<typeof server.ws.send>[0])
      // A browser that connects after the error still needs to see it.
      server.ws.on('connection', () => {
        if (lastError) server.ws.send({ type: 'error', err: { ...lastError, plugin: NAME } })
      })
      const watched: string[] = []
      // Called after every run: the models may have started importing a file from elsewhere.
      watchNewDevTargets = () => {
        const targets = ctx.runner.watchTargets(ctx.options.root ?? viteRoot)
        const added = [...targets.directories, ...targets.files].filter((path) => !watched.includes(path))
        watched.push(...added)
        if (added.length > 0) server.watcher.add(added)
      }
      watchNewDevTargets()
      let timer: NodeJS.Timeout | undefined
      const onChange = (file: string) => {
        if (!watched.some((w) => file === w || file.startsWith(`${w}/`))) return
        clearTimeout(timer)
        // Short: editors' write bursts (truncate + write, rename) land within a few ms, every ms
        // here is added to save → column, and a save during a run still gets its own follow-up run.
        timer = setTimeout(() => {
          void (async () => {
            const before = lastError
            await runGuarded({ root: viteRoot, watch: true, trigger: 'vite-dev' }, true)
            watchNewDevTargets?.()
            if (!lastError && !before) server.ws.send({ type: 'full-reload', path: '*' })
          })()
        }, 15)
      }
      server.watcher.on('change', onChange)
      server.watcher.on('add', onChange)
      server.watcher.on('unlink', onChange)
      // The page at /__migrate/ (plugin/devpage/). configureServer runs for the dev server only, never
      // for a build or `vite preview`; the page's code is loaded only here, so builds never load it.
      const { createDevPage, viteHmr } = await import('../devpage/index.ts')
      const page = createDevPage(ctx, {
        root: () => ctx.options.root ?? viteRoot,
        rerun: async () => { await runGuarded({ root: viteRoot, watch: true, trigger: 'vite-dev' }, true) },
        send: (event, data) => server.ws.send({ type: 'custom', event, data }),
        hmr: () => viteHmr(server.config),
      })
      if (page) {
        server.middlewares.use(page.middleware)
        closePage = page.close
      }
    },
    async closeBundle() {
      // Vite awaits this when the dev server closes: the page's own run must not outlive it.
      await closePage?.()
    },
  }
}
