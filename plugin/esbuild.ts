import { unplugin } from './unplugin.ts'

/** `import migrate from 'migrate-plugin/esbuild'`, then `plugins: [migrate()]`. */
export default unplugin.esbuild
export type { PluginOptions } from './core/runner.ts'
