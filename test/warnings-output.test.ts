import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Project, REPO, cleanEnv, until } from './helpers.ts'
import { startDevServer } from './vite-dev-server.ts'

/**
 * What check, preview, a CI build and the dev server say about a pending change the engine warns
 * about (data loss), one apply would refuse (unexecutable, a view it breaks), and a database that
 * does not exist yet.
 */

const PEOPLE = `import { table, int, text } from 'migrate-plugin/model'

export const people = table('people', {
  id: int().primaryKey(),
  name: text(),
  age: int(),
})
`
const WITHOUT_AGE = PEOPLE.replace('  age: int(),\n', '')
const WITH_CODE = PEOPLE.replace('  age: int(),\n', '  age: int(),\n  code: text().notNull(),\n')
const DROP_AGE = 'You are about to drop the column `age` on the `people` table, which still contains 1 non-null values.'

/** A migrated database with one person of age 30. */
async function withPerson(files: Record<string, string> = {}): Promise<Project> {
  const p = new Project({ 'model/people.ts': PEOPLE, ...files })
  expect((await p.migrate()).outcome).toBe('applied')
  p.sql("INSERT INTO people (name, age) VALUES ('Ada', 30)")
  return p
}

/** Files next to the database: the database must be the only one a read-only command leaves. */
function besideDatabase(p: Project, folder = '.'): string[] {
  const dir = join(p.root, folder)
  return existsSync(dir) ? readdirSync(dir).filter((name) => /\.db/.test(name)) : []
}

describe('the engine\'s data-loss warnings', () => {
  it('check prints them and what apply needs, --json has them in warnings, and the database is untouched', async () => {
    const p = await withPerson()
    p.write('model/people.ts', WITHOUT_AGE)
    const before = p.hash()
    const filesBefore = besideDatabase(p)
    const text = p.cli(['check'])
    expect(text.code).toBe(2)
    expect(text.stdout).toContain(`! data loss: ${DROP_AGE}`)
    expect(text.stdout).toMatch(/apply refuses this without consent \(data loss\)\. If the data-loss lines above are what you want: npx migrate-plugin apply --accept-data-loss/)
    const json = p.cli(['check', '--json'])
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, outcome: 'pending', warnings: [DROP_AGE], unexecutable: [] })
    expect(p.hash()).toBe(before)
    // The engine's verdict came from a copy elsewhere (deleted again): nothing new beside the database.
    expect(besideDatabase(p)).toEqual(filesBefore)
  })

  it('check works on a read-only database (mode=ro) and still reports them', async () => {
    const p = await withPerson()
    p.write('model/people.ts', WITHOUT_AGE)
    p.write('migration.conf', '[database]\nurl = file:./dev.db?mode=ro\n')
    const before = p.hash()
    const json = p.cli(['check', '--json'])
    expect(json.code, json.stderr).toBe(2)
    expect(JSON.parse(json.stdout).warnings).toEqual([DROP_AGE])
    expect(p.hash()).toBe(before)
  })

  it('preview --json has them; preview exits 0 when apply would go ahead with consent', async () => {
    const p = await withPerson()
    p.write('model/people.ts', WITHOUT_AGE)
    const before = p.hash()
    const r = p.cli(['preview', '--json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, outcome: 'previewed', warnings: [DROP_AGE], unexecutable: [] })
    const text = p.cli(['preview'])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(`! data loss: ${DROP_AGE}`)
    expect(text.stdout).toContain('npx migrate-plugin apply --accept-data-loss')
    expect(p.hash()).toBe(before)
  })
})

describe('a change apply would refuse', () => {
  it('an unexecutable step: check lists it and says apply would refuse (exit 2); preview exits 1, its --json still a document', async () => {
    const p = await withPerson()
    p.write('model/people.ts', WITH_CODE)
    const before = p.hash()
    const check = p.cli(['check'])
    expect(check.code).toBe(2)
    expect(check.stdout).toMatch(/✖ cannot run: Added the required column `code` to the `people` table without a default value\. There are 1 rows in this table/)
    expect(check.stdout).toContain('apply would refuse this (the ✖ lines above): for a new required column, give it a .default(…) or make it nullable; for a column made required over NULLs, fill them first (UPDATE … SET column = … WHERE column IS NULL), or write the backfill into a reviewed plan (npx migrate-plugin plan); nothing was changed')
    expect(check.stdout).not.toContain('apply them with')
    const checkJson = JSON.parse(p.cli(['check', '--json']).stdout)
    expect(checkJson.unexecutable).toHaveLength(1)
    const preview = p.cli(['preview'])
    expect(preview.code).toBe(1)
    expect(preview.stdout).toContain('apply would refuse this')
    const previewJson = p.cli(['preview', '--json'])
    expect(previewJson.code).toBe(1)
    expect(JSON.parse(previewJson.stdout)).toMatchObject({ ok: true, outcome: 'previewed', unexecutable: [expect.stringMatching(/required column `code`/)] })
    expect(p.hash()).toBe(before)
  })

  it('a view the change would break: check names it, together with the engine\'s warning; preview exits 1', async () => {
    const p = await withPerson()
    p.sql('CREATE VIEW ages AS SELECT name, age FROM people')
    p.write('model/people.ts', WITHOUT_AGE)
    const before = p.hash()
    const check = p.cli(['check'])
    expect(check.code).toBe(2)
    expect(check.stdout).toContain(`! data loss: ${DROP_AGE}`)
    expect(check.stdout).toMatch(/✖ apply would fail: .*view ages: no such column: age/)
    expect(check.stdout).toContain('apply would refuse this')
    expect(p.cli(['preview']).code).toBe(1)
    expect(p.hash()).toBe(before)
  })
})

