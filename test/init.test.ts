import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CONFIG_KEYS, DEFAULTS, loadConfig } from '../plugin/core/config.ts'
import { Project, USERS_MODEL } from './helpers.ts'
import { cliOnTerminal } from './tty.ts'

const DB_LINES = ['/dev.db', '/dev.db-journal', '/dev.db-wal', '/dev.db-shm', '/dev.db-migrate.lock', '/dev.db-migrate.run', '/dev.db-migrate.id', '/dev.db.backup_*', '/backups/']

/** Every file and folder under the project with its bytes (links as their target): what "wrote nothing" is checked against. */
function snapshot(root: string, dir = ''): Record<string, string> {
  const result: Record<string, string> = {}
  for (const name of readdirSync(join(root, dir)).sort()) {
    const rel = dir ? `${dir}/${name}` : name
    const full = join(root, rel)
    const stat = lstatSync(full)
    if (stat.isSymbolicLink()) result[rel] = `-> ${readlinkSync(full)}`
    else if (stat.isDirectory()) Object.assign(result, { [`${rel}/`]: 'dir' }, snapshot(root, rel))
    else result[rel] = readFileSync(full, 'utf8')
  }
  return result
}

describe('init', () => {
  it('in an empty folder: config, example model and .gitignore; then apply creates the database and check exits 0', () => {
    const p = new Project()
    const init = p.cli(['init'])
    expect(init.code, init.stderr).toBe(0)
    expect(init.stderr).toBe('')
    expect(Object.keys(snapshot(p.root)).sort()).toEqual(['.gitignore', 'migration.conf', 'model/', 'model/users.ts'])
    // Without a terminal nothing is asked.
    expect(init.stdout).not.toContain('Database file')
    expect(init.stdout).toContain("import migrate from 'migrate-plugin/vite'")
    expect(init.stdout).toContain('plugins: [migrate()],')
    expect(init.stdout).toMatch(/webpack.*esbuild/)
    expect(p.read('model/users.ts')).toContain("from 'migrate-plugin/model'")
    expect(p.read('.gitignore').split('\n')).toEqual(expect.arrayContaining([...DB_LINES, '/generated/prisma/']))

    const apply = p.cli(['apply'])
    expect(apply.code, apply.stderr).toBe(0)
    expect(apply.stdout).toContain('+ create table users (model/users.ts)')
    expect(p.tables()).toEqual(['_migration_history', 'users'])
    const check = p.cli(['check'])
    expect(check.code, check.stdout + check.stderr).toBe(0)
    expect(check.stdout).toContain('nothing to do')
  })

  it('migration.conf lists every key the config understands, each under a comment, and reads back as the defaults', () => {
    const p = new Project()
    expect(p.cli(['init', '--yes']).code).toBe(0)
    const lines = p.read('migration.conf').split('\n')
    for (const spec of CONFIG_KEYS) {
      const at = lines.findIndex((l) => new RegExp(`^(# )?${spec.key} = `).test(l))
      expect(at, spec.key).toBeGreaterThan(0)
      expect(lines[at - 1], spec.key).toBe(`# ${spec.doc}`)
      const section = lines.slice(0, at).reverse().find((l) => l.startsWith('['))
      expect(section, spec.key).toBe(`[${spec.section}]`)
    }
    const config = loadConfig({ root: p.root, env: {} })
    expect(config.configFile).toBe(join(p.root, 'migration.conf'))
    expect(config.databasePath).toBe(join(p.root, 'dev.db'))
    expect(config.databaseUrlSource).toBe('config')
    for (const [key, value] of Object.entries(DEFAULTS)) {
      if (['databaseUrl', 'backupDirectory', 'modelDirectory', 'schemaOutput', 'clientOutput', 'plansDirectory'].includes(key)) continue
      expect(config[key as keyof typeof config], key).toEqual(value)
    }
    expect(config.modelDirectory).toBe(join(p.root, 'model'))
    expect(config.backupDirectory).toBe(join(p.root, 'backups'))
    expect(config.plansDirectory).toBe(join(p.root, 'migrations'))
  })

  it('never overwrites: an existing migration.conf (or a link where it would go) is named, exit 1, and nothing at all is written', () => {
    const p = new Project({ 'migration.conf': '[database]\nurl = ./mine.db\n', '.gitignore': 'node_modules/\n' })
    const before = snapshot(p.root)
    const r = p.cli(['init', '--yes'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('migration.conf already exists')
    expect(r.stderr).toContain('wrote nothing')
    expect(snapshot(p.root)).toEqual(before)

    const q = new Project({ '.gitignore': 'node_modules/\n' })
    symlinkSync(join(q.root, 'nowhere.conf'), join(q.root, 'migration.conf'))
    const beforeLink = snapshot(q.root)
    const link = q.cli(['init', '--json'])
    expect(link.code).toBe(1)
    expect(JSON.parse(link.stdout)).toMatchObject({ version: 1, ok: false, command: 'init', error: { code: 'OUTPUT', message: expect.stringContaining('migration.conf already exists') } })
    expect(snapshot(q.root)).toEqual(beforeLink)
    expect(existsSync(join(q.root, 'nowhere.conf'))).toBe(false)
  })

  it('a file named model, or a model/users.ts that is not a file, is refused before anything is written', () => {
    const p = new Project({ model: 'not a folder\n' })
    const before = snapshot(p.root)
    const r = p.cli(['init'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/model already exists \(not a folder/)
    expect(snapshot(p.root)).toEqual(before)

    const q = new Project()
    mkdirSync(join(q.root, 'model', 'users.ts'), { recursive: true })
    const beforeDir = snapshot(q.root)
    const dir = q.cli(['init'])
    expect(dir.code).toBe(1)
    expect(dir.stderr).toContain('model/users.ts already exists')
    expect(snapshot(q.root)).toEqual(beforeDir)
  })

  it('a project that already has models gets the config and .gitignore but no example table in its schema', () => {
    const p = new Project({ 'model/accounts.ts': USERS_MODEL.replace("table('users'", "table('accounts'") })
    const r = p.cli(['init'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('model/ already has 1 model file(s): no example added')
    expect(existsSync(join(p.root, 'model', 'users.ts'))).toBe(false)
    expect(p.cli(['apply']).code).toBe(0)
    expect(p.tables()).toEqual(['_migration_history', 'accounts'])
  })

  it('an existing database: a file that is not SQLite is refused (and never put in .gitignore); one with tables gets no example model', () => {
    const p = new Project({ 'README.md': '# my app\n' })
    const before = snapshot(p.root)
    const r = p.cli(['init', '--database', 'README.md'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('README.md exists and is not a SQLite database')
    expect(snapshot(p.root)).toEqual(before)

    const q = new Project()
    q.sql("CREATE TABLE users (id INTEGER PRIMARY KEY, login TEXT NOT NULL); INSERT INTO users (login) VALUES ('ada');")
    const hash = q.hash()
    const init = q.cli(['init'])
    expect(init.code, init.stderr).toBe(0)
    expect(init.stdout).toContain('dev.db already has tables (users): no example model added')
    expect(existsSync(join(q.root, 'model', 'users.ts'))).toBe(false)
    expect(existsSync(join(q.root, 'model'))).toBe(true)
    expect(q.hash()).toBe(hash)
    // No model yet: apply refuses rather than touching the user's table.
    const apply = q.cli(['apply'])
    expect(apply.code).toBe(1)
    expect(apply.stderr).toContain('no models found in model/')
    expect(q.hash()).toBe(hash)
  })

  it('says so when DATABASE_URL is set, since it wins over the config it writes', () => {
    const p = new Project()
    const r = p.cli(['init'], { DATABASE_URL: 'file:./other.db' })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('DATABASE_URL is set in this shell: it overrides [database] url')
  })

  it('an existing .gitignore keeps its bytes and gets only the lines it lacks, once; a second init adds nothing', () => {
    const original = 'node_modules/\n/dev.db\n  /dev.db-wal  \n*.log' // no final newline
    const p = new Project({ '.gitignore': original })
    const r = p.cli(['init', '--json'])
    expect(r.code, r.stdout).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({ version: 1, ok: true, command: 'init', created: ['migration.conf', 'model/users.ts'], databasePath: join(p.root, 'dev.db') })
    expect(doc.gitignoreAdded).toEqual([...DB_LINES.filter((l) => l !== '/dev.db' && l !== '/dev.db-wal'), '/generated/prisma/'])
    const text = p.read('.gitignore')
    expect(text.startsWith(`${original}\n`)).toBe(true)
    const lines = text.split('\n')
    for (const line of [...DB_LINES, '/generated/prisma/']) expect(lines.filter((l) => l.trim() === line), line).toHaveLength(1)

    // Again, with the config and model moved out of the way: every line is there already.
    const after = text
    rmSync(join(p.root, 'migration.conf'))
    rmSync(join(p.root, 'model'), { recursive: true })
    const again = p.cli(['init'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain('.gitignore already has every line it needs')
    expect(p.read('.gitignore')).toBe(after)
  })

  it('--database puts the database where asked: its folder is made, the config and .gitignore follow, apply creates it there', () => {
    const p = new Project()
    const r = p.cli(['init', '--database', 'data/app.db'])
    expect(r.code, r.stderr).toBe(0)
    expect(p.read('migration.conf')).toMatch(/^url = sqlite:\/\/\/\.\/data\/app\.db$/m)
    expect(p.read('.gitignore').split('\n')).toEqual(expect.arrayContaining(['/data/app.db', '/data/app.db-wal', '/data/app.db-migrate.id', '/data/app.db.backup_*', '/data/backups/']))
    // The commented default names the folder a default run uses, so uncommenting it changes nothing.
    expect(p.read('migration.conf')).toMatch(/^# backup_directory = data\/backups$/m)
    expect(p.cli(['apply']).code).toBe(0)
    expect(existsSync(join(p.root, 'data', 'app.db'))).toBe(true)
    expect(p.cli(['check']).code).toBe(0)
  })

  it('a database path the config or .gitignore would read differently is refused, naming it, and nothing is written', () => {
    const p = new Project()
    for (const bad of ['data #1/app.db', 'app.db?mode=ro', 'a;b.db', '"app.db"', '!app.db', 'data/', '', ' ', 'x\\y.db', 'postgres://h/db', 'a b.db ', ' app.db']) {
      const r = p.cli(['init', '--database', bad, '--json'])
      expect(r.code, bad).toBe(1)
      const doc = JSON.parse(r.stdout)
      const named = bad === '' ? '--database is given an empty value' : `database path ${JSON.stringify(bad)}`
      expect(doc, bad).toMatchObject({ version: 1, ok: false, command: 'init', error: { code: 'USAGE', message: expect.stringContaining(named) } })
      expect(readdirSync(p.root), bad).toEqual([])
    }
    // Digits are a file name, not a number: 007 stays 007.
    expect(p.cli(['init', '--database', '007']).code).toBe(0)
    expect(p.read('migration.conf')).toMatch(/^url = sqlite:\/\/\/\.\/007$/m)
  })

  it('on a terminal it asks for the database file (Enter keeps dev.db); --yes asks nothing', () => {
    const p = new Project()
    const asked = cliOnTerminal(p, ['init'], {}, 'store/shop.db\n')
    expect(asked.code, asked.output).toBe(0)
    expect(asked.output).toContain('Database file (dev.db): ')
    expect(p.read('migration.conf')).toMatch(/^url = sqlite:\/\/\/\.\/store\/shop\.db$/m)

    const q = new Project()
    const quiet = cliOnTerminal(q, ['init', '--yes'])
    expect(quiet.code, quiet.output).toBe(0)
    expect(quiet.output).not.toContain('Database file')
    expect(q.read('migration.conf')).toMatch(/^url = sqlite:\/\/\/\.\/dev\.db$/m)
  })
})
