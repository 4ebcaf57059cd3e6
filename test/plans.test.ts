import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import type { MigrateError } from '../plugin/core/errors.ts'
import { applyPlanFile, writePlan } from '../plugin/index.ts'
import { planStatements } from '../plugin/plans/statements.ts'
import { Project } from './helpers.ts'

/**
 * Reviewed plans (issue #11, part 2), on real SQLite files and real CLI runs: `plan` writes the
 * pending change as a file and changes nothing; `apply --plan` runs the file as written, in one
 * transaction after a backup, only where it started, and records it; `apply` and builds run the
 * pending plan files first, and require_plans refuses what no plan covers.
 */

const HEAD = "import { table, int, text, enumType } from 'migrate-plugin/model'\n"
const MODEL = 'model/users.ts'
const USERS = (name: string) => `${HEAD}export const users = table('users', { id: int().primaryKey({ autoIncrement: true }), email: text().notNull(), name: ${name} })\n`
const BACKFILL = `UPDATE "users" SET "name" = 'anon' WHERE "name" IS NULL;`

const projects: Project[] = []
afterAll(() => {
  for (const p of projects) rmSync(p.root, { recursive: true, force: true })
})

async function start(files: Record<string, string>, rows = ''): Promise<Project> {
  const p = new Project(files)
  projects.push(p)
  expect((await p.migrate()).outcome).toBe('applied')
  if (rows) p.sql(rows)
  return p
}

/** Users with NULL names, and a model that now requires a name without a default. */
async function nullNames(): Promise<Project> {
  const p = await start({ [MODEL]: USERS('text()') }, "INSERT INTO users (email, name) VALUES ('a@x', 'Ann'), ('b@x', NULL), ('c@x', NULL)")
  p.write(MODEL, USERS('text().notNull()'))
  return p
}

function planPath(p: Project, stdout: string): string {
  const m = /wrote the plan (\S+\.sql)/.exec(stdout)
  expect(m, stdout).not.toBeNull()
  return join(p.root, m![1]!)
}

/** Put the backfill right before the generated SQL (the first line that is not a comment). */
function insertBeforeSql(file: string, sql: string): void {
  const lines = readFileSync(file, 'utf8').split('\n')
  const at = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('--'))
  lines.splice(at, 0, sql)
  writeFileSync(file, lines.join('\n'))
}

const backups = (p: Project) => (existsSync(join(p.root, 'backups')) ? readdirSync(join(p.root, 'backups')) : [])
const historyRows = (p: Project) => p.all<{ status: string, description: string, sql: string, steps: string }>('SELECT status, description, sql, steps FROM _migration_history ORDER BY id')

describe('the motivating case: a column made required over NULLs', () => {
  it('apply refuses; plan writes a marked file and changes nothing; the edited plan applies with every row kept; check is then in sync', async () => {
    const p = await nullNames()
    const before = p.hash()
    const refused = p.cli(['apply'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/cannot/i)
    expect(p.hash()).toBe(before)

    const planned = p.cli(['plan', '--name', 'require user names'])
    expect(planned.code, planned.stderr).toBe(0)
    expect(p.hash(), 'plan changes nothing in the database').toBe(before)
    const file = planPath(p, planned.stdout)
    expect(file).toMatch(/migrations\/\d{14}_require_user_names\.sql$/)
    const text = readFileSync(file, 'utf8')
    expect(text.startsWith('-- migrate-plugin plan')).toBe(true)
    expect(text).toMatch(/^-- from database fingerprint: [0-9a-f]{64}$/m)
    expect(text).toMatch(/^-- to schema hash: \S+$/m)
    expect(text).toMatch(/^-- object: table users [0-9a-f]{12}$/m)
    expect(text).toContain(`(${MODEL})`)
    expect(text).toMatch(/!! CANNOT RUN AS WRITTEN: .*name/)
    expect(text).toContain('CREATE TABLE "new_users"')

    // Unedited, the plan fails on the NULLs: rolled back, the statement's line named, the attempt recorded.
    const failed = p.cli(['apply', '--plan', file])
    expect(failed.code).toBe(1)
    const insertLine = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.startsWith('INSERT INTO "new_users"')) + 1
    expect(failed.stderr).toContain(`migrations/${file.split('/').pop()}:${insertLine}`)
    expect(failed.stderr).toMatch(/NOT NULL/)
    expect(p.all('SELECT email, name FROM users ORDER BY id')).toEqual([{ email: 'a@x', name: 'Ann' }, { email: 'b@x', name: null }, { email: 'c@x', name: null }])
    expect(historyRows(p).at(-1)).toMatchObject({ status: 'rolled_back' })

    insertBeforeSql(file, BACKFILL)
    const applied = p.cli(['apply', '--plan', file])
    expect(applied.code, applied.stderr).toBe(0)
    expect(applied.stdout).toContain('applied the plan')
    expect(p.all('SELECT email, name FROM users ORDER BY id')).toEqual([{ email: 'a@x', name: 'Ann' }, { email: 'b@x', name: 'anon' }, { email: 'c@x', name: 'anon' }])
    expect(p.all<{ notnull: number }>("SELECT \"notnull\" FROM pragma_table_info('users') WHERE name = 'name'")[0]!.notnull).toBe(1)
    expect(p.cli(['check']).code).toBe(0)
    // Recorded: the file's name and hash, and its SQL exactly as applied (the edit included).
    const row = historyRows(p).at(-1)!
    expect(row.status).toBe('success')
    expect(row.sql).toBe(readFileSync(file, 'utf8'))
    expect(row.sql).toContain(BACKFILL)
    expect(row.description).toContain(file.split('/').pop()!)
    // The step in words is read through the file's `-- !!` mark above its statement.
    expect(row.description).toContain('redefine table users: name becomes required')
    expect(JSON.parse(row.steps)[0].description).toMatch(new RegExp(`^plan file ${file.split('/').pop()!.replace('.', '\\.')} \\(sha256 [0-9a-f]{64}\\)$`))
    expect(backups(p).length).toBeGreaterThan(0)
  })
})

