import { spawnSync } from 'node:child_process'
import { existsSync, rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { MigrateError } from '../plugin/core/errors.ts'
import { migrate } from '../plugin/pipeline/migrate.ts'
import { Runner } from '../plugin/bundlers/runner.ts'
import { generateSchema } from '../plugin/schema/generate.ts'
import { discoverModels, discoverModelsHere } from '../plugin/model/discover.ts'
import { BIN, POSTS_MODEL, Project, REPO, USERS_MODEL, cleanEnv } from './helpers.ts'

const projects: Project[] = []
function project(files: Record<string, string>): Project {
  const p = new Project(files)
  projects.push(p)
  return p
}
afterAll(() => {
  for (const p of projects) rmSync(p.root, { recursive: true, force: true })
})

async function rejection(promise: Promise<unknown>): Promise<MigrateError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(MigrateError)
    return error as MigrateError
  }
  throw new Error('expected the run to fail')
}

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

const THINGS_MODEL = "import { table, int, text } from 'migrate-plugin/model'\nexport const things = table('things', { id: int().primaryKey(), label: text() })\n"

describe('a model file that never finishes loading', () => {
  it('CLI: a top-level await that never settles fails the run within load_timeout, naming the file; the database is untouched', async () => {
    const p = project({ 'model/users.ts': USERS_MODEL, 'migration.conf': '[migration]\nload_timeout = 2\n' })
    expect(p.cli(['apply']).code).toBe(0)
    const before = p.hash()
    p.write('model/waits.ts', "await new Promise(() => {})\nexport const never = 1\n")
    const started = Date.now()
    const result = await p.cliAsync(['apply'])
    const elapsed = Date.now() - started
    expect(result.code, result.stdout + result.stderr).toBe(1)
    expect(result.stderr).toMatch(/model\/waits\.ts: the model file did not finish loading within 2 s/)
    expect(result.stderr).toMatch(/load_timeout/)
    expect(elapsed).toBeGreaterThanOrEqual(2000)
    // The process ended by itself once the load gave up (the CLI's own start-up is well under 10 s).
    expect(elapsed).toBeLessThan(12_000)
    expect(p.hash()).toBe(before)
  })

  it('CLI: an endless loop fails `check` with exit 1 naming the file, instead of hanging', async () => {
    const p = project({ 'model/users.ts': USERS_MODEL, 'model/spins.ts': 'while (true) {}\nexport const never = 1\n', 'migration.conf': '[migration]\nload_timeout = 2\n' })
    const started = Date.now()
    const result = await p.cliAsync(['check'])
    expect(result.code, result.stdout + result.stderr).toBe(1)
    expect(result.stderr).toMatch(/model\/spins\.ts: the model file did not finish loading within 2 s/)
    expect(Date.now() - started).toBeLessThan(12_000)
    expect(existsSync(p.dbPath)).toBe(false)
  })

  it('CLI: a model blocked in a synchronous child process does not keep the CLI from exiting', async () => {
    // A thread inside a blocking native call cannot be terminated, and a process waits for its
    // threads on exit: the child process is given the load's remaining time.
    const p = project({ 'model/users.ts': USERS_MODEL, 'model/waits.ts': "import { execFileSync } from 'node:child_process'\nexecFileSync('sleep', ['60'])\nexport const never = 1\n", 'migration.conf': '[migration]\nload_timeout = 2\n' })
    const started = Date.now()
    const result = await p.cliAsync(['check'])
    expect(result.code, result.stdout + result.stderr).toBe(1)
    expect(result.stderr).toMatch(/model\/waits\.ts: the model file (did not finish loading within 2 s|failed to load)/)
    expect(Date.now() - started).toBeLessThan(12_000)
  })

  it('in process: an endless loop never blocks this thread, and the next run works', async () => {
    const p = project({ 'model/users.ts': USERS_MODEL, 'model/spins.ts': 'while (true) {}\n', 'migration.conf': '[migration]\nload_timeout = 2\n' })
    let ticks = 0
    const ticker = setInterval(() => ticks++, 50)
    try {
      const e = await rejection(p.migrate())
      expect(e.code).toBe('MODEL_LOAD')
      expect(e.message).toMatch(/^model\/spins\.ts: the model file did not finish loading within 2 s/)
      expect(e.location).toEqual({ file: 'model/spins.ts' })
      // Timers kept firing while the model file spun: the loop ran elsewhere.
      expect(ticks).toBeGreaterThanOrEqual(10)
    } finally {
      clearInterval(ticker)
    }
    p.write('model/spins.ts', THINGS_MODEL)
    expect((await p.migrate()).outcome).toBe('applied')
    expect(p.tables()).toEqual(['_migration_history', 'things', 'users'])
  })

  it('dev server (Runner): a hung load fails that run with MODEL_LOAD, and a save made meanwhile is applied by the run after it', async () => {
    const p = project({
      'model/users.ts': USERS_MODEL,
      // Says when it has started, so that the fix below is certainly saved after the hang began.
      'model/spins.ts': "import { writeFileSync } from 'node:fs'\nwriteFileSync(new URL('../started', import.meta.url), 'x')\nwhile (true) {}\n",
      'migration.conf': '[migration]\nload_timeout = 2\n',
    })
    const runner = new Runner({ dev: 'apply' })
    const context = { root: p.root, watch: true, trigger: 'test' }
    const hung = rejection(runner.run(context))
    await until(() => existsSync(join(p.root, 'started')), 'the model file to start loading')
    p.write('model/spins.ts', THINGS_MODEL)
    const next = runner.run(context)
    const e = await hung
    expect(e.code).toBe('MODEL_LOAD')
    expect(e.message).toMatch(/^model\/spins\.ts: the model file did not finish loading within 2 s/)
    expect(e.hint).toMatch(/never ends/)
    const report = await next
    expect(report.result?.outcome).toBe('applied')
    expect(p.tables()).toContain('things')
    expect((await runner.run(context)).result?.outcome).toBe('in-sync')
  })

  it('a model file that exits the process, or throws from a timer while loading, fails the run and leaves this process running', async () => {
    const p = project({ 'model/users.ts': USERS_MODEL, 'model/exits.ts': 'process.exit(3)\n' })
    const exited = await rejection(p.migrate())
    expect(exited.code).toBe('MODEL_LOAD')
    expect(exited.message).toMatch(/^model\/exits\.ts: .*process\.exit\(3\)/)
    expect(exited.hint).toMatch(/throw an Error/)

    p.write('model/exits.ts', "setTimeout(() => { throw new Error('late failure') }, 5)\nawait new Promise((resolve) => setTimeout(resolve, 500))\nexport const x = 1\n")
    const thrown = await rejection(p.migrate())
    expect(thrown.code).toBe('MODEL_LOAD')
    expect(thrown.message).toMatch(/^model\/exits\.ts: the model file failed to load: .*late failure/)

    p.write('model/exits.ts', THINGS_MODEL)
    expect((await p.migrate()).outcome).toBe('applied')
  })

  it('errors keep their place: a syntax error names file, line and column; a model error reads as it always did', async () => {
    const p = project({ 'model/users.ts': USERS_MODEL, 'model/broken.ts': "import { table } from 'migrate-plugin/model'\n\nexport const x = table('x', {\n  id: ,\n})\n" })
    const syntax = await rejection(p.migrate())
    expect(syntax.code).toBe('MODEL_LOAD')
    expect(syntax.location).toMatchObject({ file: 'model/broken.ts', line: 4 })
    expect(syntax.location?.column).toBeGreaterThan(0)

    // A default that cannot cross to this thread as it is (a function) is still judged on the original.
    p.write('model/broken.ts', "import { table, int, text } from 'migrate-plugin/model'\nexport const x = table('x', { id: int().primaryKey(), label: text().default((() => 'a') as unknown as string) })\n")
    const invalid = await rejection(p.migrate())
    expect(invalid.code).toBe('MODEL_INVALID')
    expect(invalid.message).toMatch(/^model\/broken\.ts:2: column x\.label: default .* does not fit a text column/)
    expect(existsSync(p.dbPath)).toBe(false)
  })

  it('models loaded in the worker generate exactly the schema they generate when loaded here', async () => {
    const p = project({
      'model/users.ts': USERS_MODEL,
      'model/posts.ts': POSTS_MODEL,
      'model/rich.ts': `import { table, int, bigint, text, real, decimal, boolean, datetime, json, bytes, enumType, index, unique, primaryKey } from 'migrate-plugin/model'
import { users } from './users.ts'
export const level = enumType('Level', ['low', 'high'])
export const nodes = table('nodes', {
  id: int().primaryKey({ autoIncrement: true }),
  parentId: int().references(() => nodes.id, { onDelete: 'set null' }),
  ownerId: int().notNull().references(() => users.id, { onDelete: 'cascade', field: 'owner', backref: 'ownedNodes' }),
  reviewerId: int().references(() => users.id),
  big: bigint().default(9007199254740993n),
  ratio: real().default(0.5),
  price: decimal().default('1.25'),
  flag: boolean().notNull().default(false),
  seen: datetime().defaultNow(),
  edited: datetime().updatedAt(),
  meta: json(),
  blob: bytes(),
  code: text().defaultUuid().unique(),
  label: text('label_text').renamedFrom('title'),
  lvl: level().notNull().default('low'),
}, (t) => [index(t.ownerId, t.flag).named('nodes_owner_flag'), unique(t.label)], { modelName: 'Node', renamedFrom: 'tree' })
export const pairs = table('pairs', { a: int().notNull(), b: int().notNull() }, (t) => [primaryKey(t.a, t.b)])
`,
      'model/fragment.prisma': 'model Extra {\n  id Int @id\n  @@map("extra")\n}\n',
    })
    for (const root of [p.root, REPO]) {
      const modelDir = join(root, 'model')
      const viaWorker = await discoverModels(modelDir, root)
      const here = await discoverModelsHere(modelDir, root, { env: process.env })
      const options = { clientOutput: '../generated/prisma' }
      const a = generateSchema(viaWorker, options)
      const b = generateSchema(here, options)
      expect(a.validatedText()).toBe(b.validatedText())
      expect(a.hash).toBe(b.hash)
      expect(a.owners).toEqual(b.owners)
      expect(viaWorker.files).toEqual(here.files)
      expect(viaWorker.tables.map((t) => `${t.file}#${t.exportName}`)).toEqual(here.tables.map((t) => `${t.file}#${t.exportName}`))
    }
  })

  it('each load starts clean: what one load leaves behind (a global, a timer) never reaches the next', async () => {
    const p = project({
      'model/counted.ts': `import { table, int } from 'migrate-plugin/model'
const g = globalThis as { loadCount?: number }
g.loadCount = (g.loadCount ?? 0) + 1
setInterval(() => {}, 60_000)
export const t = table(g.loadCount === 1 ? 'first' : 'again', { id: int().primaryKey() })
`,
    })
    expect((await p.migrate()).outcome).toBe('applied')
    expect((await p.migrate()).outcome).toBe('in-sync')
    expect((await p.migrate()).outcome).toBe('in-sync')
    expect(p.tables()).toEqual(['_migration_history', 'first'])
  })

  it('two loads at once each get a worker', async () => {
    const a = project({ 'model/users.ts': USERS_MODEL })
    const b = project({ 'model/things.ts': THINGS_MODEL })
    const [ra, rb] = await Promise.all([a.migrate(), b.migrate()])
    expect([ra.outcome, rb.outcome]).toEqual(['applied', 'applied'])
    expect(a.tables()).toContain('users')
    expect(b.tables()).toContain('things')
  })
})

