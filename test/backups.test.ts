import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { applyRetention, backupDatabase, listBackups, scanBackups } from '../plugin/targets/sqlite/backup.ts'
import { contentDigest } from '../plugin/targets/sqlite/digest.ts'
import { backups, restore } from '../plugin/pipeline/inspect.ts'
import { migrate } from '../plugin/pipeline/migrate.ts'
import { Runner } from '../plugin/bundlers/runner.ts'
import { BIN, POSTS_MODEL, Project, REPO, USERS_MODEL, cleanEnv, nobodyCanRun } from './helpers.ts'

/**
 * Backups and restore on real files: whose backup is whose, which is newest, what the backup
 * folder may contain, file modes, a busy or broken live database, and what happens after COMMIT.
 */
const roots: string[] = []
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true })
})

function blog(conf?: string): Project {
  const p = new Project({ 'model/users.ts': USERS_MODEL, 'model/posts.ts': POSTS_MODEL, ...(conf ? { 'migration.conf': conf } : {}) })
  roots.push(p.root)
  return p
}

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mp-bk-'))
  roots.push(dir)
  return dir
}

/** A model change that needs a backup: one more nullable column on users. */
function addColumn(p: Project, ...names: string[]): void {
  p.write('model/users.ts', USERS_MODEL.replace('name: text(),', `name: text(),\n${names.map((n) => `  ${n}: text(),`).join('\n')}`))
}

function digest(path: string): string {
  const db = new Database(path, { readonly: true, fileMustExist: true })
  try {
    return contentDigest(db)
  } finally {
    db.close()
  }
}

