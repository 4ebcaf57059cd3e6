import { NAME, type MigrateContext } from './context.ts'

/** The part of webpack's compiler this adapter uses; Rspack's has the same shape. */
export interface WebpackLikeCompiler {
  context: string
  webpack: { WebpackError: new (message: string) => Error }
  hooks: {
    watchRun: { tap(name: string, fn: () => void): void }
    beforeCompile: { tapPromise(name: string, fn: () => Promise<void>): void }
    thisCompilation: { tap(name: string, fn: (compilation: { errors: Error[], contextDependencies: { add(p: string): void }, fileDependencies: { add(p: string): void } }) => void): void }
  }
}

/**
 * webpack and Rspack: the run is awaited in `beforeCompile`, since `make` runs the entries in
 * parallel and would be too late; `watchRun` fires only in watch mode, which is how watching is known.
 */
export function webpackHooks(ctx: MigrateContext, compiler: WebpackLikeCompiler, framework: 'webpack' | 'rspack'): void {
  let watch = ctx.options.watch ?? false
  let failure: Error | undefined
  const root = () => ctx.options.root ?? compiler.context ?? process.cwd()
  compiler.hooks.watchRun.tap(NAME, () => { watch = true })
  compiler.hooks.beforeCompile.tapPromise(NAME, async () => {
    failure = undefined
    try {
      await ctx.run({ root: root(), watch, trigger: `${framework}-${watch ? 'watch' : 'build'}` })
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
    const targets = ctx.runner.watchTargets(root())
    for (const dir of targets.directories) compilation.contextDependencies.add(dir)
    for (const file of targets.files) compilation.fileDependencies.add(file)
  })
}
