import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Project } from './helpers.ts'
import { asSuperuser, freshDatabase, type FreshDatabase } from './postgres.ts'

/**
 * The build plugin on PostgreSQL: the same hooks, the same modes, a real Vite and esbuild build, a
 * real server. Nothing in the plugin knows the database: this proves the seam holds for it.
 */

const USERS = `import { table, int, text } from 'migrate-plugin/model'
export const users = table('users', {
  id: int().primaryKey({ autoIncrement: true }),
  email: text().notNull(),
})
`
const WITH_PHONE = USERS.replace("  email: text().notNull(),\n", "  email: text().notNull(),\n  phone: text(),\n")

let db: FreshDatabase
let p: Project

async function columns(): Promise<string[]> {
  return asSuperuser(async (c) => (await c.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY ordinal_position`)).rows.map((r: { column_name: string }) => r.column_name), db.name)
}

async function viteBuild(options: Record<string, unknown>): Promise<void> {
  const { build } = await import('vite')
  const { default: migrate } = await import('../plugin/vite.ts')
  await build({
    root: p.root, logLevel: 'silent', configFile: false, plugins: [migrate(options)],
    build: { outDir: join(p.root, 'dist-vite'), lib: { entry: join(p.root, 'src/index.js'), formats: ['es'], fileName: 'index' } },
  })
}

async function esbuildBuild(options: Record<string, unknown>): Promise<void> {
  const esbuild = await import('esbuild')
  const { default: migrate } = await import('../plugin/esbuild.ts')
  await esbuild.build({ absWorkingDir: p.root, entryPoints: ['src/index.js'], bundle: true, outdir: join(p.root, 'dist-esbuild'), logLevel: 'silent', plugins: [migrate(options)] })
}

beforeEach(async () => {
  db = await freshDatabase()
  p = new Project({ 'migration.conf': `[database]\nurl = "${db.url}"\n`, 'model/users.ts': USERS, 'src/index.js': 'export const answer = 42\n' })
})
afterEach(async () => {
  p.remove()
  await db.drop()
})

describe.each([['vite', viteBuild], ['esbuild', esbuildBuild]] as const)('%s on PostgreSQL', (_name, build) => {
  it('build: apply migrates the server database; build: check then fails on a pending change, naming it, and changes nothing', async () => {
    await build({ build: 'apply' })
    expect(await columns()).toEqual(['id', 'email'])
    p.write('model/users.ts', WITH_PHONE)
    await expect(build({ build: 'check' })).rejects.toThrow(/add column users\.phone/)
    expect(await columns()).toEqual(['id', 'email'])
    await build({ build: 'apply' })
    expect(await columns()).toEqual(['id', 'email', 'phone'])
  })
})
