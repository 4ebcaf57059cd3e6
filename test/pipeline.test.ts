import { chmodSync, existsSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { status } from '../plugin/pipeline/inspect.ts'
import { applyRetention, listBackups } from '../plugin/targets/sqlite/backup.ts'
import { readHistory } from '../plugin/targets/sqlite/history.ts'
import { POSTS_MODEL, Project, REPO, USERS_MODEL, cleanEnv } from './helpers.ts'

function blog() {
  return new Project({ 'model/users.ts': USERS_MODEL, 'model/posts.ts': POSTS_MODEL })
}

function history(p: Project) {
  const db = p.db(true)
  try {
    return readHistory(db, '_migration_history', 100)
  } finally {
    db.close()
  }
}

describe('pipeline', () => {
  it('creates the database, records the run, then takes the fast path', async () => {
    const p = blog()
    const first = await p.migrate()
    expect(first.outcome).toBe('applied')
    expect(first.backupPath).toBeUndefined() // nothing to back up: the database did not exist
    expect(p.tables()).toEqual(['_migration_history', 'posts', 'users'])
    expect(existsSync(join(p.root, 'prisma', 'schema.prisma'))).toBe(true)
    const [row] = history(p)
    expect(row).toMatchObject({
      status: 'success', trigger: 'cli', error: null, failedStep: null,
      description: expect.stringContaining('create table users'),
      modelFiles: expect.arrayContaining([{ file: 'model/users.ts', hash: expect.stringMatching(/^[0-9a-f]{64}$/) }]),
      schemaHash: first.schemaHash, toolVersion: expect.any(String),
    })
    expect(row!.sql).toContain('CREATE TABLE "users"')
    expect(row!.steps).toContainEqual({ description: 'create table posts', table: 'posts', file: 'model/posts.ts' })
    const second = await p.migrate()
    expect(second).toMatchObject({ outcome: 'in-sync', fastPath: true })
    expect(history(p)).toHaveLength(1)
  })

  it('fast path: a fresh process finds the database in sync without loading the engine', async () => {
    const p = blog()
    await p.migrate()
    const script = join(p.root, 'probe.ts')
    writeFileSync(script, `import { migrate } from ${JSON.stringify(join(REPO, 'plugin/pipeline/migrate.ts'))}
import { engineStats } from ${JSON.stringify(join(REPO, 'plugin/engine/schema-engine.ts'))}
const r = await migrate({ root: ${JSON.stringify(p.root)}, env: {} })
console.log(JSON.stringify({ outcome: r.outcome, fastPath: r.fastPath, loads: engineStats.loads }))
`)
    const run = () => JSON.parse(spawnSync(process.execPath, ['--import', 'jiti/register', script], { cwd: REPO, encoding: 'utf8', env: cleanEnv() }).stdout) as Record<string, unknown>
    expect(run()).toEqual({ outcome: 'in-sync', fastPath: true, loads: 0 })
    // A change made behind our back changes the live fingerprint: the engine must look.
    p.sql('CREATE INDEX sneaky ON users(name)')
    expect(run()).toMatchObject({ fastPath: false, loads: 1 })
  })

  it('records an in-sync database once (noop), so later runs are fast', async () => {
    const p = blog()
    await p.migrate()
    // The same tables under a new history table: the engine sees no change.
    const r = await p.migrate({ overrides: { historyTable: 'other_history' } })
    expect(r).toMatchObject({ outcome: 'in-sync', fastPath: false })
    expect(p.all('SELECT status FROM other_history')).toEqual([{ status: 'noop' }])
    expect(await p.migrate({ overrides: { historyTable: 'other_history' } })).toMatchObject({ fastPath: true })
  })

  it('backs up before a change with the database\'s permissions, and the backup holds the old schema', async () => {
    const p = blog()
    await p.migrate()
    p.sql("INSERT INTO users (email, createdAt) VALUES ('a@x', 0)")
    chmodSync(p.dbPath, 0o640)
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
    const r = await p.migrate()
    expect(r.outcome).toBe('applied')
    expect(r.backupPath).toMatch(/dev\.db\.backup_\d{8}_\d{6}Z_[0-9a-f]{12}$/)
    expect(statSync(r.backupPath!).mode & 0o777).toBe(0o640)
    const backup = new Project()
    const Database = (await import('better-sqlite3')).default
    const db = new Database(r.backupPath!, { readonly: true })
    expect((db.prepare('SELECT name FROM pragma_table_info(\'users\')').all() as { name: string }[]).map((c) => c.name)).not.toContain('phone')
    expect(db.prepare('SELECT email FROM users').all()).toEqual([{ email: 'a@x' }])
    db.close()
    expect(p.columns('users')).toContain('phone')
    expect(history(p)[0]!.backupPath).toBe(r.backupPath)
    void backup
  })

  it('--no-backup skips the backup', async () => {
    const p = blog()
    await p.migrate()
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
    const r = await p.migrate({ backup: false })
    expect(r.backupPath).toBeUndefined()
    expect(listBackups(p.dbPath, [join(p.root, 'backups'), p.root])).toEqual([])
  })

  it('retention deletes old backups but never the newest', () => {
    const p = new Project()
    for (const stamp of ['20200101_000000', '20200102_000000', '20200103_000000']) writeFileSync(join(p.root, `dev.db.backup_${stamp}`), 'x')
    writeFileSync(join(p.root, 'other.db.backup_20200101_000000'), 'x')
    const deleted = applyRetention(join(p.root, 'dev.db'), p.root, 30, new Date(2026, 0, 1))
    expect(deleted.map((d) => d.split('/').pop()).sort()).toEqual(['dev.db.backup_20200101_000000', 'dev.db.backup_20200102_000000'])
    expect(readdirSync(p.root).sort()).toEqual(['dev.db.backup_20200103_000000', 'other.db.backup_20200101_000000'])
    expect(applyRetention(join(p.root, 'dev.db'), p.root, 0)).toEqual([])
  })

  it('preview changes nothing (byte-identical) but reports the engine\'s warnings', async () => {
    const p = blog()
    await p.migrate()
    p.sql("INSERT INTO users (email, name, createdAt) VALUES ('a@x', 'Ann', 0)")
    p.write('model/users.ts', USERS_MODEL.replace('  name: text(),\n', ''))
    const before = p.hash()
    const r = await p.migrate({ command: 'preview' })
    expect(r.outcome).toBe('previewed')
    expect(r.plan!.steps.map((s) => s.description)).toEqual(['redefine table users: drop column name'])
    expect(r.warnings[0]).toMatch(/drop the column `name` on the `users` table, which still contains 1 non-null values/)
    expect(p.hash()).toBe(before)
    expect(readdirSync(p.root, { recursive: true }).map(String).filter((f) => f.includes('backup_'))).toEqual([])
  })

  it('check and preview never create a missing database', async () => {
    const p = blog()
    expect((await p.migrate({ command: 'check' })).outcome).toBe('pending')
    expect((await p.migrate({ command: 'preview' })).outcome).toBe('previewed')
    expect(existsSync(p.dbPath)).toBe(false)
  })

  it('verifies foreign keys after the change: new violations roll back and are recorded as a failure, naming table and rowid', async () => {
    const p = blog()
    await p.migrate()
    // A column that holds ids of missing users, then a model change that makes it a foreign key.
    p.write('model/posts.ts', POSTS_MODEL.replace('title: text().notNull(),', 'title: text().notNull(),\n  editorId: int(),'))
    await p.migrate()
    p.sql("INSERT INTO users (id, email, createdAt) VALUES (1, 'a@x', 0); INSERT INTO posts (id, title, authorId, editorId) VALUES (7, 'p', 1, 42)")
    p.write('model/posts.ts', POSTS_MODEL.replace('title: text().notNull(),', 'title: text().notNull(),\n  editorId: int().references(() => users.id, { backref: \'edited\' }),'))
    const before = p.all('SELECT * FROM posts')
    const error = await p.migrate().catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'VERIFY', step: 'verify', backupPath: expect.stringMatching(/backup_/) })
    expect((error as Error).message).toMatch(/1 row\(s\) would break foreign keys: posts rowid 7 → missing users row.*rolled back/s)
    expect(p.all('SELECT * FROM posts')).toEqual(before)
    expect(p.all('SELECT * FROM pragma_foreign_key_list(\'posts\')').length).toBe(1)
    const [failed] = history(p)
    expect(failed).toMatchObject({ status: 'rolled_back', failedStep: 'verify', error: expect.stringMatching(/foreign keys/) })
  })

  it('foreign-key violations that were already in the database do not fail an unrelated change', async () => {
    const p = blog()
    await p.migrate()
    // A dangling child row, written with foreign keys off (as some apps do), before the change.
    p.sql("PRAGMA foreign_keys=OFF; INSERT INTO posts (title, authorId) VALUES ('orphan', 99)")
    p.write('model/posts.ts', POSTS_MODEL.replace('title: text().notNull(),', "title: text().notNull().default('untitled'),"))
    const result = await p.migrate()
    expect(result.outcome).toBe('applied')
    expect(result.plan?.steps.map((s) => s.description)).toEqual(['redefine table posts: default of title none → \'untitled\''])
    expect(p.all('SELECT title, authorId FROM posts')).toEqual([{ title: 'orphan', authorId: 99 }])
    expect(p.all('PRAGMA foreign_key_check')).toHaveLength(1)
  })

  it('refusals leave the database byte-identical and remove their backup', async () => {
    const p = blog()
    await p.migrate()
    p.sql("INSERT INTO users (email, createdAt) VALUES ('a@x', 0)")
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  nickname: text().notNull(),'))
    const before = p.hash()
    await expect(p.migrate()).rejects.toMatchObject({ code: 'GUARD_UNEXECUTABLE' })
    expect(p.hash()).toBe(before)
    expect(readdirSync(p.root, { recursive: true }).map(String).filter((f) => f.includes('backup_'))).toEqual([])
  })

  it('refuses more tables than max_tables_per_run, and asks for confirmation when required', async () => {
    const p = blog()
    await expect(p.migrate({ overrides: { maxTablesPerRun: 1 } })).rejects.toMatchObject({ code: 'GUARD_TOO_MANY_TABLES', message: expect.stringMatching(/2 tables, more than max_tables_per_run = 1/) })
    expect(existsSync(p.dbPath)).toBe(false)
    await expect(p.migrate({ overrides: { requireConfirmation: true } })).rejects.toMatchObject({ code: 'GUARD_NOT_CONFIRMED' })
    await expect(p.migrate({ overrides: { requireConfirmation: true }, confirm: async () => false })).rejects.toMatchObject({ code: 'GUARD_NOT_CONFIRMED' })
    let shown = 0
    const ok = await p.migrate({ overrides: { requireConfirmation: true }, confirm: async (plan) => { shown = plan.steps.length; return true } })
    expect(ok.outcome).toBe('applied')
    expect(shown).toBeGreaterThan(0)
  })

  it('asks for confirmation before taking any lock (the app keeps writing), and refuses a plan that changed meanwhile', async () => {
    const p = blog()
    await p.migrate()
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
    // While the user reads the plan, the app writes (no busy wait allowed: it must not be locked out).
    const ok = await p.migrate({
      overrides: { requireConfirmation: true },
      confirm: async () => {
        const app = new Database(p.dbPath, { timeout: 0 })
        try {
          app.exec("BEGIN IMMEDIATE; INSERT INTO users (email, createdAt) VALUES ('app@x', 0); COMMIT")
        } finally {
          app.close()
        }
        return true
      },
    })
    expect(ok.outcome).toBe('applied')
    expect(p.all('SELECT email FROM users')).toEqual([{ email: 'app@x' }])
    // The database changes between the question and the apply: what was confirmed is no longer the plan.
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),\n  city: text(),'))
    let before = ''
    await expect(p.migrate({
      overrides: { requireConfirmation: true },
      confirm: async () => {
        p.sql('ALTER TABLE users ADD COLUMN legacy TEXT') // the plan now also drops it
        before = p.hash()
        return true
      },
    })).rejects.toMatchObject({ code: 'GUARD_NOT_CONFIRMED', message: expect.stringMatching(/the plan changed after it was confirmed/) })
    expect(p.hash()).toBe(before)
  })

  it('leaves unmodelled tables alone and lists them; drops them only when asked', async () => {
    const p = blog()
    await p.migrate()
    p.sql("CREATE TABLE legacy (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO legacy VALUES (1, 'keep')")
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
    const r = await p.migrate()
    expect(r.unmodelledTables).toEqual(['legacy'])
    expect(p.all('SELECT * FROM legacy')).toEqual([{ id: 1, v: 'keep' }])
    await expect(p.migrate({ overrides: { dropUnmodelledTables: true } })).rejects.toMatchObject({ code: 'GUARD_DATA_LOSS' })
    const dropped = await p.migrate({ overrides: { dropUnmodelledTables: true, allowDataLoss: true } })
    expect(dropped.plan!.steps.map((s) => s.description)).toEqual(['drop table legacy'])
    expect(p.tables()).not.toContain('legacy')
  })

  it('refuses files that are not SQLite databases, and missing folders', async () => {
    const p = blog()
    writeFileSync(p.dbPath, 'this is not a database, just text that is long enough')
    const before = p.hash()
    await expect(p.migrate()).rejects.toMatchObject({ code: 'DATABASE', message: expect.stringMatching(/is not a SQLite database/) })
    expect(p.hash()).toBe(before)
    await expect(p.migrate({ overrides: { databaseUrl: './missing/dir/app.db' } })).rejects.toMatchObject({ code: 'DATABASE', message: expect.stringMatching(/folder of the database .* does not exist/) })
  })

  it('one migrator at a time: two processes, one applies, the other finds nothing to do', async () => {
    const p = blog()
    const [a, b] = await Promise.all([p.cliAsync(['apply', '--json']), p.cliAsync(['apply', '--json'])])
    expect([a.code, b.code]).toEqual([0, 0])
    const outcomes = [JSON.parse(a.stdout).outcome, JSON.parse(b.stdout).outcome].sort()
    expect(outcomes).toEqual(['applied', 'in-sync'])
    expect(history(p).filter((h) => h.status === 'success')).toHaveLength(1)
  })

  it('a long-lived process (a dev server) holds no connection after any kind of run', async () => {
    const p = blog()
    // What this process has open on the database, and whether another writer could take it right now.
    const released = (label: string) => {
      const open = readdirSync('/proc/self/fd').map((fd) => {
        try { return readlinkSync(`/proc/self/fd/${fd}`) } catch { return '' }
      }).filter((target) => target.startsWith(p.dbPath))
      expect(open, label).toEqual([])
      const other = new Database(p.dbPath, { timeout: 0 })
      try {
        other.exec('BEGIN EXCLUSIVE; ROLLBACK')
      } finally {
        other.close()
      }
    }
    await p.migrate()
    released('apply (create)')
    p.sql('DELETE FROM _migration_history') // in sync but unrecorded: the next apply records a noop
    expect((await p.migrate({ command: 'check' })).outcome).toBe('in-sync')
    released('check, in sync, through the engine')
    expect((await p.migrate()).outcome).toBe('in-sync')
    released('apply recording a noop')
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
    expect((await p.migrate({ command: 'check' })).outcome).toBe('pending')
    released('check, pending')
    expect((await p.migrate({ command: 'preview' })).outcome).toBe('previewed')
    released('preview')
    await status({ root: p.root, env: {} })
    released('status')
    p.sql("INSERT INTO users (email, createdAt) VALUES ('a@x', 0)")
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  nickname: text().notNull(),'))
    await expect(p.migrate()).rejects.toMatchObject({ code: 'GUARD_UNEXECUTABLE' })
    released('a refused apply')
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
    expect((await p.migrate()).outcome).toBe('applied')
    released('apply (change)')
  })

  it('a fresh process answers "in sync" without loading models that did not change, and never trusts a stale record', () => {
    // Every load of this model file appends to loads.log (a write, which is no input of the load):
    // an unchanged count proves nothing was loaded.
    const trap = "import { appendFileSync } from 'node:fs'\nappendFileSync(new URL('../loads.log', import.meta.url), 'x')\n"
    const p = new Project({
      'node_modules/.keep': '', // an installed project: the record lives in node_modules/.cache
      'shared/audit.ts': "import { text } from 'migrate-plugin/model'\nexport const audit = () => ({ createdBy: text() })\n",
      'model/notes.ts': `${trap}import { table, int } from 'migrate-plugin/model'\nimport { audit } from '../shared/audit.ts'\nexport const notes = table('notes', { id: int().primaryKey(), ...audit() })\n`,
    })
    const loads = () => (existsSync(join(p.root, 'loads.log')) ? p.read('loads.log').length : 0)
    /** Runs the CLI and says whether it loaded the model file. */
    const loaded = (args: string[]) => {
      const before = loads()
      const result = p.cli(args)
      return { ...result, loaded: loads() > before }
    }
    expect(p.cli(['apply']).code).toBe(0)
    // The first load found an import the record did not cover yet; the next load completes it.
    expect(p.cli(['check']).code).toBe(0)
    const quick = loaded(['check'])
    expect(quick.code, quick.stderr).toBe(0)
    expect(quick.loaded).toBe(false)
    expect(quick.stdout).toMatch(/nothing to do/)
    expect(loaded(['apply'])).toMatchObject({ code: 0, loaded: false })

    // An edited helper outside model/: the record no longer matches, the models are loaded, the change is seen.
    p.write('shared/audit.ts', "import { text } from 'migrate-plugin/model'\nexport const audit = () => ({ createdBy: text(), updatedBy: text() })\n")
    const pending = loaded(['check'])
    expect(pending).toMatchObject({ code: 2, loaded: true })
    expect(pending.stdout).toMatch(/add column notes\.updatedBy/)
    expect(p.cli(['apply']).code).toBe(0)
    expect(loaded(['check'])).toMatchObject({ code: 0, loaded: false })

    // A changed setting, and a database changed behind our back: both go the full way.
    p.write('migration.conf', '[migration]\ndrop_unmodelled_tables = true\n')
    expect(loaded(['check']).loaded).toBe(true)
    expect(p.cli(['apply']).code).toBe(0) // records the new schema hash (nothing to change in SQLite)
    expect(loaded(['check'])).toMatchObject({ code: 0, loaded: false })
    expect(loaded(['apply', '--accept-data-loss'])).toMatchObject({ code: 0, loaded: false }) // flags that do not shape the schema keep the record
    p.sql('ALTER TABLE notes ADD COLUMN sneaky TEXT')
    const drift = p.cli(['check'])
    expect(drift.code).toBe(2)
    expect(drift.stdout).toMatch(/notes/)
  })
})
