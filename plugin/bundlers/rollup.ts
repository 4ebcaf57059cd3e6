import type { MigrateContext } from './context.ts'

/** The part of Rollup's and Rolldown's plugin context this adapter uses (the two agree on it). */
interface RollupLikeContext {
  meta?: { watchMode?: boolean }
  addWatchFile?: (id: string) => void
}

/**
 * Rollup and Rolldown: the run is awaited in `buildStart`, before any module is loaded;
 * `this.meta.watchMode` says whether this is `--watch`, and `addWatchFile` hands the watcher the
 * model files, which the app does not import.
 */
export function rollupHooks(ctx: MigrateContext, framework: 'rollup' | 'rolldown') {
  return {
    async buildStart(this: RollupLikeContext) {
      const root = ctx.options.root ?? process.cwd()
      const watch = ctx.options.watch ?? this.meta?.watchMode ?? false
      try {
        await ctx.run({ root, watch, trigger: `${framework}-${watch ? 'watch' : 'build'}` })
      } finally {
        // After the run, which finds the files the models import from elsewhere; a failed run still watches.
        if (watch && this.addWatchFile) {
          const { files, dirs } = ctx.watchPaths(root)
          for (const path of [...files, ...dirs]) this.addWatchFile(path)
        }
      }
    },
  }
}
