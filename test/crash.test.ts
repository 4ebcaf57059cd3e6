import { spawn } from 'node:child_process'
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { schemaFingerprint } from '../plugin/core/history.ts'
import { BIN, Project, cleanEnv } from './helpers.ts'

/**
 * Crash safety: SIGKILL the migrating process at named points of an apply and at evenly spread
 * moments of it, on a database with thousands of rows across cascading tables and a parent-table
 * redefinition. After every kill the database must be at the old schema or the new one — never
 * between — with every row intact, and the next run must finish the job and record what happened.
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

const NAMED_POINTS = ['locked', 'during-backup', 'after-backup', 'after-push', 'after-verify', 'after-record', 'after-commit']
const TIMED_POINTS = 45

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

function applyAndKill(p: Project, kill: { point?: string, afterMs?: number }): Promise<number | null> {
  return new Promise((resolve) => {
    const env = { ...cleanEnv(), ...(kill.point ? { MIGRATE_PLUGIN_CRASH_AT: kill.point } : {}) }
    const child = spawn(process.execPath, [BIN, 'apply', '--accept-data-loss'], { cwd: p.root, env, stdio: 'ignore' })
    let timer: NodeJS.Timeout | undefined
    if (kill.afterMs !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), kill.afterMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve(code)
    })
  })
}

describe('crash safety', () => {
  it(`survives SIGKILL at ${NAMED_POINTS.length} named points and ${TIMED_POINTS} moments of an apply`, async () => {
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
    // The new schema, and how long a whole apply takes here.
    const reference = fresh()
    const started = performance.now()
    expect(await applyAndKill(reference, {})).toBe(0)
    const duration = performance.now() - started
    const newSchema = inspect(reference.dbPath).fingerprint
    expect(newSchema).not.toBe(oldSchema)
    expect(checksum(reference.dbPath)).toBe(rows)

    const kills: { point?: string, afterMs?: number }[] = [
      ...NAMED_POINTS.map((point) => ({ point })),
      // Spread over the second half of a run, where the lock, the backup and the transaction are (the first half is start-up).
      ...Array.from({ length: TIMED_POINTS }, (_, i) => ({ afterMs: Math.round(duration * (0.5 + 0.5 * (i + 0.5) / TIMED_POINTS)) })),
    ]
    const seen = { old: 0, new: 0, interruptedRecorded: 0 }
    for (const kill of kills) {
      const p = fresh()
      const code = await applyAndKill(p, kill)
      const label = JSON.stringify(kill)
      const after = inspect(p.dbPath)
      expect(after.integrity, label).toBe('ok')
      expect(after.fk, label).toBe(0)
      expect([oldSchema, newSchema], label).toContain(after.fingerprint)
      expect(checksum(p.dbPath), label).toBe(rows)
      if (after.fingerprint === oldSchema) seen.old++
      else seen.new++
      // The next run finishes the job by itself and says what happened.
      const next = await p.migrate({ overrides: { allowDataLoss: true } })
      expect(['applied', 'in-sync'], label).toContain(next.outcome)
      expect(inspect(p.dbPath).fingerprint, label).toBe(newSchema)
      expect(checksum(p.dbPath), label).toBe(rows)
      if (next.interruptedRun) {
        seen.interruptedRecorded++
        expect(p.all("SELECT status, failed_step FROM _migration_history WHERE status = 'interrupted'"), label).toEqual([{ status: 'interrupted', failed_step: next.interruptedRun.step }])
      }
      if (kill.point && kill.point !== 'locked') expect(code, label).toBeNull()
    }
    // Both outcomes happened, and interrupted runs were recorded.
    expect(seen.old).toBeGreaterThan(0)
    expect(seen.new).toBeGreaterThan(0)
    expect(seen.interruptedRecorded).toBeGreaterThan(0)
    console.log(`crash safety: ${kills.length} kill points · old schema after ${seen.old}, new after ${seen.new} · ${seen.interruptedRecorded} interrupted runs recorded`)
  }, 600_000)
})
