import { describe, expect, it } from 'vitest'
import { join, resolve } from 'node:path'
import { loadConfig, sqlitePath, CONFIG_KEYS, MODES, type ResolvedConfig } from '../plugin/core/config.ts'
import { MigrateError } from '../plugin/core/errors.ts'
import { Project } from './helpers.ts'
import { fuzzSeed, random } from './fuzz.ts'

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
    expect(c).toMatchObject({ backupDirectory: join(p.root, 'backups'), legacyBackupDirectory: p.root, backupKeepDev: 10 })
    expect(c.modelDirectory).toBe(join(p.root, 'model'))
    expect(c.schemaOutput).toBe(join(p.root, 'prisma', 'schema.prisma'))
    expect(c).toMatchObject({ backupEnabled: true, backupRetentionDays: 30, autoVerify: true, requireConfirmation: false, maxTablesPerRun: 50, allowDataLoss: false, dev: 'apply', build: 'check', historyTable: '_migration_history', dropUnmodelledTables: false, lockTimeout: 30, requirePlans: false })
    expect(c.plansDirectory).toBe(join(p.root, 'migrations'))
  })

  it('reads every key, relative to the config file', () => {
    const p = new Project({
      'conf/migration.conf': `[database]
url = sqlite:///./data/app.db
backup_enabled = no
backup_retention_days = 7
backup_directory = bk
backup_keep_dev = 4

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
plans_directory = db/plans
require_plans = yes

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
      backupEnabled: false, backupRetentionDays: 7, backupDirectory: join(conf, 'bk'), backupKeepDev: 4,
      modelDirectory: join(p.root, 'models'), autoVerify: false, schemaOutput: join(conf, 'out', 'schema.prisma'),
      clientOutput: join(conf, 'out', 'client'), historyTable: 'migrations_log', dev: 'warn', build: 'apply', dropUnmodelledTables: true, generateClient: false,
      requireConfirmation: true, maxTablesPerRun: 3, allowDataLoss: true, lockTimeout: 5, loadTimeout: 7,
      plansDirectory: join(conf, 'db', 'plans'), requirePlans: true,
    })
    // A configured backup folder is the only place: nothing is looked for next to the database.
    expect(c.legacyBackupDirectory).toBeUndefined()
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

  it('random migration.conf files: most parse with real keys and every value read right; one faulty line is refused naming the file and that line', () => {
    const rand = random(fuzzSeed())
    const seed = `MP_FUZZ_SEED=${rand.seed}`
    const STRUCTURED = 300
    const JUNK = 60
    const p = new Project()
    const file = join(p.root, 'migration.conf')
    type Spec = (typeof CONFIG_KEYS)[number]
    const sections = ['database', 'migration', 'safety'] as const
    const casing = (word: string) => rand.chance(0.2) ? word.toUpperCase() : word
    /** A value the key accepts, and what loadConfig must make of it. */
    const validValue = (spec: Spec): [string, unknown] => {
      switch (spec.kind) {
        case 'boolean': {
          const [word, value] = rand.pick([['true', true], ['yes', true], ['on', true], ['1', true], ['false', false], ['no', false], ['off', false], ['0', false]] as const)
          return [casing(word), value]
        }
        case 'integer': {
          const n = (spec.min ?? 0) + rand.int(500)
          return [String(n), n]
        }
        case 'mode': {
          const mode = rand.pick(MODES)
          return [mode, mode]
        }
        case 'identifier': {
          const name = rand.pick(['history', '_runs', 'Migrations_2', `h${rand.int(100)}`])
          return [name, name]
        }
        case 'url': {
          const url = rand.pick(['sqlite:///./a.db', 'file:./b.db', 'c.db', 'sqlite:///sub/d.db'])
          return [url, url]
        }
        default: {
          const path = rand.pick(['out/x', './dir', 'with space/y', 'deep/er/path'])
          return [path, resolve(p.root, path)]
        }
      }
    }
    const invalidValue = (spec: Spec): string => {
      switch (spec.kind) {
        case 'boolean': return rand.pick(['maybe', 'sure', '2', 'yess'])
        case 'integer': return rand.pick(['-1', 'lots', '1.5', '1e3', ...(spec.min === 1 ? ['0'] : [])])
        case 'mode': return rand.pick(['sometimes', 'APPLY', 'on'])
        case 'identifier': return rand.pick(['sqlite_x', '1abc', 'a-b', 'two words'])
        default: return ''
      }
    }
    const setting = (key: string, value: string) => {
      const quoted = value !== '' && rand.chance(0.2) ? `"${value}"` : value
      // After an unquoted path or URL, " # why" is ambiguous (it could be part of the path) and is
      // refused; after a quoted value, or any other kind of value, it is a comment.
      const pathLike = CONFIG_KEYS.some((k) => k.key === key.toLowerCase() && (k.kind === 'path' || k.kind === 'url'))
      const comment = value !== '' && (quoted !== value || !pathLike) && rand.chance(0.2) ? ' # why' : ''
      return `${casing(key)}${rand.pick(['', ' ', '\t'])}${rand.pick(['=', ':'])}${rand.pick(['', ' ', '  '])}${quoted}${comment}`
    }
    const faults = ['bad value', 'unknown key', 'key in the wrong section', 'duplicate key', 'unknown section', 'outside any section', 'unreadable line', 'duplicate section'] as const

    let parsedWithKeys = 0
    let refused = 0
    let junkParsed = 0
    for (let i = 0; i < STRUCTURED; i++) {
      const fault = rand.chance(0.25) ? rand.pick(faults) : undefined
      const lines: string[] = []
      let faultLine = 0
      let faultText: RegExp = /$^/
      const expected: Record<string, unknown> = {}
      const used = [...sections].filter(() => rand.chance(0.7))
      if (used.length === 0) used.push(rand.pick(sections))
      if (fault === 'outside any section') {
        lines.push('url = ./early.db')
        faultLine = lines.length
        faultText = /setting "url" is outside any section/
      }
      const faultSection = rand.pick(used)
      for (const section of used) {
        if (rand.chance(0.3)) lines.push(rand.pick(['', '# settings', '; more settings']))
        lines.push(`[${casing(section)}]${rand.chance(0.1) ? ' # section' : ''}`)
        const keys = CONFIG_KEYS.filter((k) => k.section === section && rand.chance(0.6))
        if (keys.length === 0) keys.push(rand.pick(CONFIG_KEYS.filter((k) => k.section === section)))
        for (const spec of keys) {
          if (fault === 'bad value' && section === faultSection && faultLine === 0) {
            const value = invalidValue(spec)
            lines.push(setting(spec.key, value))
            faultLine = lines.length
            faultText = new RegExp(`${spec.key} = ${JSON.stringify(value).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid`)
            continue
          }
          const [text, value] = validValue(spec)
          lines.push(setting(spec.key, text))
          expected[spec.option] = value
          if (fault === 'duplicate key' && section === faultSection && faultLine === 0) {
            lines.push(setting(spec.key, validValue(spec)[0]))
            faultLine = lines.length
            faultText = new RegExp(`${spec.key} is set twice in \\[${section}\\] \\(first on line ${lines.length - 1}\\)`)
          }
          if (rand.chance(0.15)) lines.push(rand.pick(['', '   ', '# note', '; note']))
        }
        if (section === faultSection && fault === 'unknown key') {
          lines.push(setting('colour', 'red'))
          faultLine = lines.length
          faultText = new RegExp(`unknown key colour in \\[${section}\\]`)
        }
        if (section === faultSection && fault === 'key in the wrong section') {
          const stray = rand.pick(CONFIG_KEYS.filter((k) => k.section !== section))
          lines.push(setting(stray.key, validValue(stray)[0]))
          faultLine = lines.length
          faultText = new RegExp(`unknown key ${stray.key} in \\[${section}\\] — it belongs in \\[${stray.section}\\]`)
        }
        if (section === faultSection && fault === 'unreadable line') {
          lines.push('just some words')
          faultLine = lines.length
          faultText = /cannot read "just some words"/
        }
      }
      if (fault === 'unknown section') {
        lines.push('[extras]', 'x = 1')
        faultLine = lines.length - 1
        faultText = /unknown section \[extras\]/
      }
      if (fault === 'duplicate section') {
        lines.push(`[${faultSection}]`)
        faultLine = lines.length
        faultText = new RegExp(`section \\[${faultSection}\\] appears twice`)
      }
      const text = `${rand.chance(0.1) ? '\uFEFF' : ''}${lines.join(rand.chance(0.2) ? '\r\n' : '\n')}\n`
      const label = `${seed}, config ${i} (${fault ?? 'valid'}):\n${text}`
      p.write('migration.conf', text)
      let config: ResolvedConfig | undefined
      let error: unknown
      try {
        config = loadConfig({ root: p.root, env: {} })
      } catch (e) {
        error = e
      }
      if (!fault) {
        expect(error, label).toBeUndefined()
        // Not only parsed: every key written is read back as written.
        expect(Object.keys(expected).length, label).toBeGreaterThan(0)
        for (const [option, value] of Object.entries(expected)) expect(config![option as keyof ResolvedConfig], `${label}\n${option}`).toEqual(value)
        parsedWithKeys++
      } else {
        expect(error, label).toBeInstanceOf(MigrateError)
        const e = error as MigrateError
        expect(e.code, label).toBe('CONFIG')
        expect(e.message, label).toMatch(faultText)
        expect(e.message.startsWith(`${file}:${faultLine}: `), `${label}\n${e.message}\nexpected line ${faultLine}`).toBe(true)
        refused++
      }
    }
    // And text that is hardly a config at all: it parses, or is refused as a config error naming the file.
    const alphabet = ['[', ']', '=', ':', '#', ';', ' ', '\n', 'a', 'url', 'database', 'safety', 'true', '1', '"', '\t', 'é']
    for (let i = 0; i < JUNK; i++) {
      const text = Array.from({ length: rand.int(40) }, () => rand.pick(alphabet)).join('')
      p.write('migration.conf', text)
      try {
        loadConfig({ root: p.root, env: {} })
        junkParsed++
      } catch (error) {
        expect(error, `${seed}: ${JSON.stringify(text)}`).toBeInstanceOf(MigrateError)
        expect((error as MigrateError).code, `${seed}: ${JSON.stringify(text)}`).toBe('CONFIG')
        expect((error as MigrateError).message, `${seed}: ${JSON.stringify(text)}`).toContain(file)
      }
    }
    const total = STRUCTURED + JUNK
    console.log(`config fuzzing (${seed}): ${parsedWithKeys} of ${total} parsed with real keys read back right, ${refused} refused at the faulty line, ${junkParsed} of ${JUNK} junk texts parsed`)
    expect(parsedWithKeys, `${seed}: at least half must parse with real keys`).toBeGreaterThanOrEqual(total / 2)
    expect(refused, seed).toBeGreaterThan(0)
  })
})
