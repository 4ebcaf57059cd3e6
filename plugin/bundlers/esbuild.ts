import { readFileSync } from 'node:fs'
import type { UnpluginOptions } from 'unplugin'
import type { ErrorPlace } from './bundler-error.ts'
import type { MigrateContext } from './context.ts'

type EsbuildHooks = NonNullable<UnpluginOptions['esbuild']>

/**
 * esbuild: the first run is awaited inside `setup`, because `onStart` runs beside `onLoad` and a
 * module could load before the database is migrated; `onStart` runs it again for each rebuild.
 * esbuild has no watch signal of its own: the `watch` option says whether this is a watch context.
 */
export function esbuildHooks(ctx: MigrateContext): EsbuildHooks {
  return {
    async setup(build) {
      const root = ctx.options.root ?? build.initialOptions.absWorkingDir ?? process.cwd()
      const watch = ctx.options.watch ?? false
      const run = { root, watch, trigger: `esbuild-${watch ? 'watch' : 'build'}` }
      let first = true
      let firstError: unknown
      // Awaited here so the first build cannot load a module before the database is migrated.
      try {
        await ctx.run(run)
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
          const { files, dirs } = ctx.watchPaths(root)
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
          await ctx.run(run)
          return undefined
        } catch (error) {
          return { errors: [esbuildMessage(error)] }
        }
      })
    },
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
