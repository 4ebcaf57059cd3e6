/**
 * The module bin/migrate-plugin.mjs loads (dist/cli.js once built). The CLI itself is in cli/:
 * main.ts parses and dispatches, cli/commands/ holds one module per command.
 */

import { existsSync } from 'node:fs'
import { join } from 'node:path'

/** Commands that may load the model files (the default command is apply). */
const LOADING = new Set(['apply', 'preview', 'dry-run', 'check', 'plan', 'status', 'generate', '--preview', '--dry-run', '--status'])

export async function main(argv: string[]): Promise<number> {
  // A project without the record of a previous load (a fresh clone, a CI job) will load its models:
  // the loader's worker starts first, on another core, while this thread loads the CLI, and the run
  // finds it ready. Not otherwise: a run that ends on the fast path would pay ~30 ms to stop it.
  if (mayLoadModels(argv) && !existsSync(join(process.cwd(), 'node_modules', '.cache', 'migrate-plugin'))) {
    (await import('./model/loader.ts')).prestartLoader()
  }
  return (await import('./cli/main.ts')).main(argv)
}

/** Options followed by a value (so that `--config x check` is still the check command). */
const VALUED = new Set(['--config', '--format', '--limit', '--name', '--plan', '--database'])

function mayLoadModels(argv: string[]): boolean {
  if (argv.some((arg) => ['--help', '-h', '--version', '-v'].includes(arg))) return false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (LOADING.has(arg)) return true
    if (VALUED.has(arg)) i++
    else if (!arg.startsWith('-')) return false
  }
  return true
}
