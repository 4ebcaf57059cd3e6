import { forRequire } from './require.ts'
import type { RollupLikePlugin, PluginFactory } from './types.ts'
import { unplugin } from './unplugin.ts'

/** `import migrate from 'migrate-plugin/rollup'`, then `plugins: [migrate()]`. */
const rollup: PluginFactory<RollupLikePlugin> = unplugin.rollup
export default rollup

/** `const migrate = require('migrate-plugin/rollup')` in CommonJS (see require.ts). */
const required = forRequire(rollup)
export { required as 'module.exports' }
export type { PluginOptions } from './types.ts'
