import { describe, expect, it } from 'vitest'
import { Runner, decideMode, isCI, summary } from '../plugin/bundlers/runner.ts'
import { DEFAULTS, loadConfig } from '../plugin/core/config.ts'
import { Project, USERS_MODEL } from './helpers.ts'

describe('dev or build, CI or not', () => {
  const config = loadConfig({ root: new Project().root, env: {} })

  it('reads CI like CI systems set it', () => {
    expect(isCI({ CI: 'true' })).toBe(true)
    expect(isCI({ CI: '1' })).toBe(true)
    expect(isCI({ CI: 'false' })).toBe(false)
    expect(isCI({ CI: '0' })).toBe(false)
    expect(isCI({})).toBe(false)
  })

  it('dev applies and builds check by default; CI turns a default apply into check; explicit options win', () => {
    expect(DEFAULTS.dev).toBe('apply')
    expect(decideMode(config, {}, true, {})).toBe('apply')
    expect(decideMode(config, {}, false, {})).toBe('check')
    expect(decideMode(config, {}, true, { CI: 'true' })).toBe('check')
    expect(decideMode({ ...config, build: 'apply' }, {}, false, { CI: 'true' })).toBe('check')
    expect(decideMode(config, { build: 'apply' }, false, { CI: 'true' })).toBe('apply')
    expect(decideMode(config, { dev: 'warn' }, true, {})).toBe('warn')
    expect(decideMode({ ...config, dev: 'off' }, {}, true, {})).toBe('off')
  })

  it('summarises a plan in one line naming what changed and where', () => {
    const step = (description: string, file?: string) => ({ kind: 'add column' as const, table: 'users', description, sql: [], ...(file ? { file } : {}) })
    expect(summary({ steps: [step('add column users.phone', 'model/user_models.ts')], sql: '', tables: ['users'] })).toBe('added column users.phone (model/user_models.ts)')
    expect(summary({ steps: [step('create table orders'), step('add column users.phone')], sql: '', tables: [] })).toBe('created table orders and 1 more change(s)')
    // A step that removes something is named even when it is not the first.
    expect(summary({ steps: [step('create table orders'), step('add column users.phone'), step('redefine table users: drop column nickname'), step('drop table tags')], sql: '', tables: [] }))
      .toBe('created table orders and 3 more change(s), among them: redefined table users: drop column nickname, dropped table tags')
    // A deploy's pending plan: its step names the file, and the changes it made are counted, not added to it.
    const ran = { kind: 'plan file' as const, table: '', description: 'ran the plan 20261126_a.sql', sql: [], file: 'migrations/20261126_a.sql' }
    expect(summary({ steps: [ran, step('add column users.phone')], sql: '', tables: [] })).toBe('ran the plan 20261126_a.sql (migrations/20261126_a.sql): 1 change(s)')
  })
})

describe('Runner', () => {
  it('never overlaps runs, and a change saved during a run is applied by the run after it', async () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL })
    const runner = new Runner({ dev: 'apply' })
    const context = { root: p.root, watch: true, trigger: 'test' }
    const first = runner.run(context)
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
    const second = runner.run(context)
    const third = runner.run(context)
    expect(third).toBe(second) // callers arriving meanwhile share the follow-up run
    await Promise.all([first, second])
    expect(p.columns('users')).toContain('phone')
    // The first run may or may not have seen the edit; either way each apply left exactly one history row.
    const applied = [(await first).result?.outcome, (await second).result?.outcome].filter((o) => o === 'applied').length
    expect(applied).toBeGreaterThan(0)
    expect(p.all("SELECT count(*) AS n FROM _migration_history WHERE status = 'success'")).toEqual([{ n: applied }])
  })

  it('re-reads models when a helper they import from outside model/ changes, and reports it as a watch target', async () => {
    const p = new Project({
      'shared/audit.ts': "import { text } from 'migrate-plugin/model'\nexport const audit = () => ({ createdBy: text() })\n",
      'model/notes.ts': "import { table, int } from 'migrate-plugin/model'\nimport { audit } from '../shared/audit.ts'\nexport const notes = table('notes', { id: int().primaryKey(), ...audit() })\n",
    })
    const runner = new Runner({ dev: 'apply' })
    const context = { root: p.root, watch: true, trigger: 'test' }
    await runner.run(context)
    expect(p.columns('notes')).toEqual(['id', 'createdBy'])
    expect(runner.watchTargets(p.root).files).toContain(`${p.root}/shared/audit.ts`)
    expect((await runner.run(context)).result?.outcome).toBe('in-sync')
    p.write('shared/audit.ts', "import { text } from 'migrate-plugin/model'\nexport const audit = () => ({ createdBy: text(), updatedBy: text() })\n")
    expect((await runner.run(context)).result?.outcome).toBe('applied')
    expect(p.columns('notes')).toEqual(['id', 'createdBy', 'updatedBy'])
  })

  it('an edited migration.conf takes effect on the next run (settings are not cached with the models)', async () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'), 'migration.conf': '[safety]\nallow_data_loss = false\n' })
    const runner = new Runner({ dev: 'apply' })
    const context = { root: p.root, watch: true, trigger: 'test' }
    await runner.run(context)
    p.sql("INSERT INTO users (email, phone) VALUES ('a@x', '555')")
    p.write('model/users.ts', USERS_MODEL)
    await expect(runner.run(context)).rejects.toMatchObject({ code: 'GUARD_DATA_LOSS' })
    p.write('migration.conf', '[safety]\nallow_data_loss = true\n')
    expect((await runner.run(context)).result?.outcome).toBe('applied')
    expect(p.columns('users')).not.toContain('phone')
  })
})
