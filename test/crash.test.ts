import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { TRACE_PREFIX } from '../plugin/core/crash.ts'
import { schemaFingerprint } from '../plugin/targets/sqlite/history.ts'
import { BIN, Project, USERS_MODEL, cleanEnv, nobodyCanRun } from './helpers.ts'

const require = createRequire(import.meta.url)

/**
 * Crash safety: SIGKILL the migrating process at named points of an apply and on statements spread
 * evenly over its write transaction (counted by the run itself: a clock mostly lands in start-up),
 * on a database with thousands of rows across cascading tables and a parent-table redefinition.
 * After every kill the database must be at the old schema or the new one — never between — with
 * every row intact, and the next run must finish the job and record what happened.
 */
const MODEL = (after: boolean) => `import { table, int, text, index } from 'migrate-plugin/model'
export const teams = table('teams', {
  id: int().primaryKey({ autoIncrement: true }),
  name: text()${after ? '' : '.notNull()'},
})
export const members = table('members', {
  id: int().primaryKey({ autoIncrement: true }),
  teamId: int().notNull().references(() => teams.id, { onDelete: 'cascade' }),
  email: text().notNull(),${after ? '\n  phone: text(),' : ''}
}, (t) => [index(t.teamId)])
export const tasks = table('tasks', {
  id: int().primaryKey({ autoIncrement: true }),
  memberId: int().notNull().references(() => members.id, { onDelete: 'cascade' }),
  title: text().notNull(),
})
`

const NAMED_POINTS = ['locked', 'begin', 'during-backup', 'after-backup', 'after-push', 'after-verify', 'after-record', 'after-commit']
const PROGRESS_KILLS = 45
/** How many of the progress-triggered kills must land inside the write transaction (BEGIN IMMEDIATE → COMMIT). */
const INSIDE_AT_LEAST = 40

function checksum(path: string): string {
  const db = new Database(path, { readonly: true })
  try {
    const rows = ['SELECT id, name FROM teams ORDER BY id', 'SELECT id, teamId, email FROM members ORDER BY id', 'SELECT id, memberId, title FROM tasks ORDER BY id']
      .map((sql) => db.prepare(sql).raw().all())
    return createHash('sha256').update(JSON.stringify(rows)).digest('hex')
  } finally {
    db.close()
  }
}

