import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Project, REPO, USERS_MODEL, cleanEnv } from './helpers.ts'

/**
 * A restore while an app keeps writing: the copy is one transaction on the live file, so it takes
 * effect whatever the app does next. Rows the app writes right after it are no reason to call the
 * restore failed (it was not), and the history must say that it happened.
 */
describe('restore while an app writes', () => {
  const projects: Project[] = []
  afterEach(() => {
    for (const p of projects.splice(0)) p.remove()
  })

  it('succeeds, records the restore, and says what the writer means for the data', async () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL })
    projects.push(p)
    await p.migrate()
    p.sql("INSERT INTO users (email, createdAt) VALUES ('kept@x', 0)")
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
    const applied = await p.migrate()
    expect(applied.backupPath).toBeDefined()
    // The app: WAL mode, an insert every 2 ms until its stdin closes.
    p.write('app.cjs', `const Database = require(${JSON.stringify(join(REPO, 'node_modules/better-sqlite3'))})
const db = new Database('dev.db', { timeout: 10000 })
db.pragma('journal_mode = WAL')
let n = 0, errors = 0, stop = false
process.stdin.on('end', () => { stop = true }).resume()
const tick = () => {
  try { db.prepare('INSERT INTO users (email, createdAt) VALUES (?, 0)').run('app' + n++ + '@x') } catch (e) { errors++; console.error(e.message) }
  if (!stop) setTimeout(tick, 2); else { console.log(JSON.stringify({ errors })); db.close() }
}
tick()
`)
    const app = spawn(process.execPath, ['app.cjs'], { cwd: p.root, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] })
    let appOut = ''
    app.stdout.on('data', (d: Buffer) => { appOut += d.toString() })
    const appExit = new Promise<number | null>((resolve) => app.on('close', resolve))
    await new Promise((r) => setTimeout(r, 200))
    const restored = await new Promise<{ code: number | null, stdout: string, stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(REPO, 'bin/migrate-plugin.mjs'), 'restore', applied.backupPath!, '--yes'], { cwd: p.root, env: cleanEnv() })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
      child.on('close', (code) => resolve({ code, stdout, stderr }))
    })
    app.stdin.end()
    expect(await appExit).toBe(0)
    expect(JSON.parse(appOut)).toEqual({ errors: 0 })
    expect(restored.code, restored.stderr + restored.stdout).toBe(0)
    // The backup's schema (no phone), its rows, and the history row of the restore.
    expect(p.columns('users')).not.toContain('phone')
    expect(p.all('SELECT email FROM users WHERE email = ?', 'kept@x')).toHaveLength(1)
    const db = new Database(p.dbPath, { readonly: true })
    try {
      const last = db.prepare('SELECT status, description FROM _migration_history ORDER BY id DESC LIMIT 1').get() as { status: string, description: string }
      expect(last.status).toBe('restored')
    } finally {
      db.close()
    }
    // When the app wrote right after the copy, the output says what that means.
    if (/another program wrote to the database while it was restored/.test(restored.stdout + restored.stderr)) {
      expect(restored.stdout + restored.stderr).toMatch(/Stop the programs that write to the database before a restore/)
    }
  })
})
