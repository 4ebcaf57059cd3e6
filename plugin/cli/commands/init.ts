import { canAsk } from '../ask.ts'
import { defineCommand } from '../command.ts'
import { printJson } from '../json.ts'
import { c, out, rel } from '../print.ts'

export const init = defineCommand({
  name: 'init',
  description: 'Create migration.conf, an example model and .gitignore entries in this folder',
  common: false,
  options: [
    ['--database <path>', 'The database file (default: dev.db; asked on a terminal)'],
    ['--json', 'Machine-readable output'],
    ['--yes', 'Ask nothing: use the defaults'],
  ],
  examples: ['npx migrate-plugin init', 'npx migrate-plugin init --database data/app.db --yes'],
  async handler(_args, flags) {
    // One question, and only on a terminal: where the database goes. --yes, --json, --database or no
    // terminal (CI, a script) ask nothing and take the default, so init never waits on a pipe.
    let database = flags.database
    if (database === undefined && canAsk() && !flags.yes && !flags.json) database = await askDatabase()
    const { init: initProject } = await import('../init.ts')
    const result = initProject({ root: process.cwd(), ...(database !== undefined ? { database } : {}) })
    if (flags.json) {
      printJson({ ok: true, command: 'init', created: result.created, gitignoreAdded: result.gitignoreAdded, databasePath: result.databasePath, ...(result.skipped ? { skipped: result.skipped } : {}) })
      return
    }
    for (const file of result.created) out(`${c.green('+')} created ${file}`)
    if (result.gitignoreAdded.length > 0 && !result.created.includes('.gitignore')) out(`${c.green('+')} added ${result.gitignoreAdded.length} line(s) to .gitignore`)
    if (result.gitignoreAdded.length === 0) out(c.dim('  .gitignore already has every line it needs'))
    if (result.skipped) out(c.yellow(`  ${result.skipped}`))
    out()
    // DATABASE_URL wins over the config file: saying otherwise would send the user to the wrong file.
    if (process.env.DATABASE_URL) out(c.yellow(`  DATABASE_URL is set in this shell: it overrides [database] url, so the commands below use it, not ${rel(result.databasePath)}`))
    out(`the database will be ${rel(result.databasePath)}. Next:`)
    out(`  ${c.cyan('npx migrate-plugin apply')}      create it from the models`)
    out(`  ${c.cyan('npx migrate-plugin check')}      in CI: exit 2 while a change is pending`)
    out()
    out('With Vite, add two lines to vite.config.ts, and `vite dev` migrates whenever a model is saved:')
    out(c.cyan(`  import migrate from 'migrate-plugin/vite'`))
    out(c.cyan(`  plugins: [migrate()],`))
    out(c.dim('webpack, Rspack, esbuild, Rollup and Rolldown: the same call from migrate-plugin/webpack, /rspack, /esbuild, /rollup, /rolldown.'))
  },
})

async function askDatabase(): Promise<string> {
  const [{ createInterface }, { DEFAULT_DATABASE, checkDatabasePath }] = await Promise.all([import('node:readline/promises'), import('../init.ts')])
  const rl = createInterface({ input: process.stdin, output: process.stdout })
  try {
    for (;;) {
      const answer = (await rl.question(`Database file (${DEFAULT_DATABASE}): `)).trim()
      if (answer === '') return DEFAULT_DATABASE
      try {
        return checkDatabasePath(answer)
      } catch (error) {
        process.stdout.write(`${(error as Error).message}; try again\n`)
      }
    }
  } finally {
    rl.close()
  }
}
