import { createUnplugin, type UnpluginFactory } from 'unplugin'
import { createContext, NAME } from './context.ts'
import { esbuildHooks } from './esbuild.ts'
import { rollupHooks } from './rollup.ts'
import type { PluginOptions } from './runner.ts'
import { viteHooks } from './vite.ts'
import { webpackHooks, type WebpackLikeCompiler } from './webpack.ts'
import type { MigrateUnplugin } from '../types.ts'

/**
 * One plugin for every bundler: one context per plugin instance, and each bundler's hooks
 * (vite.ts, rollup.ts, webpack.ts, esbuild.ts) delegating to it. Each adapter only finds out where
 * the project is and whether this is a dev/watch run, then awaits the run before any module is
 * transformed.
 */
const factory: UnpluginFactory<PluginOptions | undefined, false> = (options = {}) => {
  const ctx = createContext(options)
  return {
    name: NAME,
    enforce: 'pre',
    rollup: rollupHooks(ctx, 'rollup'),
    rolldown: rollupHooks(ctx, 'rolldown'),
    vite: viteHooks(ctx),
    webpack(compiler) {
      webpackHooks(ctx, compiler, 'webpack')
    },
    rspack(compiler) {
      webpackHooks(ctx, compiler as unknown as WebpackLikeCompiler, 'rspack')
    },
    esbuild: esbuildHooks(ctx),
  }
}

// Exported under this package's own plugin types (types.ts): unplugin's types name every bundler's,
// which a user's type check would then need installed. The assignments check that they fit.
export const unplugin: MigrateUnplugin = /* #__PURE__ */ createUnplugin(factory)
export const unpluginFactory: MigrateUnplugin['raw'] = factory
