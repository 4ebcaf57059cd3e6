import { forRequire } from './require.ts'
import type { WebpackLikePlugin, PluginFactory } from './types.ts'
import { unplugin } from './unplugin.ts'

/** `import migrate from 'migrate-plugin/webpack'`, then `plugins: [migrate()]`. */
const webpack: PluginFactory<WebpackLikePlugin> = unplugin.webpack
export default webpack

/** `const migrate = require('migrate-plugin/webpack')` in CommonJS (see require.ts). */
const required = forRequire(webpack)
export { required as 'module.exports' }
export type { PluginOptions } from './types.ts'
