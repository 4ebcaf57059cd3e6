/**
 * The module bin/migrate-plugin.mjs loads (dist/cli.js once built). The CLI itself is in cli/:
 * main.ts parses and dispatches, cli/commands/ holds one module per command.
 */
export { main } from './cli/main.ts'
