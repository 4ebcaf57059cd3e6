import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { POSTS_MODEL, Project, REPO, USERS_MODEL, cleanEnv, nobodyCanRun } from './helpers.ts'

/**
 * Every bad input gets a clear message, exit code 1, and leaves the database byte-for-byte as it
 * was. Each case starts from a migrated database with rows in it.
 */
async function migrated(): Promise<Project> {
  const p = new Project({ 'model/users.ts': USERS_MODEL, 'model/posts.ts': POSTS_MODEL })
  await p.migrate()
  p.sql("INSERT INTO users (email, createdAt) VALUES ('a@x', 0); INSERT INTO posts (title, authorId) VALUES ('t', 1)")
  return p
}

const tableFile = (name: string, columns = 'id: int().primaryKey()') => `import { table, int, text, Column } from 'migrate-plugin/model'\n\nexport const t = table(${JSON.stringify(name)}, { ${columns} })\n`

const cases: [string, (p: Project) => void | Record<string, string>, RegExp][] = [
  ['syntax error in a model file', (p) => { p.write('model/bad.ts', "import { table } from 'migrate-plugin/model'\nexport const x = table('x', {\n  id: ,\n})\n") }, /model\/bad\.ts:3:\d+: the model file failed to load/],
  ['a model file that throws', (p) => { p.write('model/bad.ts', "\n\nthrow new Error('cannot reach the config server')\n") }, /model\/bad\.ts:3:\d+: the model file failed to load: cannot reach the config server/],
  ['two models with one table name', (p) => { p.write('model/dup.ts', tableFile('users')) }, /table "users" is defined twice: in model\/(dup|users)\.ts:\d+ and in model\/(users|dup)\.ts:\d+/],
  ['a reference to a model that does not exist', (p) => { p.write('model/ref.ts', "import { table, int } from 'migrate-plugin/model'\nconst ghost = table('ghost', { id: int().primaryKey() })\nexport const r = table('r', { id: int().primaryKey(), g: int().references(() => ghost.id) })\n") }, /model\/ref\.ts:3: r\.g references table "ghost", which no model in the model directory exports/],
  ['a table name with quotes', (p) => { p.write('model/n.ts', tableFile('us"ers')) }, /model\/n\.ts:3: invalid table name "us\\"ers"/],
  ['a table name with a semicolon', (p) => { p.write('model/n.ts', tableFile('x; DROP TABLE users')) }, /invalid table name "x; DROP TABLE users"/],
  ['a table name with the sqlite_ prefix', (p) => { p.write('model/n.ts', tableFile('sqlite_stuff')) }, /reserved by SQLite/],
  ['an empty table name', (p) => { p.write('model/n.ts', tableFile('')) }, /invalid table name "": it is empty/],
  ['a 300-character table name', (p) => { p.write('model/n.ts', tableFile('t'.repeat(300))) }, /it is 300 characters long \(at most 128\)/],
  ['an invalid column name', (p) => { p.write('model/n.ts', tableFile('n', "id: int().primaryKey(), x: text().map('a;b')")) }, /column n\.x: invalid column name "a;b"/],
  ['an unknown column type', (p) => { p.write('model/n.ts', tableFile('n', "id: int().primaryKey(), x: new Column('money')")) }, /column n\.x: unknown column type "money"/],
  ['a default of the wrong type', (p) => { p.write('model/n.ts', tableFile('n', "id: int().primaryKey(), x: int().default('lots')")) }, /column n\.x: default "lots" does not fit an int column/],
  ['migration.conf: unknown section', (p) => { p.write('migration.conf', '[databse]\nurl = ./dev.db\n') }, /migration\.conf:1: unknown section \[databse\] — did you mean \[database\]\?/],
  ['migration.conf: unknown key', (p) => { p.write('migration.conf', '[safety]\nmax_table_per_run = 3\n') }, /migration\.conf:2: unknown key max_table_per_run in \[safety\] — did you mean max_tables_per_run\?/],
  ['migration.conf: bad number', (p) => { p.write('migration.conf', '[safety]\nmax_tables_per_run = ten\n') }, /migration\.conf:2: max_tables_per_run = "ten" is not valid/],
  ['migration.conf: bad boolean', (p) => { p.write('migration.conf', '[database]\nbackup_enabled = sure\n') }, /migration\.conf:2: backup_enabled = "sure" is not valid/],
  ['migration.conf: duplicate keys', (p) => { p.write('migration.conf', '[database]\nurl = ./dev.db\nurl = ./other.db\n') }, /migration\.conf:3: url is set twice in \[database\]/],
  ['a model directory that does not exist', (p) => { p.write('migration.conf', '[migration]\nmodel_directory = modles/\n') }, /the model directory .*modles does not exist/],
  ['an empty model directory (must not drop every table)', (p) => { rmSync(join(p.root, 'model'), { recursive: true }); mkdirSync(join(p.root, 'model')) }, /no models found in model\/ — refusing to run/],
  ['a change that would drop a table with rows', (p) => { rmSync(join(p.root, 'model/posts.ts')); p.write('migration.conf', '[migration]\ndrop_unmodelled_tables = true\n') }, /refusing to lose data: .*drop the `posts` table, which is not empty/],
]

describe('bad input', () => {
  it.each(cases)('%s', async (_name, breakIt, message) => {
    const p = await migrated()
    const before = p.hash()
    breakIt(p)
    const r = p.cli(['apply'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(message)
    expect(r.stderr).not.toMatch(/\n\s+at .*\.(ts|js):\d+/) // a message, not a stack trace
    expect(p.hash()).toBe(before)
  })

  it('an export that is not a model is ignored', async () => {
    const p = await migrated()
    p.write('model/helpers.ts', "export const PAGE_SIZE = 20\nexport function slug(s: string) { return s.toLowerCase() }\nexport const config = { table: 'users' }\n")
    const r = p.cli(['apply'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/nothing to do/)
  })

  it('a --config file that does not exist', async () => {
    const p = await migrated()
    const before = p.hash()
    const r = p.cli(['apply', '--config', 'nope/migration.conf'])
    expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(/config file nope\/migration\.conf does not exist/)])
    expect(p.hash()).toBe(before)
  })

  it('a database in a folder that does not exist', async () => {
    const p = await migrated()
    const r = p.cli(['apply'], { DATABASE_URL: 'file:./no/such/folder/app.db' })
    expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(/the folder of the database .*no\/such\/folder\/app\.db does not exist/)])
  })

  it('a file that is not SQLite', async () => {
    const p = await migrated()
    writeFileSync(p.dbPath, 'name,email\nada,ada@example.com\n'.repeat(20))
    const before = p.hash()
    const r = p.cli(['apply'])
    expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(/dev\.db is not a SQLite database/)])
    expect(p.hash()).toBe(before)
  })

  it('a corrupt SQLite file', async () => {
    const p = await migrated()
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
    const bytes = readFileSync(p.dbPath)
    bytes.fill(0xa5, 4096, 4096 * 3) // trash the second and third pages (the schema's tables)
    writeFileSync(p.dbPath, bytes)
    const before = p.hash()
    const r = p.cli(['apply'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/dev\.db is corrupt/)
    expect(r.stderr).toMatch(/restore/)
    expect(r.stderr).not.toMatch(/unexpected error/)
    expect(p.hash()).toBe(before)
  })

  it('a database locked by another writer for longer than the wait', async () => {
    const p = await migrated()
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
    p.write('migration.conf', '[safety]\nlock_timeout = 1\n')
    p.write('hold.cjs', `const Database = require(${JSON.stringify(join(REPO, 'node_modules/better-sqlite3'))})
const db = new Database('dev.db'); db.exec('BEGIN EXCLUSIVE'); console.log('locked'); setTimeout(() => { db.exec('ROLLBACK'); db.close() }, 6000)
`)
    const holder = spawn(process.execPath, ['hold.cjs'], { cwd: p.root, env: cleanEnv() })
    await new Promise((resolve) => holder.stdout.once('data', resolve))
    const before = p.hash()
    const r = p.cli(['apply'])
    holder.kill()
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/locked/i)
    expect(p.hash()).toBe(before)
  })

  const tiny = join(REPO, '.tmp-tests', 'tinyfs')
  let mounted = false
  try {
    mkdirSync(tiny, { recursive: true })
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32k', 'tmpfs', tiny], { stdio: 'ignore' })
    mounted = true
  } catch { /* not root, or no mount here: the case is skipped */ }
  afterAll(() => {
    if (mounted) execFileSync('umount', [tiny])
    rmSync(tiny, { recursive: true, force: true })
  })

  it.runIf(mounted)('a full disk during the backup', async () => {
    const p = await migrated()
    p.sql(`INSERT INTO posts (title, authorId) SELECT hex(randomblob(400)), 1 FROM (SELECT 1 FROM sqlite_master LIMIT 1) JOIN (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300) SELECT x FROM c)`)
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
    p.write('migration.conf', `[database]\nbackup_directory = ${tiny}\n`)
    const before = p.hash()
    const r = p.cli(['apply'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/could not back up .* (disk|full|space)/i)
    expect(r.stderr).toMatch(/nothing was changed/)
    expect(p.hash()).toBe(before)
    expect(p.columns('users')).not.toContain('phone')
  })
})

