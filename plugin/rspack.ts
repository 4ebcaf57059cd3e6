import { unplugin } from './unplugin.ts'

/** `import migrate from 'migrate-plugin/rspack'`, then `plugins: [migrate()]`. */
export default unplugin.rspack
export type { PluginOptions } from './core/runner.ts'
