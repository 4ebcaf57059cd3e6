import { unplugin } from './unplugin.ts'

/** `import migrate from 'migrate-plugin/vite'`, then `plugins: [migrate()]`. */
export default unplugin.vite
export type { PluginOptions } from './core/runner.ts'
