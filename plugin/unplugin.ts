/**
 * `migrate-plugin/unplugin`: the raw unplugin, for bundlers without an entry of their own (Farm,
 * Rsbuild, …). The factory and the per-bundler adapters live in bundlers/.
 */
import { unplugin } from './bundlers/unplugin.ts'

export { unplugin, unpluginFactory } from './bundlers/unplugin.ts'
export default unplugin
export type { PluginOptions } from './types.ts'
