import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Project, REPO, USERS_MODEL } from './helpers.ts'

const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version

const COMMON = ['--config <path>', '--json', '--yes']
const APPLY = [...COMMON, '--no-backup', '--force', '--no-verify', '--accept-data-loss']

/** Every way to name a command, the usage line its help must show, and the options it must list. */
const COMMANDS: { args: string[], usage: string, options: string[] }[] = [
  { args: [], usage: 'migrate-plugin [command] [options]', options: APPLY },
  { args: ['apply'], usage: 'migrate-plugin apply', options: APPLY },
  { args: ['preview'], usage: 'migrate-plugin preview', options: COMMON },
  { args: ['dry-run'], usage: 'migrate-plugin preview', options: COMMON },
  { args: ['--preview'], usage: 'migrate-plugin preview', options: COMMON },
  { args: ['--dry-run'], usage: 'migrate-plugin preview', options: COMMON },
  { args: ['check'], usage: 'migrate-plugin check', options: COMMON },
  { args: ['status'], usage: 'migrate-plugin status', options: COMMON },
  { args: ['--status'], usage: 'migrate-plugin status', options: COMMON },
  { args: ['history'], usage: 'migrate-plugin history', options: [...COMMON, '--limit <n>'] },
  { args: ['--history'], usage: 'migrate-plugin history', options: [...COMMON, '--limit <n>'] },
  { args: ['backups'], usage: 'migrate-plugin backups', options: COMMON },
  { args: ['restore'], usage: 'migrate-plugin restore [backup]', options: COMMON },
  { args: ['generate'], usage: 'migrate-plugin generate', options: COMMON },
  { args: ['init'], usage: 'migrate-plugin init', options: ['--database <path>', '--json', '--yes'] },
]

describe('CLI usage', () => {
  it('every command\'s --help (and -h) names the program, lists the command\'s options, and never prints a default for a --no- option', () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL })
    for (const { args, usage, options } of COMMANDS) {
      for (const flag of ['--help', '-h']) {
        const r = p.cli([...args, flag])
        const name = [...args, flag].join(' ')
        expect(r.code, name).toBe(0)
        expect(r.stderr, name).toBe('')
        expect(r.stdout, name).toContain(`$ ${usage}\n`)
        expect(r.stdout, name).not.toMatch(/cli\.ts|\$0|bin\/migrate-plugin|\.mjs/)
        expect(r.stdout, name).not.toMatch(/\(default: true\)/)
        expect(r.stdout, name).not.toMatch(/ +$/m)
        const listed = r.stdout.slice(r.stdout.indexOf('Options:'))
        for (const option of options) expect(listed, `${name}: ${option}`).toMatch(new RegExp(`^ {2}${option.replace(/[<>]/g, '\\$&')} `, 'm'))
      }
    }
    // Asking for help runs nothing.
    expect(existsSync(p.dbPath)).toBe(false)
    expect(existsSync(join(p.root, 'migration.conf'))).toBe(false)
  })

  it('the top-level help lists every command, init included, and names the no-command form', () => {
    const r = new Project().cli(['--help'])
    for (const command of ['apply', 'preview', 'check', 'status', 'history', 'backups', 'restore', 'generate', 'init']) {
      expect(r.stdout).toMatch(new RegExp(`^ {2}${command}\\b.* {2}\\S`, 'm'))
    }
    expect(r.stdout).toMatch(/^ {2}\(none\) +Same as apply$/m)
    expect(r.stdout).toContain('-v, --version')
  })

  it('an unknown command is refused with a suggestion and exit 1, and runs nothing', () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL })
    const cases: [string, string | undefined][] = [['aply', 'apply'], ['histroy', 'history'], ['stauts', 'status'], ['restor', 'restore'], ['int', 'init'], ['xyzzy', undefined]]
    for (const [word, suggestion] of cases) {
      const r = p.cli([word])
      expect(r.code, word).toBe(1)
      expect(r.stdout, word).toBe('')
      expect(r.stderr, word).toContain(`Unknown command "${word}".${suggestion ? ` Did you mean ${suggestion}?` : '\n'}`)
      expect(r.stderr, word).toContain('npx migrate-plugin --help')
    }
    const json = p.cli(['aply', '--json'])
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toEqual({
      version: 1, ok: false,
      error: { code: 'USAGE', message: 'Unknown command "aply". Did you mean apply?', hint: expect.stringContaining('apply, preview, check') },
    })
    // Nothing ran: `aply` must not be taken for the default command.
    expect(existsSync(p.dbPath)).toBe(false)
  })

  it('--version and -v print the version, anywhere on the line, and run nothing; with --json it is a JSON document', () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL })
    for (const args of [['--version'], ['-v'], ['apply', '-v'], ['check', '--version'], ['init', '-v']]) {
      const r = p.cli(args)
      expect(r.code, args.join(' ')).toBe(0)
      expect(r.stdout, args.join(' ')).toMatch(new RegExp(`^migrate-plugin/${VERSION.replace(/\./g, '\\.')}\\b`))
      expect(r.stderr).toBe('')
    }
    expect(existsSync(p.dbPath)).toBe(false)
    expect(existsSync(join(p.root, 'migration.conf'))).toBe(false)
    expect(JSON.parse(p.cli(['--version', '--json']).stdout)).toEqual({ version: 1, ok: true, command: 'version', toolVersion: VERSION })
  })

  it('a bad option is a usage error that names it as typed and suggests the nearest, in words and in JSON', () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL })
    const r = p.cli(['apply', '--no-bakup'])
    expect(r.code).toBe(1)
    // As typed (cac alone would say `--bakup`), with the nearest real option.
    expect(r.stderr).toContain('Unknown option "--no-bakup" for apply. Did you mean --no-backup?')
    expect(p.cli(['--dry_run']).stderr).toContain('Unknown option "--dry_run". Did you mean --dry-run?')
    expect(p.cli(['status', '--jsn']).stderr).toContain('Unknown option "--jsn" for status. Did you mean --json?')
    // Values and what follows `--` are not options.
    expect(p.cli(['history', '--limit=5', '--', '--whatever']).stderr).not.toContain('Unknown option')
    const json = p.cli(['history', '--limit', 'x', '--json'])
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({ version: 1, ok: false, command: 'history', error: { code: 'USAGE', message: expect.stringContaining('--limit x') } })
    const option = p.cli(['check', '--bogus', '--json'])
    expect(option.code).toBe(1)
    expect(JSON.parse(option.stdout)).toMatchObject({ version: 1, ok: false, error: { code: 'USAGE', message: expect.stringContaining('--bogus') } })
    expect(existsSync(p.dbPath)).toBe(false)
  })

  it('--config takes its value as typed: a file named 007 is that file, an empty value is refused', () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL, '007': '[database]\nurl = ./seven.db\n' })
    const r = p.cli(['apply', '--config', '007'])
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(join(p.root, 'seven.db'))).toBe(true)
    expect(p.cli(['check', '--config=007']).code).toBe(0)
    const empty = p.cli(['check', '--config', '', '--json'])
    expect(empty.code).toBe(1)
    expect(JSON.parse(empty.stdout)).toMatchObject({ version: 1, ok: false, command: 'check', error: { code: 'USAGE', message: '--config is given an empty value' } })
    expect(existsSync(p.dbPath)).toBe(false)
  })
})
