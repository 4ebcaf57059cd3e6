import { unplugin } from './unplugin.ts'

/** `import migrate from 'migrate-plugin/rolldown'`, then `plugins: [migrate()]`. */
export default unplugin.rolldown
export type { PluginOptions } from './core/runner.ts'