function inspect(path: string) {
  const db = new Database(path, { readonly: true })
  try {
    const integrity = (db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check
    const fk = db.prepare('PRAGMA foreign_key_check').all().length
    return { integrity, fk, fingerprint: schemaFingerprint(db, '_migration_history') }
  } finally {
    db.close()
  }
}

/**
 * Where to kill: `self` makes the process kill itself on reaching the point (MIGRATE_PLUGIN_CRASH_AT);
 * `observed` has this test send SIGKILL the moment the child reports the point, so that the kill
 * lands wherever the child has got to meanwhile — usually inside that very statement.
 */
interface Kill { point?: string, how?: 'self' | 'observed' }

/** Run an apply with the progress trace on; returns its exit code and the points it reached, in order. */
function applyAndKill(p: Project, kill: Kill): Promise<{ code: number | null, points: string[] }> {
  return new Promise((resolve) => {
    const env = { ...cleanEnv(), MIGRATE_PLUGIN_TRACE: '1', ...(kill.point && kill.how !== 'observed' ? { MIGRATE_PLUGIN_CRASH_AT: kill.point } : {}) }
    const child = spawn(process.execPath, [BIN, 'apply', '--accept-data-loss'], { cwd: p.root, env, stdio: ['ignore', 'ignore', 'pipe'] })
    const points: string[] = []
    let pending = ''
    child.stderr.on('data', (chunk: Buffer) => {
      pending += chunk.toString()
      const lines = pending.split('\n')
      pending = lines.pop()!
      for (const line of lines) {
        if (!line.startsWith(`${TRACE_PREFIX} `)) continue
        const point = line.split(' ')[2]!
        points.push(point)
        if (kill.how === 'observed' && point === kill.point) child.kill('SIGKILL')
      }
    })
    child.on('close', (code) => resolve({ code, points }))
  })
}

/** Where a kill landed, from the last point the child reported before it died. */
function landing(points: string[]): 'before the transaction' | 'inside the transaction' | 'after COMMIT' {
  if (points.includes('after-commit')) return 'after COMMIT'
  return points.includes('begin') ? 'inside the transaction' : 'before the transaction'
}

describe('crash safety', () => {
  it(`survives SIGKILL at ${NAMED_POINTS.length} named points and ${PROGRESS_KILLS} statements of the write transaction, at least ${INSIDE_AT_LEAST} of them landing inside it`, async () => {
    // The template: old schema, 50 teams, 2,000 members, 4,000 tasks (about 1.5 MB, so the backup takes several steps).
    const template = new Project({ 'model/m.ts': MODEL(false) })
    await template.migrate()
    const seed = template.db()
    seed.transaction(() => {
      for (let t = 1; t <= 50; t++) seed.prepare('INSERT INTO teams (name) VALUES (?)').run(`team ${t}`)
      for (let m = 1; m <= 2000; m++) seed.prepare('INSERT INTO members (teamId, email) VALUES (?, ?)').run((m % 50) + 1, `m${m}@x`)
      for (let k = 1; k <= 4000; k++) seed.prepare('INSERT INTO tasks (memberId, title) VALUES (?, ?)').run((k % 2000) + 1, `task ${k} ${'x'.repeat(300)}`)
    })()
    seed.close()
    const rows = checksum(template.dbPath)
    const oldSchema = inspect(template.dbPath).fingerprint

    const fresh = () => {
      const p = new Project({ 'model/m.ts': MODEL(true) })
      copyFileSync(template.dbPath, p.dbPath)
      return p
    }
    // The new schema, and the statements a whole apply sends inside its transaction.
    const reference = fresh()
    const whole = await applyAndKill(reference, {})
    expect(whole.code).toBe(0)
    const newSchema = inspect(reference.dbPath).fingerprint
    expect(newSchema).not.toBe(oldSchema)
    expect(checksum(reference.dbPath)).toBe(rows)
    const statements = whole.points.filter((point) => point.startsWith('statement:'))
    // The trace itself: every named point once, in order, and the statements between BEGIN and COMMIT.
    expect(whole.points.filter((point) => !point.startsWith('statement:'))).toEqual(NAMED_POINTS)
    expect(whole.points.indexOf('statement:1')).toBeGreaterThan(whole.points.indexOf('begin'))
    expect(whole.points.indexOf(statements.at(-1)!)).toBeLessThan(whole.points.indexOf('after-record'))
    expect(statements.length).toBeGreaterThanOrEqual(PROGRESS_KILLS / 2)
    reference.remove()

    const kills: Kill[] = [
      ...NAMED_POINTS.map((point): Kill => ({ point, how: 'self' })),
      // Spread evenly over the statements of the transaction: the plan's diff, the engine's push and the verifying diff.
      ...Array.from({ length: PROGRESS_KILLS }, (_, i): Kill => ({
        point: statements[Math.round(i * (statements.length - 1) / (PROGRESS_KILLS - 1))]!,
        how: i % 2 === 0 ? 'self' : 'observed',
      })),
    ]
    const seen = { old: 0, new: 0, interruptedRecorded: 0, hotJournal: 0, inside: 0 }
    const landings: Record<string, number> = {}
    for (const [index, kill] of kills.entries()) {
      const p = fresh()
      const { code, points } = await applyAndKill(p, kill)
      const where = landing(points)
      const label = `${JSON.stringify(kill)}, landed ${where} (last point: ${points.at(-1)})`
      if (index >= NAMED_POINTS.length) {
        landings[where] = (landings[where] ?? 0) + 1
        if (where === 'inside the transaction') seen.inside++
      }
      // It died where it was told to, and not of something else.
      expect(code, label).toBeNull()
      if (kill.how === 'self') expect(points.at(-1), label).toBe(kill.point)
      if (existsSync(`${p.dbPath}-journal`)) seen.hotJournal++
      // A read-only command first: a kill inside the transaction can leave a hot journal, which it must read through.
      const checked = await p.migrate({ command: 'check' })
      const after = inspect(p.dbPath)
      expect(checked.outcome, label).toBe(after.fingerprint === newSchema ? 'in-sync' : 'pending')
      expect(after.integrity, label).toBe('ok')
      expect(after.fk, label).toBe(0)
      expect([oldSchema, newSchema], label).toContain(after.fingerprint)
      // Killed before COMMIT began: nothing of the transaction may survive.
      if (where !== 'after COMMIT' && points.at(-1) !== 'after-record') expect(after.fingerprint, label).toBe(oldSchema)
      if (where === 'after COMMIT') expect(after.fingerprint, label).toBe(newSchema)
      expect(checksum(p.dbPath), label).toBe(rows)
      if (after.fingerprint === oldSchema) seen.old++
      else seen.new++
      // The next run finishes the job by itself and says what happened.
      const next = await p.migrate({ overrides: { allowDataLoss: true } })
      expect(['applied', 'in-sync'], label).toContain(next.outcome)
      // No half-written copy left behind, and every file named as a backup opens as a database.
      expect(readdirSync(p.root, { recursive: true }).map(String).filter((f) => f.endsWith('.partial')), label).toEqual([])
      for (const backup of readdirSync(p.root, { recursive: true }).map(String).filter((f) => /\.backup_\d{8}_\d{6}(Z_[0-9a-f]{12})?(_\d+)?$/.test(f))) {
        const copy = new Database(join(p.root, backup), { readonly: true })
        try {
          expect((copy.prepare('PRAGMA quick_check').get() as { quick_check: string }).quick_check, `${label} ${backup}`).toBe('ok')
        } finally {
          copy.close()
        }
      }
      expect(inspect(p.dbPath).fingerprint, label).toBe(newSchema)
      expect(checksum(p.dbPath), label).toBe(rows)
      if (next.interruptedRun) {
        seen.interruptedRecorded++
        expect(p.all("SELECT status, failed_step FROM _migration_history WHERE status = 'interrupted'"), label).toEqual([{ status: 'interrupted', failed_step: next.interruptedRun.step }])
      }
      p.remove()
    }
    console.log(`crash safety: ${kills.length} kills (${NAMED_POINTS.length} named, ${PROGRESS_KILLS} on the ${statements.length} statements of the transaction: ${JSON.stringify(landings)}) · old schema after ${seen.old}, new after ${seen.new} · ${seen.interruptedRecorded} interrupted runs recorded · ${seen.hotJournal} left a rollback journal`)
    // The kills hit what they are for: the write transaction.
    expect(seen.inside).toBeGreaterThanOrEqual(INSIDE_AT_LEAST)
    // Both outcomes happened, and interrupted runs were recorded.
    expect(seen.old).toBeGreaterThan(0)
    expect(seen.new).toBeGreaterThan(0)
    expect(seen.interruptedRecorded).toBeGreaterThan(0)
  }, 600_000)
})

/**
 * The user's app dying inside a write transaction leaves a hot rollback journal. SQLite undoes it
 * on the next open that may write; a read-only open fails instead ("attempt to write a readonly
 * database"). Every command must read through it — check and status too — and report the
 * database as it was at its last commit.
 */
function crashInsideTransaction(p: Project): void {
  const script = `const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))})
const db = new Database(${JSON.stringify(p.dbPath)})
db.pragma('cache_size = 10') // small, so the uncommitted pages spill into the file and the journal is hot
db.exec('BEGIN')
for (let i = 0; i < 3000; i++) db.prepare('INSERT INTO users (email, name) VALUES (?, ?)').run('crash' + i + '@x', 'x'.repeat(400))
process.kill(process.pid, 'SIGKILL')`
  spawnSync(process.execPath, ['-e', script])
  // The set-up itself: a hot journal that a plain read-only connection cannot get past.
  expect(existsSync(`${p.dbPath}-journal`)).toBe(true)
  const raw = new Database(p.dbPath, { readonly: true })
  try {
    expect(() => raw.prepare('SELECT count(*) FROM users').get()).toThrow(/readonly/)
  } finally {
    raw.close()
  }
}

async function appWithRows(): Promise<Project> {
  const p = new Project({ 'model/users.ts': USERS_MODEL })
  await p.migrate()
  p.sql(`INSERT INTO users (email, name) VALUES ('a@x', 'Ada'), ('b@x', 'Bo')`)
  return p
}

describe('an app that crashed inside a write transaction (hot journal)', () => {
  it('check and status read the database as of its last commit', async () => {
    const p = await appWithRows()
    crashInsideTransaction(p)
    const check = p.cli(['check'])
    expect(check.code, check.stderr).toBe(0)
    expect(check.stdout).toMatch(/nothing to do: dev.db matches the models/)
    const status = p.cli(['status'])
    expect(status.code, status.stderr).toBe(0)
    expect(status.stdout).toMatch(/users\s+2 rows/)
    expect(p.all('SELECT email FROM users ORDER BY id')).toEqual([{ email: 'a@x' }, { email: 'b@x' }])
  })

  it('apply migrates it, keeping exactly the committed rows', async () => {
    const p = await appWithRows()
    crashInsideTransaction(p)
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
    const r = p.cli(['apply'])
    expect(r.code, r.stderr).toBe(0)
    expect(p.columns('users')).toContain('phone')
    expect(p.all('SELECT email FROM users ORDER BY id')).toEqual([{ email: 'a@x' }, { email: 'b@x' }])
  })

  it.runIf(nobodyCanRun())('a user who may not write the database gets told why, and nothing changes', async () => {
    const p = await appWithRows()
    crashInsideTransaction(p)
    execFileSync('chmod', ['-R', 'a+rX', p.root])
    const before = p.hash()
    const r = spawnSync(process.execPath, [BIN, 'check'], {
      cwd: p.root, encoding: 'utf8', uid: 65534, gid: 65534, env: { ...cleanEnv(), HOME: p.root, JITI_FS_CACHE: 'false' },
    })
    expect(r.status, r.stdout).toBe(1)
    expect(r.stderr).toMatch(/unfinished transaction of a process that crashed/)
    expect(r.stderr).toMatch(/user who can write the database/)
    expect(p.hash()).toBe(before)
  })
})
