import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { escapeData, escapeProperty } from '../plugin/report/github.ts'
import { MAX_SQL_CHARS, resultMarkdown } from '../plugin/report/markdown.ts'
import { BIN, Project, REPO, cleanEnv, type CliResult } from './helpers.ts'
import { createRole, freshDatabase } from './postgres.ts'

/**
 * The CLI and a build run as GitHub Actions runs them (GITHUB_ACTIONS=true, a job summary file),
 * on real SQLite projects: the workflow commands are parsed back as GitHub parses them, and each
 * must point at a model line that says what changed.
 */

interface WorkflowCommand {
  level: string
  props: Record<string, string>
  message: string
}

/** GitHub's unescaping, the reverse of @actions/core's: `%25` last, so that `%250A` stays `%0A`. */
const unescapeData = (text: string) => text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
const unescapeProperty = (text: string) => text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%')

/** Every workflow command in `output`, one per line as the runner reads them. */
function workflowCommands(output: string): WorkflowCommand[] {
  return output.split('\n').flatMap((line) => {
    // The properties hold no ':' once escaped: the first '::' after them starts the message.
    const m = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line)
    if (!m) return []
    const props = Object.fromEntries((m[2] ?? '').split(',').filter(Boolean).map((p) => {
      const eq = p.indexOf('=')
      return [p.slice(0, eq), unescapeProperty(p.slice(eq + 1))]
    }))
    return [{ level: m[1]!, props, message: unescapeData(m[3]!) }]
  })
}

function githubEnv(p: Project, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { GITHUB_ACTIONS: 'true', CI: 'true', GITHUB_STEP_SUMMARY: join(p.root, 'summary.md'), GITHUB_WORKSPACE: p.root, ...extra }
}

const summaryOf = (p: Project) => readFileSync(join(p.root, 'summary.md'), 'utf8')

/** The line an annotation points at, read from the file it names (relative to the workspace). */
function annotatedLine(workspace: string, c: WorkflowCommand): string {
  const file = join(workspace, c.props.file!)
  expect(existsSync(file), `${c.props.file} exists`).toBe(true)
  const line = Number(c.props.line)
  expect(Number.isInteger(line) && line >= 1, `line=${c.props.line}`).toBe(true)
  return readFileSync(file, 'utf8').split('\n')[line - 1]!
}

