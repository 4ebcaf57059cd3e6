import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createContext } from '../plugin/bundlers/context.ts'
import { POSTS_MODEL, Project, USERS_MODEL, removeProjects } from './helpers.ts'

/**
 * The context every bundler adapter delegates to (plugin/bundlers/context.ts), called the way the
 * adapters call it, on real projects and databases. The adapters themselves are exercised through
 * real builds in bundlers.test.ts, watch.test.ts and vite-dev.test.ts.
 */

afterAll(removeProjects)

// Line 3, column 7 is where the parser stops: the place every bundler is handed.
const BROKEN_USERS = "import { table, int } from 'migrate-plugin/model'\nexport const users = table('users', {\n  id: ,\n})\n"

describe('the bundler context', () => {
  it('a broken model: attempt returns the message and its place (absolute file, line, column, code frame); run throws it without a stack; the database is untouched', async () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL })
    await p.migrate({ command: 'apply' })
    p.write('model/users.ts', BROKEN_USERS)
    const before = p.hash()
    const ctx = createContext({ root: p.root, dev: 'apply' })
    const run = { root: p.root, watch: true, trigger: 'test-dev' }

    const failure = await ctx.attempt(run)
    expect(failure?.message).toMatch(/^migrate-plugin: model\/users\.ts:3:\d+: /)
    expect(failure?.place?.id).toBe(join(p.root, 'model/users.ts'))
    expect(failure?.place?.loc).toMatchObject({ file: join(p.root, 'model/users.ts'), line: 3 })
    expect(failure?.place?.frame).toMatch(/^> 3 \|   id: ,$/m)

    const thrown = await ctx.run(run).then(() => undefined, (error: unknown) => error as Error & { id?: string, loc?: unknown, frame?: string })
    expect(thrown).toBeInstanceOf(Error)
    expect(thrown?.message).toBe(failure?.message)
    // Bundlers print the stack under the message: the message already says what, where and how to fix.
    expect(thrown?.stack).toBe('')
    expect(thrown?.id).toBe(failure?.place?.id)
    expect(thrown?.loc).toEqual(failure?.place?.loc)
    expect(thrown?.frame).toBe(failure?.place?.frame)
    expect(p.hash()).toBe(before)
  })

  it('a pending change in a build is a failure naming the change, with no place; in dev the same change is applied and nothing is returned', async () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL })
    const build = createContext({ root: p.root, build: 'check' })
    const failure = await build.attempt({ root: p.root, watch: false, trigger: 'test-build' })
    expect(failure?.message).toMatch(/create table users/)
    expect(failure?.message).toMatch(/npx migrate-plugin apply/)
    expect(failure?.place).toBeUndefined()
    // check never creates the database it reports on.
    expect(existsSync(p.dbPath)).toBe(false)

    const dev = createContext({ root: p.root, dev: 'apply' })
    await expect(dev.attempt({ root: p.root, watch: true, trigger: 'test-dev' })).resolves.toBeUndefined()
    expect(p.columns('users')).toContain('email')
    await expect(dev.run({ root: p.root, watch: true, trigger: 'test-dev' })).resolves.toBeUndefined()
  })

  it('keeps its own copy of the options: changing the object passed in afterwards changes nothing', async () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL })
    const options: { root: string, dev: 'apply' | 'off' } = { root: p.root, dev: 'apply' }
    const ctx = createContext(options)
    options.dev = 'off'
    expect(ctx.options.dev).toBe('apply')
    await expect(ctx.attempt({ root: p.root, watch: true, trigger: 'test-dev' })).resolves.toBeUndefined()
    expect(p.tables()).toContain('users')
  })

  it('watchPaths: every file and folder under the model folder, nested ones included, and migration.conf; a missing model folder adds none', () => {
    const p = new Project({
      'migration.conf': '[database]\nurl = sqlite:///./dev.db\n',
      'model/users.ts': USERS_MODEL,
      'model/blog/posts.ts': POSTS_MODEL.replace("'./users.ts'", "'../users.ts'"),
    })
    const { files, dirs } = createContext({ root: p.root }).watchPaths(p.root)
    expect([...files].sort()).toEqual([join(p.root, 'migration.conf'), join(p.root, 'model/blog/posts.ts'), join(p.root, 'model/users.ts')].sort())
    expect([...dirs].sort()).toEqual([join(p.root, 'model'), join(p.root, 'model/blog')])

    const empty = new Project({ 'migration.conf': '[migration]\nmodel_directory = ./nowhere\n' })
    expect(createContext({ root: empty.root }).watchPaths(empty.root)).toEqual({ files: [join(empty.root, 'migration.conf')], dirs: [] })
  })
})