describe('enum values the models no longer list', () => {
  const ROLES = (values: string) => `${HEAD}const role = enumType('Role', [${values}])\nexport const members = table('members', { id: int().primaryKey({ autoIncrement: true }), role: role() })\n`

  it('apply refuses the rows still holding a removed value; a plan with an UPDATE moves them and applies', async () => {
    const p = await start({ 'model/members.ts': ROLES("'admin', 'staff', 'guest'") }, "INSERT INTO members (role) VALUES ('admin'), ('guest'), ('guest')")
    p.write('model/members.ts', ROLES("'admin', 'staff'"))
    const before = p.hash()
    const refused = p.cli(['apply', '--json'])
    expect(refused.code).toBe(1)
    expect(JSON.parse(refused.stdout).error.code).toBe('GUARD_DATA_LOSS')

    const planned = p.cli(['plan', '--json'])
    expect(planned.code, planned.stderr).toBe(0)
    const doc = JSON.parse(planned.stdout)
    expect(doc).toMatchObject({ ok: true, command: 'plan', outcome: 'pending', pendingPlans: [] })
    expect(p.hash()).toBe(before)
    const text = readFileSync(doc.path, 'utf8')
    expect(text).toMatch(/!! LOSES DATA: members\.role has 2 row\(s\) holding 'guest'/)
    expect(text).toContain('move those rows with an UPDATE here')
    // As written (no UPDATE), the rows still hold 'guest': the database does not match the models.
    const unedited = p.cli(['apply', '--plan', doc.path])
    expect(unedited.code).toBe(1)
    expect(unedited.stderr).toContain('still differs from the models')
    expect(unedited.stderr).toContain("members.role off values enum Role no longer has ('guest')")
    expect(p.all('SELECT role FROM members ORDER BY id')).toEqual([{ role: 'admin' }, { role: 'guest' }, { role: 'guest' }])

    insertBeforeSql(doc.path, `UPDATE "members" SET "role" = 'staff' WHERE "role" = 'guest';`)
    const applied = p.cli(['apply', '--plan', doc.path, '--json'])
    expect(applied.code, applied.stderr).toBe(0)
    expect(JSON.parse(applied.stdout).plans[0].file).toBe(doc.path)
    expect(p.all('SELECT role FROM members ORDER BY id')).toEqual([{ role: 'admin' }, { role: 'staff' }, { role: 'staff' }])
    expect(p.cli(['check']).code).toBe(0)
  })
})