describe('a database that does not exist', () => {
  it('check says so (path as configured), lists the tables it would create, exits 2 and creates nothing', () => {
    const p = new Project({
      'model/people.ts': PEOPLE,
      'model/pets.ts': "import { table, int } from 'migrate-plugin/model'\nexport const pets = table('pets', { id: int().primaryKey() })\n",
      'migration.conf': '[database]\nurl = ./data/app.db\n',
      'data/.keep': '',
    })
    const r = p.cli(['check'])
    expect(r.code).toBe(2)
    expect(r.stdout).toMatch(/● data\/app\.db does not exist; 2 table\(s\) would be created/)
    expect(r.stdout).toContain('create it with: npx migrate-plugin apply')
    const json = p.cli(['check', '--json'])
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stdout)).toMatchObject({ outcome: 'pending', warnings: [] })
    // No database, lock, id or journal: nothing a later apply could mistake for a database.
    expect(besideDatabase(p, 'data')).toEqual([])
  })

  it('preview creates nothing either (no lock file where no database is)', () => {
    const p = new Project({ 'model/people.ts': PEOPLE })
    const r = p.cli(['preview'])
    expect(r.code).toBe(0)
    expect(besideDatabase(p)).toEqual([])
  })
})

describe('builds and the dev server', () => {
  const vite = (p: Project, env: NodeJS.ProcessEnv) => spawnSync(process.execPath, [join(REPO, 'node_modules/vite/bin/vite.js'), 'build'], { cwd: p.root, encoding: 'utf8', env: { ...cleanEnv(), ...env }, timeout: 90_000 })
  const app = {
    'index.html': '<!doctype html><script type="module" src="/main.js"></script>',
    'main.js': 'console.log(1)\n',
    'vite.config.mjs': `import migrate from ${JSON.stringify(join(REPO, 'plugin/vite.ts'))}\nexport default { plugins: [migrate()], logLevel: 'warn' }\n`,
  }

  it('a CI vite build fails showing the engine\'s warning and the build-time way to accept it; a missing database is named and not created', async () => {
    const p = await withPerson(app)
    p.write('model/people.ts', WITHOUT_AGE)
    const before = p.hash()
    const run = vite(p, { CI: '1' })
    expect(run.status).toBe(1)
    const output = run.stdout + run.stderr
    expect(output).toContain('migrate-plugin: 1 pending change(s) in dev.db:')
    expect(output).toContain(`! data loss: ${DROP_AGE}`)
    expect(output).toContain("run `npx migrate-plugin apply --accept-data-loss` before the build (a deploy step), or give the plugin build: 'apply' with allowDataLoss: true")
    expect(p.hash()).toBe(before)

    const fresh = new Project({ 'model/people.ts': PEOPLE, ...app })
    const missing = vite(fresh, { CI: '1' })
    expect(missing.status).toBe(1)
    expect(missing.stdout + missing.stderr).toContain('migrate-plugin: dev.db does not exist; 1 table(s) would be created:')
    expect(besideDatabase(fresh)).toEqual([])
  })

  it('vite dev: a refused data loss (dev = apply) and a pending one (dev = check) name the dev-server ways to accept it', async () => {
    for (const dev of ['apply', 'check'] as const) {
      const p = await withPerson({ 'index.html': app['index.html'], 'main.js': app['main.js'] })
      const before = p.hash()
      const server = await startDevServer(p.root, { dev })
      try {
        const { messages, close } = await server.connect()
        p.write('model/people.ts', WITHOUT_AGE)
        const { err } = await until(() => messages.find((m) => m.type === 'error'), `the overlay error (dev = ${dev})`)
        expect(err!.message, dev).toContain(DROP_AGE)
        expect(err!.message, dev).toContain('run `npx migrate-plugin apply --accept-data-loss` in a terminal (the dev server picks the change up), or set allowDataLoss: true in the plugin options (vite.config.ts)')
        expect(err!.message, dev).not.toMatch(/run again with --accept-data-loss/)
        expect(p.hash(), dev).toBe(before)
        close()
      } finally {
        await server.close()
      }
    }
  })
})

describe('a warning about a step that may fail is not called data loss', () => {
  it('a unique index the database lacks: check says it may fail and needs no --accept-data-loss, and apply runs it without one', async () => {
    const p = await withPerson({ 'model/people.ts': PEOPLE.replace('name: text(),', 'name: text().unique(),') })
    p.sql('DROP INDEX people_name_key')
    const check = p.cli(['check'])
    expect(check.code).toBe(2)
    expect(check.stdout).toMatch(/! may fail: A unique constraint covering the columns `\[name\]`/)
    expect(check.stdout).not.toMatch(/data loss|--accept-data-loss/)
    const json = JSON.parse(p.cli(['check', '--json']).stdout)
    expect(json.warnings).toEqual([expect.stringMatching(/^A unique constraint covering/)])
    const apply = p.cli(['apply'])
    expect(apply.code, apply.stderr).toBe(0)
    expect(p.all("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'people_name_key'")).toHaveLength(1)
  })
})