describe('the no-op fast path is never stale', () => {
  // Every load of the model appends to loads.log (a write, which is no input): an unchanged count
  // proves that a run answered from the record without loading the models.
  const COUNT = "import { appendFileSync } from 'node:fs'\nappendFileSync(new URL('../loads.log', import.meta.url), 'x')\n"
  const loads = (p: Project) => (existsSync(join(p.root, 'loads.log')) ? p.read('loads.log').length : 0)
  const run = (p: Project, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const before = loads(p)
    const result = p.cli(args, env)
    return { ...result, loaded: loads(p) > before }
  }

  it('an environment variable read at load time: changing it makes `check` report the change (exit 2), not "nothing to do"', () => {
    const p = project({
      'node_modules/.keep': '',
      'model/items.ts': `${COUNT}import { table, int, text } from 'migrate-plugin/model'\nexport const items = table(process.env.ITEMS_TABLE ?? 'items', { id: int().primaryKey(), name: text() })\n`,
    })
    const a = { ITEMS_TABLE: 'items_a' }
    expect(p.cli(['apply'], a).code).toBe(0)
    expect(p.tables()).toContain('items_a')
    const quick = run(p, ['check'], a)
    expect(quick.code, quick.stderr).toBe(0)
    expect(quick.stdout).toMatch(/nothing to do/)
    expect(quick.loaded).toBe(false) // the record answered: the fast path is still there for such models
    const changed = run(p, ['check'], { ITEMS_TABLE: 'items_b' })
    expect(changed.code, changed.stdout + changed.stderr).toBe(2)
    expect(changed.stdout).toMatch(/items_b/)
    expect(run(p, ['check']).code).toBe(2) // unset: back to the default name, also not items_a
    expect(run(p, ['check'], a)).toMatchObject({ code: 0 })
  })

  it('a file read at load time (outside the model folder): editing it makes `check` report the change', () => {
    const p = project({
      'node_modules/.keep': '',
      'config/columns.json': '["nickname"]\n',
      'model/people.ts': `${COUNT}import { readFileSync } from 'node:fs'
import { table, int, text } from 'migrate-plugin/model'
const extra: string[] = JSON.parse(readFileSync(new URL('../config/columns.json', import.meta.url), 'utf8'))
export const people = table('people', { id: int().primaryKey(), ...Object.fromEntries(extra.map((name) => [name, text()])) })
`,
    })
    expect(p.cli(['apply']).code).toBe(0)
    expect(p.columns('people')).toEqual(['id', 'nickname'])
    expect(run(p, ['check'])).toMatchObject({ code: 0, loaded: false })
    p.write('config/columns.json', '["nickname", "city"]\n')
    const pending = run(p, ['check'])
    expect(pending.code, pending.stdout + pending.stderr).toBe(2)
    expect(pending.stdout).toMatch(/add column people\.city/)
    expect(p.cli(['apply']).code).toBe(0)
    expect(p.columns('people')).toEqual(['id', 'nickname', 'city'])
    expect(run(p, ['check'])).toMatchObject({ code: 0, loaded: false })
  })

  it('other ways of reading: fs/promises, a folder listing, a file that may not exist, a package that reads the environment', () => {
    const p = project({
      'node_modules/.keep': '',
      'node_modules/table-settings/package.json': '{ "name": "table-settings", "version": "1.0.0", "main": "index.js" }\n',
      'node_modules/table-settings/index.js': "exports.prefix = () => process.env.TABLE_PREFIX ?? 'app'\n",
      'extra/orders.txt': '',
      'model/dynamic.ts': `${COUNT}import { readFile } from 'node:fs/promises'
import { existsSync, readdirSync } from 'node:fs'
import { table, int, text } from 'migrate-plugin/model'
import { prefix } from 'table-settings'
const note = (await readFile(new URL('../note.txt', import.meta.url), 'utf8')).trim()
const listed = readdirSync(new URL('../extra', import.meta.url)).map((f) => f.replace('.txt', '')).sort()
const audited = existsSync(new URL('../AUDIT', import.meta.url))
export const dynamic = table(\`\${prefix()}_things\`, {
  id: int().primaryKey(),
  [note]: text(),
  ...Object.fromEntries(listed.map((name) => [name, text()])),
  ...(audited ? { auditedBy: text() } : {}),
})
`,
      'note.txt': 'remark\n',
    })
    expect(p.cli(['apply']).code).toBe(0)
    expect(p.tables()).toEqual(['_migration_history', 'app_things'])
    expect(p.columns('app_things')).toEqual(['id', 'remark', 'orders'])
    expect(run(p, ['check'])).toMatchObject({ code: 0, loaded: false })

    p.write('note.txt', 'comment\n') // read with fs/promises
    expect(run(p, ['check'])).toMatchObject({ code: 2, loaded: true })
    expect(p.cli(['apply', '--accept-data-loss']).code).toBe(0)
    expect(run(p, ['check'])).toMatchObject({ code: 0, loaded: false })

    p.write('extra/invoices.txt', '') // a new entry in a folder the model lists
    const listed = run(p, ['check'])
    expect(listed.code).toBe(2)
    expect(listed.stdout).toMatch(/app_things\.invoices/)
    expect(p.cli(['apply']).code).toBe(0)

    p.write('AUDIT', '') // a file that did not exist when the model asked
    expect(run(p, ['check']).code).toBe(2)
    expect(p.cli(['apply']).code).toBe(0)
    expect(run(p, ['check'])).toMatchObject({ code: 0, loaded: false })

    // A package (not the model itself) reads the variable.
    const prefixed = run(p, ['check'], { TABLE_PREFIX: 'shop' })
    expect(prefixed.code).toBe(2)
    expect(prefixed.stdout).toMatch(/shop_things/)
  })

  it('a file read by a relative path depends on the working directory: another one is another input', () => {
    const p = project({
      'node_modules/.keep': '',
      'migration.conf': '[database]\nurl = ./dev.db\n',
      'cols.json': '["alpha"]',
      'sub/cols.json': '["beta"]',
      'model/rel.ts': `${COUNT}import { readFileSync } from 'node:fs'
import { table, int, text } from 'migrate-plugin/model'
const extra: string[] = JSON.parse(readFileSync('cols.json', 'utf8'))
export const rel = table('rel', { id: int().primaryKey(), ...Object.fromEntries(extra.map((name) => [name, text()])) })
`,
    })
    expect(p.cli(['apply']).code).toBe(0)
    expect(run(p, ['check'])).toMatchObject({ code: 0, loaded: false })
    const elsewhere = spawnSync(process.execPath, [BIN, 'check', '--config', join(p.root, 'migration.conf')], { cwd: join(p.root, 'sub'), encoding: 'utf8', env: { ...cleanEnv() } })
    expect(elsewhere.status, elsewhere.stdout + elsewhere.stderr).toBe(2)
    expect(elsewhere.stdout).toMatch(/beta/)
  })

  it('models that run a process at load time are loaded on every run: what they read cannot be re-checked', () => {
    const p = project({
      'node_modules/.keep': '',
      'name.txt': 'alpha',
      'model/shell.ts': `${COUNT}import { execFileSync } from 'node:child_process'
import { table, int } from 'migrate-plugin/model'
const name = execFileSync('cat', [new URL('../name.txt', import.meta.url).pathname], { encoding: 'utf8' }).trim()
export const t = table(name, { id: int().primaryKey() })
`,
    })
    expect(p.cli(['apply']).code).toBe(0)
    expect(run(p, ['check'])).toMatchObject({ code: 0, loaded: true })
    p.write('name.txt', 'beta')
    const changed = run(p, ['check'])
    expect(changed.code).toBe(2)
    expect(changed.stdout).toMatch(/beta/)
  })

  it('models that read the clock or use randomness are loaded on every run (their schema can differ from one load to the next)', () => {
    const p = project({
      'node_modules/.keep': '',
      'model/clock.ts': `${COUNT}import { table, int, text } from 'migrate-plugin/model'
export const t = table(new Date().getFullYear() > 2000 ? 'clocked' : 'never', { id: int().primaryKey(), note: text() })
`,
      'model/plain.ts': THINGS_MODEL,
    })
    expect(p.cli(['apply']).code).toBe(0)
    expect(run(p, ['check'])).toMatchObject({ code: 0, loaded: true })
    expect(run(p, ['check'])).toMatchObject({ code: 0, loaded: true })
    p.write('model/clock.ts', `${COUNT}import { table, int, text } from 'migrate-plugin/model'
export const t = table(Math.random() < 2 ? 'clocked' : 'never', { id: int().primaryKey(), note: text() })
`)
    expect(run(p, ['check'])).toMatchObject({ code: 0, loaded: true })
    expect(run(p, ['check'])).toMatchObject({ code: 0, loaded: true })
    // A date the model builds from fixed values is no clock: the fast path stays.
    p.write('model/clock.ts', `${COUNT}import { table, int, text, datetime } from 'migrate-plugin/model'
export const t = table('clocked', { id: int().primaryKey(), note: text(), at: datetime().default(new Date('2020-01-01T00:00:00Z')) })
`)
    expect(p.cli(['apply']).code).toBe(0)
    expect(p.cli(['check']).code).toBe(0)
    expect(run(p, ['check'])).toMatchObject({ code: 0, loaded: false })
  })

  it('dev server (Runner): a file read at load time from outside the model folder is watched, and an edit to it is applied', async () => {
    const p = project({
      'config/columns.json': '["nickname"]\n',
      'model/people.ts': `import { readFileSync } from 'node:fs'
import { table, int, text } from 'migrate-plugin/model'
const extra: string[] = JSON.parse(readFileSync(new URL('../config/columns.json', import.meta.url), 'utf8'))
export const people = table(process.env.PEOPLE_TABLE ?? 'people', { id: int().primaryKey(), ...Object.fromEntries(extra.map((name) => [name, text()])) })
`,
    })
    const runner = new Runner({ dev: 'apply' })
    const context = { root: p.root, watch: true, trigger: 'test' }
    expect((await runner.run(context)).result?.outcome).toBe('applied')
    expect(runner.watchTargets(p.root).files).toContain(join(p.root, 'config', 'columns.json'))
    expect((await runner.run(context)).result?.outcome).toBe('in-sync')
    p.write('config/columns.json', '["nickname", "city"]\n')
    expect((await runner.run(context)).result?.outcome).toBe('applied')
    expect(p.columns('people')).toEqual(['id', 'nickname', 'city'])

    // An environment variable set in this process (say by the bundler's config) is seen by the next run.
    process.env.PEOPLE_TABLE = 'persons'
    try {
      expect((await runner.run(context)).result?.outcome).toBe('applied')
      expect(p.tables()).toContain('persons')
    } finally {
      delete process.env.PEOPLE_TABLE
    }
  })
})

