import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { createUnplugin, type UnpluginFactory } from 'unplugin'
import { describeError, Runner, type PluginOptions, type RunContext, type RunReport } from './bundlers/runner.ts'
import { placeOf, type ErrorPlace } from './bundlers/bundler-error.ts'
import type { MigrateUnplugin } from './types.ts'

/**
 * One plugin for every bundler. Each hook only finds out where the project is and whether this is
 * a dev/watch run, then awaits the shared Runner before any module is transformed:
 * - Vite: `configResolved` (command, build.watch), `buildStart`, and the dev server's watcher.
 * - Rollup / Rolldown: `buildStart`, `this.meta.watchMode`, `addWatchFile`.
 * - webpack / Rspack: `beforeCompile` (its `make` runs entries in parallel), `watchRun` marks watch.
 * - esbuild: awaited inside `setup` (onStart runs beside onLoad), `onStart` for rebuilds; the
 *   `watch` option says whether it is a watch context.
 */

const NAME = 'migrate-plugin'

/**
 * Every file and folder under the model folders, plus migration.conf and the files the models
 * import from elsewhere: what bundlers that watch only named paths (Rollup, Rolldown, esbuild) are
 * given. Folders are included so that a new model file triggers a rebuild too.
 */
function expandWatchTargets(targets: { directories: string[], files: string[] }): { files: string[], dirs: string[] } {
  const files = [...targets.files]
  const dirs: string[] = []
  for (const dir of targets.directories) {
    let entries
    try {
      entries = readdirSync(dir, { recursive: true, withFileTypes: true })
    } catch {
      continue
    }
    dirs.push(dir)
    for (const e of entries) (e.isDirectory() ? dirs : files).push(join(e.parentPath, e.name))
  }
  return { files, dirs }
}

function report(outcome: RunReport, log: (line: string) => void, warn: (line: string) => void): void {
  if (outcome.line) log(outcome.line)
  if (outcome.warning) warn(outcome.warning)
}

