import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { loadConfig, sqlitePath, CONFIG_KEYS } from '../plugin/core/config.ts'
import { MigrateError } from '../plugin/core/errors.ts'
import { Project } from './helpers.ts'

function configError(conf: string): MigrateError {
  const p = new Project({ 'migration.conf': conf })
  try {
    loadConfig({ root: p.root, env: {} })
  } catch (error) {
    expect(error).toBeInstanceOf(MigrateError)
    return error as MigrateError
  }
  throw new Error('expected a config error')
}

describe('migration.conf', () => {
  it('has sensible defaults without a config file', () => {
    const p = new Project()
    const c = loadConfig({ root: p.root, env: {} })
    expect(c.configFile).toBeUndefined()
    expect(c.databasePath).toBe(join(p.root, 'dev.db'))
    expect(c.modelDirectory).toBe(join(p.root, 'model'))
    expect(c.schemaOutput).toBe(join(p.root, 'prisma', 'schema.prisma'))
    expect(c).toMatchObject({ backupEnabled: true, backupRetentionDays: 30, autoVerify: true, requireConfirmation: false, maxTablesPerRun: 50, allowDataLoss: false, dev: 'apply', build: 'check', historyTable: '_migration_history', dropUnmodelledTables: false, lockTimeout: 30 })
  })

  it('reads every key, relative to the config file', () => {
    const p = new Project({
      'conf/migration.conf': `[database]
url = sqlite:///./data/app.db
backup_enabled = no
backup_retention_days = 7
backup_directory = bk

[migration]
model_directory = ../models/
auto_verify = false
schema_output = out/schema.prisma
client_output = out/client
history_table = migrations_log
dev = warn
build = apply
drop_unmodelled_tables = yes
generate_client = false
load_timeout = 7

[safety]
require_confirmation = true
max_tables_per_run = 3
allow_data_loss = on
lock_timeout = 5
`,
    })
    const c = loadConfig({ root: p.root, configFile: 'conf/migration.conf', env: {} })
    const conf = join(p.root, 'conf')
    expect(c).toMatchObject({
      configFile: join(conf, 'migration.conf'), databasePath: join(conf, 'data', 'app.db'), databaseUrlSource: 'config',
      backupEnabled: false, backupRetentionDays: 7, backupDirectory: join(conf, 'bk'),
      modelDirectory: join(p.root, 'models'), autoVerify: false, schemaOutput: join(conf, 'out', 'schema.prisma'),
      clientOutput: join(conf, 'out', 'client'), historyTable: 'migrations_log', dev: 'warn', build: 'apply', dropUnmodelledTables: true, generateClient: false,
      requireConfirmation: true, maxTablesPerRun: 3, allowDataLoss: true, lockTimeout: 5, loadTimeout: 7,
    })
    // Every documented key was exercised above.
    expect(CONFIG_KEYS.map((k) => k.key).every((k) => p.read('conf/migration.conf').includes(`${k} =`))).toBe(true)
  })

  it('accepts the three URL forms, and DATABASE_URL wins', () => {
    expect(sqlitePath('sqlite:///./app.db', 'x')).toBe('./app.db')
    expect(sqlitePath('sqlite:////var/app.db', 'x')).toBe('/var/app.db')
    expect(sqlitePath('file:./app.db', 'x')).toBe('./app.db')
    expect(sqlitePath('file:./app.db?connection_limit=1', 'x')).toBe('./app.db')
    expect(sqlitePath('data/app.db', 'x')).toBe('data/app.db')
    const p = new Project({ 'migration.conf': '[database]\nurl = ./a.db\n' })
    const c = loadConfig({ root: p.root, env: { DATABASE_URL: 'file:./b.db' } })
    expect(c.databasePath).toBe(join(p.root, 'b.db'))
    expect(c.databaseUrlSource).toBe('env')
  })

  it('refuses non-SQLite URLs without echoing the password', () => {
    const e = (() => { try { sqlitePath('postgres://admin:s3cret@db:5432/app', 'DATABASE_URL') } catch (err) { return err as MigrateError } })()!
    expect(e.message).toContain('admin:***@db')
    expect(e.message).not.toContain('s3cret')
  })

  it('names file, line and the nearest key for a typo', () => {
    const e = configError('[database]\nurl = ./a.db\nbackup_enabeld = true\n')
    expect(e.message).toMatch(/migration\.conf:3: unknown key backup_enabeld in \[database\] — did you mean backup_enabled\?/)
    expect(e.location?.line).toBe(3)
  })

  it('says which section a misplaced key belongs in', () => {
    expect(configError('[database]\nmax_tables_per_run = 3\n').message).toMatch(/:2: unknown key max_tables_per_run in \[database\] — it belongs in \[safety\]/)
  })

  it('refuses an unknown section, bad numbers, bad booleans, bad modes and duplicate keys', () => {
    expect(configError('[databse]\nurl = x\n').message).toMatch(/:1: unknown section \[databse\] — did you mean \[database\]\?/)
    const num = configError('[safety]\nmax_tables_per_run = lots\n')
    expect(num.message).toMatch(/:2: max_tables_per_run = "lots" is not valid/)
    expect(num.hint).toMatch(/whole number/)
    const bool = configError('[database]\nbackup_enabled = maybe\n')
    expect(bool.message).toMatch(/:2: backup_enabled = "maybe" is not valid/)
    expect(bool.hint).toMatch(/true or false/)
    expect(configError('[migration]\ndev = sometimes\n').hint).toMatch(/apply, check, warn, off/)
    expect(configError('[database]\nurl = a.db\nurl = b.db\n').message).toMatch(/:3: url is set twice in \[database\] \(first on line 2\)/)
    expect(configError('url = a.db\n').message).toMatch(/:1: setting "url" is outside any section/)
    expect(configError('[safety]\nmax_tables_per_run = 0\n').message).toMatch(/max_tables_per_run = "0"/)
  })

  it('refuses a --config file that does not exist', () => {
    const p = new Project()
    expect(() => loadConfig({ root: p.root, configFile: 'nope.conf', env: {} })).toThrow(/config file nope\.conf does not exist/)
  })

  it('never crashes on random INI text: it parses or throws a MigrateError', () => {
    const alphabet = ['[', ']', '=', ':', '#', ';', ' ', '\n', 'a', 'url', 'database', 'safety', 'true', '1', '"', '\t', 'é']
    let seed = 42
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    for (let i = 0; i < 300; i++) {
      const text = Array.from({ length: Math.floor(rand() * 40) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('')
      const p = new Project({ 'migration.conf': text })
      try {
        loadConfig({ root: p.root, env: {} })
      } catch (error) {
        expect(error, text).toBeInstanceOf(MigrateError)
      }
    }
  })
})
