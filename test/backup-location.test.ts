import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { backupDatabase, scanBackups } from '../plugin/targets/sqlite/backup.ts'
import type { MigrateError } from '../plugin/core/errors.ts'
import { Runner } from '../plugin/bundlers/runner.ts'
import { POSTS_MODEL, Project, USERS_MODEL } from './helpers.ts'

/**
 * Where backups go (a backups/ folder next to the database), that the backups 0.1 left next to
 * the database stay listed and restorable, and that a dev server keeps a bounded number of its own.
 */

let project: Project | undefined
afterEach(() => {
  project?.remove()
  project = undefined
})

function blog(conf?: string): Project {
  project = new Project({ 'model/users.ts': USERS_MODEL, 'model/posts.ts': POSTS_MODEL, ...(conf ? { 'migration.conf': conf } : {}) })
  return project
}

/** One more nullable column on users, so the next apply changes the database (and backs it up). */
function addColumns(p: Project, n: number): void {
  const extra = Array.from({ length: n }, (_, i) => `  extra${i}: text(),`).join('\n')
  p.write('model/users.ts', USERS_MODEL.replace('name: text(),', `name: text(),\n${extra}`))
}

const backupNames = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.includes('.backup_')).sort() : [])

describe('the default backup folder', () => {
  it('is backups/ next to the database, made on first use; nothing lands in the project root', async () => {
    const p = blog()
    await p.migrate()
    expect(existsSync(join(p.root, 'backups')), 'no backup yet, no folder').toBe(false)
    addColumns(p, 1)
    const r = await p.migrate()
    expect(dirname(r.backupPath!)).toBe(join(p.root, 'backups'))
    expect(lstatSync(join(p.root, 'backups')).isDirectory()).toBe(true)
    expect(backupNames(p.root)).toEqual([])
    const list = p.cli(['backups'])
    expect(list.code).toBe(0)
    expect(list.stdout).toContain(`backups/${basename(r.backupPath!)}`)
    const restored = p.cli(['restore', '--yes'])
    expect(restored.code, restored.stderr).toBe(0)
    expect(p.columns('users')).not.toContain('extra0')
    // The restore's own safety copy goes to the same folder.
    expect(backupNames(join(p.root, 'backups'))).toHaveLength(2)
    expect(backupNames(p.root)).toEqual([])
  })

  it('follows the database into its folder (url = data/app.db → data/backups/)', async () => {
    const p = blog('[database]\nurl = sqlite:///./data/app.db\n')
    mkdirSync(join(p.root, 'data'))
    await p.migrate()
    addColumns(p, 1)
    const r = await p.migrate()
    expect(dirname(r.backupPath!)).toBe(join(p.root, 'data', 'backups'))
  })

  it('a configured backup_directory is used as it is, and must exist', async () => {
    const p = blog('[database]\nbackup_directory = saved\n')
    await p.migrate()
    addColumns(p, 1)
    const before = p.hash()
    const error = (await p.migrate().catch((e: unknown) => e)) as MigrateError
    expect(error).toMatchObject({ code: 'BACKUP' })
    expect(error.message).toContain(join(p.root, 'saved'))
    expect(p.hash()).toBe(before)
    expect(existsSync(join(p.root, 'backups'))).toBe(false)
    mkdirSync(join(p.root, 'saved'))
    const r = await p.migrate()
    expect(dirname(r.backupPath!)).toBe(join(p.root, 'saved'))
  })

  it('a file named backups where the folder would go: the apply is refused, nothing changed', async () => {
    const p = blog()
    await p.migrate()
    p.write('backups', 'my notes\n')
    addColumns(p, 1)
    const before = p.hash()
    await expect(p.migrate()).rejects.toMatchObject({ code: 'BACKUP', message: expect.stringContaining(`${join(p.root, 'backups')} is not a folder`) })
    expect(p.hash()).toBe(before)
    expect(p.read('backups')).toBe('my notes\n')
  })
})

