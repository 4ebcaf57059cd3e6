import { spawnSync } from 'node:child_process'
import { BIN, cleanEnv, type Project } from './helpers.ts'

/** `sh` quoting for one argument. */
const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`

/**
 * Run the CLI in a pseudo-terminal (util-linux `script`): stdin, stdout and stderr are a TTY, all
 * three merged into `output`. `input` is typed into the terminal. CI is removed from the
 * environment unless given, since the runner's own CI would switch terminal behaviour off.
 */
export function cliOnTerminal(p: Project, args: string[], env: NodeJS.ProcessEnv = {}, input = ''): { code: number, output: string } {
  const base = cleanEnv()
  delete base.CI
  const command = [process.execPath, BIN, ...args].map(quote).join(' ')
  const result = spawnSync('script', ['-qfec', command, '/dev/null'], {
    cwd: p.root,
    input,
    encoding: 'utf8',
    env: { ...base, ...env },
    timeout: 60_000,
  })
  return { code: result.status ?? -1, output: result.stdout }
}
