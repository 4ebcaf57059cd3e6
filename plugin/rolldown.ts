import { forRequire } from './require.ts'
import type { RollupLikePlugin, PluginFactory } from './types.ts'
import { unplugin } from './unplugin.ts'

/** `import migrate from 'migrate-plugin/rolldown'`, then `plugins: [migrate()]`. */
const rolldown: PluginFactory<RollupLikePlugin> = unplugin.rolldown
export default rolldown

/** `const migrate = require('migrate-plugin/rolldown')` in CommonJS (see require.ts). */
const required = forRequire(rolldown)
export { required as 'module.exports' }
export type { PluginOptions } from './types.ts'
