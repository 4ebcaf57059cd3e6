import { createInterface } from 'node:readline/promises'
import type pc from 'picocolors'

type Colors = ReturnType<typeof pc.createColors>
import { DEFAULT_DATABASE, checkDatabasePath, init } from './init.ts'
import { printJson } from './json.ts'

export interface InitCommandOptions {
  database: string | undefined
  json: boolean
  yes: boolean
  /** stdin and stdout are a terminal. */
  canAsk: boolean
  out: (line?: string) => void
  c: Colors
  rel: (path: string) => string
}

/**
 * One question, and only on a terminal: where the database goes. --yes, --json, --database or no
 * terminal (CI, a script) ask nothing and take the default, so init never waits on a pipe.
 */
export async function runInit(options: InitCommandOptions): Promise<void> {
  const { out, c, rel } = options
  let database = options.database
  if (database === undefined && options.canAsk && !options.yes && !options.json) database = await askDatabase()
  const result = init({ root: process.cwd(), ...(database !== undefined ? { database } : {}) })
  if (options.json) {
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
}

async function askDatabase(): Promise<string> {
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
