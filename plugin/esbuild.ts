import { forRequire } from './require.ts'
import type { EsbuildPlugin, PluginFactory } from './types.ts'
import { unplugin } from './unplugin.ts'

/** `import migrate from 'migrate-plugin/esbuild'`, then `plugins: [migrate()]`. */
const esbuild: PluginFactory<EsbuildPlugin> = unplugin.esbuild
export default esbuild

/** `const migrate = require('migrate-plugin/esbuild')` in CommonJS (see require.ts). */
const required = forRequire(esbuild)
export { required as 'module.exports' }
export type { PluginOptions } from './types.ts'
