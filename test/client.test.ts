import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { POSTS_MODEL, Project, REPO, USERS_MODEL, cleanEnv } from './helpers.ts'

describe('Prisma Client', () => {
  it('is regenerated offline after an apply, and works on the migrated database with relations both ways', () => {
    // Inside the repository so that the project resolves `prisma` and `@prisma/client` from its node_modules.
    mkdirSync(join(REPO, '.tmp-tests'), { recursive: true })
    const p = new Project()
    const root = mkdtempSync(join(REPO, '.tmp-tests', 'client-'))
    Object.defineProperty(p, 'root', { value: root })
    p.write('package.json', '{ "type": "module" }').write('model/users.ts', USERS_MODEL).write('model/posts.ts', POSTS_MODEL)
    const applied = p.cli(['apply'])
    expect(applied.code, applied.stderr).toBe(0)
    expect(applied.stdout).toMatch(/Prisma Client regenerated in generated\/prisma/)
    writeFileSync(join(root, 'use.ts'), `import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import { PrismaClient } from './generated/prisma/client.ts'
const prisma = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: 'file:' + ${JSON.stringify(p.dbPath)} }) })
await prisma.user.create({ data: { email: 'ada@example.com', posts: { create: [{ title: 'Hello' }, { title: 'Again' }] } } })
const post = await prisma.post.findFirst({ where: { title: 'Again' }, include: { author: true } })
console.log(JSON.stringify({ author: post?.author.email, posts: await prisma.post.count() }))
await prisma.$disconnect()
`)
    const run = spawnSync(process.execPath, ['--import', 'jiti/register', 'use.ts'], { cwd: root, encoding: 'utf8', env: cleanEnv(), timeout: 60_000 })
    expect(run.status, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout.trim().split('\n').pop()!)).toEqual({ author: 'ada@example.com', posts: 2 })
  })
})
