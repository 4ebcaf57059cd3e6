import { unplugin } from './unplugin.ts'

/** `import migrate from 'migrate-plugin/rollup'`, then `plugins: [migrate()]`. */
export default unplugin.rollup
export type { PluginOptions } from './core/runner.ts'
