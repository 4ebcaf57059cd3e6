import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MigrateError } from '../plugin/core/errors.ts'
import { Project, REPO, USERS_MODEL, cleanEnv, until } from './helpers.ts'
import { startDevServer } from './vite-dev-server.ts'

/**
 * A fault in a file that a model file imports is reported against the file at fault, with line
 * and column, in the CLI (text and --json), a Vite build and Vite's dev overlay.
 */

const ORDERS_MODEL = `import { table, int } from 'migrate-plugin/model'
import { users } from './users.ts'

export const orders = table('orders', {
  id: int().primaryKey(),
  userId: int().references(() => users.id),
})
`

// Line 4, column 24 is the stray comma.
const USERS_SYNTAX = `import { table, int, text } from 'migrate-plugin/model'

export const users = table('users', {
  id: int().primaryKey(,
  name: text(),
})
`

/** A project migrated with good models, then users.ts replaced: the database must not change. */
async function brokenUsers(users: string, extra: Record<string, string> = {}): Promise<{ p: Project, before: string }> {
  const p = new Project({ 'model/users.ts': USERS_MODEL, 'model/orders.ts': ORDERS_MODEL })
  expect((await p.migrate()).outcome).toBe('applied')
  for (const [path, content] of Object.entries(extra)) p.write(path, content)
  p.write('model/users.ts', users)
  return { p, before: p.hash() }
}

