import { readdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Runner } from '../plugin/bundlers/runner.ts'
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

describe('a dev server on PostgreSQL', () => {
  it('keeps the backups it takes bounded by backup_keep_dev: the first of the session and the newest, never a backup it did not take', async () => {
    p.write('migration.conf', `[database]\nurl = "${db.url}"\nbackup_keep_dev = 1\n[migration]\ngenerate_client = false\n`)
    // Backups from before the session (the CLI's: the database exists, empty, so even creation backs it up).
    const cliBackups: string[] = []
    for (const models of [USERS, WITH_PHONE]) {
      p.write('model/users.ts', models)
      const cli = p.cli(['apply', '--json'])
      expect(cli.code, cli.stderr).toBe(0)
      cliBackups.push(basename(JSON.parse(cli.stdout).backupPath as string))
    }
    const runner = new Runner({ dev: 'apply' })
    const made: string[] = []
    for (let i = 1; i <= 4; i++) {
      const extra = Array.from({ length: i }, (_, k) => `  extra${k}: text(),`).join('\n')
      p.write('model/users.ts', WITH_PHONE.replace('  phone: text(),\n', `  phone: text(),\n${extra}\n`))
      const report = await runner.run({ root: p.root, watch: true, trigger: 'vite-dev' })
      expect(report.result?.outcome).toBe('applied')
      expect(report.warning).toBeUndefined()
      made.push(basename(report.result!.backupPath!))
    }
    const left = readdirSync(join(p.root, 'backups')).sort()
    expect(left).toEqual([...cliBackups, made[0]!, made[3]!].sort())
    expect(await columns()).toEqual(['id', 'email', 'phone', 'extra0', 'extra1', 'extra2', 'extra3'])
  })
})
