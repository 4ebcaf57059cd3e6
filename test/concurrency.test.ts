import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { Runner } from '../plugin/bundlers/runner.ts'
import { TRACE_PREFIX } from '../plugin/core/crash.ts'
import { POSTS_MODEL, Project, REPO, USERS_MODEL, cleanEnv } from './helpers.ts'

function runProcess(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...cleanEnv(), ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('concurrency', () => {
  it('8 migrators at once (CLI and vite build mixed): one applies, the others find nothing to do, no errors, one history row', async () => {
    const p = new Project({
      'model/users.ts': USERS_MODEL,
      'model/posts.ts': POSTS_MODEL,
      'index.html': '<!doctype html><script type="module" src="/main.js"></script>',
      'main.js': 'console.log(1)\n',
      'vite.config.mjs': `import migrate from ${JSON.stringify(join(REPO, 'plugin/vite.ts'))}\nexport default { plugins: [migrate({ build: 'apply', quiet: false })], logLevel: 'warn' }\n`,
    })
    const cli = () => runProcess(p.root, [join(REPO, 'bin/migrate-plugin.mjs'), 'apply', '--json'])
    const vite = () => runProcess(p.root, [join(REPO, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', `dist-${Math.random().toString(36).slice(2)}`])
    const results = await Promise.all([cli(), vite(), cli(), vite(), cli(), vite(), cli(), vite()])
    for (const r of results) expect(r.code, r.stderr).toBe(0)
    const cliOutcomes = results.filter((_, i) => i % 2 === 0).map((r) => JSON.parse(r.stdout).outcome as string)
    const viteApplied = results.filter((_, i) => i % 2 === 1).filter((r) => /migrate-plugin: created table/.test(r.stdout)).length
    expect(cliOutcomes.filter((o) => o === 'applied').length + viteApplied).toBe(1)
    expect(p.all("SELECT count(*) AS n FROM _migration_history WHERE status = 'success'")).toEqual([{ n: 1 }])
    expect(p.tables()).toEqual(['_migration_history', 'posts', 'users'])
  })

  it('an app holding the database open in WAL mode and writing keeps working while the CLI migrates, its writes overlapping the migration', async () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL })
    await p.migrate()
    p.sql('PRAGMA journal_mode=WAL')
    // The "app": another process inserting users every few milliseconds until its stdin closes,
    // noting when each insert started and when it returned.
    p.write('app.cjs', `const Database = require(${JSON.stringify(join(REPO, 'node_modules/better-sqlite3'))})
const db = new Database('dev.db', { timeout: 10000 })
db.pragma('journal_mode = WAL')
const now = () => performance.timeOrigin + performance.now()
const inserts = []
let errors = 0, stop = false
process.stdin.on('end', () => { stop = true }).resume()
const tick = () => {
  const started = now()
  try { db.prepare('INSERT INTO users (email, createdAt) VALUES (?, ?)').run('u' + inserts.length + '@x', Date.now()); inserts.push([started, now()]) } catch (e) { errors++; console.error(e.message) }
  if (!stop) setTimeout(tick, 3); else { console.log(JSON.stringify({ inserts, errors, count: db.prepare('SELECT count(*) AS c FROM users').get().c })); db.close() }
}
tick()
`)
    const app = spawn(process.execPath, ['app.cjs'], { cwd: p.root, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] })
    let appOut = ''
    let appErr = ''
    app.stdout.on('data', (d: Buffer) => { appOut += d.toString() })
    app.stderr.on('data', (d: Buffer) => { appErr += d.toString() })
    const appExit = new Promise<number | null>((resolve) => app.on('close', resolve))
    await new Promise((r) => setTimeout(r, 300))
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
    // The migration's own account of its window: when it took the lock, began its write transaction, and committed.
    // It holds for a second just after taking the lock and just after BEGIN, so that the app's writes land in
    // both windows however loaded the machine is (a 3 ms writer can otherwise be starved of the CPU for both).
    const migrated = await runProcess(p.root, [join(REPO, 'bin/migrate-plugin.mjs'), 'apply'], { MIGRATE_PLUGIN_TRACE: '1', MIGRATE_PLUGIN_PAUSE_AT: 'locked,begin' })
    await new Promise((r) => setTimeout(r, 100))
    app.stdin.end()
    expect(await appExit, appErr).toBe(0)
    expect(migrated.code, migrated.stderr).toBe(0)
    const at = (point: string) => {
      const line = migrated.stderr.split('\n').find((l) => l.startsWith(`${TRACE_PREFIX} `) && l.endsWith(` ${point}`))
      expect(line, `${point} in the run's trace`).toBeDefined()
      return Number(line!.split(' ')[1])
    }
    // 'after-record' is the last point before COMMIT: up to there the write transaction is surely open.
    const window = { locked: at('locked'), begin: at('begin'), beforeCommit: at('after-record'), commit: at('after-commit') }
    const stats = JSON.parse(appOut) as { inserts: [number, number][], errors: number, count: number }
    expect(stats.errors).toBe(0)
    // Writes before, during and after the migration: some went through while it held its lock (before
    // its transaction), and some were issued while its write transaction was open — those waited for
    // COMMIT, and were kept.
    const whileLocked = stats.inserts.filter(([issued, returned]) => issued > window.locked && returned < window.begin)
    const issuedInTransaction = stats.inserts.filter(([issued]) => issued > window.begin && issued < window.beforeCommit)
    // The app is synchronous: the one insert that meets the write lock blocks it until COMMIT. That
    // insert may have been issued between BEGIN taking the lock and the run tracing 'begin' (a few ms
    // on a loaded machine), so it is looked for from the lock on: issued before COMMIT, returned after.
    const waitedForCommit = stats.inserts.filter(([issued, returned]) => issued > window.locked && issued < window.beforeCommit && returned > window.beforeCommit)
    expect(stats.inserts.some(([, returned]) => returned < window.locked), 'writes before the migration').toBe(true)
    expect(whileLocked.length, 'writes that went through while the migration held its lock').toBeGreaterThan(0)
    expect(waitedForCommit.length, 'writes issued while the write transaction was open, which waited for COMMIT').toBeGreaterThan(0)
    for (const [, returned] of issuedInTransaction) expect(returned, 'a write issued inside the transaction returns after COMMIT').toBeGreaterThan(window.beforeCommit)
    expect(stats.inserts.some(([issued]) => issued > window.commit), 'writes after the migration').toBe(true)
    // None lost: every insert the app saw succeed is in the migrated table.
    expect(stats.count).toBe(stats.inserts.length)
    expect(p.columns('users')).toContain('phone')
    expect(p.all<{ email: string }>('SELECT email FROM users ORDER BY id').map((r) => r.email)).toEqual(stats.inserts.map((_, i) => `u${i}@x`))
    console.log(`WAL app: ${stats.inserts.length} inserts, ${whileLocked.length} went through while the migration held its lock (${(window.begin - window.locked).toFixed(0)} ms before its transaction), ${waitedForCommit.length} issued inside its write transaction (${(window.beforeCommit - window.begin).toFixed(0)} ms) waited for COMMIT`)
  })

  it('waiting for an app\'s write transaction does not freeze the process (a dev server keeps serving)', async () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL })
    await p.migrate()
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
    // The app: a write transaction held for 1.5 s.
    p.write('hold.cjs', `const Database = require(${JSON.stringify(join(REPO, 'node_modules/better-sqlite3'))})
const db = new Database('dev.db'); db.exec('BEGIN IMMEDIATE'); db.exec("INSERT INTO users (email) VALUES ('app@x')"); console.log('locked')
setTimeout(() => { db.exec('COMMIT'); db.close() }, 1500)
`)
    const holder = spawn(process.execPath, ['hold.cjs'], { cwd: p.root, env: cleanEnv() })
    const exited = new Promise((resolve) => holder.on('exit', resolve))
    await new Promise((resolve) => holder.stdout.once('data', resolve))
    // What a dev server needs: its event loop turning while the migration waits.
    let ticks = 0
    const ticker = setInterval(() => { ticks++ }, 10)
    const started = Date.now()
    const result = await p.migrate({ overrides: { lockTimeout: 20 } }).finally(() => clearInterval(ticker))
    const waitedMs = Date.now() - started
    await exited
    expect(result.outcome).toBe('applied')
    expect(waitedMs).toBeGreaterThan(800) // it did wait for the app…
    expect(ticks).toBeGreaterThan(20) // …and the loop kept turning (a synchronous busy wait allows next to none)
    expect(p.all('SELECT email FROM users')).toEqual([{ email: 'app@x' }]) // the app's write is kept
    expect(p.columns('users')).toContain('phone')
  })

  it('code in the same process writing with better-sqlite3 while the plugin migrates (SSR in a dev server): no write fails', async () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL })
    await p.migrate()
    // The app: the dev server's own request handlers, synchronous better-sqlite3, WAL, a 2 s busy timeout.
    // If a run yielded to the event loop while holding the write lock, a write landing then would wait
    // in SQLite's busy handler on the thread the run needs, and fail when the timeout ends.
    const app = new Database(p.dbPath, { timeout: 2000 })
    app.pragma('journal_mode = WAL')
    let writes = 0
    const failures: string[] = []
    const timer = setInterval(() => {
      try {
        app.prepare('INSERT INTO users (email, createdAt) VALUES (?, ?)').run(`app${writes++}@x`, Date.now())
      } catch (error) {
        failures.push((error as Error).message)
      }
    }, 1)
    const runner = new Runner({ dev: 'apply' })
    try {
      for (const column of ['phone', 'city', 'zip']) {
        await new Promise((resolve) => setTimeout(resolve, 40))
        p.write('model/users.ts', p.read('model/users.ts').replace('name: text(),', `name: text(),\n  ${column}: text(),`))
        const report = await runner.run({ root: p.root, watch: true, trigger: 'test' })
        expect(report.result?.outcome).toBe('applied')
      }
      await new Promise((resolve) => setTimeout(resolve, 40))
    } finally {
      clearInterval(timer)
      app.close()
    }
    expect(failures).toEqual([])
    expect(writes).toBeGreaterThan(20)
    expect(p.all('SELECT count(*) AS c FROM users')).toEqual([{ c: writes }])
    expect(p.columns('users')).toEqual(expect.arrayContaining(['phone', 'city', 'zip']))
  })
})