describe('a broken file imported by a model file', () => {
  it('syntax error: the CLI names the imported file, line and column (text and --json), with a hint; the database is unchanged', async () => {
    const { p, before } = await brokenUsers(USERS_SYNTAX)
    const r = p.cli(['check'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("model/users.ts:4:24: the model file failed to load (reached from model/orders.ts): syntax error: Unexpected token ','")
    expect(r.stderr).not.toMatch(/model\/orders\.ts:\d/)
    expect(r.stderr).toMatch(/\n {2}fix the syntax there/)
    const json = JSON.parse(p.cli(['check', '--json']).stdout)
    expect(json).toMatchObject({ ok: false, error: { code: 'MODEL_LOAD', location: { file: 'model/users.ts', line: 4, column: 24 } } })
    expect(p.hash()).toBe(before)
  })

  it('syntax error in a type position: the place of the token', async () => {
    // `Array<string = []`: the parser expects "," or ">" where the "=" is (line 2, column 27).
    const { p, before } = await brokenUsers(`import { table, int } from 'migrate-plugin/model'\nconst names: Array<string = []\nexport const users = table('users', { id: int().primaryKey() })\n`)
    const e = await rejection(p.migrate())
    expect(e.code).toBe('MODEL_LOAD')
    expect(e.location).toEqual({ file: 'model/users.ts', line: 2, column: 27 })
    expect(e.message).toMatch(/^model\/users\.ts:2:27: the model file failed to load \(reached from model\/orders\.ts\): syntax error: Unexpected token, expected ","/)
    expect(p.hash()).toBe(before)
  })

  it('a throw at import time: the top stack frame in the imported file, its column mapped back to the source', async () => {
    // `x.foo` on line 4: the TypeError is raised at "foo" (column 32), in the original TypeScript.
    const { p, before } = await brokenUsers(`import { table, int } from 'migrate-plugin/model'\nconst x: any = undefined\n\nexport const users: number = x.foo\n`)
    const r = p.cli(['apply'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("model/users.ts:4:32: the model file failed to load (reached from model/orders.ts): Cannot read properties of undefined (reading 'foo')")
    expect(r.stderr).toMatch(/\n {2}fix the error at that place/)
    expect(p.hash()).toBe(before)
  })

  it('an error thrown by the model API itself points at the user\'s call, not at the tool\'s source', async () => {
    const { p } = await brokenUsers(`import { table, int } from 'migrate-plugin/model'\n\nexport const users = table('users', {\n  id: int().primaryKey().frobnicate(),\n})\n`)
    const e = await rejection(p.migrate())
    expect(e.location).toMatchObject({ file: 'model/users.ts', line: 4 })
    expect(e.location?.column).toBeGreaterThan(2)
    expect(e.message).toMatch(/frobnicate is not a function/)
  })

  it('a missing import: the importing file, line and column of the specifier, and a hint naming it', async () => {
    const { p, before } = await brokenUsers(`import { table, int } from 'migrate-plugin/model'\nimport { y } from './nope'\nexport const users = table('users', { id: int().primaryKey(), y: y })\n`)
    const r = p.cli(['check', '--json'])
    expect(r.code).toBe(1)
    const { error } = JSON.parse(r.stdout)
    expect(error).toMatchObject({ code: 'MODEL_LOAD', location: { file: 'model/users.ts', line: 2, column: 19 } })
    expect(error.message).toBe("model/users.ts:2:19: the model file failed to load (reached from model/orders.ts): cannot find module './nope'")
    expect(error.hint).toMatch(/check '\.\/nope' in model\/users\.ts: a relative import is resolved from that file's folder/)
    expect(p.hash()).toBe(before)
  })

  it('a helper outside the model folder: named relative to the project, as "the file"', async () => {
    const { p } = await brokenUsers(`import { table, int } from 'migrate-plugin/model'\nimport { label } from '../lib/columns.ts'\nexport const users = table('users', { id: int().primaryKey(), label: label() })\n`, {
      'lib/columns.ts': `import { text } from 'migrate-plugin/model'\n\nexport const label = () => text(.notNull()\n`,
    })
    const e = await rejection(p.migrate())
    expect(e.location).toMatchObject({ file: 'lib/columns.ts', line: 3 })
    expect(e.message).toMatch(/^lib\/columns\.ts:3:\d+: the file failed to load \(reached from model\/orders\.ts\): syntax error/)
  })

  it('vite build: the error carries the file, line, column and a code frame, and the output shows them', async () => {
    const { p, before } = await brokenUsers(USERS_SYNTAX, {
      'index.html': '<!doctype html><script type="module" src="/main.js"></script>',
      'main.js': 'console.log(1)\n',
      'vite.config.mjs': `import migrate from ${JSON.stringify(join(REPO, 'plugin/vite.ts'))}\nexport default { plugins: [migrate()], logLevel: 'warn' }\n`,
    })
    const run = spawnSync(process.execPath, [join(REPO, 'node_modules/vite/bin/vite.js'), 'build'], { cwd: p.root, encoding: 'utf8', env: { ...cleanEnv(), CI: '1' }, timeout: 90_000 })
    expect(run.status).toBe(1)
    const output = run.stdout + run.stderr
    // Vite prints the error's id and loc, then the message, then the frame.
    expect(output).toContain(`${join(p.root, 'model/users.ts')}:4:24`)
    expect(output).toContain('model/users.ts:4:24: the model file failed to load (reached from model/orders.ts)')
    expect(output).toMatch(/> 4 \| {3}id: int\(\)\.primaryKey\(,\n {4}\| {24}\^/)
    expect(p.hash()).toBe(before)
  })

  it('esbuild: the build error carries the location, which esbuild prints with the line', async () => {
    const { p } = await brokenUsers(USERS_SYNTAX, { 'src/index.js': 'console.log(1)\n' })
    const esbuild = await import('esbuild')
    const { default: migrate } = await import('../plugin/esbuild.ts')
    const failure = await esbuild.build({ absWorkingDir: p.root, entryPoints: ['src/index.js'], bundle: true, write: false, logLevel: 'silent', plugins: [migrate()] }).then(() => undefined, (error: { errors: { text: string, location: unknown }[] }) => error)
    expect(failure?.errors[0]?.text).toContain('model/users.ts:4:24: the model file failed to load (reached from model/orders.ts)')
    // esbuild's columns are 0-based (the comma is column 23 to it), its file relative to the working directory.
    expect(failure?.errors[0]?.location).toMatchObject({ file: 'model/users.ts', line: 4, column: 23, lineText: '  id: int().primaryKey(,' })
  })

  it('vite dev: the overlay payload names the file, line and column, with the frame; the server keeps serving', async () => {
    const p = new Project({
      'model/users.ts': USERS_MODEL,
      'model/orders.ts': ORDERS_MODEL,
      'index.html': '<!doctype html><script type="module" src="/main.js"></script>',
      'main.js': 'document.body.textContent = "hi"\n',
    })
    const server = await startDevServer(p.root, { dev: 'apply' })
    try {
      await until(() => p.tables().includes('orders'), 'the orders table')
      const { messages, close } = await server.connect()
      p.write('model/users.ts', USERS_SYNTAX)
      const { err } = await until(() => messages.find((m) => m.type === 'error'), 'an overlay error')
      expect(err!.message).toContain('model/users.ts:4:24: the model file failed to load (reached from model/orders.ts)')
      expect(err!.plugin).toBe('migrate-plugin')
      expect(err!.id).toBe(join(p.root, 'model/users.ts'))
      expect(err!.loc).toEqual({ file: join(p.root, 'model/users.ts'), line: 4, column: 24 })
      expect(err!.frame).toContain('> 4 |   id: int().primaryKey(,')
      expect((await fetch(server.url)).status).toBe(200)
      close()
    } finally {
      await server.close()
    }
  })
})

async function rejection(promise: Promise<unknown>): Promise<MigrateError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(MigrateError)
    return error as MigrateError
  }
  throw new Error('expected the run to fail')
}
