import { unplugin } from './unplugin.ts'

/** `import migrate from 'migrate-plugin/webpack'`, then `plugins: [migrate()]`. */
export default unplugin.webpack
export type { PluginOptions } from './core/runner.ts'