describe('backups 0.1 left next to the database', () => {
  it('are listed with the new ones, newest first, and restorable by name', async () => {
    const p = blog()
    await p.migrate()
    // What 0.1 wrote: the database's folder, local time, no id.
    const old = join(p.root, 'dev.db.backup_20200101_120000')
    copyFileSync(p.dbPath, old)
    addColumns(p, 1)
    const fresh = (await p.migrate()).backupPath!
    const list = p.cli(['backups', '--json'])
    expect(JSON.parse(list.stdout).backups.map((b: { path: string, verified: boolean }) => [b.path, b.verified])).toEqual([[fresh, true], [old, true]])
    expect(p.cli(['backups']).stdout).toContain('dev.db.backup_20200101_120000')

    addColumns(p, 2)
    await p.migrate()
    expect(p.columns('users')).toContain('extra1')
    const byName = p.cli(['restore', basename(old), '--yes', '--json'])
    expect(byName.code, byName.stderr).toBe(0)
    expect(JSON.parse(byName.stdout).restored.path).toBe(old)
    expect(p.columns('users')).not.toContain('extra0')
    expect(existsSync(old), 'a restore does not consume the backup').toBe(true)
  })

  it('only old-place backups: a plain restore finds them', async () => {
    const p = blog()
    await p.migrate()
    p.sql("INSERT INTO users (email, createdAt) VALUES ('kept@x', 0)")
    copyFileSync(p.dbPath, join(p.root, 'dev.db.backup_20200101_120000'))
    p.sql('DELETE FROM users')
    const r = p.cli(['restore', '--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).restored.name).toBe('dev.db.backup_20200101_120000')
    expect(p.all('SELECT email FROM users')).toEqual([{ email: 'kept@x' }])
  })
})

describe('a dev server keeps a bounded number of its own backups', () => {
  /** `runs` model changes through the plugin's watch-mode path, as `vite dev` makes them. */
  async function devSession(p: Project, runner: Runner, from: number, runs: number): Promise<string[]> {
    const made: string[] = []
    for (let i = from; i < from + runs; i++) {
      addColumns(p, i + 1)
      const report = await runner.run({ root: p.root, watch: true, trigger: 'vite-dev' })
      expect(report.result?.outcome).toBe('applied')
      expect(report.warning).toBeUndefined()
      made.push(report.result!.backupPath!)
    }
    return made
  }

  it('keep_dev = 2: the first of the session and the last two stay; the CLI\'s, an earlier session\'s and odd entries are never touched', async () => {
    const p = blog('[database]\nbackup_keep_dev = 2\n[migration]\ngenerate_client = false\n')
    await p.migrate()
    const dir = join(p.root, 'backups')
    // A backup from before the session (the CLI), and entries named like backups that are not files.
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  before: text(),'))
    const cli = p.cli(['apply', '--json'])
    const cliBackup = JSON.parse(cli.stdout).backupPath as string
    symlinkSync(join(p.root, 'nowhere'), join(dir, 'dev.db.backup_20000101_000000'))
    mkdirSync(join(dir, 'dev.db.backup_20000102_000000'))

    const session = new Runner({ dev: 'apply' })
    const made = await devSession(p, session, 0, 6)
    const left = backupNames(dir)
    expect(left).toEqual([basename(cliBackup), 'dev.db.backup_20000101_000000', 'dev.db.backup_20000102_000000', ...[made[0]!, made[4]!, made[5]!].map((m) => basename(m))].sort())
    expect(lstatSync(join(dir, 'dev.db.backup_20000101_000000')).isSymbolicLink()).toBe(true)

    // The first of the session is the database as it was before the session: it restores to that.
    const r = p.cli(['restore', basename(made[0]!), '--yes'])
    expect(r.code, r.stderr).toBe(0)
    expect(p.columns('users')).toContain('before')
    expect(p.columns('users')).not.toContain('extra0')

    // A new dev server is a new session: the old one's backups are left to backup_retention_days.
    const next = await devSession(p, new Runner({ dev: 'apply' }), 10, 4)
    const now = backupNames(dir)
    for (const kept of [made[0]!, made[4]!, made[5]!, next[0]!, next[2]!, next[3]!]) expect(now).toContain(basename(kept))
    expect(now).not.toContain(basename(next[1]!))
  })

  it('the plugin option wins over migration.conf, and 0 keeps every backup', async () => {
    const p = blog('[database]\nbackup_keep_dev = 1\n[migration]\ngenerate_client = false\n')
    await p.migrate()
    const made = await devSession(p, new Runner({ dev: 'apply', backupKeepDev: 0 }), 0, 4)
    expect(backupNames(join(p.root, 'backups'))).toEqual(made.map((m) => basename(m)).sort())
  })

  it('a build (not watch mode) is never bounded', async () => {
    const p = blog('[database]\nbackup_keep_dev = 1\n[migration]\ngenerate_client = false\n')
    await p.migrate()
    const runner = new Runner({ build: 'apply' })
    for (let i = 0; i < 4; i++) {
      addColumns(p, i + 1)
      expect((await runner.run({ root: p.root, watch: false, trigger: 'vite-build' })).result?.outcome).toBe('applied')
    }
    expect(backupNames(join(p.root, 'backups'))).toHaveLength(4)
  })

  it('backup_keep_dev must be a whole number ≥ 0', () => {
    const p = blog('[database]\nbackup_keep_dev = -1\n')
    const r = p.cli(['status'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('backup_keep_dev')
    expect(r.stderr).toContain('migration.conf')
  })
})

describe('backups taken within one second', () => {
  it('a number freed by a deletion is never reused, so the newest backup is still listed first', async () => {
    const p = blog()
    await p.migrate()
    const dir = join(p.root, 'backups')
    mkdirSync(dir)
    const now = new Date(Date.UTC(2026, 0, 2, 3, 4, 5))
    const made = [backupDatabase(p.dbPath, dir, now), backupDatabase(p.dbPath, dir, now), backupDatabase(p.dbPath, dir, now)]
    expect(made.map((m) => basename(m).replace(/^.*Z_[0-9a-f]{12}/, ''))).toEqual(['', '_2', '_3'])
    rmSync(made[1]!)
    const next = backupDatabase(p.dbPath, dir, now)
    expect(basename(next).endsWith('_4')).toBe(true)
    expect(scanBackups(p.dbPath, dir)[0]!.path).toBe(next)
  })
})
