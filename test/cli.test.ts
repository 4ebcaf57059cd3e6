import { readdirSync } from 'node:fs'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { POSTS_MODEL, Project, USERS_MODEL } from './helpers.ts'

function blog(conf?: string) {
  return new Project({ 'model/users.ts': USERS_MODEL, 'model/posts.ts': POSTS_MODEL, ...(conf ? { 'migration.conf': conf } : {}) })
}

describe('CLI', () => {
  it('apply (the default command) creates the database; a second run has nothing to do; history shows it', () => {
    const p = blog()
    const first = p.cli([])
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/✔ applied 4 change\(s\) to dev\.db/)
    expect(first.stdout).toContain('+ create table users (model/users.ts)')
    expect(first.stdout).toContain('npx migrate-plugin history')
    const second = p.cli(['apply'])
    expect(second.code).toBe(0)
    expect(second.stdout).toMatch(/nothing to do: dev\.db matches the models/)
    const history = p.cli(['history'])
    expect(history.code).toBe(0)
    expect(history.stdout).toMatch(/✅ .* success {2}create table posts; create table users/)
    expect(history.stdout).not.toMatch(/\u001b\[/) // no colour without a TTY
  })

  it('check exits 2 with the pending list and the fix command, 0 when in sync; --json is parseable', () => {
    const p = blog()
    const pending = p.cli(['check'])
    expect(pending.code).toBe(2)
    // No database yet: check says so, and what creating it would make (it creates nothing itself).
    expect(pending.stdout).toMatch(/dev\.db does not exist; 2 table\(s\) would be created/)
    expect(pending.stdout).toContain('create it with: npx migrate-plugin apply')
    const json = JSON.parse(p.cli(['check', '--json']).stdout)
    expect(json).toMatchObject({ ok: true, outcome: 'pending', plan: { steps: expect.any(Array) } })
    expect(p.cli(['apply']).code).toBe(0)
    expect(p.cli(['check']).code).toBe(0)
    expect(JSON.parse(p.cli(['check', '--json']).stdout)).toMatchObject({ ok: true, outcome: 'in-sync', fastPath: true })
  })

  it('preview (and its aliases --dry-run, --preview) shows steps, SQL and warnings and changes nothing', () => {
    const p = blog()
    p.cli(['apply'])
    p.sql("INSERT INTO users (email, name, createdAt) VALUES ('a@x', 'Ann', 0)")
    p.write('model/users.ts', USERS_MODEL.replace('  name: text(),\n', '  phone: text(),\n'))
    const before = p.hash()
    for (const args of [['preview'], ['--dry-run'], ['--preview'], ['dry-run']]) {
      const r = p.cli(args)
      expect(r.code, args.join(' ')).toBe(0)
      expect(r.stdout).toMatch(/Preview of 1 change\(s\)/)
      expect(r.stdout).toContain('redefine table users: add column phone, drop column name')
      expect(r.stdout).toContain('CREATE TABLE "new_users"')
      expect(r.stdout).toMatch(/! data loss: .*drop the column `name`/)
      expect(r.stdout).toContain('npx migrate-plugin apply --accept-data-loss')
    }
    expect(p.hash()).toBe(before)
    const refused = p.cli(['apply'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/refusing to lose data/)
    expect(refused.stderr).toContain('--accept-data-loss')
    expect(p.hash()).toBe(before)
    const accepted = p.cli(['apply', '--accept-data-loss'])
    expect(accepted.code).toBe(0)
    expect(p.columns('users')).toContain('phone')
  })

  it('status shows config, models per file, tables with rows, unmodelled tables, pending and the last run', () => {
    const p = blog('[database]\nurl = sqlite:///./data.db\n')
    p.cli(['apply'])
    const db = new Database(`${p.root}/data.db`)
    db.exec('CREATE TABLE legacy (id INTEGER PRIMARY KEY)')
    db.close()
    const r = p.cli(['status'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/config {4}migration\.conf/)
    expect(r.stdout).toMatch(/database {2}data\.db/)
    expect(r.stdout).toContain('model/users.ts: users')
    expect(r.stdout).toMatch(/users 0 rows/)
    expect(r.stdout).toMatch(/legacy 0 rows +unmodelled/)
    expect(r.stdout).toMatch(/pending {3}none/)
    expect(r.stdout).toMatch(/last run {2}✅/)
    const json = JSON.parse(p.cli(['status', '--json']).stdout)
    expect(json.unmodelledTables).toEqual(['legacy'])
  })

  it('backups lists them; restore --yes brings the old schema back and records it; no TTY and no --yes refuses', () => {
    const p = blog()
    p.cli(['apply'])
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
    p.cli(['apply'])
    expect(p.columns('users')).toContain('phone')
    const list = p.cli(['backups'])
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/dev\.db\.backup_\d{8}_\d{6}/)
    const refused = p.cli(['restore'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/no terminal to ask/)
    const r = p.cli(['restore', '--yes'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/restored dev\.db\.backup_/)
    expect(p.columns('users')).not.toContain('phone')
    expect(p.all('SELECT status FROM _migration_history ORDER BY id')).toEqual([{ status: 'success' }, { status: 'restored' }])
    expect(readdirSync(p.root, { recursive: true }).map(String).filter((f) => f.includes('.backup_')).length).toBe(2) // plus the pre-restore copy
    expect(p.cli(['restore', 'nope.backup_1', '--yes']).stderr).toMatch(/no backup named nope\.backup_1/)
  })

  it('history --limit and --json; failures show their error', () => {
    const p = blog()
    p.cli(['apply'])
    // Two posts with one title, then a model that makes titles unique: the apply fails and rolls back.
    p.sql("INSERT INTO users (id, email, createdAt) VALUES (1, 'a@x', 0); INSERT INTO posts (title, authorId) VALUES ('same', 1), ('same', 1)")
    p.write('model/posts.ts', POSTS_MODEL.replace('title: text().notNull(),', 'title: text().notNull().unique(),'))
    expect(p.cli(['apply']).code).toBe(1)
    const h = p.cli(['history', '--limit', '1'])
    expect(h.stdout).toMatch(/❌ .* rolled_back/)
    expect(h.stdout).toMatch(/error \(apply\): .*[Uu]nique constraint/)
    expect(h.stdout).not.toMatch(/success/)
    const json = JSON.parse(p.cli(['history', '--json']).stdout)
    expect(json.entries.map((e: { status: string }) => e.status)).toEqual(['rolled_back', 'success'])
    expect(p.cli(['history', '--limit', 'x']).code).toBe(1)
  })

  it('generate writes the schema only; --status and --history work like the original tool', () => {
    const p = blog()
    const g = p.cli(['generate'])
    expect(g.code).toBe(0)
    expect(g.stdout).toMatch(/wrote prisma\/schema\.prisma \(2 models\)/)
    expect(p.read('prisma/schema.prisma')).toContain('model User {')
    expect(p.cli(['generate']).stdout).toMatch(/unchanged/)
    expect(readdirSync(p.root)).not.toContain('dev.db')
    expect(p.cli(['--status']).stdout).toMatch(/pending {3}\d+ change/)
    expect(p.cli(['--history']).stdout).toMatch(/No migrations recorded yet/)
  })

  it('--help on every command; errors exit 1 with a message; --json errors are JSON', () => {
    const p = blog()
    for (const command of ['apply', 'preview', 'check', 'status', 'history', 'backups', 'restore', 'generate']) {
      const r = p.cli([command, '--help'])
      expect(r.code, command).toBe(0)
      expect(r.stdout).toContain(`migrate-plugin ${command}`)
      expect(r.stdout).toContain('--config')
    }
    expect(p.cli(['--help']).stdout).toMatch(/Commands:[\s\S]*preview[\s\S]*restore/)
    const unknown = p.cli(['apply', '--bogus'])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/Unknown option "--bogus" for apply/)
    const badConf = p.cli(['check', '--config', 'missing.conf'])
    expect(badConf.code).toBe(1)
    expect(badConf.stderr).toMatch(/config file missing\.conf does not exist/)
    const json = JSON.parse(p.cli(['check', '--config', 'missing.conf', '--json']).stdout)
    expect(json).toMatchObject({ ok: false, error: { code: 'CONFIG', message: expect.stringContaining('missing.conf') } })
    p.write('model/broken.ts', 'export const x = (\n')
    const broken = p.cli(['apply'])
    expect(broken.code).toBe(1)
    expect(broken.stderr).toMatch(/model\/broken\.ts:\d+:\d+: the model file failed to load/)
  })

  it('require_confirmation without a TTY refuses unless --yes', () => {
    const p = blog('[safety]\nrequire_confirmation = true\n')
    const r = p.cli(['apply'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/no terminal to ask/)
    expect(p.cli(['apply', '--yes']).code).toBe(0)
  })

  it('--no-backup / --force skip the backup', () => {
    const p = blog()
    p.cli(['apply'])
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
    expect(p.cli(['apply', '--force']).code).toBe(0)
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),\n  fax: text(),'))
    expect(p.cli(['apply', '--no-backup', '--no-verify']).code).toBe(0)
    expect(readdirSync(p.root, { recursive: true }).map(String).filter((f) => f.includes('.backup_'))).toEqual([])
  })
})