/** The SQL block of a summary: the fence opening it, and what it holds. */
function sqlBlock(markdown: string): { fence: string, sql: string } {
  const m = /<details><summary>SQL<\/summary>\n\n(`{3,})sql\n([\s\S]*?)\n\1\n\n<\/details>/.exec(markdown)
  expect(m, `an SQL block in:\n${markdown}`).not.toBeNull()
  return { fence: m![1]!, sql: m![2]! }
}

const USERS_V1 = `import { table, int, text } from 'migrate-plugin/model'

export const users = table('users', {
  id: int().primaryKey({ autoIncrement: true }),
  email: text().notNull(),
  name: text(),
})
`
const USERS_V2 = `import { table, int, text } from 'migrate-plugin/model'

// Who can sign in.
export const users = table('users', {
  id: int().primaryKey({ autoIncrement: true }),
  email: text().notNull(),
  phone: text(),
  name: text(),
})
`
const POSTS_V1 = `import { table, int, text } from 'migrate-plugin/model'

export const posts = table('posts', {
  id: int().primaryKey({ autoIncrement: true }),
  title: text().notNull(),
  legacy: text(),
})
`
const POSTS_V2 = `import { table, int, text } from 'migrate-plugin/model'

export const posts = table('posts', {
  id: int().primaryKey({ autoIncrement: true }),
  title: text().notNull(),
})
`
const TAGS_V1 = `import { table, int, text } from 'migrate-plugin/model'

export const tags = table('tags', {
  id: int().primaryKey({ autoIncrement: true }),
  label: text(),
  colour: text(),
})
`
const TAGS_V2 = `import { table, int, text } from 'migrate-plugin/model'

export const tags = table('tags', {
  id: int().primaryKey({ autoIncrement: true }),
  colour: text(),
  label: text().notNull().default('none'),
})
`
const COMMENTS = `import { table, int, text } from 'migrate-plugin/model'
import { posts } from './posts.ts'

/** Comments under a post. */
export const comments = table('comments', {
  id: int().primaryKey({ autoIncrement: true }),
  postId: int().notNull().references(() => posts.id),
  body: text().notNull(),
})
`

/** A project in step with v1, whose models then moved on: four steps, one per kind of place. */
async function pendingProject(): Promise<Project> {
  const p = new Project({ 'model/users.ts': USERS_V1, 'model/posts.ts': POSTS_V1, 'model/tags.ts': TAGS_V1 })
  await p.migrate()
  p.write('model/users.ts', USERS_V2).write('model/posts.ts', POSTS_V2).write('model/tags.ts', TAGS_V2)
  // A comma in a file name: GitHub's property syntax must not split it.
  p.write('model/comments,v2.ts', COMMENTS)
  return p
}

describe('check on GitHub Actions', () => {
  it('prints one ::error per pending step, on the model line that changed, and exits 2', async () => {
    const p = await pendingProject()
    const before = p.hash()
    const r = p.cli(['check'], githubEnv(p))
    expect(r.code, r.stderr).toBe(2)
    // stdout is the human result as before; the commands are on stderr, which GitHub reads too.
    expect(r.stdout).toMatch(/4 pending change\(s\) in dev\.db/)
    expect(workflowCommands(r.stdout)).toEqual([])
    const errors = workflowCommands(r.stderr)
    expect(errors.map((e) => e.level)).toEqual(['error', 'error', 'error', 'error'])
    const byStep = (words: RegExp) => {
      const found = errors.filter((e) => words.test(e.message))
      expect(found, `one annotation for ${words}: ${JSON.stringify(errors)}`).toHaveLength(1)
      return found[0]!
    }
    // A new column: its own line.
    const added = byStep(/^add column users\.phone: /)
    expect(added.props.file).toBe('model/users.ts')
    expect(annotatedLine(p.root, added)).toMatch(/^\s*phone: text\(\),$/)
    // A column made required (SQLite rebuilds the table): the column's line, not the table's.
    const required = byStep(/^redefine table tags: /)
    expect(required.props.file).toBe('model/tags.ts')
    expect(annotatedLine(p.root, required)).toMatch(/^\s*label: text\(\)\.notNull\(\)/)
    // A dropped column has no line left: the table's.
    const dropped = byStep(/^redefine table posts: drop column legacy/)
    expect(annotatedLine(p.root, dropped)).toMatch(/table\('posts'/)
    // A new table, in a file whose name holds a comma: the table() line.
    const created = byStep(/^create table comments: /)
    expect(created.props.file).toBe('model/comments,v2.ts')
    expect(annotatedLine(p.root, created)).toMatch(/table\('comments'/)
    for (const e of errors) {
      expect(e.props.title).toBe('migrate-plugin: pending change')
      expect(e.message).toMatch(/not yet in dev\.db\. Apply with: npx migrate-plugin apply$/)
    }
    expect(p.hash()).toBe(before)
  })

  it('appends a job summary with every step, its model file, the SQL and the command to apply', async () => {
    const p = await pendingProject()
    writeFileSync(join(p.root, 'summary.md'), '## an earlier step\n')
    const r = p.cli(['check'], githubEnv(p))
    expect(r.code, r.stderr).toBe(2)
    const summary = summaryOf(p)
    // Appended, never replacing what earlier steps wrote.
    expect(summary.startsWith('## an earlier step\n')).toBe(true)
    expect(summary).toMatch(/^### ❌ migrate-plugin: 4 pending change\(s\) in `dev\.db`$/m)
    const items = summary.split('\n').filter((line) => line.startsWith('- '))
    expect(items).toHaveLength(4)
    expect(items).toContainEqual(expect.stringMatching(/^- add column users\.phone — `model\/users\.ts:7`$/))
    expect(items).toContainEqual(expect.stringMatching(/^- create table comments — `model\/comments,v2\.ts:5`$/))
    expect(items).toContainEqual(expect.stringMatching(/^- redefine table posts: drop column legacy — `model\/posts\.ts:3`$/))
    expect(items).toContainEqual(expect.stringMatching(/^- redefine table tags: .* — `model\/tags\.ts:6`$/))
    const { fence, sql } = sqlBlock(summary)
    expect(fence).toBe('```')
    expect(sql).toContain('ALTER TABLE "users" ADD COLUMN "phone" TEXT;')
    expect(sql).toContain('CREATE TABLE "comments"')
    expect(summary).toContain('Apply with: `npx migrate-plugin apply`')
  })

  it('in sync: no annotation, and a one-line summary', async () => {
    const p = new Project({ 'model/users.ts': USERS_V1 })
    await p.migrate()
    const r = p.cli(['check'], githubEnv(p))
    expect(r.code, r.stderr).toBe(0)
    expect(workflowCommands(r.stdout + r.stderr)).toEqual([])
    expect(summaryOf(p)).toBe('✅ migrate-plugin: `dev.db` is in sync with the models\n\n')
  })

  it('names files relative to the repository root when the project is in a subfolder', async () => {
    const p = new Project({ 'app/model/users.ts': USERS_V1, 'app/migration.conf': '[database]\nurl = sqlite:///./app.db\n' })
    const run = (args: string[]): CliResult => {
      const r = spawnSync(process.execPath, [BIN, ...args], { cwd: join(p.root, 'app'), encoding: 'utf8', env: { ...cleanEnv(), ...githubEnv(p) }, timeout: 60_000 })
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
    }
    expect(run(['apply']).code).toBe(0)
    p.write('app/model/users.ts', USERS_V2)
    const r = run(['check'])
    expect(r.code, r.stderr).toBe(2)
    const [error] = workflowCommands(r.stderr)
    expect(error!.props.file).toBe('app/model/users.ts')
    expect(annotatedLine(p.root, error!)).toMatch(/phone: text\(\)/)
    expect(summaryOf(p)).toContain('`app/model/users.ts:7`')
  })

  it('a failing run is one ::error on the model line at fault, and the summary says why', () => {
    const p = new Project({
      'model/users.ts': `import { table, int, text } from 'migrate-plugin/model'

export const users = table('users', {
  id: int().primaryKey(),
  email: text(),
})

export const people = table('bad name', {
  id: int().primaryKey(),
})
`,
    })
    const r = p.cli(['check'], githubEnv(p))
    expect(r.code, r.stderr).toBe(1)
    expect(r.stderr).toMatch(/✖ migrate-plugin: model\/users\.ts:8: invalid table name "bad name"/)
    const [error, ...rest] = workflowCommands(r.stderr)
    expect(rest).toEqual([])
    expect(error!.level).toBe('error')
    expect(error!.props.title).toBe('migrate-plugin check failed (MODEL_INVALID)')
    expect(error!.props.file).toBe('model/users.ts')
    expect(annotatedLine(p.root, error!)).toMatch(/export const people = table\('bad name'/)
    // The hint follows the message on its own line, as the terminal shows it.
    expect(error!.message).toMatch(/^model\/users\.ts:8: invalid table name "bad name": [^\n]*\nuse letters, digits and underscores/)
    const summary = summaryOf(p)
    expect(summary).toMatch(/^### ❌ migrate-plugin check failed$/m)
    expect(summary).toContain('`model/users.ts:8`')
    expect(existsSync(p.dbPath)).toBe(false)
  })

  it('with --json, stdout stays one JSON document: the commands are on stderr', async () => {
    const p = await pendingProject()
    const r = p.cli(['check', '--json'], githubEnv(p))
    expect(r.code, r.stderr).toBe(2)
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, command: 'check', outcome: 'pending' })
    expect(workflowCommands(r.stderr)).toHaveLength(4)
    expect(summaryOf(p)).toMatch(/4 pending change\(s\)/)
  })

  it('annotates the first 50 steps and counts the rest in one more; the summary lists them all', () => {
    const count = 55
    const tables = Array.from({ length: count }, (_, i) => `export const t${i} = table('t${i}', { id: int().primaryKey() })`)
    const p = new Project({ 'model/many.ts': `import { table, int } from 'migrate-plugin/model'\n\n${tables.join('\n')}\n` })
    const r = p.cli(['check'], githubEnv(p))
    expect(r.code, r.stderr).toBe(2)
    const errors = workflowCommands(r.stderr)
    expect(errors).toHaveLength(51)
    for (const e of errors.slice(0, 50)) {
      const table = /^create table (t\d+): /.exec(e.message)![1]!
      expect(annotatedLine(p.root, e)).toContain(`table('${table}'`)
    }
    expect(errors[50]!.props.file).toBeUndefined()
    expect(errors[50]!.message).toMatch(/^and 5 more pending change\(s\) in dev\.db: see the job summary/)
    const summary = summaryOf(p)
    expect(summary).toMatch(/^### ❌ migrate-plugin: `dev\.db` does not exist; 55 table\(s\) would be created$/m)
    expect(summary.split('\n').filter((line) => /^- create table t\d+ — `model\/many\.ts:\d+`$/.test(line))).toHaveLength(count)
  })

  it('a renamed table and columns named apart from their keys land on their own lines', async () => {
    const p = new Project({ 'model/a.ts': `import { table, int } from 'migrate-plugin/model'\nexport const people = table('people', {\n  id: int().primaryKey(),\n})\n` })
    await p.migrate()
    p.write('model/a.ts', `import { table, int, text } from 'migrate-plugin/model'

export const members = table('members', {
  id: int().primaryKey(),
  status: text().default('nick_name'),
  nickName: text('nick_name'),
  email: text().map('e_mail'),
}, { renamedFrom: 'people' })
`)
    const r = p.cli(['check'], githubEnv(p))
    expect(r.code, r.stderr).toBe(2)
    const lines = Object.fromEntries(workflowCommands(r.stderr).map((e) => [e.message.split(':')[0], annotatedLine(p.root, e).trim()]))
    expect(lines).toEqual({
      'rename table people → members': "export const members = table('members', {",
      'add column members.nick_name': "nickName: text('nick_name'),",
      'add column members.e_mail': "email: text().map('e_mail'),",
      // A default that spells another column's name is a value, not a name.
      'add column members.status': "status: text().default('nick_name'),",
    })
  })

  it('comment lines above the import (as in the files pull writes) do not move the annotated lines', async () => {
    const header = `// Pulled from the database table "books" by \`npx migrate-plugin pull\`.
// Not said by this model (the database keeps it):
// - declared title NVARCHAR(120): the model's types match them as they are; a change that rebuilds
//   this table declares them as Prisma does (INTEGER, TEXT, DECIMAL, DATETIME, …), the values kept.
import { int, table, text } from 'migrate-plugin/model'

`
    const books = (extra: string) => `${header}export const books = table('books', {\n  id: int().primaryKey(),\n  title: text(),\n${extra}})\n`
    const p = new Project({ 'model/books.ts': books('') })
    await p.migrate()
    p.write('model/books.ts', books('  isbn: text(),\n'))
    p.write('model/shelves.ts', `${header.replace(/books/g, 'shelves')}// and one more line\nexport const shelves = table('shelves', {\n  id: int().primaryKey(),\n})\n`)
    const r = p.cli(['check', '--json'], githubEnv(p))
    expect(r.code, r.stderr).toBe(2)
    const lines = Object.fromEntries(workflowCommands(r.stderr).map((e) => [e.message.split(':')[0], annotatedLine(p.root, e).trim()]))
    expect(lines).toEqual({
      'add column books.isbn': 'isbn: text(),',
      'create table shelves': "export const shelves = table('shelves', {",
    })
    // The plan's own line (--json) is the table's line in the source too.
    const steps = JSON.parse(r.stdout).plan.steps as { table: string, file: string, line: number }[]
    for (const step of steps) expect(readFileSync(join(p.root, step.file), 'utf8').split('\n')[step.line - 1], step.table).toContain(`table('${step.table}'`)
  })

  it('a model file whose path holds parentheses and colons is named as it is', async () => {
    const p = new Project({ 'model/a.ts': `import { table, int } from 'migrate-plugin/model'\nexport const a = table('a', { id: int().primaryKey() })\n` })
    await p.migrate()
    p.write('model/c::d (copy).ts', `import { table, int } from 'migrate-plugin/model'\n\nexport const b = table('b', { id: int().primaryKey() })\n`)
    const r = p.cli(['check', '--json'], githubEnv(p))
    expect(r.code, r.stderr).toBe(2)
    expect(JSON.parse(r.stdout).plan.steps.map((s: { file: string, line: number }) => [s.file, s.line])).toEqual([['model/c::d (copy).ts', 3]])
    expect(workflowCommands(r.stderr).map((c) => [c.props.file, c.props.line])).toEqual([['model/c::d (copy).ts', '3']])
  })

  it('a refusal is told on the steps it is about; the others point at the summary; with require_plans the advice is to write a plan', async () => {
    const p = new Project({ 'model/users.ts': USERS_V1 })
    await p.migrate()
    p.sql("INSERT INTO users (email, name) VALUES ('a@x', NULL)")
    p.write('model/users.ts', USERS_V1.replace('  name: text(),', '  name: text().notNull(),'))
    p.write('model/tags.ts', TAGS_V1)
    const r = p.cli(['check'], githubEnv(p))
    expect(r.code, r.stderr).toBe(2)
    const messages = Object.fromEntries(workflowCommands(r.stderr).map((c) => [c.message.split(':')[0], c.message]))
    expect(messages['redefine table users']).toContain('An apply would refuse this')
    expect(messages['create table tags']).not.toContain('refuse')
    expect(messages['create table tags']).toContain('Another pending step holds up the apply: see the job summary.')

    p.sql("UPDATE users SET name = 'A'")
    p.write('migration.conf', '[migration]\nrequire_plans = true\n')
    const planned = p.cli(['check'], githubEnv(p))
    expect(planned.code, planned.stderr).toBe(2)
    for (const c of workflowCommands(planned.stderr)) expect(c.message).toContain('require_plans is on: write the change as a reviewed plan (npx migrate-plugin plan)')
    expect(planned.stdout).toContain('require_plans is on: write the change as a reviewed plan (npx migrate-plugin plan)')
    expect(planned.stdout).not.toContain('apply them with')
  })

  it('a new index, and a new foreign key, land on the line of their first column', async () => {
    const p = new Project({
      'model/users.ts': USERS_V1,
      'model/posts.ts': `import { table, int, text } from 'migrate-plugin/model'\n\nexport const posts = table('posts', {\n  id: int().primaryKey(),\n  authorId: int(),\n  title: text(),\n})\n`,
    })
    await p.migrate()
    p.write('model/users.ts', USERS_V1.replace("import { table, int, text }", "import { table, int, text, index }").replace('})\n', '}, (t) => [index(t.email)])\n'))
    p.write('model/posts.ts', `import { table, int, text } from 'migrate-plugin/model'\nimport { users } from './users.ts'\n\nexport const posts = table('posts', {\n  id: int().primaryKey(),\n  title: text(),\n  authorId: int().references(() => users.id),\n})\n`)
    const r = p.cli(['check'], githubEnv(p))
    expect(r.code, r.stderr).toBe(2)
    const lines = Object.fromEntries(workflowCommands(r.stderr).map((e) => [e.message.split(':')[0], `${e.props.file}: ${annotatedLine(p.root, e).trim()}`]))
    expect(lines).toEqual({
      'create index on users (email)': 'model/users.ts: email: text().notNull(),',
      'redefine table posts': 'model/posts.ts: authorId: int().references(() => users.id),',
    })
  })

  it('in a .prisma fragment: the field\'s line, found by its name or its @map', async () => {
    const p = new Project({
      'model/a.ts': `import { table, int } from 'migrate-plugin/model'\nexport const a = table('a', { id: int().primaryKey() })\n`,
      'model/legacy.prisma': 'model Legacy {\n  id   Int    @id\n  name String\n\n  @@map("legacy")\n}\n',
    })
    await p.migrate()
    p.write('model/legacy.prisma', 'model Legacy {\n  id   Int    @id\n  name String\n  code String? @map("legacy_code")\n  note String?\n\n  @@map("legacy")\n}\n')
    const r = p.cli(['check'], githubEnv(p))
    expect(r.code, r.stderr).toBe(2)
    const errors = workflowCommands(r.stderr)
    expect(errors.map((e) => [e.message.split(':')[0], e.props.file, annotatedLine(p.root, e).trim()])).toEqual([
      ['add column legacy.legacy_code', 'model/legacy.prisma', 'code String? @map("legacy_code")'],
      ['add column legacy.note', 'model/legacy.prisma', 'note String?'],
    ])
  })

  it('a summary file that cannot be written is a warning: the annotations stay and the exit code is still 2', async () => {
    const p = await pendingProject()
    // A folder where the file should be: no append can succeed, whoever runs the test (even root).
    mkdirSync(join(p.root, 'summary-dir'))
    const r = p.cli(['check'], githubEnv(p, { GITHUB_STEP_SUMMARY: join(p.root, 'summary-dir') }))
    expect(r.code, r.stderr).toBe(2)
    const commands = workflowCommands(r.stderr)
    expect(commands.filter((c) => c.level === 'error')).toHaveLength(4)
    const warnings = commands.filter((c) => c.level === 'warning')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]!.message).toMatch(/the job summary could not be written to GITHUB_STEP_SUMMARY \(.*summary-dir\): EISDIR/)
    expect(r.stderr).toMatch(/! warning: the job summary could not be written/)
  })

  it('a summary variable that names the database appends nothing to it', async () => {
    const p = await pendingProject()
    const before = p.hash()
    const r = p.cli(['check'], githubEnv(p, { GITHUB_STEP_SUMMARY: p.dbPath }))
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toMatch(/! warning: the job summary could not be written to GITHUB_STEP_SUMMARY \(.*dev\.db\): it is a SQLite database/)
    expect(workflowCommands(r.stderr).filter((c) => c.level === 'error')).toHaveLength(4)
    expect(p.hash()).toBe(before)
  })

  it('SQL holding ``` gets a longer fence, and names and warnings are escaped as Markdown', async () => {
    const p = new Project({ 'model/notes.ts': `import { table, int, text } from 'migrate-plugin/model'

export const notes = table('notes', {
  id: int().primaryKey({ autoIncrement: true }),
  body: text(),
})
` })
    await p.migrate()
    p.sql(`INSERT INTO notes (body) VALUES ('kept')`)
    p.write('model/notes.ts', `import { table, int, text } from 'migrate-plugin/model'

export const notes = table('notes', {
  id: int().primaryKey({ autoIncrement: true }),
  fence: text().notNull().default('\`\`\`\\n</details>\\n*not bold*'),
})
`)
    const r = p.cli(['check'], githubEnv(p))
    expect(r.code, r.stderr).toBe(2)
    const summary = summaryOf(p)
    const { fence, sql } = sqlBlock(summary)
    // Longer than the run inside, so the SQL cannot close the block early.
    expect(fence).toBe('````')
    expect(sql).toContain("DEFAULT '```\n</details>\n*not bold*'")
    // The block ends at the longer fence: the </details> inside the SQL is text, the one after it closes.
    expect(summary.trimEnd().endsWith('</details>\n\nApplying this loses data; if that is intended: `npx migrate-plugin apply --accept-data-loss`')).toBe(true)
    expect(summary).toContain('- redefine table notes: add column fence \\(required\\), drop column body — `model/notes.ts:5`')
    // The engine's warning names the dropped column in backticks: escaped, so it reads as written.
    expect(summary).toMatch(/^- ⚠️ data loss: .*\\`body\\`.*$/m)
  })
})