function json(r: { code: number, stdout: string, stderr: string }): Record<string, any> {
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as Record<string, any>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('backups belong to one database', () => {
  it('two projects with app.db and one backup folder: backups, restore and retention see only their own', async () => {
    const shared = folder()
    const conf = `[database]\nurl = app.db\nbackup_directory = ${shared}\nbackup_retention_days = 1\n`
    const a = blog(conf)
    const b = blog(conf)
    const appA = join(a.root, 'app.db')
    const appB = join(b.root, 'app.db')
    await a.migrate()
    await b.migrate()
    for (const [path, email] of [[appA, 'a@a'], [appB, 'b@b']] as const) {
      const db = new Database(path)
      db.prepare('INSERT INTO users (email, createdAt) VALUES (?, 0)').run(email)
      db.close()
    }
    addColumn(a, 'phone')
    const ra = await a.migrate()
    await sleep(1100)
    addColumn(b, 'fax')
    const rb = await b.migrate()
    expect(basename(ra.backupPath!)).toMatch(/^app\.db\.backup_\d{8}_\d{6}Z_[0-9a-f]{12}$/)
    const idOf = (path: string) => /_([0-9a-f]{12})$/.exec(path)![1]
    expect(idOf(ra.backupPath!)).not.toBe(idOf(rb.backupPath!))

    // Listing: each sees exactly its own, although all share a folder and a file name.
    expect(backups({ root: a.root }).backups.map((x) => x.path)).toEqual([ra.backupPath])
    expect(backups({ root: b.root }).backups.map((x) => x.path)).toEqual([rb.backupPath])
    const listed = json(a.cli(['backups', '--json']))
    expect(listed.backups.map((x: { path: string }) => x.path)).toEqual([ra.backupPath])

    // Restore without a name takes A's newest — not B's, which is newer.
    const bBefore = b.hash(appB)
    const restored = json(a.cli(['restore', '--yes', '--json']))
    expect(restored.restored.path).toBe(ra.backupPath)
    const check = new Database(appA, { readonly: true })
    expect(check.prepare('SELECT email FROM users').all()).toEqual([{ email: 'a@a' }])
    expect((check.prepare('SELECT name FROM pragma_table_info(\'users\')').all() as { name: string }[]).map((c) => c.name)).not.toContain('phone')
    check.close()
    expect(b.hash(appB)).toBe(bBefore)

    // Naming B's backup in A is refused by name, and A is left as it was.
    const aBefore = a.hash(appA)
    const refused = a.cli(['restore', basename(rb.backupPath!), '--yes'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/belongs to another database with the same file name/)
    expect(refused.stdout).not.toMatch(/restored/)
    expect(a.hash(appA)).toBe(aBefore)
    const byPath = a.cli(['restore', rb.backupPath!, '--yes'])
    expect(byPath.stderr).toMatch(/belongs to another database/)

    // Retention, far in the future: A loses its older backup, keeps its newest (the pre-restore
    // copy); B's only backup is B's newest and not A's to delete.
    const future = new Date(Date.now() + 10 * 86_400_000)
    const aOwn = listBackups(appA, shared).map((x) => x.path)
    expect(aOwn).toHaveLength(2)
    expect(applyRetention(appA, shared, 1, future)).toEqual([aOwn[1]])
    expect(existsSync(rb.backupPath!)).toBe(true)
    expect(existsSync(aOwn[0]!)).toBe(true)
    expect(applyRetention(appB, shared, 1, future)).toEqual([])
    expect(existsSync(rb.backupPath!)).toBe(true)
  })

  it('app.db in two folders of one project, one backup folder; a copied project takes its own id, a moved one keeps its backups', async () => {
    const shared = folder()
    const p = blog()
    mkdirSync(join(p.root, 'one'))
    mkdirSync(join(p.root, 'two'))
    p.write('one.conf', `[database]\nurl = one/app.db\nbackup_directory = ${shared}\n[migration]\nmodel_directory = model/\n`)
    p.write('two.conf', `[database]\nurl = two/app.db\nbackup_directory = ${shared}\n[migration]\nmodel_directory = model/\n`)
    expect(p.cli(['apply', '--config', 'one.conf']).code).toBe(0)
    expect(p.cli(['apply', '--config', 'two.conf']).code).toBe(0)
    addColumn(p, 'phone')
    const one = json(p.cli(['apply', '--config', 'one.conf', '--json']))
    const two = json(p.cli(['apply', '--config', 'two.conf', '--json']))
    expect(json(p.cli(['backups', '--config', 'one.conf', '--json'])).backups.map((x: { path: string }) => x.path)).toEqual([one.backupPath])
    expect(json(p.cli(['backups', '--config', 'two.conf', '--json'])).backups.map((x: { path: string }) => x.path)).toEqual([two.backupPath])
    expect(p.cli(['restore', basename(two.backupPath), '--config', 'one.conf', '--yes']).stderr).toMatch(/belongs to another database/)

    // A copy of the whole project (cp -r) carries the id file; it must not claim the original's backups.
    const original = blog(`[database]\nurl = app.db\nbackup_directory = ${shared}\n`)
    await original.migrate()
    addColumn(original, 'phone')
    const made = await original.migrate()
    const copyRoot = mkdtempSync(join(tmpdir(), 'mp-copy-'))
    roots.push(copyRoot)
    cpSync(original.root, copyRoot, { recursive: true })
    expect(backups({ root: copyRoot }).backups).toEqual([])
    addColumn(original, 'phone', 'fax')
    writeFileSync(join(copyRoot, 'model/users.ts'), original.read('model/users.ts'))
    const copyRun = await migrate({ root: copyRoot, env: {} })
    expect(copyRun.outcome).toBe('applied')
    expect(backups({ root: copyRoot }).backups.map((x) => x.path)).toEqual([copyRun.backupPath])
    expect(backups({ root: original.root }).backups.map((x) => x.path)).toEqual([made.backupPath])

    // Moving the project (its path changes) keeps its backups.
    const moved = `${original.root}-moved`
    renameSync(original.root, moved)
    roots.push(moved)
    expect(backups({ root: moved }).backups.map((x) => x.path)).toEqual([made.backupPath])
  })

  it('a lost id file: in a shared folder the restore is refused with the way back; in the database\'s own folder its backups stay its own', async () => {
    const shared = folder()
    const p = blog(`[database]\nbackup_directory = ${shared}\n`)
    await p.migrate()
    addColumn(p, 'phone')
    const made = (await p.migrate()).backupPath!
    const id = /_([0-9a-f]{12})$/.exec(made)![1]!
    rmSync(`${p.dbPath}-migrate.id`)
    expect(backups({ root: p.root }).backups).toEqual([])
    const before = p.hash()
    const refused = p.cli(['restore', basename(made), '--yes'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/belongs to another database/)
    expect(refused.stderr).toContain(`echo ${id} > ${p.dbPath}-migrate.id`)
    expect(p.hash()).toBe(before)
    writeFileSync(`${p.dbPath}-migrate.id`, `${id}\n`)
    expect(p.cli(['restore', basename(made), '--yes']).code).toBe(0)
    expect(p.columns('users')).not.toContain('phone')

    // The database's own folder (0.1's default, now only when configured): a name there can only be its own.
    const q = blog('[database]\nbackup_directory = .\n')
    await q.migrate()
    addColumn(q, 'phone')
    const own = (await q.migrate()).backupPath!
    rmSync(`${q.dbPath}-migrate.id`)
    expect(listBackups(q.dbPath, q.root).map((b) => [b.path, b.verified])).toEqual([[own, true]])
    expect(json(q.cli(['restore', '--yes', '--json'])).restored.path).toBe(own)
  })

  it('0.1.0 backups (no id, local time) are this database\'s in its own folder, unverified in a shared one', async () => {
    const p = blog()
    await p.migrate()
    const own = p.dbPath
    writeFileSync(join(p.root, 'dev.db.backup_20200101_000000'), 'x')
    expect(listBackups(own, p.root).map((b) => [b.name, b.verified])).toEqual([['dev.db.backup_20200101_000000', true]])

    const shared = folder()
    writeFileSync(join(shared, 'dev.db.backup_20200101_000000'), 'x')
    writeFileSync(join(shared, 'dev.db.backup_20200102_000000'), 'x')
    const list = listBackups(own, shared)
    expect(list.map((b) => [b.name, b.verified])).toEqual([['dev.db.backup_20200102_000000', false], ['dev.db.backup_20200101_000000', false]])
    expect(list[0]!.createdAt.getTime()).toBe(new Date(2020, 0, 2).getTime())
    expect(applyRetention(own, shared, 1)).toEqual([])
    expect(readdirSync(shared).sort()).toEqual(['dev.db.backup_20200101_000000', 'dev.db.backup_20200102_000000'])
    p.write('migration.conf', `[database]\nbackup_directory = ${shared}\n`)
    const r = p.cli(['restore', '--yes'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/made by 0\.1\.0 in a folder other databases may share/)
    expect(r.stderr).toMatch(/restore it by name: npx migrate-plugin restore dev\.db\.backup_20200102_000000/)
  })
})

describe('newest means newest in time', () => {
  it('a backup taken under TZ=Asia/Tokyo and one a second later under TZ=UTC sort by when they were taken', () => {
    const p = blog()
    expect(p.cli(['apply']).code).toBe(0)
    addColumn(p, 'phone')
    const tokyo = json(p.cli(['apply', '--json'], { TZ: 'Asia/Tokyo' }))
    const t0 = Date.now()
    while (Date.now() - t0 < 1100) { /* the second backup must be a second later */ }
    addColumn(p, 'phone', 'fax')
    const utc = json(p.cli(['apply', '--json'], { TZ: 'UTC' }))
    const list = json(p.cli(['backups', '--json'], { TZ: 'America/Los_Angeles' })).backups as { path: string, createdAt: string }[]
    expect(list.map((b) => b.path)).toEqual([utc.backupPath, tokyo.backupPath])
    expect(Math.abs(Date.parse(list[0]!.createdAt) - Date.now())).toBeLessThan(60_000)
    expect(basename(utc.backupPath)).toMatch(/_\d{6}Z_/)
    const r = json(p.cli(['restore', '--yes', '--json'], { TZ: 'Pacific/Kiritimati' }))
    expect(r.restored.path).toBe(utc.backupPath)
    expect(p.columns('users')).toContain('phone')
    expect(p.columns('users')).not.toContain('fax')
  })
})

describe('the backup folder may hold anything', () => {
  it('symlinks and folders with backup names are never listed, followed, restored or deleted', async () => {
    const p = blog('[database]\nbackup_retention_days = 1\n')
    await p.migrate()
    addColumn(p, 'phone')
    const real = (await p.migrate()).backupPath!
    const dir = dirname(real)
    const id = /_([0-9a-f]{12})$/.exec(real)![1]!
    // Another database the symlinks point at: restoring through one would bring a stranger's data.
    const stranger = join(folder(), 'other.db')
    new Database(stranger).exec('CREATE TABLE secrets (x)')
    const weird = {
      danglingNew: `dev.db.backup_29990101_000000Z_${id}`,
      linkNew: `dev.db.backup_29990102_000000Z_${id}`,
      dirNew: `dev.db.backup_29990103_000000Z_${id}`,
      danglingOld: 'dev.db.backup_20000101_000000',
      dirOld: `dev.db.backup_20000101_000000Z_${id}`,
      dirPartial: `dev.db.backup_20000102_000000Z_${id}.partial`,
    }
    symlinkSync(join(p.root, 'nowhere'), join(dir, weird.danglingNew))
    symlinkSync(stranger, join(dir, weird.linkNew))
    mkdirSync(join(dir, weird.dirNew))
    symlinkSync(join(p.root, 'nowhere'), join(dir, weird.danglingOld))
    mkdirSync(join(dir, weird.dirOld))
    mkdirSync(join(dir, weird.dirPartial))

    expect(listBackups(p.dbPath, dir).map((b) => b.path)).toEqual([real])
    for (const name of [weird.danglingNew, weird.linkNew, weird.dirNew]) {
      const r = p.cli(['restore', name, '--yes'])
      expect(r.code, name).toBe(1)
      expect(r.stderr, name).toMatch(/is not a regular file/)
    }
    const restored = json(p.cli(['restore', '--yes', '--json']))
    expect(restored.restored.path).toBe(real)
    expect(p.tables()).not.toContain('secrets')

    // An apply with retention and a backup of its own walks past all of them.
    addColumn(p, 'phone', 'fax')
    const r = p.cli(['apply', '--json'])
    const out = json(r)
    expect(out.postCommitWarnings).toBeUndefined()
    expect(out.deletedBackups).toEqual([])
    for (const name of Object.values(weird)) expect(lstatSync(join(dir, name), { throwIfNoEntry: false }), name).toBeDefined()
    expect(lstatSync(join(dir, weird.linkNew)).isSymbolicLink()).toBe(true)
    expect(existsSync(stranger)).toBe(true)
  })
})

describe('nothing after COMMIT turns an apply into a failure', () => {
  /** A project whose prisma install is broken: `prisma generate` exits 1. */
  function brokenPrisma(p: Project): void {
    p.write('node_modules/@prisma/client/package.json', '{"name":"@prisma/client","version":"7.10.0"}')
    p.write('node_modules/prisma/package.json', '{"name":"prisma","version":"7.10.0"}')
    p.write('node_modules/prisma/build/index.js', 'console.error("Error: this prisma install is broken"); process.exit(1)\n')
  }

  it('CLI: a failing Prisma Client generation is a warning next to the success, exit 0, JSON ok', async () => {
    const p = blog()
    brokenPrisma(p)
    const first = p.cli(['apply'])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/✔ applied 4 change\(s\)/)
    expect(first.stderr).toMatch(/! warning: the Prisma Client was not regenerated: prisma generate failed: .*this prisma install is broken/)
    addColumn(p, 'phone')
    const second = json(p.cli(['apply', '--json']))
    expect(second.ok).toBe(true)
    expect(second.outcome).toBe('applied')
    expect(second.postCommitWarnings[0]).toMatch(/Prisma Client was not regenerated/)
    expect(p.columns('users')).toContain('phone')
    expect(p.all('SELECT status FROM _migration_history ORDER BY id').map((r) => r.status)).toEqual(['success', 'success'])
  })

  it('plugin: the same failure leaves the run\'s success line and adds a warning (the build goes on)', async () => {
    const p = blog()
    brokenPrisma(p)
    const runner = new Runner({ root: p.root, dev: 'apply' })
    const report = await runner.run({ root: p.root, watch: true, trigger: 'test' })
    expect(report.result?.outcome).toBe('applied')
    expect(report.line).toMatch(/migrate-plugin: created table/)
    expect(report.warning).toMatch(/migrate-plugin: warning: the Prisma Client was not regenerated/)
  })

  it.runIf(nobodyCanRun())('an old backup that cannot be deleted is a warning; the apply still succeeds', async () => {
    // The database's own folder, where a 0.1.0 name is provably this database's and retention may delete it.
    const p = blog('[database]\nbackup_directory = .\nbackup_retention_days = 1\n[migration]\ngenerate_client = false\n')
    await p.migrate()
    // Owned by root in a sticky folder: the unprivileged user can add files but not delete this one.
    const stuck = join(p.root, 'dev.db.backup_20000101_000000')
    writeFileSync(stuck, 'old')
    addColumn(p, 'phone')
    execFileSync('chmod', ['-R', 'a+rwX', p.root])
    chmodSync(p.root, 0o1777)
    const r = spawnSync(process.execPath, [BIN, 'apply', '--json'], {
      cwd: p.root, encoding: 'utf8', uid: 65534, gid: 65534, env: { ...cleanEnv(), HOME: p.root, JITI_FS_CACHE: 'false' },
    })
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as Record<string, any>
    expect(out).toMatchObject({ ok: true, outcome: 'applied' })
    expect(out.postCommitWarnings).toEqual([expect.stringMatching(/could not delete the old backup .*dev\.db\.backup_20000101_000000: (EPERM|EACCES)/)])
    expect(existsSync(stuck)).toBe(true)
    expect(p.columns('users')).toContain('phone')
  })
})

describe('file modes', () => {
  it('a backup and a restore\'s safety copy of a 0600 database are 0600 from the moment they exist', async () => {
    const p = blog()
    await p.migrate()
    // Big enough that copying it takes a while, so the copy in progress can be watched.
    p.sql(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 60000)
      INSERT INTO users (email, name, createdAt) SELECT 'u' || x || '@x', hex(randomblob(300)), 0 FROM c`)
    chmodSync(p.dbPath, 0o600)
    addColumn(p, 'phone')
    const dir = join(p.root, 'backups')
    const watch = async (args: string[]) => {
      const seen = new Map<string, number>()
      const child = p.cliAsync(args)
      let finished = false
      void child.then(() => { finished = true })
      while (!finished) {
        for (const name of existsSync(dir) ? readdirSync(dir) : []) {
          if (!name.includes('.backup_')) continue
          const st = statSync(join(dir, name), { throwIfNoEntry: false })
          if (st) seen.set(name, st.mode & 0o777)
        }
        await new Promise((resolve) => setImmediate(resolve))
      }
      const r = await child
      expect(r.code, r.stderr).toBe(0)
      return seen
    }
    // A umask that would leave SQLite's own new files readable by everyone (0644).
    const oldMask = process.umask(0o022)
    try {
      const applied = await watch(['apply'])
      const partials = [...applied].filter(([n]) => n.endsWith('.partial'))
      expect(partials.length, 'the copy in progress was observed').toBeGreaterThan(0)
      for (const [name, mode] of applied) expect(mode.toString(8), name).toBe('600')
      const before = new Set(readdirSync(dir))
      const restored = await watch(['restore', '--yes'])
      const fresh = [...restored].filter(([n]) => !before.has(n) || n.endsWith('.partial'))
      expect(fresh.length).toBeGreaterThan(0)
      for (const [name, mode] of restored) expect(mode.toString(8), name).toBe('600')
      for (const name of readdirSync(dir).filter((n) => n.includes('.backup_'))) expect((statSync(join(dir, name)).mode & 0o777).toString(8), name).toBe('600')
      expect((statSync(p.dbPath).mode & 0o777).toString(8)).toBe('600')
    } finally {
      process.umask(oldMask)
    }
  })
})

describe('restore restores or fails loudly', () => {
  async function withBackup(conf = '[safety]\nlock_timeout = 10\n'): Promise<{ p: Project, backup: string }> {
    const p = blog(conf)
    await p.migrate()
    p.sql("INSERT INTO users (email, createdAt) VALUES ('kept@x', 0)")
    addColumn(p, 'phone')
    const r = await p.migrate()
    p.sql("INSERT INTO users (email, createdAt, phone) VALUES ('later@x', 0, '555')")
    return { p, backup: r.backupPath! }
  }

  /** Another process holding the database: `sql` runs, the lock is held for `ms`, then released. */
  async function hold(p: Project, sql: string, ms: number): Promise<() => void> {
    p.write('hold.cjs', `const Database = require(${JSON.stringify(join(REPO, 'node_modules/better-sqlite3'))})
const db = new Database('dev.db'); db.exec(${JSON.stringify(sql)}); db.prepare('SELECT count(*) FROM users').get(); console.log('held')
setTimeout(() => { db.exec('ROLLBACK'); db.close() }, ${ms})
`)
    const child = spawn(process.execPath, ['hold.cjs'], { cwd: p.root, env: cleanEnv() })
    await new Promise((resolve) => child.stdout.once('data', resolve))
    return () => child.kill()
  }

  for (const [label, sql] of [['a writer', 'BEGIN IMMEDIATE'], ['a reader (rollback journal)', 'BEGIN']] as const) {
    it(`waits for ${label} holding the database, then restores and checks the content`, async () => {
      const { p, backup } = await withBackup()
      const stop = await hold(p, sql, 1500)
      const r = await p.cliAsync(['restore', '--yes'])
      stop()
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/restored .* \(checked/)
      // The live file holds the backup's tables and rows (plus the restore's own history row).
      expect(p.columns('users')).not.toContain('phone')
      expect(p.all('SELECT email FROM users ORDER BY email')).toEqual([{ email: 'kept@x' }])
      expect(p.all('SELECT status FROM _migration_history ORDER BY id DESC LIMIT 1')).toEqual([{ status: 'restored' }])
      const copy = new Database(backup, { readonly: true })
      expect(p.all('SELECT email FROM users')).toEqual(copy.prepare('SELECT email FROM users').all())
      copy.close()
    })
  }

  it('a database kept locked past lock_timeout: exit 1, no success printed, no restored row, nothing changed', async () => {
    const { p } = await withBackup('[safety]\nlock_timeout = 1\n')
    const before = digest(p.dbPath)
    const stop = await hold(p, 'BEGIN IMMEDIATE', 8000)
    const r = await p.cliAsync(['restore', '--yes'])
    stop()
    await sleep(200)
    expect(r.code).toBe(1)
    expect(r.stdout).not.toMatch(/restored/)
    expect(r.stderr).toMatch(/kept it locked for 1 s, and nothing was restored/)
    expect(digest(p.dbPath)).toBe(before)
    expect(p.all("SELECT count(*) AS n FROM _migration_history WHERE status = 'restored'")).toEqual([{ n: 0 }])
  })

  it('a WAL database open in another process: that connection sees the restored data', async () => {
    const { p } = await withBackup()
    p.sql('PRAGMA journal_mode=WAL')
    const app = new Database(p.dbPath)
    try {
      expect(app.prepare('SELECT count(*) AS n FROM users').get()).toEqual({ n: 2 })
      const r = await p.cliAsync(['restore', '--yes'])
      expect(r.code, r.stderr).toBe(0)
      expect(app.prepare('SELECT email FROM users ORDER BY email').all()).toEqual([{ email: 'kept@x' }])
      expect(app.pragma('journal_mode', { simple: true })).toBe('wal')
      app.prepare("INSERT INTO users (email, createdAt) VALUES ('after@x', 0)").run()
    } finally {
      app.close()
    }
    expect(p.all('SELECT email FROM users ORDER BY email')).toEqual([{ email: 'after@x' }, { email: 'kept@x' }])
  })

  it('a damaged backup is refused before anything is touched', async () => {
    const { p, backup } = await withBackup()
    const bytes = readFileSync(backup)
    bytes.fill(0xa5, 4096, 4096 * 3)
    writeFileSync(backup, bytes)
    const before = p.hash()
    const r = p.cli(['restore', '--yes'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/is not a sound SQLite database/)
    expect(p.hash()).toBe(before)
  })

  it('the history row names the later runs the restore undid', async () => {
    const p = blog()
    await p.migrate()
    addColumn(p, 'phone')
    const second = await p.migrate()
    addColumn(p, 'phone', 'fax')
    const third = await p.migrate()
    const out = json(p.cli(['restore', basename(second.backupPath!), '--yes', '--json']))
    expect(out.undone).toEqual([
      { migrationId: second.migrationId, status: 'success', description: 'add column users.phone' },
      { migrationId: third.migrationId, status: 'success', description: 'add column users.fax' },
    ])
    const row = p.all<{ description: string, steps: string }>("SELECT description, steps FROM _migration_history WHERE status = 'restored'")[0]!
    expect(row.description).toContain(`undid 2 later run(s): ${second.migrationId} (success: add column users.phone); ${third.migrationId} (success: add column users.fax)`)
    expect(JSON.parse(row.steps)).toHaveLength(2)
    expect(p.columns('users')).not.toContain('phone')
  })

  it('a restore that undoes restores names each in a line, so rows do not grow with every restore', async () => {
    const p = blog()
    await p.migrate()
    addColumn(p, 'phone')
    const first = basename((await p.migrate()).backupPath!)
    const restoreRows = () => p.all<{ description: string }>("SELECT description FROM _migration_history WHERE status = 'restored' ORDER BY id")
    let longest = 0
    for (let round = 0; round < 4; round++) {
      // Each round restores the same first backup: it undoes this round's change and the previous
      // round's restore, whose own row names what that one undid.
      expect(p.cli(['restore', first, '--yes']).code).toBe(0)
      const last = restoreRows().at(-1)!.description
      if (round > 0) expect(last).toMatch(/\(restored: restored from /)
      longest = Math.max(longest, last.length)
      addColumn(p, 'phone', `fax${round}`)
      expect((await p.migrate()).outcome).toBe('applied')
    }
    expect(longest).toBeLessThan(600)
  })
})

describe('restore works when the database is broken', () => {
  const damage: [string, (path: string) => void][] = [
    ['overwritten with text', (path) => writeFileSync(path, 'this is not a database\n'.repeat(50))],
    ['truncated', (path) => writeFileSync(path, readFileSync(path).subarray(0, 1500))],
    ['corrupt pages', (path) => { const b = readFileSync(path); b.fill(0xa5, 4096, 4096 * 3); writeFileSync(path, b) }],
  ]
  for (const [label, spoil] of damage) {
    it(`the live file is ${label}: a byte copy is kept, and the backup comes back`, async () => {
      const p = blog()
      await p.migrate()
      p.sql("INSERT INTO users (email, createdAt) VALUES ('kept@x', 0)")
      addColumn(p, 'phone')
      const backup = (await p.migrate()).backupPath!
      spoil(p.dbPath)
      chmodSync(p.dbPath, 0o600)
      const broken = p.hash()
      const r = json(p.cli(['restore', '--yes', '--json']))
      expect(r.safetyCopy).toBe('bytes')
      expect(p.hash(r.safetyBackup)).toBe(broken)
      // The byte copy and the replaced database keep the private mode.
      expect((statSync(r.safetyBackup).mode & 0o777).toString(8)).toBe('600')
      expect((statSync(p.dbPath).mode & 0o777).toString(8)).toBe('600')
      expect(readdirSync(dirname(backup)).filter((n) => n.endsWith('.partial'))).toEqual([])
      expect(r.undone).toBeUndefined()
      expect(p.columns('users')).not.toContain('phone')
      expect(p.all('SELECT email FROM users')).toEqual([{ email: 'kept@x' }])
      const row = p.all<{ description: string }>("SELECT description FROM _migration_history WHERE status = 'restored'")[0]!
      expect(row.description).toMatch(/could not be read .* so the runs it undid are unknown/)
      expect(scanBackups(p.dbPath, dirname(backup)).map((b) => b.path)).toContain(backup)
      // The byte copy is not a backup: a later plain restore must not pick it.
      expect(basename(r.safetyBackup)).toMatch(/^dev\.db\.unreadable_\d{8}_\d{6}Z_[0-9a-f]{12}$/)
      expect(scanBackups(p.dbPath, dirname(backup)).map((b) => b.path)).not.toContain(r.safetyBackup)
      expect((p.all('PRAGMA quick_check') as { quick_check: string }[])[0]!.quick_check).toBe('ok')
    })
  }

  it('a missing database is restored from its newest backup', async () => {
    const p = blog()
    await p.migrate()
    p.sql("INSERT INTO users (email, createdAt) VALUES ('kept@x', 0)")
    const backup = backupDatabase(p.dbPath, p.root)
    rmSync(p.dbPath)
    const r = await restore({ root: p.root, yes: true })
    expect(r.restored.path).toBe(backup)
    expect(r.safetyBackup).toBeUndefined()
    expect(p.all('SELECT email FROM users')).toEqual([{ email: 'kept@x' }])
  })
})
