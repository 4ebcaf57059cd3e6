import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { BIN, Project, cleanEnv } from './helpers.ts'

/**
 * The data-loss question, asked through a real pseudo-terminal (util-linux `script`): what is
 * shown, what each answer does to the database, and when nobody is asked at all.
 */

const HEAD = "import { table, int, text, enumType } from 'migrate-plugin/model'\n"
const WITH_AGE = "export const users = table('users', { id: int().primaryKey({ autoIncrement: true }), name: text(), age: int() })\n"
const WITHOUT_AGE = "export const users = table('users', { id: int().primaryKey({ autoIncrement: true }), name: text() })\n"
const QUESTION = 'Apply and lose this data? [y/N]'

let project: Project | undefined
afterEach(() => {
  project?.remove()
  project = undefined
})

interface TtyRun {
  code: number
  output: string
  asked: boolean
}

/**
 * `migrate-plugin <args>` on a terminal. The answer is typed once the question is on screen;
 * `beforeAnswer` runs at that moment (another process writing while the person reads).
 */
function onTerminal(p: Project, args: string[], answer: string, options: { env?: NodeJS.ProcessEnv, beforeAnswer?: () => void, question?: string } = {}): Promise<TtyRun> {
  const question = options.question ?? QUESTION
  const env = { ...cleanEnv(), ...options.env }
  if (!options.env || !('CI' in options.env)) delete env.CI
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ')
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: p.root, env, stdio: ['pipe', 'pipe', 'pipe'] })
    let output = ''
    let asked = false
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no exit within 60 s; output so far:\n${output}`)) }, 60_000)
    const onData = (d: Buffer) => {
      output += d.toString()
      if (!asked && output.includes(question)) {
        asked = true
        try {
          options.beforeAnswer?.()
        } finally {
          child.stdin.write(answer)
        }
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('close', (code) => {
      clearTimeout(timer)
      // The terminal's own bytes (cursor moves, the echo) are not the tool's words.
      resolve({ code: code ?? -1, output: output.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, ''), asked })
    })
    // Nothing is typed unless asked: a run that does not ask must end on its own (stdin stays open, as on a real terminal).
  })
}

/** A project whose users table holds ages, and whose models just dropped the column. */
async function droppingAge(): Promise<Project> {
  const p = new Project({ 'model/m.ts': HEAD + WITH_AGE })
  project = p
  expect((await p.migrate()).outcome).toBe('applied')
  p.sql("INSERT INTO users (name, age) VALUES ('ann', 31), ('bob', 45), ('cy', 12), ('dee', NULL)")
  p.write('model/m.ts', HEAD + WITHOUT_AGE)
  return p
}

const backupsOf = (p: Project) => readdirSync(p.root, { recursive: true }).map(String).filter((n) => n.includes('.backup_'))
const successes = (p: Project) => p.all<{ description: string, warnings: string }>("SELECT description, warnings FROM _migration_history WHERE status = 'success' ORDER BY id")

describe('a change that loses data, on a terminal', () => {
  it('lists the real values, and "n" changes nothing', async () => {
    const p = await droppingAge()
    const before = p.hash()
    const historyBefore = successes(p)
    const run = await onTerminal(p, ['apply'], 'n\n')
    expect(run.asked).toBe(true)
    expect(run.output).toContain('This change would lose data:')
    expect(run.output).toContain('column users.age: 3 non-null value(s) will be dropped (e.g. 31, 45, 12)')
    expect(run.output).toContain('not confirmed: nothing was changed')
    expect(run.code).toBe(1)
    expect(p.hash(), 'byte-for-byte as it was').toBe(before)
    expect(p.columns('users')).toEqual(['id', 'name', 'age'])
    expect(successes(p)).toEqual(historyBefore)
    expect(backupsOf(p), 'the backup of a run that did nothing is not kept').toEqual([])
  })

  it('"y" applies that plan: the column is gone, every row kept, a history row and a backup written', async () => {
    const p = await droppingAge()
    const run = await onTerminal(p, ['apply'], 'y\n')
    expect(run.asked).toBe(true)
    expect(run.output).toContain('column users.age: 3 non-null value(s) will be dropped (e.g. 31, 45, 12)')
    expect(run.code, run.output).toBe(0)
    expect(run.output).toContain('applied 1 change(s)')
    expect(p.columns('users')).toEqual(['id', 'name'])
    expect(p.all('SELECT id, name FROM users ORDER BY id')).toEqual([{ id: 1, name: 'ann' }, { id: 2, name: 'bob' }, { id: 3, name: 'cy' }, { id: 4, name: 'dee' }])
    const last = successes(p).at(-1)!
    expect(last.description).toBe('redefine table users: drop column age')
    expect(JSON.parse(last.warnings)).toEqual(['You are about to drop the column `age` on the `users` table, which still contains 3 non-null values.'])
    expect(backupsOf(p)).toHaveLength(1)
  })

  it('a table with rows: each row shown, and dropped only after "y"', async () => {
    const p = new Project({ 'model/m.ts': HEAD + WITHOUT_AGE + "export const old_logs = table('old_logs', { id: int().primaryKey(), msg: text() })\n" })
    project = p
    expect((await p.migrate()).outcome).toBe('applied')
    p.sql("INSERT INTO old_logs (id, msg) VALUES (1, 'boot'), (2, 'halt'), (3, 'boot'), (4, 'x')")
    p.write('model/m.ts', HEAD + WITHOUT_AGE)
    p.write('migration.conf', '[migration]\ndrop_unmodelled_tables = true\n')
    const no = await onTerminal(p, ['apply'], 'n\n')
    expect(no.output).toContain("table old_logs: 4 row(s) will be dropped (e.g. (id 1, msg 'boot'), (id 2, msg 'halt'), (id 3, msg 'boot'), …)")
    expect(no.code).toBe(1)
    expect(p.tables()).toContain('old_logs')
    const yes = await onTerminal(p, ['apply'], 'y\n')
    expect(yes.code, yes.output).toBe(0)
    expect(p.tables()).not.toContain('old_logs')
    expect(successes(p).at(-1)!.description).toBe('drop table old_logs')
  })

  it('values the engine would rewrite are shown before and after', async () => {
    const p = new Project({ 'model/m.ts': HEAD + "export const people = table('people', { id: int().primaryKey({ autoIncrement: true }), age: text() })\n" })
    project = p
    expect((await p.migrate()).outcome).toBe('applied')
    p.sql("INSERT INTO people (age) VALUES (NULL), ('30'), (NULL)")
    p.write('model/m.ts', HEAD + "export const people = table('people', { id: int().primaryKey({ autoIncrement: true }), age: text().notNull().default('unknown') })\n")
    const run = await onTerminal(p, ['apply'], 'y\n')
    expect(run.output).toContain("column people.age: 2 value(s) will be rewritten (e.g. NULL → 'unknown', NULL → 'unknown')")
    expect(run.code, run.output).toBe(0)
    expect(p.all('SELECT age FROM people ORDER BY id')).toEqual([{ age: 'unknown' }, { age: '30' }, { age: 'unknown' }])
  })

  it('long text is cut, secrets are masked, control characters cannot reach the terminal', async () => {
    const p = new Project({ 'model/m.ts': HEAD + "export const users = table('users', { id: int().primaryKey({ autoIncrement: true }), note: text() })\n" })
    project = p
    expect((await p.migrate()).outcome).toBe('applied')
    const db = p.db()
    const insert = db.prepare('INSERT INTO users (note) VALUES (?)')
    insert.run('postgres://admin:hunter2secret@db.example.com:5432/app')
    insert.run('x'.repeat(500))
    insert.run('\x1b[2Jcleared')
    db.close()
    p.write('model/m.ts', HEAD + "export const users = table('users', { id: int().primaryKey({ autoIncrement: true }) })\n")
    const run = await onTerminal(p, ['apply'], 'n\n')
    expect(run.asked).toBe(true)
    const line = run.output.split('\n').find((l) => l.includes('column users.note'))!
    expect(line).toContain('3 non-null value(s) will be dropped')
    expect(line).not.toContain('hunter2secret')
    expect(line).toContain('***')
    expect(line).toContain(`'${'x'.repeat(39)}…' (500 chars)`)
    expect(line).not.toContain('x'.repeat(41))
    expect(line).toContain("'\\u001b[2Jcleared'")
    expect(run.output).not.toContain('\x1b[2J')
  })

  it('--yes answers ordinary questions, not this one', async () => {
    const p = await droppingAge()
    const before = p.hash()
    const run = await onTerminal(p, ['apply', '--yes'], 'n\n')
    expect(run.asked).toBe(true)
    expect(run.code).toBe(1)
    expect(p.hash()).toBe(before)
  })

  it('with require_confirmation on, the plan and then the loss are asked about, and "y" to both applies once', async () => {
    const p = await droppingAge()
    p.write('migration.conf', '[safety]\nrequire_confirmation = true\n')
    const env = { ...cleanEnv() }
    delete env.CI
    const answers = ['y\n', 'y\n']
    const command = [process.execPath, BIN, 'apply'].map((a) => `'${a}'`).join(' ')
    const result = await new Promise<{ code: number, output: string }>((resolve) => {
      const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: p.root, env })
      let output = ''
      let seen = 0
      child.stdout.on('data', (d: Buffer) => {
        output += d.toString()
        const questions = output.split('[y/N]').length - 1
        while (seen < questions && answers.length > 0) {
          seen++
          child.stdin.write(answers.shift()!)
        }
      })
      child.on('close', (code) => resolve({ code: code ?? -1, output }))
    })
    expect(result.output).toContain('Apply these changes? [y/N]')
    expect(result.output).toContain(QUESTION)
    expect(result.code, result.output).toBe(0)
    expect(p.columns('users')).toEqual(['id', 'name'])
    expect(successes(p)).toHaveLength(2)
  })
})

describe('the database changes while the question is open', () => {
  it('a row added meanwhile: "y" refuses instead of dropping data nobody was shown', async () => {
    const p = await droppingAge()
    const run = await onTerminal(p, ['apply'], 'y\n', {
      // The app writes while the person reads: the question holds no lock, so this must succeed.
      beforeAnswer: () => p.sql("INSERT INTO users (name, age) VALUES ('eve', 77)"),
    })
    expect(run.asked).toBe(true)
    expect(run.code).toBe(1)
    expect(run.output).toContain('what this run would lose is not what was confirmed')
    expect(p.columns('users')).toEqual(['id', 'name', 'age'])
    expect(p.all('SELECT age FROM users ORDER BY id')).toEqual([{ age: 31 }, { age: 45 }, { age: 12 }, { age: null }, { age: 77 }])
    expect(backupsOf(p)).toEqual([])
  })

  it('a value edited meanwhile (same count): refused too', async () => {
    const p = await droppingAge()
    const run = await onTerminal(p, ['apply'], 'y\n', { beforeAnswer: () => p.sql('UPDATE users SET age = 99 WHERE id = 3') })
    expect(run.code).toBe(1)
    expect(run.output).toContain('what this run would lose is not what was confirmed')
    expect(p.columns('users')).toEqual(['id', 'name', 'age'])
  })

  it('a change elsewhere in the database does not matter: "y" applies', async () => {
    const p = await droppingAge()
    const run = await onTerminal(p, ['apply'], 'y\n', { beforeAnswer: () => p.sql("INSERT INTO users (name) VALUES ('fay')") })
    expect(run.code, run.output).toBe(0)
    expect(p.columns('users')).toEqual(['id', 'name'])
    expect(p.all('SELECT name FROM users ORDER BY id').map((r) => r.name)).toEqual(['ann', 'bob', 'cy', 'dee', 'fay'])
  })
})

describe('nobody to ask: refused as before, pointing at --accept-data-loss', () => {
  it('stdin not a terminal', async () => {
    const p = await droppingAge()
    const before = p.hash()
    const run = p.cli(['apply'])
    expect(run.code).toBe(1)
    expect(run.stdout + run.stderr).not.toContain(QUESTION)
    expect(run.stderr).toContain('refusing to lose data: You are about to drop the column `age` on the `users` table')
    expect(run.stderr).toContain('--accept-data-loss')
    expect(p.hash()).toBe(before)
  })

  it('CI set, on a terminal', async () => {
    const p = await droppingAge()
    const before = p.hash()
    const run = await onTerminal(p, ['apply'], 'y\n', { env: { CI: 'true' } })
    expect(run.asked).toBe(false)
    expect(run.code).toBe(1)
    expect(run.output).toContain('--accept-data-loss')
    expect(p.hash()).toBe(before)
  })

  it('--json, on a terminal', async () => {
    const p = await droppingAge()
    const before = p.hash()
    const run = await onTerminal(p, ['apply', '--json'], 'y\n')
    expect(run.asked).toBe(false)
    expect(run.code).toBe(1)
    expect(JSON.parse(run.output.slice(run.output.indexOf('{'))).error.code).toBe('GUARD_DATA_LOSS')
    expect(p.hash()).toBe(before)
  })

  it('--accept-data-loss on a terminal applies without asking', async () => {
    const p = await droppingAge()
    const run = await onTerminal(p, ['apply', '--accept-data-loss'], 'n\n')
    expect(run.asked).toBe(false)
    expect(run.code, run.output).toBe(0)
    expect(p.columns('users')).toEqual(['id', 'name'])
  })
})

/**
 * Our own findings (values rewritten, enum values dropped, hand-written clauses a rebuild drops)
 * together with the engine's warnings (a cast, a dropped column or table with values): the question
 * lists both, and "y" applies, because the run after it sees exactly what was shown.
 */
describe('our findings and the engine\'s warnings in one question', () => {
  const T = (columns: string) => `export const t = table('t', { id: int().primaryKey(), ${columns} })\n`

  async function changing(before: string, rows: string, after: string, conf?: string): Promise<Project> {
    const p = new Project({ 'model/m.ts': HEAD + before })
    project = p
    expect((await p.migrate()).outcome).toBe('applied')
    p.sql(rows)
    p.write('model/m.ts', HEAD + after)
    if (conf) p.write('migration.conf', conf)
    return p
  }

  const rewriteAndCast = () => changing(T('a: text(), b: text()'), "INSERT INTO t (id, a, b) VALUES (1, '7', NULL)", T("a: int(), b: text().notNull().default('u')"))
  const lossLines = (output: string) => output.slice(output.indexOf('This change would lose data:'), output.indexOf('Its steps:')).split('\n').filter((l) => l.startsWith('  - '))

  it('a rewrite and a cast: both listed, "n" changes nothing', async () => {
    const p = await rewriteAndCast()
    const before = p.hash()
    const run = await onTerminal(p, ['apply'], 'n\n')
    expect(run.asked).toBe(true)
    const lines = lossLines(run.output)
    expect(lines, run.output).toHaveLength(2)
    expect(lines[0]).toContain("column t.b: 1 value(s) will be rewritten (e.g. NULL → 'u')")
    expect(lines[1]).toMatch(/^  - column t\.a: .*cast from `String` to `Int`.* \(e\.g\. '7'\)$/)
    expect(run.code).toBe(1)
    expect(run.output).toContain('not confirmed: nothing was changed')
    expect(p.hash()).toBe(before)
    expect(backupsOf(p)).toEqual([])
  })

  it('a rewrite and a cast: "y" applies', async () => {
    const p = await rewriteAndCast()
    const run = await onTerminal(p, ['apply'], 'y\n')
    expect(run.asked).toBe(true)
    expect(run.output).not.toContain('not what was confirmed')
    expect(run.code, run.output).toBe(0)
    expect(p.all('SELECT id, a, b FROM t')).toEqual([{ id: 1, a: 7, b: 'u' }])
    expect(backupsOf(p)).toHaveLength(1)
  })

  it('a rewrite and a cast: a value of the cast column edited meanwhile is refused', async () => {
    const p = await rewriteAndCast()
    const run = await onTerminal(p, ['apply'], 'y\n', { beforeAnswer: () => p.sql("UPDATE t SET a = 'seven' WHERE id = 1") })
    expect(run.code).toBe(1)
    expect(run.output).toContain('what this run would lose is not what was confirmed')
    expect(p.all('SELECT id, a, b FROM t')).toEqual([{ id: 1, a: 'seven', b: null }])
    expect(backupsOf(p)).toEqual([])
  })

  const ROLES = (values: string) => `const role = enumType('Role', [${values}])\n`
  const cases: { name: string, setup: () => Promise<Project>, shown: (string | RegExp)[], after: (p: Project) => void }[] = [
    {
      name: 'an enum value dropped and a cast',
      setup: () => changing(ROLES("'A', 'B'") + T('role: role(), n: text()'), "INSERT INTO t (id, role, n) VALUES (1, 'B', '5')", ROLES("'A'") + T('role: role(), n: int()')),
      shown: [/column t\.role: 1 row\(s\) hold values enum Role no longer allows \(e\.g\. 'B'\)/, /column t\.n: .*cast from `String` to `Int`/],
      after: (p) => expect(p.all('SELECT role, n FROM t')).toEqual([{ role: 'B', n: 5 }]),
    },
    {
      name: 'a CHECK and a COLLATE a rebuild drops, and a cast',
      setup: async () => {
        const p = new Project({ 'model/m.ts': HEAD + T('name: text(), age: text()') })
        project = p
        p.sql('CREATE TABLE "t" ("id" INTEGER NOT NULL PRIMARY KEY, "name" TEXT COLLATE NOCASE, "age" TEXT, CHECK (length("name") > 0)); INSERT INTO t (id, name, age) VALUES (1, \'Ada\', \'36\')')
        expect((await p.migrate()).outcome).toBe('in-sync')
        p.write('model/m.ts', HEAD + T('name: text(), age: int()'))
        return p
      },
      shown: ['rebuilding t drops CHECK (length("name") > 0)', 'rebuilding t drops COLLATE NOCASE', /column t\.age: .*cast from `String` to `Int`/],
      after: (p) => expect(p.all('SELECT name, age FROM t')).toEqual([{ name: 'Ada', age: 36 }]),
    },
    {
      name: 'a rewrite and a dropped column with values',
      setup: () => changing(T('a: text(), b: text()'), "INSERT INTO t (id, a, b) VALUES (1, 'x', NULL)", T("b: text().notNull().default('u')")),
      shown: ["column t.a: 1 non-null value(s) will be dropped (e.g. 'x')", "column t.b: 1 value(s) will be rewritten (e.g. NULL → 'u')"],
      after: (p) => expect(p.all('SELECT * FROM t')).toEqual([{ id: 1, b: 'u' }]),
    },
    {
      name: 'a rewrite and a dropped table with rows',
      setup: () => changing(T('b: text()') + "export const old = table('old', { id: int().primaryKey(), msg: text() })\n", "INSERT INTO t (id, b) VALUES (1, NULL); INSERT INTO old (id, msg) VALUES (1, 'boot')", T("b: text().notNull().default('u')"), '[migration]\ndrop_unmodelled_tables = true\n'),
      shown: ["table old: 1 row(s) will be dropped (e.g. (id 1, msg 'boot'))", "column t.b: 1 value(s) will be rewritten (e.g. NULL → 'u')"],
      after: (p) => {
        expect(p.tables()).not.toContain('old')
        expect(p.all('SELECT * FROM t')).toEqual([{ id: 1, b: 'u' }])
      },
    },
  ]

  for (const c of cases) {
    it(`${c.name}: all listed, and "y" applies`, async () => {
      const p = await c.setup()
      const run = await onTerminal(p, ['apply'], 'y\n')
      expect(run.asked).toBe(true)
      const lines = lossLines(run.output)
      expect(lines, run.output).toHaveLength(c.shown.length)
      for (const s of c.shown) expect(lines.some((l) => typeof s === 'string' ? l.includes(s) : s.test(l)), `${String(s)} in:\n${lines.join('\n')}`).toBe(true)
      expect(run.code, run.output).toBe(0)
      c.after(p)
    })
  }
})

describe('the plan changes while the question is open', () => {
  it('the question shows the steps; an index made meanwhile, which the rebuild would drop, makes "y" refuse', async () => {
    const p = await droppingAge()
    const run = await onTerminal(p, ['apply'], 'y\n', { beforeAnswer: () => p.sql('CREATE INDEX app_idx ON users (name)') })
    expect(run.asked).toBe(true)
    expect(run.output).toContain('Its steps:\n  redefine table users: drop column age')
    expect(run.code).toBe(1)
    expect(run.output).toContain('the plan changed after it was confirmed')
    expect(run.output).toContain('nothing was changed')
    expect(p.columns('users')).toEqual(['id', 'name', 'age'])
    expect(p.all("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'app_idx'")).toEqual([{ name: 'app_idx' }])
    expect(backupsOf(p)).toEqual([])
  })

  it('with require_confirmation on, the same: the steps confirmed are the steps applied', async () => {
    const p = await droppingAge()
    await p.migrate({ overrides: { allowDataLoss: true }, yes: true })
    p.write('model/m.ts', HEAD + WITHOUT_AGE.replace('name: text()', "name: text().notNull().default('x')"))
    const before = () => p.all("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")
    let shown: string[] = []
    const error = await p.migrate({
      overrides: { requireConfirmation: true },
      confirm: async (plan) => {
        shown = plan.steps.map((s) => s.description)
        p.sql('CREATE INDEX app_idx ON users (name)')
        return true
      },
    }).then(() => undefined, (e: unknown) => e)
    expect(shown.length).toBeGreaterThan(0)
    expect(error).toMatchObject({ code: 'GUARD_NOT_CONFIRMED', message: expect.stringContaining('the plan changed after it was confirmed') })
    expect(p.columns('users')).toEqual(['id', 'name'])
    expect(before()).toContainEqual({ name: 'app_idx' })
  })
})

describe('Ctrl-D or Ctrl-C at a question is a plain "no"', () => {
  for (const [key, byte] of [['Ctrl-D', '\x04'], ['Ctrl-C', '\x03']] as const) {
    it(`${key} at the data-loss question`, async () => {
      const p = await droppingAge()
      const before = p.hash()
      const run = await onTerminal(p, ['apply'], byte)
      expect(run.asked).toBe(true)
      expect(run.output).toContain('not confirmed: nothing was changed')
      expect(run.output).not.toMatch(/unexpected error|AbortError|    at /)
      expect(run.code).toBe(1)
      expect(p.hash()).toBe(before)
    })
  }

  it('Ctrl-D at the require_confirmation question', async () => {
    const p = await droppingAge()
    p.write('migration.conf', '[safety]\nrequire_confirmation = true\n')
    const before = p.hash()
    const run = await onTerminal(p, ['apply'], '\x04', { question: 'Apply these changes? [y/N]' })
    expect(run.asked).toBe(true)
    expect(run.output).toContain('not confirmed: nothing was changed')
    expect(run.output).not.toMatch(/unexpected error|AbortError|    at /)
    expect(run.code).toBe(1)
    expect(p.hash()).toBe(before)
  })

  it('Ctrl-C at restore\'s question', async () => {
    const p = await droppingAge()
    expect(p.cli(['apply', '--accept-data-loss']).code).toBe(0)
    const before = p.hash()
    const run = await onTerminal(p, ['restore'], '\x03', { question: '[y/N]' })
    expect(run.asked).toBe(true)
    expect(run.output).toContain('not confirmed: nothing was restored')
    expect(run.output).not.toMatch(/unexpected error|AbortError|    at /)
    expect(run.code).toBe(1)
    expect(p.hash()).toBe(before)
  })
})