describe('plan', () => {
  it('in sync: no file, exit 0, says so', async () => {
    const p = await start({ [MODEL]: USERS('text()') })
    const r = p.cli(['plan'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('nothing to plan')
    expect(existsSync(join(p.root, 'migrations'))).toBe(false)
  })

  it('a database that does not exist is not created: the plan creates the tables when applied', async () => {
    const p = new Project({ [MODEL]: USERS('text()') })
    projects.push(p)
    const r = p.cli(['plan', '--name', 'init'])
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(p.dbPath)).toBe(false)
    const file = planPath(p, r.stdout)
    expect(readFileSync(file, 'utf8')).toContain('--   (empty database)')
    expect(p.cli(['apply', '--plan', file]).code).toBe(0)
    expect(p.tables()).toEqual(['_migration_history', 'users'])
    expect(p.cli(['check']).code).toBe(0)
  })

  it('plans_directory is relative to the config file; the default slug comes from the steps; a name is sanitized', async () => {
    const p = await start({ [MODEL]: USERS('text()'), 'migration.conf': '[migration]\nplans_directory = db/plans\n' })
    p.write(MODEL, USERS('text(), nickname: text()'))
    const r = p.cli(['plan'])
    expect(r.code, r.stderr).toBe(0)
    expect(readdirSync(join(p.root, 'db/plans'))).toEqual([expect.stringMatching(/^\d{14}_add_column_users_nickname\.sql$/)])
    const named = p.cli(['plan', '--name', '../../etc/Pässwd; DROP TABLE x'])
    expect(named.code, named.stderr).toBe(0)
    expect(readdirSync(join(p.root, 'db/plans'))).toContainEqual(expect.stringMatching(/^\d{14}_etc_passwd_drop_table_x\.sql$/))
    const empty = p.cli(['plan', '--name', '!!!'])
    expect(empty.code).toBe(1)
    expect(empty.stderr).toContain('--name')
    expect(readdirSync(join(p.root, 'db/plans'))).toHaveLength(2)
  })

  it('two plans in the same second do not collide, and the later one sorts after', async () => {
    const p = await start({ [MODEL]: USERS('text()') })
    p.write(MODEL, USERS('text(), nickname: text()'))
    const now = new Date('2030-01-02T03:04:05Z')
    const first = await writePlan({ root: p.root, env: {}, now, name: 'zeta' })
    const second = await writePlan({ root: p.root, env: {}, now, name: 'alpha' })
    const third = await writePlan({ root: p.root, env: {}, now, name: 'alpha' })
    expect(first.path).toMatch(/20300102030405_zeta\.sql$/)
    expect(second.path).toMatch(/20300102030406_alpha\.sql$/)
    expect(third.path).toMatch(/20300102030407_alpha\.sql$/)
    // None of them applied: each later plan says which are still pending (it starts from the database without them).
    expect(third.pendingPlans).toEqual([first.path, second.path])
    expect(readdirSync(join(p.root, 'migrations')).sort()).toEqual(['20300102030405_zeta.sql', '20300102030406_alpha.sql', '20300102030407_alpha.sql'])
  })
})

describe('apply --plan refuses, changing nothing and leaving no backup', () => {
  async function planned(): Promise<{ p: Project, file: string }> {
    const p = await start({ [MODEL]: USERS('text()') }, "INSERT INTO users (email, name) VALUES ('a@x', 'Ann')")
    p.write(MODEL, USERS('text(), nickname: text()'))
    const r = p.cli(['plan'])
    expect(r.code, r.stderr).toBe(0)
    return { p, file: planPath(p, r.stdout) }
  }

  function refuses(p: Project, args: string[], code: string): { message: string, hint: string } {
    const before = p.hash()
    const backupsBefore = backups(p)
    const r = p.cli([...args, '--json'])
    expect(r.code, r.stderr).toBe(1)
    const error = JSON.parse(r.stdout).error
    expect(error.code).toBe(code)
    expect(p.hash(), 'the database is byte-for-byte as it was').toBe(before)
    expect(backups(p), 'no backup is left behind').toEqual(backupsBefore)
    return error
  }

  it('when the database moved since the plan: names the table added and the table changed', async () => {
    const { p, file } = await planned()
    p.sql('CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT)')
    p.sql('CREATE INDEX users_name ON users (name)')
    const error = refuses(p, ['apply', '--plan', file], 'GUARD_PLAN_MOVED')
    expect(error.message).toContain('table audit was added')
    expect(error.message).toContain('table users changed')
    expect(error.hint).toContain('npx migrate-plugin plan')
    p.sql('DROP TABLE users')
    expect(refuses(p, ['apply', '--plan', file], 'GUARD_PLAN_MOVED').message).toContain('table users was removed')
  })

  it('when the plan was already applied (same name and content)', async () => {
    const { p, file } = await planned()
    expect(p.cli(['apply', '--plan', file]).code).toBe(0)
    const error = refuses(p, ['apply', '--plan', file], 'GUARD_PLAN_APPLIED')
    expect(error.message).toContain(file.split('/').pop()!)
    // A restore that undid it puts the database back where the plan started: it may run again.
    expect(p.cli(['restore', '--yes']).code).toBe(0)
    expect(p.columns('users')).not.toContain('nickname')
    const again = p.cli(['apply', '--plan', file])
    expect(again.code, again.stderr).toBe(0)
    expect(p.columns('users')).toContain('nickname')
  })

  it('a file that is not a plan, or that would end the transaction, names the file and line', async () => {
    const { p, file } = await planned()
    writeFileSync(join(p.root, 'other.sql'), 'ALTER TABLE users ADD COLUMN nickname TEXT;\n')
    expect(refuses(p, ['apply', '--plan', 'other.sql'], 'PLAN').message).toContain('other.sql:1: not a plan')
    expect(refuses(p, ['apply', '--plan', 'missing.sql'], 'PLAN').message).toContain('does not exist')
    const text = readFileSync(file, 'utf8')
    writeFileSync(file, `${text}COMMIT;\n`)
    const line = text.split('\n').length
    expect(refuses(p, ['apply', '--plan', file], 'PLAN').message).toMatch(new RegExp(`${file.split('/').pop()!.replace('.', '\\.')}:${line}: COMMIT without a BEGIN`))
    writeFileSync(file, text.replace(/^-- from database fingerprint: .*$/m, '-- from database fingerprint: nope'))
    expect(refuses(p, ['apply', '--plan', file], 'PLAN').message).toContain('is not a SHA-256')
  })

  it('a statement that would end the transaction is refused whatever surrounds it: comments, AND CHAIN, PREPARED, ROLLBACK in any form', async () => {
    const { p, file } = await planned()
    const text = readFileSync(file, 'utf8')
    const at = text.search(/^-- (AlterTable|RedefineTables|CreateTable)$/m)
    expect(at).toBeGreaterThan(0)
    // The DELETE goes on this line, the statement after it.
    const line = text.slice(0, at).split('\n').length
    const cases: [string, RegExp][] = [
      ['COMMIT /* done with the backfill */;', /COMMIT without a BEGIN would commit the plan half-way/],
      ['/* first */ commit -- then the rest\n;', /COMMIT without a BEGIN/],
      ['COMMIT AND CHAIN;', /COMMIT AND CHAIN without a BEGIN/],
      ['BEGIN;\nUPDATE users SET name = name;\nCOMMIT AND CHAIN;', /COMMIT AND CHAIN would commit the plan half-way/],
      ['END TRANSACTION -- done\n;', /END TRANSACTION without a BEGIN/],
      ['ROLLBACK AND CHAIN;', /ROLLBACK AND CHAIN would undo/],
      ['ROLLBACK /* all */;', /ROLLBACK would undo/],
      ['COMMIT PREPARED \'x\';', /COMMIT PREPARED 'X'/],
      ['PREPARE TRANSACTION \'x\';', /PREPARE TRANSACTION would hand/],
    ]
    for (const [statement, message] of cases) {
      // A data change before it: were the statement run, that change would be committed for good.
      writeFileSync(file, `${text.slice(0, at)}DELETE FROM users;\n${statement}\n${text.slice(at)}`)
      const error = refuses(p, ['apply', '--plan', file], 'PLAN')
      expect(error.message, statement).toMatch(message)
      const offset = statement.startsWith('BEGIN') ? 2 : 0
      expect(error.message, statement).toContain(`:${line + 1 + offset}:`)
    }
    expect(p.all('SELECT count(*) AS n FROM users')[0]).not.toEqual({ n: 0 })
    // A file an editor saved in Latin-1: its values would reach the rows as U+FFFD.
    writeFileSync(file, Buffer.concat([Buffer.from(`${text.slice(0, at)}UPDATE users SET name = 'caf`), Buffer.from([0xe9]), Buffer.from(`';\n${text.slice(at)}`)]))
    expect(refuses(p, ['apply', '--plan', file], 'PLAN').message).toMatch(new RegExp(`:${line}: the plan file is not UTF-8 \\(byte 0xE9\\)`))
    // A savepoint of the plan's own, and a rollback to it, keep the run's transaction open: allowed.
    writeFileSync(file, `${text.slice(0, at)}SAVEPOINT mine;\nDELETE FROM users;\nROLLBACK TO SAVEPOINT mine;\nRELEASE mine;\nUPDATE "users" SET "name" = 'anon' WHERE "name" IS NULL;\n${text.slice(at)}`)
    const r = p.cli(['apply', '--plan', file])
    expect(r.code, r.stderr).toBe(0)
    expect(p.all<{ n: number }>('SELECT count(*) AS n FROM users WHERE name IS NULL')[0]!.n).toBe(0)
    expect(p.all<{ n: number }>('SELECT count(*) AS n FROM users')[0]!.n).toBeGreaterThan(0)
  })
})

describe('apply --plan runs the file as written', () => {
  it('a failing statement is rolled back, named by file and line, and recorded as a failed run', async () => {
    const p = await start({ [MODEL]: USERS('text()') }, "INSERT INTO users (email, name) VALUES ('a@x', 'Ann')")
    p.write(MODEL, USERS('text(), nickname: text()'))
    const file = planPath(p, p.cli(['plan']).stdout)
    insertBeforeSql(file, 'UPDATE "users" SET "nme" = 1;')
    const line = readFileSync(file, 'utf8').split('\n').indexOf('UPDATE "users" SET "nme" = 1;') + 1
    const r = p.cli(['apply', '--plan', file, '--json'])
    expect(r.code).toBe(1)
    const error = JSON.parse(r.stdout).error
    expect(error.code).toBe('APPLY')
    expect(error.location).toEqual({ file, line })
    expect(error.message).toContain(`${file.split('/').pop()}:${line}: the statement \`UPDATE "users" SET "nme" = 1\` failed`)
    expect(error.message).toContain('no such column: nme')
    expect(error.message).toContain('rolled back')
    expect(p.columns('users')).not.toContain('nickname')
    const last = historyRows(p).at(-1)!
    expect(last.status).toBe('rolled_back')
    expect(last.sql).toContain('"nme"')
    expect(JSON.parse(last.steps)[0].description).toMatch(/^plan file .* \(sha256 [0-9a-f]{64}\)$/)
  })

  it('a plan that does not lead to the models is rolled back, saying what still differs', async () => {
    const p = await start({ [MODEL]: USERS('text()') })
    p.write(MODEL, USERS('text(), nickname: text(), bio: text()'))
    const file = planPath(p, p.cli(['plan']).stdout)
    writeFileSync(file, readFileSync(file, 'utf8').replace(/ALTER TABLE "users" ADD COLUMN "bio" TEXT;/, '-- removed in review'))
    const r = p.cli(['apply', '--plan', file])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('still differs from the models: add column users.bio')
    expect(p.columns('users')).not.toContain('nickname')
  })

  it('the review is the consent: a plan that drops a column with data applies without --accept-data-loss or a question', async () => {
    const p = await start({ [MODEL]: USERS('text(), nickname: text()') }, "INSERT INTO users (email, nickname) VALUES ('a@x', 'A')")
    p.write(MODEL, USERS('text()'))
    expect(p.cli(['apply']).code).toBe(1)
    const file = planPath(p, p.cli(['plan']).stdout)
    expect(readFileSync(file, 'utf8')).toMatch(/!! LOSES DATA/)
    p.write('migration.conf', '[safety]\nrequire_confirmation = true\n')
    const r = p.cli(['apply', '--plan', file])
    expect(r.code, r.stderr).toBe(0)
    expect(p.columns('users')).not.toContain('nickname')
    expect(p.all('SELECT email FROM users')).toEqual([{ email: 'a@x' }])
  })

  it('the SQL shown and planned says AUTOINCREMENT only where the model asks for it, as the run leaves the tables', async () => {
    const p = await start({ [MODEL]: USERS('text()') }, "INSERT INTO users (email, name) VALUES ('a@x', 'A')")
    p.write('model/tags.ts', "import { table, int, text } from 'migrate-plugin/model'\nexport const tags = table('tags', { id: int().primaryKey(), label: text() })\nexport const notes = table('notes', { id: int().primaryKey({ autoIncrement: true }), body: text() })\n")
    const preview = p.cli(['preview'])
    expect(preview.stdout).toMatch(/CREATE TABLE "tags" \(\n\s+"id" INTEGER NOT NULL PRIMARY KEY,/)
    expect(preview.stdout).toMatch(/CREATE TABLE "notes" \(\n\s+"id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,/)
    const file = planPath(p, p.cli(['plan']).stdout)
    expect(readFileSync(file, 'utf8')).toMatch(/CREATE TABLE "tags" \(\n\s+"id" INTEGER NOT NULL PRIMARY KEY,/)
    const r = p.cli(['apply', '--plan', file])
    expect(r.code, r.stderr).toBe(0)
    const created = p.all<{ name: string, sql: string }>("SELECT name, sql FROM sqlite_master WHERE name IN ('tags', 'notes') ORDER BY name")
    expect(created.map((t) => [t.name, /AUTOINCREMENT/.test(t.sql)])).toEqual([['notes', true], ['tags', false]])
    expect(p.cli(['check']).code).toBe(0)
  })

  it('what a plan does beyond the models is said: a table no model owns dropped, rows deleted (output and history)', async () => {
    const p = await start({ [MODEL]: USERS('text()') }, "INSERT INTO users (email, name) VALUES ('a@x', 'A'), ('b@x', 'B')")
    p.sql("CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT); INSERT INTO audit (what) VALUES ('x'), ('y')")
    p.write(MODEL, USERS('text(), nickname: text()'))
    const file = planPath(p, p.cli(['plan']).stdout)
    const text = readFileSync(file, 'utf8')
    writeFileSync(file, `${text}DROP TABLE audit;\n/* tidy */ DELETE FROM users WHERE email = 'b@x';\n`)
    const line = text.split('\n').length + 1
    const r = p.cli(['apply', '--plan', file])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain("! the plan's SQL: table audit was removed (no model says so)")
    expect(r.stdout).toContain(`! the plan's SQL deletes rows: ${file.slice(p.root.length + 1)}:${line}: DELETE FROM users WHERE email = 'b@x'`)
    const warnings = JSON.parse(p.cli(['history', '--json']).stdout).entries[0].warnings as string[]
    expect(warnings).toHaveLength(2)
    // The model's own change (the new column) is verified, not reported as beyond the models.
    expect(warnings.join('\n')).not.toContain('table users')
  })

  it('a history table made by an earlier version keeps its columns and takes the plan row', async () => {
    const p = new Project({ [MODEL]: USERS('text()') })
    projects.push(p)
    // 0.1's table: the same eighteen columns, and a row of its own.
    p.sql(`CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL, name TEXT);
      CREATE TABLE _migration_history ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "migration_id" TEXT NOT NULL UNIQUE, "started_at" TEXT NOT NULL, "finished_at" TEXT NOT NULL,
        "status" TEXT NOT NULL, "description" TEXT NOT NULL, "steps" TEXT NOT NULL, "model_files" TEXT NOT NULL, "schema_hash" TEXT NOT NULL, "db_fingerprint" TEXT,
        "sql" TEXT NOT NULL, "warnings" TEXT NOT NULL, "error" TEXT, "failed_step" TEXT, "backup_path" TEXT, "duration_ms" INTEGER NOT NULL, "trigger" TEXT NOT NULL, "tool_version" TEXT NOT NULL);
      INSERT INTO _migration_history (migration_id, started_at, finished_at, status, description, steps, model_files, schema_hash, sql, warnings, duration_ms, trigger, tool_version)
        VALUES ('old', '2025-01-01T00:00:00Z', '2025-01-01T00:00:01Z', 'success', 'create table users', '[]', '[]', 'x', '', '[]', 5, 'cli', '0.1.0');`)
    const columns = p.all('SELECT * FROM pragma_table_info(\'_migration_history\')')
    p.write(MODEL, USERS('text(), nickname: text()'))
    const file = planPath(p, p.cli(['plan']).stdout)
    expect(p.cli(['apply', '--plan', file]).code).toBe(0)
    expect(p.all('SELECT * FROM pragma_table_info(\'_migration_history\')')).toEqual(columns)
    const history = JSON.parse(p.cli(['history', '--json']).stdout).entries
    expect(history.map((e: { migrationId: string }) => e.migrationId)).toContain('old')
    expect(history[0].steps[0].description).toMatch(/^plan file /)
  })

  it('the programmatic API: writePlan then applyPlanFile', async () => {
    const p = await start({ [MODEL]: USERS('text()') })
    p.write(MODEL, USERS('text(), nickname: text()'))
    const written = await writePlan({ root: p.root, env: {} })
    expect(written.outcome).toBe('written')
    const result = await applyPlanFile(written.path!, { root: p.root, env: {} })
    expect(result.outcome).toBe('applied')
    expect(result.plans?.[0]).toMatchObject({ file: written.path })
    expect(p.columns('users')).toContain('nickname')
    expect((await p.migrate()).outcome).toBe('in-sync')
  })
})

describe('deploys: apply and builds run the pending plan files first', () => {
  /**
   * A developer's project: plan 1 (a backfill, then name required) and plan 2 (a new column), each
   * planned and applied in turn on dev.db; prod.db is a copy of dev.db from before plan 1.
   */
  async function twoPlans(): Promise<{ p: Project, first: string, second: string }> {
    const p = await nullNames()
    p.write(MODEL, USERS('text()'))
    p.sql("INSERT INTO users (email, name) VALUES ('z@x', NULL)")
    p.write('prod.db', '')
    const db = p.db()
    await db.backup(join(p.root, 'prod.db'))
    db.close()
    p.write(MODEL, USERS('text().notNull()'))
    const first = planPath(p, p.cli(['plan', '--name', 'require names']).stdout)
    insertBeforeSql(first, BACKFILL)
    expect(p.cli(['apply', '--plan', first]).code).toBe(0)
    p.write(MODEL, USERS("text().notNull(), nickname: text()"))
    const second = planPath(p, p.cli(['plan', '--name', 'nickname']).stdout)
    expect(p.cli(['apply', '--plan', second]).code).toBe(0)
    expect(first < second).toBe(true)
    return { p, first, second }
  }
  const prod = { DATABASE_URL: './prod.db' }
  const prodRows = (p: Project) => {
    const db = new Database(join(p.root, 'prod.db'), { readonly: true })
    try {
      return {
        users: db.prepare('SELECT email, name FROM users ORDER BY id').all(),
        history: db.prepare("SELECT status, steps FROM _migration_history WHERE steps LIKE '%plan file%' ORDER BY id").all() as { status: string, steps: string }[],
        columns: (db.prepare("SELECT name FROM pragma_table_info('users')").all() as { name: string }[]).map((c) => c.name),
      }
    } finally {
      db.close()
    }
  }

  it('`apply` runs the pending plans in file-name order, each with its own history row, then is in sync; a second apply does nothing', async () => {
    const { p, first, second } = await twoPlans()
    const status = p.cli(['status'], prod)
    expect(status.code, status.stderr).toBe(0)
    expect(status.stdout).toContain(`2 not yet applied: migrations/${first.split('/').pop()}, migrations/${second.split('/').pop()}`)
    const r = p.cli(['apply', '--json'], prod)
    expect(r.code, r.stderr).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.outcome).toBe('applied')
    expect(doc.plans.map((x: { file: string }) => x.file)).toEqual([first, second])
    const after = prodRows(p)
    expect(after.users).toEqual([{ email: 'a@x', name: 'Ann' }, { email: 'b@x', name: 'anon' }, { email: 'c@x', name: 'anon' }, { email: 'z@x', name: 'anon' }])
    expect(after.columns).toContain('nickname')
    expect(after.history.map((h) => [h.status, JSON.parse(h.steps)[0].description.split(' (sha256')[0]])).toEqual([
      ['success', `plan file ${first.split('/').pop()}`], ['success', `plan file ${second.split('/').pop()}`],
    ])
    expect(JSON.parse(p.cli(['status', '--json'], prod).stdout).pendingPlans).toEqual([])
    const again = p.cli(['apply', '--json'], prod)
    expect(again.code, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout)).toMatchObject({ outcome: 'in-sync' })
    expect(JSON.parse(again.stdout).plans).toBeUndefined()
  })

  it('a plan file changed after it was applied is refused by name; a checkout with \\r\\n line endings is not a change', async () => {
    const { p, first } = await twoPlans()
    writeFileSync(first, readFileSync(first, 'utf8').replace(/\n/g, '\r\n'))
    const crlf = p.cli(['apply', '--json'])
    expect(crlf.code, crlf.stdout).toBe(0)
    expect(JSON.parse(crlf.stdout).outcome).toBe('in-sync')
    writeFileSync(first, `${readFileSync(first, 'utf8')}\n-- an afterthought\n`)
    const r = p.cli(['apply', '--json'])
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'PLAN' })
    expect(JSON.parse(r.stdout).error.message).toContain('was changed after it was applied')
  })

  it('a vite build with build: apply runs the pending plans before the declarative change', async () => {
    const { p, first, second } = await twoPlans()
    p.write('src/index.js', 'export const answer = 42\n')
    // One more model change that no plan covers: declarative, after the plans.
    p.write(MODEL, USERS("text().notNull(), nickname: text(), bio: text()"))
    const { build } = await import('vite')
    const { default: migrate } = await import('../plugin/vite.ts')
    const previous = process.env.DATABASE_URL
    process.env.DATABASE_URL = './prod.db'
    try {
      await build({
        root: p.root, logLevel: 'silent', configFile: false, plugins: [migrate({ build: 'apply', root: p.root })],
        build: { outDir: join(p.root, 'dist'), lib: { entry: join(p.root, 'src/index.js'), formats: ['es'], fileName: 'index' } },
      })
    } finally {
      if (previous === undefined) delete process.env.DATABASE_URL
      else process.env.DATABASE_URL = previous
    }
    const after = prodRows(p)
    expect(after.history.map((h) => JSON.parse(h.steps)[0].description.split(' (sha256')[0])).toEqual([`plan file ${first.split('/').pop()}`, `plan file ${second.split('/').pop()}`])
    expect(after.columns).toEqual(['id', 'email', 'name', 'nickname', 'bio'])
    expect(after.users).toHaveLength(4)
  })

  it('require_plans: a change no plan covers is refused by apply and by the build, naming `npx migrate-plugin plan`; once planned, apply runs it', async () => {
    const p = await start({ [MODEL]: USERS('text()'), 'src/index.js': 'export const answer = 42\n' }, "INSERT INTO users (email) VALUES ('a@x')")
    p.write('migration.conf', '[migration]\nrequire_plans = true\n')
    p.write(MODEL, USERS('text(), nickname: text()'))
    const before = p.hash()
    const r = p.cli(['apply', '--json'])
    expect(r.code).toBe(1)
    const error = JSON.parse(r.stdout).error
    expect(error.code).toBe('GUARD_PLAN_REQUIRED')
    expect(error.message).toContain('add column users.nickname (model/users.ts)')
    expect(error.hint).toContain('npx migrate-plugin plan')
    expect(p.hash()).toBe(before)
    const { build } = await import('vite')
    const { default: migrate } = await import('../plugin/vite.ts')
    const failure = await build({
      root: p.root, logLevel: 'silent', configFile: false, plugins: [migrate({ build: 'apply', root: p.root })],
      build: { outDir: join(p.root, 'dist'), lib: { entry: join(p.root, 'src/index.js'), formats: ['es'], fileName: 'index' } },
    }).then(() => undefined, (e: unknown) => e as Error)
    expect(failure, 'the build fails').toBeDefined()
    expect(String(failure?.message)).toContain('npx migrate-plugin plan')
    expect(p.hash()).toBe(before)

    expect(p.cli(['plan']).code).toBe(0)
    const applied = p.cli(['apply'])
    expect(applied.code, applied.stderr).toBe(0)
    expect(p.columns('users')).toContain('nickname')
    expect(p.cli(['check']).code).toBe(0)
  })
})

describe('what a plan file may hold', () => {
  it('a plan that would break a foreign key is rolled back by the foreign-key check', async () => {
    const POSTS = `${HEAD}import { users } from './users.ts'\nexport const posts = table('posts', { id: int().primaryKey({ autoIncrement: true }), authorId: int().notNull().references(() => users.id) })\n`
    const p = await start({ [MODEL]: USERS('text()'), 'model/posts.ts': POSTS }, "INSERT INTO users (email) VALUES ('a@x'); INSERT INTO posts (authorId) VALUES (1)")
    p.write(MODEL, USERS('text(), nickname: text()'))
    const file = planPath(p, p.cli(['plan']).stdout)
    // Foreign keys are off inside the run's transaction (a rebuild needs that): the check after it must catch this.
    insertBeforeSql(file, 'DELETE FROM "users";')
    const r = p.cli(['apply', '--plan', file])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('break foreign keys')
    expect(p.all('SELECT email FROM users')).toEqual([{ email: 'a@x' }])
    expect(p.columns('users')).not.toContain('nickname')
  })

  it('a trigger with semicolons in its body, a BEGIN … COMMIT block and a byte-order mark run as written', async () => {
    const p = await start({ [MODEL]: USERS('text()') }, "INSERT INTO users (email) VALUES ('a@x')")
    p.write(MODEL, USERS('text(), nickname: text()'))
    const file = planPath(p, p.cli(['plan']).stdout)
    writeFileSync(file, `\uFEFF${readFileSync(file, 'utf8')}
CREATE TRIGGER users_nick AFTER INSERT ON users BEGIN
  UPDATE users SET nickname = 'new; one' WHERE id = NEW.id;
  UPDATE users SET name = 'x' WHERE id = NEW.id AND name IS NULL;
END;
BEGIN;
UPDATE "users" SET "nickname" = 'first';
COMMIT;
`)
    const r = p.cli(['apply', '--plan', file])
    expect(r.code, r.stderr).toBe(0)
    expect(p.all('SELECT nickname FROM users')).toEqual([{ nickname: 'first' }])
    p.sql("INSERT INTO users (email) VALUES ('b@x')")
    expect(p.all("SELECT nickname, name FROM users WHERE email = 'b@x'")).toEqual([{ nickname: 'new; one', name: 'x' }])
  })

  it('a dev server stays declarative and leaves plan files alone; a deploy then records the plan as reached, saying its SQL did not run', async () => {
    const p = await start({ [MODEL]: USERS('text()') })
    p.write(MODEL, USERS('text(), nickname: text()'))
    planPath(p, p.cli(['plan']).stdout)
    const { Runner } = await import('../plugin/bundlers/runner.ts')
    const report = await new Runner({ dev: 'apply', root: p.root }).run({ root: p.root, watch: true, trigger: 'vite-dev' })
    expect(report.result?.outcome).toBe('applied')
    expect(report.result?.plans).toBeUndefined()
    expect(p.columns('users')).toContain('nickname')
    expect(historyRows(p).some((r) => r.steps.includes('plan file'))).toBe(false)
    // The plan's database moved (the dev server applied the change): run on its own, the plan is refused by name…
    const file = join(p.root, 'migrations', readdirSync(join(p.root, 'migrations'))[0]!)
    const before = p.hash()
    const alone = p.cli(['apply', '--plan', file, '--json'])
    expect(alone.code).toBe(1)
    expect(JSON.parse(alone.stdout).error).toMatchObject({ code: 'GUARD_PLAN_MOVED' })
    expect(JSON.parse(alone.stdout).error.message).toMatch(/table users changed \(it already has the schema the plan leads to\)/)
    expect(p.hash()).toBe(before)
    // …while a deploy records it as reached, says that its SQL did not run, and does not stop on it again.
    const deploy = p.cli(['apply'])
    expect(deploy.code, deploy.stderr).toBe(0)
    expect(deploy.stderr).toContain('was not run: the database already had the schema it leads to')
    expect(historyRows(p).at(-1)).toMatchObject({ status: 'success', description: expect.stringContaining('not run') })
    const again = p.cli(['apply'])
    expect(again.code).toBe(0)
    expect(again.stderr).toBe('')
  })
})

describe('a plan file split into statements', () => {
  it('a SQLite trigger whose body holds CASE … END expressions is one statement, up to its own END', () => {
    const text = `CREATE TRIGGER t AFTER INSERT ON posts BEGIN
  UPDATE posts SET title = CASE WHEN new.title IS NULL THEN 'x' ELSE new.title END WHERE id = new.id;
  SELECT CASE 1 WHEN 1 THEN 2 END;
END -- the trigger's own
;
UPDATE posts SET title = 'y';
`
    const statements = planStatements(text, 'p.sql', 'sqlite')
    expect(statements.map((s) => s.line)).toEqual([1, 6])
    expect(statements[0]!.sql).toContain('SELECT CASE 1 WHEN 1 THEN 2 END')
    expect(statements[1]!.sql.trim()).toBe("UPDATE posts SET title = 'y'")
  })
})