describe('the Markdown summary', () => {
  it('cuts SQL longer than a job summary takes, saying where the rest is', async () => {
    const p = await pendingProject()
    const result = await p.migrate({ command: 'check' })
    const long = `${result.plan!.sql}\n${'-- a long plan\n'.repeat(30_000)}`
    const markdown = resultMarkdown({ ...result, plan: { ...result.plan!, sql: long } })
    const { sql } = sqlBlock(markdown)
    expect(sql.startsWith(result.plan!.sql)).toBe(true)
    expect(sql).toMatch(/\n-- … cut here: run npx migrate-plugin preview for the rest$/)
    expect(sql.length).toBeLessThan(MAX_SQL_CHARS + 100)
    // GitHub refuses a step summary over 1 MiB.
    expect(Buffer.byteLength(markdown)).toBeLessThan(1024 * 1024)
  })
})

describe('check --format', () => {
  it('markdown: the summary on stdout, exit 2 while pending; in sync a short line and exit 0', async () => {
    const p = await pendingProject()
    const r = p.cli(['check', '--format', 'markdown'])
    expect(r.code, r.stderr).toBe(2)
    expect(r.stdout).toMatch(/^### ❌ migrate-plugin: 4 pending change\(s\) in `dev\.db`\n/)
    expect(r.stdout).toContain('- add column users.phone — `model/users.ts:7`')
    expect(sqlBlock(r.stdout).sql).toContain('ALTER TABLE "users" ADD COLUMN "phone" TEXT;')
    expect(r.stdout).toMatch(/Apply with: `npx migrate-plugin apply`\n$/)
    // Not on GitHub: no workflow commands, no summary file.
    expect(workflowCommands(r.stdout + r.stderr)).toEqual([])
    expect(existsSync(join(p.root, 'summary.md'))).toBe(false)
    expect(p.cli(['apply']).code).toBe(0)
    const synced = p.cli(['check', '--format=markdown'])
    expect(synced.code, synced.stderr).toBe(0)
    expect(synced.stdout).toBe('✅ migrate-plugin: `dev.db` is in sync with the models\n')
  })

  it('an unknown format is exit 1 naming the choices, before anything runs', async () => {
    const p = await pendingProject()
    const before = p.hash()
    const r = p.cli(['check', '--format', 'xml'])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/--format "xml" is not a format/)
    expect(r.stderr).toMatch(/choose one of: text, json, markdown/)
    expect(p.hash()).toBe(before)
    const empty = p.cli(['check', '--format', ''])
    expect(empty.code).toBe(1)
    expect(empty.stderr).toMatch(/--format is given an empty value\n\s+give --format text, json or markdown, or leave it out/)
    // As typed, not as a number: the message names what the user wrote.
    expect(p.cli(['check', '--format', '1']).stderr).toMatch(/--format "1" is not a format/)
    const both = p.cli(['check', '--json', '--format', 'markdown'])
    expect(both.code).toBe(1)
    expect(JSON.parse(both.stdout)).toMatchObject({ ok: false, error: { code: 'USAGE', message: '--json and --format markdown ask for two different outputs' } })
    // Only check has it: the other commands reject it as an unknown option.
    expect(p.cli(['apply', '--format', 'markdown']).code).toBe(1)
    expect(p.hash()).toBe(before)
  })

  it('json is --json: one JSON document, errors too', async () => {
    const p = await pendingProject()
    const r = p.cli(['check', '--format', 'json'])
    expect(r.code, r.stderr).toBe(2)
    const doc = JSON.parse(r.stdout) as { command: string, outcome: string, plan: { steps: { description: string, file?: string, line?: number }[] } }
    expect(doc).toMatchObject({ command: 'check', outcome: 'pending' })
    // Steps carry the line of their table's definition for other tools too.
    expect(doc.plan.steps.find((s) => s.description.startsWith('create table comments'))).toMatchObject({ file: 'model/comments,v2.ts', line: 5 })
    p.write('migration.conf', '[migration]\nbuild = sometimes\n')
    const bad = p.cli(['check', '--format', 'json'])
    expect(bad.code).toBe(1)
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, command: 'check', error: { code: 'CONFIG' } })
  })

  it('markdown on a failure: the error as Markdown on stdout, the usual error on stderr, exit 1', () => {
    const p = new Project({ 'model/users.ts': 'export const users = 1\n' })
    const r = p.cli(['check', '--format', 'markdown'])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/^### ❌ migrate-plugin check failed\n\nno models found in model\//)
    expect(r.stderr).toMatch(/✖ migrate-plugin: no models found/)
  })
})