describe('what a hostile review found after the first pass', () => {
  it('a link the models follow, or a file they copy before reading it, is an input too', () => {
    const p = project({
      'node_modules/.keep': '',
      'v1/cols.json': '["alpha"]',
      'v2/cols.json': '["beta"]',
      'src.json': '["gamma"]',
      'model/linked.ts': `import { readFileSync, realpathSync, copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { table, int, text } from 'migrate-plugin/model'
const linked: string[] = JSON.parse(readFileSync(join(realpathSync(new URL('../current', import.meta.url)), 'cols.json'), 'utf8'))
const copy = new URL('../copy.json', import.meta.url)
copyFileSync(new URL('../src.json', import.meta.url), copy)
const copied: string[] = JSON.parse(readFileSync(copy, 'utf8'))
export const linkedTable = table('linked', { id: int().primaryKey(), ...Object.fromEntries([...linked, ...copied].map((n) => [n, text()])) })
`,
    })
    symlinkSync('v1', join(p.root, 'current'))
    expect(p.cli(['apply']).code).toBe(0)
    expect(p.columns('linked')).toEqual(['id', 'alpha', 'gamma'])
    expect(p.cli(['check']).code).toBe(0)
    rmSync(join(p.root, 'current'))
    symlinkSync('v2', join(p.root, 'current'))
    const switched = p.cli(['check'])
    expect(switched.code, switched.stdout).toBe(2)
    expect(switched.stdout).toMatch(/redefine table linked: add column beta/)
    expect(p.cli(['apply', '--accept-data-loss']).code).toBe(0)
    p.write('src.json', '["delta"]')
    const copiedChange = p.cli(['check'])
    expect(copiedChange.code, copiedChange.stdout).toBe(2)
    expect(copiedChange.stdout).toMatch(/add column delta/)
  })

  it('what a model file prints goes to stderr: --json output stays valid JSON', () => {
    const p = project({ 'model/noisy.ts': "import { table, int } from 'migrate-plugin/model'\nconsole.log('loading models...')\nprocess.stdout.write('more noise\\n')\nexport const noisy = table('noisy', { id: int().primaryKey() })\n" })
    for (const command of ['apply', 'check', 'status', 'generate']) {
      const r = p.cli([command, '--json'])
      expect(() => JSON.parse(r.stdout), `${command}: ${r.stdout}`).not.toThrow()
      expect(r.stderr).toContain('loading models...')
    }
  })
})

describe('load_timeout', () => {
  it('is read from migration.conf and checked like every other key', async () => {
    const p = project({ 'model/users.ts': USERS_MODEL, 'migration.conf': '[migration]\nload_timeout = 0\n' })
    const e = await rejection(migrate({ root: p.root, env: {} }))
    expect(e.code).toBe('CONFIG')
    expect(e.message).toMatch(/load_timeout/)
  })
})
