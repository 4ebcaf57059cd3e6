import { forRequire } from './require.ts'
import type { RollupLikePlugin, PluginFactory } from './types.ts'
import { unplugin } from './unplugin.ts'

/** `import migrate from 'migrate-plugin/vite'`, then `plugins: [migrate()]`. */
const vite: PluginFactory<RollupLikePlugin> = unplugin.vite
export default vite

/** `const migrate = require('migrate-plugin/vite')` in CommonJS (see require.ts). */
const required = forRequire(vite)
export { required as 'module.exports' }
export type { PluginOptions } from './types.ts'