describe('a build on GitHub Actions', () => {
  const vite = (p: Project, env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, [join(REPO, 'node_modules/vite/bin/vite.js'), 'build'], { cwd: p.root, encoding: 'utf8', env: { ...cleanEnv(), ...env }, timeout: 90_000 })

  const viteProject = async (options: string) => {
    const p = await pendingProject()
    p.write('index.html', '<!doctype html><script type="module" src="/main.js"></script>')
      .write('main.js', 'console.log(1)\n')
      .write('vite.config.mjs', `import migrate from ${JSON.stringify(join(REPO, 'plugin/vite.ts'))}\nexport default { plugins: [migrate(${options})], logLevel: 'warn' }\n`)
    return p
  }

  it('with pending changes fails, with one ::error per step on its model line and the summary', async () => {
    const p = await viteProject('')
    const before = p.hash()
    const run = vite(p, githubEnv(p))
    expect(run.status, run.stderr).not.toBe(0)
    const errors = workflowCommands(run.stdout + run.stderr)
    expect(errors).toHaveLength(4)
    expect(errors.every((e) => e.level === 'error')).toBe(true)
    const added = errors.find((e) => e.message.startsWith('add column users.phone'))!
    expect(annotatedLine(p.root, added)).toMatch(/phone: text\(\)/)
    expect(summaryOf(p)).toMatch(/^### ❌ migrate-plugin: 4 pending change\(s\) in `dev\.db`$/m)
    expect(p.hash()).toBe(before)
  })

  it('in warn mode succeeds, with ::warning annotations', async () => {
    const p = await viteProject(`{ build: 'warn' }`)
    const run = vite(p, githubEnv(p))
    expect(run.status, run.stderr).toBe(0)
    const commands = workflowCommands(run.stdout + run.stderr)
    expect(commands).toHaveLength(4)
    expect(commands.every((c) => c.level === 'warning')).toBe(true)
    const created = commands.find((c) => c.message.startsWith('create table comments'))!
    expect(created.props.file).toBe('model/comments,v2.ts')
    expect(annotatedLine(p.root, created)).toMatch(/table\('comments'/)
    // One summary for the one run of the build, marked as a warning.
    expect(summaryOf(p).match(/pending change\(s\)/g)).toHaveLength(1)
    expect(summaryOf(p)).toMatch(/^### ⚠️ migrate-plugin: 4 pending change\(s\) in `dev\.db`$/m)
  })

  it('that fails on a model error annotates that line', () => {
    const p = new Project({
      'model/users.ts': `import { table, int, text } from 'migrate-plugin/model'

export const users = table('users', {
  id: int().primaryKey(),
})
export const again = table('bad name', { id: int().primaryKey() })
`,
      'index.html': '<!doctype html><script type="module" src="/main.js"></script>',
      'main.js': 'console.log(1)\n',
      'vite.config.mjs': `import migrate from ${JSON.stringify(join(REPO, 'plugin/vite.ts'))}\nexport default { plugins: [migrate()], logLevel: 'warn' }\n`,
    })
    const run = vite(p, githubEnv(p))
    expect(run.status).not.toBe(0)
    const [error, ...rest] = workflowCommands(run.stdout + run.stderr)
    expect(rest).toEqual([])
    expect(error!.props.title).toBe('migrate-plugin vite-build failed (MODEL_INVALID)')
    expect(annotatedLine(p.root, error!)).toMatch(/export const again = table\('bad name'/)
  })

  it('without GITHUB_ACTIONS prints no workflow commands and writes no summary', async () => {
    const p = await viteProject('')
    const run = vite(p, { CI: 'true', GITHUB_STEP_SUMMARY: join(p.root, 'summary.md') })
    expect(run.status).not.toBe(0)
    expect(run.stderr).toMatch(/4 pending change\(s\)/)
    expect(workflowCommands(run.stdout + run.stderr)).toEqual([])
    expect(existsSync(join(p.root, 'summary.md'))).toBe(false)
  })
})

describe('secrets on GitHub Actions', () => {
  const cleanup: (() => Promise<void>)[] = []
  afterAll(async () => {
    // In the order made: the database before the role that owns it.
    for (const step of cleanup) await step()
  })

  it('a PostgreSQL URL\'s password reaches no annotation, summary or output', async () => {
    const db = await freshDatabase()
    cleanup.push(() => db.drop())
    const password = 'Gh-annot4tion-secret'
    const role = await createRole(password, { owns: db.name })
    cleanup.push(() => role.drop())
    const p = new Project({ 'model/users.ts': USERS_V1 })
    const pending = p.cli(['check'], githubEnv(p, { DATABASE_URL: role.url(db.name) }))
    expect(pending.code, pending.stderr).toBe(2)
    const errors = workflowCommands(pending.stderr)
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toMatch(new RegExp(`^create table users: not yet in postgresql://${role.name}:\\*\\*\\*@127\\.0\\.0\\.1:\\d+/${db.name}\\.`))
    // A wrong password: the failure is annotated, without the password that was tried.
    const wrong = 'Wr0ng-but-still-secret'
    const failed = p.cli(['check'], githubEnv(p, { DATABASE_URL: role.url(db.name).replace(encodeURIComponent(password), wrong) }))
    expect(failed.code).toBe(1)
    const [failure] = workflowCommands(failed.stderr)
    expect(failure!.level).toBe('error')
    expect(failure!.props.title).toMatch(/^migrate-plugin check failed \(DATABASE\)$/)
    const everything = [pending.stdout, pending.stderr, failed.stdout, failed.stderr, summaryOf(p)].join('\n')
    expect(everything).toContain('***')
    expect(everything).not.toContain(password)
    expect(everything).not.toContain(wrong)
  })
})

describe('GitHub escaping', () => {
  it('escapes %, CR and LF in messages, and also : and , in properties, so that nothing can end a command early', () => {
    const message = '100% done\r\nnext::line'
    expect(escapeData(message)).toBe('100%25 done%0D%0Anext::line')
    expect(unescapeData(escapeData(message))).toBe(message)
    const file = 'model/a,b:c%0A.ts'
    expect(escapeProperty(file)).toBe('model/a%2Cb%3Ac%250A.ts')
    expect(unescapeProperty(escapeProperty(file))).toBe(file)
  })
})

describe('the example workflow (test/fixtures/github-workflow.yml)', () => {
  const path = join(REPO, 'test/fixtures/github-workflow.yml')
  const text = readFileSync(path, 'utf8')
  const runs = [...text.matchAll(/^\s*- run: (.+)$/gm)].map((m) => m[1]!)

  it('sets up Node, installs with npm ci and runs the check', () => {
    expect(text).not.toMatch(/\t/)
    const uses = [...text.matchAll(/^\s*- uses: (\S+)$/gm)].map((m) => m[1]!.replace(/@.*$/, ''))
    expect(uses).toEqual(['actions/checkout', 'actions/setup-node'])
    expect(runs).toEqual(['npm ci', 'npx migrate-plugin check'])
  })

  it('its check command, run as GitHub runs it, annotates a pending change', async () => {
    const p = await pendingProject()
    const args = runs[1]!.split(' ').slice(2)
    const r = p.cli(args, githubEnv(p))
    expect(r.code).toBe(2)
    expect(workflowCommands(r.stderr)).toHaveLength(4)
  })

  it('is the workflow the README shows', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8')
    const blocks = [...readme.matchAll(/```ya?ml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => b.includes('actions/setup-node') && b.includes('npx migrate-plugin check'))
    expect(blocks).toEqual([text])
  })
})