/** Root can write anything, so these run as `nobody`. */
describe.runIf(nobodyCanRun())('bad input: permissions (run as an unprivileged user)', () => {
  it('a read-only database file', async () => {
    const p = await migrated()
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
    execFileSync('chmod', ['-R', 'a+rX', p.root])
    execFileSync('chmod', ['-R', 'a+w', p.root]) // the project is writable (lock file, backups, schema)…
    execFileSync('chmod', ['0555', join(p.root, 'model')])
    execFileSync('chmod', ['0444', p.dbPath]) // …but the database file is not
    const before = p.hash()
    const r = spawnSync(process.execPath, [join(REPO, 'bin/migrate-plugin.mjs'), 'apply'], {
      cwd: p.root, encoding: 'utf8', uid: 65534, gid: 65534, env: { ...cleanEnv(), HOME: p.root, JITI_FS_CACHE: 'false' },
    })
    expect(r.status, r.stdout).toBe(1)
    expect(r.stderr).toMatch(/cannot write the database .*dev\.db: EACCES/)
    expect(p.hash()).toBe(before)
  })

  it('a schema output that cannot be written', async () => {
    const p = await migrated()
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
    execFileSync('chmod', ['-R', 'a+rwX', p.root])
    execFileSync('chmod', ['0555', join(p.root, 'prisma')])
    execFileSync('chmod', ['0444', join(p.root, 'prisma', 'schema.prisma')])
    const before = p.hash()
    const r = spawnSync(process.execPath, [join(REPO, 'bin/migrate-plugin.mjs'), 'apply'], {
      cwd: p.root, encoding: 'utf8', uid: 65534, gid: 65534, env: { ...cleanEnv(), HOME: p.root, JITI_FS_CACHE: 'false' },
    })
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/cannot write the generated schema to .*schema\.prisma: EACCES/)
    expect(r.stderr).not.toMatch(/unexpected error/)
    expect(p.hash()).toBe(before)
  })
})