const factory: UnpluginFactory<PluginOptions | undefined, false> = (rawOptions = {}) => {
  const options = { ...rawOptions }
  const runner = new Runner(options)
  const log = (line: string) => console.log(line)
  const warn = (line: string) => console.warn(line)

  // Vite state.
  let viteRoot = process.cwd()
  let viteWatch = false
  let viteServe = false
  let lastError: { message: string, stack: string, id?: string, loc?: { file: string, line: number, column: number }, frame?: string } | undefined
  let sendToBrowser: ((payload: unknown) => void) | undefined
  let watchNewDevTargets: (() => void) | undefined

  const runGuarded = async (context: RunContext, keepServing: boolean): Promise<void> => {
    try {
      report(await runner.run(context), log, warn)
      if (lastError) {
        lastError = undefined
        sendToBrowser?.({ type: 'full-reload', path: '*' })
      }
    } catch (error) {
      // Where it went wrong (a broken model file): Rollup, Rolldown and Vite print it with a code
      // frame, and Vite's overlay links it to the editor.
      const place = placeOf(error, projectRootOf(context.root))
      if (!keepServing) {
        // The message is the whole story (what is pending, where, the fix): no stack trace under it.
        const failure = Object.assign(new Error(describeError(error)), place ?? {})
        failure.stack = ''
        throw failure
      }
      const message = describeError(error)
      console.error(message)
      lastError = { message, stack: '', ...place }
      sendToBrowser?.({ type: 'error', err: { ...lastError, plugin: NAME } })
    }
  }

  // The folder messages are relative to; a config that cannot be read (itself the error) has no place to add.
  const projectRootOf = (root: string): string => {
    try {
      return runner.config(root).root
    } catch {
      return options.root ?? root
    }
  }

  const rollupLike = (framework: 'rollup' | 'rolldown') => ({
    async buildStart(this: { meta?: { watchMode?: boolean }, addWatchFile?: (id: string) => void }) {
      const root = options.root ?? process.cwd()
      const watch = options.watch ?? this.meta?.watchMode ?? false
      try {
        await runGuarded({ root, watch, trigger: `${framework}-${watch ? 'watch' : 'build'}` }, false)
      } finally {
        // After the run, which finds the files the models import from elsewhere; a failed run still watches.
        if (watch && this.addWatchFile) {
          const { files, dirs } = expandWatchTargets(runner.watchTargets(root))
          for (const path of [...files, ...dirs]) this.addWatchFile(path)
        }
      }
    },
  })

  return {
    name: NAME,
    enforce: 'pre',
    rollup: rollupLike('rollup'),
    rolldown: rollupLike('rolldown'),
    vite: {
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
            const { files, dirs } = expandWatchTargets(runner.watchTargets(options.root ?? viteRoot))
            for (const path of [...files, ...dirs]) this.addWatchFile(path)
          }
          watchNewDevTargets?.()
        }
      },
      configureServer(server) {
        sendToBrowser = (payload) => server.ws.send(payload as Parameters<typeof server.ws.send>[0])
        // A browser that connects after the error still needs to see it.
        server.ws.on('connection', () => {
          if (lastError) server.ws.send({ type: 'error', err: { ...lastError, plugin: NAME } })
        })
        const watched: string[] = []
        // Called after every run: the models may have started importing a file from elsewhere.
        watchNewDevTargets = () => {
          const targets = runner.watchTargets(options.root ?? viteRoot)
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
      },
    },
    webpack(compiler) {
      webpackLike(compiler, 'webpack')
    },
    rspack(compiler) {
      webpackLike(compiler as unknown as WebpackLikeCompiler, 'rspack')
    },
    esbuild: {
      async setup(build) {
        const root = options.root ?? build.initialOptions.absWorkingDir ?? process.cwd()
        const watch = options.watch ?? false
        const context = { root, watch, trigger: `esbuild-${watch ? 'watch' : 'build'}` }
        let first = true
        let firstError: unknown
        // Awaited here so the first build cannot load a module before the database is migrated.
        try {
          await runGuarded(context, false)
        } catch (error) {
          firstError = error
        }
        // esbuild watches only what the build read. The models are not imported by the app, so the
        // first resolve of each build carries them as watch files (a result without a path passes
        // the resolve on to esbuild and the other plugins).
        let toWatch = watch
        if (watch) {
          build.onResolve({ filter: /.*/ }, () => {
            if (!toWatch) return undefined
            toWatch = false
            const { files, dirs } = expandWatchTargets(runner.watchTargets(root))
            return { watchFiles: files, watchDirs: dirs }
          })
        }
        build.onStart(async () => {
          toWatch = watch
          if (first) {
            first = false
            if (firstError) return { errors: [esbuildMessage(firstError)] }
            return undefined
          }
          try {
            await runGuarded(context, false)
            return undefined
          } catch (error) {
            return { errors: [esbuildMessage(error)] }
          }
        })
      },
    },
  }

  function webpackLike(compiler: WebpackLikeCompiler, framework: 'webpack' | 'rspack'): void {
    let watch = options.watch ?? false
    let failure: Error | undefined
    const root = () => options.root ?? compiler.context ?? process.cwd()
    compiler.hooks.watchRun.tap(NAME, () => { watch = true })
    compiler.hooks.beforeCompile.tapPromise(NAME, async () => {
      failure = undefined
      try {
        await runGuarded({ root: root(), watch, trigger: `${framework}-${watch ? 'watch' : 'build'}` }, false)
      } catch (error) {
        // A hook error ends a webpack/Rspack watch for good (it never re-watches after one), so in
        // watch mode the failure becomes a compilation error instead: shown, and fixed by a save.
        if (!watch) throw error
        failure = error as Error
      }
    })
    // thisCompilation runs even when the build has errors, so the model files stay watched.
    compiler.hooks.thisCompilation.tap(NAME, (compilation) => {
      if (failure) compilation.errors.push(new compiler.webpack.WebpackError(failure.message))
      const targets = runner.watchTargets(root())
      for (const dir of targets.directories) compilation.contextDependencies.add(dir)
      for (const file of targets.files) compilation.fileDependencies.add(file)
    })
  }
}

/** esbuild prints a message's location as file:line:column with the line under it (its column is 0-based). */
function esbuildMessage(error: unknown): { text: string, location?: { file: string, line: number, column: number, lineText: string } } {
  const { message, loc } = error as Error & Partial<ErrorPlace>
  if (!loc) return { text: message }
  return { text: message, location: { file: loc.file, line: loc.line, column: Math.max(0, loc.column - 1), lineText: lineAt(loc.file, loc.line) } }
}

function lineAt(path: string, line: number): string {
  try {
    return readFileSync(path, 'utf8').split(/\r?\n/)[line - 1] ?? ''
  } catch {
    return ''
  }
}

interface WebpackLikeCompiler {
  context: string
  webpack: { WebpackError: new (message: string) => Error }
  hooks: {
    watchRun: { tap(name: string, fn: () => void): void }
    beforeCompile: { tapPromise(name: string, fn: () => Promise<void>): void }
    thisCompilation: { tap(name: string, fn: (compilation: { errors: Error[], contextDependencies: { add(p: string): void }, fileDependencies: { add(p: string): void } }) => void): void }
  }
}

// Exported under this package's own plugin types (types.ts): unplugin's types name every bundler's,
// which a user's type check would then need installed. The assignments check that they fit.
export const unplugin: MigrateUnplugin = /* #__PURE__ */ createUnplugin(factory)
export const unpluginFactory: MigrateUnplugin['raw'] = factory
export default unplugin
export type { PluginOptions } from './types.ts'
