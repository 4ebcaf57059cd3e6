import { afterAll, describe, expect, it } from 'vitest'
import type { CommandSpec } from '../plugin/cli/command.ts'
import { backups } from '../plugin/cli/commands/backups.ts'
import { generate } from '../plugin/cli/commands/generate.ts'
import { history } from '../plugin/cli/commands/history.ts'
import { init } from '../plugin/cli/commands/init.ts'
import { plan } from '../plugin/cli/commands/plan.ts'
import { apply, applyByDefault, check, preview } from '../plugin/cli/commands/migrate.ts'
import { pull } from '../plugin/cli/commands/pull.ts'
import { restore } from '../plugin/cli/commands/restore.ts'
import { status } from '../plugin/cli/commands/status.ts'
import { Project, removeProjects } from './helpers.ts'

/**
 * Each command is declared once, in its module under plugin/cli/commands/: what the real CLI's
 * help shows must be exactly that declaration (no option registered that is not declared, none
 * dropped, none out of order), and the command list must follow the declared order.
 */

afterAll(removeProjects)

const DECLARED: CommandSpec[] = [apply, preview, check, plan, status, history, backups, restore, generate, init, pull, applyByDefault]
const COMMON = ['--config <path>', '--json', '--yes']

/** The lines of one section of cac's help ("Options:", "Examples:", …), up to the blank line after it. */
function section(help: string, title: string): string[] {
  const lines = help.split('\n')
  const start = lines.indexOf(`${title}:`)
  if (start < 0) return []
  const end = lines.indexOf('', start)
  return lines.slice(start + 1, end < 0 ? undefined : end)
}

describe('the CLI commands as declared', () => {
  const p = new Project()

  it('the top-level help lists every declared command, in the declared order, the default one as (none)', () => {
    const help = p.cli(['--help'])
    expect(help.code).toBe(0)
    const rows = section(help.stdout, 'Commands').map((line) => line.trim())
    expect(rows).toHaveLength(DECLARED.length)
    DECLARED.forEach((spec, i) => expect(rows[i]).toBe(`${(spec.name || '(none)').padEnd(Math.max(...DECLARED.map((s) => (s.name || '(none)').length)))}  ${spec.description}`))
  })

  it.each(DECLARED.map((spec) => [spec.name || '(none)', spec] as const))('%s --help shows exactly its declared options and examples', (_label, spec) => {
    const word = spec.name.split(' ')[0]!
    const help = p.cli(word ? [word, '--help'] : ['--help'])
    expect(help.code).toBe(0)
    const options = section(help.stdout, 'Options').map((line) => line.trim())
    const names = options.map((line) => line.split(/\s{2,}/)[0])
    const expected = [...(spec.common ? COMMON : []), ...(spec.options ?? []).map(([rawName]) => rawName), '-h, --help', ...(word ? [] : ['-v, --version'])]
    expect(names).toEqual(expected)
    for (const [rawName, description, config] of spec.options ?? []) {
      const line = options.find((l) => l.startsWith(`${rawName} `))!
      // A default is shown for value options only: cac's "(default: true)" after --no-x would read as on.
      expect(line).toMatch(new RegExp(`\\s{2,}${description.replace(/[()[\]\\.*+?^$|{}]/g, '\\$&')}${config?.default !== undefined ? ` \\(default: ${String(config.default)}\\)` : ''}$`))
    }
    const examples = section(help.stdout, 'Examples')
    expect(examples).toEqual(spec.examples ?? [])
  })

  it('an alias is a second name for its command: the same help', () => {
    expect(preview.alias).toBe('dry-run')
    const viaAlias = p.cli(['dry-run', '--help'])
    const viaName = p.cli(['preview', '--help'])
    expect(viaAlias.code).toBe(0)
    expect(section(viaAlias.stdout, 'Options')).toEqual(section(viaName.stdout, 'Options'))
  })
})
