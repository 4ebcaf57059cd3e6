import { forRequire } from './require.ts'
import type { WebpackLikePlugin, PluginFactory } from './types.ts'
import { unplugin } from './unplugin.ts'

/** `import migrate from 'migrate-plugin/rspack'`, then `plugins: [migrate()]`. */
const rspack: PluginFactory<WebpackLikePlugin> = unplugin.rspack
export default rspack

/** `const migrate = require('migrate-plugin/rspack')` in CommonJS (see require.ts). */
const required = forRequire(rspack)
export { required as 'module.exports' }
export type { PluginOptions } from './types.ts'
